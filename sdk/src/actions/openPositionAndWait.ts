import type { Hash, TransactionReceipt } from "viem";

import type { PositionEventArgs } from "../events.js";
import type { WriteClient } from "../internal/client.js";
import { openPosition, type OpenPositionErrorType, type OpenPositionParameters } from "./openPosition.js";
import { waitForPositionOpened, type WaitForPositionOpenedErrorType } from "./waitForPositionOpened.js";

export type OpenPositionAndWaitParameters = OpenPositionParameters;

export interface OpenPositionAndWaitReturnType {
  /** The new position's id. */
  positionId: bigint;
  hash: Hash;
  /** The `PositionOpened` event's arguments. */
  event: PositionEventArgs<"PositionOpened">;
  receipt: TransactionReceipt;
}

export type OpenPositionAndWaitErrorType = OpenPositionErrorType | WaitForPositionOpenedErrorType;

/** `openPosition`, then waits for the transaction and returns the new position's id. */
export async function openPositionAndWait(
  client: WriteClient,
  parameters: OpenPositionAndWaitParameters,
): Promise<OpenPositionAndWaitReturnType> {
  const hash = await openPosition(client, parameters);
  const opened = await waitForPositionOpened(client, { hash, addresses: parameters.addresses });
  return { ...opened, hash };
}

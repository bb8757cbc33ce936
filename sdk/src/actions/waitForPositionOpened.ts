import type { Address, Hash, TransactionReceipt, WaitForTransactionReceiptErrorType } from "viem";

import { PositionOpenedEventNotFoundError, type TransactionRevertedError } from "../errors/sdk.js";
import { decodePositionEvents, eventsNamed, type PositionEventArgs } from "../events.js";
import type { ReadClient } from "../internal/client.js";
import { waitForSuccess } from "../internal/write.js";

export interface WaitForPositionOpenedParameters {
  /** An open's transaction. */
  hash: Hash;
  /** Only count events emitted by this engine (recommended). */
  addresses?: { marginEngine: Address } | undefined;
}

export interface WaitForPositionOpenedReturnType {
  /** The new position's id. */
  positionId: bigint;
  /** The `PositionOpened` event's arguments: owner, market, side, size, price, collateral, fee, … */
  event: PositionEventArgs<"PositionOpened">;
  receipt: TransactionReceipt;
}

export type WaitForPositionOpenedErrorType =
  PositionOpenedEventNotFoundError | TransactionRevertedError | WaitForTransactionReceiptErrorType;

/** Waits for an open's transaction and returns the id of the position it created (from its `PositionOpened` event). */
export async function waitForPositionOpened(
  client: ReadClient,
  { hash, addresses }: WaitForPositionOpenedParameters,
): Promise<WaitForPositionOpenedReturnType> {
  const receipt = await waitForSuccess(client, hash);
  const [opened] = eventsNamed(
    decodePositionEvents(receipt.logs, { engine: addresses?.marginEngine }),
    "PositionOpened",
  );
  if (opened === undefined) throw new PositionOpenedEventNotFoundError(hash);
  return { positionId: opened.args.positionId, event: opened.args, receipt };
}

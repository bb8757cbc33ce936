import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError, PositionNotOpenError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { sendRequest } from "../internal/write.js";
import { simulateClosePosition, type SimulateClosePositionParameters } from "./simulateClosePosition.js";

export type ClosePositionParameters = SimulateClosePositionParameters;
export type ClosePositionReturnType = Hash;
export type ClosePositionErrorType =
  DecodedRevert | PositionNotOpenError | AccountRequiredError | WriteContractErrorType;

/** Closes a position: what is left, and the keeper reserve, go back to the owner. Works while paused. */
export async function closePosition(
  client: WriteClient,
  parameters: ClosePositionParameters,
): Promise<ClosePositionReturnType> {
  const { request } = await simulateClosePosition(client, parameters);
  return sendRequest(client, request);
}

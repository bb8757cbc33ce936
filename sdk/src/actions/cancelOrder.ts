import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { sendRequest } from "../internal/write.js";
import { simulateCancelOrder, type SimulateCancelOrderParameters } from "./simulateCancelOrder.js";

export type CancelOrderParameters = SimulateCancelOrderParameters;
export type CancelOrderReturnType = Hash;
/** `NoPendingOrderError`, `OrderStillExecutableError` (it can still execute: `executeOrder` it), … */
export type CancelOrderErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/**
 * Cancels the position's pending orders that can no longer execute (no round before the deadline, window missed, feed
 * phase changed), with a full refund to the owner. Anyone may.
 */
export async function cancelOrder(
  client: WriteClient,
  parameters: CancelOrderParameters,
): Promise<CancelOrderReturnType> {
  const { request } = await simulateCancelOrder(client, parameters);
  return sendRequest(client, request);
}

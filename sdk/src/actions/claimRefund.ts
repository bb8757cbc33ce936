import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { sendRequest } from "../internal/write.js";
import { simulateClaimRefund, type SimulateClaimRefundParameters } from "./simulateClaimRefund.js";

export type ClaimRefundParameters = SimulateClaimRefundParameters;
export type ClaimRefundReturnType = Hash;

/** `NoDeferredRefundError`, `NotPositionOwnerError`, … */
export type ClaimRefundErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/**
 * Claims a liquidation refund the owner could not receive when their position was liquidated (a `RefundDeferred`
 * event); it waits in the position's vault until then.
 */
export async function claimRefund(
  client: WriteClient,
  parameters: ClaimRefundParameters,
): Promise<ClaimRefundReturnType> {
  const { request } = await simulateClaimRefund(client, parameters);
  return sendRequest(client, request);
}

import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { sendRequest } from "../internal/write.js";
import { simulateClaim, type SimulateClaimParameters } from "./simulateClaim.js";

export type ClaimParameters = SimulateClaimParameters;
export type ClaimReturnType = Hash;

/** `NothingToClaimError`, `NotPositionOwnerError`, … */
export type ClaimErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/**
 * Claims what the engine holds for a position: payouts (a close's, a decrease's, a liquidation refund, a cancelled
 * order's refund) that the owner or their receiver could not receive when they were made (a `ClaimRecorded` event;
 * `getClaim` reads it).
 */
export async function claim(client: WriteClient, parameters: ClaimParameters): Promise<ClaimReturnType> {
  const { request } = await simulateClaim(client, parameters);
  return sendRequest(client, request);
}

import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { sendRequest } from "../internal/write.js";
import { simulateClaimRedeem, type SimulateClaimRedeemParameters } from "./simulateClaimRedeem.js";

export type ClaimRedeemParameters = SimulateClaimRedeemParameters;
export type ClaimRedeemReturnType = Hash;
/** `ExceedsClaimableError`, `ZeroAmountError`, `NotOperatorError`. */
export type ClaimRedeemErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/** Claims the assets of executed redemption requests, by shares (`redeem`) or by assets (`withdraw`). */
export async function claimRedeem(
  client: WriteClient,
  parameters: ClaimRedeemParameters,
): Promise<ClaimRedeemReturnType> {
  const { request } = await simulateClaimRedeem(client, parameters);
  return sendRequest(client, request);
}

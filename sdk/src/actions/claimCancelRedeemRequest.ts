import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { sendRequest } from "../internal/write.js";
import {
  simulateClaimCancelRedeemRequest,
  type SimulateClaimCancelRedeemRequestParameters,
} from "./simulateClaimCancelRedeemRequest.js";

export type ClaimCancelRedeemRequestParameters = SimulateClaimCancelRedeemRequestParameters;
export type ClaimCancelRedeemRequestReturnType = Hash;
/** `ExceedsClaimableError` (nothing cancelled), `NotOperatorError`. */
export type ClaimCancelRedeemRequestErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/** Claims the shares of a cancelled redemption request (ERC-7887 `claimCancelRedeemRequest`). */
export async function claimCancelRedeemRequest(
  client: WriteClient,
  parameters: ClaimCancelRedeemRequestParameters,
): Promise<ClaimCancelRedeemRequestReturnType> {
  const { request } = await simulateClaimCancelRedeemRequest(client, parameters);
  return sendRequest(client, request);
}

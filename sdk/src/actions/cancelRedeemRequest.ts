import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { sendRequest } from "../internal/write.js";
import {
  simulateCancelRedeemRequest,
  type SimulateCancelRedeemRequestParameters,
} from "./simulateCancelRedeemRequest.js";

export type CancelRedeemRequestParameters = SimulateCancelRedeemRequestParameters;
export type CancelRedeemRequestReturnType = Hash;
/** `NoPendingRequestError`, `CancelWindowClosedError`, `NotOperatorError`. */
export type CancelRedeemRequestErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/** Cancels a pending redemption request (ERC-7887) while its `lpDelay` runs: the shares become claimable at once with `claimCancelRedeemRequest`. */
export async function cancelRedeemRequest(
  client: WriteClient,
  parameters: CancelRedeemRequestParameters,
): Promise<CancelRedeemRequestReturnType> {
  const { request } = await simulateCancelRedeemRequest(client, parameters);
  return sendRequest(client, request);
}

import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { sendRequest } from "../internal/write.js";
import { simulateRequestRedeem, type SimulateRequestRedeemParameters } from "./simulateRequestRedeem.js";

export type RequestRedeemParameters = SimulateRequestRedeemParameters;
export type RequestRedeemReturnType = Hash;
/** `RequestTooSmallError` (the shares' value at the cached price below `minRequest`), `RequestPendingError` (one redemption request per controller), `ERC20InsufficientAllowanceError`. */
export type RequestRedeemErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/** Requests a redemption (ERC-7540 `requestRedeem`): the shares move to the pool at once and wait in the redemption queue; after `lpDelay` anyone may execute the request at the lower of the share price cached now and the one at execution, in part if the free liquidity runs short; the controller then claims with `claimRedeem`. */
export async function requestRedeem(
  client: WriteClient,
  parameters: RequestRedeemParameters,
): Promise<RequestRedeemReturnType> {
  const { request } = await simulateRequestRedeem(client, parameters);
  return sendRequest(client, request);
}

import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { sendRequest } from "../internal/write.js";
import {
  simulateClaimCancelDepositRequest,
  type SimulateClaimCancelDepositRequestParameters,
} from "./simulateClaimCancelDepositRequest.js";

export type ClaimCancelDepositRequestParameters = SimulateClaimCancelDepositRequestParameters;
export type ClaimCancelDepositRequestReturnType = Hash;
/** `ExceedsClaimableError` (nothing cancelled), `NotOperatorError`. */
export type ClaimCancelDepositRequestErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/** Claims the assets of a cancelled (or refunded) deposit request (ERC-7887 `claimCancelDepositRequest`). */
export async function claimCancelDepositRequest(
  client: WriteClient,
  parameters: ClaimCancelDepositRequestParameters,
): Promise<ClaimCancelDepositRequestReturnType> {
  const { request } = await simulateClaimCancelDepositRequest(client, parameters);
  return sendRequest(client, request);
}

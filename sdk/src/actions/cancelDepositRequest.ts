import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { sendRequest } from "../internal/write.js";
import {
  simulateCancelDepositRequest,
  type SimulateCancelDepositRequestParameters,
} from "./simulateCancelDepositRequest.js";

export type CancelDepositRequestParameters = SimulateCancelDepositRequestParameters;
export type CancelDepositRequestReturnType = Hash;
/** `NoPendingRequestError`, `CancelWindowClosedError` (the delay is over: the request can only be executed), `NotOperatorError`. */
export type CancelDepositRequestErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/** Cancels a pending deposit request (ERC-7887) while its `lpDelay` runs: the assets become claimable at once with `claimCancelDepositRequest`. */
export async function cancelDepositRequest(
  client: WriteClient,
  parameters: CancelDepositRequestParameters,
): Promise<CancelDepositRequestReturnType> {
  const { request } = await simulateCancelDepositRequest(client, parameters);
  return sendRequest(client, request);
}

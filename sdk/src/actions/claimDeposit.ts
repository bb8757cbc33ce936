import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { sendRequest } from "../internal/write.js";
import { simulateClaimDeposit, type SimulateClaimDepositParameters } from "./simulateClaimDeposit.js";

export type ClaimDepositParameters = SimulateClaimDepositParameters;
export type ClaimDepositReturnType = Hash;
/** `ExceedsClaimableError`, `ZeroAmountError`, `NotOperatorError`. */
export type ClaimDepositErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/** Claims the shares of executed deposit requests, by assets (`deposit`) or by shares (`mint`). */
export async function claimDeposit(
  client: WriteClient,
  parameters: ClaimDepositParameters,
): Promise<ClaimDepositReturnType> {
  const { request } = await simulateClaimDeposit(client, parameters);
  return sendRequest(client, request);
}

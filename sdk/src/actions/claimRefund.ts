import type { Address, Hash, WriteContractErrorType } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, type WriteClient, type WriteParameters } from "../internal/client.js";
import { simulateAndWrite } from "../internal/write.js";

export interface ClaimRefundParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  positionId: bigint;
  /** Where the refund goes; any address the owner chooses (one that can receive the token). */
  to: Address;
}

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
  return simulateAndWrite(client, {
    address: parameters.addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "claimRefund",
    args: [parameters.positionId, parameters.to],
    account: accountOf(client, parameters.account, "claimRefund"),
  });
}

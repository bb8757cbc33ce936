import type { Account, Address, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, type WriteParameters } from "../internal/client.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateClaimRefundParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  positionId: bigint;
  /** Where the refund goes; any address the owner chooses (one that can receive the token). */
  to: Address;
}

export type SimulateClaimRefundReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof marginEngineAbi,
  "claimRefund",
  chain
>;

/** `NoDeferredRefundError`, `NotPositionOwnerError`, … */
export type SimulateClaimRefundErrorType = DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/** Simulates `claimRefund` and returns the request for `writeContract`. */
export async function simulateClaimRefund<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateClaimRefundParameters,
): Promise<SimulateClaimRefundReturnType<chain>> {
  return simulateWrite(client, {
    address: parameters.addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "claimRefund",
    args: [parameters.positionId, parameters.to],
    account: accountOf(client, parameters.account, "simulateClaimRefund"),
  });
}

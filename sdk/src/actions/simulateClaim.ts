import type { Account, Address, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, addressOfAccount, type WriteParameters } from "../internal/client.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateClaimParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  positionId: bigint;
  /** Where the claim is paid (default: the sender); any address the owner chooses that can receive the token. */
  to?: Address | undefined;
}

export type SimulateClaimReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof marginEngineAbi,
  "claim",
  chain
>;

/** `NothingToClaimError`, `NotPositionOwnerError` (only the owner the claim was recorded for may claim), … */
export type SimulateClaimErrorType = DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/** Simulates `claim` and returns the request for `writeContract`. */
export async function simulateClaim<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateClaimParameters,
): Promise<SimulateClaimReturnType<chain>> {
  const account = accountOf(client, parameters.account, "simulateClaim");
  return simulateWrite(client, {
    address: parameters.addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "claim",
    args: [parameters.positionId, parameters.to ?? addressOfAccount(account)],
    account,
  });
}

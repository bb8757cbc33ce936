import type { Account, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, type WriteParameters } from "../internal/client.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateAddMarginParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  positionId: bigint;
  /** Asset units. */
  amount: bigint;
}

export type SimulateAddMarginReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof marginEngineAbi,
  "addMargin",
  chain
>;

/** `ERC20InsufficientAllowanceError` when the engine may not pull the amount yet, … */
export type SimulateAddMarginErrorType = DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/**
 * Simulates `addMargin` and returns the request for `writeContract`. Sends nothing, approvals included: the engine
 * must already be allowed to pull the amount (`addMargin` does that for you).
 */
export async function simulateAddMargin<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateAddMarginParameters,
): Promise<SimulateAddMarginReturnType<chain>> {
  return simulateWrite(client, {
    address: parameters.addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "addMargin",
    args: [parameters.positionId, parameters.amount],
    account: accountOf(client, parameters.account, "simulateAddMargin"),
  });
}

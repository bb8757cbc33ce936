import type { Account, Address, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, addressOfAccount, type WriteParameters } from "../internal/client.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateRemoveMarginParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  positionId: bigint;
  /** Asset units. */
  amount: bigint;
  /** Receives the collateral withdrawn (default: the sender). */
  receiver?: Address | undefined;
}

export type SimulateRemoveMarginReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof marginEngineAbi,
  "removeMargin",
  chain
>;

/**
 * `CollateralBelowMinimumError`, `InitialMarginBreachedError`, `NotPositionOwnerError`, `OrderPendingError` /
 * `ClosePendingError` (refused while an order waits), `GracePeriodError`, …
 */
export type SimulateRemoveMarginErrorType = DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/** Simulates `removeMargin` and returns the request for `writeContract`. */
export async function simulateRemoveMargin<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateRemoveMarginParameters,
): Promise<SimulateRemoveMarginReturnType<chain>> {
  const account = accountOf(client, parameters.account, "simulateRemoveMargin");
  return simulateWrite(client, {
    address: parameters.addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "removeMargin",
    args: [parameters.positionId, parameters.amount, parameters.receiver ?? addressOfAccount(account)],
    account,
  });
}

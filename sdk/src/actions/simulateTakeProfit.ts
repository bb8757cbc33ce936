import type { Account, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, type WriteParameters } from "../internal/client.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateTakeProfitParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  positionId: bigint;
}

/** `result` is undefined (the function returns nothing). */
export type SimulateTakeProfitReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof marginEngineAbi,
  "takeProfit",
  chain
>;

/** `NotAtCapError` (the uncapped pnl is below the cap), `UnknownPositionError`, the oracle's errors on a bad price. */
export type SimulateTakeProfitErrorType = DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/** Simulates `takeProfit` (closing a position whose pnl has reached its cap, at the cap) and returns the request. */
export async function simulateTakeProfit<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateTakeProfitParameters,
): Promise<SimulateTakeProfitReturnType<chain>> {
  const account = accountOf(client, parameters.account, "simulateTakeProfit");
  return simulateWrite(client, {
    address: parameters.addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "takeProfit",
    args: [parameters.positionId],
    account,
  });
}

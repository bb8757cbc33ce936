import type { Account, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, type WriteParameters } from "../internal/client.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateTakeProfitBatchParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  positionIds: readonly bigint[];
}

/** `result` is how many positions were closed. */
export type SimulateTakeProfitBatchReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof marginEngineAbi,
  "takeProfitBatch",
  chain
>;

/** None for skipped ids. */
export type SimulateTakeProfitBatchErrorType = DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/** Simulates `takeProfitBatch` and returns the request. `takeProfit` for every listed position at its cap; skips the others (and markets without a good price) without reverting. See `getAtCap` for which ids to pass. */
export async function simulateTakeProfitBatch<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateTakeProfitBatchParameters,
): Promise<SimulateTakeProfitBatchReturnType<chain>> {
  const account = accountOf(client, parameters.account, "simulateTakeProfitBatch");
  return simulateWrite(client, {
    address: parameters.addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "takeProfitBatch",
    args: [parameters.positionIds],
    account,
  });
}

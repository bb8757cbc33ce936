import type { Account, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, type WriteParameters } from "../internal/client.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateLiquidateBatchParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  positionIds: readonly bigint[];
}

export type SimulateLiquidateBatchReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof marginEngineAbi,
  "liquidateBatch",
  chain
>;

export type SimulateLiquidateBatchErrorType = DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/** Simulates `liquidateBatch` (which skips ids that are not liquidatable) and returns the request. */
export async function simulateLiquidateBatch<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateLiquidateBatchParameters,
): Promise<SimulateLiquidateBatchReturnType<chain>> {
  return simulateWrite(client, {
    address: parameters.addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "liquidateBatch",
    args: [parameters.positionIds],
    account: accountOf(client, parameters.account, "simulateLiquidateBatch"),
  });
}

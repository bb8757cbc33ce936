import type { Account, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, type WriteParameters } from "../internal/client.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateLiquidateParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  positionId: bigint;
}

export type SimulateLiquidateReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof marginEngineAbi,
  "liquidate",
  chain
>;

/** `NotLiquidatableError` (with the equity and the requirement), `GracePeriodError`, … */
export type SimulateLiquidateErrorType = DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/** Simulates `liquidate` and returns the request for `writeContract`: how a keeper checks before it sends. */
export async function simulateLiquidate<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateLiquidateParameters,
): Promise<SimulateLiquidateReturnType<chain>> {
  return simulateWrite(client, {
    address: parameters.addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "liquidate",
    args: [parameters.positionId],
    account: accountOf(client, parameters.account, "simulateLiquidate"),
  });
}

import type { Account, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, type WriteParameters } from "../internal/client.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateExecuteOrderParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  positionId: bigint;
}

export type SimulateExecuteOrderReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof marginEngineAbi,
  "executeOrder",
  chain
>;

/** `OrderNotReadyError` (no round after the request yet, or no good latest price), … */
export type SimulateExecuteOrderErrorType = DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/** Simulates `executeOrder` and returns the request: how a keeper checks an order before it sends. */
export async function simulateExecuteOrder<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateExecuteOrderParameters,
): Promise<SimulateExecuteOrderReturnType<chain>> {
  return simulateWrite(client, {
    address: parameters.addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "executeOrder",
    args: [parameters.positionId],
    account: accountOf(client, parameters.account, "simulateExecuteOrder"),
  });
}

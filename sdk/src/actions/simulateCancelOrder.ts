import type { Account, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, type WriteParameters } from "../internal/client.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateCancelOrderParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  positionId: bigint;
}

export type SimulateCancelOrderReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof marginEngineAbi,
  "cancelOrder",
  chain
>;

/** `NoPendingOrderError`, `OrderStillExecutableError` (it can still execute: `executeOrder` it), … */
export type SimulateCancelOrderErrorType = DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/** Simulates `cancelOrder` and returns the request. */
export async function simulateCancelOrder<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateCancelOrderParameters,
): Promise<SimulateCancelOrderReturnType<chain>> {
  return simulateWrite(client, {
    address: parameters.addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "cancelOrder",
    args: [parameters.positionId],
    account: accountOf(client, parameters.account, "simulateCancelOrder"),
  });
}

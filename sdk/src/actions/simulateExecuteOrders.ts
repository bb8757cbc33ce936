import type { Account, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, type WriteParameters } from "../internal/client.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateExecuteOrdersParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  positionIds: readonly bigint[];
}

export type SimulateExecuteOrdersReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof marginEngineAbi,
  "executeOrders",
  chain
>;

/** `SequencerDownError` while the L2 sequencer is down, … */
export type SimulateExecuteOrdersErrorType = DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/** Simulates `executeOrders` (which skips positions with nothing to do) and returns the request; `result` is how many
 * orders it would execute or cancel. */
export async function simulateExecuteOrders<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateExecuteOrdersParameters,
): Promise<SimulateExecuteOrdersReturnType<chain>> {
  return simulateWrite(client, {
    address: parameters.addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "executeOrders",
    args: [parameters.positionIds],
    account: accountOf(client, parameters.account, "simulateExecuteOrders"),
  });
}

import type { Account, Address, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { liquidityPoolAbi } from "../generated/abis.js";
import { accountOf, type WriteParameters } from "../internal/client.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateSetOperatorParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "liquidityPool">;
  /** May request, cancel and claim for the sender. */
  operator: Address;
  approved: boolean;
}

/** `result` is true. */
export type SimulateSetOperatorReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof liquidityPoolAbi,
  "setOperator",
  chain
>;

/** No contract error. */
export type SimulateSetOperatorErrorType = DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/** Simulates `setOperator` and returns the request. Approves or revokes an operator (ERC-7540 `setOperator`) that may request, cancel and claim on the sender's behalf. */
export async function simulateSetOperator<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateSetOperatorParameters,
): Promise<SimulateSetOperatorReturnType<chain>> {
  const account = accountOf(client, parameters.account, "simulateSetOperator");
  return simulateWrite(client, {
    address: parameters.addresses.liquidityPool,
    abi: liquidityPoolAbi,
    functionName: "setOperator",
    args: [parameters.operator, parameters.approved],
    account,
  });
}

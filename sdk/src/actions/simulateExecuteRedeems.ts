import type { Account, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { liquidityPoolAbi } from "../generated/abis.js";
import { accountOf, type WriteParameters } from "../internal/client.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateExecuteRedeemsParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "liquidityPool">;
  /** At most this many requests, from the head of the queue. */
  maxRequests: bigint;
}

/** `result` is how many requests were executed in full. */
export type SimulateExecuteRedeemsReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof liquidityPoolAbi,
  "executeRedeems",
  chain
>;

/** `LpExecutionPausedError`. */
export type SimulateExecuteRedeemsErrorType = DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/** Simulates `executeRedeems` and returns the request. Executes redemption requests in request order, at the lower of the price cached at request and the price now, partially where the free liquidity runs out; stops at the first request still in its `lpDelay`. The sender earns each request's execution fee. Anyone may call. */
export async function simulateExecuteRedeems<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateExecuteRedeemsParameters,
): Promise<SimulateExecuteRedeemsReturnType<chain>> {
  const account = accountOf(client, parameters.account, "simulateExecuteRedeems");
  return simulateWrite(client, {
    address: parameters.addresses.liquidityPool,
    abi: liquidityPoolAbi,
    functionName: "executeRedeems",
    args: [parameters.maxRequests],
    account,
  });
}

import type { Account, Address, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { liquidityPoolAbi } from "../generated/abis.js";
import { accountOf, type WriteParameters } from "../internal/client.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateExecuteDepositsParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "liquidityPool">;
  /** Controllers whose deposit requests to execute; those not executable yet are skipped. */
  controllers: readonly Address[];
}

/** `result` is how many requests were executed. */
export type SimulateExecuteDepositsReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof liquidityPoolAbi,
  "executeDeposits",
  chain
>;

/** `LpExecutionPausedError` (a market with open interest has a bad, unsettled or just-recovered price, or a position past its cap or bankruptcy price; `retryAt` says when to retry, zero if unknown or up to a keeper). */
export type SimulateExecuteDepositsErrorType = DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/** Simulates `executeDeposits` and returns the request. Executes the listed controllers' deposit requests whose `lpDelay` has passed, at the higher of the price cached at request and the price now; the sender earns each request's execution fee. Anyone may call. */
export async function simulateExecuteDeposits<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateExecuteDepositsParameters,
): Promise<SimulateExecuteDepositsReturnType<chain>> {
  const account = accountOf(client, parameters.account, "simulateExecuteDeposits");
  return simulateWrite(client, {
    address: parameters.addresses.liquidityPool,
    abi: liquidityPoolAbi,
    functionName: "executeDeposits",
    args: [parameters.controllers],
    account,
  });
}

import type { Account, Address, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { liquidityPoolAbi } from "../generated/abis.js";
import { accountOf, addressOfAccount, type WriteParameters } from "../internal/client.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateDepositLiquidityParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "liquidityPool">;
  /** Asset units. */
  assets: bigint;
  /** Receives the shares; defaults to the sender. */
  receiver?: Address | undefined;
}

/** `result` is the shares the deposit would mint. */
export type SimulateDepositLiquidityReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof liquidityPoolAbi,
  "deposit",
  chain
>;

export type SimulateDepositLiquidityErrorType = DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/** Simulates an ERC-4626 `deposit` and returns the request; the pool must already be allowed to pull the assets. */
export async function simulateDepositLiquidity<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateDepositLiquidityParameters,
): Promise<SimulateDepositLiquidityReturnType<chain>> {
  const account = accountOf(client, parameters.account, "simulateDepositLiquidity");
  return simulateWrite(client, {
    address: parameters.addresses.liquidityPool,
    abi: liquidityPoolAbi,
    functionName: "deposit",
    args: [parameters.assets, parameters.receiver ?? addressOfAccount(account)],
    account,
  });
}

import type { Account, Address, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { liquidityPoolAbi } from "../generated/abis.js";
import { accountOf, addressOfAccount, type WriteParameters } from "../internal/client.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export type SimulateWithdrawLiquidityParameters = WriteParameters & {
  addresses: Pick<BulkheadAddresses, "liquidityPool">;
  /** Receives the assets; defaults to the sender. */
  receiver?: Address | undefined;
  /** Whose shares are burnt; defaults to the sender (another owner must have approved the sender's share spending). */
  owner?: Address | undefined;
} & (
    | {
        /** Asset units to withdraw (ERC-4626 `withdraw`). */
        assets: bigint;
      }
    | {
        /** Shares to redeem (ERC-4626 `redeem`). */
        shares: bigint;
      }
  );

/** `result` is the shares burnt (`withdraw`) or the assets paid (`redeem`). */
export type SimulateWithdrawLiquidityReturnType<chain extends Chain | undefined = Chain | undefined> =
  SimulatedWrite<typeof liquidityPoolAbi, "withdraw", chain> | SimulatedWrite<typeof liquidityPoolAbi, "redeem", chain>;

/** Above what is free of reservations: `ERC4626ExceededMaxWithdrawError` / `ERC4626ExceededMaxRedeemError`. */
export type SimulateWithdrawLiquidityErrorType = DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/** Simulates a withdrawal, by assets (`withdraw`) or by shares (`redeem`), and returns the request. */
export async function simulateWithdrawLiquidity<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateWithdrawLiquidityParameters,
): Promise<SimulateWithdrawLiquidityReturnType<chain>> {
  const account = accountOf(client, parameters.account, "simulateWithdrawLiquidity");
  const sender = addressOfAccount(account);
  const receiver = parameters.receiver ?? sender;
  const owner = parameters.owner ?? sender;
  const pool = { address: parameters.addresses.liquidityPool, abi: liquidityPoolAbi, account } as const;
  if ("assets" in parameters) {
    return simulateWrite(client, { ...pool, functionName: "withdraw", args: [parameters.assets, receiver, owner] });
  }
  return simulateWrite(client, { ...pool, functionName: "redeem", args: [parameters.shares, receiver, owner] });
}

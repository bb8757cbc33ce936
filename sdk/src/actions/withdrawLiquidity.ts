import type { Address, Hash, WriteContractErrorType } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { liquidityPoolAbi } from "../generated/abis.js";
import { accountOf, addressOfAccount, type WriteClient, type WriteParameters } from "../internal/client.js";
import { simulateAndWrite } from "../internal/write.js";

export type WithdrawLiquidityParameters = WriteParameters & {
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

export type WithdrawLiquidityReturnType = Hash;

/** Above what is free of reservations: `ERC4626ExceededMaxWithdrawError` / `ERC4626ExceededMaxRedeemError`. */
export type WithdrawLiquidityErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/** Withdraws from the liquidity pool, by assets (`withdraw`) or by shares (`redeem`). */
export async function withdrawLiquidity(
  client: WriteClient,
  parameters: WithdrawLiquidityParameters,
): Promise<WithdrawLiquidityReturnType> {
  const account = accountOf(client, parameters.account, "withdrawLiquidity");
  const sender = addressOfAccount(account);
  const receiver = parameters.receiver ?? sender;
  const owner = parameters.owner ?? sender;
  const pool = { address: parameters.addresses.liquidityPool, abi: liquidityPoolAbi, account } as const;
  if ("assets" in parameters) {
    return simulateAndWrite(client, { ...pool, functionName: "withdraw", args: [parameters.assets, receiver, owner] });
  }
  return simulateAndWrite(client, { ...pool, functionName: "redeem", args: [parameters.shares, receiver, owner] });
}

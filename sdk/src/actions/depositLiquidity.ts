import type { Address, Hash, WriteContractErrorType } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError, PermitNotSupportedError } from "../errors/sdk.js";
import { liquidityPoolAbi } from "../generated/abis.js";
import { ensureAllowance, type Approval } from "../internal/approval.js";
import { resolveBlock } from "../internal/block.js";
import { accountOf, addressOfAccount, type WriteClient, type WriteParameters } from "../internal/client.js";
import { DEFAULT_DEADLINE_SECONDS } from "../internal/trade.js";
import { simulateAndWrite } from "../internal/write.js";

export interface DepositLiquidityParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "liquidityPool" | "asset">;
  /** Asset units. */
  assets: bigint;
  /** Receives the shares; defaults to the sender. */
  receiver?: Address | undefined;
  /** How to get the allowance if it is short (default `"approve"`). */
  approval?: Approval | undefined;
}

export type DepositLiquidityReturnType = Hash;
export type DepositLiquidityErrorType =
  DecodedRevert | AccountRequiredError | PermitNotSupportedError | WriteContractErrorType;

/** Deposits assets into the liquidity pool (ERC-4626 `deposit`) for shares. */
export async function depositLiquidity(
  client: WriteClient,
  parameters: DepositLiquidityParameters,
): Promise<DepositLiquidityReturnType> {
  const { addresses, assets, approval = "approve" } = parameters;
  const account = accountOf(client, parameters.account, "depositLiquidity");
  if (approval !== "none") {
    const { timestamp } = await resolveBlock(client, undefined);
    await ensureAllowance(client, {
      token: addresses.asset,
      spender: addresses.liquidityPool,
      amount: assets,
      account,
      approval,
      deadline: timestamp + DEFAULT_DEADLINE_SECONDS,
    });
  }
  return simulateAndWrite(client, {
    address: addresses.liquidityPool,
    abi: liquidityPoolAbi,
    functionName: "deposit",
    args: [assets, parameters.receiver ?? addressOfAccount(account)],
    account,
  });
}

import type { Hash, WriteContractErrorType } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError, PermitNotSupportedError } from "../errors/sdk.js";
import { ensureAllowance, type Approval } from "../internal/approval.js";
import { resolveBlock } from "../internal/block.js";
import { accountOf, type WriteClient } from "../internal/client.js";
import { DEFAULT_DEADLINE_SECONDS } from "../internal/trade.js";
import { sendRequest } from "../internal/write.js";
import { simulateDepositLiquidity, type SimulateDepositLiquidityParameters } from "./simulateDepositLiquidity.js";

export interface DepositLiquidityParameters extends SimulateDepositLiquidityParameters {
  addresses: Pick<BulkheadAddresses, "liquidityPool" | "asset">;
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
  const { request } = await simulateDepositLiquidity(client, { ...parameters, account });
  return sendRequest(client, request);
}

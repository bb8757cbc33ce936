import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { sendRequest } from "../internal/write.js";
import { simulateWithdrawLiquidity, type SimulateWithdrawLiquidityParameters } from "./simulateWithdrawLiquidity.js";

export type WithdrawLiquidityParameters = SimulateWithdrawLiquidityParameters;
export type WithdrawLiquidityReturnType = Hash;

/** Above what is free of reservations: `ERC4626ExceededMaxWithdrawError` / `ERC4626ExceededMaxRedeemError`. */
export type WithdrawLiquidityErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/** Withdraws from the liquidity pool, by assets (`withdraw`) or by shares (`redeem`). */
export async function withdrawLiquidity(
  client: WriteClient,
  parameters: WithdrawLiquidityParameters,
): Promise<WithdrawLiquidityReturnType> {
  const { request } = await simulateWithdrawLiquidity(client, parameters);
  return sendRequest(client, request);
}

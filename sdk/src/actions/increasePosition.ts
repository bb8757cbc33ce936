import type { Hash, WriteContractErrorType } from "viem";
import { readContract } from "viem/actions";

import type { BulkheadAddresses } from "../deployment.js";
import { toBulkheadError, type DecodedRevert } from "../errors/decode.js";
import { PositionNotOpenError, type AccountRequiredError, type PermitNotSupportedError } from "../errors/sdk.js";
import { marginEngineAbi, riskConfigAbi } from "../generated/abis.js";
import { settlementTokenAbi } from "../abis.js";
import { ensureAllowance, type Approval } from "../internal/approval.js";
import { accountOf, type WriteClient } from "../internal/client.js";
import { boundPrice, DEFAULT_SLIPPAGE_BPS, resolveTrade } from "../internal/trade.js";
import { sendRequest } from "../internal/write.js";
import { accrueBorrowIndex } from "../math/position.js";
import { borrowFee, ratioOfNotionalUp, scaleOf } from "../math/positionMath.js";
import { getPosition } from "./getPosition.js";
import { simulateIncreasePosition, type SimulateIncreasePositionParameters } from "./simulateIncreasePosition.js";

export interface IncreasePositionParameters extends SimulateIncreasePositionParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine" | "riskConfig" | "asset">;
  /** How to get the allowance for collateral, opening fee and borrow fee if it is short (default `"approve"`). */
  approval?: Approval | undefined;
}

export type IncreasePositionReturnType = Hash;
export type IncreasePositionErrorType =
  DecodedRevert | PositionNotOpenError | AccountRequiredError | PermitNotSupportedError | WriteContractErrorType;

/** Adds size (and optionally collateral) to a position; the caller pays the opening fee and the settled borrow fee. */
export async function increasePosition(
  client: WriteClient,
  parameters: IncreasePositionParameters,
): Promise<IncreasePositionReturnType> {
  const { addresses, positionId, sizeDelta, collateralDelta = 0n, approval = "approve" } = parameters;
  const account = accountOf(client, parameters.account, "increasePosition");
  const position = await getPosition(client, { addresses, positionId });
  if (position === null) throw new PositionNotOpenError(positionId);
  const trade = await resolveTrade(client, addresses, position.marketId, position.isLong, parameters);
  if (approval !== "none") {
    let needed: bigint;
    try {
      const [market, index, decimals] = await Promise.all([
        readContract(client, {
          address: addresses.riskConfig,
          abi: riskConfigAbi,
          functionName: "marketParams",
          args: [position.marketId],
        }),
        readContract(client, {
          address: addresses.marginEngine,
          abi: marginEngineAbi,
          functionName: "borrowIndex",
          args: [position.marketId, position.isLong],
        }),
        readContract(client, { address: addresses.asset, abi: settlementTokenAbi, functionName: "decimals" }),
      ]);
      const scale = scaleOf(decimals);
      // Upper bounds: the borrow index at the deadline, the fee at the worst price.
      const rate = position.isLong ? market.borrowRateLong : market.borrowRateShort;
      const indexAtDeadline = accrueBorrowIndex(
        index,
        rate,
        trade.deadline > trade.now ? trade.deadline - trade.now : 0n,
      );
      const worst = trade.acceptablePrice > trade.price ? trade.acceptablePrice : trade.price;
      const feePrice = boundPrice(worst, true, parameters.slippageBps ?? DEFAULT_SLIPPAGE_BPS);
      needed =
        collateralDelta +
        borrowFee(position.size, position.entryPrice, indexAtDeadline - position.borrowIndex, scale) +
        ratioOfNotionalUp(sizeDelta, feePrice, market.openFeeRatio, scale);
    } catch (error) {
      throw toBulkheadError(error);
    }
    await ensureAllowance(client, {
      token: addresses.asset,
      spender: addresses.marginEngine,
      amount: needed,
      account,
      approval,
      deadline: trade.deadline,
    });
  }
  const { request } = await simulateIncreasePosition(client, {
    ...parameters,
    account,
    acceptablePrice: trade.acceptablePrice,
    deadline: trade.deadline,
  });
  return sendRequest(client, request);
}

import type { ReadContractErrorType } from "viem";
import { readContract } from "viem/actions";

import type { BulkheadAddresses } from "../deployment.js";
import { toBulkheadError, type DecodedRevert } from "../errors/decode.js";
import { PositionPendingError, type PositionNotFoundError } from "../errors/sdk.js";
import { settlementTokenAbi } from "../abis.js";
import { resolveBlock } from "../internal/block.js";
import type { ReadClient } from "../internal/client.js";
import { existingPosition } from "../internal/position.js";
import {
  getPositionLiquidationPrice,
  getPositionValuation,
  isPositionLiquidatable,
  previewLiquidation,
} from "../math/position.js";
import { health, scaleOf } from "../math/positionMath.js";
import type { LiquidationPreview, MarketState, Position } from "../types.js";
import { getMarket } from "./getMarket.js";
import { getOrders, type GetOrdersReturnType } from "./getOrders.js";

export interface GetPositionSummaryParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine" | "riskConfig" | "asset">;
  positionId: bigint;
  blockNumber?: bigint | undefined;
}

export interface GetPositionSummaryReturnType {
  positionId: bigint;
  position: Position;
  market: MarketState;
  /** The position's pending orders. */
  orders: GetOrdersReturnType;
  /**
   * What the vault holds: collateral, keeper reserve, pending orders' escrow and any donation. Payouts use the
   * recorded amounts only.
   */
  vaultBalance: bigint;
  /** 10^(18 − asset decimals). */
  scale: bigint;
  /** Capped pnl at the oracle price, asset units. */
  pnl: bigint;
  /** Borrow fee owed, asset units. */
  borrowFee: bigint;
  equity: bigint;
  maintenanceMargin: bigint;
  /** Equity / maintenance margin, WAD. */
  health: bigint;
  liquidationPrice: bigint;
  /** Whether `liquidate` would succeed in this block. */
  liquidatable: boolean;
  preview: LiquidationPreview;
}

export type GetPositionSummaryErrorType =
  PositionNotFoundError | PositionPendingError | ReadContractErrorType | DecodedRevert;

/**
 * An open position with its equity, health, liquidation price, liquidation preview and pending orders, computed
 * off-chain with the SDK's maths from state read at one block: the numbers the engine would use in that block.
 */
export async function getPositionSummary(
  client: ReadClient,
  { addresses, positionId, blockNumber: at }: GetPositionSummaryParameters,
): Promise<GetPositionSummaryReturnType> {
  const { blockNumber } = await resolveBlock(client, at);
  const position = await existingPosition(client, addresses, positionId, blockNumber);
  if (position.size === 0n) throw new PositionPendingError(positionId);
  let decimals: number;
  let vaultBalance: bigint;
  let market: MarketState;
  let orders: GetOrdersReturnType;
  try {
    [decimals, vaultBalance, market, orders] = await Promise.all([
      readContract(client, {
        address: addresses.asset,
        abi: settlementTokenAbi,
        functionName: "decimals",
        blockNumber,
      }),
      readContract(client, {
        address: addresses.asset,
        abi: settlementTokenAbi,
        functionName: "balanceOf",
        args: [position.vault],
        blockNumber,
      }),
      getMarket(client, { addresses, marketId: position.marketId, blockNumber }),
      getOrders(client, { addresses, positionId, blockNumber }),
    ]);
  } catch (error) {
    throw toBulkheadError(error);
  }
  const scale = scaleOf(decimals);
  const valuation = getPositionValuation({ position, market, scale });
  return {
    positionId,
    position,
    market,
    orders,
    vaultBalance,
    scale,
    pnl: valuation.pnl,
    borrowFee: valuation.borrowFee,
    equity: valuation.equity,
    maintenanceMargin: valuation.maintenanceMargin,
    health: health(valuation.equity, valuation.maintenanceMargin),
    liquidationPrice: getPositionLiquidationPrice({ position, market, scale }),
    liquidatable: isPositionLiquidatable({ position, market, scale }),
    preview: previewLiquidation({ position, market, scale, timestamp: market.timestamp }),
  };
}

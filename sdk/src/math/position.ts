/**
 * Position-level maths: a stored position valued against a market's state, exactly as the engine values it in the
 * same block (`EngineStorage._split`, `LiquidationModule._liquidate`; `BulkheadLens`). What an order's execution
 * would do is in ./orders.ts.
 */
import type { LiquidationPreview, MarketParams, MarketState, Position } from "../types.js";
import {
  borrowFee,
  equity,
  health,
  isLiquidatable,
  liquidationPrice,
  liquidationSplit,
  pnl,
  ratioOfNotionalDown,
  ratioOfNotionalUp,
  toInt256,
  type LiquidationSplit,
} from "./positionMath.js";

export interface PositionValuationParameters {
  position: Position;
  market: Pick<MarketState, "price" | "borrowIndexLong" | "borrowIndexShort"> & {
    params: Pick<MarketParams, "mmr" | "liqFeeRatio" | "liqPenaltyRatio" | "closeFeeRatio">;
  };
  /** 10^(18 − asset decimals); see `scaleOf`. */
  scale: bigint;
}

export interface PositionValuation {
  /** Capped pnl at the market price, asset units. */
  pnl: bigint;
  /** Borrow fee owed since the position was last settled, asset units. */
  borrowFee: bigint;
  equity: bigint;
  maintenanceMargin: bigint;
  /** Liquidatable by the margin test alone (see `previewLiquidation` for the grace period too). */
  isLiquidatable: boolean;
  split: LiquidationSplit;
}

function indexOf(market: PositionValuationParameters["market"], isLong: boolean): bigint {
  return isLong ? market.borrowIndexLong : market.borrowIndexShort;
}

/** The borrow fee a position owes at the market's borrow index. */
export function getOwedBorrowFee({ position, market, scale }: PositionValuationParameters): bigint {
  return borrowFee(position.size, position.entryPrice, indexOf(market, position.isLong) - position.borrowIndex, scale);
}

/** Equity, maintenance margin and liquidation split at the market price: the engine's `_split`. */
export function getPositionValuation(parameters: PositionValuationParameters): PositionValuation {
  const { position: p, market: m, scale } = parameters;
  const pnl_ = pnl(p.isLong, p.size, p.entryPrice, m.price, p.maxProfit, scale);
  const fees = getOwedBorrowFee(parameters);
  const equity_ = equity(p.collateral, pnl_, fees);
  const maintenanceMargin = ratioOfNotionalUp(p.size, m.price, m.params.mmr, scale);
  return {
    pnl: pnl_,
    borrowFee: fees,
    equity: equity_,
    maintenanceMargin,
    isLiquidatable: isLiquidatable(equity_, maintenanceMargin),
    split: liquidationSplit(
      p.collateral,
      pnl_,
      fees,
      ratioOfNotionalUp(p.size, m.price, m.params.closeFeeRatio, scale),
      ratioOfNotionalDown(p.size, m.price, m.params.liqFeeRatio, scale),
      ratioOfNotionalUp(p.size, m.price, m.params.liqPenaltyRatio, scale),
    ),
  };
}

/** Equity at the market price, asset units (`BulkheadLens.equity`). */
export function getPositionEquity(parameters: PositionValuationParameters): bigint {
  return getPositionValuation(parameters).equity;
}

/** Equity / maintenance margin, WAD; below 1e18 means liquidatable (`BulkheadLens.health`). */
export function getPositionHealth(parameters: PositionValuationParameters): bigint {
  const { equity: equity_, maintenanceMargin } = getPositionValuation(parameters);
  return health(equity_, maintenanceMargin);
}

/** The price at which the position becomes liquidatable, ignoring future fees (`BulkheadLens.liquidationPrice`). */
export function getPositionLiquidationPrice(parameters: PositionValuationParameters): bigint {
  const { position: p, market: m, scale } = parameters;
  const equityExPnl = toInt256(p.collateral) - toInt256(getOwedBorrowFee(parameters));
  return liquidationPrice(p.isLong, p.size, p.entryPrice, equityExPnl, m.params.mmr, scale);
}

export type PreviewLiquidationParameters = PositionValuationParameters & {
  market: PositionValuationParameters["market"] & Partial<Pick<MarketState, "liquidationResumesAt">>;
  /** Block time of the liquidation; with `market.liquidationResumesAt`, decides the post-outage grace period. */
  timestamp?: bigint | undefined;
};

/**
 * What liquidating the position would pay each party, as the engine's `PositionLiquidated` event reports it
 * (`LiquidationModule._liquidate`): recorded amounts only, so the keeper gets the position's recorded keeper reserve
 * plus the liquidation fee whatever the vault holds beyond them (an order's escrow is refunded, a donation swept).
 * `liquidatable` also requires the post-outage grace period to be over when `market.liquidationResumesAt` and
 * `timestamp` are given.
 */
export function previewLiquidation(parameters: PreviewLiquidationParameters): LiquidationPreview {
  const { position: p, market: m } = parameters;
  const valuation = getPositionValuation(parameters);
  const inGrace =
    m.liquidationResumesAt !== undefined &&
    parameters.timestamp !== undefined &&
    m.liquidationResumesAt > parameters.timestamp;
  return {
    liquidatable: valuation.isLiquidatable && !inGrace,
    equity: valuation.equity,
    maintenanceMargin: valuation.maintenanceMargin,
    keeperReward: p.keeperReserve + valuation.split.keeperFee,
    penalty: valuation.split.penalty,
    ownerRefund: valuation.split.ownerRefund,
    badDebt: valuation.split.badDebt,
    price: m.price,
    closeFee: valuation.split.closeFee,
  };
}

/**
 * Whether `liquidate` would succeed at `market.timestamp` (`BulkheadLens.liquidatable` for one id): the position is
 * open (its open order executed), under maintenance, and the market is out of its post-outage grace period.
 */
export function isPositionLiquidatable(
  parameters: PositionValuationParameters & { market: Pick<MarketState, "liquidationResumesAt" | "timestamp"> },
): boolean {
  const { position, market } = parameters;
  if (position.owner === "0x0000000000000000000000000000000000000000" || position.size === 0n) return false;
  if (market.liquidationResumesAt > market.timestamp) return false;
  return getPositionValuation(parameters).isLiquidatable;
}

/** A side's borrow index `elapsed` seconds later at `rate` (WAD per second): the engine accrues linearly. */
export function accrueBorrowIndex(index: bigint, rate: bigint, elapsed: bigint): bigint {
  return index + rate * elapsed;
}

/** The fee an open or increase of `size` at `price` pays (`ratioOfNotionalUp(size, price, openFeeRatio)`). */
export function getOpenFee({
  size,
  price,
  openFeeRatio,
  scale,
}: {
  size: bigint;
  price: bigint;
  openFeeRatio: bigint;
  scale: bigint;
}): bigint {
  return ratioOfNotionalUp(size, price, openFeeRatio, scale);
}

/** The fee a decrease or close of `size` at `price` pays. */
export function getCloseFee({
  size,
  price,
  closeFeeRatio,
  scale,
}: {
  size: bigint;
  price: bigint;
  closeFeeRatio: bigint;
  scale: bigint;
}): bigint {
  return ratioOfNotionalUp(size, price, closeFeeRatio, scale);
}

/** The initial margin a position of `size` needs at `price` (`ratioOfNotionalUp(size, price, imr)`). */
export function getInitialMargin({
  size,
  price,
  imr,
  scale,
}: {
  size: bigint;
  price: bigint;
  imr: bigint;
  scale: bigint;
}): bigint {
  return ratioOfNotionalUp(size, price, imr, scale);
}

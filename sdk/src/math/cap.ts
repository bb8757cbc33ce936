/**
 * Profit caps, as the engine sets them (`EngineStorage._capOf` and its callers): a position can never be owed more
 * than the lower of `maxProfitRatio × collateral` and `maxProfitNotionalRatio × notional`. On an increase the cap
 * grows only by what the increase brings (the cap is sticky: `previewIncrease`); a decrease keeps `ceil(cap × rest /
 * size)` (`capKeptAfterDecrease`); a margin removal lowers it to `maxProfitRatio × the collateral left`
 * (`capAfterRemoveMargin`). And a position at its cap is taken at it (`isAtCap`, `previewTakeProfit`).
 */
import { zeroAddress } from "viem";

import type { MarketParams, Position } from "../types.js";
import {
  borrowFee,
  MAX_UINT256,
  mulDiv,
  pnl,
  ratioOfNotionalDown,
  ratioOfNotionalUp,
  toInt256,
  WAD,
} from "./positionMath.js";

/**
 * The profit cap that `collateral` and `size` bring at `price` (`EngineStorage._capOf`): the lower of
 * maxProfitRatio × collateral and maxProfitNotionalRatio × notional, asset units, rounded down (paid to the trader).
 */
export function capOf(
  collateral: bigint,
  size: bigint,
  price: bigint,
  maxProfitRatio: bigint,
  maxProfitNotionalRatio: bigint,
  scale: bigint,
): bigint {
  const byCollateral = mulDiv(collateral, maxProfitRatio, WAD);
  const byNotional = ratioOfNotionalDown(size, price, maxProfitNotionalRatio, scale);
  return byCollateral < byNotional ? byCollateral : byNotional;
}

type CapParams = Pick<MarketParams, "maxProfitRatio" | "maxProfitNotionalRatio">;

/** A new position's cap (`OrderModule._executeOpen`): `capOf(collateral after the opening fee, size, price)`. */
export function getCapAtOpen({
  collateral,
  size,
  price,
  params,
  scale,
}: {
  /** Collateral after the opening fee, asset units. */
  collateral: bigint;
  size: bigint;
  price: bigint;
  params: CapParams;
  scale: bigint;
}): bigint {
  return capOf(collateral, size, price, params.maxProfitRatio, params.maxProfitNotionalRatio, scale);
}

/**
 * Whether `takeProfit` would close the position at `price` (`BulkheadLens.atCap` for one id): its uncapped pnl is at
 * least its cap. A position not open (closed, or its open order pending) is never at its cap.
 */
export function isAtCap({
  position,
  price,
  scale,
}: {
  position: Pick<Position, "owner" | "isLong" | "size" | "entryPrice" | "maxProfit">;
  price: bigint;
  scale: bigint;
}): boolean {
  if (position.owner === zeroAddress || position.size === 0n) return false;
  const p = position;
  return pnl(p.isLong, p.size, p.entryPrice, price, MAX_UINT256, scale) >= toInt256(p.maxProfit);
}

/** What `takeProfit` pays, asset units, as the `ProfitTaken` event reports it (`LiquidationModule._takeProfit`). */
export interface TakeProfitPreview {
  /** The cap, paid in full. */
  profit: bigint;
  /** Borrow fee owed plus the closing fee at the price. */
  fees: bigint;
  /** Owed to the owner: collateral + cap − fees (at least nothing beyond the collateral is taken). */
  payout: bigint;
  /** The position's recorded keeper reserve, paid to the executor. */
  keeperReward: bigint;
  /** Fees beyond cap and collateral. */
  badDebt: bigint;
  /** Paid by the pool. */
  fromPool: bigint;
  /** Moved from the vault to the pool. */
  toPool: bigint;
}

/**
 * What closing the position at its cap would pay at `market.price` (valid when `isAtCap`): recorded amounts only, so a
 * pending order's escrow (refunded first) and any donation change nothing.
 */
export function previewTakeProfit({
  position: p,
  market,
  scale,
}: {
  position: Pick<
    Position,
    "isLong" | "size" | "entryPrice" | "borrowIndex" | "collateral" | "maxProfit" | "keeperReserve"
  >;
  market: {
    price: bigint;
    borrowIndexLong: bigint;
    borrowIndexShort: bigint;
    params: Pick<MarketParams, "closeFeeRatio">;
  };
  scale: bigint;
}): TakeProfitPreview {
  const index = p.isLong ? market.borrowIndexLong : market.borrowIndexShort;
  const fees =
    borrowFee(p.size, p.entryPrice, index - p.borrowIndex, scale) +
    ratioOfNotionalUp(p.size, market.price, market.params.closeFeeRatio, scale);
  let toPool = 0n;
  let badDebt = 0n;
  let fromPool = 0n;
  if (fees > p.maxProfit) {
    const owed = fees - p.maxProfit;
    toPool = owed < p.collateral ? owed : p.collateral;
    badDebt = owed - toPool;
  } else {
    fromPool = p.maxProfit - fees;
  }
  return {
    profit: p.maxProfit,
    fees,
    payout: p.collateral + fromPool - toPool,
    keeperReward: p.keeperReserve,
    badDebt,
    fromPool,
    toPool,
  };
}

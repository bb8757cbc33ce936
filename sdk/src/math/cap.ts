/**
 * Profit caps, as the engine sets them (`MarginEngine._capOf` and its callers): a position can never be owed more
 * than the lower of `maxProfitRatio × collateral` and `maxProfitNotionalRatio × notional`. On an increase the cap
 * grows only by what the increase brings (the cap is sticky): the old cap is kept, not recomputed.
 */
import { zeroAddress } from "viem";

import type { MarketParams, Position } from "../types.js";
import {
  borrowFee,
  entryAfterIncrease,
  MAX_UINT256,
  mulDiv,
  pnl,
  ratioOfNotionalDown,
  ratioOfNotionalUp,
  toInt256,
  WAD,
} from "./positionMath.js";

/**
 * The profit cap that `collateral` and `size` bring at `price` (`MarginEngine._capOf`): the lower of
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

/** A new position's cap (`openPosition`): `capOf(collateral, size, price)`. */
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

/** What an increase makes of the position's cap and entry price (`MarginEngine._increased`). */
export interface IncreasePreview {
  /** The old cap plus `capOf(collateralDelta, sizeDelta, price)`: the cap is sticky. */
  maxProfit: bigint;
  /** `entryAfterIncrease`: the weighted average, or the entry that puts the pnl at `price` at the old cap. */
  entryPrice: bigint;
  size: bigint;
  collateral: bigint;
}

/**
 * The position after an increase of `sizeDelta` with `collateralDelta` more collateral (after the opening fee) at
 * `price`: the cap grows only by what the increase brings, and profit beyond the old cap is not carried into the
 * new entry price.
 */
export function previewIncrease({
  position,
  sizeDelta,
  collateralDelta,
  price,
  params,
  scale,
}: {
  position: { isLong: boolean; size: bigint; entryPrice: bigint; collateral: bigint; maxProfit: bigint };
  sizeDelta: bigint;
  collateralDelta: bigint;
  price: bigint;
  params: CapParams;
  scale: bigint;
}): IncreasePreview {
  const p = position;
  return {
    maxProfit:
      p.maxProfit +
      capOf(collateralDelta, sizeDelta, price, params.maxProfitRatio, params.maxProfitNotionalRatio, scale),
    entryPrice: entryAfterIncrease(p.isLong, p.size, p.entryPrice, sizeDelta, price, p.maxProfit, scale),
    size: p.size + sizeDelta,
    collateral: p.collateral + collateralDelta,
  };
}

/**
 * Whether `takeProfit` would close the position at `price` (`BulkheadLens.atCap` for one id): its uncapped pnl is at
 * least its cap. A closed position (zero owner) is never at its cap.
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
  if (position.owner === zeroAddress) return false;
  const p = position;
  return pnl(p.isLong, p.size, p.entryPrice, price, MAX_UINT256, scale) >= toInt256(p.maxProfit);
}

/** What `takeProfit` pays, asset units, as the `ProfitTaken` event reports it (`MarginEngine._takeProfit`). */
export interface TakeProfitPreview {
  /** The cap, paid in full. */
  profit: bigint;
  /** Borrow fee owed plus the closing fee at the price. */
  fees: bigint;
  /** Owed to the owner: collateral + cap − fees (at least nothing beyond the collateral is taken). */
  payout: bigint;
  /** Everything the vault holds beyond the collateral (the keeper reserve and any donation). */
  keeperReward: bigint;
  /** Fees beyond cap and collateral. */
  badDebt: bigint;
  /** Paid by the pool. */
  fromPool: bigint;
  /** Moved from the vault to the pool. */
  toPool: bigint;
}

/**
 * What closing the position at its cap would pay at `market.price` (valid when `isAtCap`). `vaultBalance` is what the
 * vault holds (collateral + keeper reserve + any donation).
 */
export function previewTakeProfit({
  position: p,
  market,
  scale,
  vaultBalance,
}: {
  position: Pick<Position, "isLong" | "size" | "entryPrice" | "borrowIndex" | "collateral" | "maxProfit">;
  market: {
    price: bigint;
    borrowIndexLong: bigint;
    borrowIndexShort: bigint;
    params: Pick<MarketParams, "closeFeeRatio">;
  };
  scale: bigint;
  vaultBalance: bigint;
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
    keeperReward: vaultBalance - p.collateral,
    badDebt,
    fromPool,
    toPool,
  };
}

/**
 * The contracts' position maths (contracts/libraries/PositionMath.sol), in bigint, name for name and rounding for
 * rounding. Where Solidity would revert (checked-arithmetic overflow, a division by zero, a failed SafeCast) these
 * throw a `PositionMathError`.
 *
 * Units: `size` index tokens (WAD), prices USD per index token (WAD), notionals USD (WAD), ratios WAD, asset amounts
 * in the settlement token's units; `scale` = 10^(18 − asset decimals) converts USD WAD to asset units.
 */
import { PositionMathError } from "../errors/sdk.js";

/** 1e18 fixed point. */
export const WAD = 10n ** 18n;
export const MAX_UINT256 = 2n ** 256n - 1n;
export const MAX_INT256 = 2n ** 255n - 1n;
export const MIN_INT256 = -(2n ** 255n);

/** OpenZeppelin's `Math.Rounding`, restricted to the two directions the contracts use. */
export type Rounding = "floor" | "ceil";

function uint(value: bigint, what: string): bigint {
  if (value < 0n || value > MAX_UINT256)
    throw new PositionMathError("out of range", `${what} = ${value} is not a uint256`);
  return value;
}

function int(value: bigint, what: string): bigint {
  if (value < MIN_INT256 || value > MAX_INT256)
    throw new PositionMathError("overflow", `${what} = ${value} overflows int256`);
  return value;
}

/** SafeCast.toInt256. */
export function toInt256(value: bigint): bigint {
  uint(value, "toInt256 input");
  if (value > MAX_INT256) throw new PositionMathError("out of range", `${value} does not fit an int256`);
  return value;
}

/** OpenZeppelin `Math.mulDiv(x, y, denominator, rounding)`: reverts on a zero denominator or a result above 2^256 − 1. */
export function mulDiv(x: bigint, y: bigint, denominator: bigint, rounding: Rounding = "floor"): bigint {
  uint(x, "mulDiv x");
  uint(y, "mulDiv y");
  uint(denominator, "mulDiv denominator");
  if (denominator === 0n) throw new PositionMathError("division by zero", `mulDiv(${x}, ${y}, 0)`);
  const product = x * y;
  let result = product / denominator;
  if (rounding === "ceil" && product % denominator !== 0n) result += 1n;
  if (result > MAX_UINT256) throw new PositionMathError("overflow", `mulDiv(${x}, ${y}, ${denominator}) > 2^256 - 1`);
  return result;
}

/** OpenZeppelin `Math.ceilDiv(a, b)`. */
export function ceilDiv(a: bigint, b: bigint): bigint {
  uint(a, "ceilDiv a");
  uint(b, "ceilDiv b");
  if (b === 0n) throw new PositionMathError("division by zero", `ceilDiv(${a}, 0)`);
  return a === 0n ? 0n : (a - 1n) / b + 1n;
}

/** 10^(18 − decimals): USD WAD per asset unit, as the contracts' `SCALE`. */
export function scaleOf(assetDecimals: number | bigint): bigint {
  const decimals = BigInt(assetDecimals);
  if (decimals < 0n || decimals > 18n) throw new PositionMathError("out of range", `asset decimals ${decimals}`);
  return 10n ** (18n - decimals);
}

/** What a liquidation pays, asset units. `toPool` comes out of the vault; `fromPool` is paid by the pool. */
export interface LiquidationSplit {
  closeFee: bigint;
  keeperFee: bigint;
  penalty: bigint;
  ownerRefund: bigint;
  badDebt: bigint;
  toPool: bigint;
  fromPool: bigint;
}

/** size × price, rounded up. */
export function notionalUp(size: bigint, price: bigint): bigint {
  return mulDiv(size, price, WAD, "ceil");
}

/** size × price, rounded down. */
export function notionalDown(size: bigint, price: bigint): bigint {
  return mulDiv(size, price, WAD);
}

/** USD WAD to asset units, rounded down (for amounts paid to a trader). */
export function toAssetsDown(usd: bigint, scale: bigint): bigint {
  uint(usd, "usd");
  uint(scale, "scale");
  if (scale === 0n) throw new PositionMathError("division by zero", "toAssetsDown with scale 0");
  return usd / scale;
}

/** USD WAD to asset units, rounded up (for amounts a trader owes). */
export function toAssetsUp(usd: bigint, scale: bigint): bigint {
  return ceilDiv(usd, scale);
}

/** Unrealised pnl, asset units: gains rounded down and capped at `maxProfit`, losses rounded up. */
export function pnl(
  isLong: boolean,
  size: bigint,
  entryPrice: bigint,
  price: bigint,
  maxProfit: bigint,
  scale: bigint,
): bigint {
  uint(entryPrice, "entryPrice");
  uint(price, "price");
  const gain = isLong ? price > entryPrice : price < entryPrice;
  const diff = price > entryPrice ? price - entryPrice : entryPrice - price;
  if (gain) {
    const profit = toAssetsDown(mulDiv(size, diff, WAD), scale);
    return toInt256(profit < maxProfit ? profit : maxProfit);
  }
  return -toInt256(toAssetsUp(mulDiv(size, diff, WAD, "ceil"), scale));
}

/** Borrow fee owed: entry notional × index growth, asset units, rounded up. */
export function borrowFee(size: bigint, entryPrice: bigint, indexDelta: bigint, scale: bigint): bigint {
  if (uint(indexDelta, "indexDelta") === 0n) return 0n;
  return toAssetsUp(mulDiv(notionalUp(size, entryPrice), indexDelta, WAD, "ceil"), scale);
}

/** ratio × size × price in asset units, rounded up: a margin requirement or a fee owed. */
export function ratioOfNotionalUp(size: bigint, price: bigint, ratio: bigint, scale: bigint): bigint {
  return toAssetsUp(mulDiv(notionalUp(size, price), ratio, WAD, "ceil"), scale);
}

/** ratio × size × price in asset units, rounded down: a reward paid out. */
export function ratioOfNotionalDown(size: bigint, price: bigint, ratio: bigint, scale: bigint): bigint {
  return toAssetsDown(mulDiv(notionalDown(size, price), ratio, WAD), scale);
}

/** collateral + pnl − fees. */
export function equity(collateral: bigint, pnl_: bigint, fees: bigint): bigint {
  return int(toInt256(collateral) + int(pnl_, "pnl") - toInt256(fees), "equity");
}

/** Liquidatable iff equity < maintenance margin. */
export function isLiquidatable(equity_: bigint, maintenanceMargin: bigint): boolean {
  return int(equity_, "equity") < toInt256(maintenanceMargin);
}

/** equity / maintenance, WAD, rounded down; zero when equity is not positive. */
export function health(equity_: bigint, maintenanceMargin: bigint): bigint {
  if (int(equity_, "equity") <= 0n) return 0n;
  return mulDiv(equity_, WAD, maintenanceMargin);
}

/**
 * Splits a liquidated position's collateral. A liquidation closes the position, so the closing fee is owed as on a
 * close; out of the equity then come, each capped by what is left, the closing fee (to the pool), the keeper fee, the
 * penalty (to the insurance fund), and the rest to the owner. The keeper reserve is paid on top, from the vault.
 * @param collateral Recorded collateral.
 * @param pnl_ Capped pnl (see `pnl`).
 * @param fees Owed borrow fee.
 * @param closeFee closeFeeRatio × notional, rounded up.
 * @param keeperFee liqFeeRatio × notional, rounded down.
 * @param penalty liqPenaltyRatio × notional, rounded up.
 */
export function liquidationSplit(
  collateral: bigint,
  pnl_: bigint,
  fees: bigint,
  closeFee: bigint,
  keeperFee: bigint,
  penalty: bigint,
): LiquidationSplit {
  const split: LiquidationSplit = {
    closeFee: 0n,
    keeperFee: 0n,
    penalty: 0n,
    ownerRefund: 0n,
    badDebt: 0n,
    toPool: 0n,
    fromPool: 0n,
  };
  const settlement = int(int(pnl_, "pnl") - toInt256(fees), "settlement");
  const equity_ = int(toInt256(collateral) + settlement, "equity");
  uint(closeFee, "closeFee");
  uint(keeperFee, "keeperFee");
  uint(penalty, "penalty");
  if (equity_ < 0n) {
    // The whole collateral goes to the pool; the rest of what the position owes is bad debt.
    split.toPool = collateral;
    split.badDebt = -equity_;
    return split;
  }
  let left = equity_;
  split.closeFee = closeFee < left ? closeFee : left;
  left -= split.closeFee;
  split.keeperFee = keeperFee < left ? keeperFee : left;
  left -= split.keeperFee;
  split.penalty = penalty < left ? penalty : left;
  split.ownerRefund = left - split.penalty;
  // The pool's side: the settlement, less the closing fee it keeps.
  const poolFlow = settlement - split.closeFee;
  if (poolFlow < 0n) split.toPool = -poolFlow;
  else split.fromPool = poolFlow;
  return split;
}

/**
 * Weighted entry price after adding `sizeDelta` at `price`, rounded against the trader (up for a long, down for a
 * short).
 */
export function averageEntryPrice(
  isLong: boolean,
  size: bigint,
  entryPrice: bigint,
  sizeDelta: bigint,
  price: bigint,
): bigint {
  const newSize = uint(size + sizeDelta, "size + sizeDelta");
  if (isLong) {
    return mulDiv(
      uint(notionalUp(size, entryPrice) + notionalUp(sizeDelta, price), "entry notional"),
      WAD,
      newSize,
      "ceil",
    );
  }
  return mulDiv(uint(notionalDown(size, entryPrice) + notionalDown(sizeDelta, price), "entry notional"), WAD, newSize);
}

/**
 * The price at which equity equals the maintenance margin, ignoring the profit cap, future fees and rounding of the
 * margin; rounded towards earlier liquidation (up for a long, down for a short). Zero if a long stays solvent at any
 * positive price.
 * @param equityExPnl collateral − owed fees, asset units.
 */
export function liquidationPrice(
  isLong: boolean,
  size: bigint,
  entryPrice: bigint,
  equityExPnl: bigint,
  mmr: bigint,
  scale: bigint,
): bigint {
  const buffer = int(int(equityExPnl, "equityExPnl") * toInt256(scale), "buffer");
  if (isLong) {
    // C + size·(p − e) = m·size·p  ⇒  p = (size·e − C) / (size·(1 − m)); entry notional and quotient rounded up.
    const numerator = int(toInt256(notionalUp(size, entryPrice)) - buffer, "numerator");
    if (numerator <= 0n || size === 0n) return 0n;
    return mulDiv(numerator, WAD * WAD, size * uint(WAD - mmr, "WAD - mmr"), "ceil");
  }
  // C + size·(e − p) = m·size·p  ⇒  p = (size·e + C) / (size·(1 + m)); entry notional and quotient rounded down.
  const numeratorShort = int(toInt256(notionalDown(size, entryPrice)) + buffer, "numerator");
  if (numeratorShort <= 0n || size === 0n) return 0n;
  return mulDiv(numeratorShort, WAD * WAD, size * uint(WAD + mmr, "WAD + mmr"));
}

/**
 * The price at which a position's unrealised profit reaches its cap (`pnl`, uncapped, equals `maxProfit` from here
 * on): `e + cap/size` for a long, `e − cap/size` for a short, the distance rounded up, so that any price beyond it lets
 * the position be taken at its cap. Zero for a short that cannot reach its cap at a positive price.
 */
export function capPrice(isLong: boolean, size: bigint, entryPrice: bigint, maxProfit: bigint, scale: bigint): bigint {
  const distance = mulDiv(maxProfit * scale, WAD, size, "ceil");
  if (isLong) return entryPrice + distance;
  return distance < entryPrice ? entryPrice - distance : 0n;
}

/**
 * The price at which a position's loss equals its collateral, fees left out (they only move it closer):
 * `e − C/size` for a long, `e + C/size` for a short, the distance rounded down. Zero for a long whose collateral
 * covers any fall to a positive price.
 */
export function bankruptcyPrice(
  isLong: boolean,
  size: bigint,
  entryPrice: bigint,
  collateral: bigint,
  scale: bigint,
): bigint {
  const distance = mulDiv(collateral * scale, WAD, size);
  if (!isLong) return entryPrice + distance;
  return distance < entryPrice ? entryPrice - distance : 0n;
}

/**
 * Entry price after adding `sizeDelta` at `price`. While the position's pnl at `price` exceeds its cap, the entry is
 * set so that the new position's pnl at `price` equals the cap (profit beyond the cap is never carried into the larger
 * position): for a long `e' = P − cap / size'`, for a short `e' = P + cap / size'`, rounded against the trader.
 * Otherwise the weighted average (`averageEntryPrice`).
 * @param maxProfit The position's cap before the increase, asset units.
 */
export function entryAfterIncrease(
  isLong: boolean,
  size: bigint,
  entryPrice: bigint,
  sizeDelta: bigint,
  price: bigint,
  maxProfit: bigint,
  scale: bigint,
): bigint {
  uint(entryPrice, "entryPrice");
  uint(price, "price");
  uint(maxProfit, "maxProfit");
  const uncappedGain = isLong
    ? price > entryPrice
      ? toAssetsDown(mulDiv(size, price - entryPrice, WAD), scale)
      : 0n
    : price < entryPrice
      ? toAssetsDown(mulDiv(size, entryPrice - price, WAD), scale)
      : 0n;
  if (uncappedGain <= maxProfit) return averageEntryPrice(isLong, size, entryPrice, sizeDelta, price);
  const newSize = uint(size + sizeDelta, "size + sizeDelta");
  const capUsd = uint(maxProfit * scale, "maxProfit * scale");
  if (isLong) {
    // A higher entry is worse for a long: the offset rounds down.
    return uint(price - mulDiv(capUsd, WAD, newSize), "price - offset");
  }
  // A higher entry is better for a short: the offset rounds down too.
  return uint(price + mulDiv(capUsd, WAD, newSize), "price + offset");
}

/**
 * What the tests expect, computed in bigint from the rules in SPEC §1 ("losses and fees round up, gains round down")
 * and the NatSpec of the interfaces, written here without looking at how the contracts get there. Every function
 * says its rounding. Amounts are asset units unless a name says USD WAD.
 */
import { SCALE, WAD } from "./fixture.js";

/** a × b / d, rounded down (non-negative operands). */
export function mulDivDown(a: bigint, b: bigint, d: bigint): bigint {
  return (a * b) / d;
}

/** a × b / d, rounded up (non-negative operands). */
export function mulDivUp(a: bigint, b: bigint, d: bigint): bigint {
  const product = a * b;
  return product === 0n ? 0n : (product - 1n) / d + 1n;
}

/** USD WAD → asset units, down: what a trader is paid. */
export function assetsDown(usdWad: bigint): bigint {
  return usdWad / SCALE;
}

/** USD WAD → asset units, up: what a trader owes. */
export function assetsUp(usdWad: bigint): bigint {
  return mulDivUp(usdWad, 1n, SCALE);
}

/** Notional, USD WAD, rounded up (the engine's entry notional and everything a fee or margin is based on). */
export function notionalUp(size: bigint, price: bigint): bigint {
  return mulDivUp(size, price, WAD);
}

/** Notional, USD WAD, rounded down (the base of a reward). */
export function notionalDown(size: bigint, price: bigint): bigint {
  return mulDivDown(size, price, WAD);
}

/** A fee or margin requirement: ratio × notional, rounded up at every step. */
export function owedOnNotional(size: bigint, price: bigint, ratio: bigint): bigint {
  return assetsUp(mulDivUp(notionalUp(size, price), ratio, WAD));
}

/** A reward: ratio × notional, rounded down at every step. */
export function paidOnNotional(size: bigint, price: bigint, ratio: bigint): bigint {
  return assetsDown(mulDivDown(notionalDown(size, price), ratio, WAD));
}

/** Pnl: a gain rounded down and capped at `maxProfit`; a loss rounded up. */
export function pnlOf(isLong: boolean, size: bigint, entryPrice: bigint, price: bigint, maxProfit: bigint): bigint {
  const move = price - entryPrice;
  const gain = isLong ? move > 0n : move < 0n;
  const diff = move < 0n ? -move : move;
  if (gain) {
    const profit = assetsDown(mulDivDown(size, diff, WAD));
    return profit < maxProfit ? profit : maxProfit;
  }
  return -assetsUp(mulDivUp(size, diff, WAD));
}

/** Borrow fee on the entry notional for an index growth of `indexDelta` (rate × seconds), rounded up. */
export function borrowFeeOf(size: bigint, entryPrice: bigint, indexDelta: bigint): bigint {
  return assetsUp(mulDivUp(notionalUp(size, entryPrice), indexDelta, WAD));
}

/** Average entry price after adding to a position: rounded against the trader (up for a long, down for a short). */
export function averageEntry(
  isLong: boolean,
  size: bigint,
  entryPrice: bigint,
  sizeDelta: bigint,
  price: bigint,
): bigint {
  const total = size + sizeDelta;
  if (isLong) return mulDivUp(notionalUp(size, entryPrice) + notionalUp(sizeDelta, price), WAD, total);
  return mulDivDown(notionalDown(size, entryPrice) + notionalDown(sizeDelta, price), WAD, total);
}

export interface ExpectedLiquidation {
  equity: bigint;
  maintenance: bigint;
  liquidatable: boolean;
  /** The position's recorded keeper reserve plus the liquidation fee. */
  keeperReward: bigint;
  penalty: bigint;
  ownerRefund: bigint;
  badDebt: bigint;
  /** Closing fee kept by the pool. */
  closeFee: bigint;
  /** Vault → pool. */
  toPool: bigint;
  /** Pool → vault (a position liquidated while in profit). */
  fromPool: bigint;
}

/**
 * SPEC §1 "Liquidate": close at the oracle price (so the closing fee is owed, as on a close), then from the recorded
 * collateral keeper fee, then penalty (each capped), then owner; the keeper reserve the position recorded goes to the
 * keeper on top, bad debt included (rule 7). Nothing else in the vault (an order's escrow, a donation) is paid out.
 */
export function expectedLiquidation(args: {
  isLong: boolean;
  size: bigint;
  entryPrice: bigint;
  price: bigint;
  collateral: bigint;
  maxProfit: bigint;
  borrowIndexDelta: bigint;
  keeperReserve: bigint;
  mmr: bigint;
  liqFeeRatio: bigint;
  liqPenaltyRatio: bigint;
  closeFeeRatio: bigint;
}): ExpectedLiquidation {
  const pnl = pnlOf(args.isLong, args.size, args.entryPrice, args.price, args.maxProfit);
  const fees = borrowFeeOf(args.size, args.entryPrice, args.borrowIndexDelta);
  const settlement = pnl - fees;
  const equity = args.collateral + settlement;
  const maintenance = owedOnNotional(args.size, args.price, args.mmr);
  const base = { equity, maintenance, liquidatable: equity < maintenance };
  if (equity < 0n) {
    return {
      ...base,
      keeperReward: args.keeperReserve,
      penalty: 0n,
      ownerRefund: 0n,
      badDebt: -equity,
      closeFee: 0n,
      toPool: args.collateral,
      fromPool: 0n,
    };
  }
  const closeFeeDue = owedOnNotional(args.size, args.price, args.closeFeeRatio);
  const closeFee = closeFeeDue < equity ? closeFeeDue : equity;
  const fee = paidOnNotional(args.size, args.price, args.liqFeeRatio);
  const afterCloseFee = equity - closeFee;
  const keeperFee = fee < afterCloseFee ? fee : afterCloseFee;
  const penaltyDue = owedOnNotional(args.size, args.price, args.liqPenaltyRatio);
  const left = afterCloseFee - keeperFee;
  const penalty = penaltyDue < left ? penaltyDue : left;
  const poolFlow = settlement - closeFee;
  return {
    ...base,
    keeperReward: args.keeperReserve + keeperFee,
    penalty,
    ownerRefund: left - penalty,
    badDebt: 0n,
    closeFee,
    toPool: poolFlow < 0n ? -poolFlow : 0n,
    fromPool: poolFlow > 0n ? poolFlow : 0n,
  };
}

export interface ExpectedClose {
  pnl: bigint;
  /** Borrow fee plus the closing fee paid. */
  fees: bigint;
  /** What the receiver gets: what is left after the loss, fees and closing fee, plus the keeper reserve. */
  payout: bigint;
  /** Loss and borrow fee beyond the collateral; the closing fee is never part of it (SPEC rule 7). */
  badDebt: bigint;
  /** Vault → pool. */
  toPool: bigint;
  /** Pool → vault. */
  fromPool: bigint;
}

/**
 * SPEC §1 "close" and rule 7: the pnl and borrow fee are settled; a deficit beyond the collateral is bad debt (covered
 * by the insurance fund, then the pool), and the closing fee is owed only out of what is left, never as bad debt. The
 * keeper reserve goes back to the receiver.
 */
export function expectedClose(args: {
  isLong: boolean;
  size: bigint;
  entryPrice: bigint;
  price: bigint;
  collateral: bigint;
  maxProfit: bigint;
  borrowIndexDelta: bigint;
  keeperReserve: bigint;
  closeFeeRatio: bigint;
}): ExpectedClose {
  const pnl = pnlOf(args.isLong, args.size, args.entryPrice, args.price, args.maxProfit);
  const borrowFee = borrowFeeOf(args.size, args.entryPrice, args.borrowIndexDelta);
  const equity = args.collateral + pnl - borrowFee;
  if (equity < 0n) {
    return {
      pnl,
      fees: borrowFee,
      payout: args.keeperReserve,
      badDebt: -equity,
      toPool: args.collateral,
      fromPool: 0n,
    };
  }
  const due = owedOnNotional(args.size, args.price, args.closeFeeRatio);
  const closeFee = due < equity ? due : equity;
  const poolFlow = pnl - borrowFee - closeFee;
  return {
    pnl,
    fees: borrowFee + closeFee,
    payout: equity - closeFee + args.keeperReserve,
    badDebt: 0n,
    toPool: poolFlow < 0n ? -poolFlow : 0n,
    fromPool: poolFlow > 0n ? poolFlow : 0n,
  };
}

/**
 * Profit cap at open, asset units: the smaller of `maxProfitRatio` × collateral and `maxProfitNotionalRatio` × entry
 * notional, each rounded down (a cap is something the pool pays).
 */
export function capAtOpen(
  collateral: bigint,
  size: bigint,
  price: bigint,
  params: { maxProfitRatio: bigint; maxProfitNotionalRatio: bigint },
): bigint {
  const byCollateral = mulDivDown(collateral, params.maxProfitRatio, WAD);
  const byNotional = assetsDown(mulDivDown(notionalDown(size, price), params.maxProfitNotionalRatio, WAD));
  return byCollateral < byNotional ? byCollateral : byNotional;
}

/**
 * One market side's claim on the pool, USD WAD (SPEC invariant 7): `max(min(Σpnl, Σcap) − Σfees, −Σcollateral)`,
 * where Σpnl is the side's unrealised pnl on its aggregates (gains up, losses down: against the pool) and Σfees the
 * accrued borrow fees `index × Σentry notional − feeDebt` (rounded down).
 */
export function sideClaimOf(
  isLong: boolean,
  side: { openInterest: bigint; entryNotional: bigint; collateral: bigint; maxProfit: bigint; feeDebt: bigint },
  price: bigint,
  index: bigint,
): bigint {
  const pnl = isLong
    ? mulDivUp(side.openInterest, price, WAD) - side.entryNotional
    : side.entryNotional - mulDivDown(side.openInterest, price, WAD);
  const cap = side.maxProfit * SCALE;
  const accrued = mulDivDown(index, side.entryNotional, WAD);
  const fees = accrued > side.feeDebt ? accrued - side.feeDebt : 0n;
  const claim = (pnl < cap ? pnl : cap) - fees;
  const floor = -side.collateral * SCALE;
  return claim < floor ? floor : claim;
}

/** The sum of side claims, USD WAD, in asset units: a debt of the pool rounded up, a credit rounded down. */
export function claimInAssets(claimUsdWad: bigint): bigint {
  return claimUsdWad >= 0n ? assetsUp(claimUsdWad) : -assetsDown(-claimUsdWad);
}

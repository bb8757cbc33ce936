/**
 * What executing an order would do, exactly as the engine's order module does it at a price (contracts/engine/
 * OrderModule.sol, `_executeOpen`, `_executeIncrease`, `_executeDecrease`, `_executeClose`), and what a margin removal
 * would do (`MarginEngine.removeMargin`): the amounts each event reports, the position after, and whether the order
 * would be cancelled at that price for a reason decided by the position alone (`PriceBound`, `Margin`). Capacity
 * (open-interest caps, the pool's reservations and utilisation) depends on every other position and is not checked.
 *
 * Every fee is taken from collateral or payout at execution: the opening fee from the escrowed collateral, the
 * closing fee from what the close pays. A close with bad debt uses the liquidation split without keeper fee or
 * penalty, and an unpaid closing fee is not bad debt.
 */
import type { GlobalParams, MarketParams, Position } from "../types.js";
import { capOf } from "./cap.js";
import {
  borrowFee,
  entryAfterIncrease,
  equity,
  isLiquidatable,
  liquidationSplit,
  mulDiv,
  notionalDown,
  pnl,
  ratioOfNotionalUp,
  toAssetsDown,
  toInt256,
  WAD,
} from "./positionMath.js";

/** Why an execution at a price would cancel the order, where the position alone decides (`CancelReason`). */
export type ExecutionFailure = "PriceBound" | "Margin";

/** The market at an execution: the execution price (the round's answer) and the side's borrow indices then. */
export interface ExecutionMarket {
  /** The execution round's answer, USD WAD. */
  price: bigint;
  /** The latest good price when the order executes (opens and increases must meet IMR at it too); default `price`. */
  latestPrice?: bigint | undefined;
  borrowIndexLong: bigint;
  borrowIndexShort: bigint;
}

type ExecutionGlobal = Pick<GlobalParams, "minCollateral" | "minNotional">;

// ---------------------------------------------------------------- the engine's checks

/** Whether `price` is within the owner's bound: longs adding size and shorts reducing it want it low (`_withinBound`). */
export function withinBound(isLong: boolean, adding: boolean, price: bigint, acceptablePrice: bigint): boolean {
  return isLong === adding ? price <= acceptablePrice : price >= acceptablePrice;
}

/**
 * Whether a position (fees settled) meets initial margin at `price`, counting losses only: unrealised profit is not
 * margin (`_meetsInitialMargin`).
 */
export function meetsInitialMargin(
  position: Pick<Position, "isLong" | "size" | "entryPrice" | "collateral">,
  price: bigint,
  imr: bigint,
  scale: bigint,
): boolean {
  const p = position;
  const equity_ = equity(p.collateral, pnl(p.isLong, p.size, p.entryPrice, price, 0n, scale), 0n);
  return equity_ >= toInt256(ratioOfNotionalUp(p.size, price, imr, scale));
}

/** Whether a notional of `size` at `price` reaches the minimum, asset units rounded down (`_reachesMinNotional`). */
export function reachesMinNotional(size: bigint, price: bigint, minNotional: bigint, scale: bigint): boolean {
  return toAssetsDown(notionalDown(size, price), scale) >= minNotional;
}

/**
 * A position after an open or increase (`_meetsOpenRules`): the minimum collateral and notional at the execution
 * price, and initial margin at the execution price and at the latest price.
 */
export function meetsOpenRules(
  position: Pick<Position, "isLong" | "size" | "entryPrice" | "collateral">,
  price: bigint,
  latestPrice: bigint,
  params: Pick<MarketParams, "imr">,
  global: ExecutionGlobal,
  scale: bigint,
): boolean {
  return (
    position.collateral >= global.minCollateral &&
    reachesMinNotional(position.size, price, global.minNotional, scale) &&
    meetsInitialMargin(position, price, params.imr, scale) &&
    meetsInitialMargin(position, latestPrice, params.imr, scale)
  );
}

function indexOf(market: ExecutionMarket, isLong: boolean): bigint {
  return isLong ? market.borrowIndexLong : market.borrowIndexShort;
}

function failed<T extends object>(reason: ExecutionFailure, shape: T): T & { cancelReason: ExecutionFailure } {
  return { ...shape, cancelReason: reason };
}

// ---------------------------------------------------------------- open

/** What an open order's execution would do (`_executeOpen`, the `PositionOpened` event). */
export interface OpenPreview {
  /** Null when it would open; otherwise why it would be cancelled. */
  cancelReason: ExecutionFailure | null;
  /** The opening fee, paid to the pool from the escrowed collateral. */
  fee: bigint;
  /** Collateral after the opening fee. */
  collateral: bigint;
  /** The profit cap the collateral after the fee and the notional bring. */
  maxProfit: bigint;
  /** The execution price. */
  entryPrice: bigint;
}

/** The position an open order of `size` with `collateral` escrowed would open at `market.price`. */
export function previewOpen({
  isLong,
  size,
  collateral,
  acceptablePrice,
  market,
  params,
  global,
  scale,
}: {
  isLong: boolean;
  size: bigint;
  /** Escrowed collateral, before the opening fee. */
  collateral: bigint;
  /** The order's bound (default: none). */
  acceptablePrice?: bigint | undefined;
  market: Pick<ExecutionMarket, "price" | "latestPrice">;
  params: Pick<MarketParams, "openFeeRatio" | "imr" | "maxProfitRatio" | "maxProfitNotionalRatio">;
  global: ExecutionGlobal;
  scale: bigint;
}): OpenPreview {
  const price = market.price;
  const fee = ratioOfNotionalUp(size, price, params.openFeeRatio, scale);
  const none: OpenPreview = { cancelReason: null, fee, collateral: 0n, maxProfit: 0n, entryPrice: price };
  if (acceptablePrice !== undefined && !withinBound(isLong, true, price, acceptablePrice)) {
    return failed("PriceBound", none);
  }
  if (fee > collateral) return failed("Margin", none);
  const after = collateral - fee;
  const opened: OpenPreview = {
    cancelReason: null,
    fee,
    collateral: after,
    maxProfit: capOf(after, size, price, params.maxProfitRatio, params.maxProfitNotionalRatio, scale),
    entryPrice: price,
  };
  const position = { isLong, size, entryPrice: price, collateral: after };
  if (!meetsOpenRules(position, price, market.latestPrice ?? price, params, global, scale)) {
    return failed("Margin", opened);
  }
  return opened;
}

// ---------------------------------------------------------------- increase

/** What an increase order's execution would do (`_executeIncrease`, the `PositionIncreased` event). */
export interface IncreasePreview {
  cancelReason: ExecutionFailure | null;
  /** The settled borrow fee plus the opening fee, taken from the collateral. */
  fees: bigint;
  size: bigint;
  /** `entryAfterIncrease`: the weighted average, or the entry that puts the pnl at the price at the old cap. */
  entryPrice: bigint;
  /** Old collateral + the escrowed collateral − fees. */
  collateral: bigint;
  /** The old cap plus `capOf(collateralDelta, sizeDelta, price)`: the cap is sticky. */
  maxProfit: bigint;
  /** The side's index at execution: fees are settled. */
  borrowIndex: bigint;
}

/**
 * The position after an increase of `sizeDelta` with `collateralDelta` escrowed, at `market.price`: fees come out of
 * the collateral, the cap grows only by what the increase brings (its own collateral before fees, and notional), and
 * profit beyond the old cap is not carried into the new entry price.
 */
export function previewIncrease({
  position: p,
  sizeDelta,
  collateralDelta,
  acceptablePrice,
  market,
  params,
  global,
  scale,
}: {
  position: Pick<Position, "isLong" | "size" | "entryPrice" | "collateral" | "maxProfit" | "borrowIndex">;
  sizeDelta: bigint;
  collateralDelta: bigint;
  acceptablePrice?: bigint | undefined;
  market: ExecutionMarket;
  params: Pick<MarketParams, "openFeeRatio" | "imr" | "maxProfitRatio" | "maxProfitNotionalRatio">;
  global: ExecutionGlobal;
  scale: bigint;
}): IncreasePreview {
  const price = market.price;
  const index = indexOf(market, p.isLong);
  const fees =
    borrowFee(p.size, p.entryPrice, index - p.borrowIndex, scale) +
    ratioOfNotionalUp(sizeDelta, price, params.openFeeRatio, scale);
  const total = p.collateral + collateralDelta;
  const unchanged: IncreasePreview = {
    cancelReason: null,
    fees,
    size: p.size,
    entryPrice: p.entryPrice,
    collateral: p.collateral,
    maxProfit: p.maxProfit,
    borrowIndex: p.borrowIndex,
  };
  if (acceptablePrice !== undefined && !withinBound(p.isLong, true, price, acceptablePrice)) {
    return failed("PriceBound", unchanged);
  }
  if (fees > total) return failed("Margin", unchanged);
  const increased: IncreasePreview = {
    cancelReason: null,
    fees,
    size: p.size + sizeDelta,
    entryPrice: entryAfterIncrease(p.isLong, p.size, p.entryPrice, sizeDelta, price, p.maxProfit, scale),
    collateral: total - fees,
    maxProfit:
      p.maxProfit +
      capOf(collateralDelta, sizeDelta, price, params.maxProfitRatio, params.maxProfitNotionalRatio, scale),
    borrowIndex: index,
  };
  if (!meetsOpenRules({ isLong: p.isLong, ...increased }, price, market.latestPrice ?? price, params, global, scale)) {
    return failed("Margin", increased);
  }
  return increased;
}

// ---------------------------------------------------------------- decrease

/**
 * The part of the cap that stays with the position after closing `sizeDelta` of `size`: `ceil(cap × rest / size)`,
 * so the closed part's share, `cap − kept`, is `floor(cap × sizeDelta / size)` (paid to the trader: rounded down).
 */
export function capKeptAfterDecrease(maxProfit: bigint, sizeDelta: bigint, size: bigint): bigint {
  return mulDiv(maxProfit, size - sizeDelta, size, "ceil");
}

/** What a decrease order's execution would do (`_executeDecrease`, the `PositionDecreased` event). */
export interface DecreasePreview {
  cancelReason: ExecutionFailure | null;
  /** The closed part's pnl under its share of the cap. */
  pnl: bigint;
  /** The whole position's owed borrow fee plus the closing fee of the closed part. */
  fees: bigint;
  /** Paid to the receiver (or made claimable): the closed part's share of the collateral plus pnl − fees, if positive. */
  payout: bigint;
  /** pnl − fees, settled with the pool: paid by it if positive, to it from the vault if negative. */
  settlement: bigint;
  size: bigint;
  /** What stays: the rest of the collateral, less any loss the closed part's share did not cover. */
  collateral: bigint;
  /** The cap that stays (`capKeptAfterDecrease`). */
  maxProfit: bigint;
  borrowIndex: bigint;
}

/**
 * The position after closing `sizeDelta` at `market.price`. It is cancelled (`Margin`) if the closed part's loss
 * exceeds what would stay, or what stays would be under the minimum collateral or notional, or liquidatable at the
 * price.
 */
export function previewDecrease({
  position: p,
  sizeDelta,
  acceptablePrice,
  market,
  params,
  global,
  scale,
}: {
  position: Pick<Position, "isLong" | "size" | "entryPrice" | "collateral" | "maxProfit" | "borrowIndex">;
  sizeDelta: bigint;
  acceptablePrice?: bigint | undefined;
  market: Omit<ExecutionMarket, "latestPrice">;
  params: Pick<MarketParams, "closeFeeRatio" | "mmr">;
  global: ExecutionGlobal;
  scale: bigint;
}): DecreasePreview {
  const price = market.price;
  const index = indexOf(market, p.isLong);
  const unchanged: DecreasePreview = {
    cancelReason: null,
    pnl: 0n,
    fees: 0n,
    payout: 0n,
    settlement: 0n,
    size: p.size,
    collateral: p.collateral,
    maxProfit: p.maxProfit,
    borrowIndex: p.borrowIndex,
  };
  if (acceptablePrice !== undefined && !withinBound(p.isLong, false, price, acceptablePrice)) {
    return failed("PriceBound", unchanged);
  }
  if (sizeDelta >= p.size) return failed("Margin", unchanged);
  const remaining = p.size - sizeDelta;
  const kept = capKeptAfterDecrease(p.maxProfit, sizeDelta, p.size);
  const pnl_ = pnl(p.isLong, sizeDelta, p.entryPrice, price, p.maxProfit - kept, scale);
  const fees =
    borrowFee(p.size, p.entryPrice, index - p.borrowIndex, scale) +
    ratioOfNotionalUp(sizeDelta, price, params.closeFeeRatio, scale);
  // The closed part's share of the collateral is rounded down.
  const collateralOut = mulDiv(p.collateral, sizeDelta, p.size);
  const settlement = pnl_ - fees;
  const payoutSigned = collateralOut + settlement;
  let collateral = p.collateral - collateralOut;
  let payout = 0n;
  const amounts = { pnl: pnl_, fees, settlement };
  if (payoutSigned < 0n) {
    if (-payoutSigned > collateral) return failed("Margin", { ...unchanged, ...amounts });
    collateral += payoutSigned;
  } else payout = payoutSigned;
  const decreased: DecreasePreview = {
    cancelReason: null,
    ...amounts,
    payout,
    size: remaining,
    collateral,
    maxProfit: kept,
    borrowIndex: index,
  };
  if (collateral < global.minCollateral || !reachesMinNotional(remaining, price, global.minNotional, scale)) {
    return failed("Margin", decreased);
  }
  // What stays has its fees settled: its equity is collateral + capped pnl.
  const restEquity = equity(collateral, pnl(p.isLong, remaining, p.entryPrice, price, kept, scale), 0n);
  if (isLiquidatable(restEquity, ratioOfNotionalUp(remaining, price, params.mmr, scale))) {
    return failed("Margin", decreased);
  }
  return decreased;
}

// ---------------------------------------------------------------- close

/** What a close order's execution would do (`_executeClose`, the `PositionClosed` event), asset units. */
export interface ClosePreview {
  cancelReason: "PriceBound" | null;
  /** Capped pnl at the price. */
  pnl: bigint;
  /** The owed borrow fee plus the closing fee paid (an unpaid closing fee is waived, not bad debt). */
  fees: bigint;
  /** The closing fee paid: `closeFeeRatio × notional`, capped by what the equity leaves. */
  closeFee: bigint;
  /** Paid to the receiver (or made claimable): what the equity leaves after the closing fee, plus the keeper reserve. */
  payout: bigint;
  /** Deficit beyond the collateral (equity before the closing fee below zero), covered by insurance, then the pool. */
  badDebt: bigint;
  /** Moved from the vault to the pool. */
  toPool: bigint;
  /** Profit paid by the pool. */
  fromPool: bigint;
}

/**
 * What closing the position at `market.price` would pay: the liquidation split (`liquidationSplit`) without keeper fee
 * or penalty, and the recorded keeper reserve back to the receiver.
 */
export function previewClose({
  position: p,
  acceptablePrice,
  market,
  params,
  scale,
}: {
  position: Pick<
    Position,
    "isLong" | "size" | "entryPrice" | "collateral" | "maxProfit" | "borrowIndex" | "keeperReserve"
  >;
  acceptablePrice?: bigint | undefined;
  market: Omit<ExecutionMarket, "latestPrice">;
  params: Pick<MarketParams, "closeFeeRatio">;
  scale: bigint;
}): ClosePreview {
  const price = market.price;
  const pnl_ = pnl(p.isLong, p.size, p.entryPrice, price, p.maxProfit, scale);
  const owed = borrowFee(p.size, p.entryPrice, indexOf(market, p.isLong) - p.borrowIndex, scale);
  const split = liquidationSplit(
    p.collateral,
    pnl_,
    owed,
    ratioOfNotionalUp(p.size, price, params.closeFeeRatio, scale),
    0n,
    0n,
  );
  return {
    cancelReason:
      acceptablePrice !== undefined && !withinBound(p.isLong, false, price, acceptablePrice) ? "PriceBound" : null,
    pnl: pnl_,
    fees: owed + split.closeFee,
    closeFee: split.closeFee,
    payout: split.ownerRefund + p.keeperReserve,
    badDebt: split.badDebt,
    toPool: split.toPool,
    fromPool: split.fromPool,
  };
}

// ---------------------------------------------------------------- margin removal

/** The cap after a margin removal: `min(cap, maxProfitRatio × the collateral left)` (SPEC rule 9). */
export function capAfterRemoveMargin(maxProfit: bigint, newCollateral: bigint, maxProfitRatio: bigint): bigint {
  const byCollateral = mulDiv(newCollateral, maxProfitRatio, WAD);
  return byCollateral < maxProfit ? byCollateral : maxProfit;
}

/** What `removeMargin` would do at the latest price (`MarginEngine.removeMargin`, the `MarginRemoved` event). */
export interface RemoveMarginPreview {
  /** The engine's refusal, if it would refuse (with `equity` and `required` for `InitialMarginBreached`). */
  error: "CollateralBelowMinimum" | "InitialMarginBreached" | null;
  collateral: bigint;
  /** `capAfterRemoveMargin`. */
  maxProfit: bigint;
  /** Equity after the removal counting losses only, with the owed borrow fee (zero for `CollateralBelowMinimum`). */
  equity: bigint;
  /** Initial margin at the price. */
  required: bigint;
}

/** The position after withdrawing `amount` at `market.price` (the latest good price). */
export function previewRemoveMargin({
  position: p,
  amount,
  market,
  params,
  global,
  scale,
}: {
  position: Pick<Position, "isLong" | "size" | "entryPrice" | "collateral" | "maxProfit" | "borrowIndex">;
  amount: bigint;
  market: Omit<ExecutionMarket, "latestPrice">;
  params: Pick<MarketParams, "imr" | "maxProfitRatio">;
  global: Pick<GlobalParams, "minCollateral">;
  scale: bigint;
}): RemoveMarginPreview {
  const price = market.price;
  const required = ratioOfNotionalUp(p.size, price, params.imr, scale);
  if (amount > p.collateral || p.collateral - amount < global.minCollateral) {
    return {
      error: "CollateralBelowMinimum",
      collateral: p.collateral,
      maxProfit: p.maxProfit,
      equity: 0n,
      required,
    };
  }
  const collateral = p.collateral - amount;
  const equity_ = equity(
    collateral,
    pnl(p.isLong, p.size, p.entryPrice, price, 0n, scale),
    borrowFee(p.size, p.entryPrice, indexOf(market, p.isLong) - p.borrowIndex, scale),
  );
  return {
    error: equity_ < toInt256(required) ? "InitialMarginBreached" : null,
    collateral,
    maxProfit: capAfterRemoveMargin(p.maxProfit, collateral, params.maxProfitRatio),
    equity: equity_,
    required,
  };
}

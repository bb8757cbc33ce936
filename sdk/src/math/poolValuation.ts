/**
 * The pool's valuation and share arithmetic (contracts/libraries/PoolValuation.sol and the pricing of
 * contracts/LiquidityPool.sol), in bigint, name for name and rounding for rounding. Where Solidity would revert these
 * throw a `PositionMathError`.
 *
 * Units: asset amounts in the settlement token's units; notionals, pnl and fees of a side USD WAD; share prices are
 * assets per share, WAD (a share has 6 more decimals than the asset: `VIRTUAL_SHARES` = 10^6 virtual shares stand
 * against 1 virtual asset unit).
 */
import { PositionMathError } from "../errors/sdk.js";
import {
  ceilDiv,
  MAX_INT256,
  MIN_INT256,
  mulDiv,
  notionalDown,
  notionalUp,
  toInt256,
  WAD,
  type Rounding,
} from "./positionMath.js";

/** 10^6 virtual shares against 1 virtual asset unit (`LiquidityPool.VIRTUAL_SHARES`). */
export const VIRTUAL_SHARES = 10n ** 6n;

/** One market side's aggregates (`IMarginEngine.sideState`), as the valuation uses them. */
export interface PoolSideState {
  /** Sum of sizes, index tokens, WAD. */
  openInterest: bigint;
  /** Sum of size × entry price, USD WAD. */
  entryNotional: bigint;
  /** Sum of recorded collateral, asset units. */
  collateral: bigint;
  /** Sum of profit caps, asset units. */
  maxProfit: bigint;
  /** Sum of entry notional × borrow index at last settlement, USD WAD. */
  feeDebt: bigint;
}

/** One market's inputs to the valuation (`PoolValuation.Market`); `price` zero means "not valued". */
export interface PoolValuationMarket {
  price: bigint;
  longs: PoolSideState;
  shorts: PoolSideState;
  longIndex: bigint;
  shortIndex: bigint;
}

function int(value: bigint, what: string): bigint {
  if (value < MIN_INT256 || value > MAX_INT256)
    throw new PositionMathError("overflow", `${what} = ${value} overflows int256`);
  return value;
}

function signedDiff(a: bigint, b: bigint): bigint {
  return a >= b ? toInt256(a - b) : -toInt256(b - a);
}

/** A side's accrued, unpaid borrow fees, USD WAD, rounded down: `index × entryNotional − feeDebt` (never negative). */
export function accruedSideFees(side: Pick<PoolSideState, "entryNotional" | "feeDebt">, index: bigint): bigint {
  const accrued = mulDiv(index, side.entryNotional, WAD);
  return accrued > side.feeDebt ? accrued - side.feeDebt : 0n;
}

/**
 * One side's claim on the pool, USD WAD (`PoolValuation.sideClaim`): `max(min(pnl, Σcap) − Σfees, −Σcollateral)`.
 * @param pnl The side's unrealised pnl, USD WAD.
 * @param index The side's borrow index now.
 */
export function sideClaim(pnl: bigint, side: PoolSideState, index: bigint, scale: bigint): bigint {
  const cap = toInt256(side.maxProfit * scale);
  const fees = toInt256(accruedSideFees(side, index));
  const claim = int((pnl < cap ? pnl : cap) - fees, "claim");
  const floor = -toInt256(side.collateral * scale);
  return claim < floor ? floor : claim;
}

/**
 * The positions' net claim on the pool, asset units, positive when the pool owes them (`PoolValuation.tradersClaim`).
 * Gains round up and losses down, per side; the sum rounds towards a larger claim.
 */
export function tradersClaim(markets: readonly PoolValuationMarket[], scale: bigint): bigint {
  let claim = 0n;
  for (const m of markets) {
    if (m.price === 0n) continue;
    claim += sideClaim(
      signedDiff(notionalUp(m.longs.openInterest, m.price), m.longs.entryNotional),
      m.longs,
      m.longIndex,
      scale,
    );
    claim += sideClaim(
      signedDiff(m.shorts.entryNotional, notionalDown(m.shorts.openInterest, m.price)),
      m.shorts,
      m.shortIndex,
      scale,
    );
    int(claim, "claim");
  }
  return claim >= 0n ? toInt256(ceilDiv(claim, scale)) : -toInt256(-claim / scale);
}

/** What the shares are worth (`LiquidityPool.totalAssets`): equity less the traders' claim, never below zero. */
export function poolTotalAssets(equityAssets: bigint, claim: bigint): bigint {
  if (claim <= 0n) return equityAssets - claim;
  return equityAssets > claim ? equityAssets - claim : 0n;
}

/** Assets per share, WAD, with the virtual shares and asset (`LiquidityPool._price`). */
export function sharePrice(totalAssets: bigint, totalSupply: bigint, rounding: Rounding = "floor"): bigint {
  return mulDiv(totalAssets + 1n, WAD, totalSupply + VIRTUAL_SHARES, rounding);
}

/** ERC-4626 `convertToShares`: rounded down. */
export function convertToShares(assets: bigint, totalAssets: bigint, totalSupply: bigint): bigint {
  return mulDiv(assets, totalSupply + VIRTUAL_SHARES, totalAssets + 1n);
}

/** ERC-4626 `convertToAssets`: rounded down. */
export function convertToAssets(shares: bigint, totalAssets: bigint, totalSupply: bigint): bigint {
  return mulDiv(shares, totalAssets + 1n, totalSupply + VIRTUAL_SHARES);
}

/**
 * The price a deposit request executes at: the worse for the depositor (the higher) of the price cached at request
 * and the price now, rounded up.
 */
export function depositExecutionPrice(requestPrice: bigint, totalAssets: bigint, totalSupply: bigint): bigint {
  const now = sharePrice(totalAssets, totalSupply, "ceil");
  return requestPrice > now ? requestPrice : now;
}

/**
 * The price a redemption request executes at: the worse for the redeemer (the lower) of the price cached at request
 * and the price now, rounded down.
 */
export function redeemExecutionPrice(requestPrice: bigint, totalAssets: bigint, totalSupply: bigint): bigint {
  const now = sharePrice(totalAssets, totalSupply, "floor");
  return requestPrice < now ? requestPrice : now;
}

/** What executing one deposit request does (`LiquidityPool.executeDeposits`, one controller). */
export interface DepositExecution {
  price: bigint;
  /** Assets that join the pool (the request less the execution fee). */
  assets: bigint;
  /** Shares minted; zero means the request is refunded (`DepositRefunded`) instead. */
  shares: bigint;
  fee: bigint;
  refunded: boolean;
}

/**
 * One deposit request executed against the pool as it stands (`totalAssets`, `totalSupply` after the requests
 * executed before it in the same call): shares = (assets − fee) / price, rounded down.
 */
export function executeDepositRequest({
  assets,
  fee,
  requestPrice,
  totalAssets,
  totalSupply,
}: {
  assets: bigint;
  fee: bigint;
  requestPrice: bigint;
  totalAssets: bigint;
  totalSupply: bigint;
}): DepositExecution {
  const price = depositExecutionPrice(requestPrice, totalAssets, totalSupply);
  const net = assets - fee;
  const shares = mulDiv(net, WAD, price);
  return { price, assets: net, shares, fee, refunded: shares === 0n };
}

/** What executing one redemption request does (`LiquidityPool.executeRedeems`, one queue entry). */
export interface RedeemExecution {
  price: bigint;
  /** Shares burnt (all of the request, or as many as the free liquidity pays for). */
  shares: bigint;
  /** Assets set aside for the controller, the fee deducted. */
  assets: bigint;
  fee: bigint;
  /** Shares still waiting at the head of the queue. */
  remainingShares: bigint;
  /** Nothing could be executed: the free liquidity does not pay for one share unit. */
  skipped: boolean;
}

/**
 * One redemption request executed against the pool as it stands: in full when `freeLiquidity` covers it, otherwise
 * partially (as many shares as the free liquidity pays for at the price); the fee is taken once, from the first part.
 */
export function executeRedeemRequest({
  shares: requested,
  fee: requestFee,
  requestPrice,
  totalAssets,
  totalSupply,
  freeLiquidity,
}: {
  shares: bigint;
  fee: bigint;
  requestPrice: bigint;
  totalAssets: bigint;
  totalSupply: bigint;
  freeLiquidity: bigint;
}): RedeemExecution {
  const price = redeemExecutionPrice(requestPrice, totalAssets, totalSupply);
  let shares = requested;
  let owed = mulDiv(shares, price, WAD);
  if (owed > freeLiquidity) {
    shares = mulDiv(freeLiquidity, WAD, price);
    owed = mulDiv(shares, price, WAD);
    if (shares === 0n) {
      return { price, shares: 0n, assets: 0n, fee: 0n, remainingShares: requested, skipped: true };
    }
  }
  const fee = requestFee < owed ? requestFee : owed;
  return { price, shares, assets: owed - fee, fee, remainingShares: requested - shares, skipped: false };
}

/** The share price cached after an execution (`LiquidityPool._settleExecution`): rounded down. */
export function cachedSharePriceAfter(totalAssets: bigint, totalSupply: bigint): bigint {
  return sharePrice(totalAssets, totalSupply, "floor");
}

/** Claiming executed deposits by assets (`deposit`): shares = assets × Σshares / Σassets, rounded down. */
export function claimDepositShares(assets: bigint, claimableAssets: bigint, claimableShares: bigint): bigint {
  return mulDiv(assets, claimableShares, claimableAssets);
}

/** Claiming executed deposits by shares (`mint`): assets = shares × Σassets / Σshares, rounded up. */
export function claimMintAssets(shares: bigint, claimableAssets: bigint, claimableShares: bigint): bigint {
  return mulDiv(shares, claimableAssets, claimableShares, "ceil");
}

/** Claiming executed redemptions by shares (`redeem`): assets = shares × Σassets / Σshares, rounded down. */
export function claimRedeemAssets(shares: bigint, claimableAssets: bigint, claimableShares: bigint): bigint {
  return mulDiv(shares, claimableAssets, claimableShares);
}

/** Claiming executed redemptions by assets (`withdraw`): shares = assets × Σshares / Σassets, rounded up. */
export function claimWithdrawShares(assets: bigint, claimableAssets: bigint, claimableShares: bigint): bigint {
  return mulDiv(assets, claimableShares, claimableAssets, "ceil");
}

/** A redemption request's value at the cached price (what `minRequest` is checked against), rounded down. */
export function redeemRequestValue(shares: bigint, cachedPrice: bigint): bigint {
  return mulDiv(shares, cachedPrice, WAD);
}

/** On-chain records, as the SDK returns them: every integer is a bigint. */
import type { Address } from "viem";

import type { MarketParams } from "./params.js";

/** A position as stored by the engine (`IMarginEngine.position`). */
export interface Position {
  /** Zero address for an id that is not open. */
  owner: Address;
  /** Collateral held by the vault, asset units (the keeper reserve is held on top). */
  collateral: bigint;
  /** Index tokens, WAD. */
  size: bigint;
  /** Average entry price, USD WAD. */
  entryPrice: bigint;
  /** The side's borrow index when fees were last settled. */
  borrowIndex: bigint;
  /** Profit cap, asset units. */
  maxProfit: bigint;
  marketId: bigint;
  isLong: boolean;
}

/** The risk parameters' types, derived from the generated ABI (sdk/src/params.ts). */
export type { GlobalParams, LpParams, MarketParams } from "./params.js";
/** Aggregates of one market side (`IMarginEngine.sideState`). */
export interface SideState {
  /** Index tokens, WAD. */
  openInterest: bigint;
  /** USD WAD. */
  entryNotional: bigint;
  /** Sum of recorded collateral, asset units. */
  collateral: bigint;
  /** Sum of profit caps, asset units. */
  maxProfit: bigint;
  /**
   * Sum of entry notional × each position's borrow index when last settled, USD WAD: the side's accrued borrow fees
   * are `index × entryNotional − feeDebt`.
   */
  feeDebt: bigint;
}

/**
 * A market as of one block: what the position maths needs to value its positions exactly as the contracts would in
 * that block.
 */
export interface MarketState {
  marketId: bigint;
  params: MarketParams;
  /** Oracle price, USD WAD. */
  price: bigint;
  /** The long side's borrow index as of `timestamp`. */
  borrowIndexLong: bigint;
  /** The short side's borrow index as of `timestamp`. */
  borrowIndexShort: bigint;
  /** Liquidations wait until this time after an oracle or sequencer outage (zero or past: they may go ahead). */
  liquidationResumesAt: bigint;
  long: SideState;
  short: SideState;
  /** Block time the state is for. */
  timestamp: bigint;
  blockNumber: bigint;
}

/** What a liquidation at the current price would pay, asset units (`IBulkheadLens.previewLiquidation`). */
export interface LiquidationPreview {
  liquidatable: boolean;
  equity: bigint;
  maintenanceMargin: bigint;
  /** Keeper reserve (everything the vault holds beyond the collateral) plus liquidation fee. */
  keeperReward: bigint;
  penalty: bigint;
  ownerRefund: bigint;
  badDebt: bigint;
  price: bigint;
  /** Closing fee paid to the pool. */
  closeFee: bigint;
}

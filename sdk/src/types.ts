/** On-chain records, as the SDK returns them: every integer is a bigint. */
import type { Address } from "viem";

import type { MarketParams } from "./params.js";

/**
 * A position as stored by the engine (`IMarginEngine.position`). A position whose open order has not executed yet has
 * an owner, a market, a side, a vault and a keeper reserve, and a size of zero.
 */
export interface Position {
  /** Zero address for an id that is not in use. */
  owner: Address;
  /** Collateral held by the vault, asset units (the keeper reserve and any order escrow are held on top). */
  collateral: bigint;
  /** Index tokens, WAD; zero while the open order is pending. */
  size: bigint;
  /** Average entry price, USD WAD. */
  entryPrice: bigint;
  /** The side's borrow index when fees were last settled. */
  borrowIndex: bigint;
  /** Profit cap, asset units. */
  maxProfit: bigint;
  marketId: bigint;
  isLong: boolean;
  /** The vault holding this position's collateral, keeper reserve and order escrow (reused once emptied). */
  vault: Address;
  /** The keeper reserve this position deposited (the parameter when it was requested), asset units. */
  keeperReserve: bigint;
}

/** What an order does (`OrderKind` in IMarginEngine.sol, by index). */
export type OrderKindName = "None" | "Open" | "Increase" | "Decrease" | "Close";

/** Why an order ended without trading (`CancelReason` in IMarginEngine.sol, by index). */
export type CancelReasonName =
  | "Expired"
  | "WindowMissed"
  | "PhaseChanged"
  | "BadPrice"
  | "Replaced"
  | "PositionClosed"
  | "GracePeriod"
  | "Paused"
  | "Capacity"
  | "PriceBound"
  | "Margin";

/** Where a position's next order stands (`OrderStatus` in IMarginEngine.sol, by index). */
export type OrderStatusName = "None" | "Waiting" | "Executable" | "Cancellable";

/** A pending order (`IMarginEngine.orders`). */
export interface Order {
  kind: Exclude<OrderKindName, "None">;
  /** The feed's latest round id when requested: the order executes at the first round after it. */
  roundId: bigint;
  /** Block time of the request: the execution round was observed strictly after it. */
  requestedAt: bigint;
  /** A round observed after this time cannot execute the order (the caller's deadline, capped by `maxOrderWait`). */
  deadline: bigint;
  /** Escrowed in the vault, paid to the executor; asset units. */
  executionFee: bigint;
  /** Index tokens added or removed, WAD (zero for a close). */
  sizeDelta: bigint;
  /** Worst execution price the owner accepts, USD WAD. */
  acceptablePrice: bigint;
  /** Receives what a decrease or close pays out (the owner for an open or increase). */
  receiver: Address;
  /** Collateral escrowed for an open or increase, asset units. */
  collateralDelta: bigint;
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

/**
 * What a liquidation at the current price would pay, asset units, as the engine's `PositionLiquidated` event reports it
 * (`IBulkheadLens.previewLiquidation`).
 */
export interface LiquidationPreview {
  liquidatable: boolean;
  equity: bigint;
  maintenanceMargin: bigint;
  /** The position's recorded keeper reserve plus the liquidation fee. */
  keeperReward: bigint;
  penalty: bigint;
  ownerRefund: bigint;
  badDebt: bigint;
  price: bigint;
  /** Closing fee paid to the pool. */
  closeFee: bigint;
}

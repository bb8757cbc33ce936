/** What the keeper tracks, as stored (bigints for on-chain amounts, numbers for ids of markets). */
import type { Address } from "viem";

export interface TrackedPosition {
  id: bigint;
  owner: Address;
  marketId: number;
  isLong: boolean;
  /** Index tokens, WAD. */
  size: bigint;
  /** USD WAD. */
  entryPrice: bigint;
  /** Asset units. */
  collateral: bigint;
  /** The side's borrow index when fees were last settled (computed from the block time, see `indexAt`). */
  borrowIndex: bigint;
  /** Profit cap, asset units, as the engine's events state it (opened, increased, decreased, margin removed). */
  maxProfit: bigint;
  /** The keeper reserve the position holds (paid to whoever liquidates it or takes its profit), asset units. */
  keeperReserve: bigint;
}

export const ORDER_KINDS = ["None", "Open", "Increase", "Decrease", "Close"] as const;

export interface TrackedOrder {
  positionId: bigint;
  /** 0: the pending open / increase / decrease; 1: the pending close. */
  slot: 0 | 1;
  kind: number;
  /** The feed's latest round at the request: the order executes at the first round after it. */
  roundId: bigint;
  /** Block time of the request. */
  requestedAt: bigint;
  deadline: bigint;
  executionFee: bigint;
  collateralDelta: bigint;
  marketId: number;
}

export interface TrackedLpRequest {
  kind: "deposit" | "redeem";
  controller: Address;
  /** Request order (block × 1e6 + log index): redemptions execute in it. */
  seq: bigint;
}

export const positionKey = (id: bigint): string => id.toString();
export const orderKey = (id: bigint, slot: 0 | 1): string => `${id}:${slot}`;
export const lpKey = (kind: TrackedLpRequest["kind"], controller: Address): string =>
  `${kind}:${controller.toLowerCase()}`;

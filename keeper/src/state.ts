/**
 * Applies the engine's and the pool's events to the store, block by block. Events carry everything a position's
 * valuation needs (size, entry price, collateral, the profit cap after every change, the keeper reserve) except the
 * side's borrow index at the trade, which is derived from the block's time (the index grows linearly at the market's
 * rate between accruals). It feeds only the pre-filter: every action is confirmed on-chain before it is sent.
 */
import { decodeEventLog, type Address, type Log } from "viem";

import { iLiquidityPoolAbi, iMarginEngineAbi } from "../../sdk/src/abis.js";
import { POSITION_EVENT_NAMES } from "../../sdk/src/events.js";
import type { MarketSnapshot } from "./chain.js";
import {
  lpKey,
  orderKey,
  positionKey,
  type TrackedLpRequest,
  type TrackedOrder,
  type TrackedPosition,
} from "./model.js";
import type { Store } from "./store.js";

const CLOSE = 4;
const abi = [...iMarginEngineAbi, ...iLiquidityPoolAbi];

export interface DecodedLog {
  eventName: string;
  args: Record<string, unknown>;
  blockNumber: bigint;
  blockHash: string;
  logIndex: number;
  address: Address;
}

/** Decodes the logs the keeper follows; anything else (other events of these contracts) is dropped. */
export function decodeLogs(logs: Log[]): DecodedLog[] {
  const out: DecodedLog[] = [];
  for (const log of logs) {
    if (log.blockNumber === null || log.logIndex === null) continue; // pending logs: not part of a block yet
    let decoded;
    try {
      decoded = decodeEventLog({ abi, data: log.data, topics: log.topics, strict: true });
    } catch {
      continue;
    }
    if (!FOLLOWED.has(decoded.eventName)) continue;
    out.push({
      eventName: decoded.eventName,
      args: decoded.args as unknown as Record<string, unknown>,
      blockNumber: log.blockNumber,
      blockHash: log.blockHash!,
      logIndex: log.logIndex,
      address: log.address,
    });
  }
  return out;
}

/** Engine events that move no state the keeper tracks: claims and sweeps of donations. */
const UNTRACKED_ENGINE_EVENTS: ReadonlySet<string> = new Set(["ClaimRecorded", "Claimed", "VaultSwept"]);

/** The engine's events (the SDK's list, less the untracked) and the pool's request events. */
const FOLLOWED: ReadonlySet<string> = new Set([
  ...POSITION_EVENT_NAMES.filter((name) => !UNTRACKED_ENGINE_EVENTS.has(name)),
  "DepositRequest",
  "DepositExecuted",
  "DepositRefunded",
  "CancelDepositRequest",
  "RedeemRequest",
  "RedeemExecuted",
  "CancelRedeemRequest",
]);

/** Events whose block time the state needs (request times, borrow-index settlement points). */
export const TIMED_EVENTS = new Set(["OrderRequested", "PositionOpened", "PositionIncreased", "PositionDecreased"]);

export interface ApplyContext {
  engine: Address;
  pool: Address;
  /** Block time of a block with a timed event. */
  timestampOf(block: bigint): bigint;
  /** Market parameters and borrow-index anchor (a snapshot at or after the block). */
  market(marketId: number): MarketSnapshot & { timestamp: bigint };
}

/** The side's borrow index at `timestamp`: the index grows by `rate` each second (closed form, no writes). */
export function indexAt(m: MarketSnapshot & { timestamp: bigint }, isLong: boolean, timestamp: bigint): bigint {
  const index = isLong ? m.borrowIndexLong : m.borrowIndexShort;
  const rate = isLong ? m.params.borrowRateLong : m.params.borrowRateShort;
  const back = index - rate * (m.timestamp - timestamp);
  return back < 0n ? 0n : back;
}

/** Applies one block's decoded logs (in log order) through the store's journalled writes. */
export function applyLogs(store: Store, logs: DecodedLog[], ctx: ApplyContext): void {
  const positions = store.rows.positions as Map<string, TrackedPosition>;
  const orders = store.rows.orders as Map<string, TrackedOrder>;
  for (const log of logs) {
    const a = log.args;
    const fromEngine = log.address.toLowerCase() === ctx.engine.toLowerCase();
    const fromPool = log.address.toLowerCase() === ctx.pool.toLowerCase();
    if (fromEngine) {
      const id = a.positionId as bigint;
      const pk = positionKey(id);
      const p = positions.get(pk);
      switch (log.eventName) {
        case "OrderRequested": {
          const kind = Number(a.kind);
          const slot = kind === CLOSE ? 1 : 0;
          const order: TrackedOrder = {
            positionId: id,
            slot,
            kind,
            roundId: a.roundId as bigint,
            requestedAt: ctx.timestampOf(log.blockNumber),
            deadline: a.deadline as bigint,
            executionFee: a.executionFee as bigint,
            collateralDelta: a.collateralDelta as bigint,
            marketId: Number(a.marketId),
          };
          store.set("orders", orderKey(id, slot), order);
          break;
        }
        case "OrderExecuted":
        case "OrderCancelled": {
          const slot = Number(a.kind) === CLOSE ? 1 : 0;
          store.remove("orders", orderKey(id, slot));
          break;
        }
        case "PositionOpened": {
          const marketId = Number(a.marketId);
          const m = ctx.market(marketId);
          const isLong = a.isLong as boolean;
          store.set("positions", pk, {
            id,
            owner: a.owner as Address,
            marketId,
            isLong,
            size: a.size as bigint,
            entryPrice: a.price as bigint,
            collateral: a.collateral as bigint,
            borrowIndex: indexAt(m, isLong, ctx.timestampOf(log.blockNumber)),
            maxProfit: a.maxProfit as bigint,
            keeperReserve: a.keeperReserve as bigint,
          } satisfies TrackedPosition);
          break;
        }
        case "PositionIncreased": {
          if (p === undefined) break;
          const m = ctx.market(p.marketId);
          store.set("positions", pk, {
            ...p,
            size: a.newSize as bigint,
            entryPrice: a.newEntryPrice as bigint,
            collateral: a.newCollateral as bigint,
            borrowIndex: indexAt(m, p.isLong, ctx.timestampOf(log.blockNumber)),
            maxProfit: a.newMaxProfit as bigint,
          });
          break;
        }
        case "PositionDecreased": {
          if (p === undefined) break;
          const m = ctx.market(p.marketId);
          store.set("positions", pk, {
            ...p,
            size: a.newSize as bigint,
            collateral: a.newCollateral as bigint,
            borrowIndex: indexAt(m, p.isLong, ctx.timestampOf(log.blockNumber)),
            maxProfit: a.newMaxProfit as bigint,
          });
          break;
        }
        case "PositionClosed":
        case "PositionLiquidated":
        case "ProfitTaken":
          store.remove("positions", pk);
          store.remove("orders", orderKey(id, 0));
          store.remove("orders", orderKey(id, 1));
          break;
        case "MarginAdded":
          if (p !== undefined) store.set("positions", pk, { ...p, collateral: a.newCollateral as bigint });
          break;
        case "MarginRemoved":
          if (p !== undefined) {
            store.set("positions", pk, {
              ...p,
              collateral: a.newCollateral as bigint,
              maxProfit: a.newMaxProfit as bigint,
            });
          }
          break;
      }
    } else if (fromPool) {
      const controller = a.controller as Address;
      switch (log.eventName) {
        case "DepositRequest":
        case "RedeemRequest": {
          const kind = log.eventName === "DepositRequest" ? "deposit" : "redeem";
          const key = lpKey(kind, controller);
          // A controller has one request of each kind; a later one (after its execution) queues anew.
          store.set("lp", key, {
            kind,
            controller,
            seq: log.blockNumber * 1_000_000n + BigInt(log.logIndex),
          } satisfies TrackedLpRequest);
          break;
        }
        case "DepositExecuted":
        case "DepositRefunded":
        case "CancelDepositRequest":
          store.remove("lp", lpKey("deposit", controller));
          break;
        case "RedeemExecuted":
          if ((a.remainingShares as bigint) === 0n) store.remove("lp", lpKey("redeem", controller));
          break;
        case "CancelRedeemRequest":
          store.remove("lp", lpKey("redeem", controller));
          break;
      }
    }
  }
}

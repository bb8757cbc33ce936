/**
 * The evaluation index: per market side, open positions sorted by their warning price (where health falls to the
 * margin-call threshold; the liquidation price is inside it) and by their cap price. A price move looks only at the
 * slice of each sorted array it can affect, found by binary search; only those positions are valued, exactly, with
 * the SDK maths (the contracts' maths to the unit).
 *
 * Borrow fees make a position's warning price drift with the side's borrow index (up for a long, down for a short),
 * linearly: `warn(idx) = K ± L·idx`. Keys are taken at a reference index; the search widens the slice by the largest
 * drift any position of the side can have had since (`maxL · Δidx`), and the side is re-keyed when that drift grows.
 * Cap prices do not depend on fees and never drift.
 */
import {
  borrowFee,
  equity as equityOf,
  health as healthOf,
  isLiquidatable,
  liquidationSplit,
  MAX_UINT256,
  pnl as pnlOf,
  ratioOfNotionalDown,
  ratioOfNotionalUp,
} from "../../sdk/src/math/positionMath.js";
import type { MarketSnapshot } from "./chain.js";
import type { TrackedPosition } from "./model.js";

const FWAD = 1e18;
/** Float slack of the pre-filter: a candidate is always valued exactly, so erring wide costs only time. */
const SLACK = 1e-6;

interface Keyed {
  warnK: number;
  warnL: number;
  warnKey: number;
  capKey: number;
}

/** Positions sorted by a key (parallel arrays: the positions themselves, so a slice needs no lookup). */
class SortedKeys {
  keys: number[] = [];
  items: TrackedPosition[] = [];

  insert(key: number, p: TrackedPosition): void {
    const i = lowerBound(this.keys, key);
    this.keys.splice(i, 0, key);
    this.items.splice(i, 0, p);
  }

  remove(key: number, id: bigint): void {
    for (let i = lowerBound(this.keys, key); i < this.keys.length && this.keys[i] === key; i++) {
      if (this.items[i]!.id === id) {
        this.keys.splice(i, 1);
        this.items.splice(i, 1);
        return;
      }
    }
    // Not found by key (a NaN or a stale key): fall back to a scan, so the index never keeps a removed position.
    const j = this.items.findIndex((p) => p.id === id);
    if (j >= 0) {
      this.keys.splice(j, 1);
      this.items.splice(j, 1);
    }
  }

  bulk(entries: [number, TrackedPosition][]): void {
    entries.sort((a, b) => a[0] - b[0]);
    this.keys = entries.map((e) => e[0]);
    this.items = entries.map((e) => e[1]);
  }
}

function lowerBound(keys: number[], key: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

class SideIndex {
  warn = new SortedKeys();
  cap = new SortedKeys();
  keyed = new Map<bigint, Keyed>();
  /** Reference borrow index (float, in units of 1) the warn keys were taken at. */
  ref = 0;
  maxL = 0;
}

/** A position valued at a market's price: equity and maintenance margin in asset units, health in WAD. */
export interface Candidate {
  position: TrackedPosition;
  equity: bigint;
  maintenance: bigint;
  health: bigint;
  liquidatable: boolean;
}

export interface Evaluation {
  /** Liquidatable at the price, outside a grace period (positions at their cap are in `atCap` only). */
  liquidatable: Candidate[];
  /** Below the warning health (liquidatable ones inside a grace period included; not those at their cap). */
  atRisk: Candidate[];
  /** Uncapped pnl at or above the cap. */
  atCap: TrackedPosition[];
  /** Positions looked at exactly (the slices the price could affect). */
  examined: number;
}

export class Book {
  private readonly sides = new Map<string, SideIndex>();
  readonly positions = new Map<bigint, TrackedPosition>();
  private readonly warnWad: bigint;

  constructor(
    private readonly assetUnit: number,
    private readonly scale: bigint,
    /** Warning health (≥ 1). */
    private readonly warnHealth: number,
    /** Maintenance margin ratio per market, WAD (the warn keys need it). */
    private readonly mmrOf: (marketId: number) => bigint,
  ) {
    this.warnWad = BigInt(Math.floor(warnHealth * FWAD));
  }

  get size(): number {
    return this.positions.size;
  }

  private side(marketId: number, isLong: boolean): SideIndex {
    const key = `${marketId}:${isLong ? "L" : "S"}`;
    let s = this.sides.get(key);
    if (s === undefined) {
      s = new SideIndex();
      this.sides.set(key, s);
    }
    return s;
  }

  private keys(p: TrackedPosition, ref: number): Keyed {
    const s = Number(p.size) / FWAD;
    const e = Number(p.entryPrice) / FWAD;
    const c = Number(p.collateral) / this.assetUnit;
    const idxP = Number(p.borrowIndex) / FWAD;
    const wm = (this.warnHealth * Number(this.mmrOf(p.marketId))) / FWAD;
    const capUsd = Number(p.maxProfit) / this.assetUnit;
    let warnK: number;
    let warnL: number;
    if (p.isLong) {
      // c + s(P − e) − s·e·(idx − idxP) = wm·s·P  ⇒  P = (s·e − c + s·e·(idx − idxP)) / (s(1 − wm))
      const d = s * (1 - wm);
      warnK = d > 0 ? (s * e - c - s * e * idxP) / d : Number.POSITIVE_INFINITY;
      warnL = d > 0 ? (s * e) / d : 0;
    } else {
      // c + s(e − P) − s·e·(idx − idxP) = wm·s·P  ⇒  P = (c + s·e − s·e·(idx − idxP)) / (s(1 + wm))
      const d = s * (1 + wm);
      warnK = (c + s * e + s * e * idxP) / d;
      warnL = (s * e) / d;
    }
    const warnKey = p.isLong ? warnK + warnL * ref : warnK - warnL * ref;
    const capKey = p.isLong ? e + capUsd / s : e - capUsd / s;
    return { warnK, warnL, warnKey, capKey };
  }

  upsert(p: TrackedPosition): void {
    this.remove(p.id);
    if (p.size === 0n) return;
    this.positions.set(p.id, p);
    const side = this.side(p.marketId, p.isLong);
    const k = this.keys(p, side.ref);
    side.keyed.set(p.id, k);
    side.warn.insert(k.warnKey, p);
    side.cap.insert(k.capKey, p);
    if (k.warnL > side.maxL) side.maxL = k.warnL;
  }

  remove(id: bigint): void {
    const p = this.positions.get(id);
    if (p === undefined) return;
    this.positions.delete(id);
    const side = this.side(p.marketId, p.isLong);
    const k = side.keyed.get(id);
    if (k === undefined) return;
    side.keyed.delete(id);
    side.warn.remove(k.warnKey, id);
    side.cap.remove(k.capKey, id);
  }

  /** Rebuilds every index from scratch (start-up, after a reorg rollback). */
  rebuild(positions: Iterable<TrackedPosition>): void {
    this.sides.clear();
    this.positions.clear();
    const groups = new Map<
      string,
      { side: SideIndex; warn: [number, TrackedPosition][]; cap: [number, TrackedPosition][] }
    >();
    for (const p of positions) {
      if (p.size === 0n) continue;
      this.positions.set(p.id, p);
      const side = this.side(p.marketId, p.isLong);
      const key = `${p.marketId}:${p.isLong}`;
      let g = groups.get(key);
      if (g === undefined) groups.set(key, (g = { side, warn: [], cap: [] }));
      const k = this.keys(p, side.ref);
      side.keyed.set(p.id, k);
      if (k.warnL > side.maxL) side.maxL = k.warnL;
      g.warn.push([k.warnKey, p]);
      g.cap.push([k.capKey, p]);
    }
    for (const g of groups.values()) {
      g.side.warn.bulk(g.warn);
      g.side.cap.bulk(g.cap);
    }
  }

  /** Re-keys a side's warn index at a new reference index (borrow fees moved every warning price). */
  private rekey(side: SideIndex, isLong: boolean, ref: number): void {
    const entries: [number, TrackedPosition][] = [];
    side.maxL = 0;
    for (const p of side.warn.items) {
      const k = side.keyed.get(p.id)!;
      k.warnKey = isLong ? k.warnK + k.warnL * ref : k.warnK - k.warnL * ref;
      if (k.warnL > side.maxL) side.maxL = k.warnL;
      entries.push([k.warnKey, p]);
    }
    side.ref = ref;
    side.warn.bulk(entries);
  }

  /**
   * Looks at every position a market's current price can affect: the warn slice is valued (liquidatable outside a
   * grace period, or below the warning health), the cap slice checked against its cap.
   */
  evaluate(markets: MarketSnapshot[], timestamp: bigint, filter: (id: bigint) => boolean = () => true): Evaluation {
    const out: Evaluation = { liquidatable: [], atRisk: [], atCap: [], examined: 0 };
    for (const m of markets) {
      const priceWad = m.price;
      if (priceWad === undefined) continue;
      const price = Number(priceWad) / FWAD;
      const inGrace = m.resumesAt > timestamp;
      for (const isLong of [true, false]) {
        const side = this.sides.get(`${m.marketId}:${isLong ? "L" : "S"}`);
        if (side === undefined || side.keyed.size === 0) continue;
        const idx = Number(isLong ? m.borrowIndexLong : m.borrowIndexShort) / FWAD;
        let drift = side.maxL * Math.abs(idx - side.ref);
        if (drift > price * 0.005) {
          this.rekey(side, isLong, idx);
          drift = 0;
        }
        const assess = (p: TrackedPosition): void => {
          if (!filter(p.id)) return;
          out.examined++;
          // A position at its cap is closed at the cap (the cap slice finds it): with its profit capped, a long's
          // health falls as the price rises, but a take-profit pays its owner more than a liquidation would.
          if (this.atCap(p, priceWad)) return;
          const c = this.value(p, m);
          if (c.liquidatable && !inGrace) out.liquidatable.push(c);
          else if (c.health < this.warnWad) out.atRisk.push(c);
        };
        const capped = (p: TrackedPosition): void => {
          if (!filter(p.id)) return;
          out.examined++;
          if (this.atCap(p, priceWad)) out.atCap.push(p);
        };
        const { warn, cap } = side;
        if (isLong) {
          // Long: at risk while price < warn price; the warn price only rose since the keys were taken.
          for (let i = lowerBound(warn.keys, (price - drift) * (1 - SLACK)); i < warn.keys.length; i++)
            assess(warn.items[i]!);
          // Long: at cap once price ≥ cap price.
          const end = lowerBound(cap.keys, price * (1 + SLACK) + Number.EPSILON);
          for (let i = 0; i < end; i++) capped(cap.items[i]!);
        } else {
          const end = lowerBound(warn.keys, (price + drift) * (1 + SLACK) + Number.EPSILON);
          for (let i = 0; i < end; i++) assess(warn.items[i]!);
          for (let i = lowerBound(cap.keys, price * (1 - SLACK)); i < cap.keys.length; i++) capped(cap.items[i]!);
        }
      }
    }
    return out;
  }

  /** Whether the position's uncapped pnl has reached its cap (`BulkheadLens.atCap`). */
  atCap(p: TrackedPosition, price: bigint): boolean {
    return pnlOf(p.isLong, p.size, p.entryPrice, price, MAX_UINT256, this.scale) >= p.maxProfit;
  }

  /** The engine's valuation of one position at the market snapshot, with the SDK maths (`MarginEngine._split`). */
  value(p: TrackedPosition, m: MarketSnapshot): Candidate {
    const price = m.price!;
    const index = p.isLong ? m.borrowIndexLong : m.borrowIndexShort;
    const pnl = pnlOf(p.isLong, p.size, p.entryPrice, price, p.maxProfit, this.scale);
    const fees = borrowFee(p.size, p.entryPrice, index > p.borrowIndex ? index - p.borrowIndex : 0n, this.scale);
    const equity = equityOf(p.collateral, pnl, fees);
    const maintenance = ratioOfNotionalUp(p.size, price, m.params.mmr, this.scale);
    return {
      position: p,
      equity,
      maintenance,
      health: healthOf(equity, maintenance),
      liquidatable: isLiquidatable(equity, maintenance),
    };
  }

  /** What liquidating the position at the snapshot pays the keeper beyond its reserve: the liquidation fee. */
  liquidationFee(p: TrackedPosition, m: MarketSnapshot): bigint {
    const price = m.price!;
    const index = p.isLong ? m.borrowIndexLong : m.borrowIndexShort;
    return liquidationSplit(
      p.collateral,
      pnlOf(p.isLong, p.size, p.entryPrice, price, p.maxProfit, this.scale),
      borrowFee(p.size, p.entryPrice, index > p.borrowIndex ? index - p.borrowIndex : 0n, this.scale),
      ratioOfNotionalUp(p.size, price, m.params.closeFeeRatio, this.scale),
      ratioOfNotionalDown(p.size, price, m.params.liqFeeRatio, this.scale),
      ratioOfNotionalUp(p.size, price, m.params.liqPenaltyRatio, this.scale),
    ).keeperFee;
  }
}

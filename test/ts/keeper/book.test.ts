/**
 * The keeper's evaluation index (keeper/src/book.ts) against the exhaustive answer: after every price move and every
 * borrow-index drift, the positions the index finds liquidatable, at risk and at their cap are exactly those an exact
 * valuation of every tracked position finds — none missed, none extra — while it values only a slice of them.
 */
import { expect } from "chai";

import { Book } from "../../../keeper/src/book.js";
import type { MarketSnapshot } from "../../../keeper/src/chain.js";
import type { TrackedPosition } from "../../../keeper/src/model.js";

const WAD = 10n ** 18n;
const USD = 10n ** 6n;
const SCALE = 10n ** 12n;
const MMR = 5n * 10n ** 16n;
const WARN = 1.2;

/** Positions settled their fees at side indices below this (the indices only grow). */
const BASE_INDEX = 10n ** 15n;

function market(marketId: number, usd: number, growth = 0n, resumesAt = 0n): MarketSnapshot {
  return {
    marketId,
    params: {
      mmr: MMR,
      liqFeeRatio: 10n ** 16n,
      liqPenaltyRatio: 10n ** 16n,
      closeFeeRatio: 10n ** 15n,
      borrowRateLong: 0n,
      borrowRateShort: 0n,
    },
    price: BigInt(Math.round(usd * 1e6)) * 10n ** 12n,
    borrowIndexLong: BASE_INDEX + growth,
    borrowIndexShort: BASE_INDEX + growth / 2n,
    resumesAt,
    roundId: 1n,
    updatedAt: 1n,
  };
}

/**
 * Positions on two markets, both sides, 1.5–25x, entered within ±30 % of the price, caps 1–9x collateral; healthy
 * at 3,000 / 60,000 (a live book: what was not has been liquidated).
 */
function positions(n: number, seed: number): TrackedPosition[] {
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const out: TrackedPosition[] = [];
  const check = new Book(1e6, SCALE, WARN, () => MMR);
  const start = [market(0, 3_000), market(1, 60_000)];
  for (let i = 1; out.length < n; i++) {
    const marketId = i % 2;
    const now = marketId === 0 ? 3_000 : 60_000;
    const entry = now * (0.7 + 0.6 * rand());
    const collateralUsd = 50 + Math.floor(rand() * 5_000);
    const size = BigInt(Math.round(((collateralUsd * (1.5 + rand() * 23.5)) / entry) * 1e9)) * 10n ** 9n;
    const p: TrackedPosition = {
      id: BigInt(i),
      owner: "0x00000000000000000000000000000000000000aa",
      marketId,
      isLong: rand() < 0.5,
      size,
      entryPrice: BigInt(Math.round(entry * 100)) * 10n ** 16n,
      collateral: BigInt(collateralUsd) * USD,
      borrowIndex: (BASE_INDEX * BigInt(Math.floor(rand() * 1000))) / 1000n,
      maxProfit: BigInt(collateralUsd) * USD * BigInt(1 + Math.floor(rand() * 9)),
      keeperReserve: USD,
    };
    const m = start[marketId]!;
    if (check.value(p, m).health < BigInt((WARN + 0.05) * 1e18) || check.atCap(p, m.price!)) continue;
    out.push(p);
  }
  return out;
}

/** The exhaustive answer: every position valued exactly (a long at its cap can be under maintenance: its profit is
 * capped, its notional is not). */
function exhaustive(book: Book, all: Iterable<TrackedPosition>, markets: MarketSnapshot[], now: bigint) {
  const liquidatable: bigint[] = [];
  const atRisk: bigint[] = [];
  const atCap: bigint[] = [];
  for (const p of all) {
    const m = markets.find((x) => x.marketId === p.marketId)!;
    // A position at its cap is taken at the cap, never reported at risk or liquidated.
    if (book.atCap(p, m.price!)) {
      atCap.push(p.id);
      continue;
    }
    const c = book.value(p, m);
    if (c.liquidatable && m.resumesAt <= now) liquidatable.push(p.id);
    else if (c.health < BigInt(WARN * 1e18)) atRisk.push(p.id);
  }
  return { liquidatable, atRisk, atCap };
}

const ids = (xs: { position: TrackedPosition }[]): bigint[] => xs.map((c) => c.position.id).sort(cmp);
const cmp = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

describe("keeper evaluation index", function () {
  it("finds exactly what an exhaustive valuation finds, across price moves and borrow-index drift", function () {
    const book = new Book(1e6, SCALE, WARN, () => MMR);
    const all = positions(4_000, 7);
    book.rebuild(all);
    const examined: number[] = [];
    const paths: [number, number, bigint][] = [
      [3_000, 60_000, 0n],
      [2_910, 61_800, 0n],
      [2_700, 66_000, 10n ** 15n],
      [3_300, 54_000, 5n * 10n ** 15n],
      [3_600, 48_000, 2n * 10n ** 16n], // drift large enough to re-key every side
      [2_400, 72_000, 3n * 10n ** 16n],
    ];
    for (const [eth, btc, index] of paths) {
      const markets = [market(0, eth, index), market(1, btc, index)];
      const ev = book.evaluate(markets, 100n);
      const want = exhaustive(book, all, markets, 100n);
      expect(ids(ev.liquidatable), `liquidatable at ${eth}/${btc}`).to.deep.equal(want.liquidatable.sort(cmp));
      expect(ids(ev.atRisk), `at risk at ${eth}/${btc}`).to.deep.equal(want.atRisk.sort(cmp));
      expect(ev.atCap.map((p) => p.id).sort(cmp), `at cap at ${eth}/${btc}`).to.deep.equal(want.atCap.sort(cmp));
      examined.push(ev.examined);
    }
    // The index is the point: after a 3 % move it looks at a slice of the book, not all of it.
    expect(examined[1]).to.be.lessThan(all.length / 4);
  });

  it("keeps liquidations out of a grace period (they are margin calls meanwhile)", function () {
    const book = new Book(1e6, SCALE, WARN, () => MMR);
    const all = positions(500, 11);
    book.rebuild(all);
    const markets = [market(0, 2_500, 0n, 1_000n), market(1, 70_000)];
    const ev = book.evaluate(markets, 999n);
    const want = exhaustive(book, all, markets, 999n);
    expect(ev.liquidatable.every((c) => c.position.marketId === 1)).to.equal(true);
    expect(ids(ev.liquidatable)).to.deep.equal(want.liquidatable.sort(cmp));
    expect(ids(ev.atRisk)).to.deep.equal(want.atRisk.sort(cmp));
    expect(ev.atRisk.some((c) => c.liquidatable)).to.equal(true);
  });

  it("follows upserts and removals as a rebuild would", function () {
    const book = new Book(1e6, SCALE, WARN, () => MMR);
    const all = positions(1_000, 13);
    for (const p of all) book.upsert(p);
    // Changes: every third position grows, every fifth goes.
    const changed = all
      .filter((p) => p.id % 5n !== 0n)
      .map((p) => (p.id % 3n === 0n ? { ...p, size: p.size * 2n, collateral: p.collateral * 3n } : p));
    for (const p of all) if (p.id % 5n === 0n) book.remove(p.id);
    for (const p of changed) if (p.id % 3n === 0n) book.upsert(p);
    const rebuilt = new Book(1e6, SCALE, WARN, () => MMR);
    rebuilt.rebuild(changed);
    expect(book.size).to.equal(changed.length);
    for (const [eth, btc] of [
      [2_800, 63_000],
      [3_250, 57_000],
    ] as const) {
      const markets = [market(0, eth), market(1, btc)];
      const a = book.evaluate(markets, 0n);
      const b = rebuilt.evaluate(markets, 0n);
      expect(ids(a.liquidatable)).to.deep.equal(ids(b.liquidatable));
      expect(ids(a.atRisk)).to.deep.equal(ids(b.atRisk));
      expect(a.atCap.map((p) => p.id).sort(cmp)).to.deep.equal(b.atCap.map((p) => p.id).sort(cmp));
      expect(ids(a.liquidatable)).to.deep.equal(exhaustive(book, changed, markets, 0n).liquidatable.sort(cmp));
    }
  });
});

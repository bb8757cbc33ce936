/**
 * Differential test of the SDK's maths against the contracts: random markets (parameters, feed decimals), 1,000+
 * random positions (sizes from dust to large, every leverage up to the maximum, both sides), random modifications
 * (increase, decrease, margin in and out) and random price paths (time jumps with borrow fees, extreme prices, oracle
 * outages and their grace period). At every step the SDK, fed only with state read at one block, must equal the
 * lens's views and the engine's events to the unit, and decide liquidatable / not at the boundary price exactly as
 * `liquidate` does.
 */
import { readFileSync } from "node:fs";

import { expect } from "chai";
import { MaxUint256 } from "ethers";

import {
  accrueBorrowIndex,
  averageEntryPrice,
  borrowFee,
  decodeBulkheadError,
  decodePositionEvents,
  getMarket,
  getPosition,
  getPositionLiquidationPrice,
  getPositionValuation,
  health,
  isPositionLiquidatable,
  LiquidationGracePeriodError,
  NotLiquidatableError,
  previewClose,
  previewLiquidation,
  ratioOfNotionalUp,
  scaleOf,
  WAD,
  type BulkheadAddresses,
  type MarketState,
  type Position,
  type PositionEvent,
} from "../../../sdk/src/index.js";
import * as positionMath from "../../../sdk/src/math/positionMath.js";
import { MockV3Aggregator__factory } from "../../../typechain-types/index.js";
import type { MockV3Aggregator } from "../../../typechain-types/index.js";
import { deployBulkhead, GRACE_PERIOD, mined, type Bulkhead, type MarketConfig } from "../fixture.js";
import { addressesOf, Rng, viemClients, type ViemClients } from "./utils.js";
import { sdkConnection } from "./connection.js";

const POSITIONS = 1_050;
const ROUNDS = 3;
const EXTRA_MARKETS = 6;
const SEED = 0xb01c_4ead_2024n;
/** Most transactions one mined block takes here (opens cost ~200k gas of a 30M block). */
const PER_BLOCK = 100;

const connection = sdkConnection;
const { provider, networkHelpers } = connection;

interface Market {
  id: bigint;
  feed: MockV3Aggregator;
  feedDecimals: bigint;
  params: MarketConfig;
  /** The latest answer published, USD WAD. */
  price: bigint;
}

const MAX_BORROW_RATE = WAD / (365n * 86_400n);
const USD = 10n ** 6n;
const SCALE = scaleOf(6);

function randomParams(rng: Rng, feed: string, feedDecimals: bigint): MarketConfig {
  const imr = rng.between(WAD / 100n, WAD / 2n);
  const mmrMax = imr - 1n < WAD / 4n ? imr - 1n : WAD / 4n;
  return {
    feed,
    heartbeat: rng.between(3_600n, 2n * 86_400n),
    feedDecimals,
    imr,
    mmr: rng.between(WAD / 200n, mmrMax),
    liqFeeRatio: rng.chance(10) ? 0n : rng.between(0n, WAD / 20n),
    liqPenaltyRatio: rng.chance(10) ? 0n : rng.between(0n, WAD / 20n),
    openFeeRatio: rng.between(0n, WAD / 100n),
    closeFeeRatio: rng.between(0n, WAD / 100n),
    maxProfitRatio: rng.between(WAD / 10n, 10n * WAD),
    borrowRateLong: rng.chance(10) ? 0n : rng.between(0n, MAX_BORROW_RATE),
    borrowRateShort: rng.chance(10) ? 0n : rng.between(0n, MAX_BORROW_RATE),
    maxOpenInterestLong: 2n ** 127n,
    maxOpenInterestShort: 2n ** 127n,
  };
}

/** Rounds a WAD price to what a feed of `decimals` can publish (at least one unit). */
function representable(price: bigint, decimals: bigint): bigint {
  const unit = 10n ** (18n - decimals);
  const units = price / unit;
  return (units < 1n ? 1n : units) * unit;
}

describe("SDK maths mirrors PositionMath.sol", function () {
  it("exports every function of the library under its name, with the same parameters", function () {
    const source = readFileSync(new URL("../../../contracts/libraries/PositionMath.sol", import.meta.url), "utf8");
    const functions = [...source.matchAll(/function\s+(\w+)\s*\(([^)]*)\)/g)].map(([, name, params]) => ({
      name: name!,
      arity: params!.trim() === "" ? 0 : params!.split(",").length,
    }));
    expect(functions.length, "functions found in PositionMath.sol").to.be.greaterThan(10);
    const exported = positionMath as unknown as Record<string, unknown>;
    for (const { name, arity } of functions) {
      const fn = exported[name];
      expect(fn, `${name} is exported by sdk/src/math/positionMath.ts`).to.be.a("function");
      expect((fn as (...args: never[]) => unknown).length, `${name}'s parameters`).to.equal(arity);
    }
  });
});

describe("SDK maths ≡ contracts (differential, seeded)", function () {
  let s: Bulkhead;
  let addresses: BulkheadAddresses;
  let clients: ViemClients;
  let trader: string;
  let keeper: string;
  const rng = new Rng(SEED);
  const markets: Market[] = [];
  const open = new Set<bigint>();
  const vaults = new Map<bigint, string>();
  /** Positions and vault balances change only when a transaction touches them: cached until then. */
  const positionCache = new Map<bigint, Position>();
  const balanceCache = new Map<bigint, bigint>();
  let liquidatedByBatch = 0;
  let closedChecked = 0;
  let increasedChecked = 0;

  // ------------------------------------------------------------------ chain helpers

  async function send(to: string, data: string, from = trader, gas = 500_000n): Promise<string> {
    return (await provider.request({
      method: "eth_sendTransaction",
      params: [{ from, to, data, gas: `0x${gas.toString(16)}` }],
    })) as string;
  }

  /**
   * Sends many transactions with automine off, mining a block every PER_BLOCK of them (and until none is pending),
   * then returns each one's block number and timestamp, in order.
   */
  async function batched(
    calls: readonly { to: string; data: string; from?: string; gas?: bigint }[],
  ): Promise<{ blockNumber: bigint; timestamp: bigint }[]> {
    const hashes: string[] = [];
    await provider.request({ method: "evm_setAutomine", params: [false] });
    try {
      for (let i = 0; i < calls.length; i += PER_BLOCK) {
        hashes.push(
          ...(await Promise.all(
            calls.slice(i, i + PER_BLOCK).map((call) => send(call.to, call.data, call.from, call.gas)),
          )),
        );
        await provider.request({ method: "evm_mine", params: [] });
      }
      for (;;) {
        const pending = (await provider.request({ method: "eth_getBlockByNumber", params: ["pending", false] })) as {
          transactions: string[];
        };
        if (pending.transactions.length === 0) break;
        await provider.request({ method: "evm_mine", params: [] });
      }
    } finally {
      await provider.request({ method: "evm_setAutomine", params: [true] });
    }
    const blocks = new Map<string, bigint>();
    return Promise.all(
      hashes.map(async (hash) => {
        const receipt = (await provider.request({ method: "eth_getTransactionReceipt", params: [hash] })) as {
          blockNumber: string;
        };
        let timestamp = blocks.get(receipt.blockNumber);
        if (timestamp === undefined) {
          const block = (await provider.request({
            method: "eth_getBlockByNumber",
            params: [receipt.blockNumber, false],
          })) as { timestamp: string };
          timestamp = BigInt(block.timestamp);
          blocks.set(receipt.blockNumber, timestamp);
        }
        return { blockNumber: BigInt(receipt.blockNumber), timestamp };
      }),
    );
  }

  async function latest(): Promise<{ number: bigint; timestamp: bigint }> {
    const block = (await provider.request({ method: "eth_getBlockByNumber", params: ["latest", false] })) as {
      number: string;
      timestamp: string;
    };
    return { number: BigInt(block.number), timestamp: BigInt(block.timestamp) };
  }

  async function publish(market: Market, price: bigint): Promise<void> {
    market.price = representable(price, market.feedDecimals);
    await mined(market.feed.updateAnswer(market.price / 10n ** (18n - market.feedDecimals)));
  }

  /** Every market's state at the latest block, through the SDK's own reads. */
  async function marketStates(): Promise<Map<bigint, MarketState>> {
    const { number } = await latest();
    const states = await Promise.all(
      markets.map((m) => getMarket(clients.publicClient, { addresses, marketId: m.id, blockNumber: number })),
    );
    return new Map(states.map((state) => [state.marketId, state]));
  }

  async function positionOf(id: bigint, blockNumber?: bigint): Promise<Position> {
    const position = await getPosition(clients.publicClient, { addresses, positionId: id, blockNumber });
    if (position === null) throw new Error(`position ${id} is not open`);
    return position;
  }

  async function vaultBalance(id: bigint): Promise<bigint> {
    let vault = vaults.get(id);
    if (vault === undefined) {
      vault = await s.engine.vaultOf(id);
      vaults.set(id, vault);
    }
    return s.usd.balanceOf(vault);
  }

  async function inChunks<T, R>(items: readonly T[], size: number, run: (item: T) => Promise<R>): Promise<R[]> {
    const out: R[] = [];
    for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(run))));
    return out;
  }

  // ------------------------------------------------------------------ set-up

  before(async function () {
    this.timeout(300_000);
    s = await deployBulkhead(connection);
    addresses = await addressesOf(s);
    clients = viemClients(provider);
    trader = s.actors.alice.address;
    keeper = s.actors.keeper.address;

    // Deep liquidity, so that large positions fit the utilisation and reservation bounds.
    await mined(s.usd.mint(s.actors.lp2, 10n ** 15n * USD));
    await mined(s.usd.connect(s.actors.lp2).approve(s.pool, MaxUint256));
    await mined(s.pool.connect(s.actors.lp2).deposit(10n ** 15n * USD, s.actors.lp2));
    await mined(s.usd.mint(s.actors.alice, 10n ** 17n * USD));
    await mined(s.usd.connect(s.actors.alice).approve(s.engine, MaxUint256));

    markets.push(
      { id: 0n, feed: s.ethFeed, feedDecimals: 8n, params: s.markets[0], price: 3_000n * WAD },
      { id: 1n, feed: s.btcFeed, feedDecimals: 8n, params: s.markets[1], price: 60_000n * WAD },
    );
    for (const market of markets) {
      market.params = { ...market.params, maxOpenInterestLong: 2n ** 127n, maxOpenInterestShort: 2n ** 127n };
      await mined(s.config.connect(s.actors.governance).setMarketParams(market.id, market.params));
    }
    const feedFactory = new MockV3Aggregator__factory(s.actors.deployer);
    for (let i = 0; i < EXTRA_MARKETS; i++) {
      const feedDecimals = rng.pick([6n, 8n, 18n]);
      const price = representable(rng.logBetween(10n ** 12n, 10n ** 25n), feedDecimals);
      const feed = await feedFactory.deploy(feedDecimals, price / 10n ** (18n - feedDecimals));
      const params = randomParams(rng, await feed.getAddress(), feedDecimals);
      await mined(s.config.connect(s.actors.governance).listMarket(params));
      markets.push({ id: BigInt(markets.length), feed, feedDecimals, params, price });
    }

    // Open the positions, many per block.
    const engine = await s.engine.getAddress();
    const firstId = await s.engine.nextPositionId();
    const { timestamp } = await latest();
    const opens = Array.from({ length: POSITIONS }, () => {
      const market = rng.pick(markets);
      const isLong = rng.chance(50);
      const collateral = rng.logBetween(s.global.minCollateral, 10n ** 9n * USD);
      // Dust sizes now and then; otherwise any leverage up to the market's maximum.
      let size: bigint;
      if (rng.chance(4)) size = rng.between(1n, 10n ** 9n);
      else {
        const maxNotional = (collateral * SCALE * WAD) / market.params.imr;
        const notional = (maxNotional * rng.between(1n, 995n)) / 1_000n;
        size = (notional * WAD) / market.price;
        while (size > 1n && ratioOfNotionalUp(size, market.price, market.params.imr, SCALE) > collateral)
          size -= size / 100n + 1n;
        if (size === 0n) size = 1n;
      }
      const acceptable = isLong ? MaxUint256 : 0n;
      return {
        to: engine,
        data: s.engine.interface.encodeFunctionData("open", [
          market.id,
          isLong,
          size,
          collateral,
          acceptable,
          timestamp + 86_400n,
        ]),
      };
    });
    await batched(opens);
    const lastId = (await s.engine.nextPositionId()) - 1n;
    for (let id = firstId; id <= lastId; id++) open.add(id);
    expect(open.size, "opened positions").to.be.greaterThanOrEqual(1_000);
  });

  // ------------------------------------------------------------------ the valuations

  /** Compares every open position's lens views with the SDK's maths at the latest block. */
  async function compareAll(label: string): Promise<{ compared: number; liquidatable: bigint[] }> {
    const states = await marketStates();
    const ids = [...open];
    const { number, timestamp } = await latest();
    const onChainBatch: boolean[] = [];
    for (let i = 0; i < ids.length; i += 400) onChainBatch.push(...(await s.lens.liquidatable(ids.slice(i, i + 400))));
    const liquidatable: bigint[] = [];
    await inChunks(ids, 64, async (id) => {
      let position = positionCache.get(id);
      let vault = balanceCache.get(id);
      if (position === undefined || vault === undefined) {
        [position, vault] = await Promise.all([positionOf(id, number), vaultBalance(id)]);
        positionCache.set(id, position);
        balanceCache.set(id, vault);
      }
      const market = states.get(position.marketId)!;
      expect(market.timestamp, "one block").to.equal(timestamp);
      const where = `${label}: position ${id} (market ${position.marketId}, ${position.isLong ? "long" : "short"})`;

      const [lensPreview, lensHealth, lensLiquidationPrice] = await Promise.all([
        s.lens.previewLiquidation(id),
        s.lens.health(id),
        s.lens.liquidationPrice(id),
      ]);
      const valuation = getPositionValuation({ position, market, scale: SCALE });
      const preview = previewLiquidation({ position, market, scale: SCALE, vaultBalance: vault, timestamp });
      expect(preview, `${where}: previewLiquidation`).to.deep.equal({
        liquidatable: lensPreview.liquidatable,
        equity: lensPreview.equity,
        maintenanceMargin: lensPreview.maintenanceMargin,
        keeperReward: lensPreview.keeperReward,
        penalty: lensPreview.penalty,
        ownerRefund: lensPreview.ownerRefund,
        badDebt: lensPreview.badDebt,
        price: lensPreview.price,
        closeFee: lensPreview.closeFee,
      });
      expect(health(valuation.equity, valuation.maintenanceMargin), `${where}: health`).to.equal(lensHealth);
      expect(getPositionLiquidationPrice({ position, market, scale: SCALE }), `${where}: liquidationPrice`).to.equal(
        lensLiquidationPrice,
      );
      const decided = isPositionLiquidatable({ position, market, scale: SCALE });
      expect(decided, `${where}: liquidatable`).to.equal(onChainBatch[ids.indexOf(id)]);
      if (decided) liquidatable.push(id);
    });
    return { compared: ids.length, liquidatable };
  }

  /** A random step of every market's price path; sometimes an extreme jump. */
  async function movePrices(): Promise<void> {
    for (const market of markets) {
      let price = market.price;
      if (rng.chance(12)) {
        const factor = rng.logBetween(1n, 10n ** 6n);
        price = rng.chance(50) ? price * factor : price / factor;
      } else {
        price = (price * rng.between(300n, 3_000n)) / 1_000n;
      }
      const max = 10n ** 36n;
      await publish(market, price > max ? max : price);
    }
  }

  it("values 1,000+ random positions along random price paths exactly as the lens does", async function () {
    this.timeout(300_000);
    let compared = 0;
    let liquidatableSeen = 0;
    let notLiquidatableSeen = 0;
    let inGraceSeen = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Time passes (borrow fees grow); a gap longer than a feed's heartbeat is an outage, then a grace period.
      const gap = rng.pick([
        0n,
        rng.between(1n, 3_000n),
        rng.between(3_600n, 86_400n),
        rng.between(86_400n, 90n * 86_400n),
      ]);
      if (gap > 0n) await networkHelpers.time.increase(gap);
      if (round === 1) {
        // Governance moves some markets' parameters (the engine accrues at the old rates first).
        for (const market of markets.slice(2)) {
          if (!rng.chance(50)) continue;
          market.params = randomParams(rng, await market.feed.getAddress(), market.feedDecimals);
          await mined(s.config.connect(s.actors.governance).setMarketParams(market.id, market.params));
        }
      }
      await movePrices();
      if (rng.chance(50)) await networkHelpers.time.increase(rng.between(1n, GRACE_PERIOD + 60n));
      const states = await marketStates();
      const { timestamp } = await latest();
      inGraceSeen += [...states.values()].filter((m) => m.liquidationResumesAt > timestamp).length;

      const result = await compareAll(`round ${round}`);
      compared += result.compared;
      liquidatableSeen += result.liquidatable.length;
      notLiquidatableSeen += result.compared - result.liquidatable.length;

      if (round % 2 === 1) await modifySome(`round ${round}`);
    }
    expect(compared, "valuations compared").to.be.greaterThanOrEqual(ROUNDS * 1_000);
    // The path must have exercised both decisions and the grace period.
    expect(liquidatableSeen, "liquidatable valuations").to.be.greaterThan(50);
    expect(notLiquidatableSeen, "healthy valuations").to.be.greaterThan(50);
    expect(inGraceSeen, "markets seen in a grace period").to.be.greaterThan(0);
  });

  /** Increases, decreases and margin moves on random positions; checks the engine's new entry prices and fees. */
  async function modifySome(label: string): Promise<void> {
    const engine = await s.engine.getAddress();
    const states = await marketStates();
    const before = new Map<bigint, Position>();
    const calls: { to: string; data: string }[] = [];
    for (const id of open) {
      if (!rng.chance(25)) continue;
      const position = await positionOf(id);
      const market = states.get(position.marketId)!;
      before.set(id, position);
      const far = market.timestamp + 86_400n;
      const kind = rng.pick(["increase", "decrease", "add", "remove"] as const);
      const bound = (adding: boolean): bigint => (position.isLong === adding ? MaxUint256 : 0n);
      let data: string;
      if (kind === "increase") {
        const sizeDelta = position.size / rng.between(2n, 20n) + 1n;
        data = s.engine.interface.encodeFunctionData("increase", [
          id,
          sizeDelta,
          position.collateral / 3n,
          bound(true),
          far,
        ]);
      } else if (kind === "decrease" && position.size > 1n) {
        data = s.engine.interface.encodeFunctionData("decrease", [
          id,
          position.size / rng.between(2n, 10n),
          bound(false),
          far,
        ]);
      } else if (kind === "remove") {
        data = s.engine.interface.encodeFunctionData("removeMargin", [
          id,
          position.collateral / rng.between(5n, 50n) + 1n,
        ]);
      } else {
        data = s.engine.interface.encodeFunctionData("addMargin", [id, rng.logBetween(1n, position.collateral)]);
      }
      calls.push({ to: engine, data });
      positionCache.delete(id);
      balanceCache.delete(id);
    }
    const fromBlock = (await latest()).number + 1n;
    await batched(calls);

    const logs = await s.engine.queryFilter(s.engine.filters.PositionIncreased(), Number(fromBlock));
    for (const log of logs) {
      const event = decodePositionEvents([log])[0];
      if (event?.eventName !== "PositionIncreased") throw new Error("expected PositionIncreased");
      const { positionId, sizeDelta, price, newEntryPrice, fees } = event.args;
      const old = before.get(positionId)!;
      const market = markets[Number(old.marketId)]!;
      const index = await s.engine.borrowIndex(old.marketId, old.isLong, { blockTag: log.blockNumber });
      const where = `${label}: increase of ${positionId}`;
      expect(newEntryPrice, `${where}: entry price`).to.equal(
        averageEntryPrice(old.isLong, old.size, old.entryPrice, sizeDelta, price),
      );
      expect(fees, `${where}: fees`).to.equal(
        borrowFee(old.size, old.entryPrice, index - old.borrowIndex, SCALE) +
          ratioOfNotionalUp(sizeDelta, price, market.params.openFeeRatio, SCALE),
      );
      increasedChecked++;
    }
  }

  // ------------------------------------------------------------------ the boundary

  it("decides liquidatable / not at the boundary price exactly as liquidate does", async function () {
    this.timeout(300_000);
    // Fresh prices, no outage in sight.
    for (const market of markets) await publish(market, market.price);
    await networkHelpers.time.increase(GRACE_PERIOD + 1n);
    for (const market of markets) await publish(market, market.price);

    const candidates = [...open].filter(() => rng.chance(15)).slice(0, 120);
    let checked = 0;
    let liquidated = 0;
    let refused = 0;
    for (const id of candidates) {
      const { timestamp } = await latest();
      const at = timestamp + 5n;
      const states = await marketStates();
      const position = await positionOf(id);
      const now = states.get(position.marketId)!;
      const marketInfo = markets[Number(position.marketId)]!;
      // The market as it will be at `at`: borrow indices accrue linearly.
      const elapsed = at - now.timestamp;
      const projected = (price: bigint): MarketState => ({
        ...now,
        price,
        borrowIndexLong: accrueBorrowIndex(now.borrowIndexLong, now.params.borrowRateLong, elapsed),
        borrowIndexShort: accrueBorrowIndex(now.borrowIndexShort, now.params.borrowRateShort, elapsed),
        timestamp: at,
        liquidationResumesAt: 0n,
      });
      const unit = 10n ** (18n - marketInfo.feedDecimals);
      const liquidatableAt = (ticks: bigint): boolean =>
        getPositionValuation({ position, market: projected(ticks * unit), scale: SCALE }).isLiquidatable;

      // Start from the SDK's liquidation price; walk to a tick where the decision flips.
      const estimate = getPositionLiquidationPrice({ position, market: projected(now.price), scale: SCALE });
      if (estimate === 0n) continue;
      let tick = estimate / unit;
      if (tick < 1n) tick = 1n;
      const start = liquidatableAt(tick);
      let step = 1n;
      let other = tick + (position.isLong === start ? 1n : -1n);
      while (other >= 1n && liquidatableAt(other) === start && step < 2n ** 80n) {
        step *= 2n;
        other = tick + (position.isLong === start ? step : -step);
      }
      if (other < 1n || liquidatableAt(other) === start) continue;
      // Binary search between `tick` (start) and `other` (flipped) for adjacent ticks.
      let [a, b] = [tick, other];
      while ((a > b ? a - b : b - a) > 1n) {
        const mid = (a + b) / 2n;
        if (liquidatableAt(mid) === start) a = mid;
        else b = mid;
      }
      for (const ticks of [a, b]) {
        const expected = liquidatableAt(ticks);
        const market = projected(ticks * unit);
        const valuation = getPositionValuation({ position, market, scale: SCALE });
        const snapshot = await networkHelpers.takeSnapshot();
        await networkHelpers.time.setNextBlockTimestamp(at);
        await publish(marketInfo, ticks * unit);
        const where = `position ${id} at ${ticks * unit}`;
        expect((await s.lens.liquidatable([id]))[0], `${where}: lens`).to.equal(expected);
        expect((await s.lens.previewLiquidation(id)).equity, `${where}: equity`).to.equal(valuation.equity);
        try {
          await s.engine.connect(s.actors.keeper).liquidate.staticCall(id);
          expect(expected, `${where}: liquidate succeeded`).to.equal(true);
          liquidated++;
        } catch (error) {
          const decoded = decodeBulkheadError(error);
          if (decoded instanceof LiquidationGracePeriodError) throw decoded;
          expect(decoded, `${where}: liquidate refused`).to.be.instanceOf(NotLiquidatableError);
          if (!(decoded instanceof NotLiquidatableError)) throw error;
          expect(expected, `${where}: the SDK said liquidatable`).to.equal(false);
          expect(decoded.args, `${where}: NotLiquidatable args`).to.deep.equal({
            positionId: id,
            equity: valuation.equity,
            maintenanceMargin: valuation.maintenanceMargin,
          });
          refused++;
        }
        await snapshot.restore();
      }
      checked++;
    }
    expect(checked, "boundaries checked").to.be.greaterThanOrEqual(60);
    expect(liquidated, "liquidations at the boundary").to.equal(checked);
    expect(refused, "refusals at the boundary").to.equal(checked);
    // Restore the latest prices (the snapshots are gone).
    for (const market of markets) market.price = representable(market.price, market.feedDecimals);
  });

  // ------------------------------------------------------------------ events of closes and liquidations

  /** A market's state moved forward to `timestamp` (same price and parameters): borrow indices accrue linearly. */
  function projectTo(market: MarketState, timestamp: bigint): MarketState {
    const elapsed = timestamp - market.timestamp;
    return {
      ...market,
      borrowIndexLong: accrueBorrowIndex(market.borrowIndexLong, market.params.borrowRateLong, elapsed),
      borrowIndexShort: accrueBorrowIndex(market.borrowIndexShort, market.params.borrowRateShort, elapsed),
      timestamp,
    };
  }

  it("predicts the engine's close and liquidation amounts (events) to the unit", async function () {
    this.timeout(300_000);
    await movePrices();
    await networkHelpers.time.increase(GRACE_PERIOD + 1n);
    for (const market of markets) await publish(market, market.price);
    const engine = await s.engine.getAddress();

    // Close a sample of positions; predict each from the state before, moved to its block's time.
    const states = await marketStates();
    const toClose = [...open].filter(() => rng.chance(8));
    const before = new Map<bigint, { position: Position; vault: bigint }>();
    for (const id of toClose) before.set(id, { position: await positionOf(id), vault: await vaultBalance(id) });
    const closeCalls = toClose.map((id) => {
      const bound = before.get(id)!.position.isLong ? 0n : MaxUint256;
      return { to: engine, data: s.engine.interface.encodeFunctionData("close", [id, bound, 2n ** 40n]) };
    });
    const closedIn = await batched(closeCalls);
    const timeOf = new Map(closedIn.map((block) => [block.blockNumber, block.timestamp]));
    const closedLogs = await s.engine.queryFilter(s.engine.filters.PositionClosed(), Number(closedIn[0]!.blockNumber));
    for (const event of decodePositionEvents(closedLogs)) {
      if (event.eventName !== "PositionClosed") continue;
      const { position, vault } = before.get(event.args.positionId)!;
      const market = projectTo(states.get(position.marketId)!, timeOf.get(event.blockNumber!)!);
      const expected = previewClose({ position, market, scale: SCALE, vaultBalance: vault });
      expect(
        { pnl: event.args.pnl, fees: event.args.fees, payout: event.args.payout, badDebt: event.args.badDebt },
        `close of ${event.args.positionId}`,
      ).to.deep.equal({ pnl: expected.pnl, fees: expected.fees, payout: expected.payout, badDebt: expected.badDebt });
      open.delete(event.args.positionId);
      closedChecked++;
    }
    expect(closedChecked, "closes checked").to.equal(toClose.length);
    expect(closedChecked, "closes checked").to.be.greaterThan(30);

    // Crash every market, liquidate in batches (healthy ids mixed in), and compare every split.
    for (const market of markets) await publish(market, (market.price * rng.between(1n, 9n)) / 10n);
    const states2 = await marketStates();
    const candidates = new Map<bigint, { position: Position; vault: bigint }>();
    for (const id of open) candidates.set(id, { position: await positionOf(id), vault: await vaultBalance(id) });
    const preview = (id: bigint, timestamp: bigint): ReturnType<typeof previewLiquidation> => {
      const { position, vault } = candidates.get(id)!;
      const market = projectTo(states2.get(position.marketId)!, timestamp);
      return previewLiquidation({ position, market, scale: SCALE, vaultBalance: vault, timestamp });
    };
    const soon = states2.values().next().value!.timestamp + 1n;
    const ids = [...open];
    const doomed = ids.filter((id) => preview(id, soon).liquidatable);
    const healthy = ids.filter((id) => !preview(id, soon).liquidatable);
    const batches: bigint[][] = [];
    for (let i = 0; i < doomed.length; i += 40) batches.push([...doomed.slice(i, i + 40), ...healthy.splice(0, 3)]);
    const liquidatedIn = await batched(
      batches.map((batch) => ({
        to: engine,
        data: s.engine.interface.encodeFunctionData("liquidateBatch", [batch]),
        from: keeper,
        gas: 6_000_000n,
      })),
    );
    const expectedLiquidated = new Set<bigint>();
    batches.forEach((batch, i) => {
      for (const id of batch) if (preview(id, liquidatedIn[i]!.timestamp).liquidatable) expectedLiquidated.add(id);
    });
    const timeOf2 = new Map(liquidatedIn.map((block) => [block.blockNumber, block.timestamp]));
    const liquidations: PositionEvent[] = decodePositionEvents(
      await s.engine.queryFilter(s.engine.filters.PositionLiquidated(), Number(liquidatedIn[0]!.blockNumber)),
    );
    const seen = new Set<bigint>();
    for (const event of liquidations) {
      if (event.eventName !== "PositionLiquidated") continue;
      const expected = preview(event.args.positionId, timeOf2.get(event.blockNumber!)!);
      expect(
        {
          keeperReward: event.args.keeperReward,
          penalty: event.args.penalty,
          ownerRefund: event.args.ownerRefund,
          badDebt: event.args.badDebt,
          price: event.args.price,
          closeFee: event.args.closeFee,
        },
        `split of ${event.args.positionId}`,
      ).to.deep.equal({
        keeperReward: expected.keeperReward,
        penalty: expected.penalty,
        ownerRefund: expected.ownerRefund,
        badDebt: expected.badDebt,
        price: expected.price,
        closeFee: expected.closeFee,
      });
      seen.add(event.args.positionId);
      open.delete(event.args.positionId);
      liquidatedByBatch++;
    }
    expect([...seen].sort(), "liquidated exactly the positions the SDK said").to.deep.equal(
      [...expectedLiquidated].sort(),
    );
    expect(liquidatedByBatch, "liquidations checked").to.be.greaterThan(30);
    expect(increasedChecked, "increases checked").to.be.greaterThan(20);
  });
});

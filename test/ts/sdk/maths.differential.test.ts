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

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

import {
  accrueBorrowIndex,
  borrowFee,
  cachedSharePriceAfter,
  capOf,
  claimDepositShares,
  claimMintAssets,
  claimRedeemAssets,
  claimWithdrawShares,
  executeDepositRequest,
  executeRedeemRequest,
  poolTotalAssets,
  redeemRequestValue,
  tradersClaim,
  type PoolSideState,
  type PoolValuationMarket,
  entryAfterIncrease,
  isAtCap,
  previewIncrease,
  previewTakeProfit,
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
import * as poolValuation from "../../../sdk/src/math/poolValuation.js";
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
/** RiskBounds: borrow rates of at least 1 % a year. */
const MIN_BORROW_RATE = WAD / 100n / (365n * 86_400n);
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
    maxProfitNotionalRatio: rng.chance(20) ? WAD : rng.between(WAD / 100n, WAD),
    borrowRateLong: rng.chance(10) ? MIN_BORROW_RATE : rng.between(MIN_BORROW_RATE, MAX_BORROW_RATE),
    borrowRateShort: rng.chance(10) ? MIN_BORROW_RATE : rng.between(MIN_BORROW_RATE, MAX_BORROW_RATE),
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
  let atCapSeen = 0;
  let increasedBeyondCap = 0;

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
    await mined(s.pool.connect(s.actors.lp2).requestDeposit(10n ** 15n * USD, s.actors.lp2, s.actors.lp2));
    await networkHelpers.time.increase((await s.config.lpParams()).lpDelay);
    await mined(s.pool.connect(s.actors.lp2).executeDeposits([s.actors.lp2]));
    const claimable = await s.pool.maxDeposit(s.actors.lp2);
    await mined(s.pool.connect(s.actors.lp2)["deposit(uint256,address)"](claimable, s.actors.lp2));
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
      // Notionals just above the minimum now and then; otherwise any leverage up to the market's maximum.
      const minNotional = s.global.minNotional * SCALE;
      let size: bigint;
      if (rng.chance(4)) size = ((minNotional + rng.between(1n, minNotional)) * WAD) / market.price + 1n;
      else {
        const maxNotional = (collateral * SCALE * WAD) / market.params.imr;
        let notional = (maxNotional * rng.between(1n, 995n)) / 1_000n;
        if (notional < 2n * minNotional) notional = 2n * minNotional;
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
    const openedIn = await batched(opens);
    const lastId = (await s.engine.nextPositionId()) - 1n;
    for (let id = firstId; id <= lastId; id++) open.add(id);
    expect(open.size, "opened positions").to.be.greaterThanOrEqual(1_000);

    // Every cap is the lower of maxProfitRatio × collateral and maxProfitNotionalRatio × notional at the open price.
    const opened = decodePositionEvents(
      await s.engine.queryFilter(s.engine.filters.PositionOpened(), Number(openedIn[0]!.blockNumber)),
    );
    const bothBoundsSeen = { collateral: 0, notional: 0 };
    for (const event of opened) {
      if (event.eventName !== "PositionOpened") continue;
      const { positionId, marketId, size, price, collateral } = event.args;
      const params = markets[Number(marketId)]!.params;
      const position = await positionOf(positionId, event.blockNumber!);
      const cap = capOf(collateral, size, price, params.maxProfitRatio, params.maxProfitNotionalRatio, SCALE);
      expect(position.maxProfit, `cap of ${positionId}`).to.equal(cap);
      if (cap === (collateral * params.maxProfitRatio) / WAD) bothBoundsSeen.collateral++;
      else bothBoundsSeen.notional++;
    }
    expect(opened.length, "opens checked").to.equal(open.size);
    expect(bothBoundsSeen.collateral, "caps bound by collateral").to.be.greaterThan(20);
    expect(bothBoundsSeen.notional, "caps bound by notional").to.be.greaterThan(20);
  });

  // ------------------------------------------------------------------ the valuations

  /** Compares every open position's lens views with the SDK's maths at the latest block. */
  async function compareAll(label: string): Promise<{ compared: number; liquidatable: bigint[] }> {
    const states = await marketStates();
    const ids = [...open];
    const { number, timestamp } = await latest();
    const onChainBatch: boolean[] = [];
    const atCapBatch: boolean[] = [];
    for (let i = 0; i < ids.length; i += 400) {
      onChainBatch.push(...(await s.lens.liquidatable(ids.slice(i, i + 400))));
      atCapBatch.push(...(await s.lens.atCap(ids.slice(i, i + 400))));
    }
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
      expect(isAtCap({ position, price: market.price, scale: SCALE }), `${where}: atCap`).to.equal(
        atCapBatch[ids.indexOf(id)],
      );
      if (atCapBatch[ids.indexOf(id)]) atCapSeen++;
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
    expect(atCapSeen, "valuations at the cap").to.be.greaterThan(10);
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
        entryAfterIncrease(old.isLong, old.size, old.entryPrice, sizeDelta, price, old.maxProfit, SCALE),
      );
      // The cap is sticky: the old cap plus what the increase brings.
      const after = await positionOf(positionId, BigInt(log.blockNumber));
      const expected = previewIncrease({
        position: old,
        sizeDelta,
        collateralDelta: event.args.collateralDelta,
        price,
        params: market.params,
        scale: SCALE,
      });
      expect(after.maxProfit, `${where}: cap`).to.equal(expected.maxProfit);
      expect(after.entryPrice, `${where}: stored entry`).to.equal(expected.entryPrice);
      if (isAtCap({ position: old, price, scale: SCALE })) increasedBeyondCap++;
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

  it("predicts the engine's take-profit, close and liquidation amounts (events) to the unit", async function () {
    this.timeout(300_000);
    await movePrices();
    await networkHelpers.time.increase(GRACE_PERIOD + 1n);
    for (const market of markets) await publish(market, market.price);
    const engine = await s.engine.getAddress();

    // Take profit on every position at its cap, in batches; predict each from the state before.
    const tpStates = await marketStates();
    const tpIds = [...open];
    const flags: boolean[] = [];
    for (let i = 0; i < tpIds.length; i += 400) flags.push(...(await s.lens.atCap(tpIds.slice(i, i + 400))));
    const capped = tpIds.filter((_, i) => flags[i] === true);
    const tpBefore = new Map<bigint, { position: Position; vault: bigint }>();
    for (const id of capped) tpBefore.set(id, { position: await positionOf(id), vault: await vaultBalance(id) });
    const tpBatches: bigint[][] = [];
    for (let i = 0; i < capped.length; i += 40) tpBatches.push(capped.slice(i, i + 40));
    const takenIn = await batched(
      tpBatches.map((batch) => ({
        to: engine,
        data: s.engine.interface.encodeFunctionData("takeProfitBatch", [batch]),
        from: keeper,
        gas: 8_000_000n,
      })),
    );
    const tpTimeOf = new Map(takenIn.map((block) => [block.blockNumber, block.timestamp]));
    let taken = 0;
    if (takenIn.length > 0) {
      const logs = await s.engine.queryFilter(s.engine.filters.ProfitTaken(), Number(takenIn[0]!.blockNumber));
      for (const event of decodePositionEvents(logs)) {
        if (event.eventName !== "ProfitTaken") continue;
        const { position, vault } = tpBefore.get(event.args.positionId)!;
        const market = projectTo(tpStates.get(position.marketId)!, tpTimeOf.get(event.blockNumber!)!);
        const expected = previewTakeProfit({ position, market, scale: SCALE, vaultBalance: vault });
        expect(
          {
            price: event.args.price,
            profit: event.args.profit,
            fees: event.args.fees,
            payout: event.args.payout,
            keeperReward: event.args.keeperReward,
            badDebt: event.args.badDebt,
          },
          `take profit of ${event.args.positionId}`,
        ).to.deep.equal({
          price: market.price,
          profit: expected.profit,
          fees: expected.fees,
          payout: expected.payout,
          keeperReward: expected.keeperReward,
          badDebt: expected.badDebt,
        });
        open.delete(event.args.positionId);
        taken++;
      }
    }
    expect(taken, "positions closed at their cap").to.equal(capped.length);
    expect(taken, "positions closed at their cap").to.be.greaterThan(5);

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
    expect(increasedBeyondCap, "increases of positions beyond their cap").to.be.greaterThan(0);
  });
});

describe("SDK pool maths mirrors PoolValuation.sol", function () {
  it("exports the library's pure functions under their names, with the same parameters", function () {
    const source = readFileSync(new URL("../../../contracts/libraries/PoolValuation.sol", import.meta.url), "utf8");
    const functions = [...source.matchAll(/function\s+(\w+)\s*\(([^)]*)\)[^{]*\bpure\b/g)]
      .filter(([, name]) => !name!.startsWith("_"))
      .map(([, name, params]) => ({ name: name!, arity: params!.trim() === "" ? 0 : params!.split(",").length }));
    expect(functions.map((f) => f.name)).to.include.members(["sideClaim", "tradersClaim"]);
    const exported = poolValuation as unknown as Record<string, unknown>;
    for (const { name, arity } of functions) {
      const fn = exported[name];
      expect(fn, `${name} is exported by sdk/src/math/poolValuation.ts`).to.be.a("function");
      expect((fn as (...args: never[]) => unknown).length, `${name}'s parameters`).to.equal(arity);
    }
  });
});

describe("SDK pool maths ≡ LiquidityPool (differential, seeded)", function () {
  const LP_ROUNDS = 8;
  let s: Bulkhead;
  let lps: HardhatEthersSigner[];
  const rng = new Rng(SEED ^ 0x9001n);
  const feeds = (): MockV3Aggregator[] => [s.ethFeed, s.btcFeed];
  const prices = [3_000n * WAD, 60_000n * WAD];
  let executedDeposits = 0;
  let executedRedeems = 0;
  let partial = 0;
  let claims = 0;

  async function latestBlock(): Promise<{ number: bigint; timestamp: bigint }> {
    const block = (await s.connection.provider.request({
      method: "eth_getBlockByNumber",
      params: ["latest", false],
    })) as { number: string; timestamp: string };
    return { number: BigInt(block.number), timestamp: BigInt(block.timestamp) };
  }

  /** The valuation inputs of every market at `blockTag`, read from the engine: what `PoolValuation.markets` reads. */
  async function valuationMarkets(blockTag: number): Promise<PoolValuationMarket[]> {
    const out: PoolValuationMarket[] = [];
    for (const id of [0n, 1n]) {
      const side = async (isLong: boolean): Promise<PoolSideState> => {
        const state = await s.engine.sideState(id, isLong, { blockTag });
        return {
          openInterest: state.openInterest,
          entryNotional: state.entryNotional,
          collateral: state.collateral,
          maxProfit: state.maxProfit,
          feeDebt: state.feeDebt,
        };
      };
      const [longs, shorts] = [await side(true), await side(false)];
      const empty = longs.openInterest === 0n && shorts.openInterest === 0n;
      out.push({
        price: empty ? 0n : prices[Number(id)]!,
        longs,
        shorts,
        longIndex: empty ? 0n : await s.engine.borrowIndex(id, true, { blockTag }),
        shortIndex: empty ? 0n : await s.engine.borrowIndex(id, false, { blockTag }),
      });
    }
    return out;
  }

  /** Publishes fresh answers near the current prices and lets `lpSettle` pass, so LP requests may execute. */
  async function movePricesAndSettle(): Promise<void> {
    for (const [i, feed] of feeds().entries()) {
      const next = (prices[i]! * rng.between(900n, 1_120n)) / 1_000n;
      prices[i] = (next / 10n ** 10n) * 10n ** 10n;
      await mined(feed.updateAnswer(prices[i]! / 10n ** 10n));
    }
    await s.connection.networkHelpers.time.increase(2n);
    // After an outage (a long gap), requests wait out the grace period: until the pool says when.
    const [open, retryAt] = await s.pool.lpExecutionStatus();
    if (!open) await s.connection.networkHelpers.time.increaseTo(retryAt);
  }

  /** The SDK's `totalAssets` at the latest block, from the engine's side states and the pool's equity. */
  async function sdkTotalAssets(blockTag: number): Promise<bigint> {
    const claim = tradersClaim(await valuationMarkets(blockTag), SCALE);
    return poolTotalAssets(await s.pool.equityAssets({ blockTag }), claim);
  }

  before(async function () {
    this.timeout(300_000);
    s = await deployBulkhead(sdkConnection);
    lps = [s.actors.lp, s.actors.lp2, s.actors.bob, s.actors.carol, ...s.actors.others.slice(0, 3)];
    // An execution fee, so every execution's fee and net amounts are exercised.
    const lp = await s.config.lpParams();
    await mined(
      s.config.connect(s.actors.deployer).setLpParams({
        lpDelay: lp.lpDelay,
        lpSettle: lp.lpSettle,
        lpResume: lp.lpResume,
        minRequest: 10n * USD,
        executionFee: USD,
      }),
    );
    for (const who of lps) {
      await mined(s.usd.mint(who, 10n ** 9n * USD));
      await mined(s.usd.connect(who).approve(s.pool, MaxUint256));
    }
    // Positions on both sides of both markets: their caps reserve most of the pool, so redemptions run short.
    await mined(s.usd.mint(s.actors.alice, 10n ** 9n * USD));
    await mined(s.usd.connect(s.actors.alice).approve(s.engine, MaxUint256));
    const { timestamp } = await latestBlock();
    for (let i = 0; i < 16; i++) {
      const marketId = BigInt(i % 2);
      const collateral = rng.between(500n, 5_000n) * USD;
      const notional = collateral * rng.between(2n, 9n) * SCALE;
      const size = (notional * WAD) / prices[i % 2]!;
      const isLong = rng.chance(60);
      await mined(
        s.engine
          .connect(s.actors.alice)
          .open(marketId, isLong, size, collateral, isLong ? MaxUint256 : 0n, timestamp + 86_400n),
      );
    }
  });

  it("values the pool, prices every execution, partial redemption and claim exactly as the contracts do", async function () {
    this.timeout(300_000);
    const lpDelay = (await s.config.lpParams()).lpDelay;
    for (let round = 0; round < LP_ROUNDS; round++) {
      // ---------------------------------------------------------------- requests
      const depositors: string[] = [];
      for (const who of lps) {
        const requests = await s.pool.pendingDepositRequest(0n, who);
        if (requests === 0n && rng.chance(60)) {
          // Now and then a request so small it mints nothing at the execution price: refunded instead.
          const assets = rng.chance(10) ? 10n * USD : rng.logBetween(10n * USD, 400_000n * USD);
          await mined(s.pool.connect(who).requestDeposit(assets, who, who));
          depositors.push(who.address);
        }
        const shares = await s.pool.balanceOf(who);
        // One round, everyone leaves at once: more than the free liquidity, so the queue executes in part.
        const rush = round === 3;
        if ((await s.pool.pendingRedeemRequest(0n, who)) === 0n && shares > 0n && (rush || rng.chance(50))) {
          const amount = rush || rng.chance(30) ? shares : rng.between(1n, shares);
          const cached = await s.pool.cachedSharePrice();
          const value = redeemRequestValue(amount, cached);
          const request = s.pool.connect(who).requestRedeem(amount, who, who);
          if (value < 10n * USD) {
            await expect(request)
              .to.be.revertedWithCustomError(s.pool, "RequestTooSmall")
              .withArgs(value, 10n * USD);
          } else await mined(request);
        }
      }
      // Valuation at a block where nothing else moves: the SDK's totalAssets is the pool's.
      await movePricesAndSettle();
      const { number } = await latestBlock();
      expect(await sdkTotalAssets(Number(number)), `round ${round}: totalAssets`).to.equal(
        await s.pool.totalAssets({ blockTag: Number(number) }),
      );

      // ---------------------------------------------------------------- deposits executed
      await s.connection.networkHelpers.time.increase(lpDelay);
      await movePricesAndSettle();
      {
        const pendingBefore = new Map<string, { assets: bigint; fee: bigint; price: bigint }>();
        const { number: before, timestamp: beforeTime } = await latestBlock();
        for (const who of lps) {
          pendingBefore.set(who.address, {
            assets: await s.pool.pendingDepositRequest(0n, who),
            fee: USD,
            price: 0n,
          });
        }
        // The price each request recorded is the cached one at its time: read it back from its DepositRequest.
        const requestLogs = await s.pool.queryFilter(s.pool.filters.DepositRequest(), 0, Number(before));
        const cachedAt = async (blockNumber: number): Promise<bigint> =>
          s.pool.cachedSharePrice({ blockTag: blockNumber - 1 });
        for (const log of requestLogs) {
          const entry = pendingBefore.get(log.args.controller);
          if (entry !== undefined && entry.assets !== 0n) entry.price = await cachedAt(log.blockNumber);
        }
        const controllers = rng.chance(50) ? [...lps.map((l) => l.address)] : depositors;
        const pinned = (await latestBlock()).timestamp + 1n;
        await s.connection.networkHelpers.time.setNextBlockTimestamp(pinned);
        const markets = (await valuationMarkets(Number(before))).map((m, id) =>
          projectIndices(m, id, pinned - beforeTime),
        );
        let assetsNow = poolTotalAssets(await s.pool.equityAssets(), tradersClaim(markets, SCALE));
        let supply = await s.pool.totalSupply();
        const receipt = await (await s.pool.connect(s.actors.keeper).executeDeposits(controllers)).wait();
        const events = receipt!.logs.map((log) => s.pool.interface.parseLog(log)).filter((e) => e !== null);
        for (const controller of controllers) {
          const entry = pendingBefore.get(controller);
          if (entry === undefined || entry.assets === 0n) continue;
          const predicted = executeDepositRequest({
            assets: entry.assets,
            fee: entry.fee,
            requestPrice: entry.price,
            totalAssets: assetsNow,
            totalSupply: supply,
          });
          const event = events.find(
            (e) => (e.name === "DepositExecuted" || e.name === "DepositRefunded") && e.args.controller === controller,
          );
          expect(event, `round ${round}: ${controller} executed`).to.not.equal(undefined);
          if (predicted.refunded) {
            expect(event!.name).to.equal("DepositRefunded");
            continue;
          }
          expect(event!.name, `round ${round}: ${controller} deposit`).to.equal("DepositExecuted");
          expect(
            { assets: event!.args.assets, shares: event!.args.shares, price: event!.args.price, fee: event!.args.fee },
            `round ${round}: deposit of ${controller}`,
          ).to.deep.equal({ assets: predicted.assets, shares: predicted.shares, price: predicted.price, fee: USD });
          assetsNow += predicted.assets;
          supply += predicted.shares;
          executedDeposits++;
        }
        expect(await s.pool.cachedSharePrice(), `round ${round}: cached price`).to.equal(
          cachedSharePriceAfter(assetsNow, supply),
        );
      }

      // ---------------------------------------------------------------- redemptions executed, in order
      if (round === 3) {
        // A large position reserves most of what is free: the rush is executed in part.
        const notional = ((await s.pool.freeLiquidity()) * 9n) / 10n;
        const size = (notional * SCALE * WAD) / prices[0]!;
        const { timestamp } = await latestBlock();
        await mined(
          s.engine.connect(s.actors.alice).open(0n, true, size, notional / 4n, MaxUint256, timestamp + 86_400n),
        );
      }
      await movePricesAndSettle();
      {
        const { number: before, timestamp: beforeTime } = await latestBlock();
        const queue = await s.pool.redeemQueue({ blockTag: Number(before) });
        const requests = new Map<string, { shares: bigint; price: bigint; fee: bigint }>();
        for (const controller of queue) {
          const logs = await s.pool.queryFilter(s.pool.filters.RedeemRequest(controller), 0, Number(before));
          const last = logs[logs.length - 1]!;
          const executed = await s.pool.queryFilter(s.pool.filters.RedeemExecuted(controller), last.blockNumber);
          requests.set(controller, {
            shares: await s.pool.pendingRedeemRequest(0n, controller, { blockTag: Number(before) }),
            price: await s.pool.cachedSharePrice({ blockTag: last.blockNumber - 1 }),
            // The fee is paid once, with the first part.
            fee: executed.length === 0 ? USD : 0n,
          });
        }
        let liquidity = await s.pool.freeLiquidity({ blockTag: Number(before) });
        const pinned = (await latestBlock()).timestamp + 1n;
        await s.connection.networkHelpers.time.setNextBlockTimestamp(pinned);
        const markets = (await valuationMarkets(Number(before))).map((m, id) =>
          projectIndices(m, id, pinned - beforeTime),
        );
        let assetsNow = poolTotalAssets(await s.pool.equityAssets(), tradersClaim(markets, SCALE));
        let supply = await s.pool.totalSupply();
        const receipt = await (await s.pool.connect(s.actors.keeper).executeRedeems(100n)).wait();
        const events = receipt!.logs
          .map((log) => s.pool.interface.parseLog(log))
          .filter((e) => e !== null && e.name === "RedeemExecuted");
        let i = 0;
        for (const controller of queue) {
          const request = requests.get(controller)!;
          const predicted = executeRedeemRequest({
            shares: request.shares,
            fee: request.fee,
            requestPrice: request.price,
            totalAssets: assetsNow,
            totalSupply: supply,
            freeLiquidity: liquidity,
          });
          if (predicted.skipped) break;
          const event = events[i++]!;
          expect(
            {
              controller: event.args.controller,
              shares: event.args.shares,
              assets: event.args.assets,
              price: event.args.price,
              remainingShares: event.args.remainingShares,
              fee: event.args.fee,
            },
            `round ${round}: redemption of ${controller}`,
          ).to.deep.equal({
            controller,
            shares: predicted.shares,
            assets: predicted.assets,
            price: predicted.price,
            remainingShares: predicted.remainingShares,
            fee: predicted.fee,
          });
          executedRedeems++;
          liquidity -= predicted.assets + predicted.fee;
          assetsNow -= predicted.assets + predicted.fee < assetsNow ? predicted.assets + predicted.fee : assetsNow;
          supply -= predicted.shares;
          if (predicted.remainingShares !== 0n) {
            partial++;
            break;
          }
        }
        expect(events.length, `round ${round}: executions`).to.equal(i);
        expect(await s.pool.cachedSharePrice(), `round ${round}: cached price`).to.equal(
          cachedSharePriceAfter(assetsNow, supply),
        );
      }

      // ---------------------------------------------------------------- claims, by either unit, in part
      for (const who of lps) {
        const [depositAssets, depositShares] = [await s.pool.maxDeposit(who), await s.pool.maxMint(who)];
        if (depositAssets > 0n) {
          const byAssets = rng.chance(50);
          const part = rng.chance(40);
          if (byAssets) {
            const assets = part ? rng.between(1n, depositAssets) : depositAssets;
            const before = await s.pool.balanceOf(who);
            await mined(s.pool.connect(who)["deposit(uint256,address,address)"](assets, who, who));
            expect((await s.pool.balanceOf(who)) - before, "deposit claim").to.equal(
              claimDepositShares(assets, depositAssets, depositShares),
            );
          } else {
            const shares = part ? rng.between(1n, depositShares) : depositShares;
            await mined(s.pool.connect(who)["mint(uint256,address,address)"](shares, who, who));
            expect(depositAssets - (await s.pool.maxDeposit(who)), "mint claim").to.equal(
              claimMintAssets(shares, depositAssets, depositShares),
            );
          }
          claims++;
        }
        const [redeemAssets, redeemShares] = [await s.pool.maxWithdraw(who), await s.pool.maxRedeem(who)];
        if (redeemAssets > 0n) {
          const before = await s.usd.balanceOf(who);
          if (rng.chance(50)) {
            const shares = rng.chance(40) ? rng.between(1n, redeemShares) : redeemShares;
            await mined(s.pool.connect(who).redeem(shares, who, who));
            expect((await s.usd.balanceOf(who)) - before, "redeem claim").to.equal(
              claimRedeemAssets(shares, redeemAssets, redeemShares),
            );
          } else {
            const assets = rng.chance(40) ? rng.between(1n, redeemAssets) : redeemAssets;
            await mined(s.pool.connect(who).withdraw(assets, who, who));
            expect(redeemShares - (await s.pool.maxRedeem(who)), "withdraw claim").to.equal(
              claimWithdrawShares(assets, redeemAssets, redeemShares),
            );
          }
          claims++;
        }
      }
      // Time passes: fees accrue, so the next round's valuation includes them.
      await s.connection.networkHelpers.time.increase(rng.between(60n, 30n * 86_400n));
    }
    expect(executedDeposits, "deposits executed").to.be.greaterThan(10);
    expect(executedRedeems, "redemptions executed").to.be.greaterThan(5);
    expect(partial, "partial redemptions").to.be.greaterThan(0);
    expect(claims, "claims").to.be.greaterThan(10);
  });

  /** A market's borrow indices moved forward by `elapsed` seconds at the market's (linear) borrow rates. */
  function projectIndices(m: PoolValuationMarket, marketId: number, elapsed: bigint): PoolValuationMarket {
    if (m.price === 0n) return m;
    const params = s.markets[marketId]!;
    return {
      ...m,
      longIndex: accrueBorrowIndex(m.longIndex, params.borrowRateLong, elapsed),
      shortIndex: accrueBorrowIndex(m.shortIndex, params.borrowRateShort, elapsed),
    };
  }
});

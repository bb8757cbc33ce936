/**
 * Differential test of the SDK's maths against the contracts: random markets (parameters, feed decimals), 1,000+
 * random positions (sizes from dust to large, every leverage up to the maximum, both sides), opened through two-step
 * orders, random modifications (increase and decrease orders, margin in and out) and random price paths (time jumps
 * with borrow fees, extreme prices, oracle outages and their grace period). At every step the SDK, fed only with state
 * read at one block, must equal the lens's views and the engine's events to the unit: what each order's execution does
 * (the opening fee taken from the collateral, the sticky cap of an increase, a decrease's share of the cap, a close
 * with bad debt), whether it is cancelled and why, whether it liquidates instead, what a margin removal does to the
 * cap; and decide liquidatable / not at the boundary price exactly as `liquidate` does.
 */
import { readFileSync } from "node:fs";

import { expect } from "chai";
import { MaxUint256 } from "ethers";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

import {
  accrueBorrowIndex,
  cachedSharePriceAfter,
  CANCEL_REASONS,
  capAfterRemoveMargin,
  capKeptAfterDecrease,
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
  isAtCap,
  previewDecrease,
  previewIncrease,
  previewOpen,
  previewRemoveMargin,
  previewTakeProfit,
  decodeBulkheadError,
  decodePositionEvents,
  getMarket,
  getPosition,
  getPositionEvents,
  getPositionLiquidationPrice,
  getPositionValuation,
  GracePeriodError,
  health,
  isPositionLiquidatable,
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
import { deployBulkhead, GRACE_PERIOD, mined, openPosition, type Bulkhead, type MarketConfig } from "../fixture.js";
import { addressesOf, Rng, viemClients, type ViemClients } from "./utils.js";
import { sdkConnection } from "./connection.js";

const POSITIONS = 1_050;
const ROUNDS = 3;
const EXTRA_MARKETS = 6;
const SEED = 0xb01c_4ead_2024n;
/** Most transactions one mined block takes here (requests cost ~200k gas of a 30M block). */
const PER_BLOCK = 100;
/** Orders one `executeOrders` transaction executes, and its gas. */
const PER_EXECUTION = 20;
const EXECUTION_GAS = 12_000_000n;

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
/** RiskBounds: an order waits at most two days and an hour. */
const MAX_ORDER_WAIT = 2n * 86_400n + 3_600n;

function randomParams(rng: Rng, feed: string, feedDecimals: bigint): MarketConfig {
  const imr = rng.between(WAD / 100n, WAD / 2n);
  const mmrMax = imr - 1n < WAD / 4n ? imr - 1n : WAD / 4n;
  const heartbeat = rng.between(3_600n, 2n * 86_400n);
  return {
    feed,
    heartbeat,
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
    maxOrderWait: rng.between(heartbeat, MAX_ORDER_WAIT),
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

/** A transaction `batched` sent: where it was mined and whether it succeeded. */
interface Sent {
  blockNumber: bigint;
  timestamp: bigint;
  success: boolean;
}

describe("SDK maths ≡ contracts (differential, seeded)", function () {
  let s: Bulkhead;
  let addresses: BulkheadAddresses;
  let clients: ViemClients;
  let trader: string;
  let keeper: string;
  const rng = new Rng(SEED);
  const markets: Market[] = [];
  const open = new Set<bigint>();
  /** Positions change only when a transaction touches them: cached until then. */
  const positionCache = new Map<bigint, Position>();
  const counts = {
    liquidatedByBatch: 0,
    liquidatedAtExecution: 0,
    closed: 0,
    closedWithBadDebt: 0,
    increased: 0,
    increasedBeyondCap: 0,
    decreased: 0,
    removed: 0,
    removeRefused: 0,
    cancelledMargin: 0,
    atCapSeen: 0,
  };

  // ------------------------------------------------------------------ chain helpers

  async function send(to: string, data: string, from = trader, gas = 500_000n): Promise<string> {
    return (await provider.request({
      method: "eth_sendTransaction",
      params: [{ from, to, data, gas: `0x${gas.toString(16)}` }],
    })) as string;
  }

  /**
   * Sends many transactions with automine off, mining a block every PER_BLOCK of them (and until none is pending),
   * then returns each one's block, time and status, in order.
   */
  async function batched(calls: readonly { to: string; data: string; from?: string; gas?: bigint }[]): Promise<Sent[]> {
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
          status: string;
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
        return { blockNumber: BigInt(receipt.blockNumber), timestamp, success: receipt.status === "0x1" };
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

  async function blockTime(blockNumber: bigint): Promise<bigint> {
    const block = (await provider.request({
      method: "eth_getBlockByNumber",
      params: [`0x${blockNumber.toString(16)}`, false],
    })) as { timestamp: string };
    return BigInt(block.timestamp);
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
    if (position === null) throw new Error(`position ${id} does not exist`);
    return position;
  }

  async function inChunks<T, R>(items: readonly T[], size: number, run: (item: T) => Promise<R>): Promise<R[]> {
    const out: R[] = [];
    for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(run))));
    return out;
  }

  /** A market's state moved forward to `timestamp` (same parameters): borrow indices accrue linearly. */
  function projectTo(market: MarketState, timestamp: bigint, price = market.price): MarketState {
    const elapsed = timestamp - market.timestamp;
    return {
      ...market,
      price,
      borrowIndexLong: accrueBorrowIndex(market.borrowIndexLong, market.params.borrowRateLong, elapsed),
      borrowIndexShort: accrueBorrowIndex(market.borrowIndexShort, market.params.borrowRateShort, elapsed),
      timestamp,
    };
  }

  /** The engine's events from `fromBlock` on, by position, with each block's time. */
  async function eventsSince(fromBlock: bigint): Promise<{
    byPosition: Map<bigint, PositionEvent[]>;
    timeOf: (event: PositionEvent) => Promise<bigint>;
  }> {
    const events = await getPositionEvents(clients.publicClient, { addresses, fromBlock });
    const byPosition = new Map<bigint, PositionEvent[]>();
    for (const event of events) {
      if (!("positionId" in event.args)) continue;
      const list = byPosition.get(event.args.positionId) ?? [];
      list.push(event);
      byPosition.set(event.args.positionId, list);
    }
    const times = new Map<bigint, Promise<bigint>>();
    const timeOf = (event: PositionEvent): Promise<bigint> => {
      const block = event.blockNumber!;
      let time = times.get(block);
      if (time === undefined) {
        time = blockTime(block);
        times.set(block, time);
      }
      return time;
    };
    return { byPosition, timeOf };
  }

  /**
   * Step two of pending orders: a new round of every market strictly after the requests — at `roundPrices` when given
   * (then another at the latest price, so that orders execute at the first and are checked against the second) — then
   * the keeper executes the listed positions' orders in batches. Returns the events from the first round on.
   */
  async function executeAll(
    ids: readonly bigint[],
    roundPrices?: ReadonlyMap<bigint, bigint>,
  ): ReturnType<typeof eventsSince> {
    const fromBlock = (await latest()).number + 1n;
    const latestPrices = new Map(markets.map((m) => [m.id, m.price]));
    for (const market of markets) await publish(market, roundPrices?.get(market.id) ?? market.price);
    if (roundPrices !== undefined) for (const market of markets) await publish(market, latestPrices.get(market.id)!);
    const engine = await s.engine.getAddress();
    const calls = [];
    for (let i = 0; i < ids.length; i += PER_EXECUTION) {
      calls.push({
        to: engine,
        data: s.engine.interface.encodeFunctionData("executeOrders", [ids.slice(i, i + PER_EXECUTION)]),
        from: keeper,
        gas: EXECUTION_GAS,
      });
    }
    const sent = await batched(calls);
    expect(
      sent.every((tx) => tx.success),
      "every executeOrders batch succeeded",
    ).to.equal(true);
    for (const id of ids) positionCache.delete(id);
    return eventsSince(fromBlock);
  }

  function only<N extends PositionEvent["eventName"]>(
    events: readonly PositionEvent[] | undefined,
    name: N,
  ): Extract<PositionEvent, { eventName: N }> | undefined {
    return events?.find((event): event is Extract<PositionEvent, { eventName: N }> => event.eventName === name);
  }

  /** Checks a liquidation the execution of an order made instead (rule 3) against the SDK's preview. */
  function expectLiquidation(
    where: string,
    event: Extract<PositionEvent, { eventName: "PositionLiquidated" }> | undefined,
    expected: ReturnType<typeof previewLiquidation>,
  ): void {
    expect(event, `${where}: liquidated instead`).to.not.equal(undefined);
    expect(
      {
        keeperReward: event!.args.keeperReward,
        penalty: event!.args.penalty,
        ownerRefund: event!.args.ownerRefund,
        badDebt: event!.args.badDebt,
        price: event!.args.price,
        closeFee: event!.args.closeFee,
      },
      `${where}: liquidation split`,
    ).to.deep.equal({
      keeperReward: expected.keeperReward,
      penalty: expected.penalty,
      ownerRefund: expected.ownerRefund,
      badDebt: expected.badDebt,
      price: expected.price,
      closeFee: expected.closeFee,
    });
  }

  function expectCancelled(where: string, events: readonly PositionEvent[] | undefined, reason: string): void {
    const cancelled = only(events, "OrderCancelled");
    expect(cancelled, `${where}: cancelled`).to.not.equal(undefined);
    expect(CANCEL_REASONS[cancelled!.args.reason], `${where}: cancel reason`).to.equal(reason);
  }

  // ------------------------------------------------------------------ set-up: 1,000+ positions, opened in two steps

  before(async function () {
    this.timeout(600_000);
    s = await deployBulkhead(connection);
    addresses = await addressesOf(s);
    clients = viemClients(provider);
    trader = s.actors.alice.address;
    keeper = s.actors.keeper.address;
    // The widest execution window: a thousand executions take more than a minute of chain time here.
    await mined(s.config.connect(s.actors.governance).setGlobalParams({ ...s.global, maxExecutionDelay: 300n }));

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

    // Request the opens, many per block. Each escrows the collateral it is to record plus the opening fee at the
    // price its round will publish (the current one), so that the recorded collateral is the chosen one.
    const engine = await s.engine.getAddress();
    const firstId = await s.engine.nextPositionId();
    const { timestamp } = await latest();
    const requested = new Map<bigint, { market: Market; isLong: boolean; size: bigint; escrow: bigint }>();
    const opens = Array.from({ length: POSITIONS }, (_, i) => {
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
      const escrow = collateral + ratioOfNotionalUp(size, market.price, market.params.openFeeRatio, SCALE);
      requested.set(firstId + BigInt(i), { market, isLong, size, escrow });
      return {
        to: engine,
        data: s.engine.interface.encodeFunctionData("requestOpen", [
          market.id,
          isLong,
          size,
          escrow,
          isLong ? MaxUint256 : 0n,
          timestamp + 86_400n,
          s.global.minExecutionFee,
        ]),
      };
    });
    expect(
      (await batched(opens)).every((tx) => tx.success),
      "every request went through",
    ).to.equal(true);
    const ids = [...requested.keys()];
    const { byPosition } = await executeAll(ids);

    // Every open takes its fee from the escrowed collateral and caps its profit with what is left (`previewOpen`),
    // and the cap is the lower of maxProfitRatio × collateral and maxProfitNotionalRatio × notional.
    const bothBoundsSeen = { collateral: 0, notional: 0 };
    for (const [id, { market, isLong, size, escrow }] of requested) {
      const events = byPosition.get(id);
      const expected = previewOpen({
        isLong,
        size,
        collateral: escrow,
        market: { price: market.price },
        params: market.params,
        global: s.global,
        scale: SCALE,
      });
      if (expected.cancelReason !== null) {
        expectCancelled(`open of ${id}`, events, expected.cancelReason);
        continue;
      }
      const opened = only(events, "PositionOpened");
      expect(opened, `open of ${id}`).to.not.equal(undefined);
      const { fee, collateral, maxProfit, price } = opened!.args;
      expect({ fee, collateral, maxProfit, price }, `open of ${id}`).to.deep.equal({
        fee: expected.fee,
        collateral: expected.collateral,
        maxProfit: expected.maxProfit,
        price: expected.entryPrice,
      });
      const position = await positionOf(id, opened!.blockNumber!);
      expect(position.maxProfit, `cap of ${id}`).to.equal(maxProfit);
      const params = market.params;
      if (maxProfit === (collateral * params.maxProfitRatio) / WAD) bothBoundsSeen.collateral++;
      else bothBoundsSeen.notional++;
      expect(capOf(collateral, size, price, params.maxProfitRatio, params.maxProfitNotionalRatio, SCALE)).to.equal(
        maxProfit,
      );
      open.add(id);
    }
    expect(open.size, "opened positions").to.be.greaterThanOrEqual(1_000);
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
      if (position === undefined) {
        position = await positionOf(id, number);
        positionCache.set(id, position);
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
      // No order is pending and nobody donated: the vault holds exactly the recorded amounts, so the lens (which
      // reads the vault's balance for the keeper's reward) and the engine's recorded keeper reserve agree.
      const preview = previewLiquidation({ position, market, scale: SCALE, timestamp });
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
      if (atCapBatch[ids.indexOf(id)]) counts.atCapSeen++;
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

  /** Fresh rounds of every market, then time past any grace period: orders that add risk may execute. */
  async function outOfGrace(): Promise<void> {
    for (const market of markets) await publish(market, market.price);
    await networkHelpers.time.increase(GRACE_PERIOD + 1n);
  }

  it("values 1,000+ random positions along random price paths exactly as the lens does", async function () {
    this.timeout(600_000);
    let compared = 0;
    let liquidatableSeen = 0;
    let notLiquidatableSeen = 0;
    let inGraceSeen = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Time passes (borrow fees grow); a gap longer than a feed's heartbeat is an outage, then a grace period. The
      // first round starts with one longer than every heartbeat (two days at most), the others at random.
      const gap =
        round === 0
          ? 3n * 86_400n
          : rng.pick([0n, rng.between(1n, 3_000n), rng.between(3_600n, 86_400n), rng.between(86_400n, 90n * 86_400n)]);
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
      if (round > 0 && rng.chance(50)) await networkHelpers.time.increase(rng.between(1n, GRACE_PERIOD + 60n));
      const states = await marketStates();
      const { timestamp } = await latest();
      inGraceSeen += [...states.values()].filter((m) => m.liquidationResumesAt > timestamp).length;

      const result = await compareAll(`round ${round}`);
      compared += result.compared;
      liquidatableSeen += result.liquidatable.length;
      notLiquidatableSeen += result.compared - result.liquidatable.length;

      if (round % 2 === 1) await modifySome(`round ${round}`);
    }
    expect(compared, "valuations compared").to.be.greaterThanOrEqual(ROUNDS * 900);
    // The path must have exercised both decisions and the grace period.
    expect(liquidatableSeen, "liquidatable valuations").to.be.greaterThan(50);
    expect(notLiquidatableSeen, "healthy valuations").to.be.greaterThan(50);
    expect(inGraceSeen, "markets seen in a grace period").to.be.greaterThan(0);
    expect(counts.atCapSeen, "valuations at the cap").to.be.greaterThan(10);
  });

  /**
   * Increase and decrease orders and margin moves on random positions. Each outcome is predicted from the state
   * before, moved to its block's time: a margin removal's refusal or its new collateral and cap, an order's execution
   * (fees, entry price, collateral, the sticky cap of an increase, a decrease's share of the cap), its cancellation for
   * margin, or the liquidation it makes instead when the position is liquidatable at the latest price.
   */
  async function modifySome(label: string): Promise<void> {
    await outOfGrace();
    const engine = await s.engine.getAddress();
    const states = await marketStates();
    type Change =
      | { kind: "increase"; sizeDelta: bigint; collateralDelta: bigint }
      | { kind: "decrease"; sizeDelta: bigint }
      | { kind: "add"; amount: bigint }
      | { kind: "remove"; amount: bigint };
    const changes: { id: bigint; position: Position; change: Change; data: string }[] = [];
    const fee = s.global.minExecutionFee;
    for (const id of open) {
      if (!rng.chance(25)) continue;
      const position = await positionOf(id);
      const far = states.get(position.marketId)!.timestamp + 86_400n;
      const bound = (adding: boolean): bigint => (position.isLong === adding ? MaxUint256 : 0n);
      const kind = rng.pick(["increase", "decrease", "add", "remove"] as const);
      let change: Change;
      let data: string;
      if (kind === "increase") {
        const sizeDelta = position.size / rng.between(2n, 20n) + 1n;
        const collateralDelta = position.collateral / 3n;
        change = { kind, sizeDelta, collateralDelta };
        data = s.engine.interface.encodeFunctionData("requestIncrease", [
          id,
          sizeDelta,
          collateralDelta,
          bound(true),
          far,
          fee,
        ]);
      } else if (kind === "decrease" && position.size > 1n) {
        const sizeDelta = position.size / rng.between(2n, 10n);
        change = { kind, sizeDelta };
        data = s.engine.interface.encodeFunctionData("requestDecrease", [
          id,
          sizeDelta,
          bound(false),
          far,
          fee,
          trader,
        ]);
      } else if (kind === "remove") {
        const amount = position.collateral / rng.between(5n, 50n) + 1n;
        change = { kind, amount };
        data = s.engine.interface.encodeFunctionData("removeMargin", [id, amount, trader]);
      } else {
        const amount = rng.logBetween(1n, position.collateral);
        change = { kind: "add", amount };
        data = s.engine.interface.encodeFunctionData("addMargin", [id, amount]);
      }
      changes.push({ id, position, change, data });
      positionCache.delete(id);
    }
    const sent = await batched(changes.map(({ data }) => ({ to: engine, data })));

    // Margin moves are instant: each predicted at its block's time, at the latest price.
    for (const [i, { id, position, change }] of changes.entries()) {
      const tx = sent[i]!;
      if (change.kind !== "remove") {
        expect(tx.success, `${label}: ${change.kind} of ${id} went through`).to.equal(true);
        continue;
      }
      const market = projectTo(states.get(position.marketId)!, tx.timestamp);
      const expected = previewRemoveMargin({
        position,
        amount: change.amount,
        market,
        params: market.params,
        global: s.global,
        scale: SCALE,
      });
      const where = `${label}: removing ${change.amount} from ${id}`;
      if (expected.error !== null) {
        expect(tx.success, `${where}: refused (${expected.error})`).to.equal(false);
        counts.removeRefused++;
        continue;
      }
      expect(tx.success, `${where}: went through`).to.equal(true);
      const after = await positionOf(id, tx.blockNumber);
      // The cap follows the collateral down: min(cap, maxProfitRatio × the collateral left).
      expect(after.maxProfit, `${where}: cap`).to.equal(expected.maxProfit);
      expect(expected.maxProfit).to.equal(
        capAfterRemoveMargin(position.maxProfit, expected.collateral, market.params.maxProfitRatio),
      );
      expect(after.collateral, `${where}: collateral`).to.equal(expected.collateral);
      counts.removed++;
    }

    // The orders' second step, then each outcome against the SDK's preview at its execution.
    const orders = changes.filter(({ change }) => change.kind === "increase" || change.kind === "decrease");
    const { byPosition, timeOf } = await executeAll(orders.map(({ id }) => id));
    for (const { id, position, change } of orders) {
      const events = byPosition.get(id);
      const outcome = events?.find((e) => e.eventName === "OrderExecuted" || e.eventName === "OrderCancelled");
      expect(outcome, `${label}: outcome of ${id}'s ${change.kind}`).to.not.equal(undefined);
      const market = projectTo(states.get(position.marketId)!, await timeOf(outcome!));
      const where = `${label}: ${change.kind} of ${id}`;
      // Rule 3: a position liquidatable at the latest price is liquidated instead.
      if (getPositionValuation({ position, market, scale: SCALE }).isLiquidatable) {
        expectLiquidation(
          where,
          only(events, "PositionLiquidated"),
          previewLiquidation({ position, market, scale: SCALE }),
        );
        expectCancelled(where, events, "PositionClosed");
        open.delete(id);
        counts.liquidatedAtExecution++;
        continue;
      }
      const common = { position, market, params: market.params, global: s.global, scale: SCALE };
      if (change.kind === "increase") {
        const expected = previewIncrease({
          ...common,
          sizeDelta: change.sizeDelta,
          collateralDelta: change.collateralDelta,
        });
        if (expected.cancelReason !== null) {
          expectCancelled(where, events, expected.cancelReason);
          counts.cancelledMargin++;
          continue;
        }
        const increased = only(events, "PositionIncreased");
        expect(increased, `${where}: executed`).to.not.equal(undefined);
        const { fees, newSize, newEntryPrice, newCollateral, newMaxProfit, price } = increased!.args;
        // The cap is sticky: the old cap plus what the increase brings.
        expect({ fees, newSize, newEntryPrice, newCollateral, newMaxProfit, price }, where).to.deep.equal({
          fees: expected.fees,
          newSize: expected.size,
          newEntryPrice: expected.entryPrice,
          newCollateral: expected.collateral,
          newMaxProfit: expected.maxProfit,
          price: market.price,
        });
        expect((await positionOf(id, increased!.blockNumber!)).maxProfit, `${where}: stored cap`).to.equal(
          expected.maxProfit,
        );
        if (isAtCap({ position, price: market.price, scale: SCALE })) counts.increasedBeyondCap++;
        counts.increased++;
      } else if (change.kind === "decrease") {
        const expected = previewDecrease({ ...common, sizeDelta: change.sizeDelta });
        if (expected.cancelReason !== null) {
          expectCancelled(where, events, expected.cancelReason);
          counts.cancelledMargin++;
          continue;
        }
        const decreased = only(events, "PositionDecreased");
        expect(decreased, `${where}: executed`).to.not.equal(undefined);
        const { pnl, fees, payout, newSize, newCollateral, newMaxProfit } = decreased!.args;
        expect({ pnl, fees, payout, newSize, newCollateral, newMaxProfit }, where).to.deep.equal({
          pnl: expected.pnl,
          fees: expected.fees,
          payout: expected.payout,
          newSize: expected.size,
          newCollateral: expected.collateral,
          newMaxProfit: expected.maxProfit,
        });
        // The closed part took floor(cap × Δ / size) of the cap; the rest stays.
        const kept = capKeptAfterDecrease(position.maxProfit, change.sizeDelta, position.size);
        expect(position.maxProfit - kept).to.equal((position.maxProfit * change.sizeDelta) / position.size);
        expect((await positionOf(id, decreased!.blockNumber!)).maxProfit, `${where}: cap`).to.equal(kept);
        counts.decreased++;
      }
    }
  }

  // ------------------------------------------------------------------ the boundary

  it("decides liquidatable / not at the boundary price exactly as liquidate does", async function () {
    this.timeout(300_000);
    // Fresh prices, no outage in sight.
    await outOfGrace();
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
      const projected = (price: bigint): MarketState => ({ ...projectTo(now, at, price), liquidationResumesAt: 0n });
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
          if (decoded instanceof GracePeriodError) throw decoded;
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

  // ------------------------------------------------------------------ events of take-profits, closes and liquidations

  it("predicts the engine's take-profit, close (bad debt included) and liquidation amounts (events) to the unit", async function () {
    this.timeout(600_000);
    await movePrices();
    await outOfGrace();
    const engine = await s.engine.getAddress();

    // Take profit on every position at its cap, in batches; predict each from the state before.
    const tpStates = await marketStates();
    const tpIds = [...open];
    const flags: boolean[] = [];
    for (let i = 0; i < tpIds.length; i += 400) flags.push(...(await s.lens.atCap(tpIds.slice(i, i + 400))));
    const capped = tpIds.filter((_, i) => flags[i] === true);
    const tpBefore = new Map<bigint, Position>();
    for (const id of capped) tpBefore.set(id, await positionOf(id));
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
        const position = tpBefore.get(event.args.positionId)!;
        const market = projectTo(tpStates.get(position.marketId)!, tpTimeOf.get(event.blockNumber!)!);
        const expected = previewTakeProfit({ position, market, scale: SCALE });
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

    // Request closes of a sample of positions. Their round's answer is a jump (down or up) and the latest price the
    // one before it: a position healthy at the latest price closes at the jump, with bad debt where the jump wiped
    // its collateral out (rule 7: the liquidation split without keeper fee or penalty; an unpaid closing fee is not
    // bad debt). One liquidatable at the latest price is liquidated instead (rule 3).
    const toClose = [...open].filter(() => rng.chance(20));
    const closeCalls = [];
    for (const id of toClose) {
      const position = await positionOf(id);
      const bound = position.isLong ? 0n : MaxUint256;
      closeCalls.push({
        to: engine,
        data: s.engine.interface.encodeFunctionData("requestClose", [
          id,
          bound,
          2n ** 40n,
          s.global.minExecutionFee,
          trader,
        ]),
      });
    }
    const states = await marketStates();
    const before = new Map<bigint, Position>();
    for (const id of toClose) before.set(id, await positionOf(id));
    expect(
      (await batched(closeCalls)).every((tx) => tx.success),
      "every close request went through",
    ).to.equal(true);
    const jumps = new Map(
      markets.map((m) => [
        m.id,
        representable(
          rng.chance(50) ? (m.price * rng.between(1n, 6n)) / 10n : (m.price * rng.between(15n, 40n)) / 10n,
          m.feedDecimals,
        ),
      ]),
    );
    const { byPosition, timeOf } = await executeAll(toClose, jumps);
    for (const id of toClose) {
      const position = before.get(id)!;
      const events = byPosition.get(id);
      const outcome = events?.find((e) => e.eventName === "OrderExecuted" || e.eventName === "OrderCancelled");
      expect(outcome, `close of ${id}: outcome`).to.not.equal(undefined);
      const at = await timeOf(outcome!);
      const latestMarket = projectTo(states.get(position.marketId)!, at);
      const where = `close of ${id}`;
      if (getPositionValuation({ position, market: latestMarket, scale: SCALE }).isLiquidatable) {
        expectLiquidation(
          where,
          only(events, "PositionLiquidated"),
          previewLiquidation({ position, market: latestMarket, scale: SCALE }),
        );
        counts.liquidatedAtExecution++;
        open.delete(id);
        continue;
      }
      const roundMarket = projectTo(states.get(position.marketId)!, at, jumps.get(position.marketId)!);
      const expected = previewClose({ position, market: roundMarket, params: roundMarket.params, scale: SCALE });
      const closed = only(events, "PositionClosed");
      expect(closed, `${where}: executed`).to.not.equal(undefined);
      expect(
        {
          price: closed!.args.price,
          pnl: closed!.args.pnl,
          fees: closed!.args.fees,
          payout: closed!.args.payout,
          badDebt: closed!.args.badDebt,
        },
        where,
      ).to.deep.equal({
        price: roundMarket.price,
        pnl: expected.pnl,
        fees: expected.fees,
        payout: expected.payout,
        badDebt: expected.badDebt,
      });
      if (expected.badDebt > 0n) {
        counts.closedWithBadDebt++;
        // Bad debt leaves nothing but the keeper reserve, and waives the closing fee.
        expect(expected.payout, `${where}: payout with bad debt`).to.equal(position.keeperReserve);
        expect(expected.closeFee, `${where}: closing fee with bad debt`).to.equal(0n);
      }
      open.delete(id);
      counts.closed++;
    }
    expect(counts.closed, "closes checked").to.be.greaterThan(30);
    expect(counts.closedWithBadDebt, "closes with bad debt").to.be.greaterThan(0);

    // Crash every market, liquidate in batches (healthy ids mixed in), and compare every split.
    for (const market of markets) await publish(market, (market.price * rng.between(1n, 9n)) / 10n);
    const states2 = await marketStates();
    const candidates = new Map<bigint, Position>();
    for (const id of open) candidates.set(id, await positionOf(id));
    const preview = (id: bigint, timestamp: bigint): ReturnType<typeof previewLiquidation> => {
      const position = candidates.get(id)!;
      const market = projectTo(states2.get(position.marketId)!, timestamp);
      return previewLiquidation({ position, market, scale: SCALE, timestamp });
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
      expectLiquidation(
        `liquidation of ${event.args.positionId}`,
        event,
        preview(event.args.positionId, timeOf2.get(event.blockNumber!)!),
      );
      seen.add(event.args.positionId);
      open.delete(event.args.positionId);
      counts.liquidatedByBatch++;
    }
    expect([...seen].sort(), "liquidated exactly the positions the SDK said").to.deep.equal(
      [...expectedLiquidated].sort(),
    );
    expect(counts.liquidatedByBatch, "liquidations checked").to.be.greaterThan(30);
    expect(counts.increased, "increases checked").to.be.greaterThan(20);
    expect(counts.increasedBeyondCap, "increases of positions beyond their cap").to.be.greaterThan(0);
    expect(counts.decreased, "decreases checked").to.be.greaterThan(20);
    expect(counts.removed, "margin removals checked").to.be.greaterThan(20);
    expect(counts.removeRefused, "margin removals refused as predicted").to.be.greaterThan(0);
    expect(counts.cancelledMargin, "orders cancelled for margin as predicted").to.be.greaterThan(0);
    expect(counts.liquidatedAtExecution, "executions that liquidated instead").to.be.greaterThan(0);
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

  /** The positions the fixture opened (some are taken or liquidated as prices move). */
  const positionIds: bigint[] = [];

  /** Publishes fresh answers near the current prices and lets `lpSettle` pass, so LP requests may execute. */
  async function movePricesAndSettle(): Promise<void> {
    for (const [i, feed] of feeds().entries()) {
      const next = (prices[i]! * rng.between(900n, 1_120n)) / 1_000n;
      prices[i] = (next / 10n ** 10n) * 10n ** 10n;
      await mined(feed.updateAnswer(prices[i]! / 10n ** 10n));
    }
    await s.connection.networkHelpers.time.increase(2n);
    // A position past its cap or under water holds LP requests until a keeper takes or liquidates it.
    let [open, retryAt] = await s.pool.lpExecutionStatus();
    if (!open && retryAt === 0n) {
      const atCap = await s.lens.atCap(positionIds);
      const liquidatable = await s.lens.liquidatable(positionIds);
      const take = positionIds.filter((_, i) => atCap[i]);
      const liquidate = positionIds.filter((_, i) => liquidatable[i] && !atCap[i]);
      if (take.length > 0) await mined(s.engine.connect(s.actors.keeper).takeProfitBatch(take));
      if (liquidate.length > 0) await mined(s.engine.connect(s.actors.keeper).liquidateBatch(liquidate));
      [open, retryAt] = await s.pool.lpExecutionStatus();
      expect(open || retryAt > 0n, "LP requests still wait after the keepers acted").to.equal(true);
    }
    // After an outage (a long gap), requests wait out the grace period: until the pool says when.
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
    // Opened in two steps (request, round, execution) at the feeds' current prices.
    for (let i = 0; i < 16; i++) {
      const marketId = BigInt(i % 2);
      const collateral = rng.between(500n, 5_000n) * USD;
      const notional = collateral * rng.between(2n, 9n) * SCALE;
      const size = (notional * WAD) / prices[i % 2]!;
      const isLong = rng.chance(60);
      positionIds.push(await openPosition(s, s.actors.alice, marketId, isLong, size, collateral));
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
        positionIds.push(await openPosition(s, s.actors.alice, 0n, true, size, notional / 4n));
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

/**
 * A full Bulkhead system on the embedded chain, deployed by the same Ignition modules as every deployment
 * (deploy/modules, through `deployPlan`) with this file's values: 6-decimal stablecoin, ETH-USD and BTC-USD Chainlink
 * mocks (8 decimals), an AccessManager with a governance role on the RiskConfig setters (the deployer and `governance`)
 * and a guardian role on pause / unpause, the engine bound to its pool, insurance fund and risk configuration, two
 * markets and 1M USD of LP liquidity (deposited the ERC-7540 way: request, `lpDelay` later a keeper executes, the LP
 * claims).
 *
 * Trades are two-step orders (SPEC §1, "Orders"): the helpers below request, publish the next feed round and execute
 * as a keeper would (`openPosition`, `increase`, `decrease`, `closePosition`), or do one step at a time
 * (`requestOpen`, `publishRound`, `executeOrders`, …) for tests about the steps themselves.
 *
 * Used by the mocha tests (test/ts/fixture.ts, through `networkHelpers.loadFixture(deployBulkhead)`), by
 * scripts/demo.ts and by scripts/bench-gas.ts. Parameter types and field lists are the SDK's (sdk/src/params.ts); only the values are here.
 * Time is pinned: the chain starts at START_TIME and every helper that sends a transaction says when it is mined,
 * so balances can be predicted to the unit and gas figures do not depend on the wall clock.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { MaxUint256, ZeroAddress, type ContractTransactionReceipt, type ContractTransactionResponse } from "ethers";
import hre from "hardhat";
import type { ChainType, NetworkConnection } from "hardhat/types/network";

import {
  AccessManager__factory,
  BulkheadLens__factory,
  InsuranceFund__factory,
  LiquidityPool__factory,
  LiquidationModule__factory,
  MarginEngine__factory,
  MockV3Aggregator__factory,
  OrderModule__factory,
  RiskConfig__factory,
  TestStablecoin__factory,
} from "../typechain-types/index.js";
import type {
  AccessManager,
  BulkheadLens,
  InsuranceFund,
  LiquidationModule,
  LiquidityPool,
  MarginEngine,
  MockV3Aggregator,
  OrderModule,
  RiskConfig,
  TestStablecoin,
} from "../typechain-types/index.js";
import type { GlobalParams, LpParams, MarketParams } from "../sdk/src/params.js";
import { parseParameters, TEST_STABLECOIN_DECIMALS } from "../sdk/src/parameters.js";
import { deployPlan } from "./lib/deploy.js";
import type { BulkheadPlan } from "./modules/plan.js";
import type {
  GlobalParamsStruct,
  LpParamsStruct,
  MarketParamsStruct,
} from "../typechain-types/contracts/RiskConfig.js";

// ------------------------------------------------------------------ units and defaults

/** One whole USD of the 6-decimal settlement asset. */
export const USD = 10n ** 6n;
/** 1e18 fixed point (prices, sizes, ratios). */
export const WAD = 10n ** 18n;
/** USD WAD per asset unit: 10^(18 − 6). */
export const SCALE = 10n ** 12n;

export const GOVERNANCE_ROLE = 1n;
export const GUARDIAN_ROLE = 2n;

export const ETH = 0n;
export const BTC = 1n;
export const ETH_PRICE = 3_000n * WAD;
export const BTC_PRICE = 60_000n * WAD;
/** Chainlink USD feeds answer with 8 decimals. */
export const FEED_DECIMALS = 8;

/**
 * The values are deploy/parameters/local.json's (what `npm run deploy -- --network localhost` deploys), read with the
 * SDK's parameter schema, so a new parameter gets its test value there; only the heartbeat is shorter here (tests move
 * time by hours and need a stale price within one).
 */
const LOCAL = parseParameters(
  JSON.parse(readFileSync(fileURLToPath(new URL("./parameters/local.json", import.meta.url)), "utf8")),
  "deploy/parameters/local.json",
  TEST_STABLECOIN_DECIMALS,
);
const LOCAL_MARKET = LOCAL.markets[0] ?? failure("deploy/parameters/local.json lists no market");

function failure(message: string): never {
  throw new Error(message);
}

export const MIN_COLLATERAL = LOCAL.global.minCollateral;
export const KEEPER_RESERVE = LOCAL.global.keeperReserve;
export const POOL_LIQUIDITY = 1_000_000n * USD;
export const HEARTBEAT = 3_600n;
export const GRACE_PERIOD = LOCAL.global.liquidationGracePeriod;
export const MIN_NOTIONAL = LOCAL.global.minNotional;
/** LP requests execute this long after they are made (60 s). */
export const LP_DELAY = LOCAL.lp.lpDelay;
/** Paid by every LP request to whoever executes it (0.5 USD). */
export const EXECUTION_FEE = LOCAL.lp.executionFee;
export const MIN_REQUEST = LOCAL.lp.minRequest;
/** 10 % a year of entry notional, WAD per second (rounded down, as in BaseTest). */
export const BORROW_RATE = LOCAL_MARKET.params.borrowRateLong;

/** Every deployment starts at this block time (if the chain is not already past it), for reproducible numbers. */
export const START_TIME = 2_000_000_000;

export function defaultGlobalParams(): GlobalParamsStruct & GlobalParams {
  return { ...LOCAL.global };
}

export function defaultLpParams(): LpParamsStruct & LpParams {
  return { ...LOCAL.lp };
}

/** Market parameters as plain bigints, so tests can do maths on them (the SDK's type, the feed as a string). */
export type MarketConfig = Omit<MarketParams, "feed"> & { feed: string };

export function defaultMarketParams(feed: string): MarketConfig & MarketParamsStruct {
  return { feed, ...LOCAL_MARKET.params, heartbeat: HEARTBEAT, feedDecimals: BigInt(FEED_DECIMALS) };
}

// ------------------------------------------------------------------ the fixture

export interface Actors {
  deployer: HardhatEthersSigner;
  governance: HardhatEthersSigner;
  guardian: HardhatEthersSigner;
  lp: HardhatEthersSigner;
  lp2: HardhatEthersSigner;
  alice: HardhatEthersSigner;
  bob: HardhatEthersSigner;
  carol: HardhatEthersSigner;
  keeper: HardhatEthersSigner;
  /** Signers not given a role, for tests that need many distinct accounts. */
  others: HardhatEthersSigner[];
}

export interface Bulkhead {
  connection: NetworkConnection<ChainType | string>;
  actors: Actors;
  manager: AccessManager;
  usd: TestStablecoin;
  ethFeed: MockV3Aggregator;
  btcFeed: MockV3Aggregator;
  config: RiskConfig;
  pool: LiquidityPool;
  insurance: InsuranceFund;
  /** The engine: orders, liquidations and take-profit run by delegatecall to its two modules, on its storage. */
  engine: MarginEngine;
  /** The engine's order module (never called directly: it reverts `OnlyEngine`). */
  orderModule: OrderModule;
  /** The engine's liquidation and take-profit module (never called directly). */
  liquidationModule: LiquidationModule;
  lens: BulkheadLens;
  /** Parameters the markets were listed with, by market id. */
  markets: readonly [MarketConfig, MarketConfig];
  global: ReturnType<typeof defaultGlobalParams>;
  lp: ReturnType<typeof defaultLpParams>;
}

/** Waits for a transaction and fails loudly if it reverted or was dropped. */
export async function mined(tx: Promise<ContractTransactionResponse>): Promise<void> {
  const receipt = await (await tx).wait();
  if (receipt === null || receipt.status !== 1) throw new Error("transaction failed");
}

/** Deploys and wires a full system. Named, so that `loadFixture` can snapshot it. */
export async function deployBulkhead<ChainTypeT extends ChainType | string>(
  connection: NetworkConnection<ChainTypeT>,
): Promise<Bulkhead> {
  const { ethers, networkHelpers } = connection;
  if ((await networkHelpers.time.latest()) < START_TIME) await networkHelpers.time.increaseTo(START_TIME);

  const signers = await ethers.getSigners();
  const at = (i: number): HardhatEthersSigner => {
    const signer = signers[i];
    if (signer === undefined) throw new Error(`the network has fewer than ${i + 1} accounts`);
    return signer;
  };
  const actors: Actors = {
    deployer: at(0),
    governance: at(1),
    guardian: at(2),
    lp: at(3),
    lp2: at(4),
    alice: at(5),
    bob: at(6),
    carol: at(7),
    keeper: at(8),
    others: signers.slice(9),
  };
  const { deployer } = actors;

  // The Ignition modules a real deployment runs, with this fixture's plan: the deployer stays AccessManager admin
  // (and, as on every local chain, holds the governance role), the guardian role goes to `guardian`.
  const ethParams = defaultMarketParams("");
  const btcParams = defaultMarketParams("");
  const { feed: _eth, ...ethValues } = ethParams;
  const { feed: _btc, ...btcValues } = btcParams;
  const global = defaultGlobalParams();
  const lp = defaultLpParams();
  const plan: BulkheadPlan = {
    asset: { mock: "TestStablecoin" },
    pool: LOCAL.pool,
    timelock: null,
    guardian: actors.guardian.address,
    global,
    lp,
    sequencerFeed: ZeroAddress,
    markets: [
      { name: "ETH-USD", feed: { mockAnswer: ETH_PRICE / 10n ** 10n }, params: ethValues },
      { name: "BTC-USD", feed: { mockAnswer: BTC_PRICE / 10n ** 10n }, params: btcValues },
    ],
    funding: null,
  };
  const accounts = signers.map((signer) => signer.address);
  const { contracts, feeds } = await deployPlan(hre, connection, { accounts, deployer: deployer.address }, plan);
  const feedAddress = (name: string): string => {
    const feed = feeds[name];
    if (feed === undefined) throw new Error(`no ${name} feed deployed`);
    return feed.address;
  };
  const manager = AccessManager__factory.connect(contracts.accessManager.address, deployer);
  const usd = TestStablecoin__factory.connect(contracts.asset.address, deployer);
  const ethFeed = MockV3Aggregator__factory.connect(feedAddress("ETH-USD"), deployer);
  const btcFeed = MockV3Aggregator__factory.connect(feedAddress("BTC-USD"), deployer);
  const config = RiskConfig__factory.connect(contracts.riskConfig.address, deployer);
  const pool = LiquidityPool__factory.connect(contracts.pool.address, deployer);
  const insurance = InsuranceFund__factory.connect(contracts.insuranceFund.address, deployer);
  const engine = MarginEngine__factory.connect(contracts.engine.address, deployer);
  const orderModule = OrderModule__factory.connect(contracts.orderModule.address, deployer);
  const liquidationModule = LiquidationModule__factory.connect(contracts.liquidationModule.address, deployer);
  const lens = BulkheadLens__factory.connect(contracts.lens.address, deployer);
  await mined(manager.grantRole(GOVERNANCE_ROLE, actors.governance, 0));
  const markets = [
    { ...ethParams, feed: await ethFeed.getAddress() },
    { ...btcParams, feed: await btcFeed.getAddress() },
  ] as const;

  const system: Bulkhead = {
    connection: connection as NetworkConnection<ChainType | string>,
    actors,
    manager,
    usd,
    ethFeed,
    btcFeed,
    config,
    pool,
    insurance,
    engine,
    orderModule,
    liquidationModule,
    lens,
    markets,
    global,
    lp,
  };
  await deposit(system, actors.lp, POOL_LIQUIDITY);
  return system;
}

// ------------------------------------------------------------------ actions

/** Mints `amount` to `who` and approves the engine for everything. */
export async function fund(s: Bulkhead, who: HardhatEthersSigner, amount: bigint): Promise<void> {
  await mined(s.usd.mint(who, amount));
  await mined(s.usd.connect(who).approve(s.engine, MaxUint256));
}

/**
 * Mints `assets` plus the execution fee to `who` and requests a deposit of both; after `lpDelay` (time travel) the
 * keeper executes it (and earns the fee) and `who` claims the shares. `assets` join the pool. Returns the shares.
 */
export async function deposit(s: Bulkhead, who: HardhatEthersSigner, assets: bigint): Promise<bigint> {
  const request = assets + s.lp.executionFee;
  await mined(s.usd.mint(who, request));
  await mined(s.usd.connect(who).approve(s.pool, request));
  await mined(s.pool.connect(who).requestDeposit(request, who, who));
  await advance(s, s.lp.lpDelay);
  await mined(s.pool.connect(s.actors.keeper).executeDeposits([who.address]));
  const shares = await s.pool.maxMint(who);
  await mined(s.pool.connect(who)["mint(uint256,address)"](shares, who));
  return shares;
}

/**
 * Requests the redemption of `shares` by `who`; after `lpDelay` the keeper executes the redemption queue and `who`
 * claims whatever was executed (all of it unless free liquidity ran short). Returns the assets received.
 */
export async function redeem(s: Bulkhead, who: HardhatEthersSigner, shares: bigint): Promise<bigint> {
  await mined(s.pool.connect(who).requestRedeem(shares, who, who));
  await advance(s, s.lp.lpDelay);
  await mined(s.pool.connect(s.actors.keeper).executeRedeems(100n));
  const assets = await s.pool.maxWithdraw(who);
  if (assets !== 0n) await mined(s.pool.connect(who).withdraw(assets, who, who));
  return assets;
}

/** The feed of a market. */
export function feedOf(s: Bulkhead, marketId: bigint): MockV3Aggregator {
  return marketId === ETH ? s.ethFeed : s.btcFeed;
}

/** Publishes a new Chainlink round for the market at `price` (USD WAD; must be a multiple of 1e10). */
export async function setPrice(s: Bulkhead, marketId: bigint, price: bigint): Promise<void> {
  if (price % 10n ** 10n !== 0n) throw new Error(`price ${price} is not representable with 8 decimals`);
  await mined(feedOf(s, marketId).updateAnswer(price / 10n ** 10n));
}

/** Latest block time. */
export async function now(s: Bulkhead): Promise<bigint> {
  return BigInt(await s.connection.networkHelpers.time.latest());
}

/** Mines an empty block `seconds` after the latest one (Chainlink rounds and borrow fees move with it). */
export async function advance(s: Bulkhead, seconds: bigint): Promise<bigint> {
  return BigInt(await s.connection.networkHelpers.time.increase(seconds));
}

/** Makes the next transaction's block `seconds` after the latest one and returns that time. */
export async function pinNextBlock(s: Bulkhead, seconds = 1n): Promise<bigint> {
  const t = (await now(s)) + seconds;
  await s.connection.networkHelpers.time.setNextBlockTimestamp(t);
  return t;
}

/** A deadline far enough out for any test. */
export async function deadline(s: Bulkhead): Promise<bigint> {
  return (await now(s)) + 3_600n;
}

// ------------------------------------------------------------------ orders (two steps)
//
// A trade is a request (what the trader brings is escrowed in the position's vault), then a new feed round observed
// strictly after the request (its `startedAt` is the block time, so the round is published at least one second
// later), then an execution by anyone, here the keeper, inside `maxExecutionDelay` of that round. The helpers below
// do each step, and `openPosition`, `closePosition`, `increase` and `decrease` do all three at a price of the
// caller's choice (by default the feed's latest answer), the round one second after the request and the execution
// one second after the round, so a test can predict borrow fees to the second.

/** What an order escrows for its executor in these helpers: the minimum execution fee (0.1 USD). */
export const ORDER_EXECUTION_FEE = LOCAL.global.minExecutionFee;
/** Governance-bounded window after an order's round in which it can execute (60 s). */
export const MAX_EXECUTION_DELAY = LOCAL.global.maxExecutionDelay;
/** The longest an order waits for its round (the markets' `maxOrderWait`: a day and a minute). */
export const MAX_ORDER_WAIT = LOCAL_MARKET.params.maxOrderWait;

/** Order kinds and cancel reasons as the engine numbers them (IMarginEngine.sol). */
export const OrderKind = { None: 0n, Open: 1n, Increase: 2n, Decrease: 3n, Close: 4n } as const;
export const CANCEL_REASONS = [
  "Expired",
  "WindowMissed",
  "PhaseChanged",
  "BadPrice",
  "Replaced",
  "PositionClosed",
  "GracePeriod",
  "Paused",
  "Capacity",
  "PriceBound",
  "Margin",
] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];
export const CancelReason = Object.fromEntries(CANCEL_REASONS.map((name, i) => [name, BigInt(i)])) as Record<
  CancelReason,
  bigint
>;

/**
 * "Any price" for a bound that is a highest price: the engine stores acceptable prices in 128 bits, so a larger value
 * (say `MaxUint256`) is refused at the request.
 */
export const ANY_PRICE = 2n ** 128n - 1n;

/** What a request may set; the helpers' defaults accept any price and wait as long as the market allows. */
export interface RequestOptions {
  /** Worst price the owner accepts, USD WAD (default: any). */
  acceptablePrice?: bigint;
  /** Latest observation time of the execution round (default: now + `maxOrderWait`). */
  deadline?: bigint;
  /** Escrowed for the executor (default: `ORDER_EXECUTION_FEE`). */
  executionFee?: bigint;
}

/** How the all-in-one helpers execute: at which price, by whom. */
export interface ExecuteOptions {
  /** The answer of the round published for the order, USD WAD (default: the feed's latest answer). */
  price?: bigint;
  /** Who executes (default: the keeper). */
  executor?: HardhatEthersSigner;
}

/** What happened to the orders an execution touched, read from its receipt. */
export interface ExecutionResult {
  receipt: ContractTransactionReceipt;
  /** Block time of the execution. */
  at: bigint;
  /** Position ids whose order executed (in log order; a position whose order and close both ran appears twice). */
  executed: bigint[];
  /** Orders that ended without trading, with the reason. */
  cancelled: { positionId: bigint; kind: bigint; reason: CancelReason; refund: bigint; executorFee: bigint }[];
  /** Positions liquidated instead of executing their order (rule 3). */
  liquidated: bigint[];
}

/** Waits for a transaction and returns its receipt; fails loudly if it reverted or was dropped. */
export async function receiptOf(tx: Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
  const receipt = await (await tx).wait();
  if (receipt === null || receipt.status !== 1) throw new Error("transaction failed");
  return receipt;
}

/** The market's latest answer as a USD WAD price. */
export async function currentPrice(s: Bulkhead, marketId: bigint): Promise<bigint> {
  return (await feedOf(s, marketId).latestAnswer()) * 10n ** 10n;
}

/** The opening (or closing, with `closeFeeRatio`) fee of `size` at `price`, asset units, rounded up like the engine. */
export function openFeeOf(s: Bulkhead, marketId: bigint, size: bigint, price: bigint): bigint {
  const ratio = (s.markets[Number(marketId)] ?? failure(`no market ${marketId}`)).openFeeRatio;
  const ceilDiv = (a: bigint, b: bigint): bigint => (a === 0n ? 0n : (a - 1n) / b + 1n);
  return ceilDiv(ceilDiv(ceilDiv(size * price, WAD) * ratio, WAD), SCALE);
}

/**
 * Publishes a new round of the market's feed at `price` (USD WAD; default: the latest answer) in a block `seconds`
 * (≥ 1) after the latest one, so the round is observed after every request made so far. Returns the round's time.
 */
export async function publishRound(s: Bulkhead, marketId: bigint, price?: bigint, seconds = 1n): Promise<bigint> {
  if (seconds < 1n) throw new Error("a round must come at least one second after the requests it executes");
  const at = await pinNextBlock(s, seconds);
  await setPrice(s, marketId, price ?? (await currentPrice(s, marketId)));
  return at;
}

/**
 * `executor` (default: the keeper) runs `engine.executeOrders(ids)`: every listed position's pending orders that can
 * execute now do, at their rounds. Returns what happened, from the receipt's events.
 */
export async function executeOrders(
  s: Bulkhead,
  ids: readonly bigint[],
  executor: HardhatEthersSigner = s.actors.keeper,
): Promise<ExecutionResult> {
  const receipt = await receiptOf(s.engine.connect(executor).executeOrders([...ids]));
  const block = await receipt.getBlock();
  const result: ExecutionResult = { receipt, at: BigInt(block.timestamp), executed: [], cancelled: [], liquidated: [] };
  const engine = await s.engine.getAddress();
  for (const log of receipt.logs) {
    if (log.address !== engine) continue;
    const event = s.engine.interface.parseLog(log);
    if (event === null) continue;
    if (event.name === "OrderExecuted") result.executed.push(event.args.positionId as bigint);
    else if (event.name === "PositionLiquidated") result.liquidated.push(event.args.positionId as bigint);
    else if (event.name === "OrderCancelled") {
      const reason = CANCEL_REASONS[Number(event.args.reason)] ?? failure(`unknown cancel reason ${event.args.reason}`);
      result.cancelled.push({
        positionId: event.args.positionId as bigint,
        kind: event.args.kind as bigint,
        reason,
        refund: event.args.refund as bigint,
        executorFee: event.args.executorFee as bigint,
      });
    }
  }
  return result;
}

/** Publishes a round at `price` one second from now and has the keeper execute `ids` one second after it. */
export async function executeAt(
  s: Bulkhead,
  marketId: bigint,
  ids: readonly bigint[],
  options: ExecuteOptions = {},
): Promise<ExecutionResult> {
  await publishRound(s, marketId, options.price);
  await pinNextBlock(s, 1n);
  return executeOrders(s, ids, options.executor);
}

/** Fails with the reason if `id`'s order did not execute. */
function expectExecuted(result: ExecutionResult, id: bigint, what: string): void {
  if (result.executed.includes(id)) return;
  const cancelled = result.cancelled.find((c) => c.positionId === id);
  const why =
    cancelled !== undefined
      ? `it was cancelled (${cancelled.reason})`
      : result.liquidated.includes(id)
        ? "the position was liquidated instead"
        : "nothing happened (no round after the request, or no good price)";
  throw new Error(`${what} of position ${id} did not execute: ${why}`);
}

async function orderDeadline(s: Bulkhead, options: RequestOptions): Promise<bigint> {
  return options.deadline ?? (await now(s)) + MAX_ORDER_WAIT;
}

/**
 * Funds `who` with what the request escrows (collateral, keeper reserve, execution fee) and requests an open.
 * Returns the new position's id. The opening fee is taken from `collateral` at execution.
 */
export async function requestOpen(
  s: Bulkhead,
  who: HardhatEthersSigner,
  marketId: bigint,
  isLong: boolean,
  size: bigint,
  collateral: bigint,
  options: RequestOptions = {},
): Promise<bigint> {
  const fee = options.executionFee ?? ORDER_EXECUTION_FEE;
  await fund(s, who, collateral + KEEPER_RESERVE + fee);
  const id = await s.engine.nextPositionId();
  const acceptable = options.acceptablePrice ?? (isLong ? ANY_PRICE : 0n);
  await mined(
    s.engine
      .connect(who)
      .requestOpen(marketId, isLong, size, collateral, acceptable, await orderDeadline(s, options), fee),
  );
  return id;
}

/** Funds the owner with the escrow and requests an increase of `sizeDelta` bringing `collateralDelta`. */
export async function requestIncrease(
  s: Bulkhead,
  positionId: bigint,
  sizeDelta: bigint,
  collateralDelta: bigint,
  options: RequestOptions = {},
): Promise<void> {
  const { owner, isLong } = await s.engine.position(positionId);
  const who = await s.connection.ethers.getSigner(owner);
  const fee = options.executionFee ?? ORDER_EXECUTION_FEE;
  await fund(s, who, collateralDelta + fee);
  const acceptable = options.acceptablePrice ?? (isLong ? ANY_PRICE : 0n);
  await mined(
    s.engine
      .connect(who)
      .requestIncrease(positionId, sizeDelta, collateralDelta, acceptable, await orderDeadline(s, options), fee),
  );
}

/** Funds the owner with the execution fee and requests a decrease paying `receiver` (default: the owner). */
export async function requestDecrease(
  s: Bulkhead,
  positionId: bigint,
  sizeDelta: bigint,
  options: RequestOptions & { receiver?: string } = {},
): Promise<void> {
  const { owner, isLong } = await s.engine.position(positionId);
  const who = await s.connection.ethers.getSigner(owner);
  const fee = options.executionFee ?? ORDER_EXECUTION_FEE;
  await fund(s, who, fee);
  const acceptable = options.acceptablePrice ?? (isLong ? 0n : ANY_PRICE);
  await mined(
    s.engine
      .connect(who)
      .requestDecrease(
        positionId,
        sizeDelta,
        acceptable,
        await orderDeadline(s, options),
        fee,
        options.receiver ?? owner,
      ),
  );
}

/** Funds the owner with the execution fee and requests a close paying `receiver` (default: the owner). */
export async function requestClose(
  s: Bulkhead,
  positionId: bigint,
  options: RequestOptions & { receiver?: string } = {},
): Promise<void> {
  const { owner, isLong } = await s.engine.position(positionId);
  const who = await s.connection.ethers.getSigner(owner);
  const fee = options.executionFee ?? ORDER_EXECUTION_FEE;
  await fund(s, who, fee);
  const acceptable = options.acceptablePrice ?? (isLong ? 0n : ANY_PRICE);
  await mined(
    s.engine
      .connect(who)
      .requestClose(positionId, acceptable, await orderDeadline(s, options), fee, options.receiver ?? owner),
  );
}

/**
 * Opens a position through the two steps at `options.price` (default: the latest answer): requests it with the
 * opening fee on top of `collateral` (so the recorded collateral is exactly `collateral`), publishes a round one
 * second later, and the keeper executes. Returns the new position's id; fails if the order did not execute.
 */
export async function openPosition(
  s: Bulkhead,
  who: HardhatEthersSigner,
  marketId: bigint,
  isLong: boolean,
  size: bigint,
  collateral: bigint,
  options: ExecuteOptions = {},
): Promise<bigint> {
  const price = options.price ?? (await currentPrice(s, marketId));
  const id = await requestOpen(s, who, marketId, isLong, size, collateral + openFeeOf(s, marketId, size, price));
  expectExecuted(await executeAt(s, marketId, [id], { ...options, price }), id, "the open");
  return id;
}

/** Adds `sizeDelta` (and `collateralDelta`) through the two steps at `options.price`; fails if it did not execute. */
export async function increase(
  s: Bulkhead,
  positionId: bigint,
  sizeDelta: bigint,
  collateralDelta: bigint,
  options: ExecuteOptions = {},
): Promise<ExecutionResult> {
  const { marketId } = await s.engine.position(positionId);
  await requestIncrease(s, positionId, sizeDelta, collateralDelta);
  const result = await executeAt(s, marketId, [positionId], options);
  expectExecuted(result, positionId, "the increase");
  return result;
}

/** Removes `sizeDelta` through the two steps at `options.price`, paying `receiver` (default: the owner). */
export async function decrease(
  s: Bulkhead,
  positionId: bigint,
  sizeDelta: bigint,
  options: ExecuteOptions & { receiver?: string } = {},
): Promise<ExecutionResult> {
  const { marketId } = await s.engine.position(positionId);
  await requestDecrease(s, positionId, sizeDelta, { receiver: options.receiver });
  const result = await executeAt(s, marketId, [positionId], options);
  expectExecuted(result, positionId, "the decrease");
  return result;
}

/** Closes through the two steps at `options.price`, paying `receiver` (default: the owner). */
export async function closePosition(
  s: Bulkhead,
  positionId: bigint,
  options: ExecuteOptions & { receiver?: string } = {},
): Promise<ExecutionResult> {
  const { marketId } = await s.engine.position(positionId);
  await requestClose(s, positionId, { receiver: options.receiver });
  const result = await executeAt(s, marketId, [positionId], options);
  expectExecuted(result, positionId, "the close");
  return result;
}

/** Asset held by a position's vault. */
export async function vaultBalance(s: Bulkhead, positionId: bigint): Promise<bigint> {
  return s.usd.balanceOf(await s.engine.vaultOf(positionId));
}

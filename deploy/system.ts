/**
 * A full Bulkhead system on the embedded chain, deployed by the same Ignition modules as every deployment
 * (deploy/modules, through `deployPlan`) with this file's values: 6-decimal stablecoin, ETH-USD and BTC-USD Chainlink
 * mocks (8 decimals), an AccessManager with a governance role on the RiskConfig setters (the deployer and `governance`)
 * and a guardian role on pause / unpause, the engine bound to its pool, insurance fund and risk configuration, two
 * markets and 1M USD of LP liquidity (deposited the ERC-7540 way: request, `lpDelay` later a keeper executes, the LP
 * claims).
 *
 * Used by the mocha tests (test/ts/fixture.ts, through `networkHelpers.loadFixture(deployBulkhead)`) and by
 * scripts/bench-gas.ts. Parameter types and field lists are the SDK's (sdk/src/params.ts); only the values are here.
 * Time is pinned: the chain starts at START_TIME and every helper that sends a transaction says when it is mined,
 * so balances can be predicted to the unit and gas figures do not depend on the wall clock.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { MaxUint256, ZeroAddress, type ContractTransactionResponse } from "ethers";
import hre from "hardhat";
import type { ChainType, NetworkConnection } from "hardhat/types/network";

import {
  AccessManager__factory,
  BulkheadLens__factory,
  InsuranceFund__factory,
  LiquidityPool__factory,
  MarginEngine__factory,
  MockV3Aggregator__factory,
  RiskConfig__factory,
  TestStablecoin__factory,
} from "../typechain-types/index.js";
import type {
  AccessManager,
  BulkheadLens,
  InsuranceFund,
  LiquidityPool,
  MarginEngine,
  MockV3Aggregator,
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
  engine: MarginEngine;
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

/**
 * Funds `who` for the open (collateral, keeper reserve and, generously, the fee) and opens at the oracle price.
 * Returns the new position's id.
 */
export async function openPosition(
  s: Bulkhead,
  who: HardhatEthersSigner,
  marketId: bigint,
  isLong: boolean,
  size: bigint,
  collateral: bigint,
): Promise<bigint> {
  await fund(s, who, collateral + KEEPER_RESERVE + collateral);
  const id = await s.engine.nextPositionId();
  await mined(
    s.engine.connect(who).open(marketId, isLong, size, collateral, isLong ? MaxUint256 : 0n, await deadline(s)),
  );
  return id;
}

/** Asset held by a position's vault. */
export async function vaultBalance(s: Bulkhead, positionId: bigint): Promise<bigint> {
  return s.usd.balanceOf(await s.engine.vaultOf(positionId));
}

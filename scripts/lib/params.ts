/**
 * The per-network parameter files (`deploy/parameters/<network>.json`): where they are, what they may say, and the
 * exact on-chain integers they stand for. Everything is validated before the first transaction, with the contract's
 * own bounds (`contracts/libraries/RiskBounds.sol`), so a typo never leaves a half-deployed system behind.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import { getAddress, isAddress, ZeroAddress } from "ethers";

import {
  GLOBAL_FIELDS,
  MARKET_FIELDS,
  type AssetSpec,
  type FeedSpec,
  type FundingPlan,
  type GlobalValues,
  type MarketSpec,
  type MarketValues,
} from "../../deploy/modules/plan.js";
import { isDevChain } from "./chains.js";
import { parseInteger, parseRatePerSecond, parseRatio, parseUsd, scaleExact, WAD } from "./units.js";

// ------------------------------------------------------------------ resolved shapes

/** An account in a parameter file: an address, or `"deployer"` (the account that runs the deployment). */
export type AccountRef = string;
export const DEPLOYER = "deployer";

export interface TimelockSpec {
  minDelay: bigint;
  proposers: AccountRef[];
  /** `0x000…000` (written `"anyone"`) opens execution to every account once the delay has passed. */
  executors: AccountRef[];
}

export interface DeployParams {
  /** The file these came from, for messages. */
  source: string;
  /** `local`: mocks allowed, the deployer governs. `testnet`: existing token and feeds, a timelock governs. */
  kind: "local" | "testnet";
  /** The chain the file is written for, if pinned; the deployment refuses any other. */
  chainId: number | undefined;
  /** The settlement token: an existing ERC-20, or the 6-decimal `TestStablecoin` deployed for local chains. */
  asset: AssetSpec;
  pool: { name: string; symbol: string };
  /** `null`: the deployer holds the governance role (and the AccessManager admin). */
  timelock: TimelockSpec | null;
  guardian: AccountRef;
  global: GlobalValues;
  /** L2 sequencer-uptime feed, or the zero address. */
  sequencerFeed: string;
  markets: MarketSpec[];
  funding: FundingPlan | null;
}

/** Decimals of the mock settlement token (`contracts/mocks/TestStablecoin.sol`). */
export const TEST_STABLECOIN_DECIMALS = 6n;

// ------------------------------------------------------------------ RiskBounds, mirrored

/**
 * The bounds of `contracts/libraries/RiskBounds.sol`, checked here so that nothing is sent when a value would be
 * rejected on chain. test/ts/deploy/params.test.ts reads the contract's own bounds back and compares.
 */
export const RISK_BOUNDS = {
  heartbeat: [60n, 2n * 86_400n],
  imr: [WAD / 100n, WAD],
  mmr: [WAD / 200n, WAD / 4n],
  liqFeeRatio: [0n, WAD / 20n],
  liqPenaltyRatio: [0n, WAD / 20n],
  openFeeRatio: [0n, WAD / 100n],
  closeFeeRatio: [0n, WAD / 100n],
  maxProfitRatio: [WAD / 10n, 10n * WAD],
  borrowRateLong: [0n, WAD / (365n * 86_400n)],
  borrowRateShort: [0n, WAD / (365n * 86_400n)],
  maxUtilization: [WAD / 100n, 10n * WAD],
  liquidationGracePeriod: [0n, 3_600n],
  /** Whole USD, times the asset's unit. */
  minCollateralUsd: [1n, 1_000_000n],
  keeperReserveUsd: [0n, 1_000n],
} as const;
/** `RiskConfig.MAX_MARKETS`. */
export const MAX_MARKETS = 32;

const UINT64_MAX = 2n ** 64n - 1n;
const UINT128_MAX = 2n ** 128n - 1n;

// ------------------------------------------------------------------ errors

/** Every problem found in a parameter file, each with the JSON path it is at. */
export class ParameterError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source}: ${problems.length} problem(s) in the deployment parameters:\n  - ${problems.join("\n  - ")}`);
    this.name = "ParameterError";
  }
}

// ------------------------------------------------------------------ locating the file

/**
 * The parameter file for a network: `BULKHEAD_DEPLOY_PARAMETERS` if set, else `deploy/parameters/<network>.json`,
 * else, on a development chain (31337, 1337), `deploy/parameters/local.json`.
 */
export function parameterFileFor(root: string, networkName: string, chainId: number): string {
  const override = process.env.BULKHEAD_DEPLOY_PARAMETERS;
  if (override !== undefined && override !== "") return path.resolve(root, override);
  const dir = path.join(root, "deploy", "parameters");
  const byName = path.join(dir, `${networkName}.json`);
  if (existsSync(byName)) return byName;
  if (isDevChain(chainId)) return path.join(dir, "local.json");
  throw new Error(
    `no deployment parameters for network "${networkName}" (chain ${chainId}): create ${path.relative(root, byName)} ` +
      `(see deploy/README.md) or point BULKHEAD_DEPLOY_PARAMETERS at a file`,
  );
}

export function readParameterFile(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`cannot read deployment parameters ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The settlement token a parameter file names, before anything else is parsed: its decimals are needed to read the
 * file's USD amounts.
 */
export function assetOf(json: unknown, source: string): DeployParams["asset"] {
  const value = isRecord(json) ? json.asset : undefined;
  if (value === "TestStablecoin") return { mock: "TestStablecoin" };
  if (typeof value === "string" && isAddress(value)) return { address: getAddress(value) };
  throw new ParameterError(source, [`asset: expected an address or "TestStablecoin", got ${JSON.stringify(value)}`]);
}

// ------------------------------------------------------------------ parsing

/**
 * Validates a parameter file and converts it to on-chain integers.
 *
 * @param assetDecimals the settlement token's decimals (USD amounts are scaled to them)
 */
export function parseParameters(json: unknown, source: string, assetDecimals: bigint): DeployParams {
  const problems: string[] = [];
  const at = <T>(where: string, read: () => T, fallback: T): T => {
    try {
      return read();
    } catch (error) {
      problems.push(`${where}: ${(error as Error).message}`);
      return fallback;
    }
  };
  if (!isRecord(json)) throw new ParameterError(source, ["the file must hold a JSON object"]);
  const known = new Set([
    "$comment",
    "kind",
    "chainId",
    "asset",
    "pool",
    "governance",
    "guardian",
    "global",
    "sequencerFeed",
    "markets",
    "funding",
  ]);
  for (const key of Object.keys(json)) if (!known.has(key)) problems.push(`${key}: unknown field`);

  const kind = at(
    "kind",
    () => {
      if (json.kind !== "local" && json.kind !== "testnet") throw new Error(`expected "local" or "testnet"`);
      return json.kind;
    },
    "testnet" as const,
  );
  const chainId = at(
    "chainId",
    () => (json.chainId === undefined ? undefined : Number(parseInteger(json.chainId))),
    undefined,
  );
  const asset = at("asset", () => assetOf(json, source), { mock: "TestStablecoin" } as const);
  if ("mock" in asset && kind !== "local")
    problems.push(`asset: the open-mint TestStablecoin is for local chains only`);

  const pool = at(
    "pool",
    () => {
      const pool = record(json.pool);
      return { name: text(pool.name, "pool.name"), symbol: text(pool.symbol, "pool.symbol") };
    },
    { name: "", symbol: "" },
  );

  const timelock = at(
    "governance",
    () => {
      if (json.governance === DEPLOYER) {
        if (kind === "testnet") throw new Error(`a testnet is governed by a timelock, not the deployer`);
        return null;
      }
      const spec = record(record(json.governance).timelock);
      const proposers = list(spec.proposers, "proposers").map((p) => account(p));
      const executors = list(spec.executors, "executors").map((e) => (e === "anyone" ? ZeroAddress : account(e)));
      if (proposers.length === 0) throw new Error(`timelock.proposers: at least one proposer`);
      if (executors.length === 0) throw new Error(`timelock.executors: at least one executor (or "anyone")`);
      return { minDelay: parseInteger(spec.minDelay), proposers, executors };
    },
    null,
  );
  const guardian = at("guardian", () => account(json.guardian), DEPLOYER);
  const sequencerFeed = at(
    "sequencerFeed",
    () => (json.sequencerFeed === undefined || json.sequencerFeed === null ? ZeroAddress : address(json.sequencerFeed)),
    ZeroAddress,
  );

  const global = at(
    "global",
    () => {
      const g = record(json.global);
      expectOnly(g, GLOBAL_FIELDS, "global");
      const values: GlobalValues = {
        minCollateral: parseUsd(g.minCollateral, assetDecimals),
        keeperReserve: parseUsd(g.keeperReserve, assetDecimals),
        maxUtilization: parseRatio(g.maxUtilization),
        liquidationGracePeriod: parseInteger(g.liquidationGracePeriod),
      };
      const unit = 10n ** assetDecimals;
      const [minCollMin, minCollMax] = RISK_BOUNDS.minCollateralUsd;
      const [reserveMin, reserveMax] = RISK_BOUNDS.keeperReserveUsd;
      checkRange(problems, "global.minCollateral", values.minCollateral, minCollMin, minCollMax * unit);
      checkRange(problems, "global.keeperReserve", values.keeperReserve, reserveMin * unit, reserveMax * unit);
      checkRange(problems, "global.maxUtilization", values.maxUtilization, ...RISK_BOUNDS.maxUtilization);
      checkRange(
        problems,
        "global.liquidationGracePeriod",
        values.liquidationGracePeriod,
        ...RISK_BOUNDS.liquidationGracePeriod,
      );
      return values;
    },
    { minCollateral: 0n, keeperReserve: 0n, maxUtilization: 0n, liquidationGracePeriod: 0n },
  );

  const markets = at("markets", () => list(json.markets, "markets"), []).map((entry, i) =>
    at(`markets[${i}]`, () => parseMarket(entry, `markets[${i}]`, kind, problems), null),
  );
  if (markets.length === 0) problems.push(`markets: at least one market`);
  if (markets.length > MAX_MARKETS) problems.push(`markets: at most ${MAX_MARKETS}`);
  const names = markets.flatMap((m) => (m === null ? [] : [m.name]));
  for (const name of new Set(names)) {
    if (names.filter((n) => n === name).length > 1) problems.push(`markets: "${name}" is listed twice`);
  }

  const funding = at(
    "funding",
    () => {
      if (json.funding === undefined || json.funding === null) return null;
      if (kind !== "local") throw new Error(`only local chains fund test accounts`);
      if (!("mock" in asset)) throw new Error(`funding mints the TestStablecoin: set "asset": "TestStablecoin"`);
      const f = record(json.funding);
      expectOnly(f, ["accounts", "amount"], "funding", ["poolSeed"]);
      return {
        accounts: Number(parseInteger(f.accounts)),
        amount: parseUsd(f.amount, assetDecimals),
        poolSeed: parseUsd(f.poolSeed ?? 0, assetDecimals),
      };
    },
    null,
  );

  if (problems.length > 0) throw new ParameterError(source, problems);
  return {
    source,
    kind,
    chainId,
    asset,
    pool,
    timelock,
    guardian,
    global,
    sequencerFeed,
    markets: markets.filter((m): m is MarketSpec => m !== null),
    funding,
  };
}

function parseMarket(json: unknown, where: string, kind: DeployParams["kind"], problems: string[]): MarketSpec {
  const m = record(json);
  expectOnly(m, ["name", "feed", ...MARKET_FIELDS], where);
  const name = text(m.name, "name");
  if (!/^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$/.test(name)) throw new Error(`name "${name}": letters, digits and dashes`);
  const feedDecimals = parseInteger(m.feedDecimals);
  if (feedDecimals > 36n) throw new Error(`feedDecimals ${feedDecimals} above 36`);
  let feed: FeedSpec;
  if (typeof m.feed === "string") {
    feed = { address: address(m.feed) };
  } else {
    const mock = record(m.feed);
    if (kind !== "local") throw new Error(`feed: mock feeds are for local chains only; give the feed's address`);
    feed = { mockAnswer: scaleExact(text(mock.mockPrice, "feed.mockPrice"), feedDecimals) };
  }
  const params: MarketValues = {
    heartbeat: parseInteger(m.heartbeat),
    feedDecimals,
    imr: parseRatio(m.imr),
    mmr: parseRatio(m.mmr),
    liqFeeRatio: parseRatio(m.liqFeeRatio),
    liqPenaltyRatio: parseRatio(m.liqPenaltyRatio),
    openFeeRatio: parseRatio(m.openFeeRatio),
    closeFeeRatio: parseRatio(m.closeFeeRatio),
    maxProfitRatio: parseRatio(m.maxProfitRatio),
    borrowRateLong: parseRatePerSecond(m.borrowRateLong),
    borrowRateShort: parseRatePerSecond(m.borrowRateShort),
    // Caps are on entry notional: USD with 18 decimals.
    maxOpenInterestLong: parseUsd(m.maxOpenInterestLong, 18n),
    maxOpenInterestShort: parseUsd(m.maxOpenInterestShort, 18n),
  };
  const bounded = [
    "heartbeat",
    "imr",
    "liqFeeRatio",
    "liqPenaltyRatio",
    "openFeeRatio",
    "closeFeeRatio",
    "maxProfitRatio",
    "borrowRateLong",
    "borrowRateShort",
  ] as const;
  for (const field of bounded) {
    const [min, max] = RISK_BOUNDS[field];
    checkRange(problems, `${where}.${field}`, params[field], min, max);
  }
  // mmr < imr: a freshly opened position is never liquidatable.
  const [mmrMin, mmrMax] = RISK_BOUNDS.mmr;
  checkRange(problems, `${where}.mmr`, params.mmr, mmrMin, params.imr - 1n < mmrMax ? params.imr - 1n : mmrMax);
  checkRange(problems, `${where}.maxOpenInterestLong`, params.maxOpenInterestLong, 0n, UINT128_MAX);
  checkRange(problems, `${where}.maxOpenInterestShort`, params.maxOpenInterestShort, 0n, UINT128_MAX);
  if ("mockAnswer" in feed) checkRange(problems, `${where}.feed.mockPrice`, feed.mockAnswer, 1n, UINT64_MAX);
  return { name, feed, params };
}

// ------------------------------------------------------------------ accounts

/** The address an account reference stands for. */
export function resolveAccount(ref: AccountRef, deployer: string): string {
  return ref === DEPLOYER ? getAddress(deployer) : getAddress(ref);
}

// ------------------------------------------------------------------ small readers

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function record(value: unknown): Record<string, unknown> {
  if (!isRecord(value)) throw new Error(`expected an object, got ${JSON.stringify(value)}`);
  return value;
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what}: expected an array`);
  return value;
}

function text(value: unknown, what: string): string {
  if (typeof value !== "string" || value === "") throw new Error(`${what}: expected a non-empty string`);
  return value;
}

function address(value: unknown): string {
  if (typeof value !== "string" || !isAddress(value)) throw new Error(`${JSON.stringify(value)} is not an address`);
  return getAddress(value);
}

function account(value: unknown): AccountRef {
  return value === DEPLOYER ? DEPLOYER : address(value);
}

function expectOnly(
  value: Record<string, unknown>,
  fields: readonly string[],
  where: string,
  optional: readonly string[] = [],
): void {
  for (const key of Object.keys(value)) {
    if (!fields.includes(key) && !optional.includes(key)) throw new Error(`${where}.${key}: unknown field`);
  }
  for (const field of fields) if (value[field] === undefined) throw new Error(`${where}.${field}: missing`);
}

function checkRange(problems: string[], where: string, value: bigint, min: bigint, max: bigint): void {
  if (value < min || value > max) problems.push(`${where}: ${value} is outside the contract's bounds [${min}, ${max}]`);
}

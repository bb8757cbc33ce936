/**
 * Deployment parameter files (`deploy/parameters/<network>.json`): their zod schema and the exact on-chain integers
 * they stand for. Field lists, units and bounds come from sdk/src/params.ts (the ABI and RiskBounds), so nothing here
 * names a market parameter. Every problem of a file is listed at once, each with where it is; nothing is rounded
 * silently ("0.0000001 USD" with a 6-decimal token is an error).
 */
import { getAddress, isAddress, zeroAddress, type Address } from "viem";
import { z } from "zod";

import {
  GLOBAL_PARAM_FIELDS,
  GLOBAL_PARAM_SPECS,
  globalBoundOf,
  LP_PARAM_FIELDS,
  LP_PARAM_SPECS,
  lpBoundOf,
  MARKET_PARAM_FIELDS,
  MARKET_PARAM_SPECS,
  marketBoundOf,
  MAX_MARKETS,
  type GlobalParams,
  type LpParams,
  type MarketValues,
  type ParamUnit,
} from "./params.js";
import { DEPLOYMENT_KINDS, type DeploymentKind } from "./record.js";
import { BulkheadError } from "./errors/base.js";
import { describeIssues } from "./schema.js";
import { parseInteger, parseRatePerSecond, parseRatio, parseUsd, scaleExact } from "./units.js";

/** An account in a parameter file: an address, or `"deployer"` (the account that runs the deployment). */
export type AccountRef = Address | "deployer";
export const DEPLOYER = "deployer";

/** Decimals of the mock settlement token (`contracts/mocks/TestStablecoin.sol`). */
export const TEST_STABLECOIN_DECIMALS = 6n;

/** A price feed: an existing Chainlink aggregator, or a `MockV3Aggregator` deployed with this answer. */
export type FeedSpec = { address: Address } | { mockAnswer: bigint };
/** The settlement token: an existing ERC-20 (`IERC20Metadata`), or the `TestStablecoin` mock (local chains, rehearsals). */
export type AssetSpec = { address: Address } | { mock: "TestStablecoin" };

export interface MarketSpec {
  /** Like `ETH-USD`: letters, digits and dashes, unique. */
  name: string;
  feed: FeedSpec;
  params: MarketValues;
}

export interface TimelockSpec {
  minDelay: bigint;
  proposers: AccountRef[];
  /** The zero address (written `"anyone"`) opens execution to every account once the delay has passed. */
  executors: (AccountRef | typeof zeroAddress)[];
}

export interface FundingSpec {
  /** The node's first `accounts` accounts each receive `amount` of the mock token (mock token only). */
  accounts: number;
  amount: bigint;
  /**
   * Requested as a deposit into the pool by the deployer so the first trades can open: minted (mock token) or its own
   * tokens. The request executes after `lp.lpDelay`; re-running the deployment then executes and claims it.
   */
  poolSeed: bigint;
}

export interface DeployParams {
  /** The file these came from, for messages. */
  source: string;
  kind: DeploymentKind;
  /** The chain the file is written for, if pinned; the deployment refuses any other. */
  chainId: number | undefined;
  asset: AssetSpec;
  pool: { name: string; symbol: string };
  /** `null`: the deployer holds the governance role (and the AccessManager admin). */
  timelock: TimelockSpec | null;
  guardian: AccountRef;
  global: GlobalParams;
  /** LP request parameters: delay, settle and resume times, minimum request, execution fee. */
  lp: LpParams;
  /** L2 sequencer-uptime feed, or the zero address. */
  sequencerFeed: Address;
  markets: MarketSpec[];
  funding: FundingSpec | null;
}

/** Every problem found in a parameter file, each with the JSON path it is at. */
export class ParameterError extends BulkheadError {
  override name = "ParameterError";
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(
      `${source}: ${problems.length} problem(s) in the deployment parameters (deploy/README.md, "Parameter files"):`,
      {
        metaMessages: problems.map((problem) => `  - ${problem}`),
      },
    );
  }
}

// ------------------------------------------------------------------ field schemas

/** A value parsed by one of the unit readers; its error message becomes the issue. */
function parsed<T>(read: (value: unknown) => T) {
  return z.unknown().transform((value, ctx): T => {
    if (value === undefined) {
      ctx.addIssue({ code: "custom", message: "missing" });
      return z.NEVER;
    }
    try {
      return read(value);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  });
}

function unitSchema(unit: ParamUnit, assetDecimals: bigint) {
  switch (unit) {
    case "seconds":
    case "integer":
      return parsed(parseInteger);
    case "ratio":
      return parsed(parseRatio);
    case "ratePerSecond":
      return parsed(parseRatePerSecond);
    case "assetAmount":
      return parsed((v) => parseUsd(v, assetDecimals));
    case "usdWad":
      return parsed((v) => parseUsd(v, 18n));
  }
}

const address = parsed((value): Address => {
  if (typeof value !== "string" || !isAddress(value, { strict: false }))
    throw new Error(`${JSON.stringify(value)} is not an address`);
  return getAddress(value);
});
const account = parsed((value): AccountRef => {
  if (value === DEPLOYER) return DEPLOYER;
  if (typeof value !== "string" || !isAddress(value, { strict: false }))
    throw new Error(`${JSON.stringify(value)} is not an address or "deployer"`);
  return getAddress(value);
});
const executor = parsed((value): AccountRef | typeof zeroAddress =>
  value === "anyone" ? zeroAddress : account.parse(value),
);
const text = z.string({ error: "expected a non-empty string" }).min(1, { error: "expected a non-empty string" });

/** The settlement token a file names: read first, since its decimals are needed for the file's USD amounts. */
export function assetOf(json: unknown, source: string): AssetSpec {
  const value = typeof json === "object" && json !== null ? (json as { asset?: unknown }).asset : undefined;
  if (value === "TestStablecoin") return { mock: "TestStablecoin" };
  if (typeof value === "string" && isAddress(value, { strict: false })) return { address: getAddress(value) };
  throw new ParameterError(source, [`asset: expected an address or "TestStablecoin", got ${JSON.stringify(value)}`]);
}

/** Larger than any execution fee bound: stands in for a `minRequest` that did not parse. */
const typeMaxOfFee = 2n ** 256n;

/** The schema of a parameter file whose settlement token has `assetDecimals` decimals. */
export function parameterFileSchema(assetDecimals: bigint) {
  const marketSchema = z.strictObject({
    name: text.regex(/^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$/, { error: "letters, digits and dashes, like ETH-USD" }),
    feed: z.union([
      address,
      z.strictObject({ mockPrice: text.regex(/^\d+(\.\d+)?$/, { error: 'a decimal price, like "3000"' }) }),
    ]),
    ...(Object.fromEntries(
      MARKET_PARAM_FIELDS.map((field) => [field, unitSchema(MARKET_PARAM_SPECS[field].unit, assetDecimals)]),
    ) as Record<keyof MarketValues, ReturnType<typeof parsed<bigint>>>),
  });
  const globalSchema = z.strictObject(
    Object.fromEntries(
      GLOBAL_PARAM_FIELDS.map((field) => [field, unitSchema(GLOBAL_PARAM_SPECS[field].unit, assetDecimals)]),
    ) as Record<keyof GlobalParams, ReturnType<typeof parsed<bigint>>>,
  );
  const lpSchema = z.strictObject(
    Object.fromEntries(
      LP_PARAM_FIELDS.map((field) => [field, unitSchema(LP_PARAM_SPECS[field].unit, assetDecimals)]),
    ) as Record<keyof LpParams, ReturnType<typeof parsed<bigint>>>,
  );
  const timelockSchema = z.strictObject({
    timelock: z.strictObject({
      minDelay: parsed(parseInteger),
      proposers: z.array(account).min(1, { error: "at least one proposer" }),
      executors: z.array(executor).min(1, { error: 'at least one executor (or "anyone")' }),
    }),
  });
  return z
    .strictObject({
      $comment: z.string().optional(),
      kind: z.enum(DEPLOYMENT_KINDS, { error: `expected "local", "rehearsal" or "testnet"` }),
      chainId: parsed((v) => Number(parseInteger(v))).optional(),
      asset: z.union([z.literal("TestStablecoin"), address]),
      pool: z.strictObject({ name: text, symbol: text }),
      governance: z.union([z.literal(DEPLOYER), timelockSchema]),
      guardian: account,
      global: globalSchema,
      lp: lpSchema,
      sequencerFeed: z.union([z.null(), address]).optional(),
      markets: z
        .array(marketSchema)
        .min(1, { error: "at least one market" })
        .max(MAX_MARKETS, { error: `at most ${MAX_MARKETS}` }),
      funding: z
        .strictObject({
          accounts: parsed((v) => Number(parseInteger(v))).optional(),
          amount: unitSchema("assetAmount", assetDecimals).optional(),
          poolSeed: unitSchema("assetAmount", assetDecimals).optional(),
        })
        .nullable()
        .optional(),
    })
    .superRefine(
      (file, ctx) => {
        // Runs even when fields failed (`when`), so every problem is listed at once: skip what did not parse.
        const problem = (path: (string | number)[], message: string): void =>
          void ctx.addIssue({ code: "custom", message, path });
        const range = (path: (string | number)[], value: unknown, [min, max]: readonly [bigint, bigint]): void => {
          if (typeof value === "bigint" && (value < min || value > max))
            problem(path, `${value} is outside the contract's bounds [${min}, ${max}]`);
        };
        const mocksAllowed = file.kind === "local" || file.kind === "rehearsal";
        if (file.asset === "TestStablecoin" && file.kind === "testnet")
          problem(["asset"], "the open-mint TestStablecoin is for local chains and rehearsals only");
        if (file.governance === DEPLOYER && file.kind === "testnet")
          problem(["governance"], "a testnet is governed by a timelock, not the deployer");
        if (file.kind === "rehearsal" && file.chainId === undefined)
          problem(["chainId"], "a rehearsal names the chain id of the testnet it rehearses (e.g. 11155111)");
        if (typeof file.global === "object") {
          for (const field of GLOBAL_PARAM_FIELDS)
            range(["global", field], file.global[field], globalBoundOf(field, assetDecimals));
        }
        if (typeof file.lp === "object") {
          const lp = file.lp;
          // executionFee is at most minRequest; if that did not parse, only the fee's own bound.
          const minRequest = typeof lp.minRequest === "bigint" ? lp.minRequest : typeMaxOfFee;
          for (const field of LP_PARAM_FIELDS)
            range(["lp", field], lp[field], lpBoundOf(field, assetDecimals, { minRequest }));
        }
        const names = new Set<string>();
        (Array.isArray(file.markets) ? file.markets : []).forEach((market, i) => {
          if (typeof market !== "object" || market === null) return;
          if (typeof market.name === "string") {
            if (names.has(market.name)) problem(["markets"], `"${market.name}" is listed twice`);
            names.add(market.name);
          }
          if (typeof market.feed === "object" && !mocksAllowed)
            problem(
              ["markets", i, "feed"],
              "mock feeds are for local chains and rehearsals only; give the feed's address",
            );
          // Bounds that depend on another field (mmr below imr, maxOrderWait at least the heartbeat) use the other
          // field's own bound when it did not parse, so only the problem that is there is reported.
          const imr = typeof market.imr === "bigint" ? market.imr : MARKET_PARAM_SPECS.imr.bound[1] + 1n;
          const heartbeat =
            typeof market.heartbeat === "bigint" ? market.heartbeat : MARKET_PARAM_SPECS.heartbeat.bound[0];
          for (const field of MARKET_PARAM_FIELDS)
            range(["markets", i, field], market[field], marketBoundOf(field, { imr, heartbeat }));
          if (typeof market.feed === "object" && typeof market.feedDecimals === "bigint") {
            try {
              range(["markets", i, "feed", "mockPrice"], scaleExact(market.feed.mockPrice, market.feedDecimals), [
                1n,
                2n ** 64n - 1n,
              ]);
            } catch (error) {
              problem(["markets", i, "feed", "mockPrice"], (error as Error).message);
            }
          }
        });
        const funding = file.funding;
        if (typeof funding === "object" && funding !== null) {
          const mints = funding.accounts !== undefined || funding.amount !== undefined;
          if (mints && file.kind === "testnet")
            problem(
              ["funding"],
              "a testnet token cannot be minted: only funding.poolSeed, paid from the deployer's tokens",
            );
          else if (mints && file.asset !== "TestStablecoin")
            problem(["funding"], 'funding.accounts mints the TestStablecoin: set "asset": "TestStablecoin"');
          if (mints && (funding.accounts === undefined || funding.amount === undefined))
            problem(["funding"], "accounts and amount go together");
          const seed = funding.poolSeed;
          const minRequest = typeof file.lp === "object" ? file.lp.minRequest : undefined;
          if (typeof seed === "bigint" && seed !== 0n && typeof minRequest === "bigint" && seed < minRequest)
            problem(
              ["funding", "poolSeed"],
              `${seed} is below lp.minRequest (${minRequest}): the seed is a deposit request (0: no seed)`,
            );
        }
      },
      { when: () => true },
    );
}

/**
 * Validates a parameter file and converts it to on-chain integers.
 *
 * @param source the file's name, for messages
 * @param assetDecimals the settlement token's decimals (USD amounts are scaled to them)
 */
export function parseParameters(json: unknown, source: string, assetDecimals: bigint): DeployParams {
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new ParameterError(source, ["the file must hold a JSON object"]);
  const result = parameterFileSchema(assetDecimals).safeParse(json);
  if (!result.success) throw new ParameterError(source, describeIssues(result.error.issues));
  const file = result.data;
  return {
    source,
    kind: file.kind,
    chainId: file.chainId,
    asset: file.asset === "TestStablecoin" ? { mock: "TestStablecoin" } : { address: file.asset },
    pool: file.pool,
    timelock: file.governance === DEPLOYER ? null : file.governance.timelock,
    guardian: file.guardian,
    global: file.global,
    lp: file.lp,
    sequencerFeed: file.sequencerFeed ?? zeroAddress,
    markets: file.markets.map(({ name, feed, ...params }) => ({
      name,
      feed:
        typeof feed === "string" ? { address: feed } : { mockAnswer: scaleExact(feed.mockPrice, params.feedDecimals) },
      params: params as MarketValues,
    })),
    funding:
      file.funding === undefined || file.funding === null
        ? null
        : {
            accounts: file.funding.accounts ?? 0,
            amount: file.funding.amount ?? 0n,
            poolSeed: file.funding.poolSeed ?? 0n,
          },
  };
}

/** The address an account reference stands for. */
export function resolveAccount(ref: string, deployer: string): Address {
  return ref === DEPLOYER ? getAddress(deployer) : getAddress(ref);
}

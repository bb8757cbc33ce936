/**
 * The risk parameters, as one TypeScript definition. Field lists and value types come from the generated ABI
 * (`IRiskConfig.marketParams` / `globalParams` / `lpParams`), so a field added to the Solidity struct appears here on the next
 * compile; the one thing written by hand is each field's unit and bound below, and the compiler refuses a field that
 * has none. The bounds mirror `contracts/libraries/RiskBounds.sol` (test/ts/deploy/localhost.test.ts reads the
 * contract's own bounds back and compares).
 */
import type { Address } from "viem";

import { iRiskConfigAbi } from "./generated/abis.js";
import { SECONDS_PER_YEAR, WAD } from "./units.js";

type RiskConfigFunction<N extends string> = Extract<(typeof iRiskConfigAbi)[number], { type: "function"; name: N }>;
type StructComponent<N extends string> = RiskConfigFunction<N>["outputs"][0] extends {
  components: readonly (infer C)[];
}
  ? C
  : never;
type MarketComponent = StructComponent<"marketParams">;
type GlobalComponent = StructComponent<"globalParams">;
type LpComponent = StructComponent<"lpParams">;
type ValueOf<C> = C extends { type: "address" } ? Address : C extends { type: "bool" } ? boolean : bigint;

/** Per-market risk parameters (`IRiskConfig.marketParams`), every integer a bigint. Ratios WAD; rates WAD per second. */
export type MarketParams = {
  [C in MarketComponent as C extends { name: infer K extends string } ? K : never]: ValueOf<C>;
};
/** Engine-wide parameters (`IRiskConfig.globalParams`), every integer a bigint. */
export type GlobalParams = {
  [C in GlobalComponent as C extends { name: infer K extends string } ? K : never]: ValueOf<C>;
};
/** LP request parameters (`IRiskConfig.lpParams`), every integer a bigint. Seconds; amounts in asset units. */
export type LpParams = {
  [C in LpComponent as C extends { name: infer K extends string } ? K : never]: ValueOf<C>;
};
/** A market parameter other than its feed. */
export type MarketParamField = Exclude<keyof MarketParams, "feed">;
export type GlobalParamField = keyof GlobalParams;
export type LpParamField = keyof LpParams;
/** `MarketParams` without the feed: what a parameter file and a deployment record hold per market. */
export type MarketValues = Omit<MarketParams, "feed">;

function structOf(name: "marketParams" | "globalParams" | "lpParams"): readonly { name: string; type: string }[] {
  for (const item of iRiskConfigAbi) {
    if (item.type === "function" && item.name === name) return item.outputs[0].components;
  }
  throw new Error(`IRiskConfig has no ${name}`);
}

const MARKET_STRUCT = structOf("marketParams");
const GLOBAL_STRUCT = structOf("globalParams");
const LP_STRUCT = structOf("lpParams");

/** The `MarketParams` fields after `feed`, in struct order, from the ABI. */
export const MARKET_PARAM_FIELDS = MARKET_STRUCT.map((c) => c.name).filter(
  (name) => name !== "feed",
) as readonly MarketParamField[];
/** The `GlobalParams` fields in struct order, from the ABI. */
export const GLOBAL_PARAM_FIELDS = GLOBAL_STRUCT.map((c) => c.name) as readonly GlobalParamField[];
/** The `LpParams` fields in struct order, from the ABI. */
export const LP_PARAM_FIELDS = LP_STRUCT.map((c) => c.name) as readonly LpParamField[];

/** The largest value a field's Solidity type holds (`uint64` → 2^64 − 1), from the ABI. */
export function typeMaxOf(field: MarketParamField | GlobalParamField | LpParamField): bigint {
  const component = [...MARKET_STRUCT, ...GLOBAL_STRUCT, ...LP_STRUCT].find((c) => c.name === field);
  const bits = /^uint(\d+)$/.exec(component?.type ?? "")?.[1];
  if (bits === undefined) throw new Error(`${field} is not an unsigned integer in the ABI`);
  return 2n ** BigInt(bits) - 1n;
}

/**
 * How a parameter is written in a parameter file:
 * - `seconds`, `integer`: a plain integer;
 * - `ratio`: `"10%"` (WAD) or the raw WAD integer;
 * - `ratePerSecond`: `"10%/year"` (WAD per second, rounded down) or the raw integer;
 * - `assetAmount`: `"10 USD"` in the settlement token's decimals, or the raw integer;
 * - `usdWad`: `"10 USD"` with 18 decimals (open-interest caps are on entry notional), or the raw integer.
 */
export type ParamUnit = "seconds" | "integer" | "ratio" | "ratePerSecond" | "assetAmount" | "usdWad";

/**
 * `[min, max]` as `RiskBounds` checks it; `assetAmount` bounds are tenths of a USD (`TENTH_USD`), `tenths × unit / 10`
 * (rounded down) on chain. `null`: only the Solidity type's range.
 */
export type ParamBound = readonly [bigint, bigint] | null;

export interface ParamSpec {
  unit: ParamUnit;
  bound: ParamBound;
}

/** `assetAmount` bounds are written in tenths of a USD: `10n * TENTH_USD` is 10 USD. */
const TENTH_USD = 10n;
const MIN_BORROW_RATE = WAD / 100n / SECONDS_PER_YEAR;
const MAX_BORROW_RATE = WAD / SECONDS_PER_YEAR;

/** Unit and bound of every market parameter: the one place a new market parameter is described in TypeScript. */
export const MARKET_PARAM_SPECS = {
  heartbeat: { unit: "seconds", bound: [60n, 2n * 86_400n] },
  // Checked against the feed's own decimals() (on chain and before deploying), at most 36.
  feedDecimals: { unit: "integer", bound: [0n, 36n] },
  imr: { unit: "ratio", bound: [WAD / 100n, WAD] },
  // Also below imr: a freshly opened position is never liquidatable.
  mmr: { unit: "ratio", bound: [WAD / 200n, WAD / 4n] },
  liqFeeRatio: { unit: "ratio", bound: [0n, WAD / 20n] },
  liqPenaltyRatio: { unit: "ratio", bound: [0n, WAD / 20n] },
  openFeeRatio: { unit: "ratio", bound: [0n, WAD / 100n] },
  closeFeeRatio: { unit: "ratio", bound: [0n, WAD / 100n] },
  maxProfitRatio: { unit: "ratio", bound: [WAD / 10n, 10n * WAD] },
  // A cap never exceeds the entry notional.
  maxProfitNotionalRatio: { unit: "ratio", bound: [WAD / 100n, WAD] },
  // Every reservation pays LPs at least 1 % a year.
  borrowRateLong: { unit: "ratePerSecond", bound: [MIN_BORROW_RATE, MAX_BORROW_RATE] },
  borrowRateShort: { unit: "ratePerSecond", bound: [MIN_BORROW_RATE, MAX_BORROW_RATE] },
  maxOpenInterestLong: { unit: "usdWad", bound: null },
  maxOpenInterestShort: { unit: "usdWad", bound: null },
  // Also at least the heartbeat: an order must be able to wait for the feed's next round.
  maxOrderWait: { unit: "seconds", bound: [60n, 2n * 86_400n + 3_600n] },
} as const satisfies { readonly [K in MarketParamField]: ParamSpec };

/** Unit and bound of every engine-wide parameter. */
export const GLOBAL_PARAM_SPECS = {
  minCollateral: { unit: "assetAmount", bound: [1n * TENTH_USD, 1_000_000n * TENTH_USD] },
  keeperReserve: { unit: "assetAmount", bound: [1n, 1_000n * TENTH_USD] },
  maxUtilization: { unit: "ratio", bound: [WAD / 100n, 10n * WAD] },
  liquidationGracePeriod: { unit: "seconds", bound: [0n, 3_600n] },
  minNotional: { unit: "assetAmount", bound: [10n * TENTH_USD, 10_000_000n * TENTH_USD] },
  maxExecutionDelay: { unit: "seconds", bound: [15n, 300n] },
  minExecutionFee: { unit: "assetAmount", bound: [0n, 100n * TENTH_USD] },
} as const satisfies { readonly [K in GlobalParamField]: ParamSpec };

/** Unit and bound of every LP request parameter. */
export const LP_PARAM_SPECS = {
  lpDelay: { unit: "seconds", bound: [60n, 86_400n] },
  lpSettle: { unit: "seconds", bound: [1n, 3_600n] },
  lpResume: { unit: "seconds", bound: [0n, 86_400n] },
  minRequest: { unit: "assetAmount", bound: [1n * TENTH_USD, 1_000_000n * TENTH_USD] },
  // Also below minRequest: the fee comes out of the request, and every request must buy something.
  executionFee: { unit: "assetAmount", bound: [0n, 100n * TENTH_USD] },
} as const satisfies { readonly [K in LpParamField]: ParamSpec };

/** `RiskConfig.MAX_MARKETS`. */
export const MAX_MARKETS = 32;

/**
 * The on-chain `[min, max]` of a market parameter given the rest of the market (mmr depends on imr), as
 * `RiskBounds.checkMarket` computes it. For `feedDecimals` the chain also requires the feed's own decimals.
 */
export function marketBoundOf(
  field: MarketParamField,
  market: Pick<MarketValues, "imr" | "heartbeat">,
): readonly [bigint, bigint] {
  const bound = MARKET_PARAM_SPECS[field].bound;
  if (bound === null) return [0n, typeMaxOf(field)];
  if (field === "mmr") {
    const [min, max] = bound;
    return [min, market.imr - 1n < max ? market.imr - 1n : max];
  }
  if (field === "maxOrderWait") {
    const [min, max] = bound;
    return [market.heartbeat > min ? market.heartbeat : min, max];
  }
  return bound;
}

/** A bound as the chain applies it for a token with `assetDecimals` decimals (`assetAmount`: tenths of a USD). */
function onChainBound(spec: ParamSpec, field: GlobalParamField | LpParamField, assetDecimals: bigint) {
  if (spec.bound === null) return [0n, typeMaxOf(field)] as const;
  if (spec.unit !== "assetAmount") return spec.bound;
  const unit = 10n ** assetDecimals;
  return [(spec.bound[0] * unit) / TENTH_USD, (spec.bound[1] * unit) / TENTH_USD] as const;
}

/** The on-chain `[min, max]` of an engine-wide parameter for a token with `assetDecimals` decimals. */
export function globalBoundOf(field: GlobalParamField, assetDecimals: bigint): readonly [bigint, bigint] {
  return onChainBound(GLOBAL_PARAM_SPECS[field], field, assetDecimals);
}

/**
 * The on-chain `[min, max]` of an LP parameter for a token with `assetDecimals` decimals, given the minimum request
 * (`executionFee` is below `minRequest`), as `RiskBounds.checkLp` computes it.
 */
export function lpBoundOf(
  field: LpParamField,
  assetDecimals: bigint,
  lp: Pick<LpParams, "minRequest">,
): readonly [bigint, bigint] {
  const [min, max] = onChainBound(LP_PARAM_SPECS[field], field, assetDecimals);
  if (field === "executionFee") return [min, lp.minRequest - 1n < max ? lp.minRequest - 1n : max];
  return [min, max];
}

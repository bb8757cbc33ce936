/**
 * What the Ignition modules deploy, with every value already an on-chain integer or address. Built by
 * scripts/lib/params.ts from the network's parameter file (deploy/parameters/<network>.json); the modules hold no
 * defaults of their own, so the file is the single source of every value.
 */
import type { CallableContractFuture, IgnitionModule, IgnitionModuleResult } from "@nomicfoundation/ignition-core";

/** Any Ignition module, as the composing modules pass them around. */
export type AnyModule = IgnitionModule<string, string, IgnitionModuleResult<string>>;

/** A module whose results include the named contracts: what a composing module needs from its parts. */
export type ModuleWith<K extends string> = IgnitionModule<string, string, Record<K, CallableContractFuture<string>>>;

/** On-chain `MarketParams` without the feed, in struct order. */
export interface MarketValues {
  heartbeat: bigint;
  feedDecimals: bigint;
  imr: bigint;
  mmr: bigint;
  liqFeeRatio: bigint;
  liqPenaltyRatio: bigint;
  openFeeRatio: bigint;
  closeFeeRatio: bigint;
  maxProfitRatio: bigint;
  borrowRateLong: bigint;
  borrowRateShort: bigint;
  maxOpenInterestLong: bigint;
  maxOpenInterestShort: bigint;
}
export const MARKET_FIELDS = [
  "heartbeat",
  "feedDecimals",
  "imr",
  "mmr",
  "liqFeeRatio",
  "liqPenaltyRatio",
  "openFeeRatio",
  "closeFeeRatio",
  "maxProfitRatio",
  "borrowRateLong",
  "borrowRateShort",
  "maxOpenInterestLong",
  "maxOpenInterestShort",
] as const satisfies readonly (keyof MarketValues)[];

/** On-chain `GlobalParams`, in struct order. */
export interface GlobalValues {
  minCollateral: bigint;
  keeperReserve: bigint;
  maxUtilization: bigint;
  liquidationGracePeriod: bigint;
}
export const GLOBAL_FIELDS = [
  "minCollateral",
  "keeperReserve",
  "maxUtilization",
  "liquidationGracePeriod",
] as const satisfies readonly (keyof GlobalValues)[];

/** A price feed: an existing Chainlink aggregator, or (local chains) a `MockV3Aggregator` deployed with this answer. */
export type FeedSpec = { address: string } | { mockAnswer: bigint };

export interface MarketSpec {
  /** Like `ETH-USD`: letters, digits and dashes, unique. Names the market's futures and its deployment entry. */
  name: string;
  feed: FeedSpec;
  params: MarketValues;
}

/** The settlement token: an existing ERC-20, or the 6-decimal `TestStablecoin` deployed for local chains. */
export type AssetSpec = { address: string } | { mock: "TestStablecoin" };

export interface TimelockPlan {
  minDelay: bigint;
  proposers: string[];
  /** The zero address opens execution to every account once the delay has passed. */
  executors: string[];
}

export interface FundingPlan {
  /** The node's first `accounts` accounts each receive `amount` of the test token. */
  accounts: number;
  amount: bigint;
  /** Minted to the deployer and deposited into the pool, so positions can be opened at once. */
  poolSeed: bigint;
}

export interface BulkheadPlan {
  asset: AssetSpec;
  pool: { name: string; symbol: string };
  /** `null`: the deployer keeps the governance role and the AccessManager admin (local chains). */
  timelock: TimelockPlan | null;
  guardian: string;
  global: GlobalValues;
  /** L2 sequencer-uptime feed, or the zero address for none. */
  sequencerFeed: string;
  markets: MarketSpec[];
  funding: FundingPlan | null;
}

/** AccessManager role ids (as in test/solidity/utils/BaseTest.sol). */
export const ADMIN_ROLE = 0n;
export const GOVERNANCE_ROLE = 1n;
export const GUARDIAN_ROLE = 2n;

/** RiskConfig functions restricted to each role. */
export const GOVERNANCE_FUNCTIONS = ["listMarket", "setMarketParams", "setGlobalParams", "setSequencerFeed"] as const;
export const GUARDIAN_FUNCTIONS = ["pause", "unpause"] as const;

/** A market name as an Ignition future id fragment (`ETH-USD` → `ETH_USD`). */
export function futureIdOf(marketName: string): string {
  return marketName.replaceAll("-", "_");
}

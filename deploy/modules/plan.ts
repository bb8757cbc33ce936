/**
 * What the Ignition modules deploy, with every value already an on-chain integer or address. Built by
 * deploy/lib/deploy.ts (with the SDK's parameter schema) from the network's parameter file (deploy/parameters/<network>.json); the modules hold no
 * defaults of their own, so the file is the single source of every value.
 */
import type { CallableContractFuture, IgnitionModule, IgnitionModuleResult } from "@nomicfoundation/ignition-core";

import type { GlobalParams, LpParams } from "../../sdk/src/params.js";
import type { AssetSpec, MarketSpec } from "../../sdk/src/parameters.js";

/** Any Ignition module, as the composing modules pass them around. */
export type AnyModule = IgnitionModule<string, string, IgnitionModuleResult<string>>;

/** A module whose results include the named contracts: what a composing module needs from its parts. */
export type ModuleWith<K extends string> = IgnitionModule<string, string, Record<K, CallableContractFuture<string>>>;

export type { AssetSpec, FeedSpec, MarketSpec } from "../../sdk/src/parameters.js";

export interface TimelockPlan {
  minDelay: bigint;
  proposers: string[];
  /** The zero address opens execution to every account once the delay has passed. */
  executors: string[];
}

export interface FundingPlan {
  /** The node's first `accounts` accounts each receive `amount` of the test token (mock token only). */
  accounts: number;
  amount: bigint;
  /**
   * Requested as a deposit into the pool by the deployer (ERC-7540: executed after `lp.lpDelay` by anyone, then claimed
   * by the deployer; deploy/lib/seed.ts finishes it when the deployment is re-run), so positions can be opened.
   */
  poolSeed: bigint;
  /** Whether the deployer mints the seed (the mock token) or pays it from its own balance (an existing token). */
  mint: boolean;
}

export interface BulkheadPlan {
  asset: AssetSpec;
  pool: { name: string; symbol: string };
  /** `null`: the deployer keeps the governance role and the AccessManager admin (local chains). */
  timelock: TimelockPlan | null;
  guardian: string;
  global: GlobalParams;
  lp: LpParams;
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
export const GOVERNANCE_FUNCTIONS = [
  "listMarket",
  "setMarketParams",
  "setGlobalParams",
  "setSequencerFeed",
  "setLpParams",
  "settleMarket",
] as const;
export const GUARDIAN_FUNCTIONS = ["pause", "unpause"] as const;

/** A market name as an Ignition future id fragment (`ETH-USD` → `ETH_USD`). */
export function futureIdOf(marketName: string): string {
  return marketName.replaceAll("-", "_");
}

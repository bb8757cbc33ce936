/**
 * Where a Bulkhead system lives: the deployment file written by the deploy tooling (`deployments/<chainId>.json`) or
 * explicit addresses.
 */
import { getAddress, isAddress, type Address, type Hex } from "viem";

import { InvalidDeploymentError } from "./errors/sdk.js";
import {
  GLOBAL_PARAM_FIELDS,
  LP_PARAM_FIELDS,
  MARKET_PARAM_FIELDS,
  type GlobalParams,
  type LpParams,
  type MarketParams,
} from "./params.js";
import { parseDeploymentRecord, type DeploymentRecord } from "./record.js";

/** The contracts the SDK talks to. */
export interface BulkheadAddresses {
  marginEngine: Address;
  liquidityPool: Address;
  insuranceFund: Address;
  riskConfig: Address;
  /** The settlement token. */
  asset: Address;
  /** Optional: the SDK computes everything the lens returns off-chain. */
  bulkheadLens?: Address | undefined;
}

/** A listed market, as the deployment file describes it. */
export interface DeploymentMarket {
  marketId: bigint;
  /** Like `ETH-USD`. */
  name?: string | undefined;
  feed?: Address | undefined;
  /** The parameters as recorded at deployment (read them from the chain for the current ones), when complete. */
  params?: MarketParams | undefined;
}

/** A parsed `deployments/<chainId>.json` (see `deploymentRecordSchema`), every integer a bigint. */
export interface BulkheadDeployment {
  chainId: number;
  network?: string | undefined;
  /** First block with a deployment transaction: where event scans start. */
  deploymentBlock?: bigint | undefined;
  /** Tells a record of a restarted development chain from a live one. */
  genesisHash?: Hex | undefined;
  addresses: BulkheadAddresses;
  /** Every address in the file, by contract key as written there (`engine`, `accessManager`, `timelock`, …). */
  contracts: Readonly<Record<string, Address>>;
  /** The settlement token's decimals, when recorded. */
  assetDecimals?: number | undefined;
  /** Engine-wide parameters as recorded at deployment. */
  global?: GlobalParams | undefined;
  /** LP request parameters as recorded at deployment. */
  lp?: LpParams | undefined;
  markets: readonly DeploymentMarket[];
}

function toAddress(value: unknown, what: string): Address {
  const raw = typeof value === "object" && value !== null ? (value as { address?: unknown }).address : value;
  if (typeof raw !== "string" || !isAddress(raw, { strict: false })) {
    throw new InvalidDeploymentError(`${what} is not an address (${JSON.stringify(raw)})`);
  }
  return getAddress(raw);
}

/**
 * Validates a deployment record's JSON (`deployments/<chainId>.json`) with the one record schema
 * (`deploymentRecordSchema`, sdk/src/record.ts) and returns it with bigints and checksummed addresses. A record of
 * another version is refused with what to do.
 */
export function parseDeployment(json: unknown, source?: string): BulkheadDeployment {
  const record: DeploymentRecord = parseDeploymentRecord(json, source);
  const contracts = Object.fromEntries(
    Object.entries(record.contracts).flatMap(([key, entry]) =>
      entry === undefined ? [] : [[key, getAddress(entry.address)]],
    ),
  ) as Record<string, Address>;
  const c = record.contracts;
  const addresses: BulkheadAddresses = {
    marginEngine: getAddress(c.engine.address),
    liquidityPool: getAddress(c.pool.address),
    insuranceFund: getAddress(c.insuranceFund.address),
    riskConfig: getAddress(c.riskConfig.address),
    asset: getAddress(c.asset.address),
    bulkheadLens: getAddress(c.lens.address),
  };
  const markets = record.markets.map((market): DeploymentMarket => {
    const feed = getAddress(market.feed.address);
    const params = { feed } as Record<string, unknown>;
    for (const field of MARKET_PARAM_FIELDS) params[field] = BigInt(market.params[field]);
    return { marketId: BigInt(market.id), name: market.name, feed, params: params as MarketParams };
  });
  const global = Object.fromEntries(GLOBAL_PARAM_FIELDS.map((f) => [f, BigInt(record.global[f])])) as GlobalParams;
  const lp = Object.fromEntries(LP_PARAM_FIELDS.map((f) => [f, BigInt(record.lp[f])])) as LpParams;
  return {
    chainId: record.chainId,
    network: record.network,
    deploymentBlock: BigInt(record.deploymentBlock),
    genesisHash: record.genesisHash as Hex,
    addresses,
    contracts,
    assetDecimals: record.asset.decimals,
    global,
    lp,
    markets,
  };
}

/** Checks and normalises (checksums) explicit addresses. */
export function parseAddresses(addresses: { [K in keyof BulkheadAddresses]: string | undefined }): BulkheadAddresses {
  return {
    marginEngine: toAddress(addresses.marginEngine, "marginEngine"),
    liquidityPool: toAddress(addresses.liquidityPool, "liquidityPool"),
    insuranceFund: toAddress(addresses.insuranceFund, "insuranceFund"),
    riskConfig: toAddress(addresses.riskConfig, "riskConfig"),
    asset: toAddress(addresses.asset, "asset"),
    bulkheadLens: addresses.bulkheadLens === undefined ? undefined : toAddress(addresses.bulkheadLens, "bulkheadLens"),
  };
}

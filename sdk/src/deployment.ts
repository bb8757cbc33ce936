/**
 * Where a Bulkhead system lives: the deployment file written by the deploy tooling (`deployments/<chainId>.json`) or
 * explicit addresses.
 */
import { getAddress, isAddress, isHex, type Address, type Hex } from "viem";

import { InvalidDeploymentError } from "./errors/sdk.js";
import type { GlobalParams, MarketParams } from "./types.js";

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

/**
 * A parsed `deployments/<chainId>.json` (the record `npm run deploy` writes: `contracts.engine`, `contracts.pool`,
 * `contracts.insuranceFund`, `contracts.riskConfig`, `contracts.asset`, `contracts.lens`, each `{ address, abi }`;
 * `markets[]` with `id`, `name`, `feed` and `params`; integers as numbers or decimal strings).
 */
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
  markets: readonly DeploymentMarket[];
}

const MARKET_FIELDS = [
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
] as const satisfies readonly Exclude<keyof MarketParams, "feed">[];
const GLOBAL_FIELDS = [
  "minCollateral",
  "keeperReserve",
  "maxUtilization",
  "liquidationGracePeriod",
] as const satisfies readonly (keyof GlobalParams)[];

/** Names each address may have in a deployment file (first match wins; case-insensitive). */
const ALIASES: Record<keyof BulkheadAddresses, readonly string[]> = {
  marginEngine: ["MarginEngine", "engine"],
  liquidityPool: ["LiquidityPool", "pool"],
  insuranceFund: ["InsuranceFund", "insurance"],
  riskConfig: ["RiskConfig", "config"],
  asset: ["asset", "TestStablecoin", "settlementAsset", "token", "stablecoin"],
  bulkheadLens: ["BulkheadLens", "lens"],
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function toAddress(value: unknown, what: string): Address {
  const raw = isRecord(value) ? value["address"] : value;
  if (typeof raw !== "string" || !isAddress(raw, { strict: false })) {
    throw new InvalidDeploymentError(`${what} is not an address (${JSON.stringify(raw)})`);
  }
  return getAddress(raw);
}

function toBigInt(value: unknown, what: string): bigint {
  if (typeof value === "bigint") return value;
  if (
    (typeof value === "number" && Number.isInteger(value)) ||
    (typeof value === "string" && /^(0x[0-9a-f]+|\d+)$/i.test(value))
  ) {
    return BigInt(value);
  }
  throw new InvalidDeploymentError(`${what} is not an integer (${JSON.stringify(value)})`);
}

function lookup(contracts: Record<string, Address>, names: readonly string[]): Address | undefined {
  for (const name of names) {
    const key = Object.keys(contracts).find((k) => k.toLowerCase() === name.toLowerCase());
    if (key !== undefined) return contracts[key];
  }
  return undefined;
}

/**
 * Validates a deployment file's JSON. Contracts are read from `contracts` (or `addresses`), each an address or an
 * object with an `address`, under the record's keys (`engine`, `pool`, `insuranceFund`, `riskConfig`, `asset`,
 * `lens`) or the contracts' names (`MarginEngine`, `LiquidityPool`, …, `TestStablecoin`); all but the lens are
 * required.
 */
export function parseDeployment(json: unknown): BulkheadDeployment {
  if (!isRecord(json)) throw new InvalidDeploymentError("expected a JSON object");
  const chainId = Number(toBigInt(json["chainId"], "chainId"));
  const rawContracts = json["contracts"] ?? json["addresses"];
  if (!isRecord(rawContracts)) throw new InvalidDeploymentError('no "contracts" object');
  const contracts: Record<string, Address> = {};
  for (const [name, value] of Object.entries(rawContracts)) {
    const raw = isRecord(value) ? value["address"] : value;
    if (typeof raw === "string" && isAddress(raw, { strict: false })) contracts[name] = getAddress(raw);
  }
  const required = (key: Exclude<keyof BulkheadAddresses, "bulkheadLens">): Address => {
    const address = lookup(contracts, ALIASES[key]);
    if (address === undefined) throw new InvalidDeploymentError(`no address for ${ALIASES[key][0]!}`);
    return address;
  };
  const addresses: BulkheadAddresses = {
    marginEngine: required("marginEngine"),
    liquidityPool: required("liquidityPool"),
    insuranceFund: required("insuranceFund"),
    riskConfig: required("riskConfig"),
    asset: required("asset"),
    bulkheadLens: lookup(contracts, ALIASES.bulkheadLens),
  };
  const rawMarkets = json["markets"] ?? [];
  const marketList = Array.isArray(rawMarkets)
    ? rawMarkets
    : isRecord(rawMarkets)
      ? Object.entries(rawMarkets).map(([name, value]) => ({ name, ...(isRecord(value) ? value : {}) }))
      : [];
  const markets = marketList.map((market: unknown, i): DeploymentMarket => {
    if (!isRecord(market)) throw new InvalidDeploymentError(`market ${i} is not an object`);
    const id = market["marketId"] ?? market["id"] ?? i;
    const feed = market["feed"] === undefined ? undefined : toAddress(market["feed"], `market ${i} feed`);
    const raw = market["params"];
    let params: MarketParams | undefined;
    if (feed !== undefined && isRecord(raw) && MARKET_FIELDS.every((field) => raw[field] !== undefined)) {
      params = {
        feed,
        ...Object.fromEntries(MARKET_FIELDS.map((f) => [f, toBigInt(raw[f], `market ${i} ${f}`)])),
      } as MarketParams;
    }
    return {
      marketId: toBigInt(id, `market ${i} id`),
      name: typeof market["name"] === "string" ? market["name"] : undefined,
      feed,
      params,
    };
  });
  const block = json["deploymentBlock"] ?? json["startBlock"] ?? json["blockNumber"];
  const rawGlobal = json["global"];
  const global =
    isRecord(rawGlobal) && GLOBAL_FIELDS.every((field) => rawGlobal[field] !== undefined)
      ? (Object.fromEntries(
          GLOBAL_FIELDS.map((f) => [f, toBigInt(rawGlobal[f], `global ${f}`)]),
        ) as unknown as GlobalParams)
      : undefined;
  const asset = json["asset"];
  const decimals = isRecord(asset) ? asset["decimals"] : undefined;
  const genesisHash = json["genesisHash"];
  return {
    chainId,
    network: typeof json["network"] === "string" ? json["network"] : undefined,
    deploymentBlock: block === undefined ? undefined : toBigInt(block, "deploymentBlock"),
    genesisHash: typeof genesisHash === "string" && isHex(genesisHash) ? genesisHash : undefined,
    addresses,
    contracts,
    assetDecimals: decimals === undefined ? undefined : Number(toBigInt(decimals, "asset decimals")),
    global,
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

/**
 * `deployments/<chainId>.json`: what the keeper, the SDK and a human read to find a deployment. Written by
 * `npm run deploy` from the chain itself (not from what was asked), byte-for-byte identical when nothing changed.
 *
 * Integers that can exceed 2^53 (ratios, rates, amounts, caps) are decimal strings; small ones are numbers.
 * `abi` names the artifact / typechain factory of each contract (`MarginEngine` → `MarginEngine__factory`).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

import type { Provider } from "ethers";

import type { MarketValues } from "../../deploy/modules/plan.js";
import { ADMIN_ROLE, GOVERNANCE_ROLE, GUARDIAN_ROLE, MARKET_FIELDS } from "../../deploy/modules/plan.js";
import {
  IERC20Metadata__factory,
  LiquidityPool__factory,
  RiskConfig__factory,
  TimelockController__factory,
} from "../../typechain-types/index.js";

export const RECORD_VERSION = 1;

export interface ContractEntry {
  address: string;
  abi: string;
}

export type MarketParamsEntry = { [K in keyof MarketValues]: K extends "heartbeat" | "feedDecimals" ? number : string };

export interface MarketEntry {
  id: number;
  name: string;
  feed: ContractEntry;
  params: MarketParamsEntry;
}

export interface DeploymentRecord {
  version: number;
  chainId: number;
  network: string;
  /** Tells a stale file for a restarted development chain from a live one. */
  genesisHash: string;
  /** The first block with a deployment transaction: where event scans start. */
  deploymentBlock: number;
  deployer: string;
  kind: "local" | "testnet";
  contracts: {
    accessManager: ContractEntry;
    timelock?: ContractEntry;
    asset: ContractEntry;
    riskConfig: ContractEntry;
    pool: ContractEntry;
    insuranceFund: ContractEntry;
    engine: ContractEntry;
    vaultImplementation: ContractEntry;
    lens: ContractEntry;
  };
  asset: { symbol: string; decimals: number };
  pool: { name: string; symbol: string };
  /** AccessManager roles: ids, and who was given them. */
  roles: {
    admin: { id: number; holder: string };
    governance: { id: number; holder: string };
    guardian: { id: number; holder: string };
  };
  timelock?: { minDelay: number; proposers: string[]; executors: string[] };
  global: { minCollateral: string; keeperReserve: string; maxUtilization: string; liquidationGracePeriod: number };
  sequencerFeed: string;
  markets: MarketEntry[];
}

export type ContractKey = keyof DeploymentRecord["contracts"];

/** Where deployment records go: `BULKHEAD_DEPLOYMENTS_DIR`, or `deployments/` at the project root. */
export function deploymentsDir(root: string): string {
  const override = process.env.BULKHEAD_DEPLOYMENTS_DIR;
  return override !== undefined && override !== "" ? path.resolve(root, override) : path.join(root, "deployments");
}

export function recordFile(root: string, chainId: number): string {
  return path.join(deploymentsDir(root), `${chainId}.json`);
}

export function readRecord(file: string): DeploymentRecord {
  if (!existsSync(file))
    throw new Error(`no deployment record at ${file}: run \`npm run deploy\` for this network first`);
  const record = JSON.parse(readFileSync(file, "utf8")) as DeploymentRecord;
  if (record.version !== RECORD_VERSION) throw new Error(`${file}: unsupported record version ${record.version}`);
  return record;
}

export function serializeRecord(record: DeploymentRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

/** Writes the record atomically, and only if it changed. Returns whether it did. */
export function writeRecord(file: string, record: DeploymentRecord): boolean {
  const text = serializeRecord(record);
  if (existsSync(file) && readFileSync(file, "utf8") === text) return false;
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
  return true;
}

export interface RecordInputs {
  chainId: number;
  network: string;
  genesisHash: string;
  deploymentBlock: number;
  deployer: string;
  kind: "local" | "testnet";
  contracts: DeploymentRecord["contracts"];
  marketNames: string[];
  feedAbis: string[];
  guardian: string;
  /** As the timelock was constructed with (the roles are not enumerable on chain; the check reads their events). */
  timelockMembers: { proposers: string[]; executors: string[] };
}

/** The record of a deployment, its parameters read back from the chain. */
export async function buildRecord(provider: Provider, inputs: RecordInputs): Promise<DeploymentRecord> {
  const { contracts } = inputs;
  const config = RiskConfig__factory.connect(contracts.riskConfig.address, provider);
  const asset = IERC20Metadata__factory.connect(contracts.asset.address, provider);
  const pool = LiquidityPool__factory.connect(contracts.pool.address, provider);
  const [global, count, sequencerFeed, symbol, decimals, poolName, poolSymbol] = await Promise.all([
    config.globalParams(),
    config.marketCount(),
    config.sequencerFeed(),
    asset.symbol(),
    asset.decimals(),
    pool.name(),
    pool.symbol(),
  ]);
  const markets: MarketEntry[] = [];
  for (let id = 0; id < Number(count); id++) {
    const p = await config.marketParams(id);
    const params = Object.fromEntries(
      MARKET_FIELDS.map((field) => {
        const value = p[field];
        return [field, field === "heartbeat" || field === "feedDecimals" ? Number(value) : value.toString()];
      }),
    ) as MarketParamsEntry;
    markets.push({
      id,
      name: inputs.marketNames[id] ?? `market-${id}`,
      feed: { address: p.feed, abi: inputs.feedAbis[id] ?? "AggregatorV3Interface" },
      params,
    });
  }
  const governor = contracts.timelock?.address ?? inputs.deployer;
  let timelock: DeploymentRecord["timelock"];
  if (contracts.timelock !== undefined) {
    const controller = TimelockController__factory.connect(contracts.timelock.address, provider);
    timelock = { minDelay: Number(await controller.getMinDelay()), ...inputs.timelockMembers };
  }
  return {
    version: RECORD_VERSION,
    chainId: inputs.chainId,
    network: inputs.network,
    genesisHash: inputs.genesisHash,
    deploymentBlock: inputs.deploymentBlock,
    deployer: inputs.deployer,
    kind: inputs.kind,
    contracts,
    asset: { symbol, decimals: Number(decimals) },
    pool: { name: poolName, symbol: poolSymbol },
    roles: {
      admin: { id: Number(ADMIN_ROLE), holder: governor },
      governance: { id: Number(GOVERNANCE_ROLE), holder: governor },
      guardian: { id: Number(GUARDIAN_ROLE), holder: inputs.guardian },
    },
    ...(timelock === undefined ? {} : { timelock }),
    global: {
      minCollateral: global.minCollateral.toString(),
      keeperReserve: global.keeperReserve.toString(),
      maxUtilization: global.maxUtilization.toString(),
      liquidationGracePeriod: Number(global.liquidationGracePeriod),
    },
    sequencerFeed,
    markets,
  };
}

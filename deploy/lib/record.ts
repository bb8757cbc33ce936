/**
 * Writing and reading `deployments/<chainId>.json`, the deployment record. Its shape is the SDK's versioned
 * `deploymentRecordSchema` (sdk/src/record.ts): written from the chain itself (not from what was asked), validated
 * before it is written, byte-for-byte identical when nothing changed.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

import type { Provider } from "ethers";

import { GLOBAL_PARAM_FIELDS, LP_PARAM_FIELDS, MARKET_PARAM_FIELDS } from "../../sdk/src/params.js";
import {
  isSmallParam,
  parseDeploymentRecord,
  RECORD_VERSION,
  serializeDeploymentRecord,
  type ContractKey,
  type DeploymentKind,
  type DeploymentRecord,
} from "../../sdk/src/record.js";
import {
  IERC20Metadata__factory,
  LiquidityPool__factory,
  RiskConfig__factory,
  TimelockController__factory,
} from "../../typechain-types/index.js";
import { ADMIN_ROLE, GOVERNANCE_ROLE, GUARDIAN_ROLE } from "../modules/plan.js";
import { isRehearsal } from "./chains.js";

export { RECORD_VERSION, type ContractKey, type DeploymentRecord };
type MarketEntry = DeploymentRecord["markets"][number];

/**
 * Where deployment records go: `BULKHEAD_DEPLOYMENTS_DIR`, else `deployments/` at the project root, or
 * `deploy/rehearsal/deployments/` (not committed) during a rehearsal, so a rehearsal never takes the real record's place.
 */
export function deploymentsDir(root: string): string {
  const override = process.env.BULKHEAD_DEPLOYMENTS_DIR;
  if (override !== undefined && override !== "") return path.resolve(root, override);
  return isRehearsal() ? path.join(root, "deploy", "rehearsal", "deployments") : path.join(root, "deployments");
}

export function recordFile(root: string, chainId: number): string {
  return path.join(deploymentsDir(root), `${chainId}.json`);
}

/**
 * Reads and validates a record with the SDK's schema.
 *
 * @param hint what to do when there is none (which command writes it on this network)
 */
export function readRecord(
  file: string,
  hint = "run `npm run deploy -- --network <name>` for this network first",
): DeploymentRecord {
  if (!existsSync(file)) throw new Error(`no deployment record at ${file}: ${hint}`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${file} is not JSON (${(error as Error).message}): re-run \`npm run deploy\` to rewrite it`, {
      cause: error,
    });
  }
  return parseDeploymentRecord(json, file);
}

/** The record's text: validated by the schema first, so a malformed record is never written. */
export const serializeRecord = serializeDeploymentRecord;

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
  kind: DeploymentKind;
  contracts: DeploymentRecord["contracts"];
  marketNames: string[];
  feedAbis: string[];
  guardian: string;
  /** As the timelock was constructed with (the roles are not enumerable on chain; the check reads their events). */
  timelockMembers: { proposers: string[]; executors: string[] };
  /** The parameter file it was made from, recorded for `deploy:check`. */
  parameters?: DeploymentRecord["parameters"];
}

/** The record of a deployment, its parameters read back from the chain. */
export async function buildRecord(provider: Provider, inputs: RecordInputs): Promise<DeploymentRecord> {
  const { contracts } = inputs;
  const config = RiskConfig__factory.connect(contracts.riskConfig.address, provider);
  const asset = IERC20Metadata__factory.connect(contracts.asset.address, provider);
  const pool = LiquidityPool__factory.connect(contracts.pool.address, provider);
  const [global, lp, count, sequencerFeed, symbol, decimals, poolName, poolSymbol] = await Promise.all([
    config.globalParams(),
    config.lpParams(),
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
      MARKET_PARAM_FIELDS.map((field) => [field, isSmallParam(field) ? Number(p[field]) : p[field].toString()]),
    ) as MarketEntry["params"];
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
    global: Object.fromEntries(
      GLOBAL_PARAM_FIELDS.map((field) => [
        field,
        isSmallParam(field) ? Number(global[field]) : global[field].toString(),
      ]),
    ) as DeploymentRecord["global"],
    lp: Object.fromEntries(
      LP_PARAM_FIELDS.map((field) => [field, isSmallParam(field) ? Number(lp[field]) : lp[field].toString()]),
    ) as DeploymentRecord["lp"],
    sequencerFeed,
    markets,
    ...(inputs.parameters === undefined ? {} : { parameters: inputs.parameters }),
  };
}

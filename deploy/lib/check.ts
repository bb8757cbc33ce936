/**
 * The post-deploy check (`npm run deploy:check`): reads the chain and confirms that a deployment is what its record
 * and its parameter file say: every address has code, the contracts point at each other, every role is held by
 * exactly the accounts it should be (role memberships are found from the role events, then confirmed with
 * `hasRole`), the deployer keeps nothing it should not, and every parameter equals the file. Read-only.
 */
import { getAddress, type Provider } from "ethers";

import { GLOBAL_PARAM_FIELDS, LP_PARAM_FIELDS, MARKET_PARAM_FIELDS } from "../../sdk/src/params.js";
import {
  ADMIN_ROLE,
  GOVERNANCE_FUNCTIONS,
  GOVERNANCE_ROLE,
  GUARDIAN_FUNCTIONS,
  GUARDIAN_ROLE,
} from "../modules/plan.js";
import { riskConfigSelectors } from "../modules/selectors.js";
import {
  AccessManager__factory,
  BulkheadLens__factory,
  IERC20Metadata__factory,
  InsuranceFund__factory,
  LiquidationModule__factory,
  LiquidityPool__factory,
  MarginEngine__factory,
  OrderModule__factory,
  PositionVault__factory,
  RiskConfig__factory,
  TimelockController__factory,
} from "../../typechain-types/index.js";
import { TEST_STABLECOIN_DECIMALS, resolveAccount, type DeployParams } from "./parameters.js";
import type { DeploymentRecord } from "./record.js";

export interface Finding {
  ok: boolean;
  what: string;
  /** What was found instead, for a failed finding. */
  detail?: string;
}

export interface CheckReport {
  ok: boolean;
  findings: Finding[];
}

/** Blocks per `eth_getLogs` request: what public RPC endpoints commonly accept. */
const LOG_CHUNK = 10_000;

export async function checkDeployment(
  provider: Provider,
  record: DeploymentRecord,
  params: DeployParams,
): Promise<CheckReport> {
  const findings: Finding[] = [];
  const expect = (what: string, actual: unknown, expected: unknown): void => {
    const ok = same(actual, expected);
    findings.push(ok ? { ok, what } : { ok, what, detail: `found ${show(actual)}, expected ${show(expected)}` });
  };
  const c = record.contracts;

  // ---- the chain
  const network = await provider.getNetwork();
  expect("chain id is the record's", Number(network.chainId), record.chainId);
  expect("genesis block is the record's (same chain instance)", (await provider.getBlock(0))?.hash, record.genesisHash);

  // ---- code
  for (const [name, entry] of Object.entries(c)) {
    findings.push(await hasCode(provider, entry.address, `${name} (${entry.abi}) has code`));
  }
  for (const market of record.markets) {
    findings.push(await hasCode(provider, market.feed.address, `${market.name} feed has code`));
  }
  if (findings.some((f) => !f.ok)) return { ok: false, findings };

  // ---- wiring
  const engine = MarginEngine__factory.connect(c.engine.address, provider);
  const pool = LiquidityPool__factory.connect(c.pool.address, provider);
  const insurance = InsuranceFund__factory.connect(c.insuranceFund.address, provider);
  const config = RiskConfig__factory.connect(c.riskConfig.address, provider);
  const lens = BulkheadLens__factory.connect(c.lens.address, provider);
  const vault = PositionVault__factory.connect(c.vaultImplementation.address, provider);
  const manager = AccessManager__factory.connect(c.accessManager.address, provider);
  expect("engine settles in the asset", await engine.ASSET(), c.asset.address);
  expect("engine uses the pool", await engine.POOL(), c.pool.address);
  expect("engine uses the insurance fund", await engine.INSURANCE_FUND(), c.insuranceFund.address);
  expect("engine uses the risk config", await engine.RISK_CONFIG(), c.riskConfig.address);
  expect("engine clones the vault implementation", await engine.VAULT_IMPLEMENTATION(), c.vaultImplementation.address);
  // The engine runs its modules' code on its own storage: each must be the recorded one, built on the same token,
  // pool, insurance fund and configuration (the engine's constructor refuses a mismatch; this proves the record).
  expect("engine's order module is the recorded one", await engine.ORDER_MODULE(), c.orderModule.address);
  expect(
    "engine's liquidation module is the recorded one",
    await engine.LIQUIDATION_MODULE(),
    c.liquidationModule.address,
  );
  const modules = [
    ["order module", OrderModule__factory.connect(c.orderModule.address, provider)],
    ["liquidation module", LiquidationModule__factory.connect(c.liquidationModule.address, provider)],
  ] as const;
  for (const [label, module] of modules) {
    expect(
      `${label} uses the engine's asset, pool, insurance fund and risk config`,
      await Promise.all([module.ASSET(), module.POOL(), module.INSURANCE_FUND(), module.RISK_CONFIG()]),
      [c.asset.address, c.pool.address, c.insuranceFund.address, c.riskConfig.address],
    );
  }
  expect("vault implementation belongs to the engine", await vault.ENGINE(), c.engine.address);
  expect("vault implementation holds the asset", await vault.ASSET(), c.asset.address);
  expect("pool's asset", await pool.asset(), c.asset.address);
  expect("pool is bound to the engine", await pool.engine(), c.engine.address);
  expect("insurance fund's asset", await insurance.ASSET(), c.asset.address);
  expect("insurance fund is bound to the engine", await insurance.engine(), c.engine.address);
  expect("risk config is bound to the engine", await config.engine(), c.engine.address);
  expect("risk config's authority is the AccessManager", await config.authority(), c.accessManager.address);
  expect("lens reads the engine", await lens.ENGINE(), c.engine.address);

  // ---- roles
  const deployer = record.deployer;
  const governor = c.timelock?.address ?? deployer;
  const guardian = resolveAccount(params.guardian, deployer);
  expect("governance and admin holder", record.roles.governance.holder, governor);
  expect("guardian in the record is the file's", record.roles.guardian.holder, guardian);
  const restricted = [
    [GOVERNANCE_FUNCTIONS, GOVERNANCE_ROLE, "governance"],
    [GUARDIAN_FUNCTIONS, GUARDIAN_ROLE, "guardian"],
  ] as const;
  for (const [functions, role, label] of restricted) {
    const selectors = riskConfigSelectors(functions);
    for (const [i, name] of functions.entries()) {
      const selector = selectors[i] ?? "0x";
      expect(`RiskConfig.${name} needs the ${label} role`, await manager.getTargetFunctionRole(config, selector), role);
    }
  }
  expect("RiskConfig is not closed", await manager.isTargetClosed(config), false);

  const latest = await provider.getBlockNumber();
  const granted = await inChunks(record.deploymentBlock, latest, (from, to) =>
    manager.queryFilter(manager.filters.RoleGranted(), from, to),
  );
  const members = new Map<bigint, Set<string>>([
    [ADMIN_ROLE, new Set()],
    [GOVERNANCE_ROLE, new Set()],
    [GUARDIAN_ROLE, new Set()],
  ]);
  for (const event of granted) {
    const [isMember, delay] = await manager.hasRole(event.args.roleId, event.args.account);
    if (!isMember) continue;
    const role = members.get(event.args.roleId) ?? new Set<string>();
    role.add(event.args.account);
    members.set(event.args.roleId, role);
    if (delay !== 0n) {
      findings.push({
        ok: false,
        what: `role ${event.args.roleId} of ${event.args.account} has no delay`,
        detail: `${delay} s`,
      });
    }
  }
  const expectedMembers = new Map<bigint, string[]>([
    [ADMIN_ROLE, [governor]],
    [GOVERNANCE_ROLE, [governor]],
    [GUARDIAN_ROLE, [guardian]],
  ]);
  for (const [role, accounts] of members) {
    const label =
      role === ADMIN_ROLE
        ? "admin"
        : role === GOVERNANCE_ROLE
          ? "governance"
          : role === GUARDIAN_ROLE
            ? "guardian"
            : `${role}`;
    expect(
      `AccessManager ${label} role (${role}) is held by exactly`,
      [...accounts].sort(),
      (expectedMembers.get(role) ?? []).sort(),
    );
  }
  const deployerRoles = [...members].filter(([, accounts]) => accounts.has(deployer)).map(([role]) => role);
  const allowed = [...expectedMembers].filter(([, accounts]) => accounts.includes(deployer)).map(([role]) => role);
  expect(
    "the deployer holds no role it should not",
    deployerRoles.filter((r) => !allowed.includes(r)),
    [],
  );

  if (params.timelock === null) {
    expect("no timelock (local governance)", c.timelock, undefined);
  } else if (c.timelock === undefined) {
    findings.push({ ok: false, what: "a timelock governs", detail: "the record has no timelock" });
  } else {
    const timelock = TimelockController__factory.connect(c.timelock.address, provider);
    expect("timelock delay (s)", await timelock.getMinDelay(), params.timelock.minDelay);
    const proposers = params.timelock.proposers.map((p) => resolveAccount(p, deployer));
    const executors = params.timelock.executors.map((e) => resolveAccount(e, deployer));
    const roleEvents = await inChunks(record.deploymentBlock, latest, (from, to) =>
      timelock.queryFilter(timelock.filters.RoleGranted(), from, to),
    );
    const holders = async (role: string): Promise<string[]> => {
      const candidates = [...new Set(roleEvents.filter((e) => e.args.role === role).map((e) => e.args.account))];
      const current = await Promise.all(candidates.map(async (a) => ((await timelock.hasRole(role, a)) ? a : null)));
      return current.filter((a): a is string => a !== null).sort();
    };
    const [adminRole, proposerRole, cancellerRole, executorRole] = await Promise.all([
      timelock.DEFAULT_ADMIN_ROLE(),
      timelock.PROPOSER_ROLE(),
      timelock.CANCELLER_ROLE(),
      timelock.EXECUTOR_ROLE(),
    ]);
    expect("timelock administers itself only", await holders(adminRole), [c.timelock.address]);
    expect("timelock proposers", await holders(proposerRole), [...proposers].sort());
    expect("timelock cancellers (the proposers)", await holders(cancellerRole), [...proposers].sort());
    expect("timelock executors", await holders(executorRole), [...executors].sort());
    expect(
      "record's timelock members",
      [record.timelock?.proposers, record.timelock?.executors],
      [proposers, executors],
    );
  }

  // ---- parameters
  expect("kind", record.kind, params.kind);
  const asset = IERC20Metadata__factory.connect(c.asset.address, provider);
  if ("address" in params.asset) {
    expect("settlement asset", c.asset.address, params.asset.address);
  } else {
    expect(
      "settlement asset is the test stablecoin",
      [c.asset.abi, await asset.decimals()],
      [params.asset.mock, TEST_STABLECOIN_DECIMALS],
    );
  }
  expect("pool name", await pool.name(), params.pool.name);
  expect("pool symbol", await pool.symbol(), params.pool.symbol);
  const global = await config.globalParams();
  for (const field of GLOBAL_PARAM_FIELDS) {
    expect(`global ${field}`, global[field], params.global[field]);
    expect(`global ${field} in the record`, BigInt(record.global[field]), params.global[field]);
  }
  const lp = await config.lpParams();
  for (const field of LP_PARAM_FIELDS) {
    expect(`lp ${field}`, lp[field], params.lp[field]);
    expect(`lp ${field} in the record`, BigInt(record.lp[field]), params.lp[field]);
  }
  expect("pool reads the risk config", await pool.RISK_CONFIG(), c.riskConfig.address);
  expect("sequencer feed", await config.sequencerFeed(), params.sequencerFeed);
  expect("market count", await config.marketCount(), BigInt(params.markets.length));
  for (const [id, market] of params.markets.entries()) {
    if (id >= Number(await config.marketCount())) break;
    const onChain = await config.marketParams(id);
    const recorded = record.markets[id];
    expect(`market ${id} is ${market.name} in the record`, recorded?.name, market.name);
    if ("address" in market.feed) {
      expect(`${market.name} feed`, onChain.feed, market.feed.address);
    } else {
      expect(`${market.name} feed is the recorded mock`, onChain.feed, recorded?.feed.address);
    }
    for (const field of MARKET_PARAM_FIELDS) {
      expect(`${market.name} ${field}`, onChain[field], market.params[field]);
      expect(
        `${market.name} ${field} in the record`,
        recorded === undefined ? undefined : BigInt(recorded.params[field]),
        market.params[field],
      );
    }
  }
  // The engine trades on its own copy of the configuration, which RiskConfig pushes on every change.
  const marketCount = await config.marketCount();
  expect("engine's market count is the risk config's", await engine.marketCount(), marketCount);
  for (let id = 0n; id < marketCount; id++) {
    expect(
      `engine's copy of market ${id}'s configuration`,
      await engine.tradingConfig(id),
      await config.tradingConfig(id),
    );
  }
  return { ok: findings.every((f) => f.ok), findings };
}

/** Human-readable report lines: failures first, then a count of what passed. */
export function formatReport(report: CheckReport, verbose: boolean): string[] {
  const lines = report.findings
    .filter((f) => verbose || !f.ok)
    .map((f) => (f.ok ? `  ok    ${f.what}` : `  FAIL  ${f.what}: ${f.detail ?? ""}`));
  const failed = report.findings.filter((f) => !f.ok).length;
  lines.push(
    failed === 0
      ? `All ${report.findings.length} checks passed.`
      : `${failed} of ${report.findings.length} checks failed.`,
  );
  return lines;
}

async function hasCode(provider: Provider, address: string, what: string): Promise<Finding> {
  const code = await provider.getCode(address);
  return code === "0x" ? { ok: false, what, detail: `no code at ${address}` } : { ok: true, what };
}

async function inChunks<T>(from: number, to: number, query: (from: number, to: number) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let start = from; start <= to; start += LOG_CHUNK)
    out.push(...(await query(start, Math.min(to, start + LOG_CHUNK - 1))));
  return out;
}

function same(a: unknown, b: unknown): boolean {
  return show(a) === show(b);
}

/** Addresses compared case-insensitively (checksummed), bigints and numbers by value. */
function show(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "bigint" || typeof v === "number") return v.toString();
    if (typeof v === "string" && /^0x[0-9a-fA-F]{40}$/.test(v)) return getAddress(v);
    return v;
  });
}

/**
 * Deploys (or resumes) a Bulkhead system with Hardhat Ignition and writes its record. Used by `npm run deploy`
 * (scripts/deploy.ts) and callable in-process, e.g. by a demo on the embedded chain.
 *
 * On the embedded chain (`edr-simulated`) the deployment lives only as long as the process: nothing is journaled
 * and no record is written. Everywhere else the Ignition journal is kept in `deploy/deployments/chain-<chainId>/`
 * (`BULKHEAD_IGNITION_DIR` moves its parent) and the record in `deployments/<chainId>.json`
 * (`BULKHEAD_DEPLOYMENTS_DIR` moves its folder).
 */
import { existsSync } from "node:fs";
import path from "node:path";

import {
  errorDeploymentResultToExceptionMessage,
  HardhatArtifactResolver,
  PrettyEventHandler,
} from "@nomicfoundation/hardhat-ignition/helpers";
import type { DeployConfig, EIP1193Provider, SuccessfulDeploymentResult } from "@nomicfoundation/ignition-core";
import { deploy, DeploymentResultType } from "@nomicfoundation/ignition-core";
import { getAddress, ZeroAddress, type Provider } from "ethers";
import type { ArtifactManager } from "hardhat/types/artifacts";
import type { HardhatConfig } from "hardhat/types/config";
import type { ChainType, NetworkConnection } from "hardhat/types/network";
import type { UserInterruptionManager } from "hardhat/types/user-interruptions";

import { AggregatorV3Interface__factory, IERC20Metadata__factory } from "../../typechain-types/index.js";
import { bulkheadModule } from "../modules/bulkhead.js";
import type { BulkheadPlan } from "../modules/plan.js";
import { isDevChain, isRehearsal, REAL_GENESIS, REHEARSAL_FLAG } from "./chains.js";
import { claimJournal, confirmedBlocks, repairJournal } from "./journal.js";
import {
  assetOf,
  parameterFileFor,
  parseParameters,
  readParameterFile,
  resolveAccount,
  TEST_STABLECOIN_DECIMALS,
  type DeployParams,
} from "./parameters.js";
import { buildRecord, recordFile, writeRecord, type DeploymentRecord } from "./record.js";
import { finishSeed, type SeedStatus } from "./seed.js";

const README = "deploy/README.md";

export interface DeployEnvironment {
  artifacts: ArtifactManager;
  config: HardhatConfig;
  /** Needed for Ignition's progress display. */
  interruptions?: UserInterruptionManager;
}

export interface DeployOptions {
  /** Show Ignition's progress display (default: off). */
  ui?: boolean;
  log?: (line: string) => void;
  /** Overrides the parameter file found for the network. */
  parametersFile?: string;
}

export interface DeployOutcome {
  record: DeploymentRecord;
  params: DeployParams;
  /** Where the record was written; undefined on the embedded chain. */
  file: string | undefined;
  /** Whether the record file changed. */
  written: boolean;
  /** The pool seed (`funding.poolSeed`): waiting for `lpDelay`, executed and claimed by this run, or none left. */
  seed: SeedStatus;
}

/** A deployment that could not finish; running the same command again resumes it. */
export class DeployError extends Error {
  override name = "DeployError";
}

type AnyConnection = NetworkConnection<ChainType | string>;

export interface ChainContext {
  chainId: number;
  networkName: string;
  deployer: string;
  accounts: string[];
  genesisHash: string;
  provider: Provider;
}

/** Chain id, accounts and genesis of a connection; the deployer is its first account, as for Ignition. */
export async function chainContext(connection: AnyConnection): Promise<ChainContext> {
  const provider = connection.ethers.provider;
  const chainId = Number(await connection.provider.request({ method: "eth_chainId" }));
  const accounts = ((await connection.provider.request({ method: "eth_accounts" })) as string[]).map((a) =>
    getAddress(a),
  );
  const deployer = accounts[0];
  if (deployer === undefined) {
    throw new DeployError(
      `network "${connection.networkName}" has no account to deploy from: set its private key ` +
        `(for sepolia: \`npx hardhat keystore set SEPOLIA_PRIVATE_KEY\` or the SEPOLIA_PRIVATE_KEY variable)`,
    );
  }
  const genesis = await provider.getBlock(0);
  if (genesis?.hash == null)
    throw new DeployError(
      `cannot read the genesis block of chain ${chainId}: check that the network's RPC URL serves eth_getBlockByNumber`,
    );
  return { chainId, networkName: connection.networkName, deployer, accounts, genesisHash: genesis.hash, provider };
}

/** Reads and validates the network's parameter file, checking it against the chain before anything is sent. */
export async function loadParameters(
  root: string,
  chain: ChainContext,
  parametersFile?: string,
): Promise<DeployParams> {
  const file = parametersFile ?? parameterFileFor(root, chain.networkName, chain.chainId);
  const json = readParameterFile(file);
  return checkParameters(json, sourceName(root, file), chain);
}

/** A file's name for messages: relative to the project when inside it. */
export function sourceName(root: string, file: string): string {
  const relative = path.relative(root, file);
  return relative.startsWith("..") ? file : relative;
}

/** Validates a parameter file's JSON and checks it against the chain: kind, chain id, token and feeds. */
export async function checkParameters(
  json: Record<string, unknown>,
  source: string,
  chain: ChainContext,
): Promise<DeployParams> {
  const asset = assetOf(json, source);
  const where = `chain ${chain.chainId} (network "${chain.networkName}")`;
  const overridden = (process.env.BULKHEAD_DEPLOY_PARAMETERS ?? "") !== "";
  const byName = `deploy/parameters/${chain.networkName}.json`;
  const rehearsalHint =
    `to rehearse on a local node posing as this chain, where the token and feeds do not exist, deploy a rehearsal ` +
    `file (mocks included) instead: ${REHEARSAL_FLAG}=1 BULKHEAD_DEPLOY_PARAMETERS=deploy/parameters/` +
    `${chain.networkName}-rehearsal.json (${README}, "Rehearse on a local node")`;
  let decimals = TEST_STABLECOIN_DECIMALS;
  if ("address" in asset) {
    await expectCode(
      chain.provider,
      asset.address,
      `the settlement token (asset in ${source})`,
      `${where}. If the address is right, the RPC URL points at another chain; ${rehearsalHint}`,
    );
    decimals = await IERC20Metadata__factory.connect(asset.address, chain.provider).decimals();
    if (decimals > 18n) {
      throw new DeployError(
        `the settlement token has ${decimals} decimals; at most 18 are supported: set asset in ${source} to another token`,
      );
    }
  }
  const params = parseParameters(json, source, decimals);

  if (params.chainId !== undefined && params.chainId !== chain.chainId) {
    throw new DeployError(
      `${source} is for chain ${params.chainId}, but ${chain.networkName} is chain ${chain.chainId}: ` +
        (overridden
          ? `BULKHEAD_DEPLOY_PARAMETERS names it; unset it to use ${byName}, or name the file for this chain`
          : `check the network's RPC URL, or the file's chainId`),
    );
  }
  if (params.kind === "local" && !isDevChain(chain.chainId)) {
    throw new DeployError(
      `${source} is a local parameter file (mock token and feeds, deployer governance), but chain ` +
        `${chain.chainId} is not a development chain (31337, 1337). ` +
        (overridden
          ? `BULKHEAD_DEPLOY_PARAMETERS names it: unset it to deploy with ${byName}, or point it at a rehearsal file`
          : `Write ${byName} (copy deploy/parameters/sepolia.json)`) +
        ` (${README})`,
    );
  }
  if (params.kind === "rehearsal") checkRehearsal(source, chain);
  else if (isRehearsal()) {
    throw new DeployError(
      `${REHEARSAL_FLAG}=1 is set, but ${source} is a ${params.kind} file, not a rehearsal: unset ${REHEARSAL_FLAG} ` +
        `to deploy it, or point BULKHEAD_DEPLOY_PARAMETERS at a rehearsal file`,
    );
  }
  for (const market of params.markets) {
    if (!("address" in market.feed)) continue;
    await expectCode(
      chain.provider,
      market.feed.address,
      `the ${market.name} feed (in ${source})`,
      `${where}: take the feed's address on this chain from data.chain.link; ${rehearsalHint}`,
    );
    const decimals = await AggregatorV3Interface__factory.connect(market.feed.address, chain.provider).decimals();
    if (decimals !== market.params.feedDecimals) {
      throw new DeployError(
        `the ${market.name} feed has ${decimals} decimals; ${source} says ${market.params.feedDecimals}: ` +
          `set that market's feedDecimals to ${decimals}`,
      );
    }
  }
  if (params.sequencerFeed !== ZeroAddress) {
    await expectCode(
      chain.provider,
      params.sequencerFeed,
      `the sequencer feed (in ${source})`,
      `${where}: use Chainlink's L2 sequencer uptime feed of this chain, or null on an L1`,
    );
  }
  return params;
}

/**
 * A rehearsal file (mock token and feeds on a testnet's chain id) is accepted only when asked for explicitly and
 * only on a chain that provably is not the real network: its genesis block must differ from the real one.
 */
function checkRehearsal(source: string, chain: ChainContext): void {
  if (process.env[REHEARSAL_FLAG] !== "1") {
    throw new DeployError(
      `${source} is a rehearsal file: it deploys a mock token and mock feeds that anyone can mint and move. It is ` +
        `accepted only on a local node posing as the testnet, with ${REHEARSAL_FLAG}=1 set (${README}, "Rehearse ` +
        `on a local node"). To deploy to the real ${chain.networkName}, unset BULKHEAD_DEPLOY_PARAMETERS`,
    );
  }
  const real = REAL_GENESIS[chain.chainId];
  if (real === undefined) {
    throw new DeployError(
      `cannot tell a rehearsal node from the real chain ${chain.chainId}: its genesis hash is not known. Add it to ` +
        `REAL_GENESIS in deploy/lib/chains.ts (eth_getBlockByNumber("0x0") on a real endpoint), or rehearse a known ` +
        `testnet (${Object.keys(REAL_GENESIS).join(", ")})`,
    );
  }
  if (chain.genesisHash.toLowerCase() === real.toLowerCase()) {
    throw new DeployError(
      `${chain.networkName} is the real chain ${chain.chainId} (its genesis block is the real network's), not a ` +
        `rehearsal node: a rehearsal file is refused here. Unset ${REHEARSAL_FLAG} and BULKHEAD_DEPLOY_PARAMETERS ` +
        `to deploy with deploy/parameters/${chain.networkName}.json`,
    );
  }
}

/** The module plan: the parameters with every account resolved to an address. */
export function planOf(params: DeployParams, chain: ChainContext, log: (line: string) => void): BulkheadPlan {
  const resolve = (ref: string): string => resolveAccount(ref, chain.deployer);
  let funding: BulkheadPlan["funding"] =
    params.funding === null ? null : { ...params.funding, mint: "mock" in params.asset };
  if (funding !== null && funding.accounts > chain.accounts.length) {
    log(`The node has ${chain.accounts.length} accounts: funding those (the parameters ask for ${funding.accounts}).`);
    funding = { ...funding, accounts: chain.accounts.length };
  }
  return {
    asset: params.asset,
    pool: params.pool,
    timelock:
      params.timelock === null
        ? null
        : {
            minDelay: params.timelock.minDelay,
            proposers: params.timelock.proposers.map(resolve),
            executors: params.timelock.executors.map(resolve),
          },
    guardian: resolve(params.guardian),
    global: params.global,
    lp: params.lp,
    sequencerFeed: params.sequencerFeed,
    markets: params.markets,
    funding,
  };
}

/**
 * The folder of the Ignition journal for a chain (Ignition's own default deployment id, `chain-<id>`), under
 * `deploy/deployments/` (`deploy/rehearsal/ignition/` during a rehearsal; not committed).
 */
export function journalDirFor(config: HardhatConfig, chainId: number): string {
  const override = process.env.BULKHEAD_IGNITION_DIR;
  const parent =
    override !== undefined && override !== ""
      ? path.resolve(config.paths.root, override)
      : isRehearsal()
        ? path.join(config.paths.root, "deploy", "rehearsal", "ignition")
        : path.join(config.paths.ignition, "deployments");
  return path.join(parent, `chain-${chainId}`);
}

/** Ignition settings: the project's `ignition` config, `BULKHEAD_CONFIRMATIONS` on top. */
function ignitionConfig(config: HardhatConfig): Partial<DeployConfig> {
  const { strategyConfig: _strategies, ...rest } = config.ignition;
  const confirmations = process.env.BULKHEAD_CONFIRMATIONS;
  if (confirmations === undefined || confirmations === "") return rest;
  const n = Number(confirmations);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new DeployError(
      `BULKHEAD_CONFIRMATIONS must be a positive integer (got "${confirmations}"), e.g. BULKHEAD_CONFIRMATIONS=2`,
    );
  return { ...rest, requiredConfirmations: n };
}

export async function deployBulkhead(
  env: DeployEnvironment,
  connection: AnyConnection,
  options: DeployOptions = {},
): Promise<DeployOutcome> {
  const log = options.log ?? ((line: string) => console.log(line));
  const chain = await chainContext(connection);
  const root = env.config.paths.root;
  const parametersFile = options.parametersFile ?? parameterFileFor(root, chain.networkName, chain.chainId);
  const parametersJson = readParameterFile(parametersFile);
  const params = await checkParameters(parametersJson, sourceName(root, parametersFile), chain);
  const plan = planOf(params, chain, log);

  const ephemeral = connection.networkConfig.type === "edr-simulated";
  const journalDir = ephemeral ? undefined : journalDirFor(env.config, chain.chainId);
  if (journalDir !== undefined) {
    const artifactResolver = new HardhatArtifactResolver(env.artifacts);
    const provider = connection.provider as EIP1193Provider;
    const config = ignitionConfig(env.config);
    claimJournal(
      journalDir,
      { chainId: chain.chainId, genesisHash: chain.genesisHash },
      isDevChain(chain.chainId),
      log,
    );
    await repairJournal(journalDir, provider, artifactResolver, config.requiredConfirmations ?? 1, log);
  }
  await expectSeed(params, chain, journalDir);

  const startBlock = await chain.provider.getBlockNumber();
  const { contracts, feeds } = await deployPlan(env, connection, chain, plan, { journalDir, ui: options.ui });
  // The seed is a deposit request (ERC-7540): executed and claimed here once lpDelay has passed, by a later run.
  const seed: SeedStatus =
    (params.funding?.poolSeed ?? 0n) === 0n
      ? { state: "none" }
      : await finishSeed(contracts.pool.address, await connection.ethers.getSigner(chain.deployer), {
          confirmations: ignitionConfig(env.config).requiredConfirmations ?? 1,
          log,
          rerun: `npm run deploy -- --network ${chain.networkName}`,
        });

  const deploymentBlock =
    journalDir === undefined
      ? await firstBlockFrom(chain.provider, chain.deployer, startBlock + 1)
      : Math.min(...confirmedBlocks(journalDir));
  const record = await buildRecord(chain.provider, {
    chainId: chain.chainId,
    network: chain.networkName,
    genesisHash: chain.genesisHash,
    deploymentBlock: Number.isFinite(deploymentBlock) ? deploymentBlock : startBlock,
    deployer: chain.deployer,
    kind: params.kind,
    contracts,
    marketNames: params.markets.map((m) => m.name),
    feedAbis: params.markets.map(({ name }) => feeds[name]?.abi ?? "AggregatorV3Interface"),
    guardian: plan.guardian,
    timelockMembers: {
      proposers: plan.timelock?.proposers ?? [],
      executors: plan.timelock?.executors ?? [],
    },
    parameters: { file: params.source, content: parametersJson },
  });
  if (journalDir === undefined) return { record, params, file: undefined, written: false, seed };
  const file = recordFile(env.config.paths.root, chain.chainId);
  return { record, params, file, written: writeRecord(file, record), seed };
}

async function expectCode(provider: Provider, address: string, what: string, next: string): Promise<void> {
  if ((await provider.getCode(address)) === "0x") {
    throw new DeployError(`${what} at ${address} has no code on ${next}`);
  }
}

/**
 * A pool seed paid in an existing token needs the deployer to hold it: checked before a fresh deployment sends
 * anything (a resumed one may have deposited it already).
 */
async function expectSeed(params: DeployParams, chain: ChainContext, journalDir: string | undefined): Promise<void> {
  const seed = params.funding?.poolSeed ?? 0n;
  if (seed === 0n || !("address" in params.asset)) return;
  if (journalDir !== undefined && existsSync(path.join(journalDir, "journal.jsonl"))) return;
  const token = IERC20Metadata__factory.connect(params.asset.address, chain.provider);
  const balance = await token.balanceOf(chain.deployer);
  if (balance < seed) {
    throw new DeployError(
      `funding.poolSeed in ${params.source} requests a deposit of ${seed} units of the settlement token from the deployer ` +
        `${chain.deployer}, which holds ${balance}: get test tokens first (for Circle's test USDC: ` +
        `faucet.circle.com), or lower funding.poolSeed (0: the pool starts empty; ${README}, "A new pool is empty: how ` +
        `to seed it")`,
    );
  }
}

/**
 * Runs the Ignition modules for a plan (the one system wiring: deployments, tests and the gas bench all use it) and
 * returns the addresses of the contracts and of each market's feed. `journalDir` undefined: nothing is journaled
 * (the embedded chain).
 */
export async function deployPlan(
  env: DeployEnvironment,
  connection: AnyConnection,
  chain: Pick<ChainContext, "accounts" | "deployer">,
  plan: BulkheadPlan,
  options: { journalDir?: string | undefined; ui?: boolean | undefined } = {},
): Promise<{ contracts: DeploymentRecord["contracts"]; feeds: Record<string, { address: string; abi: string }> }> {
  const { module, feeds } = bulkheadModule(plan);
  const network = connection.networkConfig;
  const fees = network.ignition;
  const resumeHint = `Fix the cause and run the same command again: the deployment resumes where it stopped.`;
  const result = await deploy({
    config: ignitionConfig(env.config),
    provider: connection.provider as EIP1193Provider,
    deploymentDir: options.journalDir,
    executionEventListener:
      options.ui === true && env.interruptions !== undefined ? new PrettyEventHandler(env.interruptions) : undefined,
    artifactResolver: new HardhatArtifactResolver(env.artifacts),
    ignitionModule: module,
    deploymentParameters: {},
    accounts: chain.accounts,
    defaultSender: chain.deployer,
    maxFeePerGasLimit: fees.maxFeePerGasLimit,
    maxFeePerGas: fees.maxFeePerGas,
    maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    gasPrice: fees.gasPrice,
    disableFeeBumping: fees.disableFeeBumping,
  }).catch((error: unknown) => {
    // Ignition throws (rather than returns) when it cannot send at all: no funds, a node that went away, …
    throw new DeployError(`${(error as Error).message}\n\n${resumeHint}`, { cause: error });
  });
  if (result.type !== DeploymentResultType.SUCCESSFUL_DEPLOYMENT) {
    throw new DeployError(`${errorDeploymentResultToExceptionMessage(result)}\n\n${resumeHint}`);
  }
  const entryOf = (future: { id: string; contractName: string }): { address: string; abi: string } => {
    const deployed = (result as SuccessfulDeploymentResult).contracts[future.id];
    if (deployed === undefined) throw new DeployError(`Ignition returned no address for ${future.id}`);
    return { address: getAddress(deployed.address), abi: future.contractName };
  };
  const contracts = Object.fromEntries(
    Object.entries(module.results).map(([key, future]) => [key, entryOf(future)]),
  ) as DeploymentRecord["contracts"];
  const feedEntries = Object.fromEntries(
    plan.markets.flatMap(({ name }) => {
      const future = feeds.results[name];
      return future === undefined ? [] : [[name, entryOf(future)]];
    }),
  );
  return { contracts, feeds: feedEntries };
}

/** The first block from `from` holding a transaction sent by `sender` (embedded chain: a handful of blocks). */
async function firstBlockFrom(provider: Provider, sender: string, from: number): Promise<number> {
  const latest = await provider.getBlockNumber();
  for (let n = from; n <= latest; n++) {
    const block = await provider.getBlock(n, true);
    if (block?.prefetchedTransactions.some((tx) => tx.from === sender) === true) return n;
  }
  return from;
}

/**
 * The README's rehearsal (deploy/README.md, "Rehearse on a local node"), followed with nothing but its commands: a
 * `hardhat node` posing as Sepolia (chain 11155111, on a free loopback port), reached through the `sepolia` network
 * with SEPOLIA_RPC_URL and SEPOLIA_PRIVATE_KEY from the environment, behind a proxy that serves only standard
 * JSON-RPC (as a public endpoint does), and deploy/parameters/sepolia-rehearsal.json with BULKHEAD_REHEARSAL=1: the
 * mock token and feeds are deployed with the system, the test accounts funded and the pool seed requested (an
 * ERC-7540 deposit request, executed and claimed by a re-run once lpDelay has passed).
 *
 * The deployment is broken three ways before it is allowed to finish: the deployer runs out of gas money, the
 * process is killed while a transaction is on its way (never delivered), and killed after the node got one but
 * before the hash was journaled. Each time, running the same command again picks up where it stopped.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";
import { parseEther, Wallet, ZeroHash, type JsonRpcProvider, type JsonRpcSigner } from "ethers";

import { checkDeployment } from "../../../deploy/lib/check.js";
import { readJournal, unfinished } from "../../../deploy/lib/journal.js";
import { parseParameters, readParameterFile } from "../../../deploy/lib/parameters.js";
import {
  AccessManager__factory,
  LiquidityPool__factory,
  MockV3Aggregator__factory,
  RiskConfig__factory,
  TestStablecoin__factory,
  TimelockController__factory,
} from "../../../typechain-types/index.js";
import { chainState, mined, providerFor, readDeployment } from "./support/chain.js";
import {
  kill,
  ROOT,
  runScript,
  runToEnd,
  scaled,
  startNode,
  temporaryDir,
  type TestNode,
} from "./support/processes.js";
import { startRpcProxy, type RpcProxy } from "./support/rpc-proxy.js";

const SEPOLIA = 11155111;
const TIMELOCK_DELAY = 3_600n;
/** As the README writes it: relative to the project. */
const REHEARSAL_FILE = "deploy/parameters/sepolia-rehearsal.json";
const USD = 10n ** 6n;
/** deploy/parameters/sepolia.json: LP requests execute 5 minutes after they are made, for a 1 USD fee. */
const LP_DELAY = 300;
const EXECUTION_FEE = 1n * USD;

describe("rehearse the Sepolia deployment on a local node posing as Sepolia (the README's path)", function () {
  this.timeout(scaled(600_000));
  let work: ReturnType<typeof temporaryDir>;
  let recordPath: string;
  let journalDir: string;
  const deployer = Wallet.createRandom();
  let node: TestNode;
  let proxy: RpcProxy;
  let provider: JsonRpcProvider;
  let owner: JsonRpcSigner; // a funded node account: pays the deployer, executes timelock operations
  let proposer: JsonRpcSigner;
  let guardian: JsonRpcSigner;
  const parameters = readParameterFile(path.join(ROOT, REHEARSAL_FILE));
  /** The README's variables for the rehearsal; the test only moves the output folders out of the repository. */
  const base = (): Record<string, string> => ({
    SEPOLIA_RPC_URL: proxy.url,
    SEPOLIA_PRIVATE_KEY: deployer.privateKey,
    BULKHEAD_DEPLOYMENTS_DIR: path.join(work.path, "deployments"),
    BULKHEAD_IGNITION_DIR: path.join(work.path, "ignition"),
    // The proxy hides Hardhat's automine flag, so Ignition would wait for 5 blocks that never come.
    BULKHEAD_CONFIRMATIONS: "1",
  });
  const env = (): Record<string, string> => ({
    ...base(),
    BULKHEAD_REHEARSAL: "1",
    BULKHEAD_DEPLOY_PARAMETERS: REHEARSAL_FILE,
  });

  before(async function () {
    work = temporaryDir("bulkhead-sepolia-");
    recordPath = path.join(work.path, "deployments", `${SEPOLIA}.json`);
    journalDir = path.join(work.path, "ignition", `chain-${SEPOLIA}`);
    node = await startNode(SEPOLIA, path.join(work.path, "node"));
    proxy = await startRpcProxy(node.url);
    provider = providerFor(node.url);
    // The rehearsal file names the node's accounts #1 and #2 as proposer and guardian.
    [owner, proposer, guardian] = (await Promise.all([19, 1, 2].map((i) => provider.getSigner(i)))) as [
      JsonRpcSigner,
      JsonRpcSigner,
      JsonRpcSigner,
    ];
    const governance = parameters.governance as { timelock: { proposers: string[] } };
    expect(governance.timelock.proposers).to.deep.equal([await proposer.getAddress()]);
    expect(parameters.guardian).to.equal(await guardian.getAddress());

    // Enough for the first few contracts at the fees Ignition offers (2 × base fee + tip), not for the ~25M gas of
    // the whole deployment.
    const [latest, tip] = await Promise.all([
      provider.getBlock("latest"),
      provider.send("eth_maxPriorityFeePerGas", []),
    ]);
    const maxFee = 2n * (latest?.baseFeePerGas ?? 0n) + BigInt(tip as string);
    await (await owner.sendTransaction({ to: deployer.address, value: 6_000_000n * maxFee })).wait();
  });

  after(async function () {
    provider?.destroy();
    await proxy?.close();
    await node?.stop();
    work?.remove();
  });

  it("refuses what would be a mistake on the real Sepolia, saying what to do", async function () {
    // The real file: its token does not exist on the rehearsal node.
    const real = await runToEnd("scripts/deploy.ts", "sepolia", base(), 1);
    expect(real).to.match(/settlement token .* has no code on chain 11155111/);
    expect(real).to.include(`BULKHEAD_REHEARSAL=1 BULKHEAD_DEPLOY_PARAMETERS=${REHEARSAL_FILE}`);
    // The rehearsal file without the explicit flag.
    const unflagged = await runToEnd(
      "scripts/deploy.ts",
      "sepolia",
      { ...base(), BULKHEAD_DEPLOY_PARAMETERS: REHEARSAL_FILE },
      1,
    );
    expect(unflagged).to.include("is a rehearsal file");
    expect(unflagged).to.include("BULKHEAD_REHEARSAL=1");
    expect(await provider.getTransactionCount(deployer.address)).to.equal(0);
  });

  it("stops cleanly when the deployer runs out of gas money", async function () {
    const output = await runToEnd("scripts/deploy.ts", "sepolia", env(), 1);
    expect(output).to.include("run the same command again");
    expect(await provider.getTransactionCount(deployer.address), output).to.be.greaterThan(0);
    expect(existsSync(recordPath)).to.equal(false);
    await (await owner.sendTransaction({ to: deployer.address, value: parseEther("100") })).wait();
  });

  it("is killed while a transaction is on its way, before the node has it", async function () {
    const nonce = await provider.getTransactionCount(deployer.address);
    const { held } = proxy.onSend((n) => (n === 2 ? "drop" : "forward"));
    const run = runScript("scripts/deploy.ts", "sepolia", env());
    await Promise.race([
      held,
      run.result.then(({ output }) => Promise.reject(new Error(`finished early:\n${output}`))),
    ]);
    await kill(run.child);
    // One transaction went through before the held one, which the journal knows by its nonce only.
    expect(await provider.getTransactionCount(deployer.address)).to.equal(nonce + 1);
    expect(unfinished(readJournal(journalDir)).prepared.map((p) => p.nonce)).to.deep.equal([nonce + 1]);
  });

  it("resumes, and is killed again after the node got a transaction but before its hash was journaled", async function () {
    const { held } = proxy.onSend((n) => (n === 2 ? "forward-silently" : "forward"));
    const run = runScript("scripts/deploy.ts", "sepolia", env());
    await Promise.race([
      held,
      run.result.then(({ output }) => Promise.reject(new Error(`finished early:\n${output}`))),
    ]);
    await kill(run.child);
    const { output } = await run.result;
    expect(output).to.match(
      /Resending .+ the previous run stopped before its transaction \(nonce \d+\) reached the node/,
    );
  });

  it("finishes on the next run, finding the transaction the killed run sent", async function () {
    proxy.onSend(() => "forward");
    const output = await runToEnd("scripts/deploy.ts", "sepolia", env());
    expect(output).to.match(/Found .+ transaction 0x[0-9a-f]{64} \(sent by the interrupted run\): tracking it/);
    expect(output).to.match(/All \d+ checks passed/);
    const record = readDeployment(recordPath);
    expect(record).to.include({ chainId: SEPOLIA, network: "sepolia", kind: "rehearsal", deployer: deployer.address });
    expect(record.contracts.asset.abi).to.equal("TestStablecoin");
    expect(record.markets.map((m) => m.feed.abi)).to.deep.equal(["MockV3Aggregator", "MockV3Aggregator"]);
    expect(record.parameters?.file).to.equal(REHEARSAL_FILE);
    expect(record.lp).to.deep.equal({
      lpDelay: LP_DELAY,
      lpSettle: 12,
      lpResume: 300,
      minRequest: (10n * USD).toString(),
      executionFee: EXECUTION_FEE.toString(),
    });
    // A fresh pool is empty; the rehearsal file requests a seed, executable lpDelay later.
    const token = TestStablecoin__factory.connect(record.contracts.asset.address, provider);
    const pool = LiquidityPool__factory.connect(record.contracts.pool.address, provider);
    expect(await token.balanceOf(record.contracts.pool.address)).to.equal(1_000_000n * USD);
    expect(await pool.pendingDepositRequest(0n, deployer.address)).to.equal(1_000_000n * USD);
    expect(output).to.include("The pool seed (1000000000000 units) is requested and becomes executable at");
    // Funding mints to the network's accounts: through `sepolia`, that is the deployer alone.
    expect(await token.balanceOf(deployer.address)).to.equal(100_000n * USD);
  });

  it("deploy:check confirms it from the chain, against the parameters recorded with it (no variable needed)", async function () {
    const { BULKHEAD_DEPLOY_PARAMETERS: _file, BULKHEAD_REHEARSAL: _flag, ...plain } = env();
    const output = await runToEnd("scripts/deploy-check.ts", "sepolia", plain);
    expect(output).to.include(`against the parameters recorded from ${REHEARSAL_FILE}`);
    expect(output).to.match(/All \d+ checks passed/);
    // The seed still waits for lpDelay: reported, with what to run, and not a failure.
    expect(output).to.include("Pool seed: 1000000000000 units requested by the deployer, executable from");
    expect(output).to.include("run `npm run deploy -- --network sepolia` after then");
  });

  it("re-running sends no transaction and leaves the record byte-for-byte identical", async function () {
    const before = { text: readFileSync(recordPath, "utf8"), mtime: statSync(recordPath).mtimeMs };
    const state = await chainState(provider, deployer.address);
    const output = await runToEnd("scripts/deploy.ts", "sepolia", env());
    expect(output).to.include("Unchanged:");
    expect(await chainState(provider, deployer.address)).to.deep.equal(state);
    expect(readFileSync(recordPath, "utf8")).to.equal(before.text);
    expect(statSync(recordPath).mtimeMs).to.equal(before.mtime);
  });

  it("re-running after lpDelay executes the seed and claims it; the next run sends nothing", async function () {
    const record = readDeployment(recordPath);
    const pool = LiquidityPool__factory.connect(record.contracts.pool.address, provider);
    const token = TestStablecoin__factory.connect(record.contracts.asset.address, provider);
    await provider.send("evm_increaseTime", [LP_DELAY]); // test-only time travel on the node
    await provider.send("evm_mine", []);
    const output = await runToEnd("scripts/deploy.ts", "sepolia", env());
    expect(output).to.match(/Executed the pool seed: 0x[0-9a-f]{64}/);
    expect(output).to.match(/Claimed the pool seed's shares: 0x[0-9a-f]{64}/);
    expect(output).to.match(/All \d+ checks passed/);
    expect(await pool.pendingDepositRequest(0n, deployer.address)).to.equal(0n);
    expect(await pool.balanceOf(deployer.address)).to.equal((1_000_000n * USD - EXECUTION_FEE) * 10n ** 6n);
    expect(await token.balanceOf(record.contracts.pool.address)).to.equal(1_000_000n * USD - EXECUTION_FEE);
    // The deployer executed its own request and earned its fee.
    expect(await token.balanceOf(deployer.address)).to.equal(100_000n * USD + EXECUTION_FEE);

    const state = await chainState(provider, deployer.address);
    const again = await runToEnd("scripts/deploy.ts", "sepolia", env());
    expect(again).to.include("Unchanged:");
    expect(await chainState(provider, deployer.address)).to.deep.equal(state);
  });

  it("used only standard JSON-RPC methods (Ignition's automine probe was refused and tolerated)", function () {
    const nonStandard = proxy.methods.filter((m) => !/^(eth|net|web3)_/.test(m));
    expect([...new Set(nonStandard)]).to.deep.equal(["hardhat_getAutomine"]);
    expect(proxy.methods).to.include("eth_sendRawTransaction"); // signed locally with SEPOLIA_PRIVATE_KEY
    expect(proxy.methods).to.not.include("eth_sendTransaction");
  });

  it("verify proves offline that what it would submit is what was deployed, and contacts no explorer", async function () {
    const output = await runToEnd("scripts/verify.ts", "sepolia", env());
    const record = readDeployment(recordPath);
    // Everything the deployment created, the vault implementation included.
    for (const name of [
      "accessManager",
      "timelock",
      "riskConfig",
      "pool",
      "insuranceFund",
      "engine",
      "orderModule",
      "liquidationModule",
      "vaultImplementation",
      "lens",
    ]) {
      expect(output).to.match(new RegExp(`ok\\s+${name}\\s`));
    }
    expect(output).to.include("Rehearsal: the explorers know nothing of this node");
    expect(record.contracts.vaultImplementation.abi).to.equal("PositionVault");
  });

  it("leaves the deployer no role: the timelock governs, the guardian pauses", async function () {
    const record = readDeployment(recordPath);
    const c = record.contracts;
    if (c.timelock === undefined) throw new Error("no timelock");
    const manager = AccessManager__factory.connect(c.accessManager.address, provider);
    for (const role of [0n, 1n, 2n]) expect((await manager.hasRole(role, deployer.address))[0]).to.equal(false);
    expect((await manager.hasRole(0n, c.timelock.address))[0]).to.equal(true);
    expect((await manager.hasRole(1n, c.timelock.address))[0]).to.equal(true);
    expect((await manager.hasRole(2n, await guardian.getAddress()))[0]).to.equal(true);

    const config = RiskConfig__factory.connect(c.riskConfig.address, provider);
    const current = await config.globalParams();
    const global = {
      minCollateral: 20_000_000n,
      keeperReserve: current.keeperReserve,
      maxUtilization: current.maxUtilization,
      liquidationGracePeriod: current.liquidationGracePeriod,
      minNotional: current.minNotional,
      maxExecutionDelay: current.maxExecutionDelay,
      minExecutionFee: current.minExecutionFee,
    };
    const signer = deployer.connect(provider);
    const unauthorized = config.interface.getError("AccessManagedUnauthorized")?.selector;
    expect((await failure(config.connect(signer).setGlobalParams.staticCall(global))).data).to.match(
      new RegExp(`^${unauthorized}`),
    );
    await mined(config.connect(guardian).pause());
    await mined(config.connect(guardian).unpause());

    // A parameter change through the timelock: proposed, then executable by anyone after the delay.
    const timelock = TimelockController__factory.connect(c.timelock.address, provider);
    const data = config.interface.encodeFunctionData("setGlobalParams", [global]);
    await mined(timelock.connect(proposer).schedule(config, 0, data, ZeroHash, ZeroHash, TIMELOCK_DELAY));
    expect(
      (await failure(timelock.connect(owner).execute.staticCall(config, 0, data, ZeroHash, ZeroHash))).message,
    ).to.include("revert");
    await provider.send("evm_increaseTime", [Number(TIMELOCK_DELAY)]); // test-only time travel on the node
    await mined(timelock.connect(owner).execute(config, 0, data, ZeroHash, ZeroHash));
    expect((await config.globalParams()).minCollateral).to.equal(20_000_000n);

    // The file still says 10 USD: the check reports the drift (and so does deploy:check).
    const report = await checkDeployment(provider, record, parseParameters(parameters, REHEARSAL_FILE, 6n));
    expect(report.findings.filter((f) => !f.ok).map((f) => f.what)).to.deep.equal(["global minCollateral"]);
  });
});

describe("deploy a testnet file (existing token and feeds) that seeds the pool from the deployer's tokens", function () {
  this.timeout(scaled(600_000));
  let work: ReturnType<typeof temporaryDir>;
  let node: TestNode;
  let provider: JsonRpcProvider;
  const deployer = Wallet.createRandom();

  before(async function () {
    work = temporaryDir("bulkhead-testnet-seed-");
    node = await startNode(SEPOLIA, path.join(work.path, "node"));
    provider = providerFor(node.url);
  });

  after(async function () {
    provider?.destroy();
    await node?.stop();
    work?.remove();
  });

  it("refuses a seed the deployer cannot pay, naming the faucet, then seeds the pool", async function () {
    const owner = await provider.getSigner(0);
    // What a real testnet already has: a 6-decimal token and two Chainlink feeds.
    const token = await new TestStablecoin__factory(owner).deploy();
    const ethFeed = await new MockV3Aggregator__factory(owner).deploy(8, 3_000n * 10n ** 8n);
    const btcFeed = await new MockV3Aggregator__factory(owner).deploy(8, 60_000n * 10n ** 8n);
    await Promise.all([token, ethFeed, btcFeed].map((c) => c.waitForDeployment()));
    await (await owner.sendTransaction({ to: deployer.address, value: parseEther("100") })).wait();
    await mined(token.mint(deployer.address, 5_000n * USD));

    const sepolia = readParameterFile(path.join(ROOT, "deploy", "parameters", "sepolia.json"));
    const feeds: Record<string, string> = {
      "ETH-USD": await ethFeed.getAddress(),
      "BTC-USD": await btcFeed.getAddress(),
    };
    const tokenAddress = await token.getAddress();
    const file = path.join(work.path, "sepolia.json");
    const write = (poolSeed: string): void =>
      writeFileSync(
        file,
        JSON.stringify({
          ...sepolia,
          asset: tokenAddress,
          markets: (sepolia.markets as { name: string }[]).map((m) => ({ ...m, feed: feeds[m.name] })),
          funding: { poolSeed },
        }),
      );
    const env = {
      SEPOLIA_RPC_URL: node.url,
      SEPOLIA_PRIVATE_KEY: deployer.privateKey,
      BULKHEAD_DEPLOY_PARAMETERS: file,
      BULKHEAD_DEPLOYMENTS_DIR: path.join(work.path, "deployments"),
      BULKHEAD_IGNITION_DIR: path.join(work.path, "ignition"),
    };

    write("10000 USD");
    const refused = await runToEnd("scripts/deploy.ts", "sepolia", env, 1);
    expect(refused).to.include("which holds 5000000000: get test tokens first");
    expect(refused).to.include("faucet.circle.com");
    expect(await provider.getTransactionCount(deployer.address)).to.equal(0);

    write("1000 USD");
    const output = await runToEnd("scripts/deploy.ts", "sepolia", env);
    expect(output).to.match(/All \d+ checks passed/);
    const record = readDeployment(path.join(work.path, "deployments", `${SEPOLIA}.json`));
    expect(record.kind).to.equal("testnet");
    expect(record.contracts.asset).to.deep.equal({ address: tokenAddress, abi: "IERC20Metadata" });
    // Requested: the tokens are in the pool, pending, until lpDelay has passed.
    const pool = LiquidityPool__factory.connect(record.contracts.pool.address, provider);
    expect(await token.balanceOf(record.contracts.pool.address)).to.equal(1_000n * USD);
    expect(await token.balanceOf(deployer.address)).to.equal(4_000n * USD);
    expect(await pool.pendingDepositRequest(0n, deployer.address)).to.equal(1_000n * USD);

    // A re-run after lpDelay executes the seed (the deployer earns the fee back) and claims the shares.
    await provider.send("evm_increaseTime", [LP_DELAY]); // test-only time travel on the node
    await provider.send("evm_mine", []);
    const finished = await runToEnd("scripts/deploy.ts", "sepolia", env);
    expect(finished).to.match(/Claimed the pool seed's shares/);
    expect(await token.balanceOf(record.contracts.pool.address)).to.equal(1_000n * USD - EXECUTION_FEE);
    expect(await token.balanceOf(deployer.address)).to.equal(4_000n * USD + EXECUTION_FEE);
    expect(await pool.balanceOf(deployer.address)).to.equal((1_000n * USD - EXECUTION_FEE) * 10n ** 6n);
    // Done: the next run sends nothing.
    const state = await chainState(provider, deployer.address);
    expect(await runToEnd("scripts/deploy.ts", "sepolia", env)).to.include("Unchanged:");
    expect(await chainState(provider, deployer.address)).to.deep.equal(state);
  });
});

/** The error a call fails with; fails the test if it succeeds. */
async function failure(call: Promise<unknown>): Promise<Error & { data?: string }> {
  try {
    await call;
  } catch (error) {
    return error as Error & { data?: string };
  }
  throw new Error("expected the call to revert");
}

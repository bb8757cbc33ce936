/**
 * `npm run deploy -- --network sepolia` against a `hardhat node` posing as Sepolia (chain 11155111), reached through
 * the `sepolia` network with SEPOLIA_RPC_URL and SEPOLIA_PRIVATE_KEY from the environment, behind a proxy that
 * serves only standard JSON-RPC (as a public endpoint does). The token and the feeds exist before the deployment,
 * as on a real testnet; the parameter file is deploy/parameters/sepolia.json with their addresses.
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
import { parseParameters } from "../../../deploy/lib/parameters.js";
import {
  AccessManager__factory,
  MockV3Aggregator__factory,
  RiskConfig__factory,
  TestStablecoin__factory,
  TimelockController__factory,
} from "../../../typechain-types/index.js";
import { chainState, mined, providerFor, readDeployment, readJson } from "./support/chain.js";
import { kill, ROOT, runScript, runToEnd, startNode, temporaryDir, type TestNode } from "./support/processes.js";
import { startRpcProxy, type RpcProxy } from "./support/rpc-proxy.js";

const SEPOLIA = 11155111;
const TIMELOCK_DELAY = 3_600n;

describe("deploy to a testnet (a node posing as Sepolia, through the `sepolia` network)", function () {
  let work: ReturnType<typeof temporaryDir>;
  let recordPath: string;
  let journalDir: string;
  let parametersPath: string;
  const deployer = Wallet.createRandom();
  let node: TestNode;
  let proxy: RpcProxy;
  let provider: JsonRpcProvider;
  let owner: JsonRpcSigner; // of the pre-existing token and feeds
  let proposer: JsonRpcSigner;
  let guardian: JsonRpcSigner;
  let parameters: Record<string, unknown>;
  const env = (): Record<string, string> => ({
    SEPOLIA_RPC_URL: proxy.url,
    SEPOLIA_PRIVATE_KEY: deployer.privateKey,
    BULKHEAD_DEPLOY_PARAMETERS: parametersPath,
    BULKHEAD_DEPLOYMENTS_DIR: path.join(work.path, "deployments"),
    BULKHEAD_IGNITION_DIR: path.join(work.path, "ignition"),
    // The proxy hides Hardhat's automine flag, so Ignition would wait for 5 blocks that never come.
    BULKHEAD_CONFIRMATIONS: "1",
  });

  before(async function () {
    work = temporaryDir("bulkhead-sepolia-");
    recordPath = path.join(work.path, "deployments", `${SEPOLIA}.json`);
    journalDir = path.join(work.path, "ignition", `chain-${SEPOLIA}`);
    parametersPath = path.join(work.path, "sepolia.json");
    node = await startNode(SEPOLIA, path.join(work.path, "node"));
    proxy = await startRpcProxy(node.url);
    provider = providerFor(node.url);
    [owner, proposer, guardian] = (await Promise.all([19, 5, 6].map((i) => provider.getSigner(i)))) as [
      JsonRpcSigner,
      JsonRpcSigner,
      JsonRpcSigner,
    ];

    // What a real testnet already has: a 6-decimal token and two Chainlink feeds.
    const token = await new TestStablecoin__factory(owner).deploy();
    const ethFeed = await new MockV3Aggregator__factory(owner).deploy(8, 3_000n * 10n ** 8n);
    const btcFeed = await new MockV3Aggregator__factory(owner).deploy(8, 60_000n * 10n ** 8n);
    await Promise.all([token, ethFeed, btcFeed].map((c) => c.waitForDeployment()));

    // The shipped Sepolia file, pointed at them.
    parameters = readJson<Record<string, unknown>>(path.join(ROOT, "deploy", "parameters", "sepolia.json"));
    const markets = parameters.markets as { name: string; feed: string }[];
    const feeds: Record<string, string> = {
      "ETH-USD": await ethFeed.getAddress(),
      "BTC-USD": await btcFeed.getAddress(),
    };
    parameters.asset = await token.getAddress();
    parameters.markets = markets.map((m) => ({ ...m, feed: feeds[m.name] }));
    parameters.governance = {
      timelock: { minDelay: Number(TIMELOCK_DELAY), proposers: [await proposer.getAddress()], executors: ["anyone"] },
    };
    parameters.guardian = await guardian.getAddress();
    writeFileSync(parametersPath, JSON.stringify(parameters, null, 2));

    // Enough for the first few contracts at the fees Ignition offers (2 × base fee + tip), not for the ~20M gas of
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
    expect(record).to.include({ chainId: SEPOLIA, network: "sepolia", kind: "testnet", deployer: deployer.address });
    expect(record.contracts.asset.address).to.equal(parameters.asset);
    expect(record.markets.map((m) => m.feed.address)).to.deep.equal(
      (parameters.markets as { feed: string }[]).map((m) => m.feed),
    );
  });

  it("deploy:check confirms it from the chain", async function () {
    const output = await runToEnd("scripts/deploy-check.ts", "sepolia", env());
    expect(output).to.match(/All \d+ checks passed/);
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

  it("used only standard JSON-RPC methods (Ignition's automine probe was refused and tolerated)", function () {
    const nonStandard = proxy.methods.filter((m) => !/^(eth|net|web3)_/.test(m));
    expect([...new Set(nonStandard)]).to.deep.equal(["hardhat_getAutomine"]);
    expect(proxy.methods).to.include("eth_sendRawTransaction"); // signed locally with SEPOLIA_PRIVATE_KEY
    expect(proxy.methods).to.not.include("eth_sendTransaction");
  });

  it("verify (dry run) proves that what it would submit is what was deployed", async function () {
    const output = await runToEnd("scripts/verify.ts", "sepolia", { ...env(), BULKHEAD_VERIFY_DRY_RUN: "1" });
    const record = readDeployment(recordPath);
    // Everything deployed (not the token and feeds that already existed), the vault implementation included.
    for (const name of [
      "accessManager",
      "timelock",
      "riskConfig",
      "pool",
      "insuranceFund",
      "engine",
      "vaultImplementation",
      "lens",
    ]) {
      expect(output).to.match(new RegExp(`ok\\s+${name}\\s`));
    }
    expect(output).to.not.match(/ok\s+asset\s/);
    expect(output).to.include("Dry run: nothing sent to any explorer.");
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

    // The file still says 10 USD: the check reports the drift.
    const report = await checkDeployment(provider, record, parseParameters(parameters, "sepolia.json", 6n));
    expect(report.findings.filter((f) => !f.ok).map((f) => f.what)).to.deep.equal(["global minCollateral"]);
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

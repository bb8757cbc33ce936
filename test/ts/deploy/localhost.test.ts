/**
 * `npm run deploy` against a real `hardhat node` reached through the `localhost` network (local parameters: mock
 * token and feeds, deployer governance, funded accounts): deploy, check, finish the pool seed (an ERC-7540 deposit
 * request) by re-running after lpDelay, re-run without a transaction, trade through the deployed system, and redeploy
 * after the node restarts.
 */
import { readFileSync, statSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";
import { decodeBytes32String, MaxUint256, type JsonRpcProvider } from "ethers";

import { checkDeployment } from "../../../deploy/lib/check.js";
import { parseParameters, readParameterFile } from "../../../deploy/lib/parameters.js";
import {
  GLOBAL_PARAM_FIELDS,
  globalBoundOf,
  LP_PARAM_FIELDS,
  lpBoundOf,
  MARKET_PARAM_FIELDS,
  MARKET_PARAM_SPECS,
  marketBoundOf,
  type MarketValues,
} from "../../../sdk/src/params.js";
import {
  BulkheadLens__factory,
  LiquidityPool__factory,
  RiskConfig__factory,
  MarginEngine__factory,
  MockV3Aggregator__factory,
  TestStablecoin__factory,
} from "../../../typechain-types/index.js";
import { chainState, mined, providerFor, readDeployment } from "./support/chain.js";
import { ROOT, runToEnd, scaled, startNode, temporaryDir, type TestNode } from "./support/processes.js";

const USD = 10n ** 6n;
const WAD = 10n ** 18n;
/** deploy/parameters/local.json: the seed, the LP delay and the fee its execution pays. */
const SEED = 1_000_000n * USD;
const LP_DELAY = 60;
const EXECUTION_FEE = USD / 2n;
/** No bound on the price (the engine keeps acceptable prices in 128 bits). */
const ANY = 2n ** 128n - 1n;

describe("deploy to localhost (a hardhat node on 31337)", function () {
  this.timeout(scaled(600_000));
  let work: ReturnType<typeof temporaryDir>;
  let node: TestNode;
  let provider: JsonRpcProvider;
  let recordPath: string;
  const env = (): Record<string, string> => ({
    BULKHEAD_LOCALHOST_RPC_URL: node.url,
    BULKHEAD_DEPLOYMENTS_DIR: path.join(work.path, "deployments"),
    BULKHEAD_IGNITION_DIR: path.join(work.path, "ignition"),
  });

  before(async function () {
    work = temporaryDir("bulkhead-localhost-");
    recordPath = path.join(work.path, "deployments", "31337.json");
    node = await startNode(31337, path.join(work.path, "node"));
    provider = providerFor(node.url);
  });

  after(async function () {
    provider?.destroy();
    await node?.stop();
    work?.remove();
  });

  it("deploys, writes deployments/31337.json and passes its own check", async function () {
    const output = await runToEnd("scripts/deploy.ts", "localhost", env());
    expect(output).to.match(/All \d+ checks passed/);
    const record = readDeployment(recordPath);
    expect(record).to.include({ chainId: 31337, network: "localhost", kind: "local" });
    expect(record.markets.map((m) => m.name)).to.deep.equal(["ETH-USD", "BTC-USD"]);
    expect(record.contracts.timelock).to.equal(undefined);
    expect(record.roles.governance.holder).to.equal(record.deployer);
    for (const entry of Object.values(record.contracts))
      expect(await provider.getCode(entry.address)).to.not.equal("0x");
    // The engine is three contracts: its order and liquidation modules are recorded, and the check confirmed them.
    const engine = MarginEngine__factory.connect(record.contracts.engine.address, provider);
    expect(record.contracts.orderModule).to.deep.equal({ address: await engine.ORDER_MODULE(), abi: "OrderModule" });
    expect(record.contracts.liquidationModule).to.deep.equal({
      address: await engine.LIQUIDATION_MODULE(),
      abi: "LiquidationModule",
    });
    expect(record.version).to.equal(4);
    // Order parameters, read back from the chain.
    expect([record.global.maxExecutionDelay, record.global.minExecutionFee]).to.deep.equal([
      60,
      (USD / 10n).toString(),
    ]);
    expect(record.markets.map((m) => m.params.maxOrderWait)).to.deep.equal([86_460, 86_460]);
    // The journal lives beside the record's override, not in the repository.
    expect(statSync(path.join(work.path, "ignition", "chain-31337", "journal.jsonl")).size).to.be.greaterThan(0);
    // LP parameters, read back from the chain.
    expect(record.lp).to.deep.equal({
      lpDelay: LP_DELAY,
      lpSettle: 1,
      lpResume: 60,
      minRequest: (10n * USD).toString(),
      executionFee: EXECUTION_FEE.toString(),
    });
    // The seed is a deposit request, executable lpDelay later: the output says when and what to run then.
    expect(output).to.include("The pool seed (1000000000000 units) is requested and becomes executable at");
    expect(output).to.include("run `npm run deploy -- --network localhost` again");
    const pool = LiquidityPool__factory.connect(record.contracts.pool.address, provider);
    expect(await pool.pendingDepositRequest(0n, record.deployer)).to.equal(SEED);
    expect(await pool.totalSupply()).to.equal(0n);
  });

  it("re-running after lpDelay executes the seed and claims its shares", async function () {
    const record = readDeployment(recordPath);
    const pool = LiquidityPool__factory.connect(record.contracts.pool.address, provider);
    const usd = TestStablecoin__factory.connect(record.contracts.asset.address, provider);
    await provider.send("evm_increaseTime", [LP_DELAY]); // test-only time travel on the node
    await provider.send("evm_mine", []);
    const deployerTokens = await usd.balanceOf(record.deployer);
    const output = await runToEnd("scripts/deploy.ts", "localhost", env());
    expect(output).to.match(/Executed the pool seed: 0x[0-9a-f]{64}/);
    expect(output).to.match(/Claimed the pool seed's shares: 0x[0-9a-f]{64}/);
    expect(output).to.match(/All \d+ checks passed/);
    expect(await pool.pendingDepositRequest(0n, record.deployer)).to.equal(0n);
    expect(await pool.maxMint(record.deployer)).to.equal(0n);
    // The first deposit: one share unit per 1e-6 asset unit (6 more decimals), the fee out of the request.
    const shares = (SEED - EXECUTION_FEE) * 10n ** 6n;
    expect(await pool.balanceOf(record.deployer)).to.equal(shares);
    expect(await pool.totalSupply()).to.equal(shares);
    expect(await pool.totalAssets()).to.equal(SEED - EXECUTION_FEE);
    // The deployer executed its own request, so it earned the fee back.
    expect((await usd.balanceOf(record.deployer)) - deployerTokens).to.equal(EXECUTION_FEE);
  });

  it("re-running sends no transaction and leaves the record byte-for-byte identical", async function () {
    const record = readDeployment(recordPath);
    const before = { text: readFileSync(recordPath, "utf8"), mtime: statSync(recordPath).mtimeMs };
    const state = await chainState(provider, record.deployer);
    const output = await runToEnd("scripts/deploy.ts", "localhost", env());
    expect(output).to.include("Unchanged:");
    expect(await chainState(provider, record.deployer)).to.deep.equal(state);
    expect(readFileSync(recordPath, "utf8")).to.equal(before.text);
    expect(statSync(recordPath).mtimeMs).to.equal(before.mtime);
  });

  it("works: traders request, a keeper executes at the next round, liquidates, and a trader closes", async function () {
    const record = readDeployment(recordPath);
    const [, alice, bob, keeper] = await Promise.all([0, 1, 2, 3].map((i) => provider.getSigner(i)));
    if (alice === undefined || bob === undefined || keeper === undefined) throw new Error("node accounts missing");
    const c = record.contracts;
    const usd = TestStablecoin__factory.connect(c.asset.address, provider);
    const engine = MarginEngine__factory.connect(c.engine.address, provider);
    const lens = BulkheadLens__factory.connect(c.lens.address, provider);
    const ethMarket = record.markets.find((m) => m.name === "ETH-USD");
    if (ethMarket === undefined) throw new Error("no ETH-USD market");
    const ethFeed = MockV3Aggregator__factory.connect(ethMarket.feed.address, alice);
    const fee = BigInt(record.global.minExecutionFee);
    const reserve = BigInt(record.global.keeperReserve);
    const deadline = async (): Promise<bigint> => BigInt((await provider.getBlock("latest"))?.timestamp ?? 0) + 3_600n;
    // A new round of the mock feed, one second after the latest block: observed after every request made so far.
    const round = async (answer: bigint): Promise<void> => {
      await provider.send("evm_increaseTime", [1]); // test-only time travel on the node
      await mined(ethFeed.updateAnswer(answer));
    };

    // The deployment funded the node's accounts and seeded the pool (the execution fee went to its executor).
    expect(await usd.balanceOf(alice)).to.equal(100_000n * USD);
    expect(await usd.balanceOf(c.pool.address)).to.equal(SEED - EXECUTION_FEE);

    // Requests escrow collateral, keeper reserve and execution fee in each position's vault; nothing trades yet.
    for (const trader of [alice, bob]) await mined(usd.connect(trader).approve(engine, MaxUint256));
    const aliceId = await engine.nextPositionId();
    await mined(engine.connect(alice).requestOpen(ethMarket.id, true, WAD, 403n * USD, ANY, await deadline(), fee));
    const bobId = await engine.nextPositionId();
    await mined(
      engine.connect(bob).requestOpen(ethMarket.id, true, WAD / 10n, 1_000n * USD, ANY, await deadline(), fee),
    );
    expect((await engine.position(aliceId)).size).to.equal(0n);
    expect(await usd.balanceOf(await engine.vaultOf(aliceId))).to.equal(403n * USD + reserve + fee);
    expect((await engine.orderStatus(aliceId))[0]).to.equal(1n); // Waiting: no round after the request yet

    // The next round executes both, in one batch, at its answer; the keeper earns both execution fees.
    await round(3_000n * 10n ** 8n);
    expect((await engine.orderStatus(aliceId))[0]).to.equal(2n); // Executable
    const keeperStart = await usd.balanceOf(keeper);
    await mined(engine.connect(keeper).executeOrders([aliceId, bobId]));
    expect((await usd.balanceOf(keeper)) - keeperStart).to.equal(2n * fee);
    // The 3 USD opening fee came out of the escrowed collateral.
    const opened = await engine.position(aliceId);
    expect([opened.owner, opened.size, opened.entryPrice, opened.collateral]).to.deep.equal([
      await alice.getAddress(),
      WAD,
      3_000n * WAD,
      400n * USD,
    ]);
    expect((await engine.position(bobId)).size).to.equal(WAD / 10n);

    // ETH falls 10 %: Alice (7.5x) is under maintenance, Bob (0.3x) is not.
    await round(2_700n * 10n ** 8n);
    expect(await lens.liquidatable([aliceId, bobId])).to.deep.equal([true, false]);
    const preview = await lens.previewLiquidation(aliceId);
    const aliceVault = await engine.vaultOf(aliceId);
    const keeperBefore = await usd.balanceOf(keeper);
    const insuranceBefore = await usd.balanceOf(c.insuranceFund.address);
    await mined(engine.connect(keeper).liquidate(aliceId));
    expect((await usd.balanceOf(keeper)) - keeperBefore).to.equal(preview.keeperReward);
    expect((await usd.balanceOf(c.insuranceFund.address)) - insuranceBefore).to.equal(preview.penalty);
    expect(preview.keeperReward).to.be.greaterThan(reserve); // the keeper reserve plus 1 % of notional
    expect((await engine.position(aliceId)).owner).to.equal("0x0000000000000000000000000000000000000000");
    expect(await usd.balanceOf(aliceVault)).to.equal(0n);
    expect(await engine.freeVaultCount()).to.equal(1n);

    // Bob asks to close; the next round closes him at a loss, and he gets the rest of his collateral and his keeper
    // reserve back.
    const bobVault = await engine.vaultOf(bobId);
    await mined(engine.connect(bob).requestClose(bobId, 0n, await deadline(), fee, await bob.getAddress()));
    await round(2_700n * 10n ** 8n);
    const bobBefore = await usd.balanceOf(bob);
    await mined(engine.connect(keeper).executeOrder(bobId));
    const returned = (await usd.balanceOf(bob)) - bobBefore;
    expect(returned).to.be.greaterThan(1_000n * USD - 40n * USD);
    expect(returned).to.be.lessThan(1_000n * USD);
    expect(await usd.balanceOf(bobVault)).to.equal(0n);
    expect(await engine.freeVaultCount()).to.equal(2n);
  });

  it("the check notices a parameter that no longer matches the file", async function () {
    // The markets traded above changed nothing the check compares; a different file does not match.
    const record = readDeployment(recordPath);
    const json = readParameterFile(path.join(ROOT, "deploy", "parameters", "local.json")) as {
      markets: { mmr: string }[];
    };
    const first = json.markets[0];
    if (first === undefined) throw new Error("local.json has no market");
    first.mmr = "6%";
    const report = await checkDeployment(provider, record, parseParameters(json, "edited local.json", 6n));
    expect(report.ok).to.equal(false);
    expect(report.findings.filter((f) => !f.ok).map((f) => f.what)).to.deep.equal([
      "ETH-USD mmr",
      "ETH-USD mmr in the record",
    ]);
  });

  it("validates parameter files with the contract's own bounds", async function () {
    // Each bound, read back from the ParameterOutOfBounds(name, value, min, max) the contract reverts with.
    const record = readDeployment(recordPath);
    const governance = await provider.getSigner(0);
    const config = RiskConfig__factory.connect(record.contracts.riskConfig.address, governance);
    const boundsOf = async (call: Promise<unknown>): Promise<[string, bigint, bigint]> => {
      const error = await failure(call);
      const parsed = config.interface.parseError(error.data ?? "0x");
      if (parsed?.name !== "ParameterOutOfBounds") throw new Error(`unexpected revert: ${error.message}`);
      return [decodeBytes32String(parsed.args[0] as string), parsed.args[2] as bigint, parsed.args[3] as bigint];
    };
    const market = await config.marketParams(0);
    const params = {
      feed: market.feed,
      ...(Object.fromEntries(MARKET_PARAM_FIELDS.map((field) => [field, market[field]])) as unknown as MarketValues),
    };
    // Every market field the SDK gives a bound (feedDecimals is the feed's own; mmr depends on imr, below).
    const bounded = MARKET_PARAM_FIELDS.filter(
      (field) => MARKET_PARAM_SPECS[field].bound !== null && field !== "feedDecimals" && field !== "mmr",
    );
    expect(bounded.length).to.be.greaterThan(8);
    for (const field of bounded) {
      const [min, max] = marketBoundOf(field, params);
      const outside = min > 0n ? 0n : field === "heartbeat" ? 2n ** 32n - 1n : 2n ** 64n - 1n;
      expect(await boundsOf(config.listMarket.staticCall({ ...params, [field]: outside }))).to.deep.equal([
        field,
        min,
        max,
      ]);
    }
    expect(await boundsOf(config.listMarket.staticCall({ ...params, mmr: 0n }))).to.deep.equal([
      "mmr",
      ...marketBoundOf("mmr", params),
    ]);
    expect(await boundsOf(config.listMarket.staticCall({ ...params, imr: WAD, mmr: WAD }))).to.deep.equal([
      "mmr",
      ...marketBoundOf("mmr", { imr: WAD, heartbeat: params.heartbeat }),
    ]);
    // An order waits at least the heartbeat: the minimum follows it (and is never below a minute).
    expect(
      await boundsOf(config.listMarket.staticCall({ ...params, heartbeat: 3_600n, maxOrderWait: 3_599n })),
    ).to.deep.equal(["maxOrderWait", 3_600n, 2n * 86_400n + 3_600n]);
    expect(marketBoundOf("maxOrderWait", { imr: WAD, heartbeat: 3_600n })).to.deep.equal([3_600n, 176_400n]);
    expect(
      await boundsOf(config.listMarket.staticCall({ ...params, heartbeat: 60n, maxOrderWait: 59n })),
    ).to.deep.equal(["maxOrderWait", ...marketBoundOf("maxOrderWait", { imr: WAD, heartbeat: 60n })]);

    // Engine-wide and LP bounds are checked in the constructor (USD bounds times the asset's unit).
    const global = {
      minCollateral: 10n * USD,
      keeperReserve: 5n * USD,
      maxUtilization: 5n * WAD,
      liquidationGracePeriod: 600n,
      minNotional: 10n * USD,
      maxExecutionDelay: 60n,
      minExecutionFee: USD / 10n,
    };
    const lp = { lpDelay: 60n, lpSettle: 1n, lpResume: 60n, minRequest: 10n * USD, executionFee: USD / 2n };
    const construct = (g: typeof global, l: typeof lp = lp): Promise<string> =>
      new RiskConfig__factory(governance)
        .getDeployTransaction(record.contracts.accessManager.address, record.contracts.asset.address, g, l)
        .then((tx) => governance.call(tx));
    for (const field of GLOBAL_PARAM_FIELDS) {
      const [min, max] = globalBoundOf(field, 6n);
      const outside = min > 0n ? 0n : 2n ** 32n - 1n;
      expect(outside < min || outside > max, field).to.equal(true);
      expect(await boundsOf(construct({ ...global, [field]: outside }))).to.deep.equal([field, min, max]);
    }
    expect(globalBoundOf("keeperReserve", 6n)[0]).to.equal(USD / 10n);
    for (const field of LP_PARAM_FIELDS) {
      const [min, max] = lpBoundOf(field, 6n, lp);
      const outside = min > 0n ? 0n : 2n ** 32n - 1n;
      expect(await boundsOf(construct(global, { ...lp, [field]: outside }))).to.deep.equal([field, min, max]);
    }
    // The execution fee is below the minimum request.
    expect(lpBoundOf("executionFee", 6n, { minRequest: 2n * USD })).to.deep.equal([0n, 2n * USD - 1n]);
    expect(await boundsOf(construct(global, { ...lp, minRequest: 2n * USD, executionFee: 2n * USD }))).to.deep.equal([
      "executionFee",
      0n,
      2n * USD - 1n,
    ]);
  });

  it("verify refuses a development chain", async function () {
    const output = await runToEnd("scripts/verify.ts", "localhost", env(), 1);
    expect(output).to.include("development chain");
  });

  it("after the node restarts empty, deploys afresh instead of trusting the old journal", async function () {
    const old = readDeployment(recordPath);
    await node.stop();
    node = await startNode(31337, path.join(work.path, "node2"));
    provider.destroy();
    provider = providerFor(node.url);
    const output = await runToEnd("scripts/deploy.ts", "localhost", env());
    expect(output).to.include("The local chain was restarted");
    expect(output).to.match(/All \d+ checks passed/);
    const fresh = readDeployment(recordPath);
    expect(fresh.genesisHash).to.not.equal(old.genesisHash);
    for (const entry of Object.values(fresh.contracts))
      expect(await provider.getCode(entry.address)).to.not.equal("0x");
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

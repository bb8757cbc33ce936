/**
 * The viem client and actions on the embedded chain: every trading, margin, keeper and LP operation through the
 * SDK (approvals and EIP-2612 permits included), its reads checked against the contracts, its events decoded; the
 * deployment file and explicit addresses; and the generated bindings checked against the artifacts.
 */
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { expect } from "chai";
import { BaseError, encodeAbiParameters, encodeEventTopics, getAddress, type Address, type Hex } from "viem";

import {
  CANCEL_REASONS,
  cancelReasonName,
  ChainMismatchError,
  decodePositionEvent,
  orderKindName,
  orderStatusName,
  POSITION_EVENT_NAMES,
  positionEventsAbi,
  UnknownEnumValueError,
  createBulkheadClient,
  ORDER_KINDS,
  ORDER_STATUSES,
  NothingToClaimError,
  OrderCancelledError,
  PositionPendingError,
  decodePositionEvents,
  eventsNamed,
  getPositionSummary,
  InvalidDeploymentError,
  liquidate,
  parseDeployment,
  resolveAddresses,
  version,
  WalletClientRequiredError,
  type BulkheadAddresses,
  type BulkheadClient,
} from "../../../sdk/src/index.js";
import * as publicAbis from "../../../sdk/src/abis.js";
import * as mockAbis from "../../../sdk/src/mocks.js";
import { connectBulkhead, MarginEngine__factory } from "../../../sdk/src/ethers.js";
import { loadDeployment } from "../../../sdk/src/node.js";
import { buildRecord, serializeRecord } from "../../../deploy/lib/record.js";
import {
  deployBulkhead,
  ETH,
  ETH_PRICE,
  fund,
  now,
  openPosition,
  publishRound,
  setPrice,
  USD,
  WAD,
  type Bulkhead,
} from "../fixture.js";
import { addressesOf, untilOrderRequested, viemClients } from "./utils.js";
import { sdkConnection } from "./connection.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const connection = sdkConnection;
const { networkHelpers, provider } = connection;

describe("SDK client (viem) on the embedded chain", function () {
  let s: Bulkhead;
  let addresses: BulkheadAddresses;
  let alice: Address;
  let client: BulkheadClient;
  let keeperClient: BulkheadClient;
  const clients = viemClients(provider);

  beforeEach(async function () {
    s = await networkHelpers.loadFixture(deployBulkhead);
    addresses = await addressesOf(s);
    alice = s.actors.alice.address as Address;
    await fund(s, s.actors.alice, 100_000n * USD);
    client = createBulkheadClient({
      publicClient: clients.publicClient,
      walletClient: clients.walletFor(alice),
      addresses,
    });
    keeperClient = createBulkheadClient({
      publicClient: clients.publicClient,
      walletClient: clients.walletFor(s.actors.keeper.address as Address),
      addresses,
    });
  });

  it("requests, executes, increases, decreases, moves margin and closes a position, with events and reads that match the chain", async function () {
    // Step one: the request escrows collateral, keeper reserve and execution fee; the position exists, not open yet.
    const requested = await client.waitForOrderRequested(
      await client.requestOpen({ marketId: ETH, isLong: true, size: WAD, collateral: 600n * USD }),
    );
    const id = requested.positionId;
    expect(requested.kind).to.equal("Open");
    expect(requested.event).to.deep.include({ owner: alice, marketId: ETH, isLong: true, sizeDelta: WAD });
    const { minExecutionFee } = s.global;
    expect(requested.event.executionFee).to.equal(minExecutionFee);
    // The default deadline is chain time (when the SDK read it, a block or so before the request) plus the market's
    // maxOrderWait: about the longest the engine lets an order wait.
    const requestedAt = (await clients.publicClient.getBlock({ blockNumber: requested.blockNumber })).timestamp;
    const wait = s.markets[0].maxOrderWait;
    expect(requested.event.deadline).to.be.within(requestedAt + wait - 10n, requestedAt + wait - 1n);
    const pending = await client.getOrders(id);
    expect(pending.close).to.equal(null);
    expect(pending.order).to.deep.include({
      kind: "Open",
      sizeDelta: WAD,
      collateralDelta: 600n * USD,
      receiver: alice,
    });
    expect((await client.getOrderStatus(id)).status).to.equal("Waiting");
    expect((await client.getPosition(id))?.size).to.equal(0n);
    let pendingError: unknown;
    await client.getPositionSummary(id).catch((error: unknown) => (pendingError = error));
    expect(pendingError).to.be.instanceOf(PositionPendingError);

    // Step two: the feed's next round, then anyone executes at its answer and earns the execution fee.
    await publishRound(s, ETH);
    const status = await client.getOrderStatus(id);
    expect(status.status).to.equal("Executable");
    expect(status.executionRoundId).to.equal((await s.ethFeed.latestRoundData())[0]);
    // A keeper asks for many positions at once (the lens): unknown ids have no order.
    expect(await keeperClient.getExecutable([id, 999n])).to.deep.equal([
      status,
      { status: "None", executionRoundId: 0n },
    ]);
    const keeperBefore = await s.usd.balanceOf(s.actors.keeper);
    await keeperClient.waitForTransaction(await keeperClient.executeOrder({ positionId: id }));
    expect(await s.usd.balanceOf(s.actors.keeper)).to.equal(keeperBefore + minExecutionFee);
    const outcome = await client.waitForOrder({ hash: requested.receipt.transactionHash });
    expect(outcome.status).to.equal("executed");
    expect(outcome.event).to.deep.include({
      kind: 1,
      executor: s.actors.keeper.address,
      roundId: status.executionRoundId,
      price: ETH_PRICE,
      executionFee: minExecutionFee,
    });
    const open = eventsNamed(outcome.events, "PositionOpened")[0]!;
    // The opening fee (0.1 % of 3,000 USD, the SDK's ratioOfNotionalUp) comes out of the escrowed collateral.
    expect(open.args.fee).to.equal(3n * USD);
    expect(open.args).to.deep.include({
      positionId: id,
      owner: alice,
      marketId: ETH,
      isLong: true,
      size: WAD,
      price: ETH_PRICE,
      collateral: 597n * USD,
      keeperReserve: s.global.keeperReserve,
    });

    const position = await client.getPosition(id);
    const onChain = await s.engine.position(id);
    expect(position).to.deep.equal({
      owner: onChain.owner,
      collateral: onChain.collateral,
      size: onChain.size,
      entryPrice: onChain.entryPrice,
      borrowIndex: onChain.borrowIndex,
      maxProfit: onChain.maxProfit,
      marketId: onChain.marketId,
      isLong: onChain.isLong,
      vault: onChain.vault,
      keeperReserve: onChain.keeperReserve,
    });
    expect(open.args.maxProfit).to.equal(onChain.maxProfit);
    expect(await client.getOrders(id)).to.deep.equal({ order: null, close: null });

    // Borrow fees accrue; the gap stays under the heartbeat, so no outage (and no grace period) follows.
    await networkHelpers.time.increase(3_000n);
    await setPrice(s, ETH, 3_100n * WAD);
    const summary = await client.getPositionSummary(id);
    expect(summary.equity).to.equal(await s.lens.equity(id));
    expect(summary.health).to.equal(await s.lens.health(id));
    expect(summary.liquidationPrice).to.equal(await s.lens.liquidationPrice(id));
    expect(summary.liquidatable).to.equal(false);
    expect(summary.preview.keeperReward).to.equal((await s.lens.previewLiquidation(id)).keeperReward);
    expect(summary.vaultBalance).to.equal(597n * USD + s.global.keeperReserve);

    // The SDK executes its own order when asked (`execute`): a round must exist after the request.
    const increase = await client.requestIncrease({ positionId: id, sizeDelta: WAD / 2n, collateralDelta: 100n * USD });
    expect((await client.getOrders(id)).order?.kind).to.equal("Increase");
    await publishRound(s, ETH);
    const increased = await client.waitForOrder({ hash: increase, execute: true });
    expect(increased.status).to.equal("executed");
    expect(eventsNamed(increased.events, "PositionIncreased")[0]!.args.newSize).to.equal((3n * WAD) / 2n);
    // The decrease pays a receiver of the owner's choice.
    const bob = s.actors.bob.address as Address;
    const bobBefore = await s.usd.balanceOf(bob);
    const decrease = await client.requestDecrease({ positionId: id, sizeDelta: WAD / 2n, receiver: bob });
    await publishRound(s, ETH);
    const decreased = await client.waitForOrder({ hash: decrease, execute: true });
    const decreasedEvent = eventsNamed(decreased.events, "PositionDecreased")[0]!.args;
    expect(decreasedEvent).to.deep.include({ newSize: WAD, receiver: bob });
    expect(await s.usd.balanceOf(bob)).to.equal(bobBefore + decreasedEvent.payout);
    await client.waitForTransaction(await client.addMargin({ positionId: id, amount: 50n * USD }));
    await client.waitForTransaction(await client.removeMargin({ positionId: id, amount: 20n * USD }));
    const before = await s.usd.balanceOf(alice);
    const close = await client.requestClose({ positionId: id });
    expect((await client.getOrders(id)).close?.kind).to.equal("Close");
    await publishRound(s, ETH);
    const closed = await client.waitForOrder({ hash: close, execute: true });
    const closeEvent = eventsNamed(closed.events, "PositionClosed")[0]!;
    // Alice paid the execution fee with the request and earned it back by executing.
    expect(await s.usd.balanceOf(alice)).to.equal(before - minExecutionFee + closeEvent.args.payout + minExecutionFee);
    expect(await client.getPosition(id)).to.equal(null);

    const history = await client.getPositionEvents({ positionId: id });
    expect(history.map((event) => event.eventName)).to.deep.equal([
      "OrderRequested",
      "PositionOpened",
      "OrderExecuted",
      "OrderRequested",
      "PositionIncreased",
      "OrderExecuted",
      "OrderRequested",
      "PositionDecreased",
      "OrderExecuted",
      "MarginAdded",
      "MarginRemoved",
      "OrderRequested",
      "PositionClosed",
      "OrderExecuted",
    ]);
    // The same logs, fetched and decoded the ethers way.
    const ethersLogs = await s.engine.queryFilter(s.engine.filters.MarginAdded(id));
    expect(decodePositionEvents(ethersLogs)[0]).to.deep.include({
      eventName: "MarginAdded",
      args: {
        positionId: id,
        from: alice,
        amount: 50n * USD,
        newCollateral: (history[9]!.args as { newCollateral: bigint }).newCollateral,
      },
    });
  });

  it("requests with an EIP-2612 permit instead of an approval, and waits for the open", async function () {
    const carol = s.actors.carol.address as Address;
    await s.usd.mint(carol, 1_000n * USD);
    expect(await s.usd.allowance(carol, addresses.marginEngine)).to.equal(0n);
    const carolClient = createBulkheadClient({
      publicClient: clients.publicClient,
      walletClient: clients.walletFor(carol),
      addresses,
    });
    // Nobody keeps this chain: requestOpenAndWait executes the order itself once the feed's next round is out.
    const from = await clients.publicClient.getBlockNumber();
    const opening = carolClient.requestOpenAndWait({
      marketId: ETH,
      isLong: false,
      size: WAD / 10n,
      collateral: 100n * USD,
      approval: "permit",
      execute: true,
    });
    await untilOrderRequested(s, carol, from);
    await publishRound(s, ETH);
    const { positionId, event, outcome } = await opening;
    expect(event.owner).to.equal(carol);
    expect(outcome.event.executor).to.equal(carol);
    expect((await carolClient.getPosition(positionId))?.owner).to.equal(carol);
    expect(await s.usd.nonces(carol)).to.equal(1n);
    // Exactly what the request escrows was permitted, and the request spent it.
    expect(await s.usd.allowance(carol, addresses.marginEngine)).to.equal(0n);
  });

  it("waits for a cancelled order, which is refunded; nothing is left to claim", async function () {
    // An acceptable price below the round's answer: the order is cancelled at execution, the executor keeps the fee.
    const hash = await client.requestOpen({
      marketId: ETH,
      isLong: true,
      size: WAD,
      collateral: 600n * USD,
      acceptablePrice: ETH_PRICE - WAD,
    });
    const { positionId } = await client.waitForOrderRequested(hash);
    const before = await s.usd.balanceOf(alice);
    await publishRound(s, ETH);
    await keeperClient.waitForTransaction(await keeperClient.executeOrders({ positionIds: [positionId, 999n] }));
    const outcome = await client.waitForOrder({ hash });
    if (outcome.status !== "cancelled") throw new Error("the order should have been cancelled");
    expect(outcome.reason).to.equal("PriceBound");
    expect(outcome.event.executorFee).to.equal(s.global.minExecutionFee);
    expect(outcome.event.refund).to.equal(600n * USD + s.global.keeperReserve);
    expect(await s.usd.balanceOf(alice)).to.equal(before + outcome.event.refund);
    expect(await client.getPosition(positionId)).to.equal(null);
    // requestOpenAndWait throws the outcome when the order is cancelled (here it executes it itself, and keeps the fee).
    const from = await clients.publicClient.getBlockNumber();
    const refused = client
      .requestOpenAndWait({
        marketId: ETH,
        isLong: true,
        size: WAD,
        collateral: 600n * USD,
        acceptablePrice: ETH_PRICE - WAD,
        execute: true,
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    const { positionId: second } = await untilOrderRequested(s, alice, from);
    await publishRound(s, ETH);
    const error = await refused;
    expect(error).to.be.instanceOf(OrderCancelledError).and.instanceOf(BaseError);
    expect(error).to.deep.include({
      positionId: second,
      kind: "Open",
      reason: "PriceBound",
      refund: 600n * USD + s.global.keeperReserve,
    });

    // An order with no round before its deadline: waiting with `execute` cancels it (anyone may), refunded in full.
    const expiring = await client.requestOpen({
      marketId: ETH,
      isLong: false,
      size: WAD,
      collateral: 500n * USD,
      deadline: (await now(s)) + 30n,
    });
    await networkHelpers.time.increase(60n);
    const expired = await client.waitForOrder({ hash: expiring, execute: true });
    if (expired.status !== "cancelled") throw new Error("the order should have been cancelled");
    expect(expired.reason).to.equal("Expired");
    expect(expired.event).to.deep.include({
      executor: alice,
      refund: 500n * USD + s.global.keeperReserve + s.global.minExecutionFee,
      executorFee: 0n,
    });

    // Nothing waits to be claimed: every refund was paid. (A payout its receiver refuses becomes a claim: the
    // Solidity tests cover it with a token that can refuse.)
    expect(await client.getClaim(positionId)).to.equal(null);
    let nothing: unknown;
    await client.claim({ positionId }).catch((e: unknown) => (nothing = e));
    expect(nothing).to.be.instanceOf(NothingToClaimError);
    expect((nothing as NothingToClaimError).args).to.deep.equal({ positionId });
  });

  it("a reused vault's donation is swept to the insurance fund, and getPositionEvents reports it", async function () {
    const id = await openPosition(s, s.actors.alice, ETH, true, WAD, 600n * USD);
    const vault = (await client.getPosition(id))!.vault;
    const close = await client.requestClose({ positionId: id });
    await publishRound(s, ETH);
    await client.waitForOrder({ hash: close, execute: true });
    // Someone sends tokens to the emptied vault; the next position to take it must not be paid from them.
    await s.usd.mint(vault, 7n * USD);
    const insuranceBefore = await s.usd.balanceOf(s.insurance);
    const reused = await client.waitForTransaction(
      await client.requestOpen({ marketId: ETH, isLong: false, size: WAD, collateral: 500n * USD }),
    );
    const [requested] = eventsNamed(reused.events, "OrderRequested");
    expect((await client.getPosition(requested!.args.positionId))?.vault).to.equal(vault);
    expect(eventsNamed(reused.events, "VaultSwept").map((e) => e.args)).to.deep.equal([{ vault, amount: 7n * USD }]);
    expect(await s.usd.balanceOf(s.insurance)).to.equal(insuranceBefore + 7n * USD);
    // A sweep is about a vault, not a position: listed with every event, left out of one position's history.
    const block = reused.receipt.blockNumber;
    const all = await client.getPositionEvents({ fromBlock: block, toBlock: block });
    expect(all.map((e) => e.eventName)).to.deep.equal(["VaultSwept", "OrderRequested"]);
    const history = await client.getPositionEvents({ positionId: requested!.args.positionId, fromBlock: block });
    expect(history.map((e) => e.eventName)).to.deep.equal(["OrderRequested"]);
  });

  it("liquidates one position and a batch that skips healthy ids", async function () {
    const ids: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(await openPosition(s, s.actors.alice, ETH, true, 10n * WAD, 3_000n * USD + BigInt(i) * 10n * USD));
    }
    const healthy = await openPosition(s, s.actors.alice, ETH, false, WAD, 1_000n * USD);
    await setPrice(s, ETH, (ETH_PRICE * 94n) / 100n);
    const keeper = clients.walletFor(s.actors.keeper.address as Address);
    const expected = await getPositionSummary(clients.publicClient, { addresses, positionId: ids[0]! });
    expect(expected.liquidatable).to.equal(true);
    const single = await client.waitForTransaction(await liquidate(keeper, { addresses, positionId: ids[0]! }));
    const event = eventsNamed(single.events, "PositionLiquidated")[0]!;
    expect(event.args.keeper).to.equal(s.actors.keeper.address);
    expect(event.args.keeperReward).to.equal(expected.preview.keeperReward);

    const batch = await keeperClient.waitForTransaction(
      await keeperClient.liquidateBatch({ positionIds: [ids[1]!, healthy, ids[2]!, 999n] }),
    );
    expect(eventsNamed(batch.events, "PositionLiquidated").map((e) => e.args.positionId)).to.deep.equal([
      ids[1],
      ids[2],
    ]);
    expect(await client.getPosition(healthy)).to.not.equal(null);
  });

  it("deposits and redeems liquidity through requests; reads the pool and the requests", async function () {
    const bob = s.actors.bob.address as Address;
    await s.usd.mint(bob, 10_000n * USD);
    const lp = createBulkheadClient({
      publicClient: clients.publicClient,
      walletClient: clients.walletFor(bob),
      addresses,
    });
    const before = await lp.getPoolState();
    await lp.waitForTransaction(await lp.requestDeposit({ assets: 10_000n * USD }));
    let requests = await lp.getLpRequests(bob);
    expect(requests.deposit.pending).to.equal(10_000n * USD);
    const { lpDelay } = await s.config.lpParams();
    expect(requests.deposit.executableAt).to.equal(requests.timestamp + lpDelay);
    // Assets waiting for execution are not equity.
    const pending = await lp.getPoolState();
    expect(pending.balance).to.equal(before.balance + 10_000n * USD);
    expect(pending.equityAssets).to.equal(before.equityAssets);

    await s.connection.networkHelpers.time.increase(lpDelay);
    await lp.waitForTransaction(await lp.executeDeposits({ controllers: [bob] }));
    requests = await lp.getLpRequests(bob);
    expect(requests.deposit.pending).to.equal(0n);
    // The executor took the execution fee the request was made with out of it.
    const { executionFee } = await s.config.lpParams();
    expect(requests.deposit.claimableAssets).to.equal(10_000n * USD - executionFee);
    const shares = requests.deposit.claimableShares;
    expect(shares).to.equal(await s.pool.maxMint(bob));
    await lp.waitForTransaction(await lp.claimDeposit({ assets: 10_000n * USD - executionFee }));
    expect(await s.pool.balanceOf(bob)).to.equal(shares);
    const balance = await lp.getLiquidityBalance({ owner: bob });
    expect(balance.shares).to.equal(shares);
    expect(balance.assets).to.equal(await s.pool.convertToAssets(shares));

    const pool = await lp.getPoolState();
    expect(pool.totalAssets).to.equal(await s.pool.totalAssets());
    expect(pool.totalSupply).to.equal(await s.pool.totalSupply());
    expect(pool.freeLiquidity).to.equal(await s.pool.freeLiquidity());
    expect(pool.equityAssets).to.equal(before.equityAssets + 10_000n * USD - executionFee);
    expect(pool.cachedSharePrice).to.equal(await s.pool.cachedSharePrice());
    expect(pool.executionOpen).to.equal(true);
    expect(pool.redeemQueue).to.deep.equal([]);

    await lp.waitForTransaction(await lp.requestRedeem({ shares }));
    expect((await lp.getPoolState()).redeemQueue).to.deep.equal([bob]);
    await s.connection.networkHelpers.time.increase(lpDelay);
    await lp.waitForTransaction(await lp.executeRedeems({ maxRequests: 1n }));
    requests = await lp.getLpRequests(bob);
    expect(requests.redeem.pending).to.equal(0n);
    expect(requests.redeem.claimableShares).to.equal(shares);
    await lp.waitForTransaction(await lp.claimRedeem({ shares }));
    expect(await s.pool.balanceOf(bob)).to.equal(0n);
    // Less a unit at most: the pool rounds against the LP.
    expect(await s.usd.balanceOf(bob)).to.be.within(10_000n * USD - 1n, 10_000n * USD);
  });

  it("reads markets and parameters; needs a wallet client only to write", async function () {
    const markets = await client.getMarkets();
    expect(markets.map((m) => m.marketId)).to.deep.equal([0n, 1n]);
    expect(markets[0]!.params).to.deep.equal(s.markets[0]);
    expect(markets[0]!.price).to.equal(ETH_PRICE);
    expect(await client.getGlobalParams()).to.deep.equal(s.global);
    const readOnly = createBulkheadClient({ publicClient: clients.publicClient, addresses });
    let error: unknown;
    await readOnly.addMargin({ positionId: 1n, amount: 1n }).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(WalletClientRequiredError);
    expect(
      await resolveAddresses(clients.publicClient, {
        marginEngine: addresses.marginEngine,
        bulkheadLens: addresses.bulkheadLens,
      }),
    ).to.deep.equal(addresses);
  });

  it("loads the deploy tooling's record (deployments/<chainId>.json), checks the chain, and serves ethers users", async function () {
    const entry = (address: string, abi: string): { address: string; abi: string } => ({ address, abi });
    const ethersProvider = connection.ethers.provider;
    const record = await buildRecord(ethersProvider, {
      chainId: 31337,
      network: "default",
      genesisHash: (await ethersProvider.getBlock(0))!.hash!,
      deploymentBlock: 1,
      deployer: s.actors.deployer.address,
      kind: "local",
      contracts: {
        accessManager: entry(await s.manager.getAddress(), "AccessManager"),
        asset: entry(addresses.asset, "TestStablecoin"),
        riskConfig: entry(addresses.riskConfig, "RiskConfig"),
        pool: entry(addresses.liquidityPool, "LiquidityPool"),
        insuranceFund: entry(addresses.insuranceFund, "InsuranceFund"),
        engine: entry(addresses.marginEngine, "MarginEngine"),
        orderModule: entry(await s.engine.ORDER_MODULE(), "OrderModule"),
        liquidationModule: entry(await s.engine.LIQUIDATION_MODULE(), "LiquidationModule"),
        vaultImplementation: entry(await s.engine.VAULT_IMPLEMENTATION(), "PositionVault"),
        lens: entry(addresses.bulkheadLens!, "BulkheadLens"),
      },
      marketNames: ["ETH-USD", "BTC-USD"],
      feedAbis: ["MockV3Aggregator", "MockV3Aggregator"],
      guardian: s.actors.guardian.address,
      timelockMembers: { proposers: [], executors: [] },
    });
    const dir = mkdtempSync(join(tmpdir(), "bulkhead-sdk-deployment-"));
    try {
      writeFileSync(join(dir, "31337.json"), serializeRecord(record));
      const deployment = await loadDeployment({ chainId: 31337, dir });
      expect(deployment.addresses).to.deep.equal(addresses);
      expect(deployment.deploymentBlock).to.equal(1n);
      expect(deployment.assetDecimals).to.equal(6);
      expect(deployment.global).to.deep.equal(s.global);
      expect(deployment.markets.map((m) => [m.marketId, m.name])).to.deep.equal([
        [0n, "ETH-USD"],
        [1n, "BTC-USD"],
      ]);
      expect(deployment.markets[1]!.params).to.deep.equal(s.markets[1]);

      const fromFile = createBulkheadClient({ publicClient: clients.publicClient, deployment });
      expect((await fromFile.getMarket(ETH)).price).to.equal(ETH_PRICE);
      const elsewhere = createBulkheadClient({
        publicClient: clients.publicClient,
        deployment: { ...deployment, chainId: 1 },
      });
      let error: unknown;
      await elsewhere.getMarket(ETH).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(ChainMismatchError);

      const contracts = connectBulkhead(deployment, ethersProvider);
      expect(await contracts.marginEngine.nextPositionId()).to.equal(1n);
      expect(
        await MarginEngine__factory.connect(deployment.addresses.marginEngine, ethersProvider).RISK_CONFIG(),
      ).to.equal(addresses.riskConfig);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => parseDeployment({ chainId: 1, contracts: { pool: addresses.liquidityPool } })).to.throw(
      InvalidDeploymentError,
    );
    expect(() => parseDeployment({ chainId: 1, contracts: { engine: "0x1234" } })).to.throw(InvalidDeploymentError);
  });
});

describe("SDK generated bindings", function () {
  const abis = { ...publicAbis, ...mockAbis };
  const artifactAbi = (path: string): unknown =>
    (JSON.parse(readFileSync(join(ROOT, "artifacts", path), "utf8")) as { abi: unknown }).abi;
  const cases: [Exclude<keyof typeof abis, "settlementTokenAbi">, string][] = [
    ["marginEngineAbi", "contracts/MarginEngine.sol/MarginEngine.json"],
    ["liquidityPoolAbi", "contracts/LiquidityPool.sol/LiquidityPool.json"],
    ["insuranceFundAbi", "contracts/InsuranceFund.sol/InsuranceFund.json"],
    ["riskConfigAbi", "contracts/RiskConfig.sol/RiskConfig.json"],
    ["bulkheadLensAbi", "contracts/BulkheadLens.sol/BulkheadLens.json"],
    ["positionVaultAbi", "contracts/PositionVault.sol/PositionVault.json"],
    ["testStablecoinAbi", "contracts/mocks/TestStablecoin.sol/TestStablecoin.json"],
    ["iMarginEngineAbi", "contracts/interfaces/IMarginEngine.sol/IMarginEngine.json"],
    ["iRiskConfigAbi", "contracts/interfaces/IRiskConfig.sol/IRiskConfig.json"],
    ["iBulkheadLensAbi", "contracts/interfaces/IBulkheadLens.sol/IBulkheadLens.json"],
    // Read from the packages' published ABIs; the same as what Hardhat builds from their sources.
    ["ierc20MetadataAbi", "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol/IERC20Metadata.json"],
    ["mockV3AggregatorAbi", "@chainlink/contracts/src/v0.8/tests/MockV3Aggregator.sol/MockV3Aggregator.json"],
  ];
  const canonical = (abi: unknown): string =>
    JSON.stringify(
      (abi as Record<string, unknown>[]).map((item) => JSON.stringify(item, Object.keys(item).sort())).sort(),
    );

  for (const [name, path] of cases) {
    it(`${name} is the artifact's ABI (regenerated by the build)`, function () {
      // Key order differs between solc and wagmi's output; the content may not.
      const generated = JSON.parse(JSON.stringify(abis[name])) as unknown[];
      const artifact = artifactAbi(path) as unknown[];
      expect(generated.length).to.equal(artifact.length);
      expect(canonical(generated.map(deepSort))).to.equal(canonical(artifact.map(deepSort)));
    });
  }

  it("bulkheadErrorsAbi holds every error of every SDK contract", function () {
    const names = new Set(abis.bulkheadErrorsAbi.map((item) => item.name));
    for (const [, path] of cases) {
      for (const item of artifactAbi(path) as { type: string; name?: string }[]) {
        if (item.type === "error") expect(names.has(item.name as never), `${item.name} of ${path}`).to.equal(true);
      }
    }
  });

  it("decodes every engine event the SDK lists from viem and ethers logs alike, with the enums by name", function () {
    const names = positionEventsAbi.map((item) => item.name).sort();
    expect(names).to.deep.equal([...POSITION_EVENT_NAMES].sort());
    const engineEvents = publicAbis.marginEngineAbi.filter((item) => item.type === "event").map((item) => item.name);
    // Every event the engine emits is one of them (the engine has no others).
    expect([...engineEvents].sort()).to.deep.equal(names);
    const sample = (type: string, i: number): unknown => {
      if (type === "address") return getAddress(`0x${(0xc0 + i).toString(16).repeat(20)}`);
      if (type === "bool") return i % 2 === 1;
      if (type === "uint8") return (i % 4) + 1;
      if (type.startsWith("int")) return -BigInt(i + 1) * 10n ** 6n;
      return BigInt(i + 1) * 10n ** 6n;
    };
    for (const item of positionEventsAbi) {
      const args = Object.fromEntries(item.inputs.map((input, i) => [input.name, sample(input.type, i)]));
      const topics = encodeEventTopics({ abi: [item], eventName: item.name, args } as never) as Hex[];
      const data = encodeAbiParameters(
        item.inputs.filter((input) => !input.indexed),
        item.inputs.filter((input) => !input.indexed).map((input) => args[input.name]) as never,
      );
      const engine = "0x00000000000000000000000000000000000000e1" as const;
      const viemLog = { topics, data, address: engine, blockNumber: 7n, transactionHash: "0x01", logIndex: 3 };
      const decoded = decodePositionEvent(viemLog, { engine });
      expect(decoded, item.name).to.deep.equal({
        eventName: item.name,
        args,
        address: engine,
        blockNumber: 7n,
        transactionHash: "0x01",
        logIndex: 3,
      });
      // An ethers log: `index` rather than `logIndex`, a number block.
      expect(decodePositionEvent({ topics, data, address: engine, blockNumber: 7, index: 3 })?.args).to.deep.equal(
        args,
      );
      // Another contract's log is not the engine's.
      expect(decodePositionEvent(viemLog, { engine: "0x00000000000000000000000000000000000000e2" })).to.equal(
        undefined,
      );
    }
    expect(orderKindName(4)).to.equal("Close");
    expect(cancelReasonName(10)).to.equal("Margin");
    expect(orderStatusName(3n)).to.equal("Cancellable");
    expect(() => cancelReasonName(11)).to.throw(UnknownEnumValueError);
  });

  it("the engine's enums, by name, are IMarginEngine.sol's in declaration order", function () {
    const source = readFileSync(join(ROOT, "contracts", "interfaces", "IMarginEngine.sol"), "utf8");
    const members = (name: string): string[] => {
      const body = new RegExp(`enum ${name} \\{([^}]*)\\}`).exec(source)?.[1];
      if (body === undefined) throw new Error(`no enum ${name} in IMarginEngine.sol`);
      return body
        .split("\n")
        .map((line) => line.replace(/\/\/.*$/, "").trim())
        .join("")
        .split(",")
        .filter((member) => member !== "");
    };
    expect([...ORDER_KINDS]).to.deep.equal(members("OrderKind"));
    expect([...CANCEL_REASONS]).to.deep.equal(members("CancelReason"));
    expect([...ORDER_STATUSES]).to.deep.equal(members("OrderStatus"));
  });

  it("the package version and the version the errors report agree", function () {
    const pkg = JSON.parse(readFileSync(join(ROOT, "sdk", "package.json"), "utf8")) as { version: string };
    expect(version).to.equal(pkg.version);
  });
});

function deepSort(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(deepSort);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, deepSort((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

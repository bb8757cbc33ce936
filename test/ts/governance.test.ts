import { expect } from "chai";
import { MaxUint256, encodeBytes32String } from "ethers";
import { network } from "hardhat";

import {
  ANY_PRICE,
  CancelReason,
  ETH,
  EXECUTION_FEE,
  HEARTBEAT,
  KEEPER_RESERVE,
  LP_DELAY,
  MAX_ORDER_WAIT,
  ORDER_EXECUTION_FEE,
  OrderKind,
  USD,
  WAD,
  advance,
  closePosition,
  decrease,
  defaultGlobalParams,
  defaultLpParams,
  defaultMarketParams,
  deployBulkhead,
  executeAt,
  increase,
  mined,
  fund,
  now,
  openPosition,
  publishRound,
  requestIncrease,
  requestOpen,
  type Bulkhead,
} from "./fixture.js";

const { networkHelpers } = await network.create();

describe("RiskConfig: pause and governance", function () {
  let s: Bulkhead;

  beforeEach(async function () {
    s = await networkHelpers.loadFixture(deployBulkhead);
  });

  it("pause stops opens and increases only: close, decrease, margin calls and liquidation go on", async function () {
    const { engine, config, usd } = s;
    const { alice, bob, keeper, guardian } = s.actors;
    const kept = await openPosition(s, alice, ETH, true, 2n * WAD, 1_500n * USD);
    const closing = await openPosition(s, alice, ETH, false, WAD, 600n * USD);
    const doomed = await openPosition(s, bob, ETH, true, WAD, 310n * USD);
    // Requested before the pause, executed after it: an increase whose execution is refused by the pause.
    await requestIncrease(s, kept, WAD / 10n, 10n * USD);
    await fund(s, alice, 10_000n * USD);

    await expect(config.connect(guardian).pause()).to.emit(config, "Paused").withArgs(guardian.address);
    expect(await config.paused()).to.equal(true);
    const d = (await now(s)) + 3_600n;
    const fee = ORDER_EXECUTION_FEE;
    const nextId = await engine.nextPositionId();
    await expect(
      engine.connect(alice).requestOpen(ETH, true, WAD, 600n * USD, ANY_PRICE, d, fee),
    ).to.be.revertedWithCustomError(engine, "Paused");
    await expect(
      engine.connect(alice).requestOpen(ETH, false, WAD, 600n * USD, 0n, d, fee),
    ).to.be.revertedWithCustomError(engine, "Paused");
    expect(await engine.nextPositionId()).to.equal(nextId);

    // The pending increase cannot execute while paused: cancelled with a full refund (the executor cannot provoke a
    // fee for itself by timing a pause), and the position is as it was.
    const before = await engine.position(kept);
    const aliceBefore = await usd.balanceOf(alice);
    const keeperBefore = await usd.balanceOf(keeper);
    const paused = await executeAt(s, ETH, [kept]);
    expect(paused.executed).to.deep.equal([]);
    expect(paused.cancelled).to.deep.equal([
      { positionId: kept, kind: OrderKind.Increase, reason: "Paused", refund: 10n * USD + fee, executorFee: 0n },
    ]);
    expect(await usd.balanceOf(alice)).to.equal(aliceBefore + 10n * USD + fee);
    expect(await usd.balanceOf(keeper)).to.equal(keeperBefore);
    expect(await engine.position(kept)).to.deep.equal(before);
    expect((await engine.orders(kept)).order.kind).to.equal(OrderKind.None);
    // A new increase is refused at the request.
    await expect(engine.connect(alice).requestIncrease(kept, WAD, 0n, ANY_PRICE, d, fee)).to.be.revertedWithCustomError(
      engine,
      "Paused",
    );

    await advance(s, 600n);
    const asAlice = engine.connect(alice);
    await expect(asAlice.addMargin(kept, 100n * USD)).to.emit(engine, "MarginAdded");
    await expect(asAlice.removeMargin(kept, 50n * USD, alice)).to.emit(engine, "MarginRemoved");
    const decreased = await decrease(s, kept, WAD / 2n, { price: 2_750n * WAD });
    expect(decreased.executed).to.deep.equal([kept]);
    expect((await engine.position(kept)).size).to.equal((3n * WAD) / 2n);
    await closePosition(s, closing);
    expect((await engine.position(closing)).owner).to.equal(s.connection.ethers.ZeroAddress);
    await expect(engine.connect(keeper).liquidate(doomed)).to.emit(engine, "PositionLiquidated");

    await expect(config.connect(guardian).unpause()).to.emit(config, "Unpaused").withArgs(guardian.address);
    await increase(s, kept, WAD / 10n, 0n);
    expect((await engine.position(kept)).size).to.equal((3n * WAD) / 2n + WAD / 10n);
    const reopened = await openPosition(s, alice, ETH, true, WAD, 600n * USD);
    expect((await engine.position(reopened)).size).to.equal(WAD);
  });

  it("only governance sets the order parameters, each within its bounds; a pending order keeps its fee and deadline", async function () {
    const { config, engine, usd, ethFeed } = s;
    const { alice, governance, guardian, keeper } = s.actors;
    const global = defaultGlobalParams();
    const market = defaultMarketParams(await ethFeed.getAddress());
    expect((await config.globalParams()).maxExecutionDelay).to.equal(global.maxExecutionDelay);
    expect((await config.globalParams()).minExecutionFee).to.equal(global.minExecutionFee);
    expect((await config.marketParams(ETH)).maxOrderWait).to.equal(MAX_ORDER_WAIT);

    const raised = { ...global, minExecutionFee: 2n * USD, maxExecutionDelay: 30n };
    for (const who of [alice, guardian]) {
      await expect(config.connect(who).setGlobalParams(raised))
        .to.be.revertedWithCustomError(config, "AccessManagedUnauthorized")
        .withArgs(who.address);
    }
    // An execution window of 15 s to 5 min; a minimum fee of at most 100 USD; an order waits at least a heartbeat.
    const bound = (name: string) => encodeBytes32String(name);
    await expect(config.connect(governance).setGlobalParams({ ...raised, maxExecutionDelay: 14n }))
      .to.be.revertedWithCustomError(config, "ParameterOutOfBounds")
      .withArgs(bound("maxExecutionDelay"), 14n, 15n, 300n);
    await expect(config.connect(governance).setGlobalParams({ ...raised, maxExecutionDelay: 301n }))
      .to.be.revertedWithCustomError(config, "ParameterOutOfBounds")
      .withArgs(bound("maxExecutionDelay"), 301n, 15n, 300n);
    await expect(config.connect(governance).setGlobalParams({ ...raised, minExecutionFee: 100n * USD + 1n }))
      .to.be.revertedWithCustomError(config, "ParameterOutOfBounds")
      .withArgs(bound("minExecutionFee"), 100n * USD + 1n, 0n, 100n * USD);
    await expect(config.connect(governance).setMarketParams(ETH, { ...market, maxOrderWait: HEARTBEAT - 1n }))
      .to.be.revertedWithCustomError(config, "ParameterOutOfBounds")
      .withArgs(bound("maxOrderWait"), HEARTBEAT - 1n, HEARTBEAT, 2n * 86_400n + 3_600n);
    await expect(config.connect(governance).setMarketParams(ETH, { ...market, maxOrderWait: 2n * 86_400n + 3_601n }))
      .to.be.revertedWithCustomError(config, "ParameterOutOfBounds")
      .withArgs(bound("maxOrderWait"), 2n * 86_400n + 3_601n, HEARTBEAT, 2n * 86_400n + 3_600n);
    expect((await config.globalParams()).minExecutionFee).to.equal(global.minExecutionFee);
    expect((await config.marketParams(ETH)).maxOrderWait).to.equal(MAX_ORDER_WAIT);

    // A request made before the change keeps its fee and its deadline (capped by the wait in force when made).
    const pending = await requestOpen(s, alice, ETH, true, WAD, 600n * USD, { deadline: MaxUint256 });
    const requestedAt = await now(s);
    expect((await engine.orders(pending)).order.deadline).to.equal(requestedAt + MAX_ORDER_WAIT);
    await expect(config.connect(governance).setGlobalParams(raised)).to.emit(config, "GlobalParamsUpdated");
    await expect(config.connect(governance).setMarketParams(ETH, { ...market, maxOrderWait: HEARTBEAT })).to.emit(
      config,
      "MarketParamsUpdated",
    );
    expect((await engine.orders(pending)).order.executionFee).to.equal(ORDER_EXECUTION_FEE);
    expect((await engine.orders(pending)).order.deadline).to.equal(requestedAt + MAX_ORDER_WAIT);
    const keeperBefore = await usd.balanceOf(keeper);
    expect((await executeAt(s, ETH, [pending])).executed).to.deep.equal([pending]);
    expect(await usd.balanceOf(keeper)).to.equal(keeperBefore + ORDER_EXECUTION_FEE);

    // The next requests pay the new minimum, and wait at most the new maxOrderWait.
    const t = (await now(s)) + 1n;
    await networkHelpers.time.setNextBlockTimestamp(t);
    await fund(s, alice, 1_000n * USD);
    await expect(
      engine.connect(alice).requestOpen(ETH, true, WAD, 600n * USD, ANY_PRICE, t + 7_200n, ORDER_EXECUTION_FEE),
    )
      .to.be.revertedWithCustomError(engine, "ExecutionFeeTooLow")
      .withArgs(ORDER_EXECUTION_FEE, 2n * USD);
    const next = await requestOpen(s, alice, ETH, true, WAD, 600n * USD, {
      deadline: MaxUint256,
      executionFee: 2n * USD,
    });
    expect((await engine.orders(next)).order.deadline).to.equal((await now(s)) + HEARTBEAT);
    expect((await engine.orders(next)).order.executionFee).to.equal(2n * USD);
    // The window is now 30 s: a round 31 s old no longer executes the order, and anyone may cancel it in full.
    const roundAt = await publishRound(s, ETH);
    // At roundAt + 30, the window's last second, the order can still execute, so it cannot be cancelled.
    await networkHelpers.time.setNextBlockTimestamp(roundAt + 30n);
    await expect(engine.connect(keeper).cancelOrder(next))
      .to.be.revertedWithCustomError(engine, "OrderStillExecutable")
      .withArgs(next);
    await networkHelpers.time.setNextBlockTimestamp(roundAt + 31n);
    const aliceBefore = await usd.balanceOf(alice);
    await expect(engine.connect(keeper).cancelOrder(next))
      .to.emit(engine, "OrderCancelled")
      .withArgs(
        next,
        OrderKind.Open,
        CancelReason.WindowMissed,
        keeper.address,
        600n * USD + KEEPER_RESERVE + 2n * USD,
        0n,
      );
    expect(await usd.balanceOf(alice)).to.equal(aliceBefore + 600n * USD + KEEPER_RESERVE + 2n * USD);
  });

  it("only the guardian pauses and only governance sets parameters, each within its hard-coded bounds", async function () {
    const { config, manager, ethFeed } = s;
    const { alice, governance, guardian } = s.actors;
    await expect(config.connect(alice).pause())
      .to.be.revertedWithCustomError(config, "AccessManagedUnauthorized")
      .withArgs(alice.address);
    await expect(config.connect(governance).pause())
      .to.be.revertedWithCustomError(config, "AccessManagedUnauthorized")
      .withArgs(governance.address);

    const params = defaultMarketParams(await ethFeed.getAddress());
    await expect(config.connect(guardian).setMarketParams(ETH, params))
      .to.be.revertedWithCustomError(config, "AccessManagedUnauthorized")
      .withArgs(guardian.address);
    // The roles are the ones the fixture set up.
    expect((await manager.hasRole(1n, governance)).isMember).to.equal(true);
    expect((await manager.hasRole(2n, guardian)).isMember).to.equal(true);

    // mmr must stay below imr (10 %): at most 10 % − 1 wei.
    await expect(config.connect(governance).setMarketParams(ETH, { ...params, mmr: WAD / 10n }))
      .to.be.revertedWithCustomError(config, "ParameterOutOfBounds")
      .withArgs(encodeBytes32String("mmr"), WAD / 10n, WAD / 200n, WAD / 10n - 1n);
    await expect(config.connect(governance).setMarketParams(ETH, { ...params, imr: WAD / 200n }))
      .to.be.revertedWithCustomError(config, "ParameterOutOfBounds")
      .withArgs(encodeBytes32String("imr"), WAD / 200n, WAD / 100n, WAD);
    await expect(config.connect(governance).setMarketParams(9n, params))
      .to.be.revertedWithCustomError(config, "UnknownMarket")
      .withArgs(9n);

    const tighter = { ...params, mmr: WAD / 16n };
    await expect(config.connect(governance).setMarketParams(ETH, tighter)).to.emit(config, "MarketParamsUpdated");
    expect((await config.marketParams(ETH)).mmr).to.equal(WAD / 16n);
  });

  it("only governance sets the LP parameters, within their bounds; a request keeps the fee it was made with", async function () {
    const { config, pool, usd } = s;
    const { alice, governance, guardian, lp2, keeper } = s.actors;
    const lp = defaultLpParams();
    expect(await config.lpParams()).to.deep.equal([
      lp.lpDelay,
      lp.lpSettle,
      lp.lpResume,
      lp.minRequest,
      lp.executionFee,
    ]);
    const raised = { ...lp, minRequest: 100n * USD, executionFee: 2n * USD };
    for (const who of [alice, guardian]) {
      await expect(config.connect(who).setLpParams(raised))
        .to.be.revertedWithCustomError(config, "AccessManagedUnauthorized")
        .withArgs(who.address);
    }
    // The fee comes out of the request, so it is below the minimum request; the delay is at least a minute.
    await expect(config.connect(governance).setLpParams({ ...raised, executionFee: 100n * USD }))
      .to.be.revertedWithCustomError(config, "ParameterOutOfBounds")
      .withArgs(encodeBytes32String("executionFee"), 100n * USD, 0n, 100n * USD - 1n);
    await expect(config.connect(governance).setLpParams({ ...raised, lpDelay: 59n }))
      .to.be.revertedWithCustomError(config, "ParameterOutOfBounds")
      .withArgs(encodeBytes32String("lpDelay"), 59n, 60n, 86_400n);
    expect((await config.lpParams()).minRequest).to.equal(lp.minRequest);

    // A request made before the change keeps its fee; the next ones pay the new fee and meet the new minimum.
    await mined(usd.mint(lp2, 1_000n * USD));
    await mined(usd.connect(lp2).approve(pool, 1_000n * USD));
    await mined(pool.connect(lp2).requestDeposit(50n * USD, lp2, lp2));
    await expect(config.connect(governance).setLpParams(raised)).to.emit(config, "LpParamsUpdated");
    await advance(s, LP_DELAY);
    await expect(pool.connect(keeper).executeDeposits([lp2.address])).to.changeTokenBalance(
      s.connection.ethers,
      usd,
      keeper,
      EXECUTION_FEE,
    );
    await expect(pool.connect(lp2).requestDeposit(50n * USD, lp2, lp2))
      .to.be.revertedWithCustomError(pool, "RequestTooSmall")
      .withArgs(50n * USD, 100n * USD);
    await mined(pool.connect(lp2).requestDeposit(100n * USD, lp2, lp2));
    await advance(s, LP_DELAY);
    await expect(pool.connect(keeper).executeDeposits([lp2.address])).to.changeTokenBalance(
      s.connection.ethers,
      usd,
      keeper,
      2n * USD,
    );
  });

  it("only governance settles a market, and only once its feed has been dead for three days", async function () {
    const { config } = s;
    const { alice, governance } = s.actors;
    await expect(config.connect(alice).settleMarket(ETH))
      .to.be.revertedWithCustomError(config, "AccessManagedUnauthorized")
      .withArgs(alice.address);
    // A live feed is not dead.
    await expect(config.connect(governance).settleMarket(ETH)).to.be.revertedWithCustomError(config, "FeedNotDead");
    expect(await config.settlementPrice(ETH)).to.equal(0n);
    await expect(config.connect(governance).settleMarket(9n))
      .to.be.revertedWithCustomError(config, "UnknownMarket")
      .withArgs(9n);
  });
});

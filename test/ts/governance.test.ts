import { expect } from "chai";
import { MaxUint256, encodeBytes32String } from "ethers";
import { network } from "hardhat";

import {
  ETH,
  EXECUTION_FEE,
  LP_DELAY,
  USD,
  WAD,
  advance,
  deadline,
  defaultLpParams,
  defaultMarketParams,
  deployBulkhead,
  mined,
  fund,
  openPosition,
  setPrice,
  type Bulkhead,
} from "./fixture.js";

const { networkHelpers } = await network.create();

describe("RiskConfig: pause and governance", function () {
  let s: Bulkhead;

  beforeEach(async function () {
    s = await networkHelpers.loadFixture(deployBulkhead);
  });

  it("pause stops opens and increases only: close, decrease, margin calls and liquidation go on", async function () {
    const { engine, config } = s;
    const { alice, bob, keeper, guardian } = s.actors;
    const kept = await openPosition(s, alice, ETH, true, 2n * WAD, 1_500n * USD);
    const closing = await openPosition(s, alice, ETH, false, WAD, 600n * USD);
    const doomed = await openPosition(s, bob, ETH, true, WAD, 310n * USD);
    await fund(s, alice, 10_000n * USD);

    await expect(config.connect(guardian).pause()).to.emit(config, "Paused").withArgs(guardian.address);
    expect(await config.paused()).to.equal(true);
    const d = await deadline(s);
    await expect(engine.connect(alice).open(ETH, true, WAD, 600n * USD, MaxUint256, d)).to.be.revertedWithCustomError(
      engine,
      "Paused",
    );
    await expect(engine.connect(alice).increase(kept, WAD, 0n, MaxUint256, d)).to.be.revertedWithCustomError(
      engine,
      "Paused",
    );

    await advance(s, 600n);
    await setPrice(s, ETH, 2_750n * WAD);
    const asAlice = engine.connect(alice);
    await expect(asAlice.addMargin(kept, 100n * USD)).to.emit(engine, "MarginAdded");
    await expect(asAlice.removeMargin(kept, 50n * USD)).to.emit(engine, "MarginRemoved");
    await expect(asAlice.decrease(kept, WAD / 2n, 0n, await deadline(s))).to.emit(engine, "PositionDecreased");
    await expect(asAlice.close(closing, MaxUint256, await deadline(s))).to.emit(engine, "PositionClosed");
    await expect(engine.connect(keeper).liquidate(doomed)).to.emit(engine, "PositionLiquidated");

    await expect(config.connect(guardian).unpause()).to.emit(config, "Unpaused").withArgs(guardian.address);
    await expect(asAlice.increase(kept, WAD / 10n, 0n, MaxUint256, await deadline(s))).to.emit(
      engine,
      "PositionIncreased",
    );
    await expect(asAlice.open(ETH, true, WAD, 600n * USD, MaxUint256, await deadline(s))).to.emit(
      engine,
      "PositionOpened",
    );
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
    // The fee comes out of the request, so it is at most the minimum request; the delay is at least a minute.
    await expect(config.connect(governance).setLpParams({ ...raised, executionFee: 100n * USD + 1n }))
      .to.be.revertedWithCustomError(config, "ParameterOutOfBounds")
      .withArgs(encodeBytes32String("executionFee"), 100n * USD + 1n, 0n, 100n * USD);
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

import { expect } from "chai";
import { MaxUint256, encodeBytes32String } from "ethers";
import { network } from "hardhat";

import {
  ETH,
  USD,
  WAD,
  advance,
  deadline,
  defaultMarketParams,
  deployBulkhead,
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
});

import { expect } from "chai";
import { MaxUint256 } from "ethers";
import { network } from "hardhat";

import {
  BORROW_RATE,
  BTC,
  ETH,
  HEARTBEAT,
  KEEPER_RESERVE,
  MIN_COLLATERAL,
  MIN_NOTIONAL,
  POOL_LIQUIDITY,
  SCALE,
  USD,
  WAD,
  advance,
  deadline,
  deployBulkhead,
  fund,
  mined,
  openPosition,
  pinNextBlock,
  setPrice,
  vaultBalance,
  type Bulkhead,
} from "./fixture.js";
import {
  averageEntry,
  borrowFeeOf,
  capAtOpen,
  mulDivDown,
  mulDivUp,
  notionalUp,
  owedOnNotional,
  pnlOf,
} from "./expected-math.js";

const { ethers, networkHelpers } = await network.create();

describe("MarginEngine: a position's life", function () {
  let s: Bulkhead;

  beforeEach(async function () {
    s = await networkHelpers.loadFixture(deployBulkhead);
  });

  it("opens, increases, decreases, adds and removes margin and closes in profit, paying exactly what the rules say", async function () {
    const { engine, usd, pool, insurance } = s;
    const { alice } = s.actors;
    await fund(s, alice, 10_000n * USD);
    const aliceStart = await usd.balanceOf(alice);
    const id = await engine.nextPositionId();
    const vault = await engine.vaultOf(id);
    expect(await usd.balanceOf(vault)).to.equal(0n);

    // ---- open: 1 ETH long at 3,000 with 600 USD; 0.1 % opening fee = 3 USD, 5 USD keeper reserve.
    const tOpen = await pinNextBlock(s, 10n);
    const open = engine.connect(alice).open(ETH, true, WAD, 600n * USD, 3_000n * WAD, tOpen);
    await expect(open)
      .to.emit(engine, "PositionOpened")
      .withArgs(id, alice.address, ETH, true, vault, WAD, 3_000n * WAD, 600n * USD, 3n * USD);
    await expect(open).to.changeTokenBalances(ethers, usd, [alice, vault, pool], [-(608n * USD), 605n * USD, 3n * USD]);
    let p = await engine.position(id);
    expect(p.owner).to.equal(alice.address);
    expect(p.collateral).to.equal(600n * USD);
    expect(p.size).to.equal(WAD);
    expect(p.entryPrice).to.equal(3_000n * WAD);
    // The market was never touched before: its index starts at zero now.
    expect(p.borrowIndex).to.equal(0n);
    // The cap is the lower of 9 × 600 = 5,400 USD and 100 % of the 3,000 USD notional.
    expect(p.maxProfit).to.equal(3_000n * USD);
    expect(p.maxProfit).to.equal(capAtOpen(600n * USD, WAD, 3_000n * WAD, s.markets[0]));
    expect(await engine.totalReserved()).to.equal(3_000n * USD);
    const indexAt = (t: bigint): bigint => BORROW_RATE * (t - tOpen);

    // ---- increase by 0.5 ETH at 3,100, adding 100 USD.
    await advance(s, 1_800n);
    await setPrice(s, ETH, 3_100n * WAD);
    const tIncrease = await pinNextBlock(s, 60n);
    const increaseFees =
      borrowFeeOf(WAD, 3_000n * WAD, indexAt(tIncrease)) + owedOnNotional(WAD / 2n, 3_100n * WAD, WAD / 1_000n);
    expect(owedOnNotional(WAD / 2n, 3_100n * WAD, WAD / 1_000n)).to.equal(1_550_000n);
    const entry1 = averageEntry(true, WAD, 3_000n * WAD, WAD / 2n, 3_100n * WAD);
    // (3,000 + 1,550) / 1.5, rounded up against the long.
    expect(entry1).to.equal(3_033_333_333_333_333_333_334n);
    const increase = engine.connect(alice).increase(id, WAD / 2n, 100n * USD, 3_100n * WAD, tIncrease);
    await expect(increase)
      .to.emit(engine, "PositionIncreased")
      .withArgs(id, WAD / 2n, 100n * USD, 3_100n * WAD, (3n * WAD) / 2n, entry1, 700n * USD, increaseFees);
    await expect(increase).to.changeTokenBalances(
      ethers,
      usd,
      [alice, vault, pool],
      [-(100n * USD + increaseFees), 100n * USD, increaseFees],
    );
    p = await engine.position(id);
    expect(p.borrowIndex).to.equal(indexAt(tIncrease));
    // The increase brings its own cap only: min(9 × 100, 100 % of 1,550) = 900 USD on top of the 3,000.
    expect(p.maxProfit).to.equal(3_000n * USD + capAtOpen(100n * USD, WAD / 2n, 3_100n * WAD, s.markets[0]));
    expect(p.maxProfit).to.equal(3_900n * USD);

    // ---- decrease by 0.5 ETH at 3,200: the closed third's pnl and collateral are paid out.
    await advance(s, 1_800n);
    await setPrice(s, ETH, 3_200n * WAD);
    const tDecrease = await pinNextBlock(s, 60n);
    const keptMaxProfit = mulDivUp(3_900n * USD, WAD, (3n * WAD) / 2n);
    expect(keptMaxProfit).to.equal(2_600n * USD);
    const decreasePnl = pnlOf(true, WAD / 2n, entry1, 3_200n * WAD, 3_900n * USD - keptMaxProfit);
    const decreaseFees =
      borrowFeeOf((3n * WAD) / 2n, entry1, indexAt(tDecrease) - indexAt(tIncrease)) +
      owedOnNotional(WAD / 2n, 3_200n * WAD, WAD / 1_000n);
    const collateralOut = mulDivDown(700n * USD, WAD / 2n, (3n * WAD) / 2n);
    expect(collateralOut).to.equal(233_333_333n);
    const decreaseSettlement = decreasePnl - decreaseFees;
    expect(decreaseSettlement > 0n).to.equal(true);
    const decreasePayout = collateralOut + decreaseSettlement;
    let collateral = 700n * USD - collateralOut;
    const decrease = engine.connect(alice).decrease(id, WAD / 2n, 3_200n * WAD, tDecrease);
    await expect(decrease)
      .to.emit(engine, "PositionDecreased")
      .withArgs(id, WAD / 2n, 3_200n * WAD, decreasePnl, decreaseFees, decreasePayout, WAD, collateral);
    await expect(decrease).to.changeTokenBalances(
      ethers,
      usd,
      [alice, vault, pool],
      [decreasePayout, -collateralOut, -decreaseSettlement],
    );
    p = await engine.position(id);
    expect(p.size).to.equal(WAD);
    expect(p.entryPrice).to.equal(entry1);
    expect(p.collateral).to.equal(collateral);
    expect(p.maxProfit).to.equal(keptMaxProfit);
    expect(p.borrowIndex).to.equal(indexAt(tDecrease));

    // ---- add margin: no price, no fee settlement.
    await advance(s, 600n);
    const addMargin = engine.connect(alice).addMargin(id, 50n * USD);
    await expect(addMargin)
      .to.emit(engine, "MarginAdded")
      .withArgs(id, 50n * USD, collateral + 50n * USD);
    await expect(addMargin).to.changeTokenBalances(ethers, usd, [alice, vault], [-(50n * USD), 50n * USD]);
    collateral += 50n * USD;
    // Adding margin does not raise the profit cap.
    expect((await engine.position(id)).maxProfit).to.equal(keptMaxProfit);

    // ---- remove margin: initial margin counts losses and owed fees, never unrealised profit.
    await advance(s, 600n);
    let tRemove = await pinNextBlock(s, 5n);
    const required = owedOnNotional(WAD, 3_200n * WAD, WAD / 10n);
    expect(required).to.equal(320n * USD);
    const tooMuch = collateral - 300n * USD;
    const equityAfter = 300n * USD - borrowFeeOf(WAD, entry1, indexAt(tRemove) - indexAt(tDecrease));
    await expect(engine.connect(alice).removeMargin(id, tooMuch))
      .to.be.revertedWithCustomError(engine, "InitialMarginBreached")
      .withArgs(equityAfter, required);
    tRemove = await pinNextBlock(s, 5n);
    const removeMargin = engine.connect(alice).removeMargin(id, 20n * USD);
    await expect(removeMargin)
      .to.emit(engine, "MarginRemoved")
      .withArgs(id, 20n * USD, collateral - 20n * USD);
    await expect(removeMargin).to.changeTokenBalances(ethers, usd, [alice, vault], [20n * USD, -(20n * USD)]);
    collateral -= 20n * USD;
    // The cap only shrinks: min(9 × new collateral, cap) = cap here.
    expect((await engine.position(id)).maxProfit).to.equal(keptMaxProfit);

    // ---- close at 3,300 in profit: the pool pays the profit less fees; the vault returns collateral + reserve.
    await advance(s, 1_200n);
    await setPrice(s, ETH, 3_300n * WAD);
    const tClose = await pinNextBlock(s, 60n);
    const closePnl = pnlOf(true, WAD, entry1, 3_300n * WAD, keptMaxProfit);
    expect(closePnl).to.equal(266_666_666n); // (3,300 − 3,033.33…) rounded down
    const closeFees =
      borrowFeeOf(WAD, entry1, indexAt(tClose) - indexAt(tDecrease)) + owedOnNotional(WAD, 3_300n * WAD, WAD / 1_000n);
    const closeSettlement = closePnl - closeFees;
    const vaultHeld = collateral + KEEPER_RESERVE;
    expect(await usd.balanceOf(vault)).to.equal(vaultHeld);
    const close = engine.connect(alice).close(id, 3_300n * WAD, tClose);
    await expect(close)
      .to.emit(engine, "PositionClosed")
      .withArgs(id, alice.address, 3_300n * WAD, closePnl, closeFees, vaultHeld + closeSettlement, 0n);
    await expect(close).to.changeTokenBalances(
      ethers,
      usd,
      [alice, vault, pool],
      [vaultHeld + closeSettlement, -vaultHeld, -closeSettlement],
    );

    // The position is gone and its vault is empty; nothing is left reserved.
    expect((await engine.position(id)).owner).to.equal(ethers.ZeroAddress);
    expect(await usd.balanceOf(vault)).to.equal(0n);
    expect(await engine.totalReserved()).to.equal(0n);
    expect(await engine.totalEntryNotional()).to.equal(0n);
    const side = await engine.sideState(ETH, true);
    expect(side.openInterest).to.equal(0n);
    expect(side.entryNotional).to.equal(0n);

    // Conservation: what alice lost the pool gained, and the other way round; nothing else moved.
    const aliceEnd = await usd.balanceOf(alice);
    expect(await usd.balanceOf(pool)).to.equal(POOL_LIQUIDITY + aliceStart - aliceEnd);
    expect(await usd.balanceOf(insurance)).to.equal(0n);
    expect(aliceEnd - aliceStart).to.equal(-(3n * USD) - increaseFees + decreaseSettlement + closeSettlement);
  });

  it("decrease leaves size − sizeDelta, pays out the closed share of collateral and keeps the vault equal to the record", async function () {
    const { engine, usd, pool } = s;
    const { alice } = s.actors;
    const id = await openPosition(s, alice, ETH, true, WAD, 600n * USD);
    await advance(s, 60n);
    const before = await usd.balanceOf(alice);
    await mined(engine.connect(alice).decrease(id, WAD / 4n, 0n, await deadline(s)));

    const p = await engine.position(id);
    expect(p.size).to.equal((3n * WAD) / 4n);
    expect(p.collateral).to.equal(450n * USD);
    // Isolation (SPEC invariant 1): the vault holds exactly the recorded collateral plus the keeper reserve.
    expect(await vaultBalance(s, id)).to.equal(p.collateral + KEEPER_RESERVE);
    // The closed quarter's share of collateral reached the owner (less its fees, a few cents).
    expect((await usd.balanceOf(alice)) - before > 149n * USD).to.equal(true);
    // Aggregates follow the record: a quarter of the profit cap is released, open interest is the rest.
    // Of the 3,000 USD cap (100 % of the notional, below 9 × 600), three quarters are kept.
    expect(p.maxProfit).to.equal(2_250n * USD);
    expect(await engine.totalReserved()).to.equal(p.maxProfit);
    const side = await engine.sideState(ETH, true);
    expect(side.openInterest).to.equal(p.size);
    expect(side.entryNotional).to.equal(notionalUp(p.size, p.entryPrice));
    expect(await engine.totalEntryNotional()).to.equal(side.entryNotional);
    expect(await usd.balanceOf(pool)).to.be.greaterThan(POOL_LIQUIDITY);
  });

  it("a trader cannot shed a loss by decreasing half a position and closing the rest", async function () {
    const { engine, usd, pool } = s;
    const { alice } = s.actors;
    // 2 ETH long at 3,000 on 1,000 USD; at 2,800 the whole position has lost 400 USD.
    const id = await openPosition(s, alice, ETH, true, 2n * WAD, 1_000n * USD);
    const poolAfterOpen = await usd.balanceOf(pool);
    await advance(s, 600n);
    await setPrice(s, ETH, 2_800n * WAD);
    await mined(engine.connect(alice).decrease(id, WAD, 0n, await deadline(s)));
    await mined(engine.connect(alice).close(id, 0n, await deadline(s)));

    // Both halves' losses (and their fees) reach the pool, and nothing stays reserved or open afterwards.
    const poolGain = (await usd.balanceOf(pool)) - poolAfterOpen;
    expect(poolGain > 400n * USD).to.equal(true, `the pool received only ${poolGain} for a 400 USD loss`);
    expect(await engine.totalReserved()).to.equal(0n);
    expect((await engine.sideState(ETH, true)).openInterest).to.equal(0n);
    // No position left: the traders have no claim, and the pool is worth its equity.
    expect(await pool.totalAssets()).to.equal(await pool.equityAssets());
    expect(await pool.equityAssets()).to.equal(await usd.balanceOf(pool));
  });

  it("closes a short at a loss: the vault pays the loss and fees to the pool and the rest to the owner", async function () {
    const { engine, usd, pool } = s;
    const { bob } = s.actors;
    // An awkward size, so that every rounding direction matters.
    const size = 123_456_789_012_345_678n;
    await fund(s, bob, 5_000n * USD);
    const id = await engine.nextPositionId();
    const vault = await engine.vaultOf(id);
    const tOpen = await pinNextBlock(s, 10n);
    const openFee = owedOnNotional(size, 60_000n * WAD, WAD / 1_000n);
    await expect(engine.connect(bob).open(BTC, false, size, 1_000n * USD, 60_000n * WAD, tOpen)).to.changeTokenBalances(
      ethers,
      usd,
      [bob, vault, pool],
      [-(1_005n * USD + openFee), 1_005n * USD, openFee],
    );

    await advance(s, 1_800n);
    const price = 61_234_567_890_120_000_000_000n; // 61,234.56789012
    await setPrice(s, BTC, price);
    const tClose = await pinNextBlock(s, 30n);
    const pnl = pnlOf(false, size, 60_000n * WAD, price, 9_000n * USD);
    // 0.123456789012345678 × 1,234.56789012 = 152.41578753… USD, a loss rounded up.
    expect(pnl).to.equal(-152_415_788n);
    const fees =
      borrowFeeOf(size, 60_000n * WAD, BORROW_RATE * (tClose - tOpen)) + owedOnNotional(size, price, WAD / 1_000n);
    const toPool = -(pnl - fees);
    const payout = 1_005n * USD - toPool;

    // A short closing wants a low price: the bound is the highest acceptable.
    await expect(engine.connect(bob).close(id, price - 1n, tClose))
      .to.be.revertedWithCustomError(engine, "PriceOutsideBound")
      .withArgs(price, price - 1n);
    const close = engine.connect(bob).close(id, price, tClose);
    await expect(close).to.emit(engine, "PositionClosed").withArgs(id, bob.address, price, pnl, fees, payout, 0n);
    await expect(close).to.changeTokenBalances(ethers, usd, [bob, vault, pool], [payout, -(1_005n * USD), toPool]);
    expect((await engine.position(id)).owner).to.equal(ethers.ZeroAddress);
  });

  it("caps a position's profit at maxProfitRatio × collateral", async function () {
    const { engine, usd, pool } = s;
    const { carol } = s.actors;
    await fund(s, carol, 10_000n * USD);
    const id = await engine.nextPositionId();
    // 10 ETH on 3,000 USD (exactly the maximum leverage): a 9 × 3,000 = 27,000 USD cap, reached at 5,700.
    const tOpen = await pinNextBlock(s, 1n);
    await mined(engine.connect(carol).open(ETH, true, 10n * WAD, 3_000n * USD, MaxUint256, tOpen));
    expect((await engine.position(id)).maxProfit).to.equal(27_000n * USD);
    expect(await engine.totalReserved()).to.equal(27_000n * USD);

    await advance(s, 600n);
    await setPrice(s, ETH, 6_000n * WAD);
    const t = await pinNextBlock(s, 1n);
    expect(pnlOf(true, 10n * WAD, 3_000n * WAD, 6_000n * WAD, MaxUint256)).to.equal(30_000n * USD);
    const fees =
      borrowFeeOf(10n * WAD, 3_000n * WAD, BORROW_RATE * (t - tOpen)) +
      owedOnNotional(10n * WAD, 6_000n * WAD, WAD / 1_000n);
    const close = engine.connect(carol).close(id, 0n, t);
    await expect(close)
      .to.emit(engine, "PositionClosed")
      .withArgs(id, carol.address, 6_000n * WAD, 27_000n * USD, fees, 3_005n * USD + 27_000n * USD - fees, 0n);
    await expect(close).to.changeTokenBalances(
      ethers,
      usd,
      [carol, pool],
      [3_005n * USD + 27_000n * USD - fees, -(27_000n * USD - fees)],
    );
  });

  it("caps at 100 % of the notional; an increase adds only its own cap and never carries profit beyond the old one", async function () {
    const { engine, lens } = s;
    const { alice } = s.actors;
    // 1 ETH at 3,000 on 1,000 USD: the cap is the 3,000 USD notional, not 9 × 1,000.
    const id = await openPosition(s, alice, ETH, true, WAD, 1_000n * USD);
    expect((await engine.position(id)).maxProfit).to.equal(3_000n * USD);

    // At 7,000 the uncapped gain (4,000) is past the cap: the lens reports it as at cap.
    await advance(s, 600n);
    await setPrice(s, ETH, 7_000n * WAD);
    expect(await lens.atCap([id])).to.deep.equal([true]);

    // Adding 0.1 ETH and 100 USD: the entry moves so that the pnl at 7,000 is exactly the old cap (the long's offset
    // rounded down, so the entry is the worse for it), and the cap grows by min(9 × 100, 100 % of 700) = 700 USD.
    await mined(engine.connect(alice).increase(id, WAD / 10n, 100n * USD, MaxUint256, await deadline(s)));
    const newSize = WAD + WAD / 10n;
    const entry = 7_000n * WAD - mulDivDown(3_000n * USD * SCALE, WAD, newSize);
    const p = await engine.position(id);
    expect(p.size).to.equal(newSize);
    expect(p.entryPrice).to.equal(entry);
    expect(p.maxProfit).to.equal(3_700n * USD);
    expect(pnlOf(true, newSize, entry, 7_000n * WAD, MaxUint256)).to.equal(3_000n * USD - 1n);
    expect(await lens.atCap([id])).to.deep.equal([false]);

    // What a decrease leaves must still reach the minimum notional: 0.001 ETH at 7,000 is 7 USD (with enough margin
    // added that the rest's share of collateral, 20 USD, is above the minimum collateral).
    await fund(s, alice, 20_900n * USD);
    await mined(engine.connect(alice).addMargin(id, 20_900n * USD));
    await expect(engine.connect(alice).decrease(id, newSize - WAD / 1_000n, 0n, await deadline(s)))
      .to.be.revertedWithCustomError(engine, "NotionalBelowMinimum")
      .withArgs(7n * USD, MIN_NOTIONAL);
    expect((await engine.position(id)).size).to.equal(newSize);
  });

  describe("rejects bad input with a custom error that names it", function () {
    it("open", async function () {
      const { engine, config } = s;
      const { alice } = s.actors;
      await fund(s, alice, 210_000n * USD);
      const trader = engine.connect(alice);
      const t = await pinNextBlock(s, 1n);
      await expect(trader.open(ETH, true, 0n, 600n * USD, MaxUint256, t)).to.be.revertedWithCustomError(
        engine,
        "ZeroSize",
      );
      await expect(trader.open(ETH, true, WAD, 600n * USD, MaxUint256, t - 1n))
        .to.be.revertedWithCustomError(engine, "DeadlineExpired")
        .withArgs(t - 1n, t);
      await expect(trader.open(ETH, true, WAD, 600n * USD, 3_000n * WAD - 1n, t))
        .to.be.revertedWithCustomError(engine, "PriceOutsideBound")
        .withArgs(3_000n * WAD, 3_000n * WAD - 1n);
      await expect(trader.open(ETH, false, WAD, 600n * USD, 3_000n * WAD + 1n, t))
        .to.be.revertedWithCustomError(engine, "PriceOutsideBound")
        .withArgs(3_000n * WAD, 3_000n * WAD + 1n);
      await expect(trader.open(ETH, true, WAD / 1_000n, MIN_COLLATERAL - 1n, MaxUint256, t))
        .to.be.revertedWithCustomError(engine, "CollateralBelowMinimum")
        .withArgs(MIN_COLLATERAL - 1n, MIN_COLLATERAL);
      // 10× is the maximum leverage: 1 ETH at 3,000 needs 300 USD.
      await expect(trader.open(ETH, true, WAD, 300n * USD - 1n, MaxUint256, t))
        .to.be.revertedWithCustomError(engine, "InitialMarginBreached")
        .withArgs(300n * USD - 1n, 300n * USD);
      await expect(trader.open(7n, true, WAD, 600n * USD, MaxUint256, t))
        .to.be.revertedWithCustomError(config, "UnknownMarket")
        .withArgs(7n);
      // Below the minimum notional (10 USD): 0.003 ETH is 9 USD.
      await expect(trader.open(ETH, true, (3n * WAD) / 1_000n, MIN_COLLATERAL, MaxUint256, t))
        .to.be.revertedWithCustomError(engine, "NotionalBelowMinimum")
        .withArgs(9n * USD, MIN_NOTIONAL);
      // A 1.2M USD profit cap (100 % of a 1.2M USD notional, below 9 × 200,000) cannot be reserved in a 1M USD pool.
      await expect(trader.open(ETH, true, 400n * WAD, 200_000n * USD, MaxUint256, t))
        .to.be.revertedWithCustomError(engine, "InsufficientPoolLiquidity")
        .withArgs(POOL_LIQUIDITY, 1_200_000n * USD);
      // The same collateral on a 300,000 USD notional reserves only 300,000 USD: it fits.
      expect(capAtOpen(200_000n * USD, 100n * WAD, 3_000n * WAD, s.markets[0])).to.equal(300_000n * USD);
      // Nothing was opened.
      expect(await engine.nextPositionId()).to.equal(1n);
      await expect(trader.open(ETH, true, WAD, 300n * USD, MaxUint256, t)).to.emit(engine, "PositionOpened");
    });

    it("increase, decrease, close and margin calls on someone else's or an unknown position", async function () {
      const { engine } = s;
      const { alice, bob } = s.actors;
      const id = await openPosition(s, alice, ETH, true, WAD, 600n * USD);
      await fund(s, bob, 1_000n * USD);
      const d = await deadline(s);
      const asBob = engine.connect(bob);
      await expect(asBob.close(id, 0n, d))
        .to.be.revertedWithCustomError(engine, "NotPositionOwner")
        .withArgs(id, bob.address);
      await expect(asBob.increase(id, WAD, 0n, MaxUint256, d))
        .to.be.revertedWithCustomError(engine, "NotPositionOwner")
        .withArgs(id, bob.address);
      await expect(asBob.decrease(id, WAD / 2n, 0n, d))
        .to.be.revertedWithCustomError(engine, "NotPositionOwner")
        .withArgs(id, bob.address);
      await expect(asBob.addMargin(id, USD))
        .to.be.revertedWithCustomError(engine, "NotPositionOwner")
        .withArgs(id, bob.address);
      await expect(asBob.removeMargin(id, USD))
        .to.be.revertedWithCustomError(engine, "NotPositionOwner")
        .withArgs(id, bob.address);
      await expect(asBob.close(99n, 0n, d))
        .to.be.revertedWithCustomError(engine, "UnknownPosition")
        .withArgs(99n);
      await expect(asBob.addMargin(99n, USD)).to.be.revertedWithCustomError(engine, "UnknownPosition").withArgs(99n);

      const asAlice = engine.connect(alice);
      await expect(asAlice.addMargin(id, 0n)).to.be.revertedWithCustomError(engine, "ZeroAmount");
      await expect(asAlice.removeMargin(id, 0n)).to.be.revertedWithCustomError(engine, "ZeroAmount");
      await expect(asAlice.increase(id, 0n, 0n, MaxUint256, d)).to.be.revertedWithCustomError(engine, "ZeroSize");
      await expect(asAlice.decrease(id, WAD, 0n, d))
        .to.be.revertedWithCustomError(engine, "SizeDeltaTooLarge")
        .withArgs(WAD, WAD);
      // Removing down to below the minimum collateral.
      await expect(asAlice.removeMargin(id, 600n * USD - MIN_COLLATERAL + 1n))
        .to.be.revertedWithCustomError(engine, "CollateralBelowMinimum")
        .withArgs(MIN_COLLATERAL - 1n, MIN_COLLATERAL);
      // At most 10× leverage: 600 USD carries 6,000 USD of notional, and 3 ETH (and a wei) at 3,000 need 900 USD.
      const tIncrease = await pinNextBlock(s, 1n);
      await expect(asAlice.increase(id, 2n * WAD + 1n, 0n, MaxUint256, tIncrease))
        .to.be.revertedWithCustomError(engine, "InitialMarginBreached")
        .withArgs(600n * USD, owedOnNotional(3n * WAD + 1n, 3_000n * WAD, WAD / 10n));

      // A decrease may not leave less than the minimum collateral: 0.01 ETH on 20 USD, 90 % of it closed leaves 2 USD.
      const small = await openPosition(s, alice, ETH, true, WAD / 100n, 20n * USD);
      await expect(asAlice.decrease(small, (WAD * 9n) / 1_000n, 0n, await deadline(s)))
        .to.be.revertedWithCustomError(engine, "CollateralBelowMinimum")
        .withArgs(2n * USD, MIN_COLLATERAL);
      await expect(asAlice.decrease(small, WAD / 200n, 0n, await deadline(s))).to.emit(engine, "PositionDecreased");
    });

    it("nothing is priced on a stale or non-positive answer, but margin can always be added", async function () {
      const { engine, ethFeed } = s;
      const { alice } = s.actors;
      const id = await openPosition(s, alice, ETH, true, WAD, 600n * USD);
      await fund(s, alice, 1_000n * USD);
      const round = await ethFeed.latestRoundData();
      await advance(s, HEARTBEAT + 1n);
      const asAlice = engine.connect(alice);
      const d = await deadline(s);
      await expect(asAlice.close(id, 0n, d))
        .to.be.revertedWithCustomError(engine, "StalePrice")
        .withArgs(await ethFeed.getAddress(), round.updatedAt, HEARTBEAT);
      await expect(asAlice.open(ETH, true, WAD, 600n * USD, MaxUint256, d))
        .to.be.revertedWithCustomError(engine, "StalePrice")
        .withArgs(await ethFeed.getAddress(), round.updatedAt, HEARTBEAT);
      await expect(asAlice.removeMargin(id, USD)).to.be.revertedWithCustomError(engine, "StalePrice");
      await expect(asAlice.addMargin(id, 10n * USD))
        .to.emit(engine, "MarginAdded")
        .withArgs(id, 10n * USD, 610n * USD);

      await (await ethFeed.updateAnswer(0n)).wait();
      await expect(asAlice.close(id, 0n, await deadline(s)))
        .to.be.revertedWithCustomError(engine, "NonPositivePrice")
        .withArgs(await ethFeed.getAddress(), 0n);
      await expect(asAlice.addMargin(id, 10n * USD))
        .to.emit(engine, "MarginAdded")
        .withArgs(id, 10n * USD, 620n * USD);

      // A fresh round brings the market back.
      await setPrice(s, ETH, 3_000n * WAD);
      await expect(asAlice.close(id, 0n, await deadline(s))).to.emit(engine, "PositionClosed");
      expect(await vaultBalance(s, id)).to.equal(0n);
    });
  });
});

/**
 * Liquidation through the typechain bindings: the split to the unit, batches, bad debt (insurance first, then the
 * pool), the grace period after an outage; and what engine v2 adds: an order's execution liquidates a position that
 * is liquidatable at the latest price instead (rule 3), a liquidation refunds pending orders in full and pays the
 * recorded keeper reserve (rules 5, 7), and a close whose round put the position under water pays bad debt without a
 * keeper fee, a penalty or the closing fee (rule 7).
 */
import { expect } from "chai";
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { network } from "hardhat";

import type { PositionStructOutput } from "../../typechain-types/contracts/MarginEngine.js";
import {
  BORROW_RATE,
  BTC,
  CancelReason,
  ETH,
  GRACE_PERIOD,
  HEARTBEAT,
  KEEPER_RESERVE,
  ORDER_EXECUTION_FEE,
  OrderKind,
  USD,
  WAD,
  advance,
  closePosition,
  deployBulkhead,
  executeAt,
  executeOrders,
  fund,
  mined,
  now,
  openFeeOf,
  openPosition,
  pinNextBlock,
  publishRound,
  requestClose,
  requestIncrease,
  requestOpen,
  setPrice,
  vaultBalance,
  type Bulkhead,
} from "./fixture.js";
import { expectedClose, expectedLiquidation, type ExpectedLiquidation } from "./expected-math.js";

const { ethers, networkHelpers } = await network.create();

/**
 * Opens a position in two steps at the market's current price, with `collateral` recorded (the opening fee is escrowed
 * on top), and returns its id and the execution's time (when its fees were last settled).
 */
async function openAt(
  s: Bulkhead,
  who: Bulkhead["actors"]["alice"],
  marketId: bigint,
  isLong: boolean,
  size: bigint,
  collateral: bigint,
): Promise<{ id: bigint; openedAt: bigint }> {
  const price = (await s.engine.indexPrice(marketId)) as bigint;
  const id = await requestOpen(s, who, marketId, isLong, size, collateral + openFeeOf(s, marketId, size, price));
  const result = await executeAt(s, marketId, [id]);
  expect(result.executed).to.deep.equal([id]);
  return { id, openedAt: result.at };
}

/**
 * What liquidating `id` at block time `t` and `price` must pay, from the record and the documented rules. The
 * position's fees have not been settled since `openedAt`, and a side's index grows by rate × seconds.
 */
async function expectedAt(
  s: Bulkhead,
  id: bigint,
  openedAt: bigint,
  t: bigint,
  price: bigint,
): Promise<ExpectedLiquidation> {
  const p = await s.engine.position(id);
  const market = s.markets[Number(p.marketId)];
  if (market === undefined) throw new Error("unknown market");
  return expectedLiquidation({
    isLong: p.isLong,
    size: p.size,
    entryPrice: p.entryPrice,
    price,
    collateral: p.collateral,
    maxProfit: p.maxProfit,
    borrowIndexDelta: (p.isLong ? market.borrowRateLong : market.borrowRateShort) * (t - openedAt),
    keeperReserve: p.keeperReserve,
    mmr: market.mmr,
    liqFeeRatio: market.liqFeeRatio,
    liqPenaltyRatio: market.liqPenaltyRatio,
    closeFeeRatio: market.closeFeeRatio,
  });
}

function fields(p: PositionStructOutput): unknown[] {
  return [
    p.owner,
    p.collateral,
    p.size,
    p.entryPrice,
    p.borrowIndex,
    p.maxProfit,
    p.marketId,
    p.isLong,
    p.vault,
    p.keeperReserve,
  ];
}

function sameRecord(a: PositionStructOutput, b: PositionStructOutput): void {
  expect(fields(a)).to.deep.equal(fields(b));
}

describe("MarginEngine: liquidation", function () {
  let s: Bulkhead;

  beforeEach(async function () {
    s = await networkHelpers.loadFixture(deployBulkhead);
  });

  it("a keeper liquidates an under-margined position; the event carries the split the lens previewed", async function () {
    const { engine, lens, usd, pool, insurance } = s;
    const { alice, bob, keeper } = s.actors;
    // 1 ETH long at 3,000 on 310 USD; bob's BTC short is a neighbour that must not notice anything.
    const { id, openedAt } = await openAt(s, alice, ETH, true, WAD, 310n * USD);
    const neighbour = await openPosition(s, bob, BTC, false, WAD / 10n, 1_000n * USD);
    const neighbourRecord = await engine.position(neighbour);
    const neighbourVault = await vaultBalance(s, neighbour);

    await advance(s, 1_800n);
    expect(await lens.liquidatable([id])).to.deep.equal([false]);
    await setPrice(s, ETH, 2_750n * WAD);
    expect(await lens.liquidatable([id])).to.deep.equal([true]);
    expect(await lens.health(id)).to.be.lessThan(WAD);

    const t = await pinNextBlock(s, 30n);
    const preview = await lens.previewLiquidation(id, { blockTag: "pending" });
    const expected = expectedLiquidation({
      isLong: true,
      size: WAD,
      entryPrice: 3_000n * WAD,
      price: 2_750n * WAD,
      collateral: 310n * USD,
      maxProfit: 2_790n * USD,
      borrowIndexDelta: BORROW_RATE * (t - openedAt),
      keeperReserve: KEEPER_RESERVE,
      mmr: WAD / 20n,
      liqFeeRatio: WAD / 100n,
      liqPenaltyRatio: WAD / 100n,
      closeFeeRatio: WAD / 1_000n,
    });
    // 0.1 % of 2,750 to the pool as the closing fee; 1 % each to the keeper (on top of the reserve) and to the
    // insurance fund.
    expect(expected.closeFee).to.equal(2_750_000n);
    expect(expected.keeperReward).to.equal(KEEPER_RESERVE + 27_500_000n);
    expect(expected.penalty).to.equal(27_500_000n);
    expect(preview.liquidatable).to.equal(true);
    expect(preview.price).to.equal(2_750n * WAD);
    expect(preview.equity).to.equal(expected.equity);
    expect(preview.maintenanceMargin).to.equal(expected.maintenance);
    expect(preview.keeperReward).to.equal(expected.keeperReward);
    expect(preview.penalty).to.equal(expected.penalty);
    expect(preview.ownerRefund).to.equal(expected.ownerRefund);
    expect(preview.badDebt).to.equal(0n);
    expect(preview.closeFee).to.equal(expected.closeFee);

    const vault = await engine.vaultOf(id);
    const liquidation = engine.connect(keeper).liquidate(id);
    await expect(liquidation)
      .to.emit(engine, "PositionLiquidated")
      .withArgs(
        id,
        alice.address,
        keeper.address,
        preview.price,
        preview.keeperReward,
        preview.penalty,
        preview.ownerRefund,
        preview.badDebt,
        0n,
        preview.closeFee,
      );
    await expect(liquidation).to.changeTokenBalances(
      ethers,
      usd,
      [keeper, insurance, alice, pool, vault],
      [expected.keeperReward, expected.penalty, expected.ownerRefund, expected.toPool, -(310n * USD + KEEPER_RESERVE)],
    );
    expect(await now(s)).to.equal(t);

    // SPEC invariant 4: after liquidation the vault is empty and the position is gone; the vault waits for reuse.
    expect((await engine.position(id)).owner).to.equal(ethers.ZeroAddress);
    expect(await engine.vaultOf(id)).to.equal(ethers.ZeroAddress);
    expect(await usd.balanceOf(vault)).to.equal(0n);
    expect(await engine.freeVaultCount()).to.equal(1n);
    await expect(engine.connect(keeper).liquidate(id))
      .to.be.revertedWithCustomError(engine, "UnknownPosition")
      .withArgs(id);
    await expect(lens.previewLiquidation(id)).to.be.revertedWithCustomError(engine, "UnknownPosition").withArgs(id);
    // SPEC invariant 1: the neighbour's vault and record did not move.
    sameRecord(await engine.position(neighbour), neighbourRecord);
    expect(await vaultBalance(s, neighbour)).to.equal(neighbourVault);
    expect(await engine.totalReserved()).to.equal(neighbourRecord.maxProfit);
  });

  it("refuses to liquidate a healthy position, naming its equity and maintenance margin", async function () {
    const { engine } = s;
    const { alice, keeper } = s.actors;
    const { id, openedAt } = await openAt(s, alice, ETH, true, WAD, 310n * USD);
    await advance(s, 900n);
    // Equity 310 − 100 − fees ≈ 210 USD against 5 % × 2,900 = 145 USD: healthy.
    await setPrice(s, ETH, 2_900n * WAD);
    const t = await pinNextBlock(s, 10n);
    const expected = await expectedAt(s, id, openedAt, t, 2_900n * WAD);
    expect(expected.liquidatable).to.equal(false);
    expect(expected.maintenance).to.equal(145n * USD);
    await expect(engine.connect(keeper).liquidate(id))
      .to.be.revertedWithCustomError(engine, "NotLiquidatable")
      .withArgs(id, expected.equity, expected.maintenance);
    await expect(engine.connect(keeper).liquidate(12_345n))
      .to.be.revertedWithCustomError(engine, "UnknownPosition")
      .withArgs(12_345n);
    // One unit of price below the liquidation price the lens reports, it is liquidatable.
    const liquidationPrice = await s.lens.liquidationPrice(id);
    await setPrice(s, ETH, (liquidationPrice / 10n ** 10n - 1n) * 10n ** 10n);
    await expect(engine.connect(keeper).liquidate(id)).to.emit(engine, "PositionLiquidated");
  });

  it("liquidateBatch liquidates the liquidatable ids and skips healthy, closed and unknown ones", async function () {
    const { engine, lens } = s;
    const { alice, bob, carol, keeper } = s.actors;
    const a1 = await openAt(s, alice, ETH, true, WAD, 310n * USD);
    const a2 = await openAt(s, bob, ETH, true, 2n * WAD, 650n * USD);
    const a3 = await openAt(s, carol, BTC, false, WAD / 10n, 650n * USD);
    const h1 = await openAt(s, alice, ETH, true, WAD, 1_000n * USD);
    const h2 = await openAt(s, bob, BTC, false, WAD / 10n, 3_000n * USD);
    const closed = await openAt(s, carol, ETH, true, WAD, 310n * USD);
    await advance(s, 600n);
    await closePosition(s, closed.id);

    await advance(s, 600n);
    await setPrice(s, ETH, 2_750n * WAD);
    await setPrice(s, BTC, 65_000n * WAD);
    const ids = [h1.id, a1.id, 999n, closed.id, a2.id, h2.id, a3.id];
    const healthyBefore = [await engine.position(h1.id), await engine.position(h2.id)] as const;

    const t = await pinNextBlock(s, 12n);
    expect(await lens.liquidatable(ids, { blockTag: "pending" })).to.deep.equal([
      false,
      true,
      false,
      false,
      true,
      false,
      true,
    ]);
    expect(await engine.connect(keeper).liquidateBatch.staticCall(ids, { blockTag: "pending" })).to.equal(3n);
    const expected = new Map<bigint, ExpectedLiquidation>();
    expected.set(a1.id, await expectedAt(s, a1.id, a1.openedAt, t, 2_750n * WAD));
    expected.set(a2.id, await expectedAt(s, a2.id, a2.openedAt, t, 2_750n * WAD));
    expected.set(a3.id, await expectedAt(s, a3.id, a3.openedAt, t, 65_000n * WAD));
    const owners = new Map([
      [a1.id, alice.address],
      [a2.id, bob.address],
      [a3.id, carol.address],
    ]);
    const vaults = new Map<bigint, string>();
    for (const id of [a1.id, a2.id, a3.id]) vaults.set(id, await engine.vaultOf(id));

    const receipt = await (await engine.connect(keeper).liquidateBatch(ids)).wait();
    if (receipt === null) throw new Error("no receipt");
    const events = receipt.logs
      .map((log) => engine.interface.parseLog(log))
      .filter((event) => event?.name === "PositionLiquidated");
    expect(events.map((event) => event?.args.positionId)).to.deep.equal([a1.id, a2.id, a3.id]);
    for (const event of events) {
      const id = event?.args.positionId as bigint;
      const e = expected.get(id);
      if (e === undefined) throw new Error(`unexpected liquidation of ${id}`);
      expect(event?.args.owner).to.equal(owners.get(id));
      expect(event?.args.keeper).to.equal(keeper.address);
      expect(event?.args.keeperReward).to.equal(e.keeperReward);
      expect(event?.args.penalty).to.equal(e.penalty);
      expect(event?.args.ownerRefund).to.equal(e.ownerRefund);
      expect(event?.args.badDebt).to.equal(0n);
      expect(await s.usd.balanceOf(vaults.get(id)!)).to.equal(0n);
    }
    sameRecord(await engine.position(h1.id), healthyBefore[0]);
    sameRecord(await engine.position(h2.id), healthyBefore[1]);

    // A batch with nothing to do is not an error.
    await expect(engine.connect(keeper).liquidateBatch([h1.id, a1.id, 0n, 999n])).to.not.emit(
      engine,
      "PositionLiquidated",
    );
  });

  it("bad debt is covered by the insurance fund first, then absorbed by the pool, never by another position", async function () {
    const { engine, lens, usd, pool, insurance } = s;
    const { alice, bob, carol, keeper } = s.actors;
    const first = await openAt(s, alice, ETH, true, WAD, 310n * USD);
    const second = await openAt(s, bob, ETH, true, WAD, 310n * USD);
    const bystander = await openAt(s, carol, ETH, false, WAD, 1_000n * USD);
    const bystanderRecord = await engine.position(bystander.id);
    const bystanderVault = await vaultBalance(s, bystander.id);
    // The insurance fund is funded by plain transfers (liquidation penalties, or anyone's top-up).
    await mined(usd.mint(insurance, 100n * USD));

    await advance(s, 1_200n);
    // At 2,600 each long has lost 400 USD on 310: equity ≈ −90 USD.
    await setPrice(s, ETH, 2_600n * WAD);

    // ---- the insurance fund holds more than the deficit: it pays all of it.
    let t = await pinNextBlock(s, 5n);
    let e = await expectedAt(s, first.id, first.openedAt, t, 2_600n * WAD);
    expect(e.badDebt > 90n * USD && e.badDebt < 91n * USD).to.equal(true);
    const preview = await lens.previewLiquidation(first.id, { blockTag: "pending" });
    expect([preview.keeperReward, preview.penalty, preview.ownerRefund, preview.badDebt]).to.deep.equal([
      KEEPER_RESERVE,
      0n,
      0n,
      e.badDebt,
    ]);
    let liquidation = engine.connect(keeper).liquidate(first.id);
    await expect(liquidation)
      .to.emit(engine, "PositionLiquidated")
      .withArgs(
        first.id,
        alice.address,
        keeper.address,
        2_600n * WAD,
        KEEPER_RESERVE,
        0n,
        0n,
        e.badDebt,
        e.badDebt,
        0n,
      );
    await expect(liquidation).to.emit(insurance, "BadDebtCovered").withArgs(e.badDebt, e.badDebt);
    await expect(liquidation).to.changeTokenBalances(
      ethers,
      usd,
      [keeper, alice, insurance, pool],
      [KEEPER_RESERVE, 0n, -e.badDebt, 310n * USD + e.badDebt],
    );

    // ---- the fund now holds less than the next deficit: it pays what it has, the pool absorbs the rest.
    const left = await usd.balanceOf(insurance);
    expect(left).to.equal(100n * USD - e.badDebt);
    t = await pinNextBlock(s, 5n);
    e = await expectedAt(s, second.id, second.openedAt, t, 2_600n * WAD);
    expect(left < e.badDebt).to.equal(true);
    const cover = left;
    liquidation = engine.connect(keeper).liquidate(second.id);
    await expect(liquidation)
      .to.emit(engine, "PositionLiquidated")
      .withArgs(second.id, bob.address, keeper.address, 2_600n * WAD, KEEPER_RESERVE, 0n, 0n, e.badDebt, cover, 0n);
    await expect(liquidation).to.changeTokenBalances(
      ethers,
      usd,
      [keeper, insurance, pool],
      [KEEPER_RESERVE, -cover, 310n * USD + cover],
    );
    expect(await usd.balanceOf(insurance)).to.equal(0n);

    sameRecord(await engine.position(bystander.id), bystanderRecord);
    expect(await vaultBalance(s, bystander.id)).to.equal(bystanderVault);
    expect(await engine.totalReserved()).to.equal(bystanderRecord.maxProfit);
  });

  it("after a price outage, liquidations wait for the grace period while owners top up", async function () {
    const { engine, lens, ethFeed } = s;
    const { alice, bob, keeper } = s.actors;
    const saved = await openAt(s, alice, ETH, true, WAD, 310n * USD);
    const lost = await openAt(s, bob, ETH, true, WAD, 310n * USD);
    await fund(s, alice, 300n * USD);

    // The feed stops: nothing can be priced, but margin can be added.
    const lastRound = await ethFeed.latestRoundData();
    await advance(s, HEARTBEAT + 100n);
    await expect(engine.connect(keeper).liquidate(lost.id))
      .to.be.revertedWithCustomError(engine, "StalePrice")
      .withArgs(await ethFeed.getAddress(), lastRound.updatedAt, HEARTBEAT);
    await expect(engine.connect(alice).addMargin(saved.id, 100n * USD)).to.emit(engine, "MarginAdded");

    // It comes back at a price where both are under water: the grace period starts with the first fresh round.
    await setPrice(s, ETH, 2_750n * WAD);
    const backAt = await now(s);
    expect(await engine.liquidationResumesAt(ETH)).to.equal(backAt + GRACE_PERIOD);
    await expect(engine.connect(keeper).liquidate(lost.id))
      .to.be.revertedWithCustomError(engine, "GracePeriod")
      .withArgs(backAt + GRACE_PERIOD);
    expect(await lens.liquidatable([saved.id, lost.id])).to.deep.equal([false, false]);
    expect((await lens.previewLiquidation(lost.id)).liquidatable).to.equal(false);
    await expect(engine.connect(keeper).liquidateBatch([saved.id, lost.id])).to.not.emit(engine, "PositionLiquidated");

    // Alice uses the grace period; bob does not.
    await expect(engine.connect(alice).addMargin(saved.id, 200n * USD)).to.emit(engine, "MarginAdded");
    await networkHelpers.time.setNextBlockTimestamp(backAt + GRACE_PERIOD - 1n);
    await expect(engine.connect(keeper).liquidate(lost.id))
      .to.be.revertedWithCustomError(engine, "GracePeriod")
      .withArgs(backAt + GRACE_PERIOD);
    await networkHelpers.time.setNextBlockTimestamp(backAt + GRACE_PERIOD);
    await expect(engine.connect(keeper).liquidateBatch([saved.id, lost.id]))
      .to.emit(engine, "PositionLiquidated")
      .withArgs(lost.id, bob.address, keeper.address, 2_750n * WAD, anyValue, anyValue, anyValue, 0n, 0n, anyValue);
    expect((await engine.position(saved.id)).owner).to.equal(alice.address);
    expect((await engine.position(lost.id)).owner).to.equal(ethers.ZeroAddress);
  });
  it("an execution on a position liquidatable at the latest price liquidates it instead, refunding the order in full; the keeper reserve is the recorded one", async function () {
    const { engine, usd, config } = s;
    const { alice, governance } = s.actors;
    const { id, openedAt } = await openAt(s, alice, ETH, true, WAD, 310n * USD);
    // Governance doubles the keeper reserve later: the position keeps the one it deposited (rule 5).
    await mined(config.connect(governance).setGlobalParams({ ...s.global, keeperReserve: 2n * KEEPER_RESERVE }));
    // Alice asks for more size, escrowing 100 USD and the execution fee; the market falls before the round.
    await requestIncrease(s, id, WAD / 2n, 100n * USD);
    const vault = await engine.vaultOf(id);
    expect(await usd.balanceOf(vault)).to.equal(410n * USD + KEEPER_RESERVE + ORDER_EXECUTION_FEE);
    await advance(s, 600n);
    await publishRound(s, ETH, 2_750n * WAD);
    const t = await pinNextBlock(s, 1n);
    const expected = await expectedAt(s, id, openedAt, t, 2_750n * WAD);
    expect(expected.liquidatable).to.equal(true);
    expect(expected.keeperReward).to.equal(KEEPER_RESERVE + 27_500_000n);
    const balances = async (): Promise<[bigint, bigint, bigint]> => [
      await usd.balanceOf(alice),
      await usd.balanceOf(s.actors.keeper),
      await usd.balanceOf(vault),
    ];
    const before = await balances();

    // Rule 3: liquidated, not increased; the increase's escrow goes back to alice, fee included.
    const result = await executeOrders(s, [id]);
    expect(result.executed).to.deep.equal([]);
    expect(result.liquidated).to.deep.equal([id]);
    expect(result.cancelled).to.deep.equal([
      {
        positionId: id,
        kind: OrderKind.Increase,
        reason: "PositionClosed",
        refund: 100n * USD + ORDER_EXECUTION_FEE,
        executorFee: 0n,
      },
    ]);
    const [liquidated] = result.receipt.logs
      .map((log) => engine.interface.parseLog(log))
      .filter((event) => event?.name === "PositionLiquidated");
    expect(liquidated?.args.toObject()).to.deep.include({
      positionId: id,
      price: 2_750n * WAD,
      keeperReward: expected.keeperReward,
      penalty: expected.penalty,
      ownerRefund: expected.ownerRefund,
      badDebt: 0n,
      closeFee: expected.closeFee,
    });
    const after = await balances();
    expect(after[0] - before[0]).to.equal(100n * USD + ORDER_EXECUTION_FEE + expected.ownerRefund);
    expect(after[1] - before[1]).to.equal(expected.keeperReward);
    expect(after[2]).to.equal(0n);
    expect(await engine.orders(id)).to.deep.equal([
      [0n, 0n, 0n, 0n, 0n, 0n, 0n, ethers.ZeroAddress, 0n],
      [0n, 0n, 0n, 0n, 0n, 0n, 0n, ethers.ZeroAddress, 0n],
    ]);
  });

  it("liquidate cancels a pending order and close with full refunds, and the lens previews what the engine pays", async function () {
    const { engine, lens, usd } = s;
    const { alice, keeper } = s.actors;
    const { id, openedAt } = await openAt(s, alice, ETH, true, WAD, 310n * USD);
    // An increase whose round exists (so a close does not replace it), then a close: both pending.
    await requestIncrease(s, id, WAD / 2n, 100n * USD);
    await publishRound(s, ETH);
    await requestClose(s, id);
    const [order, close] = await engine.orders(id);
    expect([order.kind, close.kind]).to.deep.equal([OrderKind.Increase, OrderKind.Close]);
    const vault = await engine.vaultOf(id);
    const escrow = 100n * USD + 2n * ORDER_EXECUTION_FEE;
    expect(await usd.balanceOf(vault)).to.equal(310n * USD + KEEPER_RESERVE + escrow);

    await advance(s, 30n);
    await setPrice(s, ETH, 2_750n * WAD);
    const t = await pinNextBlock(s, 1n);
    const expected = await expectedAt(s, id, openedAt, t, 2_750n * WAD);
    // The split uses recorded amounts only: the keeper gets the recorded reserve and the fee, not the escrow.
    const preview = await lens.previewLiquidation(id, { blockTag: "pending" });
    const liquidation = engine.connect(keeper).liquidate(id);
    await expect(liquidation)
      .to.emit(engine, "OrderCancelled")
      .withArgs(
        id,
        OrderKind.Increase,
        CancelReason.PositionClosed,
        keeper.address,
        100n * USD + ORDER_EXECUTION_FEE,
        0n,
      );
    await expect(liquidation)
      .to.emit(engine, "OrderCancelled")
      .withArgs(id, OrderKind.Close, CancelReason.PositionClosed, keeper.address, ORDER_EXECUTION_FEE, 0n);
    await expect(liquidation)
      .to.emit(engine, "PositionLiquidated")
      .withArgs(
        id,
        alice.address,
        keeper.address,
        2_750n * WAD,
        expected.keeperReward,
        expected.penalty,
        expected.ownerRefund,
        0n,
        0n,
        expected.closeFee,
      );
    await expect(liquidation).to.changeTokenBalances(
      ethers,
      usd,
      [alice, keeper, vault],
      [escrow + expected.ownerRefund, expected.keeperReward, -(310n * USD + KEEPER_RESERVE + escrow)],
    );
    // SPEC "previewLiquidation(id) returns each party's share": what the engine paid.
    expect(
      [preview.keeperReward, preview.penalty, preview.ownerRefund, preview.closeFee],
      "the lens previews what the engine pays",
    ).to.deep.equal([expected.keeperReward, expected.penalty, expected.ownerRefund, expected.closeFee]);
  });

  it("a close whose round put the position under water pays bad debt with no keeper fee, penalty or closing fee", async function () {
    const { engine, usd, pool, insurance } = s;
    const { alice, keeper } = s.actors;
    const { id, openedAt } = await openAt(s, alice, ETH, true, WAD, 310n * USD);
    await mined(usd.mint(insurance, 100n * USD));
    await requestClose(s, id);
    await advance(s, 600n);
    // The close's round answers 2,600 (equity ≈ −90 USD); the next round is back at 3,000, the latest price at which
    // the position is healthy: it is not liquidated, and closes at its own round's answer (rule 1).
    await publishRound(s, ETH, 2_600n * WAD);
    await publishRound(s, ETH, 3_000n * WAD);
    const t = await pinNextBlock(s, 1n);
    const expected = expectedClose({
      isLong: true,
      size: WAD,
      entryPrice: 3_000n * WAD,
      price: 2_600n * WAD,
      collateral: 310n * USD,
      maxProfit: 2_790n * USD,
      borrowIndexDelta: BORROW_RATE * (t - openedAt),
      keeperReserve: KEEPER_RESERVE,
      closeFeeRatio: WAD / 1_000n,
    });
    expect(expected.badDebt > 90n * USD && expected.badDebt < 91n * USD).to.equal(true);
    // Nothing left for the receiver but the keeper reserve; the closing fee is not owed, and is not bad debt.
    expect(expected.payout).to.equal(KEEPER_RESERVE);
    expect(expected.fees).to.equal(expected.badDebt - 90n * USD);
    const vault = await engine.vaultOf(id);
    const close = engine.connect(keeper).executeOrder(id);
    await expect(close)
      .to.emit(engine, "PositionClosed")
      .withArgs(
        id,
        alice.address,
        2_600n * WAD,
        expected.pnl,
        expected.fees,
        KEEPER_RESERVE,
        expected.badDebt,
        alice.address,
      );
    await expect(close)
      .to.emit(engine, "OrderExecuted")
      .withArgs(id, OrderKind.Close, keeper.address, anyValue, 2_600n * WAD, ORDER_EXECUTION_FEE);
    await expect(close).to.emit(insurance, "BadDebtCovered").withArgs(expected.badDebt, expected.badDebt);
    await expect(close).to.changeTokenBalances(
      ethers,
      usd,
      [alice, keeper, insurance, pool, vault],
      [
        KEEPER_RESERVE,
        ORDER_EXECUTION_FEE,
        -expected.badDebt,
        310n * USD + expected.badDebt,
        -(310n * USD + KEEPER_RESERVE + ORDER_EXECUTION_FEE),
      ],
    );
    expect((await engine.position(id)).owner).to.equal(ethers.ZeroAddress);
  });
});

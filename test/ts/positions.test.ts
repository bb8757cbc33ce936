/**
 * A position's life through two-step orders, on the typechain bindings: every request escrows what the trader brings,
 * the feed's next round prices it, and anyone executes it inside the execution window; amounts are predicted to the
 * unit from SPEC §1 (test/ts/expected-math.ts). Refused requests revert with a custom error and change nothing;
 * orders that fail at their price are cancelled, with the refund the rules give.
 */
import { expect } from "chai";
import type { ContractTransactionResponse } from "ethers";
import { network } from "hardhat";

import type { PositionStructOutput } from "../../typechain-types/contracts/MarginEngine.js";
import {
  ANY_PRICE,
  BORROW_RATE,
  BTC,
  CancelReason,
  ETH,
  HEARTBEAT,
  KEEPER_RESERVE,
  MAX_EXECUTION_DELAY,
  MIN_COLLATERAL,
  ORDER_EXECUTION_FEE,
  OrderKind,
  POOL_LIQUIDITY,
  SCALE,
  USD,
  WAD,
  advance,
  closePosition,
  deadline,
  decrease,
  deployBulkhead,
  executeAt,
  executeOrders,
  fund,
  increase,
  mined,
  now,
  openFeeOf,
  openPosition,
  pinNextBlock,
  publishRound,
  requestClose,
  requestDecrease,
  requestIncrease,
  requestOpen,
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

const FEE = ORDER_EXECUTION_FEE;

/** Every field of a stored position, to compare records. */
function recordOf(p: PositionStructOutput): unknown[] {
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
const OPEN_FEE = WAD / 1_000n;

describe("MarginEngine: a position's life in two-step orders", function () {
  let s: Bulkhead;

  beforeEach(async function () {
    s = await networkHelpers.loadFixture(deployBulkhead);
  });

  /** The keeper executes `id`'s orders one second from now (after a round the caller published). */
  async function execute(id: bigint): Promise<ContractTransactionResponse> {
    await pinNextBlock(s, 1n);
    return s.engine.connect(s.actors.keeper).executeOrder(id);
  }

  it("requests, executes, increases, decreases, moves margin and closes in profit, paying exactly what the rules say", async function () {
    const { engine, usd, pool, insurance, ethFeed } = s;
    const { alice, bob, carol, keeper } = s.actors;
    const receiver = s.actors.others[0]!;
    await fund(s, alice, 10_000n * USD);
    await fund(s, carol, 100n * USD);
    const everyone = [alice, bob, carol, receiver, keeper, pool, insurance];
    const total = async (): Promise<bigint> => {
      let sum = 0n;
      for (const who of everyone) sum += await usd.balanceOf(who);
      return sum;
    };
    const startTotal = await total();
    const keeperStart = await usd.balanceOf(keeper);
    const id = await engine.nextPositionId();

    // ---- request: 1 ETH long at up to 3,000. The 0.1 % opening fee (3 USD) is escrowed on top of the 600 USD the
    // position is to hold; with it the 5 USD keeper reserve and the execution fee.
    const openFee = owedOnNotional(WAD, 3_000n * WAD, OPEN_FEE);
    expect(openFee).to.equal(3n * USD);
    const escrow = 600n * USD + openFee;
    const [roundId] = await ethFeed.latestRoundData();
    const tRequest = await pinNextBlock(s, 10n);
    const request = engine.connect(alice).requestOpen(ETH, true, WAD, escrow, 3_000n * WAD, tRequest + 3_600n, FEE);
    await expect(request)
      .to.emit(engine, "OrderRequested")
      .withArgs(
        id,
        alice.address,
        ETH,
        OrderKind.Open,
        true,
        WAD,
        escrow,
        3_000n * WAD,
        tRequest + 3_600n,
        FEE,
        roundId,
        alice.address,
      );
    await expect(request).to.changeTokenBalances(ethers, usd, [alice, pool], [-(escrow + KEEPER_RESERVE + FEE), 0n]);
    // The position exists, with a vault holding the escrow, but is not open: no size, no collateral, nothing reserved.
    let p = await engine.position(id);
    const vault = p.vault;
    expect([p.owner, p.size, p.collateral, p.keeperReserve]).to.deep.equal([alice.address, 0n, 0n, KEEPER_RESERVE]);
    expect(await engine.vaultOf(id)).to.equal(vault);
    expect(await usd.balanceOf(vault)).to.equal(escrow + KEEPER_RESERVE + FEE);
    expect(await engine.totalReserved()).to.equal(0n);
    const [order, close] = await engine.orders(id);
    expect([
      order.kind,
      order.roundId,
      order.requestedAt,
      order.deadline,
      order.executionFee,
      order.sizeDelta,
      order.acceptablePrice,
      order.receiver,
      order.collateralDelta,
    ]).to.deep.equal([
      OrderKind.Open,
      roundId,
      tRequest,
      tRequest + 3_600n,
      FEE,
      WAD,
      3_000n * WAD,
      alice.address,
      escrow,
    ]);
    expect(close.kind).to.equal(OrderKind.None);
    expect(await engine.orderStatus(id)).to.deep.equal([1n, 0n]);

    // ---- execution: the feed's next round, then the keeper, who earns the fee. The opening fee comes out of the
    // escrowed collateral.
    await publishRound(s, ETH);
    expect(await engine.orderStatus(id)).to.deep.equal([2n, roundId + 1n]);
    const execution = await execute(id);
    const tOpen = await now(s);
    await expect(execution)
      .to.emit(engine, "OrderExecuted")
      .withArgs(id, OrderKind.Open, keeper.address, roundId + 1n, 3_000n * WAD, FEE);
    await expect(execution)
      .to.emit(engine, "PositionOpened")
      .withArgs(
        id,
        alice.address,
        ETH,
        true,
        vault,
        WAD,
        3_000n * WAD,
        600n * USD,
        openFee,
        3_000n * USD,
        KEEPER_RESERVE,
      );
    await expect(execution).to.changeTokenBalances(
      ethers,
      usd,
      [alice, vault, pool, keeper],
      [0n, -(openFee + FEE), openFee, FEE],
    );
    p = await engine.position(id);
    expect([p.collateral, p.size, p.entryPrice]).to.deep.equal([600n * USD, WAD, 3_000n * WAD]);
    // The market was never touched before: its index starts at zero with the execution.
    expect(p.borrowIndex).to.equal(0n);
    // The cap is the lower of 9 × 600 = 5,400 USD and 100 % of the 3,000 USD notional.
    expect(p.maxProfit).to.equal(capAtOpen(600n * USD, WAD, 3_000n * WAD, s.markets[0]));
    expect(p.maxProfit).to.equal(3_000n * USD);
    expect(await engine.totalReserved()).to.equal(3_000n * USD);
    expect(await usd.balanceOf(vault)).to.equal(600n * USD + KEEPER_RESERVE);
    const indexAt = (t: bigint): bigint => BORROW_RATE * (t - tOpen);

    // ---- increase by 0.5 ETH at 3,100, escrowing 100 USD: the borrow fee and the opening fee come out of the
    // collateral.
    await advance(s, 1_800n);
    await setPrice(s, ETH, 3_100n * WAD);
    await mined(engine.connect(alice).requestIncrease(id, WAD / 2n, 100n * USD, 3_100n * WAD, await deadline(s), FEE));
    await publishRound(s, ETH);
    const tIncrease = (await now(s)) + 1n;
    const increaseFees =
      borrowFeeOf(WAD, 3_000n * WAD, indexAt(tIncrease)) + owedOnNotional(WAD / 2n, 3_100n * WAD, OPEN_FEE);
    expect(owedOnNotional(WAD / 2n, 3_100n * WAD, OPEN_FEE)).to.equal(1_550_000n);
    const entry1 = averageEntry(true, WAD, 3_000n * WAD, WAD / 2n, 3_100n * WAD);
    // (3,000 + 1,550) / 1.5, rounded up against the long.
    expect(entry1).to.equal(3_033_333_333_333_333_333_334n);
    let collateral = 700n * USD - increaseFees;
    const increased = await execute(id);
    await expect(increased)
      .to.emit(engine, "PositionIncreased")
      .withArgs(
        id,
        WAD / 2n,
        100n * USD,
        3_100n * WAD,
        (3n * WAD) / 2n,
        entry1,
        collateral,
        increaseFees,
        3_900n * USD,
      );
    await expect(increased).to.changeTokenBalances(
      ethers,
      usd,
      [alice, vault, pool, keeper],
      [0n, -(increaseFees + FEE), increaseFees, FEE],
    );
    p = await engine.position(id);
    expect(p.borrowIndex).to.equal(indexAt(tIncrease));
    // The increase brings its own cap only: min(9 × 100, 100 % of 1,550) = 900 USD on top of the 3,000.
    expect(p.maxProfit).to.equal(3_000n * USD + capAtOpen(100n * USD, WAD / 2n, 3_100n * WAD, s.markets[0]));
    expect(p.maxProfit).to.equal(3_900n * USD);

    // ---- decrease by 0.5 ETH at 3,200, paid to another address: the closed third takes floor(cap × 1/3) of the cap,
    // its share of the collateral and its pnl less fees.
    await advance(s, 1_800n);
    await setPrice(s, ETH, 3_200n * WAD);
    await mined(engine.connect(alice).requestDecrease(id, WAD / 2n, 3_200n * WAD, await deadline(s), FEE, bob));
    await publishRound(s, ETH);
    const tDecrease = (await now(s)) + 1n;
    const keptMaxProfit = mulDivUp(3_900n * USD, WAD, (3n * WAD) / 2n);
    expect(keptMaxProfit).to.equal(2_600n * USD);
    expect(3_900n * USD - keptMaxProfit).to.equal(mulDivDown(3_900n * USD, WAD / 2n, (3n * WAD) / 2n));
    const decreasePnl = pnlOf(true, WAD / 2n, entry1, 3_200n * WAD, 3_900n * USD - keptMaxProfit);
    const decreaseFees =
      borrowFeeOf((3n * WAD) / 2n, entry1, indexAt(tDecrease) - indexAt(tIncrease)) +
      owedOnNotional(WAD / 2n, 3_200n * WAD, OPEN_FEE);
    const collateralOut = mulDivDown(collateral, WAD / 2n, (3n * WAD) / 2n);
    const decreaseSettlement = decreasePnl - decreaseFees;
    expect(decreaseSettlement > 0n).to.equal(true);
    const decreasePayout = collateralOut + decreaseSettlement;
    collateral -= collateralOut;
    const decreased = await execute(id);
    await expect(decreased)
      .to.emit(engine, "PositionDecreased")
      .withArgs(
        id,
        WAD / 2n,
        3_200n * WAD,
        decreasePnl,
        decreaseFees,
        decreasePayout,
        WAD,
        collateral,
        keptMaxProfit,
        bob.address,
      );
    await expect(decreased).to.changeTokenBalances(
      ethers,
      usd,
      [bob, alice, vault, pool, keeper],
      [decreasePayout, 0n, -(collateralOut + FEE), -decreaseSettlement, FEE],
    );
    p = await engine.position(id);
    expect([p.size, p.entryPrice, p.collateral, p.maxProfit, p.borrowIndex]).to.deep.equal([
      WAD,
      entry1,
      collateral,
      keptMaxProfit,
      indexAt(tDecrease),
    ]);

    // ---- add margin: anyone may (carol here), at no price and with no fee settlement; the cap does not grow.
    await advance(s, 600n);
    const addMargin = engine.connect(carol).addMargin(id, 50n * USD);
    await expect(addMargin)
      .to.emit(engine, "MarginAdded")
      .withArgs(id, carol.address, 50n * USD, collateral + 50n * USD);
    await expect(addMargin).to.changeTokenBalances(ethers, usd, [carol, vault], [-(50n * USD), 50n * USD]);
    collateral += 50n * USD;
    expect((await engine.position(id)).maxProfit).to.equal(keptMaxProfit);

    // ---- remove margin to a receiver: initial margin counts losses and owed fees, never unrealised profit.
    await advance(s, 600n);
    let tRemove = await pinNextBlock(s, 5n);
    const required = owedOnNotional(WAD, 3_200n * WAD, WAD / 10n);
    expect(required).to.equal(320n * USD);
    const tooMuch = collateral - 300n * USD;
    const equityAfter = 300n * USD - borrowFeeOf(WAD, entry1, indexAt(tRemove) - indexAt(tDecrease));
    await expect(engine.connect(alice).removeMargin(id, tooMuch, receiver))
      .to.be.revertedWithCustomError(engine, "InitialMarginBreached")
      .withArgs(equityAfter, required);
    tRemove = await pinNextBlock(s, 5n);
    const removeMargin = engine.connect(alice).removeMargin(id, 20n * USD, receiver);
    // The cap only shrinks: min(9 × the collateral left, cap) = cap here.
    await expect(removeMargin)
      .to.emit(engine, "MarginRemoved")
      .withArgs(id, 20n * USD, collateral - 20n * USD, keptMaxProfit, receiver.address);
    await expect(removeMargin).to.changeTokenBalances(
      ethers,
      usd,
      [receiver, alice, vault],
      [20n * USD, 0n, -(20n * USD)],
    );
    collateral -= 20n * USD;

    // ---- close at 3,300 in profit: the pool pays the profit less fees; the vault returns collateral and reserve.
    await advance(s, 1_200n);
    await setPrice(s, ETH, 3_300n * WAD);
    await mined(engine.connect(alice).requestClose(id, 3_300n * WAD, await deadline(s), FEE, alice));
    await publishRound(s, ETH);
    const tClose = (await now(s)) + 1n;
    const closePnl = pnlOf(true, WAD, entry1, 3_300n * WAD, keptMaxProfit);
    expect(closePnl).to.equal(266_666_666n); // (3,300 − 3,033.33…) rounded down
    const closeFees =
      borrowFeeOf(WAD, entry1, indexAt(tClose) - indexAt(tDecrease)) + owedOnNotional(WAD, 3_300n * WAD, OPEN_FEE);
    const closeSettlement = closePnl - closeFees;
    expect(await usd.balanceOf(vault)).to.equal(collateral + KEEPER_RESERVE + FEE);
    const payout = collateral + closeSettlement + KEEPER_RESERVE;
    const closed = await execute(id);
    await expect(closed)
      .to.emit(engine, "PositionClosed")
      .withArgs(id, alice.address, 3_300n * WAD, closePnl, closeFees, payout, 0n, alice.address);
    await expect(closed).to.changeTokenBalances(
      ethers,
      usd,
      [alice, vault, pool, keeper],
      [payout, -(collateral + KEEPER_RESERVE + FEE), -closeSettlement, FEE],
    );

    // The position is gone, its vault is empty and free for the next position; nothing is left reserved.
    expect((await engine.position(id)).owner).to.equal(ethers.ZeroAddress);
    expect(await engine.vaultOf(id)).to.equal(ethers.ZeroAddress);
    expect(await usd.balanceOf(vault)).to.equal(0n);
    expect(await engine.freeVaultCount()).to.equal(1n);
    expect(await engine.totalReserved()).to.equal(0n);
    expect(await engine.totalEntryNotional()).to.equal(0n);
    const side = await engine.sideState(ETH, true);
    expect([side.openInterest, side.entryNotional, side.collateral, side.maxProfit]).to.deep.equal([0n, 0n, 0n, 0n]);

    // Conservation: nothing was created or lost; the pool kept the fees and paid the profits, the keeper earned four
    // execution fees, the insurance fund saw nothing.
    expect(await total()).to.equal(startTotal);
    expect(await usd.balanceOf(pool)).to.equal(
      POOL_LIQUIDITY + openFee + increaseFees - decreaseSettlement - closeSettlement,
    );
    expect((await usd.balanceOf(keeper)) - keeperStart).to.equal(4n * FEE);
    expect(await usd.balanceOf(insurance)).to.equal(0n);

    // The next position reuses the vault.
    const next = await requestOpen(s, bob, ETH, false, WAD, 600n * USD);
    expect(await engine.vaultOf(next)).to.equal(vault);
    expect(await engine.freeVaultCount()).to.equal(0n);
  });

  it("an order executes at the first round observed after its request, and only inside the execution window", async function () {
    const { engine, usd } = s;
    const { alice, bob, keeper } = s.actors;
    // Two rounds after the request: the order trades at the first one's answer, not the latest.
    const id = await requestOpen(s, alice, ETH, true, WAD, 600n * USD);
    const [roundId] = await s.ethFeed.latestRoundData();
    await publishRound(s, ETH, 3_010n * WAD);
    await publishRound(s, ETH, 3_050n * WAD);
    await expect(execute(id))
      .to.emit(engine, "OrderExecuted")
      .withArgs(id, OrderKind.Open, keeper.address, roundId + 1n, 3_010n * WAD, FEE);
    expect((await engine.position(id)).entryPrice).to.equal(3_010n * WAD);

    // Its round came, but nobody executed it within maxExecutionDelay: anyone cancels it, with a full refund.
    const late = await requestOpen(s, alice, ETH, true, WAD, 600n * USD);
    await publishRound(s, ETH);
    await advance(s, MAX_EXECUTION_DELAY + 1n);
    expect((await engine.orderStatus(late))[0]).to.equal(3n);
    const cancelled = engine.connect(bob).cancelOrder(late);
    await expect(cancelled)
      .to.emit(engine, "OrderCancelled")
      .withArgs(late, OrderKind.Open, CancelReason.WindowMissed, bob.address, 600n * USD + KEEPER_RESERVE + FEE, 0n);
    await expect(cancelled).to.changeTokenBalances(ethers, usd, [alice, bob], [600n * USD + KEEPER_RESERVE + FEE, 0n]);
    expect((await engine.position(late)).owner).to.equal(ethers.ZeroAddress);

    // No round before its deadline: it can no longer execute, and a later round does not revive it.
    const expired = await requestOpen(s, alice, ETH, true, WAD, 600n * USD, { deadline: (await now(s)) + 30n });
    await expect(engine.connect(bob).cancelOrder(expired))
      .to.be.revertedWithCustomError(engine, "OrderStillExecutable")
      .withArgs(expired);
    await advance(s, 60n);
    await publishRound(s, ETH);
    const refund = 600n * USD + KEEPER_RESERVE + FEE;
    await expect(execute(expired))
      .to.emit(engine, "OrderCancelled")
      .withArgs(expired, OrderKind.Open, CancelReason.Expired, keeper.address, refund, 0n);
    expect(await engine.nextPositionId()).to.equal(expired + 1n);
  });

  it("one order and one close per position: a close replaces an order whose round does not exist yet, and otherwise executes after it", async function () {
    const { engine, usd } = s;
    const { alice } = s.actors;
    const id = await openPosition(s, alice, ETH, true, 2n * WAD, 1_000n * USD);
    const d = await deadline(s);

    // An increase waiting for its round, then a close: the increase is cancelled and refunded.
    await requestIncrease(s, id, WAD, 200n * USD);
    const replaced = engine.connect(alice).requestClose(id, 0n, d, FEE, alice);
    await expect(replaced)
      .to.emit(engine, "OrderCancelled")
      .withArgs(id, OrderKind.Increase, CancelReason.Replaced, alice.address, 200n * USD + FEE, 0n);
    await expect(replaced).to.changeTokenBalance(ethers, usd, alice, 200n * USD + FEE - FEE);
    const [order, close] = await engine.orders(id);
    expect([order.kind, close.kind]).to.deep.equal([OrderKind.None, OrderKind.Close]);
    // Nothing else may be requested beside a pending close, and no margin removed while it waits.
    await expect(engine.connect(alice).requestClose(id, 0n, d, FEE, alice))
      .to.be.revertedWithCustomError(engine, "ClosePending")
      .withArgs(id);
    await expect(engine.connect(alice).requestDecrease(id, WAD, 0n, d, FEE, alice))
      .to.be.revertedWithCustomError(engine, "ClosePending")
      .withArgs(id);
    await expect(engine.connect(alice).removeMargin(id, USD, alice))
      .to.be.revertedWithCustomError(engine, "ClosePending")
      .withArgs(id);
    // Margin can always be added.
    await expect(engine.connect(alice).addMargin(id, USD)).to.emit(engine, "MarginAdded");
    await executeAt(s, ETH, [id]);
    expect((await engine.position(id)).owner).to.equal(ethers.ZeroAddress);

    // An increase whose round exists, then a close: the close waits behind it. Once the close has its own round, one
    // execution runs both, in request order, each at its own round.
    const other = await openPosition(s, alice, ETH, true, WAD, 600n * USD);
    await requestIncrease(s, other, WAD / 2n, 100n * USD);
    await expect(engine.connect(alice).removeMargin(other, USD, alice))
      .to.be.revertedWithCustomError(engine, "OrderPending")
      .withArgs(other);
    await expect(engine.connect(alice).requestDecrease(other, WAD / 2n, 0n, d, FEE, alice))
      .to.be.revertedWithCustomError(engine, "OrderPending")
      .withArgs(other);
    const firstRound = await s.ethFeed.latestRound();
    await publishRound(s, ETH, 3_010n * WAD);
    await requestClose(s, other);
    expect((await engine.orders(other)).map((o) => o.kind)).to.deep.equal([OrderKind.Increase, OrderKind.Close]);
    await publishRound(s, ETH, 3_020n * WAD);
    await pinNextBlock(s, 1n);
    const both = await executeOrders(s, [other]);
    expect(both.executed).to.deep.equal([other, other]);
    const trades = both.receipt.logs
      .map((log) => engine.interface.parseLog(log))
      .filter((event) => event?.name === "OrderExecuted")
      .map((event) => [event?.args.kind, event?.args.roundId, event?.args.price]);
    expect(trades).to.deep.equal([
      [OrderKind.Increase, firstRound + 1n, 3_010n * WAD],
      [OrderKind.Close, firstRound + 2n, 3_020n * WAD],
    ]);
    expect((await engine.position(other)).owner).to.equal(ethers.ZeroAddress);
  });

  it("decrease leaves size − sizeDelta, pays out the closed share of collateral and keeps the vault equal to the record", async function () {
    const { engine, usd, pool } = s;
    const { alice } = s.actors;
    const id = await openPosition(s, alice, ETH, true, WAD, 600n * USD);
    await advance(s, 60n);
    const before = await usd.balanceOf(alice);
    await requestDecrease(s, id, WAD / 4n);
    // While the order waits, the vault holds the record plus the escrowed execution fee.
    expect(await vaultBalance(s, id)).to.equal(600n * USD + KEEPER_RESERVE + FEE);
    await executeAt(s, ETH, [id]);

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
    expect(side.collateral).to.equal(p.collateral);
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
    await decrease(s, id, WAD);
    await closePosition(s, id);

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
    const { bob, keeper } = s.actors;
    // An awkward size, so that every rounding direction matters.
    const size = 123_456_789_012_345_678n;
    const openFee = owedOnNotional(size, 60_000n * WAD, OPEN_FEE);
    const id = await requestOpen(s, bob, BTC, false, size, 1_000n * USD + openFee, { acceptablePrice: 60_000n * WAD });
    const vault = await engine.vaultOf(id);
    const opened = await executeAt(s, BTC, [id]);
    expect(opened.executed).to.deep.equal([id]);
    const tOpen = opened.at;
    expect(await usd.balanceOf(vault)).to.equal(1_005n * USD);

    await advance(s, 1_800n);
    const price = 61_234_567_890_120_000_000_000n; // 61,234.56789012
    await setPrice(s, BTC, price);
    // A short closing wants a low price: its bound is the highest acceptable. One unit below the round's answer, the
    // close is cancelled at execution and its executor keeps the execution fee (rule 6).
    await requestClose(s, id, { acceptablePrice: price - 1n });
    const refused = await executeAt(s, BTC, [id]);
    expect(refused.cancelled).to.deep.equal([
      { positionId: id, kind: OrderKind.Close, reason: "PriceBound", refund: 0n, executorFee: FEE },
    ]);
    expect((await engine.position(id)).size).to.equal(size);

    await requestClose(s, id, { acceptablePrice: price });
    await publishRound(s, BTC);
    const tClose = (await now(s)) + 1n;
    const pnl = pnlOf(false, size, 60_000n * WAD, price, 9_000n * USD);
    // 0.123456789012345678 × 1,234.56789012 = 152.41578753… USD, a loss rounded up.
    expect(pnl).to.equal(-152_415_788n);
    const fees =
      borrowFeeOf(size, 60_000n * WAD, BORROW_RATE * (tClose - tOpen)) + owedOnNotional(size, price, OPEN_FEE);
    const toPool = -(pnl - fees);
    const payout = 1_005n * USD - toPool;
    const close = execute(id);
    await expect(close)
      .to.emit(engine, "PositionClosed")
      .withArgs(id, bob.address, price, pnl, fees, payout, 0n, bob.address);
    await expect(close).to.changeTokenBalances(
      ethers,
      usd,
      [bob, vault, pool, keeper],
      [payout, -(1_005n * USD + FEE), toPool, FEE],
    );
    expect((await engine.position(id)).owner).to.equal(ethers.ZeroAddress);
  });

  it("caps a position's profit at maxProfitRatio × collateral", async function () {
    const { engine, usd, pool } = s;
    const { carol } = s.actors;
    // 10 ETH on 3,000 USD (exactly the maximum leverage): a 9 × 3,000 = 27,000 USD cap, reached at 5,700.
    const id = await requestOpen(s, carol, ETH, true, 10n * WAD, 3_030n * USD);
    const opened = await executeAt(s, ETH, [id]);
    const tOpen = opened.at;
    expect((await engine.position(id)).collateral).to.equal(3_000n * USD);
    expect((await engine.position(id)).maxProfit).to.equal(27_000n * USD);
    expect(await engine.totalReserved()).to.equal(27_000n * USD);

    await advance(s, 600n);
    await setPrice(s, ETH, 6_000n * WAD);
    await requestClose(s, id);
    await publishRound(s, ETH);
    const t = (await now(s)) + 1n;
    expect(pnlOf(true, 10n * WAD, 3_000n * WAD, 6_000n * WAD, ANY_PRICE)).to.equal(30_000n * USD);
    const fees =
      borrowFeeOf(10n * WAD, 3_000n * WAD, BORROW_RATE * (t - tOpen)) +
      owedOnNotional(10n * WAD, 6_000n * WAD, OPEN_FEE);
    const payout = 3_005n * USD + 27_000n * USD - fees;
    const close = execute(id);
    await expect(close)
      .to.emit(engine, "PositionClosed")
      .withArgs(id, carol.address, 6_000n * WAD, 27_000n * USD, fees, payout, 0n, carol.address);
    await expect(close).to.changeTokenBalances(ethers, usd, [carol, pool], [payout, -(27_000n * USD - fees)]);
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
    await increase(s, id, WAD / 10n, 100n * USD);
    const newSize = WAD + WAD / 10n;
    const entry = 7_000n * WAD - mulDivDown(3_000n * USD * SCALE, WAD, newSize);
    const p = await engine.position(id);
    expect(p.size).to.equal(newSize);
    expect(p.entryPrice).to.equal(entry);
    expect(p.maxProfit).to.equal(3_700n * USD);
    expect(pnlOf(true, newSize, entry, 7_000n * WAD, ANY_PRICE)).to.equal(3_000n * USD - 1n);
    expect(await lens.atCap([id])).to.deep.equal([false]);

    // What a decrease leaves must still reach the minimum notional: 0.001 ETH at 7,000 is 7 USD (with enough margin
    // added that the rest's share of collateral is above the minimum collateral). The order is cancelled at its
    // price, for margin: the executor keeps the fee, the position stays as it was.
    await fund(s, alice, 20_900n * USD);
    await mined(engine.connect(alice).addMargin(id, 20_900n * USD));
    const before = await engine.position(id);
    await requestDecrease(s, id, newSize - WAD / 1_000n);
    const result = await executeAt(s, ETH, [id]);
    expect(result.cancelled).to.deep.equal([
      { positionId: id, kind: OrderKind.Decrease, reason: "Margin", refund: 0n, executorFee: FEE },
    ]);
    expect(recordOf(await engine.position(id))).to.deep.equal(recordOf(before));
  });

  it("removeMargin lowers the cap to maxProfitRatio × the collateral left", async function () {
    const { engine } = s;
    const { alice, bob } = s.actors;
    // 1 ETH on 1,000 USD: the cap is the 3,000 USD notional. With 320 USD left, 9 × 320 = 2,880 USD is lower.
    const id = await openPosition(s, alice, ETH, true, WAD, 1_000n * USD);
    const reserved = await engine.totalReserved();
    await expect(engine.connect(alice).removeMargin(id, 680n * USD, bob))
      .to.emit(engine, "MarginRemoved")
      .withArgs(id, 680n * USD, 320n * USD, 2_880n * USD, bob.address);
    expect((await engine.position(id)).maxProfit).to.equal(2_880n * USD);
    // The reservation is released with it.
    expect(await engine.totalReserved()).to.equal(reserved - 120n * USD);
  });

  describe("rejects bad input with a custom error that names it, and cancels orders that fail at their price", function () {
    it("requestOpen refuses bad input and changes nothing", async function () {
      const { engine, usd, config } = s;
      const { alice } = s.actors;
      await fund(s, alice, 1_000n * USD);
      const trader = engine.connect(alice);
      const t = await pinNextBlock(s, 1n);
      const before = [await engine.nextPositionId(), await usd.balanceOf(alice), await engine.freeVaultCount()];
      await expect(
        trader.requestOpen(ETH, true, 0n, 600n * USD, ANY_PRICE, t + 60n, FEE),
      ).to.be.revertedWithCustomError(engine, "ZeroSize");
      await expect(trader.requestOpen(ETH, true, WAD, 600n * USD, ANY_PRICE, t - 1n, FEE))
        .to.be.revertedWithCustomError(engine, "DeadlineExpired")
        .withArgs(t - 1n, t);
      await expect(trader.requestOpen(ETH, true, WAD, 600n * USD, ANY_PRICE, t + 60n, FEE - 1n))
        .to.be.revertedWithCustomError(engine, "ExecutionFeeTooLow")
        .withArgs(FEE - 1n, FEE);
      await expect(trader.requestOpen(ETH, true, WAD / 1_000n, MIN_COLLATERAL - 1n, ANY_PRICE, t + 60n, FEE))
        .to.be.revertedWithCustomError(engine, "CollateralBelowMinimum")
        .withArgs(MIN_COLLATERAL - 1n, MIN_COLLATERAL);
      await expect(trader.requestOpen(7n, true, WAD, 600n * USD, ANY_PRICE, t + 60n, FEE))
        .to.be.revertedWithCustomError(config, "UnknownMarket")
        .withArgs(7n);
      await mined(config.connect(s.actors.guardian).pause());
      await expect(
        trader.requestOpen(ETH, true, WAD, 600n * USD, ANY_PRICE, t + 60n, FEE),
      ).to.be.revertedWithCustomError(engine, "Paused");
      expect([await engine.nextPositionId(), await usd.balanceOf(alice), await engine.freeVaultCount()]).to.deep.equal(
        before,
      );
    });

    it("an open cancelled at its price: the executor keeps the fee for price and margin, nobody for capacity", async function () {
      const { engine, usd } = s;
      const { alice, keeper } = s.actors;
      const fee = (size: bigint): bigint => openFeeOf(s, ETH, size, 3_000n * WAD);
      const ids = {
        // A long's bound is a highest price; a short's a lowest.
        longBound: await requestOpen(s, alice, ETH, true, WAD, 600n * USD, { acceptablePrice: 3_000n * WAD - 1n }),
        shortBound: await requestOpen(s, alice, ETH, false, WAD, 600n * USD, { acceptablePrice: 3_000n * WAD + 1n }),
        // 10× is the maximum leverage: 1 ETH at 3,000 needs 300 USD after the 3 USD opening fee.
        leverage: await requestOpen(s, alice, ETH, true, WAD, 300n * USD + fee(WAD) - 1n),
        // Below the minimum notional (10 USD): 0.003 ETH is 9 USD.
        notional: await requestOpen(s, alice, ETH, true, (3n * WAD) / 1_000n, MIN_COLLATERAL + USD),
        // A 1.2M USD profit cap (100 % of a 1.2M USD notional, below 9 × 200,000) cannot be reserved in a 1M pool.
        capacity: await requestOpen(s, alice, ETH, true, 400n * WAD, 200_000n * USD + fee(400n * WAD)),
        // Exactly at the maximum leverage: it opens.
        fits: await requestOpen(s, alice, ETH, true, WAD, 300n * USD + fee(WAD)),
      };
      const aliceBefore = await usd.balanceOf(alice);
      const keeperBefore = await usd.balanceOf(keeper);
      const result = await executeAt(s, ETH, Object.values(ids));
      expect(result.executed).to.deep.equal([ids.fits]);
      const refund = (escrow: bigint): bigint => escrow + KEEPER_RESERVE;
      expect(result.cancelled).to.deep.equal([
        {
          positionId: ids.longBound,
          kind: OrderKind.Open,
          reason: "PriceBound",
          refund: refund(600n * USD),
          executorFee: FEE,
        },
        {
          positionId: ids.shortBound,
          kind: OrderKind.Open,
          reason: "PriceBound",
          refund: refund(600n * USD),
          executorFee: FEE,
        },
        {
          positionId: ids.leverage,
          kind: OrderKind.Open,
          reason: "Margin",
          refund: refund(300n * USD + fee(WAD) - 1n),
          executorFee: FEE,
        },
        {
          positionId: ids.notional,
          kind: OrderKind.Open,
          reason: "Margin",
          refund: refund(MIN_COLLATERAL + USD),
          executorFee: FEE,
        },
        // An executor can provoke a capacity failure (by timing): it earns nothing, the trader gets everything back.
        {
          positionId: ids.capacity,
          kind: OrderKind.Open,
          reason: "Capacity",
          refund: refund(200_000n * USD + fee(400n * WAD)) + FEE,
          executorFee: 0n,
        },
      ]);
      const refunds = result.cancelled.reduce((sum, c) => sum + c.refund, 0n);
      expect((await usd.balanceOf(alice)) - aliceBefore).to.equal(refunds);
      expect((await usd.balanceOf(keeper)) - keeperBefore).to.equal(5n * FEE);
      // The cancelled positions are gone and their vaults free; the one that fits is open with 300 USD.
      for (const id of [ids.longBound, ids.shortBound, ids.leverage, ids.notional, ids.capacity]) {
        expect((await engine.position(id)).owner).to.equal(ethers.ZeroAddress);
      }
      expect(await engine.freeVaultCount()).to.equal(5n);
      expect((await engine.position(ids.fits)).collateral).to.equal(300n * USD);
    });

    it("increase, decrease, close and margin calls on someone else's or an unknown position; orders that fail for margin", async function () {
      const { engine, usd } = s;
      const { alice, bob } = s.actors;
      const id = await openPosition(s, alice, ETH, true, WAD, 600n * USD);
      await fund(s, bob, 1_000n * USD);
      await fund(s, alice, 1_000n * USD);
      const d = await deadline(s);
      const record = recordOf(await engine.position(id));
      const vault = await vaultBalance(s, id);
      const asBob = engine.connect(bob);
      await expect(asBob.requestClose(id, 0n, d, FEE, bob))
        .to.be.revertedWithCustomError(engine, "NotPositionOwner")
        .withArgs(id, bob.address);
      await expect(asBob.requestIncrease(id, WAD, 0n, ANY_PRICE, d, FEE))
        .to.be.revertedWithCustomError(engine, "NotPositionOwner")
        .withArgs(id, bob.address);
      await expect(asBob.requestDecrease(id, WAD / 2n, 0n, d, FEE, bob))
        .to.be.revertedWithCustomError(engine, "NotPositionOwner")
        .withArgs(id, bob.address);
      await expect(asBob.removeMargin(id, USD, bob))
        .to.be.revertedWithCustomError(engine, "NotPositionOwner")
        .withArgs(id, bob.address);
      await expect(asBob.requestClose(99n, 0n, d, FEE, bob))
        .to.be.revertedWithCustomError(engine, "UnknownPosition")
        .withArgs(99n);
      await expect(asBob.addMargin(99n, USD)).to.be.revertedWithCustomError(engine, "UnknownPosition").withArgs(99n);

      const asAlice = engine.connect(alice);
      await expect(asAlice.addMargin(id, 0n)).to.be.revertedWithCustomError(engine, "ZeroAmount");
      await expect(asAlice.removeMargin(id, 0n, alice)).to.be.revertedWithCustomError(engine, "ZeroAmount");
      await expect(asAlice.removeMargin(id, USD, ethers.ZeroAddress)).to.be.revertedWithCustomError(
        engine,
        "ZeroReceiver",
      );
      await expect(asAlice.requestClose(id, 0n, d, FEE, ethers.ZeroAddress)).to.be.revertedWithCustomError(
        engine,
        "ZeroReceiver",
      );
      await expect(asAlice.requestDecrease(id, WAD / 2n, 0n, d, FEE, ethers.ZeroAddress)).to.be.revertedWithCustomError(
        engine,
        "ZeroReceiver",
      );
      await expect(asAlice.requestIncrease(id, 0n, 0n, ANY_PRICE, d, FEE)).to.be.revertedWithCustomError(
        engine,
        "ZeroSize",
      );
      await expect(asAlice.requestDecrease(id, WAD, 0n, d, FEE, alice))
        .to.be.revertedWithCustomError(engine, "SizeDeltaTooLarge")
        .withArgs(WAD, WAD);
      // Removing down to below the minimum collateral.
      await expect(asAlice.removeMargin(id, 600n * USD - MIN_COLLATERAL + 1n, alice))
        .to.be.revertedWithCustomError(engine, "CollateralBelowMinimum")
        .withArgs(MIN_COLLATERAL - 1n, MIN_COLLATERAL);
      // None of it changed anything.
      expect(recordOf(await engine.position(id))).to.deep.equal(record);
      expect(await vaultBalance(s, id)).to.equal(vault);
      expect((await engine.orders(id))[0].kind).to.equal(OrderKind.None);

      // Anyone may add margin to any position.
      await expect(asBob.addMargin(id, USD))
        .to.emit(engine, "MarginAdded")
        .withArgs(id, bob.address, USD, 601n * USD);

      // At most 10× leverage: 601 USD carries 6,010 USD of notional, and 3 ETH at 3,000 need 900 USD. The increase
      // is cancelled for margin at its price: its collateral comes back, its executor keeps the fee.
      await requestIncrease(s, id, 2n * WAD, 0n);
      const tooBig = await executeAt(s, ETH, [id]);
      expect(tooBig.cancelled).to.deep.equal([
        { positionId: id, kind: OrderKind.Increase, reason: "Margin", refund: 0n, executorFee: FEE },
      ]);
      expect((await engine.position(id)).size).to.equal(WAD);

      // A decrease may not leave less than the minimum collateral: 0.01 ETH on 20 USD, 90 % of it closed leaves 2 USD.
      const small = await openPosition(s, alice, ETH, true, WAD / 100n, 20n * USD);
      await requestDecrease(s, small, (WAD * 9n) / 1_000n);
      const under = await executeAt(s, ETH, [small]);
      expect(under.cancelled.map((c) => c.reason)).to.deep.equal(["Margin"]);
      await requestDecrease(s, small, WAD / 200n);
      const half = await executeAt(s, ETH, [small]);
      expect(half.executed).to.deep.equal([small]);
      expect((await engine.position(small)).size).to.equal(WAD / 200n);
    });

    it("nothing is priced on a stale or bad answer, but margin can always be added and a close always requested", async function () {
      const { engine, ethFeed, usd } = s;
      const { alice, keeper } = s.actors;
      const id = await openPosition(s, alice, ETH, true, WAD, 600n * USD);
      await fund(s, alice, 1_000n * USD);
      const round = await ethFeed.latestRoundData();
      await advance(s, HEARTBEAT + 1n);
      const asAlice = engine.connect(alice);
      await expect(asAlice.removeMargin(id, USD, alice))
        .to.be.revertedWithCustomError(engine, "StalePrice")
        .withArgs(await ethFeed.getAddress(), round.updatedAt, HEARTBEAT);
      await expect(asAlice.addMargin(id, 10n * USD))
        .to.emit(engine, "MarginAdded")
        .withArgs(id, alice.address, 10n * USD, 610n * USD);
      // The close is accepted, and waits for a round.
      await requestClose(s, id);
      await expect(engine.connect(keeper).executeOrder(id))
        .to.be.revertedWithCustomError(engine, "OrderNotReady")
        .withArgs(id);

      // The next round's answer is not a price: the close can never execute at it, and is refunded in full.
      await mined(ethFeed.updateAnswer(0n));
      await expect(engine.connect(keeper).executeOrder(id))
        .to.emit(engine, "OrderCancelled")
        .withArgs(id, OrderKind.Close, CancelReason.BadPrice, keeper.address, FEE, 0n);
      await expect(asAlice.addMargin(id, 10n * USD))
        .to.emit(engine, "MarginAdded")
        .withArgs(id, alice.address, 10n * USD, 620n * USD);

      // A fresh round brings the market back: a new close executes at the next one.
      await setPrice(s, ETH, 3_000n * WAD);
      const vault = await engine.vaultOf(id);
      await closePosition(s, id);
      expect(await usd.balanceOf(vault)).to.equal(0n);
    });
  });
});

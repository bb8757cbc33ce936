/**
 * The liquidity pool (ERC-7540, asynchronous): requests, cancellation within `lpDelay`, execution by a keeper who
 * earns the fee, claims, the FIFO redemption queue executed in part against free liquidity; share prices that count
 * the traders' bounded claim (positions opened and closed by two-step orders); and take-profit at the cap (engine and
 * lens), through the typechain bindings.
 */
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";
import { network } from "hardhat";

import {
  ETH,
  EXECUTION_FEE,
  KEEPER_RESERVE,
  LP_DELAY,
  POOL_LIQUIDITY,
  USD,
  WAD,
  advance,
  closePosition,
  deployBulkhead,
  deposit,
  mined,
  now,
  openPosition,
  setPrice,
  type Bulkhead,
} from "./fixture.js";
import { capAtOpen, claimInAssets, mulDivDown, sideClaimOf } from "./expected-math.js";

const { ethers, networkHelpers } = await network.create();

/** Shares have 6 more decimals than the asset. */
const SHARE_UNIT = 10n ** 6n;

/** The traders' claim on the pool in asset units as of the latest block (both sides of ETH; BTC has no position). */
async function tradersClaim(s: Bulkhead, price: bigint): Promise<bigint> {
  const [longs, shorts, longIndex, shortIndex] = await Promise.all([
    s.engine.sideState(ETH, true),
    s.engine.sideState(ETH, false),
    s.engine.borrowIndex(ETH, true),
    s.engine.borrowIndex(ETH, false),
  ]);
  return claimInAssets(sideClaimOf(true, longs, price, longIndex) + sideClaimOf(false, shorts, price, shortIndex));
}

describe("LiquidityPool", function () {
  let s: Bulkhead;

  beforeEach(async function () {
    s = await networkHelpers.loadFixture(deployBulkhead);
  });

  it("values shares net of the traders' bounded claim, at the worse of the cached and the current price", async function () {
    const { pool, usd } = s;
    const { lp, lp2, alice, keeper } = s.actors;
    // The fixture's deposit: POOL_LIQUIDITY joined the pool at the virtual-share price, 1e6 share units per unit.
    expect(await pool.balanceOf(lp)).to.equal(POOL_LIQUIDITY * SHARE_UNIT);
    expect(await pool.totalAssets()).to.equal(POOL_LIQUIDITY);
    expect(await pool.equityAssets()).to.equal(POOL_LIQUIDITY);

    // A 10 ETH long at 3,000 on 3,000 USD pays a 30 USD opening fee to the pool; its cap is 9 × 3,000 = 27,000 USD
    // (below 100 % of the 30,000 USD notional).
    const id = await openPosition(s, alice, ETH, true, 10n * WAD, 3_000n * USD);
    expect((await s.engine.position(id)).maxProfit).to.equal(
      capAtOpen(3_000n * USD, 10n * WAD, 3_000n * WAD, s.markets[0]),
    );
    expect((await s.engine.position(id)).maxProfit).to.equal(27_000n * USD);
    const balance = POOL_LIQUIDITY + 30n * USD;
    expect(await usd.balanceOf(pool)).to.equal(balance);
    expect(await pool.totalAssets()).to.equal(balance);

    // At 3,300 the traders are 3,000 USD up (less ten minutes of borrow fees): a liability of the pool.
    await advance(s, 600n);
    await setPrice(s, ETH, 3_300n * WAD);
    const claim = await tradersClaim(s, 3_300n * WAD);
    expect(claim > 2_999n * USD && claim < 3_000n * USD).to.equal(true);
    expect(await pool.totalAssets()).to.equal(balance - claim);

    // A new LP requesting now is priced at the worse for them of the price cached at the last execution (before the
    // traders' gain) and the price at execution: the cached one. Nobody buys in at a price they saw coming.
    const cached = await pool.cachedSharePrice();
    const request = 10_000n * USD + EXECUTION_FEE;
    await mined(usd.mint(lp2, request));
    await mined(usd.connect(lp2).approve(pool, request));
    await mined(pool.connect(lp2).requestDeposit(request, lp2, lp2));
    await advance(s, LP_DELAY);
    const lp2Shares = mulDivDown(10_000n * USD, WAD, cached);
    await expect(pool.connect(keeper).executeDeposits([lp2.address]))
      .to.emit(pool, "DepositExecuted")
      .withArgs(lp2.address, keeper.address, 10_000n * USD, lp2Shares, cached, EXECUTION_FEE);
    await mined(pool.connect(lp2)["deposit(uint256,address)"](10_000n * USD, lp2));
    expect(await pool.balanceOf(lp2)).to.equal(lp2Shares);

    // At 2,700 the traders are 3,000 USD down, plus fees: their claim is floored at minus their collateral.
    await advance(s, 600n);
    await setPrice(s, ETH, 2_700n * WAD);
    expect(await tradersClaim(s, 2_700n * WAD)).to.equal(-3_000n * USD);
    expect(await pool.totalAssets()).to.equal(balance + 10_000n * USD + 3_000n * USD);

    // lp2 redeems; the price recorded at the request (the last execution's) is below the current one, so it is used.
    const redeemPrice = await pool.cachedSharePrice();
    expect(await pool.convertToAssets(lp2Shares)).to.be.greaterThan(mulDivDown(lp2Shares, redeemPrice, WAD));
    await mined(pool.connect(lp2).requestRedeem(lp2Shares, lp2, lp2));
    await advance(s, LP_DELAY);
    // But alice is at her bankruptcy price: LP requests wait until a keeper liquidates her, since the side's floor
    // would otherwise count other positions' collateral against her loss. Her liquidation pays the pool the collateral
    // the valuation already counted (and the insurance fund her unpaid fees).
    await expect(pool.connect(keeper).executeRedeems(10n))
      .to.be.revertedWithCustomError(pool, "LpExecutionPaused")
      .withArgs(0n);
    await mined(s.engine.connect(keeper).liquidate(id));
    expect(await pool.totalAssets()).to.be.greaterThanOrEqual(balance + 10_000n * USD + 3_000n * USD);
    const owed = mulDivDown(lp2Shares, redeemPrice, WAD);
    await expect(pool.connect(keeper).executeRedeems(10n))
      .to.emit(pool, "RedeemExecuted")
      .withArgs(lp2.address, keeper.address, lp2Shares, owed - EXECUTION_FEE, redeemPrice, 0n, EXECUTION_FEE);
    const out = pool.connect(lp2).redeem(lp2Shares, lp2, lp2);
    await expect(out)
      .to.emit(pool, "Withdraw")
      .withArgs(lp2.address, lp2.address, lp2.address, owed - EXECUTION_FEE, lp2Shares);
    await expect(out).to.changeTokenBalances(ethers, usd, [lp2, pool], [owed - EXECUTION_FEE, -(owed - EXECUTION_FEE)]);
    expect(await pool.balanceOf(lp2)).to.equal(0n);
  });

  it("ERC-7540 deposits: request, cancel within lpDelay, execute by a keeper who earns the fee, claim", async function () {
    const { pool, usd } = s;
    const { lp2, keeper, alice } = s.actors;
    const request = 10_000n * USD;
    await mined(usd.mint(lp2, 2n * request));
    await mined(usd.connect(lp2).approve(pool, 2n * request));

    // Requests below the minimum are refused, and nothing moves.
    await expect(pool.connect(lp2).requestDeposit(s.lp.minRequest - 1n, lp2, lp2))
      .to.be.revertedWithCustomError(pool, "RequestTooSmall")
      .withArgs(s.lp.minRequest - 1n, s.lp.minRequest);
    expect(await usd.balanceOf(lp2)).to.equal(2n * request);
    // Only the owner (or its operator) may spend its tokens.
    await expect(pool.connect(alice).requestDeposit(request, alice, lp2))
      .to.be.revertedWithCustomError(pool, "NotOperator")
      .withArgs(lp2.address, alice.address);

    // Requested: pending, not claimable, outside the pool's equity; previews are meaningless.
    const requested = pool.connect(lp2).requestDeposit(request, lp2, lp2);
    await expect(requested)
      .to.emit(pool, "DepositRequest")
      .withArgs(lp2.address, lp2.address, 0n, lp2.address, request);
    const requestedAt = await now(s);
    expect(await pool.pendingDepositRequest(0n, lp2)).to.equal(request);
    expect(await pool.claimableDepositRequest(0n, lp2)).to.equal(0n);
    expect((await pool.executableAt(lp2))[0]).to.equal(requestedAt + LP_DELAY);
    expect(await pool.equityAssets()).to.equal(POOL_LIQUIDITY);
    expect(await pool.totalAssets()).to.equal(POOL_LIQUIDITY);
    await expect(pool.previewDeposit(request)).to.be.revertedWithCustomError(pool, "AsyncFlow");
    await expect(pool.connect(lp2).requestDeposit(request, lp2, lp2))
      .to.be.revertedWithCustomError(pool, "RequestPending")
      .withArgs(lp2.address);
    // Too early: a keeper's batch skips it.
    expect(await pool.connect(keeper).executeDeposits.staticCall([lp2.address])).to.equal(0n);

    // ERC-7887: cancelled within the window, the assets are claimable at once.
    await expect(pool.connect(lp2).cancelDepositRequest(0n, lp2))
      .to.emit(pool, "CancelDepositRequest")
      .withArgs(lp2.address, 0n, lp2.address);
    expect(await pool.pendingDepositRequest(0n, lp2)).to.equal(0n);
    expect(await pool.claimableCancelDepositRequest(0n, lp2)).to.equal(request);
    await expect(pool.connect(lp2).claimCancelDepositRequest(0n, lp2, lp2)).to.changeTokenBalances(
      ethers,
      usd,
      [lp2, pool],
      [request, -request],
    );

    // Requested again; once lpDelay has passed it can no longer be cancelled, only executed.
    await mined(pool.connect(lp2).requestDeposit(request, lp2, lp2));
    await advance(s, LP_DELAY);
    const [executableAt] = await pool.executableAt(lp2);
    await expect(pool.connect(lp2).cancelDepositRequest(0n, lp2))
      .to.be.revertedWithCustomError(pool, "CancelWindowClosed")
      .withArgs(lp2.address, executableAt);

    // A keeper executes it and earns the fee; the shares wait in the pool for lp2 to claim.
    const price = await pool.cachedSharePrice();
    const net = request - EXECUTION_FEE;
    const shares = mulDivDown(net, WAD, price);
    const executed = pool.connect(keeper).executeDeposits([lp2.address]);
    await expect(executed)
      .to.emit(pool, "DepositExecuted")
      .withArgs(lp2.address, keeper.address, net, shares, price, EXECUTION_FEE);
    await expect(executed).to.changeTokenBalances(ethers, usd, [keeper, pool], [EXECUTION_FEE, -EXECUTION_FEE]);
    expect(await pool.pendingDepositRequest(0n, lp2)).to.equal(0n);
    expect(await pool.claimableDepositRequest(0n, lp2)).to.equal(net);
    expect(await pool.maxDeposit(lp2)).to.equal(net);
    expect(await pool.maxMint(lp2)).to.equal(shares);
    expect(await pool.equityAssets()).to.equal(POOL_LIQUIDITY + net);

    // Claimed in two parts (deposit by assets, then mint by shares); no more than claimable.
    const half = net / 2n;
    const halfShares = mulDivDown(half, shares, net);
    await expect(pool.connect(lp2)["deposit(uint256,address,address)"](half, lp2, lp2))
      .to.emit(pool, "Deposit")
      .withArgs(lp2.address, lp2.address, half, halfShares);
    await expect(pool.connect(lp2)["mint(uint256,address)"](shares - halfShares + 1n, lp2))
      .to.be.revertedWithCustomError(pool, "ExceedsClaimable")
      .withArgs(lp2.address, shares - halfShares + 1n, shares - halfShares);
    await mined(pool.connect(lp2)["mint(uint256,address)"](shares - halfShares, lp2));
    expect(await pool.balanceOf(lp2)).to.equal(shares);
    expect(await pool.maxMint(lp2)).to.equal(0n);
    expect(await pool.maxDeposit(lp2)).to.equal(0n);
  });

  it("ERC-7540 redemptions: FIFO, executed in part against the free liquidity, the rest when liquidity returns", async function () {
    const { pool, usd, engine } = s;
    const { lp, lp2, alice, keeper } = s.actors;
    const lp2Shares = await deposit(s, lp2, 50_000n * USD);
    // 300 ETH at 3,000 on 100,000 USD: a 900,000 USD cap (9 × collateral, and 100 % of the notional) is reserved.
    const id = await openPosition(s, alice, ETH, true, 300n * WAD, 100_000n * USD);
    expect(await engine.totalReserved()).to.equal(900_000n * USD);
    const equity = POOL_LIQUIDITY + 50_000n * USD + 900n * USD;
    expect(await pool.equityAssets()).to.equal(equity);
    const free = equity - 900_000n * USD;
    expect(await pool.freeLiquidity()).to.equal(free);

    // lp asks for 200,000 USD worth of shares, then lp2 for all of theirs; both recorded at the cached price.
    const price = await pool.cachedSharePrice();
    const lpShares = mulDivDown(200_000n * USD, WAD, price);
    await mined(pool.connect(lp).requestRedeem(lpShares, lp, lp));
    await mined(pool.connect(lp2).requestRedeem(lp2Shares, lp2, lp2));
    expect(await pool.redeemQueue()).to.deep.equal([lp.address, lp2.address]);
    expect(await pool.pendingRedeemRequest(0n, lp)).to.equal(lpShares);
    await expect(pool.previewRedeem(lpShares)).to.be.revertedWithCustomError(pool, "AsyncFlow");

    // After lpDelay: lp's request is executed against the free liquidity only, and lp2 waits behind it.
    await advance(s, LP_DELAY);
    const partShares = mulDivDown(free, WAD, price);
    const partOwed = mulDivDown(partShares, price, WAD);
    await expect(pool.connect(keeper).executeRedeems(10n))
      .to.emit(pool, "RedeemExecuted")
      .withArgs(
        lp.address,
        keeper.address,
        partShares,
        partOwed - EXECUTION_FEE,
        price,
        lpShares - partShares,
        EXECUTION_FEE,
      );
    expect(await pool.pendingRedeemRequest(0n, lp)).to.equal(lpShares - partShares);
    expect(await pool.claimableRedeemRequest(0n, lp)).to.equal(partShares);
    expect(await pool.maxWithdraw(lp)).to.equal(partOwed - EXECUTION_FEE);
    expect(await pool.pendingRedeemRequest(0n, lp2)).to.equal(lp2Shares);
    expect(await pool.redeemQueue()).to.deep.equal([lp.address, lp2.address]);
    // SPEC invariant 3: every reserved cap is still covered by the pool's equity.
    expect(await pool.equityAssets()).to.be.greaterThanOrEqual(await engine.totalReserved());
    expect(await pool.freeLiquidity()).to.be.lessThan(price / WAD + 1n);

    // lp claims what was executed (withdraw by assets).
    const claimed = partOwed - EXECUTION_FEE;
    await expect(pool.connect(lp).withdraw(claimed, lp, lp)).to.changeTokenBalances(
      ethers,
      usd,
      [lp, pool],
      [claimed, -claimed],
    );

    // The trader closes (request, round, execution): nothing is reserved any more, and the rest of the queue
    // executes, in order (the fee was paid once, with lp's first part).
    await closePosition(s, id);
    expect(await engine.totalReserved()).to.equal(0n);
    const rest = lpShares - partShares;
    const restOwed = mulDivDown(rest, price, WAD);
    const lp2Owed = mulDivDown(lp2Shares, price, WAD);
    const executed = pool.connect(keeper).executeRedeems(10n);
    await expect(executed)
      .to.emit(pool, "RedeemExecuted")
      .withArgs(lp.address, keeper.address, rest, restOwed, price, 0n, 0n);
    await expect(executed)
      .to.emit(pool, "RedeemExecuted")
      .withArgs(lp2.address, keeper.address, lp2Shares, lp2Owed - EXECUTION_FEE, price, 0n, EXECUTION_FEE);
    expect(await pool.redeemQueue()).to.deep.equal([]);
    expect(await pool.maxRedeem(lp)).to.equal(rest);
    await expect(pool.connect(lp).redeem(rest, lp, lp)).to.changeTokenBalances(
      ethers,
      usd,
      [lp, pool],
      [restOwed, -restOwed],
    );
    await expect(pool.connect(lp2).redeem(lp2Shares, lp2, lp2)).to.changeTokenBalances(
      ethers,
      usd,
      [lp2, pool],
      [lp2Owed - EXECUTION_FEE, -(lp2Owed - EXECUTION_FEE)],
    );
  });

  it("a redemption may be cancelled within lpDelay, and requested by an operator or with an allowance", async function () {
    const { pool } = s;
    const { lp, lp2, bob } = s.actors;
    const shares = 1_000n * USD * SHARE_UNIT;
    await mined(pool.connect(lp).requestRedeem(shares, lp, lp));
    await expect(pool.connect(lp).cancelRedeemRequest(0n, lp))
      .to.emit(pool, "CancelRedeemRequest")
      .withArgs(lp.address, 0n, lp.address);
    expect(await pool.pendingRedeemRequest(0n, lp)).to.equal(0n);
    expect(await pool.claimableCancelRedeemRequest(0n, lp)).to.equal(shares);
    expect(await pool.redeemQueue()).to.deep.equal([]);
    await mined(pool.connect(lp).claimCancelRedeemRequest(0n, lp, lp));
    expect(await pool.balanceOf(lp)).to.equal(POOL_LIQUIDITY * SHARE_UNIT);

    // bob may not request for lp, until lp makes him an operator; lp2 may, with an allowance.
    await expect(pool.connect(bob).requestRedeem(shares, lp, lp)).to.be.revertedWithCustomError(
      pool,
      "ERC20InsufficientAllowance",
    );
    await mined(pool.connect(lp).setOperator(bob, true));
    expect(await pool.isOperator(lp, bob)).to.equal(true);
    await mined(pool.connect(bob).requestRedeem(shares, lp, lp));
    await mined(pool.connect(lp).approve(lp2, shares));
    await mined(pool.connect(lp2).requestRedeem(shares, lp2, lp));
    expect(await pool.pendingRedeemRequest(0n, lp)).to.equal(shares);
    expect(await pool.pendingRedeemRequest(0n, lp2)).to.equal(shares);
    expect(await pool.allowance(lp, lp2)).to.equal(0n);
    expect(await pool.balanceOf(lp)).to.equal(POOL_LIQUIDITY * SHARE_UNIT - 2n * shares);
  });

  it("takeProfit closes a position at its cap (bounded by notional) and the lens says which are at cap", async function () {
    const { engine, lens, usd } = s;
    const { alice, bob, carol, keeper } = s.actors;
    // 1 ETH longs at 3,000: on 1,000 USD the cap is 100 % of the 3,000 USD notional (not 9 × 1,000); on 300 USD it
    // is 9 × 300 = 2,700 USD.
    const big = await openPosition(s, alice, ETH, true, WAD, 1_000n * USD);
    const other = await openPosition(s, bob, ETH, true, WAD, 1_000n * USD);
    const small = await openPosition(s, carol, ETH, true, WAD, 300n * USD);
    expect((await engine.position(big)).maxProfit).to.equal(3_000n * USD);
    expect((await engine.position(small)).maxProfit).to.equal(2_700n * USD);
    expect(await lens.atCap([big, other, small])).to.deep.equal([false, false, false]);

    // At 5,800 (+2,800 USD) only the small position is at its cap.
    await advance(s, 600n);
    await setPrice(s, ETH, 5_800n * WAD);
    expect(await lens.atCap([big, other, small, 999n])).to.deep.equal([false, false, true, false]);
    await expect(engine.connect(keeper).takeProfit(big))
      .to.be.revertedWithCustomError(engine, "NotAtCap")
      .withArgs(big, 2_800n * USD, 3_000n * USD);
    expect((await engine.position(big)).owner).to.equal(alice.address);

    // The vault holds the recorded collateral and keeper reserve (the open's execution fee went to its executor).
    const smallVault = await engine.vaultOf(small);
    expect(await usd.balanceOf(smallVault)).to.equal(300n * USD + KEEPER_RESERVE);
    const carolBefore = await usd.balanceOf(carol);
    const keeperBefore = await usd.balanceOf(keeper);
    const taken = engine.connect(keeper).takeProfit(small);
    await expect(taken).to.emit(engine, "ProfitTaken");
    const receipt = await (await taken).wait();
    const event = receipt?.logs
      .map((log) => engine.interface.parseLog(log))
      .find((parsed) => parsed?.name === "ProfitTaken");
    if (event == null) throw new Error("no ProfitTaken event");
    expect(event.args.positionId).to.equal(small);
    expect(event.args.owner).to.equal(carol.address);
    expect(event.args.executor).to.equal(keeper.address);
    expect(event.args.price).to.equal(5_800n * WAD);
    expect(event.args.profit).to.equal(2_700n * USD);
    expect(event.args.keeperReward).to.equal(KEEPER_RESERVE);
    expect(event.args.badDebt).to.equal(0n);
    expect(event.args.payout).to.equal(300n * USD + 2_700n * USD - event.args.fees);
    expect((await usd.balanceOf(carol)) - carolBefore).to.equal(event.args.payout);
    expect((await usd.balanceOf(keeper)) - keeperBefore).to.equal(KEEPER_RESERVE);
    // The position is gone (its vault is no longer its: `vaultOf` is zero), and the vault is empty.
    expect((await engine.position(small)).owner).to.equal(ethers.ZeroAddress);
    expect(await engine.vaultOf(small)).to.equal(ethers.ZeroAddress);
    expect(await usd.balanceOf(smallVault)).to.equal(0n);

    // At 6,100 both remaining positions are at their cap: one batch closes both and skips the closed id.
    await advance(s, 600n);
    await setPrice(s, ETH, 6_100n * WAD);
    expect(await lens.atCap([big, small, other])).to.deep.equal([true, false, true]);
    expect(await engine.connect(keeper).takeProfitBatch.staticCall([big, small, other])).to.equal(2n);
    await expect(engine.connect(keeper).takeProfitBatch([big, small, other]))
      .to.emit(engine, "ProfitTaken")
      .withArgs(big, alice.address, keeper.address, 6_100n * WAD, 3_000n * USD, anyValue, anyValue, KEEPER_RESERVE, 0n);
    expect((await engine.position(big)).owner).to.equal(ethers.ZeroAddress);
    expect((await engine.position(other)).owner).to.equal(ethers.ZeroAddress);
    expect(await engine.totalReserved()).to.equal(0n);
  });
});

import { expect } from "chai";
import { network } from "hardhat";

import {
  ETH,
  KEEPER_RESERVE,
  POOL_LIQUIDITY,
  SCALE,
  USD,
  WAD,
  advance,
  deadline,
  deployBulkhead,
  deposit,
  fund,
  mined,
  openPosition,
  setPrice,
  type Bulkhead,
} from "./fixture.js";
import { mulDivDown, mulDivUp, notionalUp } from "./expected-math.js";

const { ethers, networkHelpers } = await network.create();

/** ERC-4626 with 6 virtual decimals of shares: shares = assets × (supply + 1e6) / (totalAssets + 1), rounded down. */
function sharesFor(assets: bigint, supply: bigint, totalAssets: bigint): bigint {
  return mulDivDown(assets, supply + 10n ** 6n, totalAssets + 1n);
}

/** assets = shares × (totalAssets + 1) / (supply + 1e6), rounded down (what a redeemer receives). */
function assetsFor(shares: bigint, supply: bigint, totalAssets: bigint): bigint {
  return mulDivDown(shares, totalAssets + 1n, supply + 10n ** 6n);
}

describe("LiquidityPool", function () {
  let s: Bulkhead;

  beforeEach(async function () {
    s = await networkHelpers.loadFixture(deployBulkhead);
  });

  it("prices shares with the traders' unrealised pnl, so LPs share losses and gains whenever they come and go", async function () {
    const { pool, usd } = s;
    const { lp, lp2, alice } = s.actors;
    expect(await pool.balanceOf(lp)).to.equal(POOL_LIQUIDITY * 10n ** 6n);
    expect(await pool.totalAssets()).to.equal(POOL_LIQUIDITY);

    // A 10 ETH long at 3,000 pays a 30 USD opening fee to the pool; at the entry price the pool is worth its balance.
    await openPosition(s, alice, ETH, true, 10n * WAD, 3_000n * USD);
    const balance = POOL_LIQUIDITY + 30n * USD;
    expect(await usd.balanceOf(pool)).to.equal(balance);
    expect(await pool.netTraderPnl()).to.equal(0n);
    expect(await pool.totalAssets()).to.equal(balance);

    // At 3,300 the traders are 3,000 USD up, a liability of the pool.
    await advance(s, 600n);
    await setPrice(s, ETH, 3_300n * WAD);
    const traderGain = mulDivUp(notionalUp(10n * WAD, 3_300n * WAD) - notionalUp(10n * WAD, 3_000n * WAD), 1n, SCALE);
    expect(traderGain).to.equal(3_000n * USD);
    expect(await pool.netTraderPnl()).to.equal(traderGain);
    let totalAssets = balance - traderGain;
    expect(await pool.totalAssets()).to.equal(totalAssets);
    let supply = await pool.totalSupply();
    // The first LP cannot leave with its old share of the pool: the traders' gain is already counted.
    expect(await pool.convertToAssets(await pool.balanceOf(lp))).to.equal(
      assetsFor(await pool.balanceOf(lp), supply, totalAssets),
    );
    expect(await pool.convertToAssets(await pool.balanceOf(lp))).to.be.lessThan(balance);

    // A new LP depositing now buys in at the lower price.
    const lp2Shares = sharesFor(10_000n * USD, supply, totalAssets);
    expect(lp2Shares).to.be.greaterThan(10_000n * USD * 10n ** 6n);
    await deposit(s, lp2, 10_000n * USD);
    expect(await pool.balanceOf(lp2)).to.equal(lp2Shares);

    // At 2,700 the traders are 3,000 USD down: an asset of the pool.
    await advance(s, 600n);
    await setPrice(s, ETH, 2_700n * WAD);
    expect(await pool.netTraderPnl()).to.equal(-(3_000n * USD));
    totalAssets = balance + 10_000n * USD + 3_000n * USD;
    expect(await pool.totalAssets()).to.equal(totalAssets);

    // lp2 leaves with a profit, exactly the rounded-down share of the pool.
    supply = await pool.totalSupply();
    const out = assetsFor(lp2Shares, supply, totalAssets);
    expect(out).to.be.greaterThan(10_000n * USD);
    const redeem = pool.connect(lp2).redeem(lp2Shares, lp2, lp2);
    await expect(redeem).to.emit(pool, "Withdraw").withArgs(lp2.address, lp2.address, lp2.address, out, lp2Shares);
    await expect(redeem).to.changeTokenBalances(ethers, usd, [lp2, pool], [out, -out]);
    expect(await pool.balanceOf(lp2)).to.equal(0n);
  });

  it("withdrawals are capped by the liquidity reserved for open positions' maximum profit", async function () {
    const { pool, usd, engine } = s;
    const { lp, alice, bob } = s.actors;
    // 300 ETH at 3,000 on 100,000 USD: 9 × 100,000 = 900,000 USD of the pool is reserved; the fee adds 900 USD.
    const id = await openPosition(s, alice, ETH, true, 300n * WAD, 100_000n * USD);
    const balance = POOL_LIQUIDITY + 900n * USD;
    expect(await engine.totalReserved()).to.equal(900_000n * USD);
    expect(await pool.freeLiquidity()).to.equal(balance - 900_000n * USD);
    const free = 100_900n * USD;
    // OpenZeppelin 5 derives maxWithdraw from maxRedeem: the free liquidity goes to shares and back, each rounded
    // down, so the cap can sit a unit below the free liquidity (never above it).
    const supply = await pool.totalSupply();
    const totalAssets = await pool.totalAssets();
    expect(totalAssets).to.equal(balance);
    const maxShares = sharesFor(free, supply, totalAssets);
    const max = assetsFor(maxShares, supply, totalAssets);
    expect(max <= free && max >= free - 1n).to.equal(true);
    expect(await pool.maxRedeem(lp)).to.equal(maxShares);
    expect(await pool.maxWithdraw(lp)).to.equal(max);

    await expect(pool.connect(lp).withdraw(max + 1n, lp, lp))
      .to.be.revertedWithCustomError(pool, "ERC4626ExceededMaxWithdraw")
      .withArgs(lp.address, max + 1n, max);
    await expect(pool.connect(lp).redeem(maxShares + 1n, lp, lp))
      .to.be.revertedWithCustomError(pool, "ERC4626ExceededMaxRedeem")
      .withArgs(lp.address, maxShares + 1n, maxShares);
    await expect(pool.connect(lp).withdraw(max, lp, lp)).to.changeTokenBalances(ethers, usd, [lp, pool], [max, -max]);

    // SPEC invariant 3: what is left covers every reserved payout, and nothing more can be taken out or reserved.
    const residue = free - max;
    expect(await usd.balanceOf(pool)).to.equal((await engine.totalReserved()) + residue);
    expect(await pool.maxWithdraw(lp)).to.equal(0n);
    await fund(s, bob, 1_000n * USD);
    await expect(engine.connect(bob).open(ETH, true, WAD / 10n, 100n * USD, ethers.MaxUint256, await deadline(s)))
      .to.be.revertedWithCustomError(engine, "InsufficientPoolLiquidity")
      .withArgs(900_000n * USD + residue, 900_900n * USD);

    // The trader can still be paid in full: close at the cap (3,300 is +90,000 USD, below the 900,000 cap).
    await advance(s, 600n);
    await setPrice(s, ETH, 3_300n * WAD);
    const before = await usd.balanceOf(alice);
    await mined(engine.connect(alice).close(id, 0n, await deadline(s)));
    const received = (await usd.balanceOf(alice)) - before;
    expect(received > 100_000n * USD + KEEPER_RESERVE + 89_000n * USD).to.equal(true);
    // With nothing reserved, the LP can take (to a rounding unit) everything out.
    expect(await engine.totalReserved()).to.equal(0n);
    const left = await usd.balanceOf(pool);
    const all = assetsFor(await pool.totalSupply(), await pool.totalSupply(), left);
    expect(await pool.convertToAssets(await pool.balanceOf(lp))).to.equal(all);
    const last = await pool.maxWithdraw(lp);
    expect(last <= all && last >= all - 1n).to.equal(true);
    await expect(pool.connect(lp).withdraw(last, lp, lp)).to.changeTokenBalances(
      ethers,
      usd,
      [lp, pool],
      [last, -last],
    );
    expect(await usd.balanceOf(pool)).to.equal(left - last);
  });
});

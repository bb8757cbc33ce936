// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMarginEngine} from "../../../contracts/interfaces/IMarginEngine.sol";
import {AttackBase} from "./utils/AttackBase.sol";

/// @dev A guardian pause (or a compromised guardian) must not trap anyone: it stops opens and increases only. Owners
/// can still close, decrease and move margin, keepers can still liquidate, LPs can still request, execute and claim
/// redemptions (of free liquidity) and cancel their requests, and
/// each of those does exactly what it does unpaused.
contract PauseTrapAttackTest is AttackBase {
    /// @dev Healthy: long 1 ETH, 600 USD.
    uint256 internal aliceId;
    /// @dev Liquidatable at 2,800: long 1 ETH, 310 USD.
    uint256 internal bobId;
    /// @dev Healthy: short 0.1 BTC, 1,000 USD.
    uint256 internal malloryId;

    function setUp() public override {
        super.setUp();
        aliceId = openPosition(alice, ETH, true, 1e18, 600 * USD);
        bobId = openPosition(bob, ETH, true, 1e18, 310 * USD);
        malloryId = openPosition(mallory, BTC, false, 0.1e18, 1_000 * USD);
        fund(alice, 1_000 * USD);
        vm.warp(block.timestamp + 60);
        setPrice(ETH, 2_800e18);
    }

    function test_paused_opensAndIncreasesRevertPaused() public {
        _pause();
        Snapshot memory before = _snapshot();
        vm.startPrank(alice);
        vm.expectRevert(IMarginEngineBase.Paused.selector);
        engine.open(ETH, true, 1e18, 600 * USD, type(uint256).max, block.timestamp);
        vm.expectRevert(IMarginEngineBase.Paused.selector);
        engine.increase(aliceId, 0.1e18, 0, type(uint256).max, block.timestamp);
        vm.stopPrank();
        _assertUnchanged(before, _snapshot());
    }

    function test_paused_ownerClosesAsUnpaused() public {
        _assertSameWhilePaused(alice, abi.encodeCall(IMarginEngine.close, (aliceId, 0, block.timestamp)));
        assertEq(vaultBalance(aliceId), 0, "vault not emptied");
    }

    function test_paused_ownerDecreasesAsUnpaused() public {
        _assertSameWhilePaused(alice, abi.encodeCall(IMarginEngine.decrease, (aliceId, 0.2e18, 0, block.timestamp)));
    }

    function test_paused_ownerAddsMarginAsUnpaused() public {
        _assertSameWhilePaused(alice, abi.encodeCall(IMarginEngine.addMargin, (aliceId, 100 * USD)));
        assertEq(engine.position(aliceId).collateral, 700 * USD, "collateral");
    }

    function test_paused_ownerRemovesMarginAsUnpaused() public {
        _assertSameWhilePaused(mallory, abi.encodeCall(IMarginEngine.removeMargin, (malloryId, 100 * USD)));
        assertEq(engine.position(malloryId).collateral, 900 * USD, "collateral");
    }

    function test_paused_keeperLiquidatesAsUnpaused() public {
        _assertSameWhilePaused(keeper, abi.encodeCall(IMarginEngineLiquidation.liquidate, (bobId)));
        assertEq(engine.position(bobId).owner, address(0), "not liquidated");
        _assertSameWhilePaused(keeper, abi.encodeCall(IMarginEngineLiquidation.liquidateBatch, (_ids(bobId, aliceId))));
    }

    /// @dev The LP asks to redeem every share while paused: the request, its execution (against free liquidity only,
    /// the reserved rest waiting in the queue) and the claim all go through, with exactly the amounts they give
    /// unpaused.
    function test_paused_lpRedemptionRequestExecuteClaim_asUnpaused() public {
        uint256 snapshotId = vm.snapshotState();
        (uint256 plainOut, uint256 plainLeft) = _lpExit();
        vm.revertToState(snapshotId);

        _pause();
        uint256 free = pool.freeLiquidity();
        assertEq(free, pool.equityAssets() - engine.totalReserved(), "free liquidity");
        (uint256 out, uint256 left) = _lpExit();
        assertTrue(config.paused(), "not paused");
        assertEq(out, plainOut, "claimed");
        assertEq(left, plainLeft, "shares left pending");
        // Everything free was paid, less at most one unit of share rounding; the reserved rest backs the positions.
        assertLe(out, free, "paid above free liquidity");
        assertGe(out + 1, free, "free liquidity left unpaid");
        assertGt(left, 0, "reserved liquidity redeemed");
        assertEq(pool.freeLiquidity(), 0, "free liquidity left");
        assertGe(pool.equityAssets(), engine.totalReserved(), "reserved liquidity paid out");
        assertEq(pool.pendingRedeemRequest(0, lp), left, "the rest is not pending");
    }

    /// @dev A pending deposit can be cancelled while paused, inside its window, and its assets claimed back.
    function test_paused_lpCancelsDepositAndClaims() public {
        requestDeposit(lp, 1_000 * USD);
        _pause();
        vm.startPrank(lp);
        pool.cancelDepositRequest(0, lp);
        assertEq(pool.claimCancelDepositRequest(0, lp, lp), 1_000 * USD, "cancelled assets");
        vm.stopPrank();
        assertEq(usd.balanceOf(lp), 1_000 * USD, "LP not refunded");
    }

    /// @dev Paused throughout: every position leaves (closed or liquidated), every vault is emptied, and then the LP
    /// redeems every share.
    function test_paused_nobodyTrapped() public {
        _pause();
        vm.prank(keeper);
        engine.liquidate(bobId);
        vm.prank(alice);
        engine.close(aliceId, 0, block.timestamp);
        vm.prank(mallory);
        engine.close(malloryId, type(uint256).max, block.timestamp);
        assertEq(vaultBalance(aliceId) + vaultBalance(bobId) + vaultBalance(malloryId), 0, "a vault kept funds");
        assertEq(engine.totalReserved(), 0, "reservation left");

        // A request records the share price cached at the last execution; any execution, even an empty one, caches
        // today's, so the last LP asks after one to take the fees and losses the pool collected since.
        vm.prank(lp);
        pool.executeRedeems(0);
        uint256 shares = pool.balanceOf(lp);
        uint256 assets = redeem(lp, shares);
        assertTrue(config.paused(), "not paused");
        assertEq(pool.totalSupply(), 0, "shares left");
        // Only the rounding left for the virtual shares stays behind.
        assertLe(usd.balanceOf(address(pool)), 1, "pool kept the LP's funds");
        assertEq(assets, usd.balanceOf(lp), "LP paid");
    }

    // ------------------------------------------------------------ helpers

    /// @dev The LP requests to redeem every share, a keeper executes once `lpDelay` has passed, the LP withdraws what
    /// is claimable. Returns what it got and the shares still pending.
    function _lpExit() internal returns (uint256 out, uint256 left) {
        uint256 shares = pool.balanceOf(lp);
        vm.prank(lp);
        pool.requestRedeem(shares, lp, lp);
        vm.warp(block.timestamp + LP_DELAY);
        vm.prank(keeper);
        pool.executeRedeems(type(uint256).max);
        uint256 claimable = pool.maxWithdraw(lp);
        vm.prank(lp);
        pool.withdraw(claimable, lp, lp);
        out = usd.balanceOf(lp);
        left = pool.pendingRedeemRequest(0, lp);
    }

    function _pause() internal {
        vm.prank(guardian);
        config.pause();
    }

    /// @dev `data` from `caller` succeeds while paused and leaves every balance, record and aggregate exactly as the
    /// same call unpaused does.
    function _assertSameWhilePaused(address caller, bytes memory data) internal {
        if (config.paused()) {
            vm.prank(guardian);
            config.unpause();
        }
        uint256 snapshotId = vm.snapshotState();
        vm.prank(caller);
        (bool ok, bytes memory result) = address(engine).call(data);
        assertTrue(ok, "failed unpaused");
        Snapshot memory unpaused = _snapshot();
        vm.revertToState(snapshotId);

        _pause();
        vm.prank(caller);
        (bool okPaused, bytes memory resultPaused) = address(engine).call(data);
        assertTrue(okPaused, "failed while paused");
        assertEq(resultPaused, result, "return value");
        Snapshot memory paused = _snapshot();
        assertTrue(config.paused(), "not paused");
        // The configuration differs by the pause flag alone.
        paused.configuration = unpaused.configuration;
        _assertUnchanged(unpaused, paused);
    }
}

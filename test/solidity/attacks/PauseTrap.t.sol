// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {
    CancelReason,
    IMarginEngine,
    IMarginEngineBase,
    IMarginEngineLiquidation,
    OrderKind
} from "../../../contracts/interfaces/IMarginEngine.sol";
import {AttackBase} from "./utils/AttackBase.sol";

/// @dev A guardian pause (or a compromised guardian) must not trap anyone: it stops opens and increases only. Owners
/// can still request and have executed closes and decreases, and move margin; keepers can still liquidate; LPs can
/// still request, execute and claim redemptions (of free liquidity) and cancel their requests; each of those does
/// exactly what it does unpaused. An open or increase caught pending by the pause is cancelled with a full refund.
contract PauseTrapAttackTest is AttackBase {
    /// @dev Healthy: long 1 ETH, 600 USD.
    uint256 internal aliceId;
    /// @dev Liquidatable at 2,800: long 1 ETH, 310 USD.
    uint256 internal bobId;
    /// @dev Healthy: short 0.1 BTC, 1,000 USD.
    uint256 internal malloryId;

    /// @dev The call `_makeCall` makes, and what it returned.
    address internal _caller;
    bytes internal _call;
    bytes internal _result;

    function setUp() public override {
        super.setUp();
        aliceId = openPosition(alice, ETH, true, 1e18, 600 * USD);
        bobId = openPosition(bob, ETH, true, 1e18, 310 * USD);
        malloryId = openPosition(mallory, BTC, false, 0.1e18, 1_000 * USD);
        fund(alice, 1_000 * USD);
        vm.warp(block.timestamp + 60);
        setPrice(ETH, 2_800e18);
    }

    function test_paused_requestOpenAndIncreaseRevertPaused() public {
        _pause();
        Snapshot memory before = _snapshot();
        vm.startPrank(alice);
        vm.expectRevert(IMarginEngineBase.Paused.selector);
        engine.requestOpen(ETH, true, 1e18, 600 * USD, type(uint128).max, _deadline(), 0);
        vm.expectRevert(IMarginEngineBase.Paused.selector);
        engine.requestIncrease(aliceId, 0.1e18, 0, type(uint128).max, _deadline(), 0);
        vm.stopPrank();
        _assertUnchanged(before, _snapshot());
    }

    /// @dev A pause between request and execution traps nothing: the open and the increase are cancelled at execution
    /// with everything they escrowed refunded, execution fee included (rule 6: an executor can time a pause).
    function test_paused_pendingOpenAndIncrease_refundedInFull() public {
        uint256 fee = 1 * USD;
        fund(bob, 600 * USD + KEEPER_RESERVE + fee);
        vm.prank(bob);
        uint256 openId = engine.requestOpen(ETH, true, 1e18, 600 * USD, type(uint128).max, _deadline(), fee);
        vm.prank(alice);
        engine.requestIncrease(aliceId, 0.1e18, 100 * USD, type(uint128).max, _deadline(), fee);
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 aliceVault = vaultBalance(aliceId);
        _pause();

        vm.warp(block.timestamp + 1);
        setPrice(ETH, 2_800e18);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            openId,
            OrderKind.Open,
            CancelReason.Paused,
            keeper,
            600 * USD + KEEPER_RESERVE + fee,
            0
        );
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            aliceId,
            OrderKind.Increase,
            CancelReason.Paused,
            keeper,
            100 * USD + fee,
            0
        );
        vm.prank(keeper);
        assertEq(engine.executeOrders(_ids(openId, aliceId)), 2, "executed");
        assertEq(usd.balanceOf(bob), 600 * USD + KEEPER_RESERVE + fee, "open not refunded in full");
        assertEq(usd.balanceOf(alice) - aliceBefore, 100 * USD + fee, "increase not refunded in full");
        assertEq(vaultBalance(aliceId), aliceVault - 100 * USD - fee, "alice's vault");
        assertEq(usd.balanceOf(keeper), 0, "the executor earned a fee on a pause");
        assertEq(engine.position(openId).owner, address(0), "cancelled open left a position");
    }

    function test_paused_ownerClosesAsUnpaused() public {
        address vault = engine.vaultOf(aliceId);
        _assertSameWhilePaused(_closeAlice);
        assertEq(usd.balanceOf(vault), 0, "vault not emptied");
        assertEq(engine.position(aliceId).owner, address(0), "not closed");
    }

    function test_paused_ownerDecreasesAsUnpaused() public {
        _assertSameWhilePaused(_decreaseAlice);
        assertEq(engine.position(aliceId).size, 0.8e18, "not decreased");
    }

    function test_paused_ownerAddsMarginAsUnpaused() public {
        _assertSameWhilePaused(alice, abi.encodeCall(IMarginEngine.addMargin, (aliceId, 100 * USD)));
        assertEq(engine.position(aliceId).collateral, 700 * USD, "collateral");
    }

    function test_paused_ownerRemovesMarginAsUnpaused() public {
        _assertSameWhilePaused(mallory, abi.encodeCall(IMarginEngine.removeMargin, (malloryId, 100 * USD, mallory)));
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
        address[3] memory vaults = [engine.vaultOf(aliceId), engine.vaultOf(bobId), engine.vaultOf(malloryId)];
        _pause();
        vm.prank(keeper);
        engine.liquidate(bobId);
        closePosition(aliceId, alice);
        closePosition(malloryId, mallory);
        for (uint256 i; i < vaults.length; ++i) assertEq(usd.balanceOf(vaults[i]), 0, "a vault kept funds");
        assertEq(usd.balanceOf(address(engine)), 0, "the engine holds a claim");
        assertEq(engine.totalReserved(), 0, "reservation left");
        vm.warp(block.timestamp + LP_SETTLE);

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

    /// @dev Alice closes through both steps (a round at 2,800 a second later).
    function _closeAlice() internal {
        closePosition(aliceId, alice);
    }

    function _decreaseAlice() internal {
        decreasePosition(aliceId, 0.2e18);
    }

    /// @dev `data` from `caller` succeeds while paused and leaves every balance, record and aggregate exactly as the
    /// same call unpaused does.
    function _assertSameWhilePaused(address caller, bytes memory data) internal {
        _caller = caller;
        _call = data;
        _assertSameWhilePaused(_makeCall);
    }

    function _makeCall() internal {
        vm.prank(_caller);
        (bool ok, bytes memory result) = address(engine).call(_call);
        assertTrue(ok, "call failed");
        _result = result;
    }

    /// @dev `action` succeeds while paused and leaves every balance, record and aggregate, and returns exactly what
    /// it does unpaused.
    function _assertSameWhilePaused(function() internal action) internal {
        if (config.paused()) {
            vm.prank(guardian);
            config.unpause();
        }
        uint256 snapshotId = vm.snapshotState();
        action();
        Snapshot memory unpaused = _snapshot();
        bytes memory result = _result;
        vm.revertToState(snapshotId);

        _pause();
        action();
        Snapshot memory paused = _snapshot();
        assertTrue(config.paused(), "not paused");
        assertEq(_result, result, "return value");
        // The configuration differs by the pause flag alone.
        paused.configuration = unpaused.configuration;
        _assertUnchanged(unpaused, paused);
    }
}

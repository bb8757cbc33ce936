// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC7887Deposit, IERC7887Redeem} from "../../../contracts/interfaces/IERC7540.sol";
import {ILiquidityPool} from "../../../contracts/interfaces/ILiquidityPool.sol";
import {PoolHelpers} from "../utils/PoolHelpers.sol";

/// @notice ERC-7887 cancellation (SPEC rule 12): only while `lpDelay` runs; synchronous (straight to claimable); then
/// pulled to a receiver the controller names.
contract LiquidityPoolCancellationTest is PoolHelpers {
    // ------------------------------------------------------------ deposits

    function test_cancelDepositRequest_whileTheDelayRuns_thenClaimToAReceiver() public {
        requestDeposit(alice, 1_000 * USD);
        uint256 requestedAt = block.timestamp;
        vm.warp(requestedAt + LP_DELAY - 1);

        vm.expectEmit(address(pool));
        emit IERC7887Deposit.CancelDepositRequest(alice, 0, alice);
        vm.prank(alice);
        pool.cancelDepositRequest(0, alice);

        assertEq(pool.pendingDepositRequest(0, alice), 0);
        assertFalse(pool.pendingCancelDepositRequest(0, alice), "cancellation is synchronous");
        assertEq(pool.claimableCancelDepositRequest(0, alice), 1_000 * USD);
        (uint256 depositAt, ) = pool.executableAt(alice);
        assertEq(depositAt, 0);
        // Rule 11: cancelled assets stay outside equity.
        assertEq(usd.balanceOf(address(pool)), POOL_LIQUIDITY + 1_000 * USD);
        assertEq(pool.equityAssets(), POOL_LIQUIDITY);
        assertEq(pool.totalAssets(), POOL_LIQUIDITY);
        assertEq(pool.freeLiquidity(), POOL_LIQUIDITY);
        // Nothing left to execute.
        vm.warp(requestedAt + LP_DELAY);
        assertEq(_executeDeposits(alice), 0);

        vm.expectEmit(address(pool));
        emit IERC7887Deposit.CancelDepositClaim(alice, carol, 0, alice, 1_000 * USD);
        vm.prank(alice);
        uint256 assets = pool.claimCancelDepositRequest(0, carol, alice);
        assertEq(assets, 1_000 * USD);
        assertEq(usd.balanceOf(carol), 1_000 * USD);
        assertEq(usd.balanceOf(address(pool)), POOL_LIQUIDITY);
        assertEq(pool.claimableCancelDepositRequest(0, alice), 0);
        assertEq(pool.equityAssets(), POOL_LIQUIDITY);

        // The controller may request again.
        requestDeposit(alice, 1_000 * USD);
        assertEq(pool.pendingDepositRequest(0, alice), 1_000 * USD);
    }

    function test_cancelDepositRequest_refundsTheExecutionFeeToo() public {
        _setExecutionFee(2 * USD);
        requestDeposit(alice, 1_000 * USD);
        vm.prank(alice);
        pool.cancelDepositRequest(0, alice);
        assertEq(pool.claimableCancelDepositRequest(0, alice), 1_000 * USD);
    }

    function test_cancelDepositRequest_byAnOperator() public {
        requestDeposit(alice, 1_000 * USD);
        vm.prank(alice);
        pool.setOperator(bob, true);
        vm.expectEmit(address(pool));
        emit IERC7887Deposit.CancelDepositRequest(alice, 0, bob);
        vm.prank(bob);
        pool.cancelDepositRequest(0, alice);
        vm.expectEmit(address(pool));
        emit IERC7887Deposit.CancelDepositClaim(alice, bob, 0, bob, 1_000 * USD);
        vm.prank(bob);
        pool.claimCancelDepositRequest(0, bob, alice);
        assertEq(usd.balanceOf(bob), 1_000 * USD);
    }

    function test_cancelDepositRequest_revertsWhen_theDelayHasPassed() public {
        requestDeposit(alice, 1_000 * USD);
        uint256 executableAt = block.timestamp + LP_DELAY;
        vm.warp(executableAt);
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.CancelWindowClosed.selector, alice, executableAt));
        vm.prank(alice);
        pool.cancelDepositRequest(0, alice);
        _assertPoolUnchanged(before);
        // Once executable it can only be executed.
        assertEq(_executeDeposits(alice), 1);
    }

    function test_cancelDepositRequest_revertsWhen_nothingIsPending() public {
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.NoPendingRequest.selector, alice));
        vm.prank(alice);
        pool.cancelDepositRequest(0, alice);
        _assertPoolUnchanged(before);
    }

    function test_cancelDepositRequest_revertsWhen_callerIsNotAnOperator() public {
        requestDeposit(alice, 1_000 * USD);
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.NotOperator.selector, alice, bob));
        vm.prank(bob);
        pool.cancelDepositRequest(0, alice);
        _assertPoolUnchanged(before);
    }

    function test_claimCancelDepositRequest_revertsWhen_nothingToClaim() public {
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.ExceedsClaimable.selector, alice, 0, 0));
        vm.prank(alice);
        pool.claimCancelDepositRequest(0, alice, alice);
        _assertPoolUnchanged(before);
    }

    function test_claimCancelDepositRequest_revertsWhen_callerIsNotAnOperator() public {
        requestDeposit(alice, 1_000 * USD);
        vm.prank(alice);
        pool.cancelDepositRequest(0, alice);
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.NotOperator.selector, alice, bob));
        vm.prank(bob);
        pool.claimCancelDepositRequest(0, bob, alice);
        _assertPoolUnchanged(before);
    }

    // ------------------------------------------------------------ redemptions

    function test_cancelRedeemRequest_whileTheDelayRuns_thenClaimToAReceiver() public {
        _requestRedeem(lp, LP_SHARES / 10);
        uint256 requestedAt = block.timestamp;
        vm.warp(requestedAt + LP_DELAY - 1);

        vm.expectEmit(address(pool));
        emit IERC7887Redeem.CancelRedeemRequest(lp, 0, lp);
        vm.prank(lp);
        pool.cancelRedeemRequest(0, lp);

        assertEq(pool.pendingRedeemRequest(0, lp), 0);
        assertFalse(pool.pendingCancelRedeemRequest(0, lp), "cancellation is synchronous");
        assertEq(pool.claimableCancelRedeemRequest(0, lp), LP_SHARES / 10);
        assertEq(pool.redeemQueue().length, 0, "the cancelled request is still queued");
        assertEq(pool.balanceOf(address(pool)), LP_SHARES / 10);
        assertEq(pool.totalSupply(), LP_SHARES);
        assertEq(pool.totalAssets(), POOL_LIQUIDITY);
        vm.warp(requestedAt + LP_DELAY);
        assertEq(_executeRedeems(), 0);

        vm.expectEmit(address(pool));
        emit IERC7887Redeem.CancelRedeemClaim(lp, carol, 0, lp, LP_SHARES / 10);
        vm.prank(lp);
        uint256 shares = pool.claimCancelRedeemRequest(0, carol, lp);
        assertEq(shares, LP_SHARES / 10);
        assertEq(pool.balanceOf(carol), LP_SHARES / 10);
        assertEq(pool.balanceOf(address(pool)), 0);
        assertEq(pool.claimableCancelRedeemRequest(0, lp), 0);
    }

    function test_cancelRedeemRequest_staleQueueEntryIsSkipped() public {
        _requestRedeem(lp, LP_SHARES / 10);
        vm.prank(lp);
        pool.cancelRedeemRequest(0, lp);
        // A new request by the same controller queues behind; the old entry no longer matches it.
        vm.warp(block.timestamp + 1);
        _requestRedeem(lp, LP_SHARES / 5);
        vm.prank(lp);
        pool.transfer(bob, LP_SHARES / 5);
        _requestRedeem(bob, LP_SHARES / 5);
        address[] memory queue = pool.redeemQueue();
        assertEq(queue.length, 2);
        assertEq(queue[0], lp);
        assertEq(queue[1], bob);

        vm.warp(block.timestamp + LP_DELAY);
        assertEq(_executeRedeems(), 2);
        assertEq(pool.maxRedeem(lp), LP_SHARES / 5, "the stale entry executed the new request twice");
        assertEq(pool.maxRedeem(bob), LP_SHARES / 5);
        assertEq(pool.claimableCancelRedeemRequest(0, lp), LP_SHARES / 10);
    }

    function test_cancelRedeemRequest_revertsWhen_theDelayHasPassed() public {
        _requestRedeem(lp, LP_SHARES / 10);
        uint256 executableAt = block.timestamp + LP_DELAY;
        vm.warp(executableAt);
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.CancelWindowClosed.selector, lp, executableAt));
        vm.prank(lp);
        pool.cancelRedeemRequest(0, lp);
        _assertPoolUnchanged(before);
    }

    function test_cancelRedeemRequest_revertsWhen_nothingIsPending() public {
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.NoPendingRequest.selector, lp));
        vm.prank(lp);
        pool.cancelRedeemRequest(0, lp);
        _assertPoolUnchanged(before);
    }

    function test_cancelRedeemRequest_revertsWhen_callerIsNotAnOperator() public {
        _requestRedeem(lp, LP_SHARES / 10);
        // A share allowance is not an operator grant.
        vm.prank(lp);
        pool.approve(bob, LP_SHARES);
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.NotOperator.selector, lp, bob));
        vm.prank(bob);
        pool.cancelRedeemRequest(0, lp);
        _assertPoolUnchanged(before);
    }

    function test_claimCancelRedeemRequest_revertsWhen_nothingToClaim() public {
        _requestRedeem(lp, LP_SHARES / 10);
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.ExceedsClaimable.selector, lp, 0, 0));
        vm.prank(lp);
        pool.claimCancelRedeemRequest(0, lp, lp);
        _assertPoolUnchanged(before);
    }

    function test_claimCancelRedeemRequest_revertsWhen_callerIsNotAnOperator() public {
        _requestRedeem(lp, LP_SHARES / 10);
        vm.prank(lp);
        pool.cancelRedeemRequest(0, lp);
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.NotOperator.selector, lp, bob));
        vm.prank(bob);
        pool.claimCancelRedeemRequest(0, bob, lp);
        _assertPoolUnchanged(before);
    }
}

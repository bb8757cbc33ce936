// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

import {IERC7540Deposit, IERC7540Redeem} from "../../../contracts/interfaces/IERC7540.sol";
import {ILiquidityPool} from "../../../contracts/interfaces/ILiquidityPool.sol";
import {CancelReason, IMarginEngineBase, OrderKind} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IRiskConfig} from "../../../contracts/interfaces/IRiskConfig.sol";
import {PoolHelpers} from "../utils/PoolHelpers.sol";
import {FeeToken} from "./UnitBase.sol";

/// @notice requestDeposit and requestRedeem (SPEC rules 11–13): what a request locks, records and leaves out of the
/// pool's equity, and every way it is refused.
contract LiquidityPoolRequestsTest is PoolHelpers {
    // ------------------------------------------------------------ requestDeposit

    function test_requestDeposit_locksTheAssetsOutsideEquity() public {
        usd.mint(alice, 1_000 * USD);
        vm.prank(alice);
        usd.approve(address(pool), 1_000 * USD);

        vm.expectEmit(address(pool));
        emit IERC7540Deposit.DepositRequest(alice, alice, 0, alice, 1_000 * USD);
        vm.prank(alice);
        uint256 requestId = pool.requestDeposit(1_000 * USD, alice, alice);

        assertEq(requestId, 0);
        assertEq(pool.pendingDepositRequest(0, alice), 1_000 * USD);
        assertEq(pool.claimableDepositRequest(0, alice), 0);
        assertEq(usd.balanceOf(alice), 0);
        assertEq(usd.balanceOf(address(pool)), POOL_LIQUIDITY + 1_000 * USD);
        // Rule 11: the pending assets are not the pool's yet.
        assertEq(pool.equityAssets(), POOL_LIQUIDITY);
        assertEq(pool.totalAssets(), POOL_LIQUIDITY);
        assertEq(pool.freeLiquidity(), POOL_LIQUIDITY);
        assertEq(pool.totalSupply(), LP_SHARES);
        (uint256 depositAt, uint256 redeemAt) = pool.executableAt(alice);
        assertEq(depositAt, block.timestamp + LP_DELAY);
        assertEq(redeemAt, 0);
    }

    function test_requestDeposit_pendingAssetsAreOutsideTheEnginesCapacity() public {
        requestDeposit(alice, POOL_LIQUIDITY);
        // 400 ETH at 3,000 with 150,000 USD: cap min(9 × 150,000, 1,200,000) = 1,200,000 USD, above the equity of
        // 1,000,000 USD though below the balance of 2,000,000 USD. The open is cancelled at execution for capacity,
        // with a full refund.
        uint256 id = requestOpen(bob, ETH, true, 400e18, 150_000 * USD + openFeeOf(ETH, 400e18));
        uint256 escrow = 150_000 * USD + openFeeOf(ETH, 400e18) + KEEPER_RESERVE;
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Open, CancelReason.Capacity, keeper, escrow, 0);
        vm.prank(keeper);
        engine.executeOrder(id);
        assertEq(engine.position(id).owner, address(0));
        assertEq(usd.balanceOf(bob), escrow);
        assertEq(engine.totalReserved(), 0);

        // Once executed, the assets are equity and carry the reservation.
        vm.warp(block.timestamp + LP_DELAY);
        _executeDeposits(alice);
        openPosition(bob, ETH, true, 400e18, 150_000 * USD);
        assertEq(engine.totalReserved(), 1_200_000 * USD);
    }

    function test_requestDeposit_byAnOperatorOfTheOwnerForAnotherController() public {
        usd.mint(alice, 1_000 * USD);
        vm.startPrank(alice);
        usd.approve(address(pool), 1_000 * USD);
        pool.setOperator(bob, true);
        vm.stopPrank();

        vm.expectEmit(address(pool));
        emit IERC7540Deposit.DepositRequest(carol, alice, 0, bob, 1_000 * USD);
        vm.prank(bob);
        pool.requestDeposit(1_000 * USD, carol, alice);

        assertEq(pool.pendingDepositRequest(0, carol), 1_000 * USD);
        assertEq(pool.pendingDepositRequest(0, alice), 0);
        assertEq(usd.balanceOf(alice), 0);
    }

    function test_requestDeposit_atTheMinimum() public {
        requestDeposit(alice, MIN_REQUEST);
        assertEq(pool.pendingDepositRequest(0, alice), MIN_REQUEST);
    }

    function test_requestDeposit_revertsWhen_belowTheMinimum() public {
        usd.mint(alice, MIN_REQUEST);
        vm.prank(alice);
        usd.approve(address(pool), MIN_REQUEST);
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.RequestTooSmall.selector, MIN_REQUEST - 1, MIN_REQUEST));
        vm.prank(alice);
        pool.requestDeposit(MIN_REQUEST - 1, alice, alice);
        _assertPoolUnchanged(before);
    }

    function test_requestDeposit_revertsWhen_aRequestIsPending() public {
        requestDeposit(alice, 1_000 * USD);
        usd.mint(alice, 1_000 * USD);
        vm.prank(alice);
        usd.approve(address(pool), 1_000 * USD);
        usd.mint(bob, 1_000 * USD);
        vm.prank(bob);
        usd.approve(address(pool), 1_000 * USD);
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.RequestPending.selector, alice));
        vm.prank(alice);
        pool.requestDeposit(1_000 * USD, alice, alice);
        _assertPoolUnchanged(before);

        // One per controller: another owner cannot add to alice's request either.
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.RequestPending.selector, alice));
        vm.prank(bob);
        pool.requestDeposit(1_000 * USD, alice, bob);
        _assertPoolUnchanged(before);
    }

    function test_requestDeposit_revertsWhen_callerIsNeitherOwnerNorOperator() public {
        usd.mint(alice, 1_000 * USD);
        vm.prank(alice);
        usd.approve(address(pool), 1_000 * USD); // an asset allowance to the pool is not an operator grant
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.NotOperator.selector, alice, bob));
        vm.prank(bob);
        pool.requestDeposit(1_000 * USD, bob, alice);
        _assertPoolUnchanged(before);
    }

    function test_requestDeposit_revertsWhen_tokenTakesATransferFee() public {
        FeeToken token = new FeeToken();
        IRiskConfig c = deployRiskConfig(address(manager), address(token), defaultGlobalParams());
        ILiquidityPool p = deployPool(address(token), address(c), "fee LP", "fLP");
        token.setFeeBps(100); // 1 %
        token.mint(alice, 1_000 * USD);
        vm.prank(alice);
        token.approve(address(p), type(uint256).max);

        // 1,000 USD sent, 990 USD arrive.
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.FeeOnTransferToken.selector, 1_000 * USD, 990 * USD));
        vm.prank(alice);
        p.requestDeposit(1_000 * USD, alice, alice);
        assertEq(token.balanceOf(alice), 1_000 * USD);
        assertEq(token.balanceOf(address(p)), 0);
        assertEq(p.pendingDepositRequest(0, alice), 0);
    }

    function test_requestDeposit_revertsWhen_allowanceMissing() public {
        usd.mint(alice, 1_000 * USD);
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(pool), 0, 1_000 * USD)
        );
        vm.prank(alice);
        pool.requestDeposit(1_000 * USD, alice, alice);
        _assertPoolUnchanged(before);
    }

    // ------------------------------------------------------------ requestRedeem

    function test_requestRedeem_locksTheSharesInThePool() public {
        vm.expectEmit(address(pool));
        emit IERC7540Redeem.RedeemRequest(lp, lp, 0, lp, LP_SHARES / 10);
        vm.prank(lp);
        uint256 requestId = pool.requestRedeem(LP_SHARES / 10, lp, lp);

        assertEq(requestId, 0);
        assertEq(pool.pendingRedeemRequest(0, lp), LP_SHARES / 10);
        assertEq(pool.claimableRedeemRequest(0, lp), 0);
        assertEq(pool.balanceOf(lp), LP_SHARES - LP_SHARES / 10);
        assertEq(pool.balanceOf(address(pool)), LP_SHARES / 10);
        // Still shares, still equity, until executed.
        assertEq(pool.totalSupply(), LP_SHARES);
        assertEq(pool.equityAssets(), POOL_LIQUIDITY);
        assertEq(pool.totalAssets(), POOL_LIQUIDITY);
        address[] memory queue = pool.redeemQueue();
        assertEq(queue.length, 1);
        assertEq(queue[0], lp);
        (uint256 depositAt, uint256 redeemAt) = pool.executableAt(lp);
        assertEq(depositAt, 0);
        assertEq(redeemAt, block.timestamp + LP_DELAY);
    }

    function test_requestRedeem_byASpenderOfTheOwnersAllowance() public {
        vm.prank(lp);
        pool.approve(bob, LP_SHARES / 4);

        vm.expectEmit(address(pool));
        emit IERC7540Redeem.RedeemRequest(bob, lp, 0, bob, LP_SHARES / 10);
        vm.prank(bob);
        pool.requestRedeem(LP_SHARES / 10, bob, lp);

        assertEq(pool.allowance(lp, bob), LP_SHARES / 4 - LP_SHARES / 10, "allowance not spent");
        assertEq(pool.pendingRedeemRequest(0, bob), LP_SHARES / 10);
        assertEq(pool.pendingRedeemRequest(0, lp), 0);
        assertEq(pool.balanceOf(lp), LP_SHARES - LP_SHARES / 10);
    }

    function test_requestRedeem_byAnOperatorOfTheOwner() public {
        vm.prank(lp);
        pool.setOperator(bob, true);

        vm.expectEmit(address(pool));
        emit IERC7540Redeem.RedeemRequest(carol, lp, 0, bob, LP_SHARES / 10);
        vm.prank(bob);
        pool.requestRedeem(LP_SHARES / 10, carol, lp);

        assertEq(pool.allowance(lp, bob), 0);
        assertEq(pool.pendingRedeemRequest(0, carol), LP_SHARES / 10);
        assertEq(pool.balanceOf(lp), LP_SHARES - LP_SHARES / 10);
    }

    function test_requestRedeem_revertsWhen_callerHasNeitherAllowanceNorOperator() public {
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, bob, 0, LP_SHARES / 10)
        );
        vm.prank(bob);
        pool.requestRedeem(LP_SHARES / 10, bob, lp);
        _assertPoolUnchanged(before);
    }

    function test_requestRedeem_revertsWhen_worthLessThanTheMinimum() public {
        // 10 USD at the cached price is 1e13 shares; one share unit less is worth 9.999999999999 USD, floored.
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.RequestTooSmall.selector, MIN_REQUEST - 1, MIN_REQUEST));
        vm.prank(lp);
        pool.requestRedeem(MIN_REQUEST * VIRTUAL_SHARES - 1, lp, lp);
        _assertPoolUnchanged(before);

        vm.prank(lp);
        pool.requestRedeem(MIN_REQUEST * VIRTUAL_SHARES, lp, lp);
        assertEq(pool.pendingRedeemRequest(0, lp), MIN_REQUEST * VIRTUAL_SHARES);
    }

    function test_requestRedeem_revertsWhen_aRequestIsPending() public {
        _requestRedeem(lp, LP_SHARES / 10);
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.RequestPending.selector, lp));
        vm.prank(lp);
        pool.requestRedeem(LP_SHARES / 10, lp, lp);
        _assertPoolUnchanged(before);
    }

    function test_requestRedeem_revertsWhen_ownerLacksTheShares() public {
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, lp, LP_SHARES, LP_SHARES + 1)
        );
        vm.prank(lp);
        pool.requestRedeem(LP_SHARES + 1, lp, lp);
        _assertPoolUnchanged(before);
    }

    function test_requestRedeem_recordsTheCachedPriceNotTheLiveOne() public {
        // A donation doubles the live price; a request's floor is measured at the price cached at the last execution.
        _donate(carol, POOL_LIQUIDITY);
        assertEq(pool.cachedSharePrice(), PAR);
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.RequestTooSmall.selector, MIN_REQUEST - 1, MIN_REQUEST));
        vm.prank(lp);
        pool.requestRedeem(MIN_REQUEST * VIRTUAL_SHARES - 1, lp, lp);
    }
}

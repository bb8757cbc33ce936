// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CancelReason, IMarginEngineBase, OrderKind} from "../../../contracts/interfaces/IMarginEngine.sol";
import {MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {AttackBase} from "./utils/AttackBase.sol";

/// @dev An executor paid by failed orders would make orders fail. Rule 6: only price and margin failures pay the
/// executor (the trader chose the bound and the margin, and the round's answer is nobody's choice); an order cancelled
/// for capacity or pause, which an executor can provoke or time, refunds the trader everything, execution fee included.
contract ExecutorGriefingAttackTest is AttackBase {
    uint256 internal constant ORDER_FEE = 1 * USD;
    /// @dev Alice's open: long 1 ETH at 3,000 with 600 USD, the opening fee and an execution fee escrowed.
    uint256 internal constant ALICE_ESCROW = 600 * USD + 3 * USD + KEEPER_RESERVE + ORDER_FEE;

    address internal carol = makeAddr("carol");

    /// @dev The market's long open interest is capped at 10,000 USD of entry notional. Mallory requests 3 ETH (9,000
    /// USD) beside alice's 1 ETH and executes both in one batch, her own first: alice's no longer fits. Mallory earns
    /// nothing from alice, who gets everything back.
    function test_capacityFailureFromExecutorsOwnOrder_refundsTheTraderInFull() public {
        MarketParams memory params = defaultMarketParams(address(ethFeed));
        params.maxOpenInterestLong = 10_000e18;
        vm.prank(governance);
        config.setMarketParams(ETH, params);
        uint256 aliceId = _requestAliceOpen();
        fund(mallory, 1_200 * USD + 9 * USD + KEEPER_RESERVE + ORDER_FEE);
        vm.prank(mallory);
        uint256 malloryId = engine.requestOpen(ETH, true, 3e18, 1_209 * USD, type(uint128).max, _deadline(), ORDER_FEE);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(aliceId, OrderKind.Open, CancelReason.Capacity, mallory, ALICE_ESCROW, 0);
        vm.prank(mallory);
        assertEq(engine.executeOrders(_ids(malloryId, aliceId)), 2, "executed");
        assertEq(engine.position(malloryId).size, 3e18, "setup: mallory's open did not execute");
        assertEq(engine.position(aliceId).owner, address(0), "alice's open executed");
        assertEq(usd.balanceOf(alice), ALICE_ESCROW, "alice not refunded in full");
        // Mallory paid her collateral and reserve; her own execution fee came back to her, and nothing of alice's.
        assertEq(usd.balanceOf(mallory), ORDER_FEE, "mallory earned a fee on alice's order");
    }

    /// @dev The LP executes its own redemption of every share just before alice's open, in the same block: the pool's
    /// equity no longer backs alice's cap. The LP, as executor, earns nothing from alice, who gets everything back.
    function test_capacityFailureFromAnLpExit_refundsTheTraderInFull() public {
        uint256 shares = pool.balanceOf(lp);
        vm.prank(lp);
        pool.requestRedeem(shares, lp, lp);
        vm.warp(block.timestamp + LP_DELAY);
        uint256 aliceId = _requestAliceOpen();
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        // LP executions wait `lpSettle` after a round; alice's window is still open.
        vm.warp(block.timestamp + LP_SETTLE);
        uint256 lpBefore = usd.balanceOf(lp);

        vm.startPrank(lp);
        pool.executeRedeems(type(uint256).max);
        assertLt(pool.equityAssets(), 2_700 * USD, "setup: the pool still backs alice's cap");
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(aliceId, OrderKind.Open, CancelReason.Capacity, lp, ALICE_ESCROW, 0);
        engine.executeOrder(aliceId);
        vm.stopPrank();
        assertEq(usd.balanceOf(alice), ALICE_ESCROW, "alice not refunded in full");
        assertEq(usd.balanceOf(lp), lpBefore, "the LP earned a fee on alice's order");
    }

    /// @dev The executor holds alice's order until a pause (inside the order's window): the open is cancelled, alice gets
    /// everything back and the executor nothing.
    function test_pauseTimedByExecutor_refundsTheTraderInFull() public {
        uint256 aliceId = _requestAliceOpen();
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        vm.warp(block.timestamp + 30);
        vm.prank(guardian);
        config.pause();

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(aliceId, OrderKind.Open, CancelReason.Paused, mallory, ALICE_ESCROW, 0);
        vm.prank(mallory);
        assertEq(engine.executeOrders(_ids(aliceId)), 1, "executed");
        assertEq(usd.balanceOf(alice), ALICE_ESCROW, "alice not refunded in full");
        assertEq(usd.balanceOf(mallory), 0, "the executor earned a fee on a pause");
    }

    /// @dev One batch, one round, three failures: bob's bound refuses the price and carol's collateral does not meet
    /// initial margin (their own choices: the executor keeps their fees), and alice's open does not fit the market (the
    /// executor's doing, possibly: refunded in full). The executor earns exactly two fees.
    function test_batch_onlyPriceAndMarginFailuresPayTheExecutor() public {
        MarketParams memory params = defaultMarketParams(address(ethFeed));
        params.maxOpenInterestLong = 2_000e18;
        vm.prank(governance);
        config.setMarketParams(ETH, params);
        uint256 aliceId = _requestAliceOpen();
        fund(bob, 603 * USD + KEEPER_RESERVE + ORDER_FEE);
        vm.prank(bob);
        uint256 bobId = engine.requestOpen(ETH, true, 1e18, 603 * USD, 2_990e18, _deadline(), ORDER_FEE);
        fund(carol, 53 * USD + KEEPER_RESERVE + ORDER_FEE);
        vm.prank(carol);
        uint256 carolId = engine.requestOpen(ETH, true, 1e18, 53 * USD, type(uint128).max, _deadline(), ORDER_FEE);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);

        uint256[] memory ids = new uint256[](3);
        (ids[0], ids[1], ids[2]) = (bobId, carolId, aliceId);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            bobId,
            OrderKind.Open,
            CancelReason.PriceBound,
            mallory,
            603 * USD + KEEPER_RESERVE,
            ORDER_FEE
        );
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            carolId,
            OrderKind.Open,
            CancelReason.Margin,
            mallory,
            53 * USD + KEEPER_RESERVE,
            ORDER_FEE
        );
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(aliceId, OrderKind.Open, CancelReason.Capacity, mallory, ALICE_ESCROW, 0);
        vm.prank(mallory);
        assertEq(engine.executeOrders(ids), 3, "executed");
        assertEq(usd.balanceOf(mallory), 2 * ORDER_FEE, "executor fees");
        assertEq(usd.balanceOf(alice), ALICE_ESCROW, "alice not refunded in full");
        assertEq(usd.balanceOf(bob), 603 * USD + KEEPER_RESERVE, "bob's refund");
        assertEq(usd.balanceOf(carol), 53 * USD + KEEPER_RESERVE, "carol's refund");
    }

    /// @dev Alice requests her open, funded with exactly what it escrows.
    function _requestAliceOpen() internal returns (uint256 id) {
        fund(alice, ALICE_ESCROW);
        vm.prank(alice);
        id = engine.requestOpen(ETH, true, 1e18, 603 * USD, type(uint128).max, _deadline(), ORDER_FEE);
        assertEq(usd.balanceOf(alice), 0, "setup: escrow");
    }
}

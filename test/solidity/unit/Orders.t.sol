// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessManager} from "@openzeppelin/contracts/access/manager/IAccessManager.sol";

import {IInsuranceFund} from "../../../contracts/interfaces/IInsuranceFund.sol";
import {ILiquidityPool} from "../../../contracts/interfaces/ILiquidityPool.sol";
import {
    CancelReason,
    IMarginEngine,
    IMarginEngineBase,
    Order,
    OrderKind,
    OrderStatus,
    Position
} from "../../../contracts/interfaces/IMarginEngine.sol";
import {GlobalParams, IRiskConfig, MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {BlocklistToken} from "./mocks/BlocklistToken.sol";
import {MockBandAggregator, MockFeedProxy} from "./mocks/MockFeedProxy.sol";
import {UnitBase} from "./UnitBase.sol";

/// @dev The order rules of SPEC §1 (orders 1–7, oracle trouble 16) across the order kinds, and the attacks that
/// two-step orders exist to stop. Amounts of each kind's execution are tested in Open, Increase, Decrease and Close.
contract OrdersTest is UnitBase {
    uint256 internal constant FEE = 1 * USD;
    /// @dev The fixture's ETH round when the tests start.
    uint80 internal constant ROUND = 2;

    // ------------------------------------------------------------ helpers

    /// @dev `who` requests a long ETH open of `size` escrowing `collateral`, any price, the longest deadline.
    function _requestOpen(address who, uint256 size, uint256 collateral) internal returns (uint256) {
        return _requestOpen(who, ETH, size, collateral, type(uint128).max, _deadline());
    }

    function _requestOpen(
        address who,
        uint256 marketId,
        uint256 size,
        uint256 collateral,
        uint256 acceptablePrice,
        uint256 deadline
    ) internal returns (uint256 id) {
        fund(who, collateral + KEEPER_RESERVE + FEE);
        vm.prank(who);
        id = engine.requestOpen(marketId, true, size, collateral, acceptablePrice, deadline, FEE);
    }

    function _requestIncrease(uint256 id, uint256 sizeDelta, uint256 collateralDelta) internal {
        address owner = engine.position(id).owner;
        fund(owner, collateralDelta + FEE);
        vm.prank(owner);
        engine.requestIncrease(id, sizeDelta, collateralDelta, type(uint128).max, _deadline(), FEE);
    }

    function _requestDecrease(uint256 id, uint256 sizeDelta, address receiver) internal {
        Position memory p = engine.position(id);
        fund(p.owner, FEE);
        vm.prank(p.owner);
        engine.requestDecrease(id, sizeDelta, p.isLong ? 0 : type(uint128).max, _deadline(), FEE, receiver);
    }

    function _requestClose(uint256 id, address receiver) internal {
        Position memory p = engine.position(id);
        fund(p.owner, FEE);
        vm.prank(p.owner);
        engine.requestClose(id, p.isLong ? 0 : type(uint128).max, _deadline(), FEE, receiver);
    }

    function _ids4(uint256 a, uint256 b, uint256 c, uint256 d) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](4);
        (ids[0], ids[1], ids[2], ids[3]) = (a, b, c, d);
    }

    function _status(uint256 id) internal view returns (OrderStatus status, uint80 roundId) {
        return engine.orderStatus(id);
    }

    function _assertStatus(uint256 id, OrderStatus expected) internal view {
        (OrderStatus status, ) = engine.orderStatus(id);
        assertEq(uint8(status), uint8(expected), "order status");
    }

    function _assertNoOrders(uint256 id) internal view {
        (Order memory o, Order memory c) = engine.orders(id);
        assertEq(uint8(o.kind), uint8(OrderKind.None), "order left");
        assertEq(uint8(c.kind), uint8(OrderKind.None), "close left");
    }

    /// @dev Rule 5 and invariant 1: a position's vault holds exactly its recorded collateral, its keeper reserve and
    /// what its pending orders escrow.
    function _assertVaultHoldsItsRecords(uint256 id) internal view {
        Position memory p = engine.position(id);
        (Order memory o, Order memory c) = engine.orders(id);
        assertEq(
            usd.balanceOf(p.vault),
            uint256(p.collateral) + p.keeperReserve + o.collateralDelta + o.executionFee + c.executionFee,
            "vault = collateral + keeper reserve + escrow"
        );
    }

    /// @dev A market on a phase-aware proxy whose aggregator clamps answers to [minAnswer, maxAnswer] (8 decimals).
    function _listProxyMarket(int192 minAnswer, int192 maxAnswer) internal returns (MockFeedProxy feed, uint256 id) {
        feed = new MockFeedProxy(8, 3_000e8, address(new MockBandAggregator(minAnswer, maxAnswer)));
        vm.prank(governance);
        id = config.listMarket(defaultMarketParams(address(feed)));
    }

    /// @dev Lets the ETH feed go silent for longer than its heartbeat, then publishes a fresh round at `price`: the
    /// outage ends now and the grace period runs until now + GRACE. Returns the fresh round's time.
    function _outage(uint256 price) internal returns (uint256 resumedAt) {
        vm.warp(block.timestamp + HEARTBEAT + 100);
        setPrice(ETH, price);
        resumedAt = block.timestamp;
        assertEq(engine.liquidationResumesAt(ETH), resumedAt + GRACE, "grace running");
    }

    // ================================================================ rule 1: the execution round

    /// @dev A round published in the request's own second could have been seen by the requester: it is not the
    /// execution round, the next one is.
    function test_executeOrder_roundInTheRequestsSecond_doesNotCount() public {
        uint256 id = _requestOpen(alice, 1e18, 604 * USD);
        setPrice(ETH, 3_100e18); // same block, after the request: startedAt == requestedAt
        Snapshot memory before = _snapshot(id);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderNotReady.selector, id));
        _execute(id);
        _assertUnchanged(before, id);
        _assertStatus(id, OrderStatus.Waiting);

        _publish(3_050e18);
        _execute(id);
        assertEq(engine.position(id).entryPrice, 3_050e18, "traded at the next round");
    }

    function test_executeOrder_severalRoundsAfterTheRequest_tradesAtTheFirst() public {
        uint256 id = _requestOpen(alice, 1e18, 604 * USD);
        _publish(3_050e18); // round 3
        _publish(3_080e18);
        _publish(3_090e18);
        (OrderStatus status, uint80 roundId) = _status(id);
        assertEq(uint8(status), uint8(OrderStatus.Executable));
        assertEq(roundId, ROUND + 1);

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderExecuted(id, OrderKind.Open, keeper, ROUND + 1, 3_050e18, FEE);
        _execute(id);
        assertEq(engine.position(id).entryPrice, 3_050e18);
    }

    /// @dev The recorded round itself never executes the order, even if rewritten with a later observation time.
    function test_executeOrder_theRecordedRoundRewritten_doesNotCount() public {
        uint256 id = _requestOpen(alice, 1e18, 604 * USD);
        vm.warp(block.timestamp + 1);
        ethFeed.updateRoundData(ROUND, 3_100e8, block.timestamp, block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderNotReady.selector, id));
        _execute(id);

        _publish(3_050e18); // round 3
        _execute(id);
        assertEq(engine.position(id).entryPrice, 3_050e18);
    }

    /// @dev A proxy reverts when asked for a round its aggregator does not have yet: "not yet", not a failure.
    function test_executeOrder_readOfTheNextRoundReverts_isNotReady() public {
        (MockFeedProxy feed, uint256 marketId) = _listProxyMarket(1e8, 100_000e8);
        uint256 id = _requestOpen(alice, marketId, 1e18, 604 * USD, type(uint128).max, _deadline());
        vm.warp(block.timestamp + 30);
        uint80 next = feed.latestRoundId() + 1;
        vm.expectRevert(bytes("No data present"));
        feed.getRoundData(next);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderNotReady.selector, id));
        _execute(id);
        _assertStatus(id, OrderStatus.Waiting);

        feed.pushRound(3_050e8);
        _execute(id);
        assertEq(engine.position(id).entryPrice, 3_050e18);
    }

    /// @dev A round with `updatedAt == 0` (not finished) is "not yet", and the search stops there: later rounds do not
    /// jump it. If it never finishes, the order expires.
    function test_executeOrder_roundNotUpdatedYet_isNotReady() public {
        uint256 id = _requestOpen(alice, ETH, 1e18, 604 * USD, type(uint128).max, block.timestamp + 100);
        vm.warp(block.timestamp + 1);
        ethFeed.updateRoundData(ROUND + 1, 3_100e8, 0, block.timestamp);
        _publish(3_050e18); // round 4
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderNotReady.selector, id));
        _execute(id);

        vm.warp(block.timestamp + 100);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            id,
            OrderKind.Open,
            CancelReason.Expired,
            bob,
            604 * USD + KEEPER_RESERVE + FEE,
            0
        );
        vm.prank(bob);
        engine.cancelOrder(id);
        _assertDeleted(id);
    }

    /// @dev A new phase means a new aggregator: the old phase will never get the order's round, so the order is
    /// cancellable at once, by anyone, with a full refund.
    function test_cancelOrder_afterAPhaseChange_refundsInFull() public {
        (MockFeedProxy feed, uint256 marketId) = _listProxyMarket(1e8, 100_000e8);
        uint256 id = _requestOpen(alice, marketId, 1e18, 604 * USD, type(uint128).max, _deadline());
        address vault = engine.vaultOf(id);
        vm.warp(block.timestamp + 1);
        feed.newPhase(3_050e8, address(new MockBandAggregator(1e8, 100_000e8)));
        _assertStatus(id, OrderStatus.Cancellable);

        uint256 aliceBefore = usd.balanceOf(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            id,
            OrderKind.Open,
            CancelReason.PhaseChanged,
            bob,
            604 * USD + KEEPER_RESERVE + FEE,
            0
        );
        vm.prank(bob);
        engine.cancelOrder(id);
        _assertDeleted(id);
        assertEq(usd.balanceOf(alice), aliceBefore + 604 * USD + KEEPER_RESERVE + FEE);
        assertEq(usd.balanceOf(bob), 0, "the canceller earns nothing");
        assertEq(usd.balanceOf(vault), 0);
    }

    /// @dev An OCR2 aggregator clamps answers to its band: an answer on the band is not the market's price.
    function test_executeOrder_answerOnTheMaxAnswer_cancelsWithAFullRefund() public {
        (MockFeedProxy feed, uint256 marketId) = _listProxyMarket(100e8, 10_000e8);
        uint256 id = _requestOpen(alice, marketId, 1e18, 604 * USD, type(uint128).max, _deadline());
        vm.warp(block.timestamp + 1);
        feed.pushRound(10_000e8);
        _assertStatus(id, OrderStatus.Cancellable);
        uint256 aliceBefore = usd.balanceOf(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            id,
            OrderKind.Open,
            CancelReason.BadPrice,
            keeper,
            604 * USD + KEEPER_RESERVE + FEE,
            0
        );
        _execute(id);
        _assertDeleted(id);
        assertEq(usd.balanceOf(alice), aliceBefore + 604 * USD + KEEPER_RESERVE + FEE);
        assertEq(usd.balanceOf(keeper), 0);
    }

    function test_executeOrder_answerOnTheMinAnswer_cancelsACloseWithAFullRefund() public {
        (MockFeedProxy feed, uint256 marketId) = _listProxyMarket(100e8, 10_000e8);
        uint256 id = _requestOpen(alice, marketId, 1e18, 603 * USD, type(uint128).max, _deadline());
        vm.warp(block.timestamp + 1);
        feed.pushRound(3_000e8);
        _execute(id);
        _requestClose(id, alice);
        Snapshot memory before = _snapshot(id);
        vm.warp(block.timestamp + 1);
        feed.pushRound(100e8);

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Close, CancelReason.BadPrice, keeper, FEE, 0);
        _execute(id);
        _assertPosition(engine.position(id), before.position);
        assertEq(usd.balanceOf(alice), before.alice + FEE);
        assertEq(vaultBalance(id), before.vault - FEE);
        _assertNoOrders(id);
    }

    function test_executeOrder_nonPositiveAnswerAtTheRound_cancelsWithAFullRefund() public {
        uint256 id = _requestOpen(alice, 1e18, 604 * USD);
        _publish(0);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            id,
            OrderKind.Open,
            CancelReason.BadPrice,
            keeper,
            604 * USD + KEEPER_RESERVE + FEE,
            0
        );
        _execute(id);
        _assertDeleted(id);
        assertEq(usd.balanceOf(keeper), 0);
    }

    // ================================================================ rule 2: the window and the deadline

    function test_executeOrder_atTheEndOfTheWindow_executes() public {
        uint256 id = _requestOpen(alice, 1e18, 604 * USD);
        _publish(3_050e18);
        vm.warp(block.timestamp + MAX_EXECUTION_DELAY); // now == round.updatedAt + maxExecutionDelay
        _execute(id);
        assertEq(engine.position(id).entryPrice, 3_050e18);
    }

    /// @dev Past the window an execution would be a free option on an old price: anyone may cancel, full refund.
    function test_cancelOrder_afterTheWindow_anyoneRefundsInFull() public {
        uint256 id = _requestOpen(alice, 1e18, 604 * USD);
        _publish(3_050e18);
        vm.warp(block.timestamp + MAX_EXECUTION_DELAY + 1);
        _assertStatus(id, OrderStatus.Cancellable);
        uint256 aliceBefore = usd.balanceOf(alice);

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            id,
            OrderKind.Open,
            CancelReason.WindowMissed,
            bob,
            604 * USD + KEEPER_RESERVE + FEE,
            0
        );
        vm.prank(bob);
        engine.cancelOrder(id);
        _assertDeleted(id);
        assertEq(usd.balanceOf(alice), aliceBefore + 604 * USD + KEEPER_RESERVE + FEE);
        assertEq(usd.balanceOf(bob), 0);
    }

    /// @dev A keeper who comes late does not get the fee either: `executeOrder` cancels with a full refund.
    function test_executeOrder_afterTheWindow_cancelsWithAFullRefund() public {
        uint256 id = _openStandardLong();
        _requestIncrease(id, 0.1e18, 50 * USD);
        _publish(ETH_PRICE);
        vm.warp(block.timestamp + MAX_EXECUTION_DELAY + 1);
        uint256 aliceBefore = usd.balanceOf(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Increase, CancelReason.WindowMissed, keeper, 51 * USD, 0);
        _execute(id);
        assertEq(engine.position(id).size, 1e18);
        assertEq(usd.balanceOf(alice), aliceBefore + 51 * USD);
        assertEq(usd.balanceOf(keeper), 0);
    }

    function test_cancelOrder_noRoundBeforeTheDeadline_expires() public {
        uint256 id = _requestOpen(alice, ETH, 1e18, 604 * USD, type(uint128).max, block.timestamp + 100);
        vm.warp(block.timestamp + 100);
        // At the deadline a round may still come.
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderStillExecutable.selector, id));
        engine.cancelOrder(id);

        vm.warp(block.timestamp + 1);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            id,
            OrderKind.Open,
            CancelReason.Expired,
            bob,
            604 * USD + KEEPER_RESERVE + FEE,
            0
        );
        vm.prank(bob);
        engine.cancelOrder(id);
        _assertDeleted(id);
    }

    function test_cancelOrder_roundObservedAfterTheDeadline_expires() public {
        uint256 id = _requestOpen(alice, ETH, 1e18, 604 * USD, type(uint128).max, block.timestamp + 100);
        vm.warp(block.timestamp + 100);
        _publish(3_050e18); // observed at deadline + 1
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            id,
            OrderKind.Open,
            CancelReason.Expired,
            bob,
            604 * USD + KEEPER_RESERVE + FEE,
            0
        );
        vm.prank(bob);
        engine.cancelOrder(id);
        _assertDeleted(id);
    }

    function test_executeOrder_roundObservedAtTheDeadline_executes() public {
        uint256 id = _requestOpen(alice, ETH, 1e18, 604 * USD, type(uint128).max, block.timestamp + 100);
        vm.warp(block.timestamp + 99);
        _publish(3_050e18); // observed at the deadline
        _execute(id);
        assertEq(engine.position(id).entryPrice, 3_050e18);
    }

    /// @dev The market's `maxOrderWait` caps a later deadline: a round after it is too late.
    function test_requestOpen_capsTheDeadlineAtMaxOrderWait() public {
        uint256 farAway = block.timestamp + 10 days;
        uint256 capped = block.timestamp + MAX_ORDER_WAIT;
        fund(alice, 604 * USD + KEEPER_RESERVE + FEE);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderRequested(
            1,
            alice,
            ETH,
            OrderKind.Open,
            true,
            1e18,
            604 * USD,
            type(uint128).max,
            capped,
            FEE,
            ROUND,
            alice
        );
        vm.prank(alice);
        uint256 id = engine.requestOpen(ETH, true, 1e18, 604 * USD, type(uint128).max, farAway, FEE);
        (Order memory o, ) = engine.orders(id);
        assertEq(o.deadline, capped);

        vm.warp(capped);
        _publish(3_050e18);
        _assertStatus(id, OrderStatus.Cancellable);
        vm.prank(bob);
        engine.cancelOrder(id);
        _assertDeleted(id);
    }

    function test_cancelOrder_revertsWhen_orderCanStillExecute() public {
        uint256 id = _requestOpen(alice, 1e18, 604 * USD);
        // Waiting for its round.
        Snapshot memory before = _snapshot(id);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderStillExecutable.selector, id));
        vm.prank(alice);
        engine.cancelOrder(id);
        _assertUnchanged(before, id);

        // Its round is there: the trader would be choosing whether to trade at a price they have seen.
        _publish(2_900e18);
        _assertStatus(id, OrderStatus.Executable);
        before = _snapshot(id);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderStillExecutable.selector, id));
        vm.prank(alice);
        engine.cancelOrder(id);
        _assertUnchanged(before, id);
    }

    function test_cancelOrder_revertsWhen_noPendingOrder() public {
        uint256 id = _openStandardLong();
        Snapshot memory before = _snapshot(id);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.NoPendingOrder.selector, id));
        engine.cancelOrder(id);
        _assertUnchanged(before, id);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.NoPendingOrder.selector, 99));
        engine.cancelOrder(99);
    }

    function test_executeOrder_revertsWhen_nothingIsReady() public {
        uint256 id = _requestOpen(alice, 1e18, 604 * USD);
        Snapshot memory before = _snapshot(id);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderNotReady.selector, id));
        _execute(id);
        _assertUnchanged(before, id);

        uint256 open = _openStandardLong();
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderNotReady.selector, open));
        _execute(open);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderNotReady.selector, 99));
        _execute(99);
    }

    /// @dev The execution round is there, but the latest answer is bad: the order waits (it cannot be checked
    /// against the latest price, rule 3), and is cancelled once its window passes.
    function test_executeOrder_withoutAGoodLatestPrice_waits() public {
        uint256 id = _requestOpen(alice, 1e18, 604 * USD);
        _publish(3_050e18);
        _publish(0);
        (OrderStatus status, uint80 roundId) = _status(id);
        assertEq(uint8(status), uint8(OrderStatus.Waiting));
        assertEq(roundId, ROUND + 1);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderNotReady.selector, id));
        _execute(id);

        vm.warp(block.timestamp + MAX_EXECUTION_DELAY);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            id,
            OrderKind.Open,
            CancelReason.WindowMissed,
            bob,
            604 * USD + KEEPER_RESERVE + FEE,
            0
        );
        vm.prank(bob);
        engine.cancelOrder(id);
    }

    // ================================================================ rule 3: liquidation first, margin, fee

    /// @dev The close would trade at 3,000 (its round), but at the latest answer (2,750) the position is liquidatable:
    /// it is liquidated instead, its close cancelled and refunded, and the executor paid as a liquidator.
    function test_executeOrder_positionLiquidatableAtTheLatestPrice_isLiquidatedInstead() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        address vault = engine.vaultOf(id);
        _requestClose(id, alice);
        _publish(ETH_PRICE);
        _publish(2_750e18);
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 poolBefore = usd.balanceOf(address(pool));

        // At 2,750 after 2 s: equity 310 − 250 − 0.00002 = 59.99998 USD < 5 % × 2,750. Closing fee 2.75 USD, keeper
        // fee 27.5 USD (+ the 5 USD reserve), penalty 27.5 USD, owner 2.24998 USD.
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Close, CancelReason.PositionClosed, keeper, FEE, 0);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionLiquidated(
            id,
            alice,
            keeper,
            2_750e18,
            32_500_000,
            27_500_000,
            2_249_980,
            0,
            0,
            2_750_000
        );
        _execute(id);

        _assertDeleted(id);
        assertEq(usd.balanceOf(vault), 0);
        assertEq(usd.balanceOf(keeper), 32_500_000, "keeper reserve + liquidation fee, no execution fee");
        assertEq(usd.balanceOf(alice), aliceBefore + FEE + 2_249_980, "close escrow refunded in full");
        assertEq(usd.balanceOf(address(insurance)), 27_500_000);
        assertEq(usd.balanceOf(address(pool)), poolBefore + 252_750_020);
    }

    function test_executeOrder_increaseOfAPositionLiquidatableAtTheLatestPrice_isRefundedInFull() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        _requestIncrease(id, 0.1e18, 100 * USD);
        _publish(ETH_PRICE);
        _publish(2_750e18);
        uint256 aliceBefore = usd.balanceOf(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            id,
            OrderKind.Increase,
            CancelReason.PositionClosed,
            keeper,
            100 * USD + FEE,
            0
        );
        _execute(id);
        _assertDeleted(id);
        assertEq(usd.balanceOf(alice), aliceBefore + 100 * USD + FEE + 2_249_980);
        assertEq(usd.balanceOf(keeper), 32_500_000);
    }

    /// @dev 300 USD after the fee is exactly the initial margin at the round's 3,000, but not at the latest 2,990: a
    /// position the market has already moved against is not opened.
    function test_executeOrder_openMustMeetInitialMarginAtTheLatestPriceToo() public {
        uint256 id = _requestOpen(alice, 1e18, 303 * USD);
        _publish(ETH_PRICE);
        _publish(2_990e18);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            id,
            OrderKind.Open,
            CancelReason.Margin,
            keeper,
            303 * USD + KEEPER_RESERVE,
            FEE
        );
        _execute(id);
        _assertDeleted(id);

        // With the latest answer at the round's price, the same order opens.
        uint256 again = _requestOpen(alice, 1e18, 303 * USD);
        _publish(ETH_PRICE);
        _execute(again);
        assertEq(engine.position(again).collateral, 300 * USD);
    }

    function test_executeOrder_increaseMustMeetInitialMarginAtTheLatestPriceToo() public {
        uint256 id = _openStandardLong();
        // 2 ETH need 600 USD at 3,000: the fees (3 USD + 20 units of borrow fee) are added, so exactly 600 stay.
        _requestIncrease(id, 1e18, 3 * USD + 20);
        _publish(ETH_PRICE);
        _publish(2_999e18);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Increase, CancelReason.Margin, keeper, 3 * USD + 20, FEE);
        _execute(id);
        assertEq(engine.position(id).size, 1e18);
    }

    function test_removeMargin_revertsWhen_orderPending() public {
        uint256 id = _openStandardLong();
        _requestDecrease(id, 0.1e18, alice);
        Snapshot memory before = _snapshot(id);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderPending.selector, id));
        vm.prank(alice);
        engine.removeMargin(id, 10 * USD, alice);
        _assertUnchanged(before, id);

        // Once the order has executed, margin can be removed.
        _publish(ETH_PRICE);
        _execute(id);
        vm.prank(alice);
        engine.removeMargin(id, 10 * USD, alice);
    }

    function test_removeMargin_revertsWhen_closePending() public {
        uint256 id = _openStandardLong();
        _requestClose(id, alice);
        Snapshot memory before = _snapshot(id);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.ClosePending.selector, id));
        vm.prank(alice);
        engine.removeMargin(id, 10 * USD, alice);
        _assertUnchanged(before, id);
    }

    /// @dev The minimum is the floor for every kind; an order at it is taken and the executor earns it.
    function test_executeOrder_atTheMinimumExecutionFee_paysTheExecutor() public {
        GlobalParams memory g = defaultGlobalParams();
        g.minExecutionFee = uint80(2 * USD);
        _setGlobal(g);
        fund(alice, 603 * USD + KEEPER_RESERVE + 2 * USD);
        vm.prank(alice);
        uint256 id = engine.requestOpen(ETH, true, 1e18, 603 * USD, type(uint128).max, _deadline(), 2 * USD);
        _publish(ETH_PRICE);
        _execute(id);
        assertEq(usd.balanceOf(keeper), 2 * USD);
    }

    // ================================================================ rule 4: one order and one close

    function test_requests_atMostOneOrderAndOneClose() public {
        uint256 id = _openStandardLong();
        _requestDecrease(id, 0.1e18, alice);
        _publish(ETH_PRICE); // the decrease's round exists: the close does not replace it
        _requestClose(id, alice);
        (Order memory o, Order memory c) = engine.orders(id);
        assertEq(uint8(o.kind), uint8(OrderKind.Decrease));
        assertEq(uint8(c.kind), uint8(OrderKind.Close));

        fund(alice, 10 * USD);
        Snapshot memory before = _snapshot(id);
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderPending.selector, id));
        engine.requestIncrease(id, 0.1e18, 0, type(uint128).max, _deadline(), FEE);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderPending.selector, id));
        engine.requestDecrease(id, 0.1e18, 0, _deadline(), FEE, alice);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.ClosePending.selector, id));
        engine.requestClose(id, 0, _deadline(), FEE, alice);
        vm.stopPrank();
        _assertUnchanged(before, id);
    }

    /// @dev The owner can always ask to close: a pending order whose round does not exist yet is replaced (the close
    /// must not wait behind it) and refunded in full.
    function test_requestClose_replacesAnOrderWhoseRoundDoesNotExistYet() public {
        uint256 id = _openStandardLong();
        _requestIncrease(id, 0.5e18, 100 * USD);
        vm.warp(block.timestamp + 30); // no round yet
        fund(alice, FEE);
        uint256 aliceBefore = usd.balanceOf(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Increase, CancelReason.Replaced, alice, 100 * USD + FEE, 0);
        vm.prank(alice);
        engine.requestClose(id, 0, _deadline(), FEE, alice);

        assertEq(usd.balanceOf(alice), aliceBefore + 100 * USD, "increase refunded, close fee escrowed");
        (Order memory o, Order memory c) = engine.orders(id);
        assertEq(uint8(o.kind), uint8(OrderKind.None));
        assertEq(uint8(c.kind), uint8(OrderKind.Close));
        _assertVaultHoldsItsRecords(id);

        _publish(ETH_PRICE);
        _execute(id);
        _assertDeleted(id);
    }

    /// @dev An order whose round exists keeps its place; both execute in request order, in one call when both rounds
    /// are there: the decrease at its round (3,100), then the close at the next (3,200).
    function test_executeOrder_orderWhoseRoundExists_executesBeforeTheClose() public {
        uint256 id = _openStandardLong();
        _requestDecrease(id, 0.5e18, alice);
        _publish(3_100e18); // the decrease's round
        _requestClose(id, alice); // kept behind it
        (Order memory o, ) = engine.orders(id);
        assertEq(uint8(o.kind), uint8(OrderKind.Decrease), "order kept");
        _publish(3_200e18); // the close's round
        uint256 aliceBefore = usd.balanceOf(alice);

        // Decrease at 3,100 after 2 s: 300 + 50 − (1.55 + 0.00002) = 348.44998 USD. Close of the rest at 3,200:
        // 300 + 100 − 1.6 + the 5 USD reserve = 403.4 USD.
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderExecuted(id, OrderKind.Decrease, keeper, ROUND + 2, 3_100e18, FEE);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionClosed(id, alice, 3_200e18, 100e6, 1_600_000, 403_400_000, 0, alice);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderExecuted(id, OrderKind.Close, keeper, ROUND + 3, 3_200e18, FEE);
        _execute(id);

        _assertDeleted(id);
        assertEq(usd.balanceOf(alice), aliceBefore + 348_449_980 + 403_400_000);
        assertEq(usd.balanceOf(keeper), 2 * FEE);
    }

    /// @dev The same with the close's round not there yet: the order executes, the close waits for its round.
    function test_executeOrder_closeWaitsForItsOwnRound() public {
        uint256 id = _openStandardLong();
        _requestDecrease(id, 0.5e18, alice);
        _publish(3_100e18);
        _requestClose(id, alice);
        _execute(id);
        assertEq(engine.position(id).size, 0.5e18);
        (Order memory o, Order memory c) = engine.orders(id);
        assertEq(uint8(o.kind), uint8(OrderKind.None));
        assertEq(uint8(c.kind), uint8(OrderKind.Close), "close waits");
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderNotReady.selector, id));
        _execute(id);

        _publish(3_200e18);
        uint256[] memory ids = _ids(id);
        vm.prank(keeper);
        assertEq(engine.executeOrders(ids), 1);
        _assertDeleted(id);
    }

    function test_executeOrders_countsBothOrdersOfAPosition() public {
        uint256 id = _openStandardLong();
        _requestDecrease(id, 0.5e18, alice);
        _publish(3_100e18);
        _requestClose(id, alice);
        _publish(3_200e18);
        vm.prank(keeper);
        assertEq(engine.executeOrders(_ids(id)), 2);
        _assertDeleted(id);
    }

    /// @dev A close does not keep an order that can no longer execute either: it is cancelled for its own reason.
    function test_requestClose_cancelsAnOrderThatCanNoLongerExecute() public {
        uint256 id = _openStandardLong();
        _requestIncrease(id, 0.5e18, 100 * USD);
        _publish(ETH_PRICE);
        vm.warp(block.timestamp + MAX_EXECUTION_DELAY + 1);
        fund(alice, FEE);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            id,
            OrderKind.Increase,
            CancelReason.WindowMissed,
            alice,
            100 * USD + FEE,
            0
        );
        vm.prank(alice);
        engine.requestClose(id, 0, _deadline(), FEE, alice);
        (Order memory o, Order memory c) = engine.orders(id);
        assertEq(uint8(o.kind), uint8(OrderKind.None));
        assertEq(uint8(c.kind), uint8(OrderKind.Close));
    }

    /// @dev Every request first cancels the position's orders that can no longer execute: an order nobody
    /// cancelled never blocks the owner's next request.
    function test_requestIncrease_cancelsAStaleOrderFirst() public {
        uint256 id = _openStandardLong();
        _requestDecrease(id, 0.5e18, alice);
        _publish(ETH_PRICE);
        vm.warp(block.timestamp + MAX_EXECUTION_DELAY + 1); // the decrease's window passed
        fund(alice, 50 * USD + FEE);
        uint256 aliceBefore = usd.balanceOf(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Decrease, CancelReason.WindowMissed, alice, FEE, 0);
        vm.prank(alice);
        engine.requestIncrease(id, 0.1e18, 50 * USD, type(uint128).max, _deadline(), FEE);

        (Order memory o, ) = engine.orders(id);
        assertEq(uint8(o.kind), uint8(OrderKind.Increase));
        assertEq(usd.balanceOf(alice), aliceBefore + FEE - 50 * USD - FEE);
        _assertVaultHoldsItsRecords(id);
    }

    function test_requestClose_cancelsAStaleCloseFirst() public {
        uint256 id = _openStandardLong();
        _requestClose(id, alice);
        vm.warp(block.timestamp + MAX_ORDER_WAIT + 1); // no round came before its deadline
        fund(alice, FEE);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Close, CancelReason.Expired, alice, FEE, 0);
        vm.prank(alice);
        engine.requestClose(id, 0, _deadline(), FEE, bob);
        (, Order memory c) = engine.orders(id);
        assertEq(c.receiver, bob, "the new close");
        assertEq(c.requestedAt, block.timestamp);
        _assertVaultHoldsItsRecords(id);
    }

    // ================================================================ rule 5: escrow and recorded amounts

    /// @dev The vault holds the recorded collateral, the keeper reserve and the pending escrow at every step, and the
    /// side's collateral sum never counts the escrow.
    function test_escrow_vaultHoldsRecordedAmountsAtEveryStep() public {
        uint256 id = _requestOpen(alice, 1e18, 603 * USD);
        _assertVaultHoldsItsRecords(id);
        _assertSideMargin(engine.sideState(ETH, true), 0, 0, "after request");

        _publish(ETH_PRICE);
        _execute(id);
        _assertVaultHoldsItsRecords(id);
        _assertSideMargin(engine.sideState(ETH, true), 600 * USD, 3_000 * USD, "after open");

        _requestIncrease(id, 0.5e18, 200 * USD);
        _assertVaultHoldsItsRecords(id);
        _assertSideMargin(engine.sideState(ETH, true), 600 * USD, 3_000 * USD, "increase escrow not counted");

        fund(bob, 50 * USD);
        vm.prank(bob);
        engine.addMargin(id, 50 * USD); // anyone may add margin, order pending or not
        _assertVaultHoldsItsRecords(id);
        _assertSideMargin(engine.sideState(ETH, true), 650 * USD, 3_000 * USD, "margin counted");

        _publish(ETH_PRICE);
        _execute(id);
        _assertVaultHoldsItsRecords(id);
        Position memory p = engine.position(id);
        assertEq(engine.sideState(ETH, true).collateral, p.collateral, "after increase");

        _requestDecrease(id, 0.5e18, alice);
        _publish(ETH_PRICE);
        _requestClose(id, alice);
        _assertVaultHoldsItsRecords(id);
        assertEq(engine.sideState(ETH, true).collateral, p.collateral, "escrowed fees not counted");

        address vault = p.vault;
        _publish(ETH_PRICE);
        _execute(id);
        _assertDeleted(id);
        assertEq(usd.balanceOf(vault), 0, "empty once the position is gone");
        _assertSideMargin(engine.sideState(ETH, true), 0, 0, "after close");
    }

    /// @dev The keeper reserve is recorded per position: governance changing it later changes nothing for a position
    /// already requested.
    function test_keeperReserve_isRecordedPerPosition() public {
        uint256 first = _openStandardLong();
        uint256 pending = _requestOpen(bob, 1e18, 603 * USD);
        GlobalParams memory g = defaultGlobalParams();
        g.keeperReserve = uint80(20 * USD);
        _setGlobal(g);

        // A new position deposits the new reserve.
        fund(carol, 603 * USD + 20 * USD + FEE);
        vm.prank(carol);
        uint256 later = engine.requestOpen(ETH, true, 1e18, 603 * USD, type(uint128).max, _deadline(), FEE);
        assertEq(engine.position(later).keeperReserve, 20 * USD);
        assertEq(vaultBalance(later), 603 * USD + 20 * USD + FEE);

        // The others keep theirs.
        _publish(ETH_PRICE);
        _execute(pending);
        assertEq(engine.position(pending).keeperReserve, KEEPER_RESERVE);
        assertEq(vaultBalance(pending), 600 * USD + KEEPER_RESERVE);
        assertEq(engine.position(first).keeperReserve, KEEPER_RESERVE);
        _requestClose(first, alice);
        uint256 aliceBefore = usd.balanceOf(alice);
        _publish(ETH_PRICE);
        _execute(first);
        // 600 USD + the 5 USD reserve recorded − 3 USD closing fee − 2 s of borrow fee (20 units).
        assertEq(usd.balanceOf(alice), aliceBefore + 605 * USD - 3 * USD - 20);
        assertEq(_borrowFee(1e18, ETH_PRICE, RATE * 2), 20);

        // A liquidation pays the liquidator the recorded reserve.
        vm.warp(block.timestamp + 10);
        setPrice(ETH, 2_500e18);
        vm.prank(keeper);
        engine.liquidate(pending);
        // 5 USD reserve + 1 % × 2,500.
        assertEq(usd.balanceOf(keeper), 2 * FEE + 5 * USD + 25 * USD);
    }

    /// @dev The execution fee is recorded per order: a higher minimum later does not stop it or change what it pays.
    function test_executionFee_isRecordedPerOrder() public {
        uint256 id = _requestOpen(alice, 1e18, 603 * USD);
        GlobalParams memory g = defaultGlobalParams();
        g.minExecutionFee = uint80(5 * USD);
        _setGlobal(g);
        _publish(ETH_PRICE);
        _execute(id);
        assertEq(usd.balanceOf(keeper), FEE);
        assertEq(vaultBalance(id), 600 * USD + KEEPER_RESERVE);
    }

    // ================================================================ rule 6: payouts never block, batch failures

    struct BlockSystem {
        BlocklistToken token;
        IMarginEngine engine;
        ILiquidityPool pool;
        IInsuranceFund insurance;
    }

    /// @dev A full system on a blocklist token, like `_deployFeeSystem`: the ETH market, 1M of LP liquidity, alice and
    /// bob funded and approved. The test contract is the AccessManager admin.
    function _deployBlocklistSystem() internal returns (BlockSystem memory s) {
        s.token = new BlocklistToken();
        IAccessManager m = deployAccessManager(address(this));
        IRiskConfig c = deployRiskConfig(address(m), address(s.token), defaultGlobalParams());
        s.pool = deployPool(address(s.token), address(c), "blocklist LP", "bLP");
        s.insurance = deployInsuranceFund(address(s.token));
        s.engine = deployEngine(address(s.token), address(s.pool), address(s.insurance), address(c));
        s.pool.bindEngine(address(s.engine));
        s.insurance.bindEngine(address(s.engine));
        c.bindEngine(address(s.engine));
        c.listMarket(defaultMarketParams(address(ethFeed)));

        s.token.mint(lp, POOL_LIQUIDITY);
        vm.startPrank(lp);
        s.token.approve(address(s.pool), POOL_LIQUIDITY);
        s.pool.requestDeposit(POOL_LIQUIDITY, lp, lp);
        vm.stopPrank();
        vm.warp(block.timestamp + LP_DELAY);
        ethFeed.updateAnswer(ethFeed.latestAnswer());
        address[] memory controllers = new address[](1);
        controllers[0] = lp;
        s.pool.executeDeposits(controllers);
        vm.prank(lp);
        s.pool.deposit(POOL_LIQUIDITY, lp, lp);

        s.token.mint(alice, 10_000 * USD);
        vm.prank(alice);
        s.token.approve(address(s.engine), type(uint256).max);
    }

    /// @dev alice's position in the blocklist system, 1 ETH long with 600 USD.
    function _openIn(BlockSystem memory s) internal returns (uint256 id) {
        vm.prank(alice);
        id = s.engine.requestOpen(ETH, true, 1e18, 603 * USD, type(uint128).max, block.timestamp + 60, FEE);
        _publish(ETH_PRICE);
        vm.prank(keeper);
        s.engine.executeOrder(id);
    }

    /// @dev A cancel's refund to an owner who cannot receive becomes a claim; the cancel goes through.
    function test_cancelOrder_refundToAnOwnerWhoCannotReceive_becomesAClaim() public {
        BlockSystem memory s = _deployBlocklistSystem();
        vm.prank(alice);
        uint256 id = s.engine.requestOpen(ETH, true, 1e18, 603 * USD, type(uint128).max, block.timestamp + 60, FEE);
        s.token.setBlocked(alice, true);
        vm.warp(block.timestamp + 61);

        uint256 refund = 603 * USD + KEEPER_RESERVE + FEE;
        vm.expectEmit(address(s.engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Open, CancelReason.Expired, bob, refund, 0);
        vm.expectEmit(address(s.engine));
        emit IMarginEngineBase.ClaimRecorded(id, alice, alice, refund);
        vm.prank(bob);
        s.engine.cancelOrder(id);

        (address owner, uint256 amount) = s.engine.claimOf(id);
        assertEq(owner, alice);
        assertEq(amount, refund);
        assertEq(s.token.balanceOf(address(s.engine)), refund, "held by the engine, outside the vault");

        vm.expectEmit(address(s.engine));
        emit IMarginEngineBase.Claimed(id, alice, carol, refund);
        vm.prank(alice);
        s.engine.claim(id, carol);
        assertEq(s.token.balanceOf(carol), refund);
        assertEq(s.token.balanceOf(address(s.engine)), 0);
        (, amount) = s.engine.claimOf(id);
        assertEq(amount, 0);
    }

    /// @dev A close paying a receiver who cannot receive executes; the payout becomes the owner's claim.
    function test_executeOrder_closePayoutToAReceiverWhoCannotReceive_becomesAClaim() public {
        BlockSystem memory s = _deployBlocklistSystem();
        uint256 id = _openIn(s);
        vm.prank(alice);
        s.engine.requestClose(id, 0, block.timestamp + 60, FEE, bob);
        s.token.setBlocked(bob, true);
        _publish(ETH_PRICE);

        // 605 USD − 3 USD closing fee − 10 units of borrow fee.
        uint256 payout = 601_999_990;
        vm.expectEmit(address(s.engine));
        emit IMarginEngineBase.ClaimRecorded(id, alice, bob, payout);
        vm.expectEmit(address(s.engine));
        emit IMarginEngineBase.OrderExecuted(id, OrderKind.Close, keeper, ROUND + 3, ETH_PRICE, FEE);
        vm.prank(keeper);
        s.engine.executeOrder(id);

        assertEq(s.engine.position(id).owner, address(0), "closed");
        assertEq(s.token.balanceOf(keeper), 2 * FEE, "executor paid for the open and the close");
        uint256 aliceBefore = s.token.balanceOf(alice);
        vm.prank(alice);
        s.engine.claim(id, alice);
        assertEq(s.token.balanceOf(alice), aliceBefore + payout);
    }

    function test_executeOrder_decreasePayoutToAReceiverWhoCannotReceive_becomesAClaim() public {
        BlockSystem memory s = _deployBlocklistSystem();
        uint256 id = _openIn(s);
        vm.prank(alice);
        s.engine.requestDecrease(id, 0.5e18, 0, block.timestamp + 60, FEE, bob);
        s.token.setBlocked(bob, true);
        _publish(ETH_PRICE);
        // 300 USD − 1.5 USD closing fee − 10 units of borrow fee.
        vm.expectEmit(address(s.engine));
        emit IMarginEngineBase.ClaimRecorded(id, alice, bob, 298_499_990);
        vm.prank(keeper);
        s.engine.executeOrder(id);
        assertEq(s.engine.position(id).size, 0.5e18);
        (address owner, uint256 amount) = s.engine.claimOf(id);
        assertEq(owner, alice);
        assertEq(amount, 298_499_990);
    }

    /// @dev Rule 6: in a batch, price and margin failures pay the executor; a capacity failure, which the executor
    /// could provoke, refunds the trader in full.
    function test_executeOrders_priceAndMarginFailuresPayTheExecutor_capacityFailuresRefundTheTrader() public {
        MarketParams memory m = _params(ETH);
        m.maxOpenInterestLong = 10_000e18;
        _setMarket(ETH, m);
        uint256 priceBound = _requestOpen(alice, ETH, 1e18, 603 * USD, 2_999e18, _deadline());
        uint256 capacity = _requestOpen(bob, 4e18, 2_412 * USD); // 12,000 USD > the 10,000 USD cap
        uint256 margin = _requestOpen(carol, 1e18, 200 * USD); // 10 % of 3,000 is 300 USD
        uint256 fine = _requestOpen(alice, 1e18, 603 * USD);
        _publish(ETH_PRICE);
        uint256 bobBefore = usd.balanceOf(bob);
        uint256 carolBefore = usd.balanceOf(carol);

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            priceBound,
            OrderKind.Open,
            CancelReason.PriceBound,
            keeper,
            603 * USD + KEEPER_RESERVE,
            FEE
        );
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            capacity,
            OrderKind.Open,
            CancelReason.Capacity,
            keeper,
            2_412 * USD + KEEPER_RESERVE + FEE,
            0
        );
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            margin,
            OrderKind.Open,
            CancelReason.Margin,
            keeper,
            200 * USD + KEEPER_RESERVE,
            FEE
        );
        vm.prank(keeper);
        assertEq(engine.executeOrders(_ids(priceBound, capacity, margin)), 3);
        vm.prank(keeper);
        assertEq(engine.executeOrders(_ids(fine)), 1);

        assertEq(usd.balanceOf(keeper), 3 * FEE, "paid for the price failure, the margin failure and the open");
        assertEq(usd.balanceOf(bob), bobBefore + 2_412 * USD + KEEPER_RESERVE + FEE, "capacity: full refund");
        assertEq(usd.balanceOf(carol), carolBefore + 200 * USD + KEEPER_RESERVE, "margin: fee kept");
        assertEq(engine.position(fine).size, 1e18);
    }

    function test_executeOrders_pauseFailuresRefundTheTrader_closesStillExecute() public {
        uint256 id = _openStandardLong();
        uint256 first = _requestOpen(bob, 1e18, 603 * USD);
        _requestIncrease(id, 0.1e18, 50 * USD);
        uint256 other = _openStandardShort();
        _requestClose(other, alice);
        _pause();
        _publish(ETH_PRICE);
        uint256 bobBefore = usd.balanceOf(bob);
        uint256 aliceBefore = usd.balanceOf(alice);

        vm.prank(keeper);
        assertEq(engine.executeOrders(_ids(first, id, other)), 3);
        _assertDeleted(first);
        assertEq(engine.position(id).size, 1e18, "increase cancelled");
        _assertDeleted(other);
        assertEq(usd.balanceOf(bob), bobBefore + 603 * USD + KEEPER_RESERVE + FEE);
        // The increase's escrow back, and the close's payout: 605 USD − 3 USD closing fee − 10 units of borrow fee.
        assertEq(usd.balanceOf(alice), aliceBefore + 50 * USD + FEE + 601_999_990, "increase refunded, close paid");
        assertEq(usd.balanceOf(keeper), FEE, "only the close pays the executor");
    }

    function test_executeOrders_skipsWhatCannotRunYet() public {
        uint256 idle = _openStandardLong();
        uint256 waiting = _requestOpen(alice, 1e18, 603 * USD);
        Snapshot memory before = _snapshot(waiting);
        vm.prank(keeper);
        assertEq(engine.executeOrders(_ids(waiting, idle, 99)), 0);
        _assertUnchanged(before, waiting);
    }

    // ================================================================ rule 16: grace period

    /// @dev During grace, orders that add risk and whose round falls inside the window are cancelled with a full
    /// refund (the executor gets nothing: it could time them); closes and decreases execute.
    function test_executeOrders_duringGrace_cancelsOpenAndIncrease_executesCloseAndDecrease() public {
        uint256 increased = _openStandardLong();
        uint256 decreased = openPosition(bob, ETH, true, 1e18, 600 * USD);
        uint256 closed = openPosition(carol, ETH, false, 1e18, 600 * USD);
        _outage(ETH_PRICE);
        vm.warp(block.timestamp + 10);
        _requestIncrease(increased, 0.1e18, 50 * USD);
        _requestDecrease(decreased, 0.5e18, bob);
        _requestClose(closed, carol);
        uint256 opened = _requestOpen(alice, 1e18, 603 * USD);
        _publish(ETH_PRICE);
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 carolBefore = usd.balanceOf(carol);

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            increased,
            OrderKind.Increase,
            CancelReason.GracePeriod,
            keeper,
            50 * USD + FEE,
            0
        );
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderExecuted(decreased, OrderKind.Decrease, keeper, ROUND + 5, ETH_PRICE, FEE);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderExecuted(closed, OrderKind.Close, keeper, ROUND + 5, ETH_PRICE, FEE);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            opened,
            OrderKind.Open,
            CancelReason.GracePeriod,
            keeper,
            603 * USD + KEEPER_RESERVE + FEE,
            0
        );
        vm.prank(keeper);
        assertEq(engine.executeOrders(_ids4(increased, decreased, closed, opened)), 4);

        assertEq(engine.position(increased).size, 1e18);
        assertEq(engine.position(decreased).size, 0.5e18);
        _assertDeleted(closed);
        _assertDeleted(opened);
        assertEq(usd.balanceOf(alice), aliceBefore + 50 * USD + FEE + 603 * USD + KEEPER_RESERVE + FEE);
        // 605 USD − 3 USD closing fee − 3,711 s of borrow fee (0.035303 USD).
        assertEq(usd.balanceOf(carol), carolBefore + 601_964_697);
        assertEq(usd.balanceOf(keeper), 2 * FEE);
    }

    /// @dev Whether an open or increase may execute depends on where its round falls, not on when a keeper gets to
    /// it: a round 10 s before the grace period ends is inside it, and the order must be cancelled even if executed
    /// after the grace period, within its window. Executed before the end, it is.
    function test_executeOrder_roundInsideGrace_isCancelledBeforeTheGraceEnds() public {
        uint256 resumedAt = _outage(ETH_PRICE);
        vm.warp(resumedAt + GRACE - 11);
        uint256 id = _requestOpen(alice, 1e18, 603 * USD);
        _publish(ETH_PRICE); // resumedAt + 590
        vm.warp(resumedAt + GRACE - 1);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            id,
            OrderKind.Open,
            CancelReason.GracePeriod,
            keeper,
            603 * USD + KEEPER_RESERVE + FEE,
            0
        );
        _execute(id);
        _assertDeleted(id);
    }

    function test_executeOrder_roundInsideGrace_isCancelledAfterTheGraceEnds() public {
        uint256 resumedAt = _outage(ETH_PRICE);
        vm.warp(resumedAt + GRACE - 11);
        uint256 id = _requestOpen(alice, 1e18, 603 * USD);
        _publish(ETH_PRICE); // resumedAt + 590: inside the grace period
        vm.warp(resumedAt + GRACE); // the grace period is over; the round's window is not
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            id,
            OrderKind.Open,
            CancelReason.GracePeriod,
            keeper,
            603 * USD + KEEPER_RESERVE + FEE,
            0
        );
        _execute(id);
        _assertDeleted(id);
    }

    function test_executeOrder_roundWhenTheGraceEnds_executes() public {
        uint256 resumedAt = _outage(ETH_PRICE);
        vm.warp(resumedAt + GRACE - 1);
        uint256 id = _requestOpen(alice, 1e18, 603 * USD);
        _publish(ETH_PRICE); // resumedAt + 600
        _execute(id);
        assertEq(engine.position(id).size, 1e18);
    }

    /// @dev Two opens whose rounds fall either side of the grace period's end: `a`'s round inside it, `b`'s at its end.
    function _opensAcrossTheGraceEnd() internal returns (uint256 a, uint256 b, uint256 graceEnd) {
        graceEnd = _outage(ETH_PRICE) + GRACE;
        vm.warp(graceEnd - 20);
        a = _requestOpen(alice, 1e18, 603 * USD);
        _publish(ETH_PRICE); // graceEnd − 19: inside the grace period
        vm.warp(graceEnd - 1);
        b = _requestOpen(bob, 1e18, 603 * USD);
        _publish(ETH_PRICE); // graceEnd: outside it, and `a` is still inside its window
    }

    /// @dev Rule 16 in a batch: each order is judged at its own round, whatever the batch judged before it (a batch
    /// reads a market once, and its grace answer for each round time).
    function test_executeOrders_roundsEitherSideOfTheGraceEnd_eachJudgedAtItsOwnRound() public {
        for (uint256 order; order < 2; ++order) {
            uint256 snapshot = vm.snapshotState();
            (uint256 a, uint256 b, ) = _opensAcrossTheGraceEnd();
            uint256[] memory ids = new uint256[](2);
            (ids[0], ids[1]) = order == 0 ? (a, b) : (b, a);
            uint256 aliceBefore = usd.balanceOf(alice);
            vm.expectEmit(address(engine));
            emit IMarginEngineBase.OrderCancelled(
                a,
                OrderKind.Open,
                CancelReason.GracePeriod,
                keeper,
                603 * USD + KEEPER_RESERVE + FEE,
                0
            );
            vm.prank(keeper);
            assertEq(engine.executeOrders(ids), 2, "both ended");
            _assertDeleted(a);
            assertEq(usd.balanceOf(alice), aliceBefore + 603 * USD + KEEPER_RESERVE + FEE, "a refunded in full");
            assertEq(engine.position(b).size, 1e18, "b opened at its round");
            vm.revertToState(snapshot);
        }
    }

    /// @dev Rules 16 and 7: during grace a close executes even if the position is liquidatable (liquidations wait),
    /// and with bad debt it takes the liquidation split without keeper fee or penalty: the whole collateral to the
    /// pool, the deficit to the insurance fund, the keeper reserve to the receiver, the execution fee to the keeper.
    function test_executeOrder_closeWithBadDebtDuringGrace_paysNoKeeperFeeOrPenalty() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        usd.mint(address(insurance), 200 * USD);
        _outage(2_600e18);
        vm.warp(block.timestamp + 10);
        _requestClose(id, alice);
        _publish(2_600e18);
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 poolBefore = usd.balanceOf(address(pool));

        // Loss 400 USD and 3,711 s of borrow fee (0.035303 USD) against 310 USD: bad debt 90.035303 USD; the 2.6 USD
        // closing fee it cannot pay is not counted.
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionClosed(id, alice, 2_600e18, -400e6, 35_303, KEEPER_RESERVE, 90_035_303, alice);
        _execute(id);

        _assertDeleted(id);
        assertEq(usd.balanceOf(keeper), FEE, "no liquidation fee");
        assertEq(usd.balanceOf(address(insurance)), 200 * USD - 90_035_303, "no penalty, only the cover");
        assertEq(usd.balanceOf(address(pool)), poolBefore + 310 * USD + 90_035_303);
        assertEq(usd.balanceOf(alice), aliceBefore + KEEPER_RESERVE);
    }

    // ================================================================ attacks

    /// @dev (a) A trader who sees the next answer coming (+0.5 %) cannot trade at the old one. She requests a long at
    /// 3,000 and the +0.5 % round lands in the same block: it is not her round. Her open trades at the next round,
    /// at 3,015, and closing at the next answer (3,015) leaves her the fees poorer: no riskless profit.
    function test_attack_traderWhoSeesTheNextAnswer_cannotTradeAtTheOldOne() public {
        uint256 id = _requestOpen(alice, 1e18, 603 * USD);
        setPrice(ETH, 3_015e18);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderNotReady.selector, id));
        _execute(id);

        _publish(3_015e18);
        _execute(id);
        assertEq(engine.position(id).entryPrice, 3_015e18, "entered at the new answer");
        _requestClose(id, alice);
        _publish(3_015e18);
        _execute(id);

        // In: 603 + 5 + 1 USD (open) and 1 USD (close). Out: 603 − 3.015 + 5 − 3.015 − 0.00001 = 601.96999 USD.
        assertEq(usd.balanceOf(alice), 601_969_990);
        uint256 spent = 603 * USD + KEEPER_RESERVE + 2 * FEE;
        assertEq(spent - usd.balanceOf(alice), 8_030_010, "she lost the fees");
    }

    /// @dev (b) After a price outage, an open requested before the first fresh round cannot execute at the
    /// pre-outage answer (3,000): its round is the fresh one (3,300), which falls inside the grace period, so it is
    /// cancelled with a full refund. Without a grace period it trades at the fresh answer.
    function test_attack_openRequestedDuringAnOutage_cannotExecuteAtThePreOutageAnswer() public {
        vm.warp(block.timestamp + HEARTBEAT + 100); // the feed is silent; its last answer is 3,000
        uint256 id = _requestOpen(alice, 1e18, 603 * USD);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderNotReady.selector, id));
        _execute(id);

        _publish(3_300e18);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            id,
            OrderKind.Open,
            CancelReason.GracePeriod,
            keeper,
            603 * USD + KEEPER_RESERVE + FEE,
            0
        );
        _execute(id);
        _assertDeleted(id);
        assertEq(usd.balanceOf(alice), 603 * USD + KEEPER_RESERVE + FEE);

        GlobalParams memory g = defaultGlobalParams();
        g.liquidationGracePeriod = 0;
        _setGlobal(g);
        vm.warp(block.timestamp + HEARTBEAT + 100);
        uint256 again = _requestOpen(bob, 1e18, 604 * USD);
        _publish(3_300e18);
        _execute(again);
        assertEq(engine.position(again).entryPrice, 3_300e18, "the fresh answer, never the stale one");
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMockFeed} from "../utils/Artifacts.sol";

import {IOracleErrors} from "../../../contracts/interfaces/IOracleErrors.sol";
import {CancelReason, IMarginEngineBase, OrderKind} from "../../../contracts/interfaces/IMarginEngine.sol";
import {AttackBase} from "./utils/AttackBase.sol";

/// @dev Trading on an answer one has seen coming. A one-step engine that trades at the latest answer is a free option
/// for whoever sees the next answer first (in the mempool, or from a sequencer that is down while the real market
/// moves). Orders execute at the answer of the first round observed strictly after the request (rule 1), only inside a
/// short window after it (rule 2), and opens and increases whose round falls inside a post-outage grace period are
/// cancelled (rule 16): in each scenario the attacker ends with no more than it started with.
contract OrderTimingAttackTest is AttackBase {
    /// @dev Mallory's trade: long 10 ETH with 6,000 USD (5×).
    uint256 internal constant SIZE = 10e18;
    uint256 internal constant COLLATERAL = 6_000 * USD;
    /// @dev The answer mallory sees coming: +0.5 %.
    uint256 internal constant NEXT_PRICE = 3_015e18;

    uint256 internal start;

    function setUp() public override {
        super.setUp();
        fund(mallory, 100_000 * USD);
        start = usd.balanceOf(mallory);
    }

    // ------------------------------------------------------------ a known answer

    /// @dev Mallory sees the +0.5 % answer in the mempool and asks to open before it lands. Executed at the latest
    /// answer she would make 150 USD less 60.3 USD of fees; her order executes at the answer itself, and her round trip
    /// costs her exactly the opening and closing fees and the borrow fee.
    function test_knownAnswer_roundTrip_executesAtTheNewAnswer_noProfit() public {
        uint256 id = _requestOpen();
        vm.warp(block.timestamp + 1);
        setPrice(ETH, NEXT_PRICE);
        vm.prank(mallory);
        engine.executeOrder(id);
        assertEq(engine.position(id).entryPrice, NEXT_PRICE, "executed at the old answer");

        _requestClose(id);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, NEXT_PRICE);
        vm.prank(mallory);
        engine.executeOrder(id);
        assertEq(engine.position(id).owner, address(0), "close did not execute");

        // 30.15 USD to open and to close, and one second of borrow fee on 30,150 USD.
        uint256 cost = 2 * 30_150_000 + _borrowFee(30_150e18, 1);
        assertEq(start - usd.balanceOf(mallory), cost, "round trip");
    }

    /// @dev Front-running the answer inside its own block: the request and the round share a timestamp, so the round
    /// was not observed after the request. The order waits for the next one.
    function test_knownAnswer_requestInTheAnswersBlock_waitsForTheNextRound() public {
        vm.warp(block.timestamp + 1);
        uint256 id = _requestOpen();
        setPrice(ETH, NEXT_PRICE);
        Snapshot memory before = _snapshot();
        vm.prank(mallory);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderNotReady.selector, id));
        engine.executeOrder(id);
        _assertUnchanged(before, _snapshot());

        vm.warp(block.timestamp + 1);
        setPrice(ETH, NEXT_PRICE);
        vm.prank(mallory);
        engine.executeOrder(id);
        assertEq(engine.position(id).entryPrice, NEXT_PRICE, "executed at a round seen before the request");
    }

    /// @dev The executor does not choose the price either: mallory, holding a long, asks to close, sees the first round
    /// after her request at 3,000 and a later one (inside the window) at +1 %, and executes late. Her close trades at
    /// the first round.
    function test_executorCannotChooseALaterRound() public {
        uint256 id = openPosition(mallory, ETH, true, SIZE, COLLATERAL);
        _requestClose(id);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        uint80 executionRound = uint80(ethFeed.latestRound());
        vm.warp(block.timestamp + 30);
        setPrice(ETH, 3_030e18);

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderExecuted(id, OrderKind.Close, mallory, executionRound, ETH_PRICE, 0);
        vm.prank(mallory);
        engine.executeOrder(id);
    }

    // ------------------------------------------------------------ a late execution at an old price

    /// @dev Mallory asks to open; the first round after her request says 3,000; the market then rallies 10 % and she
    /// executes her order late, to buy at the old answer. Past the window the order can only be cancelled, with a full
    /// refund: she is where she started.
    function test_lateExecutionAtAnOldPrice_cancelledWindowMissed() public {
        uint256 id = _requestOpen();
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        vm.warp(block.timestamp + MAX_EXECUTION_DELAY + 1);
        setPrice(ETH, 3_300e18);

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Open, CancelReason.WindowMissed, mallory, _escrow(), 0);
        vm.prank(mallory);
        engine.executeOrder(id);
        assertEq(engine.position(id).owner, address(0), "a position was opened at the old price");
        assertEq(usd.balanceOf(mallory), start, "not refunded in full");
    }

    /// @dev Nor can she withdraw an order that may still execute, before its round exists or inside its window (that
    /// would be a free option on the next answer).
    function test_pendingOrder_cannotBeWithdrawnWhileItCanExecute() public {
        uint256 id = _requestOpen();
        _assertCancelRefused(id);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, 2_900e18);
        _assertCancelRefused(id);
        vm.warp(block.timestamp + MAX_EXECUTION_DELAY);
        _assertCancelRefused(id);
    }

    // ------------------------------------------------------------ a price outage

    /// @dev The ETH feed stops for more than its heartbeat while the market rises 10 %. Mallory asks to open: her
    /// request records the stale round, and nothing executes at its answer. The first fresh round (3,300) ends the
    /// outage and falls inside its grace period, so the open is cancelled with a full refund.
    function test_priceOutage_openRequestedDuringOutage_cancelledInGrace_noGain() public {
        vm.warp(block.timestamp + HEARTBEAT + 100);
        uint256 id = _requestOpen();
        _assertNotReady(id);

        vm.warp(block.timestamp + 1);
        setPrice(ETH, 3_300e18);
        assertGt(engine.liquidationResumesAt(ETH), block.timestamp, "setup: inside grace");
        _expectCancelled(id, OrderKind.Open, CancelReason.GracePeriod, _escrow());
        assertEq(usd.balanceOf(mallory), start, "not refunded in full");
    }

    /// @dev The same for an increase of an existing position: its collateral comes back in full.
    function test_priceOutage_increaseRequestedDuringOutage_cancelledInGrace() public {
        uint256 id = openPosition(mallory, ETH, true, SIZE, COLLATERAL);
        uint256 before = usd.balanceOf(mallory);
        vm.warp(block.timestamp + HEARTBEAT + 100);
        vm.prank(mallory);
        engine.requestIncrease(id, SIZE, COLLATERAL, type(uint128).max, _deadline(), 0);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, 3_300e18);
        _expectCancelled(id, OrderKind.Increase, CancelReason.GracePeriod, COLLATERAL);
        assertEq(usd.balanceOf(mallory), before, "not refunded in full");
        assertEq(engine.position(id).size, SIZE, "increased inside grace");
    }

    // ------------------------------------------------------------ a sequencer restart

    /// @dev The L2 sequencer goes down while the market rises 10 %. Mallory's request is taken (it needs no price) but
    /// cannot execute while the sequencer is down; the first round after the restart (3,300) falls inside the grace
    /// period, so the open is cancelled with a full refund.
    function test_sequencerRestart_openRequestedWhileDown_cancelledInGrace_noGain() public {
        IMockFeed sequencer = _installSequencer();
        uint256 t = block.timestamp;
        sequencer.updateRoundData(2, 1, t, t);
        uint256 id = _requestOpen();
        Snapshot memory before = _snapshot();
        vm.prank(mallory);
        vm.expectRevert(abi.encodeWithSelector(IOracleErrors.SequencerDown.selector, address(sequencer)));
        engine.executeOrder(id);
        _assertUnchanged(before, _snapshot());

        vm.warp(t + 10 minutes);
        sequencer.updateRoundData(3, 0, block.timestamp, block.timestamp);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, 3_300e18);
        _expectCancelled(id, OrderKind.Open, CancelReason.GracePeriod, _escrow());
        assertEq(usd.balanceOf(mallory), start, "not refunded in full");
    }

    /// @dev A round published while the sequencer is down carries the pre-outage answer: the order cannot execute at
    /// it while the sequencer is down, and once it is up the round's window has passed.
    function test_sequencerRestart_roundWhileDown_neverExecutes() public {
        IMockFeed sequencer = _installSequencer();
        uint256 t = block.timestamp;
        sequencer.updateRoundData(2, 1, t, t);
        uint256 id = _requestOpen();
        vm.warp(t + 1);
        setPrice(ETH, ETH_PRICE);
        vm.prank(mallory);
        vm.expectRevert(abi.encodeWithSelector(IOracleErrors.SequencerDown.selector, address(sequencer)));
        engine.executeOrder(id);

        vm.warp(t + 10 minutes);
        sequencer.updateRoundData(3, 0, block.timestamp, block.timestamp);
        _expectCancelled(id, OrderKind.Open, CancelReason.WindowMissed, _escrow());
        assertEq(usd.balanceOf(mallory), start, "not refunded in full");
    }

    // ------------------------------------------------------------ helpers

    /// @dev What mallory's open escrows: collateral plus the opening fee at 3,000, and the keeper reserve.
    function _escrow() internal pure returns (uint256) {
        return COLLATERAL + 30 * USD + KEEPER_RESERVE;
    }

    function _requestOpen() internal returns (uint256 id) {
        vm.prank(mallory);
        id = engine.requestOpen(ETH, true, SIZE, COLLATERAL + 30 * USD, type(uint128).max, _deadline(), 0);
    }

    function _requestClose(uint256 id) internal {
        vm.prank(mallory);
        engine.requestClose(id, 0, _deadline(), 0, mallory);
    }

    /// @dev Mallory executes her order, which is cancelled for `reason` with `refund` back to her.
    function _expectCancelled(uint256 id, OrderKind kind, CancelReason reason, uint256 refund) internal {
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, kind, reason, mallory, refund, 0);
        vm.prank(mallory);
        engine.executeOrder(id);
    }

    function _assertNotReady(uint256 id) internal {
        Snapshot memory before = _snapshot();
        vm.prank(mallory);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderNotReady.selector, id));
        engine.executeOrder(id);
        _assertUnchanged(before, _snapshot());
    }

    function _assertCancelRefused(uint256 id) internal {
        Snapshot memory before = _snapshot();
        vm.prank(mallory);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderStillExecutable.selector, id));
        engine.cancelOrder(id);
        _assertUnchanged(before, _snapshot());
    }

    /// @dev A sequencer-uptime feed that has reported "up" for a day.
    function _installSequencer() internal returns (IMockFeed sequencer) {
        sequencer = deployFeed(0, 0);
        sequencer.updateRoundData(1, 0, block.timestamp, block.timestamp - 1 days);
        vm.prank(governance);
        config.setSequencerFeed(sequencer);
    }
}

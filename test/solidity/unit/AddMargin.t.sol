// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

import {IMarginEngineBase, Order, OrderKind, Position} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IOracleErrors} from "../../../contracts/interfaces/IOracleErrors.sol";
import {IMockFeed} from "../utils/Artifacts.sol";
import {UnitBase} from "./UnitBase.sol";

/// @notice addMargin: instant, open to anyone, always allowed (paused, any oracle state, grace, settlement), only on
/// an open position; it never raises the profit cap.
contract AddMarginTest is UnitBase {
    uint256 internal id;

    function setUp() public override {
        super.setUp();
        id = _openStandardLong(); // alice long 1 ETH at 3,000 with 600 USD: cap min(9 × 600, 100 % × 3,000) = 3,000
        fund(alice, 1_000 * USD);
        fund(bob, 1_000 * USD);
    }

    function _add(uint256 amount) internal {
        vm.prank(alice);
        engine.addMargin(id, amount);
    }

    function _assertAddReverts(address caller, uint256 positionId, uint256 amount, bytes memory err) internal {
        Snapshot memory before = _snapshot(positionId);
        vm.expectRevert(err);
        vm.prank(caller);
        engine.addMargin(positionId, amount);
        _assertUnchanged(before, positionId);
        // The snapshot compares the sides' sizes; margin sums are checked here.
        _assertSideMargin(engine.sideState(ETH, true), before.ethLong.collateral, before.ethLong.maxProfit, "eth long");
    }

    /// @dev A position whose collateral is `collateral` now, and everything else as in `before`.
    function _withCollateral(Position memory before, uint256 collateral) internal pure returns (Position memory p) {
        p = before;
        p.collateral = uint96(collateral);
    }

    // ------------------------------------------------------------ happy paths

    function test_addMargin_movesFundsIntoTheVaultWithoutRaisingTheCap() public {
        Position memory before = engine.position(id);
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 poolBefore = usd.balanceOf(address(pool));
        uint256 feeDebtBefore = engine.sideState(ETH, true).feeDebt;

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.MarginAdded(id, alice, 100 * USD, 700 * USD);
        _add(100 * USD);

        _assertPosition(engine.position(id), _withCollateral(before, 700 * USD));
        assertEq(vaultBalance(id), 705 * USD, "vault = collateral + reserve");
        assertEq(usd.balanceOf(alice), aliceBefore - 100 * USD);
        assertEq(usd.balanceOf(address(pool)), poolBefore, "no fee");
        assertEq(usd.balanceOf(address(engine)), 0, "the engine holds nothing");
        assertEq(engine.position(id).maxProfit, 3_000 * USD, "cap unchanged");
        assertEq(engine.totalReserved(), 3_000 * USD, "reservation unchanged");
        _assertSide(engine.sideState(ETH, true), _side(1e18, 3_000e18), "eth long");
        _assertSideMargin(engine.sideState(ETH, true), 700 * USD, 3_000 * USD, "eth long");
        assertEq(engine.sideState(ETH, true).feeDebt, feeDebtBefore, "fee debt");
        assertEq(engine.totalEntryNotional(), 3_000e18);
    }

    /// @dev Anyone may top up anyone's position: the payer's tokens go to the owner's collateral; nothing else about
    /// the position changes, and the payer gains no claim on it.
    function test_addMargin_anyoneMayAddToAnyPosition() public {
        Position memory before = engine.position(id);
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 bobBefore = usd.balanceOf(bob);

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.MarginAdded(id, bob, 40 * USD, 640 * USD);
        vm.prank(bob);
        engine.addMargin(id, 40 * USD);

        _assertPosition(engine.position(id), _withCollateral(before, 640 * USD));
        assertEq(engine.position(id).owner, alice, "owner");
        assertEq(usd.balanceOf(bob), bobBefore - 40 * USD, "bob paid");
        assertEq(usd.balanceOf(alice), aliceBefore, "alice untouched");
        assertEq(vaultBalance(id), 645 * USD);
        _assertSideMargin(engine.sideState(ETH, true), 640 * USD, 3_000 * USD, "eth long");
    }

    /// @dev Rule 9: a cap bound by the collateral stays where it was when margin is added, although the new
    /// collateral would allow a higher one (min(9 × 500, 3,000) = 3,000 > 2,700).
    function test_addMargin_neverRaisesACollateralBoundCap() public {
        uint256 small = openPosition(bob, ETH, true, 1e18, 300 * USD); // cap min(9 × 300, 3,000) = 2,700 USD
        assertEq(engine.position(small).maxProfit, 2_700 * USD);
        uint256 reservedBefore = engine.totalReserved();
        vm.startPrank(bob);
        engine.addMargin(small, 100 * USD);
        engine.addMargin(small, 100 * USD);
        vm.stopPrank();
        assertEq(engine.position(small).collateral, 500 * USD);
        assertEq(engine.position(small).maxProfit, 2_700 * USD, "cap raised");
        assertEq(engine.totalReserved(), reservedBefore, "reservation raised");
        _assertSideMargin(engine.sideState(ETH, true), 1_100 * USD, 5_700 * USD, "eth long");
    }

    function test_addMargin_oneUnit() public {
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.MarginAdded(id, alice, 1, 600 * USD + 1);
        _add(1);
        assertEq(vaultBalance(id), 605 * USD + 1);
    }

    /// @dev The position's borrow index stays at its open (fees are settled by trades, not by margin), so the owed
    /// fee is what it would have been without the top-up.
    function test_addMargin_doesNotSettleBorrowFees() public {
        uint96 indexBefore = engine.position(id).borrowIndex;
        _skip(1 days);
        _add(10 * USD);
        assertEq(engine.position(id).borrowIndex, indexBefore, "index settled");
        assertGt(engine.borrowIndex(ETH, true), indexBefore, "the market's index moved");
        assertEq(vaultBalance(id), 615 * USD, "nothing paid out");
    }

    function test_addMargin_worksWhilePaused() public {
        _pause();
        _add(100 * USD);
        assertEq(engine.position(id).collateral, 700 * USD);
        assertEq(vaultBalance(id), 705 * USD);
    }

    function test_addMargin_worksWithStalePrice() public {
        vm.warp(block.timestamp + 10 days);
        _add(100 * USD);
        assertEq(engine.position(id).collateral, 700 * USD);
    }

    function test_addMargin_worksWithNonPositivePrice() public {
        ethFeed.updateAnswer(0);
        _add(50 * USD);
        ethFeed.updateAnswer(-5);
        _add(50 * USD);
        assertEq(engine.position(id).collateral, 700 * USD);
    }

    function test_addMargin_worksWhenTheFeedReverts() public {
        vm.mockCallRevert(address(ethFeed), abi.encodeWithSelector(AggregatorV3Interface.latestRoundData.selector), "");
        _add(100 * USD);
        vm.clearMockedCalls();
        assertEq(engine.position(id).collateral, 700 * USD);
    }

    function test_addMargin_worksWhileTheSequencerIsDown() public {
        IMockFeed sequencer = deployFeed(0, 1); // Chainlink's uptime feed: 1 = down
        vm.prank(governance);
        config.setSequencerFeed(AggregatorV3Interface(address(sequencer)));
        // Priced operations stop…
        vm.expectRevert(abi.encodeWithSelector(IOracleErrors.SequencerDown.selector, address(sequencer)));
        engine.indexPrice(ETH);
        // …adding margin does not.
        _add(100 * USD);
        assertEq(engine.position(id).collateral, 700 * USD);
    }

    /// @dev Owners top up during the grace period after an outage: that is what the grace period is for.
    function test_addMargin_worksDuringThePostOutageGracePeriod() public {
        vm.warp(block.timestamp + HEARTBEAT + 1);
        setPrice(ETH, ETH_PRICE); // the first round after a gap longer than the heartbeat
        assertGt(engine.liquidationResumesAt(ETH), block.timestamp, "grace period running");
        _add(100 * USD);
        assertEq(engine.position(id).collateral, 700 * USD);
    }

    function test_addMargin_worksInAMarketInSettlement() public {
        _settleEth();
        _add(100 * USD);
        assertEq(engine.position(id).collateral, 700 * USD);
        assertEq(vaultBalance(id), 705 * USD);
    }

    /// @dev Margin is not an order: it does not wait behind a pending order or close, and leaves their escrow as it
    /// was (rule 5 of the invariants: the owner can always add margin).
    function test_addMargin_worksBesideAPendingOrderAndClose() public {
        fund(alice, 50 * USD + 2 * USD);
        vm.startPrank(alice);
        engine.requestIncrease(id, 0.1e18, 50 * USD, type(uint128).max, _deadline(), 1 * USD);
        vm.stopPrank();
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE); // the increase's round exists, so the close queues behind it
        vm.prank(alice);
        engine.requestClose(id, 0, _deadline(), 1 * USD, alice);
        (Order memory orderBefore, Order memory closeBefore) = engine.orders(id);
        assertEq(uint8(orderBefore.kind), uint8(OrderKind.Increase));
        assertEq(uint8(closeBefore.kind), uint8(OrderKind.Close));

        _add(100 * USD);

        (Order memory order, Order memory close) = engine.orders(id);
        _assertOrder(order, orderBefore, "order");
        _assertOrder(close, closeBefore, "close");
        assertEq(engine.position(id).collateral, 700 * USD);
        // Collateral + keeper reserve + the increase's escrow (50 + 1) + the close's fee (1).
        assertEq(vaultBalance(id), 700 * USD + KEEPER_RESERVE + 51 * USD + 1 * USD);
    }

    function test_addMargin_rescuesALiquidatablePosition() public {
        uint256 weak = _open(bob, true, 1e18, 310 * USD);
        setPrice(ETH, 2_750e18);
        // Equity 60 USD < 137.5 USD: liquidatable. 100 USD more make 160 USD.
        vm.prank(bob);
        engine.addMargin(weak, 100 * USD);
        vm.expectRevert(
            abi.encodeWithSelector(IMarginEngineBase.NotLiquidatable.selector, weak, int256(160 * USD), 137_500_000)
        );
        vm.prank(keeper);
        engine.liquidate(weak);
    }

    function test_addMargin_leavesOtherPositionsUntouched() public {
        uint256 other = _open(bob, false, 1e18, 400 * USD);
        Position memory otherBefore = engine.position(other);
        _add(100 * USD);
        _assertPosition(engine.position(other), otherBefore);
        assertEq(vaultBalance(other), 405 * USD);
        _assertSideMargin(engine.sideState(ETH, false), 400 * USD, 3_000 * USD, "eth short");
    }

    // ------------------------------------------------------------ reverts

    function test_addMargin_revertsWhen_amountIsZero() public {
        _assertAddReverts(alice, id, 0, abi.encodeWithSelector(IMarginEngineBase.ZeroAmount.selector));
    }

    function test_addMargin_revertsWhen_positionUnknown() public {
        _assertAddReverts(alice, 99, 10 * USD, abi.encodeWithSelector(IMarginEngineBase.UnknownPosition.selector, 99));
        _assertAddReverts(alice, 0, 10 * USD, abi.encodeWithSelector(IMarginEngineBase.UnknownPosition.selector, 0));
    }

    function test_addMargin_revertsWhen_positionClosed() public {
        closePosition(id, alice);
        _assertAddReverts(alice, id, 10 * USD, abi.encodeWithSelector(IMarginEngineBase.UnknownPosition.selector, id));
    }

    function test_addMargin_revertsWhen_positionLiquidated() public {
        uint256 weak = _open(bob, true, 1e18, 310 * USD);
        setPrice(ETH, 2_750e18);
        vm.prank(keeper);
        engine.liquidate(weak);
        _assertAddReverts(
            bob,
            weak,
            10 * USD,
            abi.encodeWithSelector(IMarginEngineBase.UnknownPosition.selector, weak)
        );
    }

    /// @dev A pending open has no collateral to add to yet: its escrow is the order's, refunded whole on a cancel.
    function test_addMargin_revertsWhen_theOpenIsStillPending() public {
        uint256 pending = requestOpen(bob, ETH, true, 1e18, 600 * USD);
        _assertAddReverts(
            bob,
            pending,
            10 * USD,
            abi.encodeWithSelector(IMarginEngineBase.PositionNotOpen.selector, pending)
        );
        _assertAddReverts(
            alice,
            pending,
            10 * USD,
            abi.encodeWithSelector(IMarginEngineBase.PositionNotOpen.selector, pending)
        );
        assertEq(usd.balanceOf(engine.vaultOf(pending)), 600 * USD + KEEPER_RESERVE, "escrow");
    }

    function test_addMargin_revertsWhen_theOpenWasCancelled() public {
        uint256 pending = requestOpen(bob, ETH, true, 1e18, 600 * USD);
        vm.warp(block.timestamp + MAX_ORDER_WAIT + 1); // no round before the deadline
        engine.cancelOrder(pending);
        _assertAddReverts(
            bob,
            pending,
            10 * USD,
            abi.encodeWithSelector(IMarginEngineBase.UnknownPosition.selector, pending)
        );
    }

    function test_addMargin_revertsWhen_tokenTakesATransferFee() public {
        FeeSystem memory s = _deployFeeSystem();
        // 603 USD escrowed: the 3 USD opening fee at 3,000 leaves 600 USD of collateral.
        vm.prank(alice);
        uint256 feeId = s.engine.requestOpen(ETH, true, 1e18, 603 * USD, type(uint128).max, _deadline(), 0);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        s.engine.executeOrder(feeId);
        assertEq(s.engine.position(feeId).collateral, 600 * USD);

        s.token.setFeeBps(100);
        Position memory before = s.engine.position(feeId);
        uint256 aliceBefore = s.token.balanceOf(alice);
        address vault = s.engine.vaultOf(feeId);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.FeeOnTransferToken.selector, 100 * USD, 99 * USD));
        vm.prank(alice);
        s.engine.addMargin(feeId, 100 * USD);
        _assertPosition(s.engine.position(feeId), before);
        assertEq(s.token.balanceOf(alice), aliceBefore);
        assertEq(s.token.balanceOf(vault), 605 * USD);
    }
}

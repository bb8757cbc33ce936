// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMarginEngineBase, Position} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IOracleErrors} from "../../../contracts/interfaces/IOracleErrors.sol";
import {MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {UnitBase} from "./UnitBase.sol";

/// @notice removeMargin(id, amount, receiver): owner only, at a fresh price, keeping initial margin and the minimum
/// collateral; refused while an order or a close is pending and inside a grace period; rule 9 lowers the cap to
/// maxProfitRatio × the collateral left and releases the reservation.
contract RemoveMarginTest is UnitBase {
    uint256 internal id;

    function setUp() public override {
        super.setUp();
        id = _openStandardLong(); // alice long 1 ETH at 3,000 with 600 USD: 300 USD initial margin, cap 3,000 USD
    }

    function _remove(uint256 positionId, uint256 amount) internal {
        vm.prank(alice);
        engine.removeMargin(positionId, amount, alice);
    }

    function _assertRemoveReverts(address caller, uint256 positionId, uint256 amount, bytes memory err) internal {
        _assertRemoveReverts(caller, positionId, amount, caller, err);
    }

    function _assertRemoveReverts(
        address caller,
        uint256 positionId,
        uint256 amount,
        address receiver,
        bytes memory err
    ) internal {
        Snapshot memory before = _snapshot(positionId);
        vm.expectRevert(err);
        vm.prank(caller);
        engine.removeMargin(positionId, amount, receiver);
        _assertUnchanged(before, positionId);
        // The snapshot compares the sides' sizes; margin sums are checked here.
        _assertSideMargin(engine.sideState(ETH, true), before.ethLong.collateral, before.ethLong.maxProfit, "eth long");
    }

    /// @dev Requests an increase of alice's position (0.1 ETH, 50 USD of collateral, 1 USD execution fee).
    function _requestIncrease(uint256 positionId) internal {
        fund(alice, 51 * USD);
        vm.prank(alice);
        engine.requestIncrease(positionId, 0.1e18, 50 * USD, type(uint128).max, _deadline(), 1 * USD);
    }

    // ------------------------------------------------------------ happy paths

    /// @dev Rule 9: cap = min(cap, maxProfitRatio × new collateral), and the pool's reservation shrinks with it. The
    /// owner names the receiver.
    function test_removeMargin_paysTheReceiverAndLowersTheCap() public {
        Position memory before = engine.position(id);
        assertEq(before.maxProfit, 3_000 * USD); // min(9 × 600, 100 % × 3,000)
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 poolBefore = usd.balanceOf(address(pool));

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.MarginRemoved(id, 300 * USD, 300 * USD, 2_700 * USD, bob);
        vm.prank(alice);
        engine.removeMargin(id, 300 * USD, bob);

        Position memory expected = before;
        expected.collateral = uint96(300 * USD);
        expected.maxProfit = uint96(2_700 * USD); // min(3,000, 9 × 300)
        _assertPosition(engine.position(id), expected);
        assertEq(vaultBalance(id), 305 * USD, "vault = collateral + reserve");
        assertEq(usd.balanceOf(bob), 300 * USD, "receiver paid");
        assertEq(usd.balanceOf(alice), aliceBefore, "owner not paid");
        assertEq(usd.balanceOf(address(pool)), poolBefore);
        assertEq(engine.totalReserved(), 2_700 * USD, "reservation released");
        _assertSide(engine.sideState(ETH, true), _side(1e18, 3_000e18), "eth long");
        _assertSideMargin(engine.sideState(ETH, true), 300 * USD, 2_700 * USD, "eth long");
    }

    function test_removeMargin_paysTheOwnerWhenNamed() public {
        uint256 aliceBefore = usd.balanceOf(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.MarginRemoved(id, 100 * USD, 500 * USD, 3_000 * USD, alice);
        _remove(id, 100 * USD);
        assertEq(usd.balanceOf(alice), aliceBefore + 100 * USD);
    }

    /// @dev While 9 × the new collateral stays above the cap, the cap (and the reservation) does not move.
    function test_removeMargin_keepsACapBelowTheRatioOfTheNewCollateral() public {
        _remove(id, 200 * USD); // 9 × 400 = 3,600 > 3,000
        assertEq(engine.position(id).maxProfit, 3_000 * USD);
        assertEq(engine.totalReserved(), 3_000 * USD);
        _assertSideMargin(engine.sideState(ETH, true), 400 * USD, 3_000 * USD, "eth long");
    }

    /// @dev The new cap is paid to the trader, so it rounds down: 15 % × 599.999999 USD = 89.9999998 → 89.999999 USD
    /// (rounding up would leave the old 90 USD cap).
    function test_removeMargin_roundsTheNewCapDown() public {
        MarketParams memory m = _params(ETH);
        m.maxProfitRatio = 0.15e18;
        _setMarket(ETH, m);
        uint256 small = _open(alice, true, 1e18, 600 * USD); // cap min(15 % × 600, 3,000) = 90 USD
        assertEq(engine.position(small).maxProfit, 90 * USD);
        _remove(small, 1);
        assertEq(engine.position(small).maxProfit, 89_999_999);
        assertEq(engine.totalReserved(), 3_000 * USD + 89_999_999);
    }

    /// @dev Each removal lowers the cap to the ratio of what is left; margin added in between never raises it back.
    function test_removeMargin_lowersTheCapAndNeverRaisesItBack() public {
        _remove(id, 100 * USD); // 9 × 500 = 4,500 > 3,000: unchanged
        assertEq(engine.position(id).maxProfit, 3_000 * USD);
        _remove(id, 200 * USD); // 9 × 300 = 2,700
        assertEq(engine.position(id).maxProfit, 2_700 * USD);
        fund(alice, 100 * USD);
        vm.prank(alice);
        engine.addMargin(id, 100 * USD);
        assertEq(engine.position(id).maxProfit, 2_700 * USD, "raised by margin");
        _remove(id, 50 * USD); // 9 × 350 = 3,150 > 2,700: unchanged
        assertEq(engine.position(id).collateral, 350 * USD);
        assertEq(engine.position(id).maxProfit, 2_700 * USD);
        assertEq(engine.totalReserved(), 2_700 * USD);
        _assertSideMargin(engine.sideState(ETH, true), 350 * USD, 2_700 * USD, "eth long");
    }

    function test_removeMargin_acceptsEquityEqualToInitialMargin() public {
        _remove(id, 300 * USD);
        assertEq(engine.position(id).collateral, 300 * USD);
        assertEq(vaultBalance(id), 305 * USD);
    }

    function test_removeMargin_acceptsLossLeavingExactlyInitialMargin() public {
        setPrice(ETH, 2_900e18);
        // Equity (600 − 210) − 100 = 290 USD = 10 % × 2,900.
        _remove(id, 210 * USD);
        assertEq(engine.position(id).collateral, 390 * USD);
    }

    function test_removeMargin_keepsTheCapWhenTheRatioWouldRaiseIt() public {
        uint256 small = _open(alice, true, 1e18, 320 * USD); // cap min(9 × 320, 3,000) = 2,880 USD
        MarketParams memory m = _params(ETH);
        m.maxProfitRatio = 10e18;
        _setMarket(ETH, m);
        _remove(small, 10 * USD);
        // 10 × 310 = 3,100 USD would exceed the 2,880 USD recorded: the cap stays.
        assertEq(engine.position(small).maxProfit, 2_880 * USD);
        assertEq(engine.totalReserved(), 3_000 * USD + 2_880 * USD);
    }

    function test_removeMargin_acceptsCollateralEqualToMinimum() public {
        uint256 small = _open(alice, true, 0.02e18, 20 * USD); // 60 USD notional, 6 USD initial margin
        _remove(small, 10 * USD);
        assertEq(engine.position(small).collateral, MIN_COLLATERAL);
        // min(9 × 20, 100 % × 60) = 60 at open; 9 × 10 = 90 does not raise it.
        assertEq(engine.position(small).maxProfit, 60 * USD);
    }

    /// @dev Pause stops opens and increases only.
    function test_removeMargin_worksWhilePaused() public {
        _pause();
        _remove(id, 100 * USD);
        assertEq(engine.position(id).collateral, 500 * USD);
    }

    function test_removeMargin_doesNotSettleBorrowFees() public {
        uint96 indexBefore = engine.position(id).borrowIndex;
        vm.warp(block.timestamp + 1 hours);
        setPrice(ETH, ETH_PRICE);
        _remove(id, 100 * USD);
        assertEq(engine.position(id).borrowIndex, indexBefore);
        assertEq(vaultBalance(id), 505 * USD);
    }

    /// @dev A grace period ends at `liquidationResumesAt`: removal is allowed from that second on.
    function test_removeMargin_worksOnceTheGracePeriodEnds() public {
        vm.warp(block.timestamp + HEARTBEAT + 1);
        setPrice(ETH, ETH_PRICE);
        uint256 resumesAt = block.timestamp + GRACE;
        assertEq(engine.liquidationResumesAt(ETH), resumesAt);
        vm.warp(resumesAt);
        _remove(id, 100 * USD);
        assertEq(engine.position(id).collateral, 500 * USD);
    }

    /// @dev Once the pending order has executed, margin can be removed again.
    function test_removeMargin_worksAfterThePendingOrderExecuted() public {
        _requestIncrease(id);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        vm.prank(keeper);
        engine.executeOrder(id);
        uint256 collateral = engine.position(id).collateral;
        _remove(id, 100 * USD);
        assertEq(engine.position(id).collateral, collateral - 100 * USD);
    }

    // ------------------------------------------------------------ reverts

    function test_removeMargin_revertsWhen_amountIsZero() public {
        _assertRemoveReverts(alice, id, 0, abi.encodeWithSelector(IMarginEngineBase.ZeroAmount.selector));
    }

    function test_removeMargin_revertsWhen_receiverIsZero() public {
        _assertRemoveReverts(alice, id, 1, address(0), abi.encodeWithSelector(IMarginEngineBase.ZeroReceiver.selector));
    }

    function test_removeMargin_revertsWhen_positionUnknown() public {
        _assertRemoveReverts(alice, 99, 1, abi.encodeWithSelector(IMarginEngineBase.UnknownPosition.selector, 99));
    }

    function test_removeMargin_revertsWhen_positionClosed() public {
        closePosition(id, alice);
        _assertRemoveReverts(alice, id, 1, abi.encodeWithSelector(IMarginEngineBase.UnknownPosition.selector, id));
    }

    function test_removeMargin_revertsWhen_callerNotOwner() public {
        _assertRemoveReverts(bob, id, 1, abi.encodeWithSelector(IMarginEngineBase.NotPositionOwner.selector, id, bob));
        // Naming the owner as receiver does not help.
        _assertRemoveReverts(
            bob,
            id,
            1,
            alice,
            abi.encodeWithSelector(IMarginEngineBase.NotPositionOwner.selector, id, bob)
        );
    }

    /// @dev A pending open's escrow is the order's: nothing to remove until it executes.
    function test_removeMargin_revertsWhen_theOpenIsStillPending() public {
        uint256 pending = requestOpen(alice, ETH, true, 1e18, 600 * USD);
        _assertRemoveReverts(
            alice,
            pending,
            1,
            abi.encodeWithSelector(IMarginEngineBase.PositionNotOpen.selector, pending)
        );
    }

    /// @dev Rule 3: the collateral an order will trade against must not move before its round.
    function test_removeMargin_revertsWhen_anIncreaseIsPending() public {
        _requestIncrease(id);
        _assertRemoveReverts(alice, id, 1, abi.encodeWithSelector(IMarginEngineBase.OrderPending.selector, id));
    }

    function test_removeMargin_revertsWhen_aDecreaseIsPending() public {
        vm.prank(alice);
        engine.requestDecrease(id, 0.5e18, 0, _deadline(), 0, alice);
        _assertRemoveReverts(alice, id, 1, abi.encodeWithSelector(IMarginEngineBase.OrderPending.selector, id));
    }

    function test_removeMargin_revertsWhen_aCloseIsPending() public {
        requestClose(id, alice);
        _assertRemoveReverts(alice, id, 1, abi.encodeWithSelector(IMarginEngineBase.ClosePending.selector, id));
    }

    /// @dev An order whose round exists stays beside the close that follows it; the order is named first.
    function test_removeMargin_revertsWhen_anOrderAndACloseArePending() public {
        _requestIncrease(id);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        requestClose(id, alice);
        _assertRemoveReverts(alice, id, 1, abi.encodeWithSelector(IMarginEngineBase.OrderPending.selector, id));
    }

    /// @dev An order that can no longer execute still blocks removal until someone cancels it.
    function test_removeMargin_revertsWhen_anExpiredOrderIsNotCancelledYet() public {
        _requestIncrease(id);
        // The increase's round comes, but nobody executes it within its window: it is cancellable. (The feeds keep
        // reporting, so the price is fresh and no grace period runs.)
        _skip(MAX_ORDER_WAIT + 1);
        _assertRemoveReverts(alice, id, 1, abi.encodeWithSelector(IMarginEngineBase.OrderPending.selector, id));
        engine.cancelOrder(id);
        _remove(id, 100 * USD);
        assertEq(engine.position(id).collateral, 500 * USD);
    }

    function test_removeMargin_revertsWhen_inGracePeriodAfterPriceOutage() public {
        vm.warp(block.timestamp + HEARTBEAT + 1);
        setPrice(ETH, ETH_PRICE); // the first round after a gap longer than the heartbeat
        _assertRemoveReverts(
            alice,
            id,
            1,
            abi.encodeWithSelector(IMarginEngineBase.GracePeriod.selector, block.timestamp + GRACE)
        );
        vm.warp(block.timestamp + GRACE - 1);
        _assertRemoveReverts(
            alice,
            id,
            1,
            abi.encodeWithSelector(IMarginEngineBase.GracePeriod.selector, block.timestamp + 1)
        );
    }

    function test_removeMargin_revertsWhen_initialMarginBreached() public {
        // One unit more than the 300 USD of slack.
        _assertRemoveReverts(
            alice,
            id,
            300 * USD + 1,
            abi.encodeWithSelector(IMarginEngineBase.InitialMarginBreached.selector, int256(300 * USD - 1), 300 * USD)
        );
    }

    function test_removeMargin_revertsWhen_lossBreachesInitialMargin() public {
        setPrice(ETH, 2_900e18);
        // (600 − 211) − 100 = 289 USD < 290 USD.
        _assertRemoveReverts(
            alice,
            id,
            211 * USD,
            abi.encodeWithSelector(IMarginEngineBase.InitialMarginBreached.selector, int256(289 * USD), 290 * USD)
        );
    }

    function test_removeMargin_revertsWhen_onlyUnrealisedProfitWouldCoverMargin() public {
        setPrice(ETH, 3_600e18);
        // 600 USD of profit do not count: 300 USD left < 10 % × 3,600 = 360 USD.
        _assertRemoveReverts(
            alice,
            id,
            300 * USD,
            abi.encodeWithSelector(IMarginEngineBase.InitialMarginBreached.selector, int256(300 * USD), 360 * USD)
        );
    }

    function test_removeMargin_revertsWhen_owedBorrowFeeBreachesInitialMargin() public {
        vm.warp(block.timestamp + 1 hours);
        setPrice(ETH, ETH_PRICE);
        // 300 USD left less 0.034247 USD of owed borrow fee (one hour at 10 % a year on 3,000 USD, rounded up).
        uint256 fee = _borrowFee(1e18, ETH_PRICE, RATE * 1 hours);
        assertEq(fee, 34_247);
        _assertRemoveReverts(
            alice,
            id,
            300 * USD,
            abi.encodeWithSelector(IMarginEngineBase.InitialMarginBreached.selector, int256(300 * USD - fee), 300 * USD)
        );
    }

    function test_removeMargin_revertsWhen_collateralBelowMinimum() public {
        uint256 small = _open(alice, true, 0.02e18, 20 * USD);
        _assertRemoveReverts(
            alice,
            small,
            10 * USD + 1,
            abi.encodeWithSelector(
                IMarginEngineBase.CollateralBelowMinimum.selector,
                MIN_COLLATERAL - 1,
                MIN_COLLATERAL
            )
        );
    }

    function test_removeMargin_revertsWhen_amountAboveCollateral() public {
        _assertRemoveReverts(
            alice,
            id,
            600 * USD + 1,
            abi.encodeWithSelector(IMarginEngineBase.CollateralBelowMinimum.selector, 0, MIN_COLLATERAL)
        );
    }

    function test_removeMargin_revertsWhen_amountEqualsCollateral() public {
        _assertRemoveReverts(
            alice,
            id,
            600 * USD,
            abi.encodeWithSelector(IMarginEngineBase.CollateralBelowMinimum.selector, 0, MIN_COLLATERAL)
        );
    }

    function test_removeMargin_revertsWhen_priceStale() public {
        uint256 updatedAt = block.timestamp;
        vm.warp(block.timestamp + HEARTBEAT + 1);
        _assertRemoveReverts(
            alice,
            id,
            1,
            abi.encodeWithSelector(IOracleErrors.StalePrice.selector, address(ethFeed), updatedAt, HEARTBEAT)
        );
    }

    function test_removeMargin_revertsWhen_priceNotPositive() public {
        ethFeed.updateAnswer(0);
        _assertRemoveReverts(
            alice,
            id,
            1,
            abi.encodeWithSelector(IOracleErrors.NonPositivePrice.selector, address(ethFeed), int256(0))
        );
    }
}

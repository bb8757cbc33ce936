// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {
    CancelReason,
    IMarginEngineBase,
    Order,
    OrderKind,
    Position
} from "../../../contracts/interfaces/IMarginEngine.sol";
import {GlobalParams, MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {UnitBase} from "./UnitBase.sol";

/// @dev `requestDecrease` and the execution of decrease orders. The request escrows the execution fee only; the
/// execution closes the part at the round's answer, settles its pnl (its floored share of the cap) and every owed fee
/// with the pool and pays its share of the collateral, less a loss, to the receiver the owner named.
contract DecreaseTest is UnitBase {
    uint256 internal constant FEE = 1 * USD;
    /// @dev Borrow fee of 1 ETH entered at 3,000 over one second: 3,000 × 3,170,979,198 / 1e18 USD → 10 units (up).
    uint256 internal constant BORROW_1S = 10;

    function _request(uint256 positionId, uint256 sizeDelta, uint256 bound, address receiver) internal {
        vm.prank(engine.position(positionId).owner);
        engine.requestDecrease(positionId, sizeDelta, bound, _deadline(), FEE, receiver);
    }

    /// @dev Requests a decrease paying the owner, bounded by `price`, and executes it at a new round at `price`.
    function _decreaseAt(uint256 positionId, uint256 sizeDelta, uint256 price) internal {
        _request(positionId, sizeDelta, price, engine.position(positionId).owner);
        _publish(price);
        _execute(positionId);
    }

    function _assertRequestReverts(
        address caller,
        uint256 positionId,
        uint256 sizeDelta,
        uint256 deadline,
        uint256 fee,
        address receiver,
        bytes memory err
    ) internal {
        Snapshot memory before = _snapshot(positionId);
        vm.expectRevert(err);
        vm.prank(caller);
        engine.requestDecrease(positionId, sizeDelta, 0, deadline, fee, receiver);
        _assertUnchanged(before, positionId);
    }

    /// @dev Executes the pending decrease at a new round at `price` and expects it cancelled for `reason` with the
    /// execution fee to the keeper: the position, its vault and every aggregate are as they were.
    function _assertDecreaseCancelled(uint256 positionId, uint256 price, CancelReason reason) internal {
        Snapshot memory before = _snapshot(positionId);
        uint256 ownerBefore = usd.balanceOf(before.position.owner);
        _publish(price);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(positionId, OrderKind.Decrease, reason, keeper, 0, FEE);
        _execute(positionId);

        _assertPosition(engine.position(positionId), before.position);
        assertEq(usd.balanceOf(keeper), before.keeper + FEE, "executor fee");
        assertEq(usd.balanceOf(before.position.owner), ownerBefore, "nothing paid");
        assertEq(usd.balanceOf(address(pool)), before.pool, "pool untouched");
        assertEq(vaultBalance(positionId), before.vault - FEE, "escrow released");
        (Order memory o, ) = engine.orders(positionId);
        assertEq(uint8(o.kind), uint8(OrderKind.None), "order left");
        _assertSide(engine.sideState(ETH, true), before.ethLong, "eth long");
        _assertSideMargin(engine.sideState(ETH, true), before.ethLong.collateral, before.ethLong.maxProfit, "eth long");
        assertEq(engine.totalReserved(), before.totalReserved, "totalReserved");
    }

    // ------------------------------------------------------------ request

    function test_requestDecrease_escrowsTheFeeOnlyAndRecordsTheReceiver() public {
        uint256 id = _openStandardLong();
        Snapshot memory before = _snapshot(id);
        fund(alice, FEE);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderRequested(
            id,
            alice,
            ETH,
            OrderKind.Decrease,
            true,
            0.4e18,
            0,
            2_900e18,
            block.timestamp + MAX_ORDER_WAIT,
            FEE,
            3,
            bob
        );
        _request(id, 0.4e18, 2_900e18, bob);

        (Order memory o, ) = engine.orders(id);
        assertEq(uint8(o.kind), uint8(OrderKind.Decrease));
        assertEq(o.receiver, bob);
        assertEq(o.sizeDelta, 0.4e18);
        assertEq(o.collateralDelta, 0);
        assertEq(o.executionFee, FEE);
        _assertPosition(engine.position(id), before.position);
        assertEq(vaultBalance(id), before.vault + FEE);
        _assertSide(engine.sideState(ETH, true), before.ethLong, "eth long");
        assertEq(engine.totalReserved(), before.totalReserved);
    }

    /// @dev Reducing risk is always allowed: while paused and in a market in settlement.
    function test_requestDecrease_worksWhilePaused() public {
        uint256 id = _openStandardLong();
        _pause();
        fund(alice, FEE);
        _decreaseAt(id, 0.5e18, ETH_PRICE);
        assertEq(engine.position(id).size, 0.5e18);
    }

    // ------------------------------------------------------------ request rejections

    function test_requestDecrease_revertsWhen_sizeDeltaIsZero() public {
        uint256 id = _openStandardLong();
        _assertRequestReverts(
            alice,
            id,
            0,
            _deadline(),
            FEE,
            alice,
            abi.encodeWithSelector(IMarginEngineBase.ZeroSize.selector)
        );
    }

    function test_requestDecrease_revertsWhen_receiverIsZero() public {
        uint256 id = _openStandardLong();
        _assertRequestReverts(
            alice,
            id,
            0.5e18,
            _deadline(),
            FEE,
            address(0),
            abi.encodeWithSelector(IMarginEngineBase.ZeroReceiver.selector)
        );
    }

    function test_requestDecrease_revertsWhen_sizeDeltaEqualsSize() public {
        uint256 id = _openStandardLong();
        _assertRequestReverts(
            alice,
            id,
            1e18,
            _deadline(),
            FEE,
            alice,
            abi.encodeWithSelector(IMarginEngineBase.SizeDeltaTooLarge.selector, 1e18, 1e18)
        );
    }

    function test_requestDecrease_revertsWhen_sizeDeltaAboveSize() public {
        uint256 id = _openStandardLong();
        _assertRequestReverts(
            alice,
            id,
            2e18,
            _deadline(),
            FEE,
            alice,
            abi.encodeWithSelector(IMarginEngineBase.SizeDeltaTooLarge.selector, 2e18, 1e18)
        );
    }

    function test_requestDecrease_revertsWhen_deadlineIsNow() public {
        uint256 id = _openStandardLong();
        _assertRequestReverts(
            alice,
            id,
            0.5e18,
            block.timestamp,
            FEE,
            alice,
            abi.encodeWithSelector(IMarginEngineBase.DeadlineExpired.selector, block.timestamp, block.timestamp)
        );
    }

    function test_requestDecrease_revertsWhen_deadlinePassed() public {
        uint256 id = _openStandardLong();
        uint256 deadline = block.timestamp - 1;
        _assertRequestReverts(
            alice,
            id,
            0.5e18,
            deadline,
            FEE,
            alice,
            abi.encodeWithSelector(IMarginEngineBase.DeadlineExpired.selector, deadline, block.timestamp)
        );
    }

    function test_requestDecrease_revertsWhen_executionFeeBelowMinimum() public {
        uint256 id = _openStandardLong();
        GlobalParams memory g = defaultGlobalParams();
        g.minExecutionFee = uint80(2 * USD);
        _setGlobal(g);
        _assertRequestReverts(
            alice,
            id,
            0.5e18,
            _deadline(),
            2 * USD - 1,
            alice,
            abi.encodeWithSelector(IMarginEngineBase.ExecutionFeeTooLow.selector, 2 * USD - 1, 2 * USD)
        );
    }

    function test_requestDecrease_revertsWhen_positionUnknown() public {
        _assertRequestReverts(
            alice,
            99,
            0.5e18,
            _deadline(),
            FEE,
            alice,
            abi.encodeWithSelector(IMarginEngineBase.UnknownPosition.selector, 99)
        );
    }

    function test_requestDecrease_revertsWhen_callerNotOwner() public {
        uint256 id = _openStandardLong();
        _assertRequestReverts(
            bob,
            id,
            0.5e18,
            _deadline(),
            FEE,
            bob,
            abi.encodeWithSelector(IMarginEngineBase.NotPositionOwner.selector, id, bob)
        );
    }

    function test_requestDecrease_revertsWhen_openOrderStillPending() public {
        uint256 pending = requestOpen(alice, ETH, true, 1e18, 603 * USD);
        _assertRequestReverts(
            alice,
            pending,
            0.5e18,
            _deadline(),
            FEE,
            alice,
            abi.encodeWithSelector(IMarginEngineBase.PositionNotOpen.selector, pending)
        );
    }

    function test_requestDecrease_revertsWhen_orderPending() public {
        uint256 id = _openStandardLong();
        fund(alice, FEE);
        _request(id, 0.1e18, 0, alice);
        _assertRequestReverts(
            alice,
            id,
            0.1e18,
            _deadline(),
            FEE,
            alice,
            abi.encodeWithSelector(IMarginEngineBase.OrderPending.selector, id)
        );
    }

    function test_requestDecrease_revertsWhen_closePending() public {
        uint256 id = _openStandardLong();
        fund(alice, FEE);
        vm.prank(alice);
        engine.requestClose(id, 0, _deadline(), FEE, alice);
        _assertRequestReverts(
            alice,
            id,
            0.1e18,
            _deadline(),
            FEE,
            alice,
            abi.encodeWithSelector(IMarginEngineBase.ClosePending.selector, id)
        );
    }

    /// @dev A decrease escrows only its execution fee: that is what a fee-on-transfer token shortchanges.
    function test_requestDecrease_revertsWhen_tokenTakesATransferFee() public {
        FeeSystem memory s = _deployFeeSystem();
        vm.prank(alice);
        uint256 feeId = s.engine.requestOpen(ETH, true, 1e18, 603 * USD, type(uint128).max, block.timestamp + 60, 0);
        _publish(ETH_PRICE);
        s.engine.executeOrder(feeId);
        s.token.setFeeBps(100);
        Position memory before = s.engine.position(feeId);
        uint256 vaultBefore = s.token.balanceOf(before.vault);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.FeeOnTransferToken.selector, FEE, 990_000));
        vm.prank(alice);
        s.engine.requestDecrease(feeId, 0.5e18, 0, block.timestamp + 60, FEE, alice);
        _assertPosition(s.engine.position(feeId), before);
        assertEq(s.token.balanceOf(before.vault), vaultBefore);
        (Order memory o, ) = s.engine.orders(feeId);
        assertEq(uint8(o.kind), uint8(OrderKind.None));
    }

    // ------------------------------------------------------------ execution

    function test_executeDecrease_inProfit_paysTheReceiverTheCollateralShareAndPnl() public {
        uint256 id = _openStandardLong();
        fund(alice, FEE);
        _request(id, 0.4e18, 3_300e18, bob);
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 poolBefore = usd.balanceOf(address(pool));
        vm.warp(block.timestamp + 1 hours - 1);
        _publish(3_300e18);

        // Closing 0.4 of 1 ETH at 3,300, an hour after the open:
        //   kept cap     = 3,000 × 0.6 = 1,800 USD; the closed part's cap 1,200 USD
        //   pnl          = 0.4 × 300 = 120 USD
        //   fees         = borrow fee of the whole position for 1 h (3,000 × 11,415,525,112,800 / 1e18
        //                  = 0.0342465753384 → 0.034247 USD) + 0.1 % × 0.4 × 3,300 (1.32 USD) = 1.354247 USD
        //   collateral out = 600 × 0.4 = 240 USD; payout = 240 + 120 − 1.354247 = 358.645753 USD, to bob
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionDecreased(
            id,
            0.4e18,
            3_300e18,
            120e6,
            1_354_247,
            358_645_753,
            0.6e18,
            360 * USD,
            1_800 * USD,
            bob
        );
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderExecuted(id, OrderKind.Decrease, keeper, 4, 3_300e18, FEE);
        _execute(id);

        _assertPosition(
            engine.position(id),
            Position({
                owner: alice,
                collateral: uint96(360 * USD),
                size: 0.6e18,
                entryPrice: uint128(ETH_PRICE),
                borrowIndex: uint96(engine.borrowIndex(ETH, true)),
                maxProfit: uint96(1_800 * USD),
                marketId: uint16(ETH),
                isLong: true,
                vault: engine.vaultOf(id),
                keeperReserve: uint96(KEEPER_RESERVE)
            })
        );
        assertEq(usd.balanceOf(bob), 358_645_753, "the receiver is paid");
        assertEq(usd.balanceOf(alice), aliceBefore, "the owner is not");
        assertEq(usd.balanceOf(keeper), FEE, "executor paid");
        assertEq(usd.balanceOf(address(pool)), poolBefore - 118_645_753, "pool paid pnl less fees");
        assertEq(vaultBalance(id), 365 * USD, "vault = remaining collateral + reserve");
        _assertSide(engine.sideState(ETH, true), _side(0.6e18, 1_800e18), "eth long");
        _assertSideMargin(engine.sideState(ETH, true), 360 * USD, 1_800 * USD, "eth long");
        assertEq(engine.totalReserved(), 1_800 * USD);
        assertEq(engine.totalEntryNotional(), 1_800e18);
        assertEq(_borrowFee(1e18, ETH_PRICE, RATE * 1 hours), 34_247);
    }

    function test_executeDecrease_inLoss_vaultPaysLossAndFeesToPool() public {
        uint256 id = _openStandardLong();
        fund(alice, FEE);
        uint256 poolBefore = usd.balanceOf(address(pool));
        _request(id, 0.25e18, 2_900e18, alice);
        uint256 aliceBefore = usd.balanceOf(alice);
        _publish(2_900e18);

        // Closing 0.25 at 2,900: pnl −25 USD, fees 0.725 USD + 10 units, collateral out 150 USD
        // → payout 124.27499 USD.
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionDecreased(
            id,
            0.25e18,
            2_900e18,
            -25e6,
            725_000 + BORROW_1S,
            124_274_990,
            0.75e18,
            450 * USD,
            2_250 * USD,
            alice
        );
        _execute(id);

        Position memory p = engine.position(id);
        assertEq(p.collateral, 450 * USD);
        assertEq(p.size, 0.75e18);
        assertEq(p.maxProfit, 2_250 * USD); // 3,000 × 0.75
        assertEq(usd.balanceOf(alice), aliceBefore + 124_274_990);
        assertEq(usd.balanceOf(address(pool)), poolBefore + 25_725_010);
        assertEq(vaultBalance(id), 455 * USD);
        _assertSide(engine.sideState(ETH, true), _side(0.75e18, 2_250e18), "eth long");
        assertEq(engine.totalReserved(), 2_250 * USD);
    }

    function test_executeDecrease_short_roundsEveryShareAgainstTheOwner() public {
        uint256 id = _openStandardShort();
        fund(alice, FEE);
        uint256 poolBefore = usd.balanceOf(address(pool));
        uint256 sizeDelta = 0.333333333333333333e18;
        _request(id, sizeDelta, 2_899.99999999e18, alice);
        uint256 aliceBefore = usd.balanceOf(alice);
        _publish(2_899.99999999e18);

        // Closing 0.333333333333333333 of 1 ETH short at 2,899.99999999:
        //   kept cap       = 3,000 × 0.666666666666666667 = 2,000.000000000000001 → 2,000.000001 USD (up)
        //   pnl            = 0.333333333333333333 × 100.00000001 = 33.3333333366… → 33.333333 USD (down)
        //   fees           = 0.1 % × 966.666666663333… = 0.96666666666… → 0.966667 USD (up), and 10 units
        //   collateral out = 600 × 0.333333333333333333 = 199.9999998 → 199.999999 USD (down)
        //   payout         = 199.999999 + 33.333333 − 0.966677 = 232.366655 USD
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionDecreased(
            id,
            sizeDelta,
            2_899.99999999e18,
            33_333_333,
            966_677,
            232_366_655,
            1e18 - sizeDelta,
            400_000_001,
            2_000_000_001,
            alice
        );
        _execute(id);

        Position memory p = engine.position(id);
        assertEq(p.maxProfit, 2_000_000_001);
        assertEq(p.collateral, 400_000_001);
        assertEq(usd.balanceOf(alice), aliceBefore + 232_366_655);
        assertEq(usd.balanceOf(address(pool)), poolBefore - 32_366_656);
        assertEq(vaultBalance(id), 400_000_001 + KEEPER_RESERVE);
        // 0.666666666666666667 × 3,000 = 2,000.000000000000001 USD.
        _assertSide(engine.sideState(ETH, false), _side(1e18 - sizeDelta, 2_000.000000000000001e18), "eth short");
        assertEq(engine.totalReserved(), 2_000_000_001);
        assertEq(engine.totalEntryNotional(), 2_000.000000000000001e18);
    }

    function test_executeDecrease_capsTheClosedPartsProfitAtItsShareOfTheCap() public {
        MarketParams memory m = _params(ETH);
        m.maxProfitRatio = 0.1e18;
        _setMarket(ETH, m);
        uint256 id = _openStandardLong(); // cap 60 USD
        fund(alice, FEE);
        _request(id, 0.5e18, 3_300e18, alice);
        _publish(3_300e18);
        // Closing half: 150 USD of profit, capped at 60 − 30 = 30 USD. Fees 1.65 USD + 10 units.
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionDecreased(
            id,
            0.5e18,
            3_300e18,
            30e6,
            1_650_000 + BORROW_1S,
            328_349_990,
            0.5e18,
            300 * USD,
            30 * USD,
            alice
        );
        _execute(id);
        assertEq(engine.position(id).maxProfit, 30 * USD);
        assertEq(engine.totalReserved(), 30 * USD);
    }

    /// @dev Rule 9: the closed part takes floor(cap × Δsize / size) of the cap, the rest keeps the remainder (rounded
    /// up), so the two never add up to more than the cap.
    function test_executeDecrease_closedPartTakesTheFlooredShareOfTheCap() public {
        MarketParams memory m = _params(ETH);
        m.maxProfitRatio = 0.1e18;
        _setMarket(ETH, m);
        uint256 id = _openStandardLong(); // cap min(0.1 × 600, 3,000) = 60 USD
        fund(alice, FEE);
        uint256 poolBefore = usd.balanceOf(address(pool));
        uint256 sizeDelta = 0.333333333333333333e18;
        _request(id, sizeDelta, 3_300e18, alice);
        uint256 aliceBefore = usd.balanceOf(alice);
        _publish(3_300e18);

        // Closed share: 60 × 0.333333333333333333 = 19.99999999999999998 → 19.999999 USD (down), far below the
        // closed part's 99.99… USD of pnl; the rest keeps 40.000001 USD.
        // Fees: 0.1 % × 1,099.9999999999999989 → 1.1 USD (up) and 10 units. Collateral out: 199.999999 USD (down).
        // Payout: 199.999999 + 19.999999 − 1.10001 = 218.899988 USD.
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionDecreased(
            id,
            sizeDelta,
            3_300e18,
            19_999_999,
            1_100_010,
            218_899_988,
            1e18 - sizeDelta,
            400_000_001,
            40_000_001,
            alice
        );
        _execute(id);

        assertEq(engine.position(id).maxProfit, 40_000_001);
        assertEq(engine.totalReserved(), 40_000_001);
        assertEq(usd.balanceOf(alice), aliceBefore + 218_899_988);
        assertEq(usd.balanceOf(address(pool)), poolBefore - 18_899_989, "pool paid the capped pnl less the fees");
    }

    function test_executeDecrease_acceptsRestEqualToMinimumNotional() public {
        uint256 id = _open(alice, true, 0.01e18, 100 * USD); // 30 USD
        fund(alice, FEE);
        _decreaseAt(id, 0.006e18, 2_500e18); // 0.004 ETH at 2,500 = 10 USD stay
        assertEq(engine.position(id).size, 0.004e18);
    }

    function test_executeDecrease_restBelowMinimumNotional_cancelsAndPaysTheExecutor() public {
        uint256 id = _open(alice, true, 0.01e18, 100 * USD); // 30 USD
        fund(alice, FEE);
        // 0.003 ETH at 3,000 = 9 USD would stay.
        _request(id, 0.007e18, 0, alice);
        _assertDecreaseCancelled(id, ETH_PRICE, CancelReason.Margin);
    }

    /// @dev A market in settlement executes a decrease at once at the settlement price, without a round.
    function test_executeDecrease_inSettlementAtTheSettlementPrice() public {
        uint256 id = _openStandardLong();
        uint256 price = _settleEth();
        assertEq(price, ETH_PRICE);
        fund(alice, FEE);
        _request(id, 0.5e18, 0, alice);
        (Order memory o, ) = engine.orders(id);
        assertEq(o.roundId, 0, "no round recorded");
        uint256 aliceBefore = usd.balanceOf(alice);
        // Borrow fee of the whole position for the 3 days + 1 h the feed was dying: 2.5 USD (up); closing fee
        // 0.1 % × 1,500 = 1.5 USD; collateral out 300 USD.
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionDecreased(
            id,
            0.5e18,
            ETH_PRICE,
            0,
            4 * USD,
            296 * USD,
            0.5e18,
            300 * USD,
            1_500 * USD,
            alice
        );
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderExecuted(id, OrderKind.Decrease, keeper, 0, ETH_PRICE, FEE);
        _execute(id);
        assertEq(engine.position(id).size, 0.5e18);
        assertEq(usd.balanceOf(alice), aliceBefore + 296 * USD);
        assertEq(_borrowFee(1e18, ETH_PRICE, RATE * (HEARTBEAT + DEAD_FEED_PERIOD)), 2_500_000);
    }

    function test_executeDecrease_takesFeesBeyondTheClosedCollateralFromTheRest() public {
        uint256 id = _openStandardLong();
        _skip(100 days);
        fund(alice, FEE);
        uint256 poolBefore = usd.balanceOf(address(pool));
        _request(id, 0.01e18, ETH_PRICE, alice);
        uint256 aliceBefore = usd.balanceOf(alice);
        _publish(ETH_PRICE);

        // Borrow fee for 100 days and the second to the execution: 82.191791 USD; closing fee 0.03 USD.
        // The closed 0.01 ETH frees 6 USD of collateral: 76.221791 USD more come out of the rest.
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionDecreased(
            id,
            0.01e18,
            ETH_PRICE,
            0,
            82_221_791,
            0,
            0.99e18,
            517_778_209,
            2_970 * USD,
            alice
        );
        _execute(id);

        Position memory p = engine.position(id);
        assertEq(p.collateral, 517_778_209);
        assertEq(p.borrowIndex, engine.borrowIndex(ETH, true));
        assertEq(usd.balanceOf(alice), aliceBefore, "nothing paid out");
        assertEq(usd.balanceOf(address(pool)), poolBefore + 82_221_791);
        assertEq(vaultBalance(id), 517_778_209 + KEEPER_RESERVE);
        assertEq(_borrowFee(1e18, ETH_PRICE, RATE * (100 days + 1)), 82_191_791);
    }

    function test_executeDecrease_acceptsBoundEqualToRoundPrice() public {
        uint256 longId = _openStandardLong();
        uint256 shortId = openPosition(bob, ETH, false, 1e18, 600 * USD);
        fund(alice, FEE);
        fund(bob, FEE);
        _request(longId, 0.5e18, ETH_PRICE, alice);
        _request(shortId, 0.5e18, ETH_PRICE, bob);
        _publish(ETH_PRICE);
        _execute(longId);
        _execute(shortId);
        assertEq(engine.position(longId).size, 0.5e18);
        assertEq(engine.position(shortId).size, 0.5e18);
    }

    function test_executeDecrease_priceBelowBoundForLong_cancelsAndPaysTheExecutor() public {
        uint256 id = _openStandardLong();
        fund(alice, FEE);
        _request(id, 0.5e18, ETH_PRICE, alice);
        _assertDecreaseCancelled(id, ETH_PRICE - 1e10, CancelReason.PriceBound);
    }

    function test_executeDecrease_priceAboveBoundForShort_cancelsAndPaysTheExecutor() public {
        uint256 id = _openStandardShort();
        fund(alice, FEE);
        _request(id, 0.5e18, ETH_PRICE, alice);
        Snapshot memory before = _snapshot(id);
        _publish(ETH_PRICE + 1e10);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Decrease, CancelReason.PriceBound, keeper, 0, FEE);
        _execute(id);
        _assertPosition(engine.position(id), before.position);
        _assertSide(engine.sideState(ETH, false), before.ethShort, "eth short");
        assertEq(usd.balanceOf(keeper), FEE);
    }

    function test_executeDecrease_leavesOtherPositionsUntouched() public {
        uint256 id = _openStandardLong();
        uint256 other = openPosition(bob, ETH, true, 2e18, 1_000 * USD);
        Position memory otherBefore = engine.position(other);
        uint256 otherVault = vaultBalance(other);
        fund(alice, FEE);
        _decreaseAt(id, 0.5e18, ETH_PRICE);
        _assertPosition(engine.position(other), otherBefore);
        assertEq(vaultBalance(other), otherVault);
    }

    /// @dev Regression: `_decreaseAmounts` once built the remaining position with `Position memory rest = p;`, which
    /// aliased the caller's `p` and made `decrease` take the size delta twice, keep the closed part's profit cap
    /// reserved and, in profit, never pay out the closed collateral (fixed in 0112c24).
    function test_executeDecrease_takesTheSizeDeltaOnceAndReleasesItsReservation() public {
        uint256 id = _openStandardLong();
        fund(alice, FEE);
        _request(id, 0.25e18, 3_300e18, alice);
        uint256 aliceBefore = usd.balanceOf(alice);
        _publish(3_300e18);
        _execute(id);

        // Closing 0.25: pnl 75 USD, fees 0.825 USD + 10 units, collateral out 150 USD → payout 224.17499 USD.
        Position memory p = engine.position(id);
        assertEq(p.size, 0.75e18, "remaining size");
        assertEq(engine.sideState(ETH, true).openInterest, 0.75e18, "open interest");
        assertEq(engine.totalReserved(), p.maxProfit, "reservation released with the closed part's cap");
        assertEq(vaultBalance(id), uint256(p.collateral) + KEEPER_RESERVE, "vault = collateral + reserve");
        assertEq(usd.balanceOf(alice), aliceBefore + 224_174_990, "owner paid the closed collateral and pnl");
    }

    /// @dev Regression (same cause): closing more than half of a position used to underflow and revert.
    function test_executeDecrease_moreThanHalfOfThePosition() public {
        uint256 id = _openStandardLong();
        fund(alice, FEE);
        _decreaseAt(id, 0.6e18, ETH_PRICE);
        assertEq(engine.position(id).size, 0.4e18);
    }

    /// @dev The execution checks the rest at the round's answer (2,750), the liquidation check the position at the
    /// latest one (3,000, a round later): the position is healthy, but what would stay is not.
    function test_executeDecrease_restWouldBeLiquidatable_cancelsAndPaysTheExecutor() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        fund(alice, FEE);
        _request(id, 0.5e18, 0, alice);
        _publish(2_750e18);
        // Closing half at 2,750: collateral out 155 USD, pnl −125 USD, fees 1.375 USD + 20 units → 155 USD stay.
        // The rest: equity 155 − 125 = 30 USD < 5 % × 0.5 × 2,750 = 68.75 USD.
        _assertDecreaseCancelled(id, ETH_PRICE, CancelReason.Margin);
    }

    function test_executeDecrease_restBelowMinimumCollateral_cancelsAndPaysTheExecutor() public {
        uint256 id = _open(alice, true, 0.05e18, 20 * USD);
        fund(alice, FEE);
        // Closing 0.03 of 0.05 takes 12 of the 20 USD: 8 USD would stay, below the 10 USD minimum.
        _request(id, 0.03e18, 0, alice);
        _assertDecreaseCancelled(id, ETH_PRICE, CancelReason.Margin);
    }

    /// @dev With a 1 % closing fee and 0.5 % maintenance, the closed part can owe more than the whole collateral
    /// while the position itself is healthy: the order is refused, not paid from the pool.
    function test_executeDecrease_closedPartOwesMoreThanTheCollateral_cancelsAndPaysTheExecutor() public {
        MarketParams memory m = _params(ETH);
        m.imr = 0.01e18;
        m.mmr = 0.005e18;
        m.closeFeeRatio = 0.01e18;
        _setMarket(ETH, m);
        uint256 id = _open(alice, true, 1e18, 30 * USD); // exactly 1 % of 3,000
        fund(alice, FEE);
        _request(id, 0.999e18, 0, alice);
        // At 2,990 the position holds 30 − 10 − 0.00001 = 19.99999 USD ≥ 14.95 USD of maintenance. Closing 0.999 ETH
        // frees 29.97 USD but owes 9.99 USD of loss, 29.8701 USD of closing fee and 10 units: 9.89011 USD more than it
        // frees, and only 0.03 USD would stay.
        _assertDecreaseCancelled(id, 2_990e18, CancelReason.Margin);
    }
}

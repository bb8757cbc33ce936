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

/// @dev `requestIncrease` and the execution of increase orders. The request escrows the added collateral and the
/// execution fee; the execution settles the borrow fee to the execution block and takes it and the opening fee from
/// the collateral, at the round's answer.
contract IncreaseTest is UnitBase {
    uint256 internal constant FEE = 1 * USD;
    /// @dev Borrow fee of 1 ETH entered at 3,000 over one second: 3,000 × 3,170,979,198 / 1e18 USD → 10 units (up).
    uint256 internal constant BORROW_1S = 10;

    uint256 internal id;

    function setUp() public override {
        super.setUp();
        id = _openStandardLong(); // alice long 1 ETH at 3,000 with 600 USD
        fund(alice, 200_000 * USD);
        fund(bob, 1_000 * USD);
    }

    function _request(uint256 positionId, uint256 sizeDelta, uint256 collateralDelta, uint256 bound) internal {
        vm.prank(engine.position(positionId).owner);
        engine.requestIncrease(positionId, sizeDelta, collateralDelta, bound, _deadline(), FEE);
    }

    /// @dev Requests an increase bounded by `price`, then executes it at a new round at `price`.
    function _increaseAt(uint256 positionId, uint256 sizeDelta, uint256 collateralDelta, uint256 price) internal {
        _request(positionId, sizeDelta, collateralDelta, price);
        _publish(price);
        _execute(positionId);
    }

    function _assertRequestReverts(
        address caller,
        uint256 positionId,
        uint256 sizeDelta,
        uint256 collateralDelta,
        uint256 deadline,
        uint256 fee,
        bytes memory err
    ) internal {
        Snapshot memory before = _snapshot(positionId);
        vm.expectRevert(err);
        vm.prank(caller);
        engine.requestIncrease(positionId, sizeDelta, collateralDelta, type(uint128).max, deadline, fee);
        _assertUnchanged(before, positionId);
    }

    /// @dev Executes the pending increase of `positionId` at a new round at `price` and expects it cancelled for
    /// `reason`: the position is as it was, `refund` went back to the owner, `executorFee` to the keeper, and the
    /// vault holds the position's collateral and keeper reserve again.
    function _assertIncreaseCancelled(
        uint256 positionId,
        uint256 price,
        CancelReason reason,
        uint256 refund,
        uint256 executorFee
    ) internal {
        Snapshot memory before = _snapshot(positionId);
        uint256 ownerBefore = usd.balanceOf(before.position.owner);
        _publish(price);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(positionId, OrderKind.Increase, reason, keeper, refund, executorFee);
        _execute(positionId);

        _assertPosition(engine.position(positionId), before.position);
        assertEq(usd.balanceOf(before.position.owner), ownerBefore + refund, "owner refund");
        assertEq(usd.balanceOf(keeper), before.keeper + executorFee, "executor fee");
        assertEq(usd.balanceOf(address(pool)), before.pool, "pool untouched");
        assertEq(vaultBalance(positionId), before.vault - refund - executorFee, "escrow released");
        assertEq(
            vaultBalance(positionId),
            uint256(before.position.collateral) + before.position.keeperReserve,
            "vault = collateral + keeper reserve"
        );
        (Order memory o, ) = engine.orders(positionId);
        assertEq(uint8(o.kind), uint8(OrderKind.None), "order left");
        _assertSide(engine.sideState(ETH, true), before.ethLong, "eth long");
        _assertSide(engine.sideState(ETH, false), before.ethShort, "eth short");
        assertEq(engine.totalReserved(), before.totalReserved, "totalReserved");
        assertEq(engine.totalEntryNotional(), before.totalEntryNotional, "totalEntryNotional");
    }

    // ------------------------------------------------------------ request

    function test_requestIncrease_escrowsCollateralAndFeeAndChangesNothingElse() public {
        Snapshot memory before = _snapshot(id);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderRequested(
            id,
            alice,
            ETH,
            OrderKind.Increase,
            true,
            0.5e18,
            100 * USD,
            3_300e18,
            block.timestamp + MAX_ORDER_WAIT,
            FEE,
            3, // the round the open executed at
            alice
        );
        _request(id, 0.5e18, 100 * USD, 3_300e18);

        (Order memory o, ) = engine.orders(id);
        _assertOrder(
            o,
            Order({
                kind: OrderKind.Increase,
                roundId: 3,
                requestedAt: uint40(block.timestamp),
                deadline: uint40(block.timestamp + MAX_ORDER_WAIT),
                executionFee: uint88(FEE),
                sizeDelta: 0.5e18,
                acceptablePrice: 3_300e18,
                receiver: alice,
                collateralDelta: uint96(100 * USD)
            }),
            "order"
        );
        _assertPosition(engine.position(id), before.position);
        assertEq(vaultBalance(id), before.vault + 100 * USD + FEE, "escrow on top of collateral and reserve");
        assertEq(usd.balanceOf(alice), before.alice - 100 * USD - FEE);
        // The escrow is not collateral: the side's sums do not move.
        _assertSide(engine.sideState(ETH, true), before.ethLong, "eth long");
        _assertSideMargin(engine.sideState(ETH, true), 600 * USD, 3_000 * USD, "eth long");
        assertEq(engine.totalReserved(), before.totalReserved);
    }

    // ------------------------------------------------------------ request rejections

    function test_requestIncrease_revertsWhen_sizeDeltaIsZero() public {
        _assertRequestReverts(
            alice,
            id,
            0,
            100 * USD,
            _deadline(),
            FEE,
            abi.encodeWithSelector(IMarginEngineBase.ZeroSize.selector)
        );
    }

    function test_requestIncrease_revertsWhen_deadlineIsNow() public {
        _assertRequestReverts(
            alice,
            id,
            0.1e18,
            0,
            block.timestamp,
            FEE,
            abi.encodeWithSelector(IMarginEngineBase.DeadlineExpired.selector, block.timestamp, block.timestamp)
        );
    }

    function test_requestIncrease_revertsWhen_deadlinePassed() public {
        uint256 deadline = block.timestamp - 1;
        _assertRequestReverts(
            alice,
            id,
            0.1e18,
            0,
            deadline,
            FEE,
            abi.encodeWithSelector(IMarginEngineBase.DeadlineExpired.selector, deadline, block.timestamp)
        );
    }

    function test_requestIncrease_revertsWhen_executionFeeBelowMinimum() public {
        GlobalParams memory g = defaultGlobalParams();
        g.minExecutionFee = uint80(2 * USD);
        _setGlobal(g);
        _assertRequestReverts(
            alice,
            id,
            0.1e18,
            0,
            _deadline(),
            2 * USD - 1,
            abi.encodeWithSelector(IMarginEngineBase.ExecutionFeeTooLow.selector, 2 * USD - 1, 2 * USD)
        );
    }

    function test_requestIncrease_revertsWhen_positionUnknown() public {
        _assertRequestReverts(
            alice,
            99,
            0.1e18,
            0,
            _deadline(),
            FEE,
            abi.encodeWithSelector(IMarginEngineBase.UnknownPosition.selector, 99)
        );
    }

    function test_requestIncrease_revertsWhen_callerNotOwner() public {
        _assertRequestReverts(
            bob,
            id,
            0.1e18,
            0,
            _deadline(),
            FEE,
            abi.encodeWithSelector(IMarginEngineBase.NotPositionOwner.selector, id, bob)
        );
    }

    function test_requestIncrease_revertsWhen_openOrderStillPending() public {
        uint256 pending = requestOpen(alice, ETH, true, 1e18, 603 * USD);
        _assertRequestReverts(
            alice,
            pending,
            0.1e18,
            0,
            _deadline(),
            FEE,
            abi.encodeWithSelector(IMarginEngineBase.PositionNotOpen.selector, pending)
        );
    }

    function test_requestIncrease_revertsWhen_orderPending() public {
        _request(id, 0.1e18, 0, type(uint128).max);
        _assertRequestReverts(
            alice,
            id,
            0.1e18,
            0,
            _deadline(),
            FEE,
            abi.encodeWithSelector(IMarginEngineBase.OrderPending.selector, id)
        );
    }

    /// @dev Nothing may be requested behind a pending close: it would execute after the position is gone.
    function test_requestIncrease_revertsWhen_closePending() public {
        vm.prank(alice);
        engine.requestClose(id, 0, _deadline(), FEE, alice);
        _assertRequestReverts(
            alice,
            id,
            0.1e18,
            0,
            _deadline(),
            FEE,
            abi.encodeWithSelector(IMarginEngineBase.ClosePending.selector, id)
        );
    }

    function test_requestIncrease_revertsWhen_paused() public {
        _pause();
        _assertRequestReverts(
            alice,
            id,
            0.1e18,
            0,
            _deadline(),
            FEE,
            abi.encodeWithSelector(IMarginEngineBase.Paused.selector)
        );
    }

    function test_requestIncrease_revertsWhen_marketInSettlement() public {
        _settleEth();
        _assertRequestReverts(
            alice,
            id,
            0.1e18,
            0,
            _deadline(),
            FEE,
            abi.encodeWithSelector(IMarginEngineBase.MarketInSettlement.selector, ETH)
        );
    }

    function test_requestIncrease_revertsWhen_tokenTakesATransferFee() public {
        FeeSystem memory s = _deployFeeSystem();
        vm.prank(alice);
        uint256 feeId = s.engine.requestOpen(ETH, true, 1e18, 603 * USD, type(uint128).max, block.timestamp + 60, 0);
        _publish(ETH_PRICE);
        s.engine.executeOrder(feeId);
        s.token.setFeeBps(100);
        Position memory before = s.engine.position(feeId);
        uint256 vaultBefore = s.token.balanceOf(before.vault);
        // 101 USD sent (collateral and fee), 99.99 USD arrive.
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.FeeOnTransferToken.selector, 101 * USD, 99_990_000));
        vm.prank(alice);
        s.engine.requestIncrease(feeId, 0.1e18, 100 * USD, type(uint128).max, block.timestamp + 60, FEE);
        _assertPosition(s.engine.position(feeId), before);
        assertEq(s.token.balanceOf(before.vault), vaultBefore);
        (Order memory o, ) = s.engine.orders(feeId);
        assertEq(uint8(o.kind), uint8(OrderKind.None));
    }

    // ------------------------------------------------------------ execution

    /// @dev The borrow fee is owed up to the execution block (an hour after the request here), not the request.
    function test_executeIncrease_long_settlesBorrowFeeToTheExecutionBlockAndAveragesEntry() public {
        _request(id, 0.5e18, 100 * USD, 3_300e18);
        uint256 aliceBefore = usd.balanceOf(alice);
        vm.warp(block.timestamp + 1 hours - 1);
        _publish(3_300e18);

        // Borrow fee: 3,000 USD × 3,170,979,198 × 3,600 / 1e18 = 0.0342465753384 USD → 0.034247 USD (up).
        // Opening fee: 0.1 % × 0.5 × 3,300 = 1.65 USD. Both from the collateral: 600 + 100 − 1.684247.
        // Entry: (3,000 + 1,650) / 1.5 = 3,100. Cap: 3,000 at open + min(9 × 100, 100 % × 1,650) = 3,900 USD.
        uint256 fees = 34_247 + 1_650_000;
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionIncreased(
            id,
            0.5e18,
            100 * USD,
            3_300e18,
            1.5e18,
            3_100e18,
            698_315_753,
            fees,
            3_900 * USD
        );
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderExecuted(id, OrderKind.Increase, keeper, 4, 3_300e18, FEE);
        _execute(id);

        _assertPosition(
            engine.position(id),
            Position({
                owner: alice,
                collateral: 698_315_753,
                size: 1.5e18,
                entryPrice: 3_100e18,
                borrowIndex: uint96(engine.borrowIndex(ETH, true)),
                maxProfit: uint96(3_900 * USD),
                marketId: uint16(ETH),
                isLong: true,
                vault: engine.vaultOf(id),
                keeperReserve: uint96(KEEPER_RESERVE)
            })
        );
        assertEq(vaultBalance(id), 698_315_753 + KEEPER_RESERVE, "vault = collateral + reserve");
        assertEq(usd.balanceOf(alice), aliceBefore, "nothing more asked of the trader");
        assertEq(usd.balanceOf(keeper), FEE, "executor paid");
        assertEq(usd.balanceOf(address(pool)), POOL_LIQUIDITY + 3 * USD + fees);
        _assertSide(engine.sideState(ETH, true), _side(1.5e18, 4_650e18), "eth long");
        _assertSideMargin(engine.sideState(ETH, true), 698_315_753, 3_900 * USD, "eth long");
        _assertSide(engine.sideState(ETH, false), _side(0, 0), "eth short");
        assertEq(engine.totalReserved(), 3_900 * USD);
        assertEq(engine.totalEntryNotional(), 4_650e18);
        assertEq(_borrowFee(1e18, 3_000e18, RATE * 1 hours), 34_247);
    }

    function test_executeIncrease_short_averagesEntryDown() public {
        uint256 shortId = openPosition(bob, ETH, false, 1e18, 600 * USD);
        uint256 price = 2_900.12345678e18;
        _request(shortId, 0.3e18, 0, price);
        uint256 bobBefore = usd.balanceOf(bob);
        uint256 poolBefore = usd.balanceOf(address(pool));
        _publish(price);

        // Entry: (3,000 + 0.3 × 2,900.12345678) / 1.3 = 2,976.951566949230769230|769… → rounded down for a short.
        // Fees: 0.1 % × 870.037037034 = 0.870037037034 → 0.870038 USD, and one second of borrow fee: 0.870048 USD.
        uint256 newEntry = 2_976.951566949230769230e18;
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionIncreased(
            shortId,
            0.3e18,
            0,
            price,
            1.3e18,
            newEntry,
            599_129_952,
            870_048,
            3_000 * USD
        );
        _execute(shortId);

        Position memory p = engine.position(shortId);
        assertEq(p.entryPrice, newEntry);
        assertEq(p.size, 1.3e18);
        assertEq(p.collateral, 599_129_952);
        // min(9 × 600, 100 % × 3,000) at open; no collateral added brings no cap.
        assertEq(p.maxProfit, 3_000 * USD);
        assertEq(usd.balanceOf(bob), bobBefore, "no collateral pulled");
        assertEq(usd.balanceOf(address(pool)), poolBefore + 870_048);
        assertEq(vaultBalance(shortId), 599_129_952 + KEEPER_RESERVE);
        // 1.3 × 2,976.951566949230769230 = 3,870.037037033999999999 (exact), the short side's new entry notional.
        _assertSide(engine.sideState(ETH, false), _side(1.3e18, 3_870.037037033999999999e18), "eth short");
        assertEq(engine.totalEntryNotional(), 3_000e18 + 3_870.037037033999999999e18);
    }

    function test_executeIncrease_long_averagesEntryUp() public {
        _increaseAt(id, 0.5e18, 100 * USD, 2_800e18);
        // (3,000 + 1,400) / 1.5 = 2,933.333…3|33 → rounded up for a long.
        assertEq(engine.position(id).entryPrice, 2_933.333333333333333334e18);
    }

    /// @dev 2 ETH at 3,000 need exactly 600 USD: the collateral added pays the 3 USD opening fee and one second of
    /// borrow fee, so 600 USD are left.
    function test_executeIncrease_acceptsEquityEqualToInitialMargin() public {
        _increaseAt(id, 1e18, 3 * USD + BORROW_1S, ETH_PRICE);
        assertEq(engine.position(id).size, 2e18);
        assertEq(engine.position(id).collateral, 600 * USD);
        assertEq(engine.totalEntryNotional(), 6_000e18);
    }

    /// @dev One unit less than the fees leaves 599.999999 USD, one unit short of the initial margin.
    function test_executeIncrease_equityOneUnitBelowInitialMargin_cancelsAndPaysTheExecutor() public {
        _request(id, 1e18, 3 * USD + BORROW_1S - 1, type(uint128).max);
        _assertIncreaseCancelled(id, ETH_PRICE, CancelReason.Margin, 3 * USD + BORROW_1S - 1, FEE);
    }

    function test_executeIncrease_acceptsBoundEqualToRoundPrice() public {
        uint256 shortId = openPosition(bob, ETH, false, 1e18, 600 * USD);
        _request(id, 0.1e18, 0, ETH_PRICE);
        _request(shortId, 0.1e18, 0, ETH_PRICE);
        _publish(ETH_PRICE);
        _execute(id);
        _execute(shortId);
        assertEq(engine.position(id).size, 1.1e18);
        assertEq(engine.position(shortId).size, 1.1e18);
    }

    /// @dev Rule 9 (sticky cap): an increase adds min(maxProfitRatio × its collateral, 100 % × its notional); margin
    /// added earlier never counts (recomputed from all the collateral and size, the cap would be 4,500 USD).
    function test_executeIncrease_raisesTheCapOnlyByWhatTheIncreaseBrings() public {
        uint256 small = openPosition(alice, ETH, true, 1e18, 300 * USD); // cap min(9 × 300, 3,000) = 2,700 USD
        vm.prank(alice);
        engine.addMargin(small, 300 * USD);
        assertEq(engine.position(small).maxProfit, 2_700 * USD, "addMargin raised the cap");

        _increaseAt(small, 0.5e18, 30 * USD, ETH_PRICE);
        // + min(9 × 30, 100 % × 1,500) = 270 USD.
        assertEq(engine.position(small).maxProfit, 2_970 * USD);
        assertEq(engine.totalReserved(), 3_000 * USD + 2_970 * USD);

        _increaseAt(small, 0.01e18, 1_000 * USD, ETH_PRICE);
        // + min(9 × 1,000, 100 % × 30) = 30 USD: the notional it brings bounds it.
        assertEq(engine.position(small).maxProfit, 3_000 * USD);
        assertEq(engine.totalReserved(), 3_000 * USD + 3_000 * USD);
        // 600 + 300 + 30 + 1,000 USD in, less 1.5 USD + 10 units and 0.03 USD + 15 units of fees.
        assertEq(engine.position(small).collateral, 1_628_469_975);
        _assertSideMargin(engine.sideState(ETH, true), 600 * USD + 1_628_469_975, 6_000 * USD, "eth long");
    }

    /// @dev Rule 9: an increase while pnl > cap sets the entry so that pnl at the execution price is the old cap:
    /// e' = P − cap / size', the offset rounded down (a higher entry is worse for a long). Profit beyond the cap
    /// (here 500 USD) is never carried into the larger position.
    function test_executeIncrease_long_abovePnlCap_resetsEntrySoPnlEqualsTheOldCap() public {
        _request(id, 0.3e18, 300 * USD, 6_500e18);
        _publish(6_500e18); // pnl 3,500 USD > cap 3,000 USD
        // 3,000 / 1.3 = 2,307.692307692307692307|69… → 2,307.692307692307692307 (down);
        // e' = 6,500 − 2,307.692307692307692307 = 4,192.307692307692307693.
        // Cap: 3,000 + min(9 × 300, 100 % × 0.3 × 6,500) = 4,950 USD. Fees: 0.1 % × 1,950 = 1.95 USD and one second
        // of borrow fee. Collateral 900 − 1.95001 = 898.04999 USD (above the 845 USD of initial margin at 6,500).
        uint256 newEntry = 4_192.307692307692307693e18;
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionIncreased(
            id,
            0.3e18,
            300 * USD,
            6_500e18,
            1.3e18,
            newEntry,
            898_049_990,
            1_950_000 + BORROW_1S,
            4_950 * USD
        );
        _execute(id);

        Position memory p = engine.position(id);
        assertEq(p.entryPrice, newEntry);
        assertEq(p.maxProfit, 4_950 * USD);
        // 1.3 × 2,307.692307692307692307 = 2,999.9999999999999999991 USD → 2,999.999999 USD: the old cap, less the
        // rounding, which goes against the trader.
        assertEq(_pnl(true, p.size, p.entryPrice, 6_500e18, p.maxProfit), 2_999_999_999);
        // 1.3 × 4,192.307692307692307693 = 5,450.0000000000000000009 → rounded up.
        _assertSide(engine.sideState(ETH, true), _side(1.3e18, 5_450.000000000000000001e18), "eth long");
        assertEq(engine.totalReserved(), 4_950 * USD);
    }

    /// @dev The same for a short: e' = P + cap / size', the offset rounded down (a higher entry is better for a
    /// short).
    function test_executeIncrease_short_abovePnlCap_resetsEntrySoPnlEqualsTheOldCap() public {
        MarketParams memory m = _params(ETH);
        m.maxProfitRatio = 0.1e18;
        _setMarket(ETH, m);
        uint256 shortId = openPosition(bob, ETH, false, 1e18, 600 * USD); // cap min(0.1 × 600, 3,000) = 60 USD
        _request(shortId, 0.3e18, 0, 2_900e18);
        _publish(2_900e18); // pnl 100 USD > cap 60 USD
        // 60 / 1.3 = 46.153846153846153846|15… → 46.153846153846153846 (down); e' = 2,946.153846153846153846.
        // No collateral added: the cap stays 60 USD. Fees: 0.1 % × 0.3 × 2,900 = 0.87 USD and 10 units.
        uint256 newEntry = 2_946.153846153846153846e18;
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionIncreased(
            shortId,
            0.3e18,
            0,
            2_900e18,
            1.3e18,
            newEntry,
            599_129_990,
            870_000 + BORROW_1S,
            60 * USD
        );
        _execute(shortId);

        Position memory p = engine.position(shortId);
        assertEq(p.entryPrice, newEntry);
        assertEq(p.maxProfit, 60 * USD);
        // 1.3 × 46.153846153846153846 = 59.9999999999999999998 USD → 59.999999 USD.
        assertEq(_pnl(false, p.size, p.entryPrice, 2_900e18, type(uint256).max), 59_999_999);
        // 1.3 × 2,946.153846153846153846 = 3,829.9999999999999999998 → rounded up to 3,830.
        _assertSide(engine.sideState(ETH, false), _side(1.3e18, 3_830e18), "eth short");
    }

    /// @dev At pnl exactly equal to the cap the weighted average applies (nothing is forfeited).
    function test_executeIncrease_atPnlEqualToCap_averagesEntry() public {
        // 304 USD added: 904 − 3.00001 USD of fees keeps the 900 USD of initial margin at 6,000.
        _increaseAt(id, 0.5e18, 304 * USD, 6_000e18); // pnl 3,000 USD = cap
        // (3,000 + 3,000) / 1.5 = 4,000.
        assertEq(engine.position(id).entryPrice, 4_000e18);
    }

    // ------------------------------------------------------------ execution failures

    function test_executeIncrease_priceAboveBoundForLong_cancelsAndPaysTheExecutor() public {
        _request(id, 0.1e18, 50 * USD, ETH_PRICE);
        _assertIncreaseCancelled(id, ETH_PRICE + 1e10, CancelReason.PriceBound, 50 * USD, FEE);
    }

    function test_executeIncrease_priceBelowBoundForShort_cancelsAndPaysTheExecutor() public {
        uint256 shortId = openPosition(bob, ETH, false, 1e18, 600 * USD);
        _request(shortId, 0.1e18, 50 * USD, ETH_PRICE);
        _assertIncreaseCancelled(shortId, ETH_PRICE - 1e10, CancelReason.PriceBound, 50 * USD, FEE);
    }

    function test_executeIncrease_leverageAboveMaximum_cancelsAndPaysTheExecutor() public {
        // 2.01 ETH at 3,000 need 603 USD; 600 − 3.03 − 0.00001 USD of fees are left.
        _request(id, 1.01e18, 0, type(uint128).max);
        _assertIncreaseCancelled(id, ETH_PRICE, CancelReason.Margin, 0, FEE);
    }

    function test_executeIncrease_lossLeavesTooLittleMargin_cancelsAndPaysTheExecutor() public {
        // New entry 2,933.333333333333333334; loss of 1.5 × 133.333333333333333334 = 200.000000000000000001 USD
        // → 200.000001 USD (up): equity 600 − 1.40001 − 200.000001 = 398.599989 USD < 10 % × 1.5 × 2,800 = 420 USD.
        _request(id, 0.5e18, 0, type(uint128).max);
        _assertIncreaseCancelled(id, 2_800e18, CancelReason.Margin, 0, FEE);
    }

    function test_executeIncrease_onlyUnrealisedProfitWouldCoverMargin_cancelsAndPaysTheExecutor() public {
        // 600 USD of unrealised profit at 3,600 is not margin: equity 600 − 3.60001 < 10 % × 2 × 3,600 = 720.
        _request(id, 1e18, 0, type(uint128).max);
        _assertIncreaseCancelled(id, 3_600e18, CancelReason.Margin, 0, FEE);
    }

    function test_executeIncrease_notionalBelowMinimum_cancelsAndPaysTheExecutor() public {
        // 20 USD of collateral keeps the minimum collateral and initial margin: only the notional fails.
        uint256 small = openPosition(bob, ETH, true, 0.004e18, 20 * USD); // 12 USD
        _request(small, 0.0005e18, 0, type(uint128).max);
        // 0.0045 ETH at 2,000 = 9 USD < 10 USD.
        _assertIncreaseCancelled(small, 2_000e18, CancelReason.Margin, 0, FEE);
    }

    function test_executeIncrease_openInterestCapExceeded_cancelsWithAFullRefund() public {
        MarketParams memory p = _params(ETH);
        p.maxOpenInterestLong = 4_000e18;
        _setMarket(ETH, p);
        _request(id, 0.5e18, 10 * USD, type(uint128).max); // 4,500 USD
        _assertIncreaseCancelled(id, ETH_PRICE, CancelReason.Capacity, 10 * USD + FEE, 0);
    }

    function test_executeIncrease_utilizationCapExceeded_cancelsWithAFullRefund() public {
        GlobalParams memory g = defaultGlobalParams();
        g.maxUtilization = 0.01e18;
        _setGlobal(g);
        // Cap: 1 % of the pool's 1,000,003 USD = 10,000.03 USD; 4 ETH are 12,000 USD.
        _request(id, 3e18, 1_000 * USD, type(uint128).max);
        _assertIncreaseCancelled(id, ETH_PRICE, CancelReason.Capacity, 1_000 * USD + FEE, 0);
    }

    function test_executeIncrease_poolCannotReserveMaxProfit_cancelsWithAFullRefund() public {
        // Cap 3,000 + min(9 × 120,000, 100 % × 340 × 3,000) = 1,023,000 USD > the pool's 1,000,003 USD.
        _request(id, 340e18, 120_000 * USD, type(uint128).max);
        _assertIncreaseCancelled(id, ETH_PRICE, CancelReason.Capacity, 120_000 * USD + FEE, 0);
    }

    function test_executeIncrease_pausedAfterTheRequest_cancelsWithAFullRefund() public {
        _request(id, 0.1e18, 50 * USD, type(uint128).max);
        _pause();
        _assertIncreaseCancelled(id, ETH_PRICE, CancelReason.Paused, 50 * USD + FEE, 0);
    }

    function test_executeIncrease_marketSettledAfterTheRequest_cancelsWithAFullRefund() public {
        _request(id, 0.1e18, 50 * USD, type(uint128).max);
        _settleEth();
        Position memory before = engine.position(id);
        uint256 aliceBefore = usd.balanceOf(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Increase, CancelReason.Paused, keeper, 50 * USD + FEE, 0);
        _execute(id);
        _assertPosition(engine.position(id), before);
        assertEq(usd.balanceOf(alice), aliceBefore + 50 * USD + FEE);
        assertEq(vaultBalance(id), 600 * USD + KEEPER_RESERVE);
    }
}

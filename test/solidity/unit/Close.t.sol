// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IInsuranceFund} from "../../../contracts/interfaces/IInsuranceFund.sol";
import {
    CancelReason,
    IMarginEngineBase,
    Order,
    OrderKind,
    Position
} from "../../../contracts/interfaces/IMarginEngine.sol";
import {GlobalParams, MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {UnitBase} from "./UnitBase.sol";

/// @dev `requestClose` and the execution of close orders. The request escrows the execution fee only; the execution
/// closes at the round's answer with the liquidation split without keeper fee or penalty (rule 7): collateral and
/// keeper reserve, plus pnl, less fees, to the receiver the owner named; a deficit is bad debt, an unpaid closing fee
/// is not.
contract CloseTest is UnitBase {
    uint256 internal constant FEE = 1 * USD;
    /// @dev Borrow fee of 1 ETH entered at 3,000 over one second: 3,000 × 3,170,979,198 / 1e18 USD → 10 units (up).
    uint256 internal constant BORROW_1S = 10;

    function _request(uint256 positionId, uint256 bound, address receiver) internal {
        address owner = engine.position(positionId).owner;
        fund(owner, FEE);
        vm.prank(owner);
        engine.requestClose(positionId, bound, _deadline(), FEE, receiver);
    }

    function _assertRequestReverts(
        address caller,
        uint256 positionId,
        uint256 deadline,
        uint256 fee,
        address receiver,
        bytes memory err
    ) internal {
        fund(caller, fee);
        Snapshot memory before = _snapshot(positionId);
        vm.expectRevert(err);
        vm.prank(caller);
        engine.requestClose(positionId, 0, deadline, fee, receiver);
        _assertUnchanged(before, positionId);
    }

    function _assertNothingOpen() internal view {
        _assertSide(engine.sideState(ETH, true), _side(0, 0), "eth long");
        _assertSide(engine.sideState(ETH, false), _side(0, 0), "eth short");
        _assertSideMargin(engine.sideState(ETH, true), 0, 0, "eth long");
        _assertSideMargin(engine.sideState(ETH, false), 0, 0, "eth short");
        assertEq(engine.totalReserved(), 0, "totalReserved");
        assertEq(engine.totalEntryNotional(), 0, "totalEntryNotional");
    }

    /// @dev alice long 1 ETH at 3,000 with 310 USD, and a close requested now that executes at `price` while the
    /// latest answer, a second later, is back at 3,000: the position is healthy at the latest price (so it is not
    /// liquidated first, rule 3) but the close trades at its round's answer, where it has bad debt.
    function _closeUnderwater(uint256 price) internal returns (uint256 id, address vault) {
        id = _open(alice, true, 1e18, 310 * USD);
        vault = engine.vaultOf(id);
        _request(id, 0, alice);
        _publish(price);
        _publish(ETH_PRICE);
    }

    // ------------------------------------------------------------ request

    function test_requestClose_escrowsTheFeeOnly() public {
        uint256 id = _openStandardLong();
        Snapshot memory before = _snapshot(id);
        fund(alice, FEE);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderRequested(
            id,
            alice,
            ETH,
            OrderKind.Close,
            true,
            0,
            0,
            2_900e18,
            block.timestamp + MAX_ORDER_WAIT,
            FEE,
            3,
            bob
        );
        vm.prank(alice);
        engine.requestClose(id, 2_900e18, _deadline(), FEE, bob);

        (Order memory o, Order memory c) = engine.orders(id);
        assertEq(uint8(o.kind), uint8(OrderKind.None), "no order");
        assertEq(uint8(c.kind), uint8(OrderKind.Close));
        assertEq(c.receiver, bob);
        assertEq(c.executionFee, FEE);
        assertEq(c.acceptablePrice, 2_900e18);
        _assertPosition(engine.position(id), before.position);
        assertEq(vaultBalance(id), before.vault + FEE);
        _assertSide(engine.sideState(ETH, true), before.ethLong, "eth long");
        assertEq(engine.totalReserved(), before.totalReserved);
    }

    // ------------------------------------------------------------ request rejections

    function test_requestClose_revertsWhen_receiverIsZero() public {
        uint256 id = _openStandardLong();
        _assertRequestReverts(
            alice,
            id,
            _deadline(),
            FEE,
            address(0),
            abi.encodeWithSelector(IMarginEngineBase.ZeroReceiver.selector)
        );
    }

    function test_requestClose_revertsWhen_deadlineIsNow() public {
        uint256 id = _openStandardLong();
        _assertRequestReverts(
            alice,
            id,
            block.timestamp,
            FEE,
            alice,
            abi.encodeWithSelector(IMarginEngineBase.DeadlineExpired.selector, block.timestamp, block.timestamp)
        );
    }

    function test_requestClose_revertsWhen_deadlinePassed() public {
        uint256 id = _openStandardLong();
        uint256 deadline = block.timestamp - 1;
        _assertRequestReverts(
            alice,
            id,
            deadline,
            FEE,
            alice,
            abi.encodeWithSelector(IMarginEngineBase.DeadlineExpired.selector, deadline, block.timestamp)
        );
    }

    function test_requestClose_revertsWhen_executionFeeBelowMinimum() public {
        uint256 id = _openStandardLong();
        GlobalParams memory g = defaultGlobalParams();
        g.minExecutionFee = uint80(2 * USD);
        _setGlobal(g);
        _assertRequestReverts(
            alice,
            id,
            _deadline(),
            2 * USD - 1,
            alice,
            abi.encodeWithSelector(IMarginEngineBase.ExecutionFeeTooLow.selector, 2 * USD - 1, 2 * USD)
        );
    }

    function test_requestClose_revertsWhen_positionUnknown() public {
        _assertRequestReverts(
            alice,
            99,
            _deadline(),
            FEE,
            alice,
            abi.encodeWithSelector(IMarginEngineBase.UnknownPosition.selector, 99)
        );
    }

    function test_requestClose_revertsWhen_alreadyClosed() public {
        uint256 id = _openStandardLong();
        closePosition(id, alice);
        _assertRequestReverts(
            alice,
            id,
            _deadline(),
            FEE,
            alice,
            abi.encodeWithSelector(IMarginEngineBase.UnknownPosition.selector, id)
        );
    }

    function test_requestClose_revertsWhen_callerNotOwner() public {
        uint256 id = _openStandardLong();
        _assertRequestReverts(
            bob,
            id,
            _deadline(),
            FEE,
            bob,
            abi.encodeWithSelector(IMarginEngineBase.NotPositionOwner.selector, id, bob)
        );
    }

    function test_requestClose_revertsWhen_openOrderStillPending() public {
        uint256 pending = requestOpen(alice, ETH, true, 1e18, 603 * USD);
        _assertRequestReverts(
            alice,
            pending,
            _deadline(),
            FEE,
            alice,
            abi.encodeWithSelector(IMarginEngineBase.PositionNotOpen.selector, pending)
        );
    }

    function test_requestClose_revertsWhen_closePending() public {
        uint256 id = _openStandardLong();
        _request(id, 0, alice);
        _assertRequestReverts(
            alice,
            id,
            _deadline(),
            FEE,
            alice,
            abi.encodeWithSelector(IMarginEngineBase.ClosePending.selector, id)
        );
    }

    function test_requestClose_revertsWhen_tokenTakesATransferFee() public {
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
        s.engine.requestClose(feeId, 0, block.timestamp + 60, FEE, alice);
        _assertPosition(s.engine.position(feeId), before);
        assertEq(s.token.balanceOf(before.vault), vaultBefore);
        (, Order memory c) = s.engine.orders(feeId);
        assertEq(uint8(c.kind), uint8(OrderKind.None));
    }

    // ------------------------------------------------------------ execution

    function test_executeClose_inProfit_paysTheReceiverCollateralReserveAndPnl() public {
        uint256 id = _openStandardLong();
        address vault = engine.vaultOf(id);
        _request(id, 3_300e18, bob);
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 poolBefore = usd.balanceOf(address(pool));
        vm.warp(block.timestamp + 1 hours - 1);
        _publish(3_300e18);

        // pnl 300 USD; fees: 1 h of borrow fee 0.034247 USD + 0.1 % × 3,300 = 3.3 USD → 3.334247 USD.
        // Payout: collateral and keeper reserve (605 USD) + 296.665753 USD from the pool, to bob.
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionClosed(id, alice, 3_300e18, 300e6, 3_334_247, 901_665_753, 0, bob);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderExecuted(id, OrderKind.Close, keeper, 4, 3_300e18, FEE);
        _execute(id);

        _assertDeleted(id);
        assertEq(usd.balanceOf(vault), 0, "vault emptied");
        assertEq(engine.vaultOf(id), address(0));
        assertEq(engine.freeVaultCount(), 1, "vault freed");
        assertEq(usd.balanceOf(bob), 901_665_753, "the receiver is paid");
        assertEq(usd.balanceOf(alice), aliceBefore, "the owner is not");
        assertEq(usd.balanceOf(keeper), FEE, "executor paid");
        assertEq(usd.balanceOf(address(pool)), poolBefore - 296_665_753);
        assertEq(usd.balanceOf(address(insurance)), 0);
        (, Order memory c) = engine.orders(id);
        assertEq(uint8(c.kind), uint8(OrderKind.None));
        _assertNothingOpen();
    }

    function test_executeClose_inLoss_vaultPaysLossAndFeesToPool() public {
        uint256 id = _openStandardShort();
        _request(id, 3_100e18, alice);
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 poolBefore = usd.balanceOf(address(pool));
        _publish(3_100e18);

        // pnl −100 USD, fees 3.1 USD + 10 units: 103.10001 USD to the pool, 605 − 103.10001 = 501.89999 USD back.
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionClosed(id, alice, 3_100e18, -100e6, 3_100_010, 501_899_990, 0, alice);
        _execute(id);

        _assertDeleted(id);
        assertEq(usd.balanceOf(alice), aliceBefore + 501_899_990);
        assertEq(usd.balanceOf(address(pool)), poolBefore + 103_100_010);
        _assertNothingOpen();
    }

    function test_executeClose_roundsLossUpAndGainDown() public {
        uint256 longId = _openStandardLong();
        uint256 shortId = openPosition(bob, ETH, false, 1e18, 600 * USD);
        _request(longId, 0, alice);
        _request(shortId, type(uint128).max, bob);
        _publish(3_000.00000001e18);
        // Long gains 0.00000001 USD → 0 (down); short loses 0.00000001 USD → 0.000001 USD (up).
        // Closing fee 0.1 % × 3,000.00000001 = 3.00000000001 USD → 3.000001 USD (up); borrow fees of 2 s (long,
        // 20 units) and 1 s (short, 10 units).
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionClosed(longId, alice, 3_000.00000001e18, 0, 3_000_021, 601_999_979, 0, alice);
        _execute(longId);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionClosed(shortId, bob, 3_000.00000001e18, -1, 3_000_011, 601_999_988, 0, bob);
        _execute(shortId);
    }

    function test_executeClose_capsProfitAtMaxProfit() public {
        MarketParams memory m = _params(ETH);
        m.maxProfitRatio = 0.1e18;
        _setMarket(ETH, m);
        uint256 id = _openStandardLong(); // cap 60 USD
        _request(id, 0, alice);
        uint256 poolBefore = usd.balanceOf(address(pool));
        _publish(3_300e18);
        // 300 USD of profit capped at 60; fees 3.3 USD + 10 units.
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionClosed(id, alice, 3_300e18, 60e6, 3_300_010, 661_699_990, 0, alice);
        _execute(id);
        assertEq(usd.balanceOf(address(pool)), poolBefore - 56_699_990);
    }

    /// @dev Rule 7: a close with bad debt uses the liquidation split without keeper fee or penalty. It owes 400 USD of
    /// loss and 20 units of borrow fee against 310 USD: the whole collateral goes to the pool, the 90.00002 USD
    /// deficit is bad debt (the 2.6 USD closing fee it cannot pay is not), and the receiver gets the keeper reserve.
    function test_executeClose_badDebt_coveredByInsurance() public {
        usd.mint(address(insurance), 100 * USD);
        (uint256 id, address vault) = _closeUnderwater(2_600e18);
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 poolBefore = usd.balanceOf(address(pool));

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionClosed(id, alice, 2_600e18, -400e6, 20, KEEPER_RESERVE, 90_000_020, alice);
        vm.expectEmit(address(insurance));
        emit IInsuranceFund.BadDebtCovered(90_000_020, 90_000_020);
        _execute(id);

        _assertDeleted(id);
        assertEq(usd.balanceOf(vault), 0);
        assertEq(usd.balanceOf(alice), aliceBefore + KEEPER_RESERVE, "only the keeper reserve comes back");
        assertEq(usd.balanceOf(address(pool)), poolBefore + 400_000_020, "pool made whole for the loss and fee");
        assertEq(usd.balanceOf(address(insurance)), 9_999_980, "no penalty, only the cover");
        assertEq(usd.balanceOf(keeper), FEE, "the executor earns the execution fee only");
        _assertNothingOpen();
    }

    function test_executeClose_badDebt_partlyCoveredByInsurance_poolAbsorbsTheRest() public {
        usd.mint(address(insurance), 50 * USD);
        (uint256 id, ) = _closeUnderwater(2_600e18);
        uint256 poolBefore = usd.balanceOf(address(pool));

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionClosed(id, alice, 2_600e18, -400e6, 20, KEEPER_RESERVE, 90_000_020, alice);
        vm.expectEmit(address(insurance));
        emit IInsuranceFund.BadDebtCovered(50 * USD, 50 * USD);
        _execute(id);

        assertEq(usd.balanceOf(address(pool)), poolBefore + 360 * USD, "40.00002 USD absorbed by the pool");
        assertEq(usd.balanceOf(address(insurance)), 0);
    }

    function test_executeClose_badDebt_withEmptyInsurance_poolAbsorbsAll() public {
        (uint256 id, ) = _closeUnderwater(2_600e18);
        uint256 poolBefore = usd.balanceOf(address(pool));
        uint256 aliceBefore = usd.balanceOf(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionClosed(id, alice, 2_600e18, -400e6, 20, KEEPER_RESERVE, 90_000_020, alice);
        _execute(id);
        assertEq(usd.balanceOf(address(pool)), poolBefore + 310 * USD);
        assertEq(usd.balanceOf(alice), aliceBefore + KEEPER_RESERVE);
        _assertDeleted(id);
    }

    /// @dev Rule 7: equity of 0.99998 USD pays that much of the 2.691 USD closing fee; the unpaid 1.69102 USD is not
    /// bad debt, so the insurance fund pays nothing.
    function test_executeClose_unpaidClosingFee_isNotBadDebt() public {
        usd.mint(address(insurance), 100 * USD);
        (uint256 id, ) = _closeUnderwater(2_691e18);
        uint256 poolBefore = usd.balanceOf(address(pool));
        uint256 aliceBefore = usd.balanceOf(alice);

        // Fees: 20 units of borrow fee + the 0.99998 USD of closing fee paid.
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionClosed(id, alice, 2_691e18, -309e6, 1_000_000, KEEPER_RESERVE, 0, alice);
        _execute(id);

        assertEq(usd.balanceOf(address(pool)), poolBefore + 310 * USD, "the whole collateral");
        assertEq(usd.balanceOf(address(insurance)), 100 * USD, "no cover, no penalty");
        assertEq(usd.balanceOf(alice), aliceBefore + KEEPER_RESERVE);
        _assertDeleted(id);
    }

    function test_executeClose_worksWhilePaused() public {
        uint256 id = _openStandardLong();
        _pause();
        _request(id, 0, alice);
        _publish(ETH_PRICE);
        _execute(id);
        _assertDeleted(id);
    }

    /// @dev A market in settlement closes at once at the settlement price, without a round.
    function test_executeClose_inSettlementAtTheSettlementPrice() public {
        uint256 id = _openStandardLong();
        _settleEth();
        _request(id, 0, alice);
        uint256 aliceBefore = usd.balanceOf(alice);
        // Borrow fee for 3 days + 1 h: 2.5 USD; closing fee 3 USD.
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionClosed(id, alice, ETH_PRICE, 0, 5_500_000, 599_500_000, 0, alice);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderExecuted(id, OrderKind.Close, keeper, 0, ETH_PRICE, FEE);
        _execute(id);
        _assertDeleted(id);
        assertEq(usd.balanceOf(alice), aliceBefore + 599_500_000);
    }

    /// @dev Payouts use recorded amounts only: a donation to the vault is not paid to the owner. It stays in the
    /// vault until the vault is reused, then goes to the insurance fund.
    function test_executeClose_doesNotPayADonationToTheVault() public {
        uint256 id = _openStandardLong();
        address vault = engine.vaultOf(id);
        usd.mint(vault, 7 * USD);
        _request(id, ETH_PRICE, alice);
        uint256 aliceBefore = usd.balanceOf(alice);
        _publish(ETH_PRICE);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionClosed(id, alice, ETH_PRICE, 0, 3 * USD + BORROW_1S, 601_999_990, 0, alice);
        _execute(id);
        assertEq(usd.balanceOf(alice), aliceBefore + 601_999_990);
        assertEq(usd.balanceOf(vault), 7 * USD, "the donation stays");

        uint256 next = requestOpen(bob, ETH, false, 1e18, 603 * USD);
        assertEq(engine.vaultOf(next), vault);
        assertEq(usd.balanceOf(address(insurance)), 7 * USD, "swept on reuse");
    }

    function test_executeClose_acceptsBoundEqualToRoundPrice() public {
        uint256 longId = _openStandardLong();
        uint256 shortId = openPosition(bob, ETH, false, 1e18, 600 * USD);
        _request(longId, ETH_PRICE, alice);
        _request(shortId, ETH_PRICE, bob);
        _publish(ETH_PRICE);
        _execute(longId);
        _execute(shortId);
        _assertDeleted(longId);
        _assertDeleted(shortId);
    }

    function test_executeClose_priceBelowBoundForLong_cancelsAndPaysTheExecutor() public {
        uint256 id = _openStandardLong();
        _request(id, ETH_PRICE, alice);
        Snapshot memory before = _snapshot(id);
        _publish(ETH_PRICE - 1e10);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Close, CancelReason.PriceBound, keeper, 0, FEE);
        _execute(id);
        _assertPosition(engine.position(id), before.position);
        assertEq(vaultBalance(id), before.vault - FEE);
        assertEq(usd.balanceOf(keeper), FEE);
        assertEq(usd.balanceOf(alice), before.alice);
        (, Order memory c) = engine.orders(id);
        assertEq(uint8(c.kind), uint8(OrderKind.None), "close consumed");
        _assertSide(engine.sideState(ETH, true), before.ethLong, "eth long");
    }

    function test_executeClose_priceAboveBoundForShort_cancelsAndPaysTheExecutor() public {
        uint256 id = _openStandardShort();
        _request(id, ETH_PRICE, alice);
        Snapshot memory before = _snapshot(id);
        _publish(ETH_PRICE + 1e10);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Close, CancelReason.PriceBound, keeper, 0, FEE);
        _execute(id);
        _assertPosition(engine.position(id), before.position);
        assertEq(vaultBalance(id), before.vault - FEE);
        assertEq(usd.balanceOf(keeper), FEE);
    }

    function test_executeClose_leavesOtherPositionsUntouched() public {
        uint256 id = _openStandardLong();
        uint256 other = openPosition(bob, ETH, true, 2e18, 1_000 * USD);
        Position memory otherBefore = engine.position(other);
        _request(id, 0, alice);
        _publish(ETH_PRICE);
        _execute(id);
        _assertPosition(engine.position(other), otherBefore);
        assertEq(vaultBalance(other), 1_005 * USD);
        _assertSide(engine.sideState(ETH, true), _side(2e18, 6_000e18), "eth long");
        // bob's cap: min(9 × 1,000, 100 % × 6,000) = 6,000 USD.
        assertEq(engine.totalReserved(), 6_000 * USD);
    }
}

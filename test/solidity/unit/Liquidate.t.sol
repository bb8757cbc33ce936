// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IInsuranceFund} from "../../../contracts/interfaces/IInsuranceFund.sol";
import {
    CancelReason,
    IMarginEngineBase,
    IMarginEngineLiquidation,
    Order,
    OrderKind
} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IOracleErrors} from "../../../contracts/interfaces/IOracleErrors.sol";
import {GlobalParams, MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {UnitBase} from "./UnitBase.sol";

/// @notice liquidate: anyone, instant, at the latest good price, outside grace periods. Pending orders are cancelled
/// and refunded first (rule 7); the split uses recorded amounts only: the keeper gets exactly the recorded keeper
/// reserve plus the liquidation fee, never a donation; bad debt still pays the keeper the reserve.
contract LiquidateTest is UnitBase {
    struct Balances {
        uint256 keeper;
        uint256 insurance;
        uint256 owner;
        uint256 pool;
    }

    function _balances(address owner) internal view returns (Balances memory b) {
        b.keeper = usd.balanceOf(keeper);
        b.insurance = usd.balanceOf(address(insurance));
        b.owner = usd.balanceOf(owner);
        b.pool = usd.balanceOf(address(pool));
    }

    /// @dev Asserts the balance changes of a liquidation; insurance and pool deltas are signed.
    function _assertPaid(
        Balances memory before,
        address owner,
        uint256 keeperReward,
        int256 insuranceDelta,
        uint256 ownerRefund,
        int256 poolDelta
    ) internal view {
        Balances memory a = _balances(owner);
        assertEq(a.keeper, before.keeper + keeperReward, "keeper");
        assertEq(int256(a.insurance) - int256(before.insurance), insuranceDelta, "insurance");
        assertEq(a.owner, before.owner + ownerRefund, "owner");
        assertEq(int256(a.pool) - int256(before.pool), poolDelta, "pool");
    }

    function _liquidate(uint256 positionId) internal {
        vm.prank(keeper);
        engine.liquidate(positionId);
    }

    function _assertLiquidateReverts(uint256 positionId, bytes memory err) internal {
        Snapshot memory before = _snapshot(positionId);
        vm.expectRevert(err);
        vm.prank(keeper);
        engine.liquidate(positionId);
        _assertUnchanged(before, positionId);
    }

    /// @dev The position is gone, its vault (captured before, since `vaultOf` forgets it) emptied and free for reuse,
    /// and no claim waits for it.
    function _assertGone(uint256 positionId, address vault) internal view {
        _assertPosition(engine.position(positionId), _emptyPosition());
        assertEq(engine.vaultOf(positionId), address(0), "vaultOf a gone position");
        assertEq(usd.balanceOf(vault), 0, "vault not emptied");
        assertEq(engine.freeVaultCount(), 1, "vault not freed");
        (Order memory order, Order memory close) = engine.orders(positionId);
        assertEq(uint8(order.kind), uint8(OrderKind.None), "order left");
        assertEq(uint8(close.kind), uint8(OrderKind.None), "close left");
        (address claimOwner, uint256 claimAmount) = engine.claimOf(positionId);
        assertEq(claimOwner, address(0), "claim owner");
        assertEq(claimAmount, 0, "claim");
        assertEq(usd.balanceOf(address(engine)), 0, "the engine holds nothing");
    }

    function _assertNothingOpen() internal view {
        _assertSide(engine.sideState(ETH, true), _side(0, 0), "eth long");
        _assertSide(engine.sideState(ETH, false), _side(0, 0), "eth short");
        _assertSideMargin(engine.sideState(ETH, true), 0, 0, "eth long");
        _assertSideMargin(engine.sideState(ETH, false), 0, 0, "eth short");
        assertEq(engine.totalReserved(), 0, "totalReserved");
        assertEq(engine.totalEntryNotional(), 0, "totalEntryNotional");
    }

    /// @dev alice long 1 ETH at 3,000 with 310 USD: liquidatable from 2,750 down (equity 60 < 137.5 USD).
    function _openWeak() internal returns (uint256 id, address vault) {
        id = _open(alice, true, 1e18, 310 * USD);
        vault = engine.vaultOf(id);
    }

    /// @dev alice requests an increase of 0.1 ETH escrowing 50 USD of collateral and a 1 USD execution fee.
    function _requestIncrease(uint256 id) internal {
        fund(alice, 51 * USD);
        vm.prank(alice);
        engine.requestIncrease(id, 0.1e18, 50 * USD, type(uint128).max, _deadline(), 1 * USD);
    }

    // ------------------------------------------------------------ happy paths

    function test_liquidate_long_splitsTheVault() public {
        (uint256 id, address vault) = _openWeak();
        vm.warp(block.timestamp + 1 hours);
        setPrice(ETH, 2_750e18);
        Balances memory before = _balances(alice);

        // Equity: 310 − 250 − 0.034247 (1 h of borrow fee) = 59.965753 USD < 5 % × 2,750 = 137.5 USD.
        // Closing fee 0.1 % × 2,750 = 2.75 USD to the pool. Keeper: reserve 5 + 1 % × 2,750 = 27.5 → 32.5 USD.
        // Insurance: 1 % × 2,750 = 27.5 USD. Owner: 59.965753 − 2.75 − 55 = 2.215753 USD.
        // Pool: the loss, the borrow fee and the closing fee, 252.784247 USD.
        assertEq(_borrowFee(1e18, ETH_PRICE, RATE * 1 hours), 34_247);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionLiquidated(
            id,
            alice,
            keeper,
            2_750e18,
            32_500_000,
            27_500_000,
            2_215_753,
            0,
            0,
            2_750_000
        );
        _liquidate(id);

        _assertGone(id, vault);
        _assertPaid(before, alice, 32_500_000, int256(27_500_000), 2_215_753, 252_784_247);
        _assertNothingOpen();
    }

    function test_liquidate_short_capsThePenaltyByWhatIsLeft() public {
        uint256 id = _open(alice, false, 1e18, 310 * USD);
        address vault = engine.vaultOf(id);
        setPrice(ETH, 3_250e18);
        Balances memory before = _balances(alice);

        // Equity 310 − 250 = 60 USD < 162.5 USD. Closing fee 3.25 USD, keeper fee 32.5 USD; the penalty's 32.5 USD
        // capped at the 24.25 left.
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionLiquidated(
            id,
            alice,
            keeper,
            3_250e18,
            37_500_000,
            24_250_000,
            0,
            0,
            0,
            3_250_000
        );
        _liquidate(id);

        _assertGone(id, vault);
        _assertPaid(before, alice, 37_500_000, int256(24_250_000), 0, 253_250_000);
        _assertNothingOpen();
    }

    function test_liquidate_capsTheKeeperFeeByWhatIsLeft() public {
        (uint256 id, address vault) = _openWeak();
        setPrice(ETH, 2_700e18);
        Balances memory before = _balances(alice);
        // Equity 10 USD: the 2.7 USD closing fee, then the 27 USD keeper fee capped at the 7.3 left; no penalty,
        // nothing for the owner.
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionLiquidated(id, alice, keeper, 2_700e18, 12_300_000, 0, 0, 0, 0, 2_700_000);
        _liquidate(id);
        _assertPaid(before, alice, 12_300_000, 0, 0, 302_700_000);
        _assertGone(id, vault);
    }

    function test_liquidate_dueToBorrowFeesAlone() public {
        (uint256 id, address vault) = _openWeak();
        _skip(200 days);
        Balances memory before = _balances(alice);
        // 200 days of borrow fee: 3,000 × 0.05479452054144 = 164.38356162432 → 164.383562 USD.
        // Equity 145.616438 USD < 150 USD. Closing fee 3, keeper 5 + 30, insurance 30, owner 82.616438 USD.
        assertEq(_borrowFee(1e18, ETH_PRICE, RATE * 200 days), 164_383_562);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionLiquidated(
            id,
            alice,
            keeper,
            ETH_PRICE,
            35 * USD,
            30 * USD,
            82_616_438,
            0,
            0,
            3 * USD
        );
        _liquidate(id);
        _assertPaid(before, alice, 35 * USD, int256(30 * USD), 82_616_438, 167_383_562);
        _assertGone(id, vault);
    }

    function test_liquidate_badDebt_coveredByInsurance() public {
        (uint256 id, address vault) = _openWeak();
        usd.mint(address(insurance), 100 * USD);
        setPrice(ETH, 2_600e18);
        Balances memory before = _balances(alice);

        // Equity 310 − 400 = −90 USD: the vault's 310 USD to the pool, 90 USD of bad debt from the insurance fund;
        // the keeper still gets the reserve.
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionLiquidated(id, alice, keeper, 2_600e18, 5 * USD, 0, 0, 90 * USD, 90 * USD, 0);
        vm.expectEmit(address(insurance));
        emit IInsuranceFund.BadDebtCovered(90 * USD, 90 * USD);
        _liquidate(id);

        _assertGone(id, vault);
        _assertPaid(before, alice, 5 * USD, -int256(90 * USD), 0, 400 * 1e6);
        _assertNothingOpen();
    }

    function test_liquidate_badDebt_partlyCoveredByInsurance_poolAbsorbsTheRest() public {
        (uint256 id, address vault) = _openWeak();
        usd.mint(address(insurance), 40 * USD);
        setPrice(ETH, 2_600e18);
        Balances memory before = _balances(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionLiquidated(id, alice, keeper, 2_600e18, 5 * USD, 0, 0, 90 * USD, 40 * USD, 0);
        vm.expectEmit(address(insurance));
        emit IInsuranceFund.BadDebtCovered(40 * USD, 40 * USD);
        _liquidate(id);
        _assertPaid(before, alice, 5 * USD, -int256(40 * USD), 0, 350 * 1e6);
        _assertGone(id, vault);
    }

    function test_liquidate_badDebt_withEmptyInsurance_poolAbsorbsAll() public {
        (uint256 id, address vault) = _openWeak();
        setPrice(ETH, 2_600e18);
        Balances memory before = _balances(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionLiquidated(id, alice, keeper, 2_600e18, 5 * USD, 0, 0, 90 * USD, 0, 0);
        _liquidate(id);
        _assertPaid(before, alice, 5 * USD, 0, 0, 310 * 1e6);
        _assertGone(id, vault);
    }

    function test_liquidate_profitCappedPosition_poolPaysTheCappedProfit() public {
        MarketParams memory m = _params(ETH);
        m.maxProfitRatio = 0.1e18;
        _setMarket(ETH, m);
        (uint256 id, address vault) = _openWeak(); // cap 31 USD
        setPrice(ETH, 9_000e18);
        Balances memory before = _balances(alice);
        // 6,000 USD of profit capped at 31: equity 341 USD < 5 % × 9,000 = 450 USD.
        // The pool owes the 31 USD and keeps the 9 USD closing fee: it pays 22 USD into the vault; keeper 5 + 90,
        // insurance 90, owner 152 USD.
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionLiquidated(
            id,
            alice,
            keeper,
            9_000e18,
            95 * USD,
            90 * USD,
            152 * USD,
            0,
            0,
            9 * USD
        );
        _liquidate(id);
        _assertPaid(before, alice, 95 * USD, int256(90 * USD), 152 * USD, -22 * 1e6);
        _assertGone(id, vault);
    }

    function test_liquidate_oneUnitBelowMaintenance() public {
        uint256 id = _open(alice, true, 1e18, 340 * USD - 1);
        setPrice(ETH, 2_800e18);
        Balances memory before = _balances(alice);
        // Equity 139.999999 USD < 140 USD. Closing fee 2.8, keeper 5 + 28, insurance 28, owner 81.199999 USD.
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionLiquidated(
            id,
            alice,
            keeper,
            2_800e18,
            33 * USD,
            28 * USD,
            81_199_999,
            0,
            0,
            2_800_000
        );
        _liquidate(id);
        _assertPaid(before, alice, 33 * USD, int256(28 * USD), 81_199_999, 202_800_000);
    }

    function test_liquidate_paysWhoeverCalls() public {
        (uint256 id, ) = _openWeak();
        setPrice(ETH, 2_750e18);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionLiquidated(
            id,
            alice,
            carol,
            2_750e18,
            32_500_000,
            27_500_000,
            2_250_000,
            0,
            0,
            2_750_000
        );
        vm.prank(carol);
        engine.liquidate(id);
        assertEq(usd.balanceOf(carol), 32_500_000);
        assertEq(usd.balanceOf(keeper), 0);
    }

    function test_liquidate_worksWhilePaused() public {
        (uint256 id, address vault) = _openWeak();
        setPrice(ETH, 2_750e18);
        _pause();
        _liquidate(id);
        _assertGone(id, vault);
    }

    /// @dev Rule 7: the keeper reserve is recorded per position; a later change of the parameter changes neither
    /// what the vault holds nor what the liquidator earns.
    function test_liquidate_paysTheRecordedKeeperReserveNotTheCurrentParameter() public {
        (uint256 id, address vault) = _openWeak();
        GlobalParams memory g = defaultGlobalParams();
        g.keeperReserve = uint80(7 * USD);
        _setGlobal(g);
        assertEq(engine.position(id).keeperReserve, KEEPER_RESERVE, "recorded reserve");
        setPrice(ETH, 2_750e18);
        Balances memory before = _balances(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionLiquidated(
            id,
            alice,
            keeper,
            2_750e18,
            KEEPER_RESERVE + 27_500_000,
            27_500_000,
            2_250_000,
            0,
            0,
            2_750_000
        );
        _liquidate(id);
        _assertPaid(before, alice, KEEPER_RESERVE + 27_500_000, int256(27_500_000), 2_250_000, 252_750_000);
        _assertGone(id, vault);
    }

    /// @dev A donation to a live vault is not the position's: the keeper, the insurance fund and the owner are paid
    /// from recorded amounts, and the donation stays in the emptied vault until its next user sweeps it to the
    /// insurance fund (rule 15).
    function test_liquidate_neverPaysADonationToTheVault() public {
        (uint256 id, address vault) = _openWeak();
        usd.mint(vault, 3 * USD);
        setPrice(ETH, 2_750e18);
        Balances memory before = _balances(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionLiquidated(
            id,
            alice,
            keeper,
            2_750e18,
            32_500_000,
            27_500_000,
            2_250_000,
            0,
            0,
            2_750_000
        );
        _liquidate(id);
        _assertPaid(before, alice, 32_500_000, int256(27_500_000), 2_250_000, 252_750_000);
        assertEq(usd.balanceOf(vault), 3 * USD, "the donation stays");
        assertEq(engine.freeVaultCount(), 1);

        // The next position reuses the vault and sweeps the donation first.
        fund(bob, 605 * USD);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.VaultSwept(vault, 3 * USD);
        vm.prank(bob);
        uint256 next = engine.requestOpen(ETH, true, 1e18, 600 * USD, type(uint128).max, _deadline(), 0);
        assertEq(engine.vaultOf(next), vault, "vault reused");
        assertEq(usd.balanceOf(vault), 600 * USD + KEEPER_RESERVE, "only the new escrow");
        assertEq(usd.balanceOf(address(insurance)), 27_500_000 + 3 * USD, "swept to the insurance fund");
    }

    /// @dev Rule 7: a pending increase is cancelled and its escrow (collateral and execution fee) refunded in full
    /// before the split, which uses the recorded collateral only; the keeper earns no execution fee.
    function test_liquidate_cancelsAPendingIncreaseAndRefundsItFirst() public {
        (uint256 id, address vault) = _openWeak();
        _requestIncrease(id);
        setPrice(ETH, 2_750e18); // same second: not the increase's round, only the latest price
        assertEq(usd.balanceOf(vault), 310 * USD + KEEPER_RESERVE + 51 * USD);
        Balances memory before = _balances(alice);

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Increase, CancelReason.PositionClosed, keeper, 51 * USD, 0);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionLiquidated(
            id,
            alice,
            keeper,
            2_750e18,
            32_500_000,
            27_500_000,
            2_250_000,
            0,
            0,
            2_750_000
        );
        _liquidate(id);

        _assertPaid(before, alice, 32_500_000, int256(27_500_000), 51 * USD + 2_250_000, 252_750_000);
        _assertGone(id, vault);
        _assertNothingOpen();
    }

    /// @dev Both pending slots go: the order whose round exists and the close queued behind it, each refunded in full.
    function test_liquidate_cancelsAPendingOrderAndCloseAndRefundsBoth() public {
        (uint256 id, address vault) = _openWeak();
        _requestIncrease(id);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE); // the increase's round exists, so the close queues behind it
        fund(alice, 2 * USD);
        vm.prank(alice);
        engine.requestClose(id, 0, _deadline(), 2 * USD, bob);
        setPrice(ETH, 2_750e18);
        Balances memory before = _balances(alice);
        uint256 bobBefore = usd.balanceOf(bob);

        // One second of borrow fee (rounded up) comes out of the owner's refund and goes to the pool.
        uint256 fee = _borrowFee(1e18, ETH_PRICE, RATE * 1);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Increase, CancelReason.PositionClosed, keeper, 51 * USD, 0);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Close, CancelReason.PositionClosed, keeper, 2 * USD, 0);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionLiquidated(
            id,
            alice,
            keeper,
            2_750e18,
            32_500_000,
            27_500_000,
            2_250_000 - fee,
            0,
            0,
            2_750_000
        );
        _liquidate(id);

        // The close's fee goes back to the owner who paid it, not to the close's receiver.
        _assertPaid(
            before,
            alice,
            32_500_000,
            int256(27_500_000),
            53 * USD + 2_250_000 - fee,
            int256(252_750_000 + fee)
        );
        assertEq(usd.balanceOf(bob), bobBefore, "close receiver");
        _assertGone(id, vault);
    }

    /// @dev Bad debt with a pending order: the escrow goes back to the owner, only the recorded collateral to the
    /// pool, and the keeper still gets the reserve.
    function test_liquidate_badDebt_refundsThePendingEscrowAndPaysTheKeeperTheReserve() public {
        (uint256 id, address vault) = _openWeak();
        _requestIncrease(id);
        usd.mint(address(insurance), 100 * USD);
        setPrice(ETH, 2_600e18);
        Balances memory before = _balances(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Increase, CancelReason.PositionClosed, keeper, 51 * USD, 0);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionLiquidated(id, alice, keeper, 2_600e18, 5 * USD, 0, 0, 90 * USD, 90 * USD, 0);
        _liquidate(id);
        _assertPaid(before, alice, 5 * USD, -int256(90 * USD), 51 * USD, 400 * 1e6);
        _assertGone(id, vault);
    }

    /// @dev Rule 3: an execution on a position liquidatable at the latest price liquidates it instead; its order is
    /// refunded in full and the executor earns the liquidation reward, not the execution fee.
    function test_executeOrder_liquidatesALiquidatablePositionInstead() public {
        (uint256 id, address vault) = _openWeak();
        fund(alice, 1 * USD);
        vm.prank(alice);
        engine.requestDecrease(id, 0.5e18, 0, _deadline(), 1 * USD, alice);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, 2_750e18); // the decrease's round, and the latest price
        Balances memory before = _balances(alice);
        uint256 fee = _borrowFee(1e18, ETH_PRICE, RATE * 1);

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Decrease, CancelReason.PositionClosed, keeper, 1 * USD, 0);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionLiquidated(
            id,
            alice,
            keeper,
            2_750e18,
            32_500_000,
            27_500_000,
            2_250_000 - fee,
            0,
            0,
            2_750_000
        );
        vm.prank(keeper);
        engine.executeOrder(id);

        _assertPaid(
            before,
            alice,
            32_500_000,
            int256(27_500_000),
            1 * USD + 2_250_000 - fee,
            int256(252_750_000 + fee)
        );
        _assertGone(id, vault);
    }

    function test_liquidate_leavesOtherPositionsUntouched() public {
        (uint256 id, ) = _openWeak();
        uint256 other = _open(bob, true, 1e18, 1_000 * USD);
        setPrice(ETH, 2_750e18);
        Snapshot memory otherBefore = _snapshot(other);
        _liquidate(id);
        _assertPosition(engine.position(other), otherBefore.position);
        assertEq(vaultBalance(other), 1_005 * USD);
        _assertSide(engine.sideState(ETH, true), _side(1e18, 3_000e18), "eth long");
        _assertSideMargin(engine.sideState(ETH, true), 1_000 * USD, 3_000 * USD, "eth long");
        // bob's cap: min(9 × 1,000, 100 % × 3,000) = 3,000 USD.
        assertEq(engine.totalReserved(), 3_000 * USD);
        assertEq(engine.totalEntryNotional(), 3_000e18);
        (address claimOwner, uint256 claimAmount) = engine.claimOf(other);
        assertEq(claimOwner, address(0));
        assertEq(claimAmount, 0);
    }

    // ------------------------------------------------------------ reverts

    function test_liquidate_revertsWhen_healthy() public {
        uint256 id = _openStandardLong();
        _assertLiquidateReverts(
            id,
            abi.encodeWithSelector(IMarginEngineBase.NotLiquidatable.selector, id, int256(600 * USD), 150 * USD)
        );
    }

    function test_liquidate_revertsWhen_equityEqualsMaintenance() public {
        uint256 id = _open(alice, true, 1e18, 340 * USD);
        setPrice(ETH, 2_800e18);
        // 340 − 200 = 140 USD = 5 % × 2,800: not liquidatable.
        _assertLiquidateReverts(
            id,
            abi.encodeWithSelector(IMarginEngineBase.NotLiquidatable.selector, id, int256(140 * USD), 140 * USD)
        );
    }

    /// @dev A healthy position with a pending order keeps its order.
    function test_liquidate_revertsWhen_healthy_leavingThePendingOrder() public {
        uint256 id = _openStandardLong();
        _requestIncrease(id);
        _assertLiquidateReverts(
            id,
            abi.encodeWithSelector(IMarginEngineBase.NotLiquidatable.selector, id, int256(600 * USD), 150 * USD)
        );
    }

    /// @dev The liquidation module runs only on the engine's storage, by delegatecall: called directly, every entry
    /// point refuses, including the one the order module uses.
    function test_liquidationModule_revertsWhen_calledDirectly() public {
        (uint256 id, ) = _openWeak();
        setPrice(ETH, 2_750e18);
        IMarginEngineLiquidation module = IMarginEngineLiquidation(engine.LIQUIDATION_MODULE());
        bytes memory err = abi.encodeWithSelector(IMarginEngineBase.OnlyEngine.selector, keeper);
        Snapshot memory before = _snapshot(id);
        vm.startPrank(keeper);
        vm.expectRevert(err);
        module.liquidate(id);
        vm.expectRevert(err);
        module.liquidateBatch(_ids(id));
        vm.expectRevert(err);
        module.takeProfit(id);
        vm.expectRevert(err);
        module.takeProfitBatch(_ids(id));
        (bool ok, bytes memory result) = address(module).call(
            abi.encodeWithSignature("liquidateForOrder(uint256)", id)
        );
        vm.stopPrank();
        assertFalse(ok, "liquidateForOrder ran outside the engine");
        assertEq(result, err);
        _assertUnchanged(before, id);
    }

    function test_liquidate_revertsWhen_positionUnknown() public {
        _assertLiquidateReverts(99, abi.encodeWithSelector(IMarginEngineBase.UnknownPosition.selector, 99));
        _assertLiquidateReverts(0, abi.encodeWithSelector(IMarginEngineBase.UnknownPosition.selector, 0));
    }

    function test_liquidate_revertsWhen_alreadyLiquidated() public {
        (uint256 id, ) = _openWeak();
        setPrice(ETH, 2_750e18);
        _liquidate(id);
        _assertLiquidateReverts(id, abi.encodeWithSelector(IMarginEngineBase.UnknownPosition.selector, id));
    }

    /// @dev A pending open holds no position to liquidate: its escrow is refunded whole if it never executes.
    function test_liquidate_revertsWhen_theOpenIsStillPending() public {
        uint256 pending = requestOpen(alice, ETH, true, 1e18, 310 * USD);
        setPrice(ETH, 2_000e18);
        _assertLiquidateReverts(pending, abi.encodeWithSelector(IMarginEngineBase.PositionNotOpen.selector, pending));
    }

    function test_liquidate_revertsWhen_priceStale() public {
        (uint256 id, ) = _openWeak();
        setPrice(ETH, 2_750e18);
        uint256 updatedAt = block.timestamp;
        vm.warp(block.timestamp + HEARTBEAT + 1);
        _assertLiquidateReverts(
            id,
            abi.encodeWithSelector(IOracleErrors.StalePrice.selector, address(ethFeed), updatedAt, HEARTBEAT)
        );
    }

    function test_liquidate_revertsWhen_priceNotPositive() public {
        (uint256 id, ) = _openWeak();
        ethFeed.updateAnswer(-1);
        _assertLiquidateReverts(
            id,
            abi.encodeWithSelector(IOracleErrors.NonPositivePrice.selector, address(ethFeed), int256(-1))
        );
    }

    function test_liquidate_revertsWhen_inGracePeriodAfterPriceOutage() public {
        (uint256 id, address vault) = _openWeak();
        vm.warp(block.timestamp + HEARTBEAT + 1);
        setPrice(ETH, 2_750e18); // first round after a gap longer than the heartbeat
        uint256 resumesAt = block.timestamp + GRACE;
        _assertLiquidateReverts(id, abi.encodeWithSelector(IMarginEngineBase.GracePeriod.selector, resumesAt));
        vm.warp(resumesAt - 1);
        _assertLiquidateReverts(id, abi.encodeWithSelector(IMarginEngineBase.GracePeriod.selector, resumesAt));

        // From the second the grace period ends, the position can be liquidated.
        vm.warp(resumesAt);
        _liquidate(id);
        _assertGone(id, vault);
    }

    /// @dev Grace also protects a position with a pending order: nothing is cancelled.
    function test_liquidate_revertsWhen_inGracePeriod_leavingThePendingOrder() public {
        (uint256 id, ) = _openWeak();
        _requestIncrease(id);
        vm.warp(block.timestamp + HEARTBEAT + 1);
        setPrice(ETH, 2_750e18);
        _assertLiquidateReverts(
            id,
            abi.encodeWithSelector(IMarginEngineBase.GracePeriod.selector, block.timestamp + GRACE)
        );
    }
}

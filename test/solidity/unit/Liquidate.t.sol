// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IInsuranceFund} from "../../../contracts/interfaces/IInsuranceFund.sol";
import {IMarginEngine, Position} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IOracleErrors} from "../../../contracts/interfaces/IOracleErrors.sol";
import {MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {UnitBase} from "./UnitBase.sol";

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

    function _assertNothingOpen() internal view {
        _assertSide(engine.sideState(ETH, true), _side(0, 0), "eth long");
        _assertSide(engine.sideState(ETH, false), _side(0, 0), "eth short");
        _assertSideMargin(engine.sideState(ETH, true), 0, 0, "eth long");
        _assertSideMargin(engine.sideState(ETH, false), 0, 0, "eth short");
        assertEq(engine.totalReserved(), 0, "totalReserved");
        assertEq(engine.totalEntryNotional(), 0, "totalEntryNotional");
    }

    // ------------------------------------------------------------ happy paths

    function test_liquidate_long_splitsTheVault() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        vm.warp(block.timestamp + 1 hours);
        setPrice(ETH, 2_750e18);
        Balances memory before = _balances(alice);

        // Equity: 310 − 250 − 0.034247 (1 h of borrow fee) = 59.965753 USD < 5 % × 2,750 = 137.5 USD.
        // Closing fee 0.1 % × 2,750 = 2.75 USD to the pool. Keeper: reserve 5 + 1 % × 2,750 = 27.5 → 32.5 USD.
        // Insurance: 1 % × 2,750 = 27.5 USD. Owner: 59.965753 − 2.75 − 55 = 2.215753 USD.
        // Pool: the loss, the borrow fee and the closing fee, 252.784247 USD.
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionLiquidated(
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

        _assertDeleted(id);
        _assertPaid(before, alice, 32_500_000, int256(27_500_000), 2_215_753, 252_784_247);
        _assertNothingOpen();
    }

    function test_liquidate_short_capsThePenaltyByWhatIsLeft() public {
        uint256 id = _open(alice, false, 1e18, 310 * USD);
        setPrice(ETH, 3_250e18);
        Balances memory before = _balances(alice);

        // Equity 310 − 250 = 60 USD < 162.5 USD. Closing fee 3.25 USD, keeper fee 32.5 USD; the penalty's 32.5 USD
        // capped at the 24.25 left.
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionLiquidated(id, alice, keeper, 3_250e18, 37_500_000, 24_250_000, 0, 0, 0, 3_250_000);
        _liquidate(id);

        _assertDeleted(id);
        _assertPaid(before, alice, 37_500_000, int256(24_250_000), 0, 253_250_000);
        _assertNothingOpen();
    }

    function test_liquidate_capsTheKeeperFeeByWhatIsLeft() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        setPrice(ETH, 2_700e18);
        Balances memory before = _balances(alice);
        // Equity 10 USD: the 2.7 USD closing fee, then the 27 USD keeper fee capped at the 7.3 left; no penalty,
        // nothing for the owner.
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionLiquidated(id, alice, keeper, 2_700e18, 12_300_000, 0, 0, 0, 0, 2_700_000);
        _liquidate(id);
        _assertPaid(before, alice, 12_300_000, 0, 0, 302_700_000);
    }

    function test_liquidate_dueToBorrowFeesAlone() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        _skip(200 days);
        Balances memory before = _balances(alice);
        // 200 days of borrow fee: 3,000 × 0.05479452054144 = 164.38356162432 → 164.383562 USD.
        // Equity 145.616438 USD < 150 USD. Closing fee 3, keeper 5 + 30, insurance 30, owner 82.616438 USD.
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionLiquidated(
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
        assertEq(_borrowFee(1e18, ETH_PRICE, RATE * 200 days), 164_383_562);
    }

    function test_liquidate_badDebt_coveredByInsurance() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        usd.mint(address(insurance), 100 * USD);
        setPrice(ETH, 2_600e18);
        Balances memory before = _balances(alice);

        // Equity 310 − 400 = −90 USD: the vault's 310 USD to the pool, 90 USD of bad debt from the insurance fund;
        // the keeper still gets the reserve.
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionLiquidated(id, alice, keeper, 2_600e18, 5 * USD, 0, 0, 90 * USD, 90 * USD, 0);
        vm.expectEmit(address(insurance));
        emit IInsuranceFund.BadDebtCovered(90 * USD, 90 * USD);
        _liquidate(id);

        _assertDeleted(id);
        _assertPaid(before, alice, 5 * USD, -int256(90 * USD), 0, 400 * 1e6);
        _assertNothingOpen();
    }

    function test_liquidate_badDebt_partlyCoveredByInsurance_poolAbsorbsTheRest() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        usd.mint(address(insurance), 40 * USD);
        setPrice(ETH, 2_600e18);
        Balances memory before = _balances(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionLiquidated(id, alice, keeper, 2_600e18, 5 * USD, 0, 0, 90 * USD, 40 * USD, 0);
        vm.expectEmit(address(insurance));
        emit IInsuranceFund.BadDebtCovered(40 * USD, 40 * USD);
        _liquidate(id);
        _assertPaid(before, alice, 5 * USD, -int256(40 * USD), 0, 350 * 1e6);
    }

    function test_liquidate_badDebt_withEmptyInsurance_poolAbsorbsAll() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        setPrice(ETH, 2_600e18);
        Balances memory before = _balances(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionLiquidated(id, alice, keeper, 2_600e18, 5 * USD, 0, 0, 90 * USD, 0, 0);
        _liquidate(id);
        _assertPaid(before, alice, 5 * USD, 0, 0, 310 * 1e6);
        _assertDeleted(id);
    }

    function test_liquidate_profitCappedPosition_poolPaysTheCappedProfit() public {
        MarketParams memory m = _params(ETH);
        m.maxProfitRatio = 0.1e18;
        _setMarket(ETH, m);
        uint256 id = _open(alice, true, 1e18, 310 * USD); // cap 31 USD
        setPrice(ETH, 9_000e18);
        Balances memory before = _balances(alice);
        // 6,000 USD of profit capped at 31: equity 341 USD < 5 % × 9,000 = 450 USD.
        // The pool owes the 31 USD and keeps the 9 USD closing fee: it pays 22 USD into the vault; keeper 5 + 90,
        // insurance 90, owner 152 USD.
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionLiquidated(
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
        _assertDeleted(id);
    }

    function test_liquidate_oneUnitBelowMaintenance() public {
        uint256 id = _open(alice, true, 1e18, 340 * USD - 1);
        setPrice(ETH, 2_800e18);
        Balances memory before = _balances(alice);
        // Equity 139.999999 USD < 140 USD. Closing fee 2.8, keeper 5 + 28, insurance 28, owner 81.199999 USD.
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionLiquidated(
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
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        setPrice(ETH, 2_750e18);
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionLiquidated(
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
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        setPrice(ETH, 2_750e18);
        _pause();
        _liquidate(id);
        _assertDeleted(id);
    }

    function test_liquidate_paysADonationToTheVaultToTheKeeper() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        usd.mint(engine.vaultOf(id), 3 * USD);
        setPrice(ETH, 2_750e18);
        Balances memory before = _balances(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionLiquidated(
            id,
            alice,
            keeper,
            2_750e18,
            35_500_000,
            27_500_000,
            2_250_000,
            0,
            0,
            2_750_000
        );
        _liquidate(id);
        _assertPaid(before, alice, 35_500_000, int256(27_500_000), 2_250_000, 252_750_000);
        assertEq(vaultBalance(id), 0);
    }

    function test_liquidate_leavesOtherPositionsUntouched() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        uint256 other = _open(bob, true, 1e18, 1_000 * USD);
        setPrice(ETH, 2_750e18);
        Position memory otherBefore = engine.position(other);
        _liquidate(id);
        _assertPosition(engine.position(other), otherBefore);
        assertEq(vaultBalance(other), 1_005 * USD);
        _assertSide(engine.sideState(ETH, true), _side(1e18, 3_000e18), "eth long");
        // bob's cap: min(9 × 1,000, 100 % × 3,000) = 3,000 USD.
        assertEq(engine.totalReserved(), 3_000 * USD);
        assertEq(engine.totalEntryNotional(), 3_000e18);
    }

    // ------------------------------------------------------------ reverts

    function test_liquidate_revertsWhen_healthy() public {
        uint256 id = _openStandardLong();
        _assertLiquidateReverts(
            id,
            abi.encodeWithSelector(IMarginEngine.NotLiquidatable.selector, id, int256(600 * USD), 150 * USD)
        );
    }

    function test_liquidate_revertsWhen_equityEqualsMaintenance() public {
        uint256 id = _open(alice, true, 1e18, 340 * USD);
        setPrice(ETH, 2_800e18);
        // 340 − 200 = 140 USD = 5 % × 2,800: not liquidatable.
        _assertLiquidateReverts(
            id,
            abi.encodeWithSelector(IMarginEngine.NotLiquidatable.selector, id, int256(140 * USD), 140 * USD)
        );
    }

    function test_liquidate_revertsWhen_positionUnknown() public {
        _assertLiquidateReverts(99, abi.encodeWithSelector(IMarginEngine.UnknownPosition.selector, 99));
    }

    function test_liquidate_revertsWhen_alreadyLiquidated() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        setPrice(ETH, 2_750e18);
        _liquidate(id);
        _assertLiquidateReverts(id, abi.encodeWithSelector(IMarginEngine.UnknownPosition.selector, id));
    }

    function test_liquidate_revertsWhen_priceStale() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        setPrice(ETH, 2_750e18);
        uint256 updatedAt = block.timestamp;
        vm.warp(block.timestamp + HEARTBEAT + 1);
        _assertLiquidateReverts(
            id,
            abi.encodeWithSelector(IOracleErrors.StalePrice.selector, address(ethFeed), updatedAt, HEARTBEAT)
        );
    }

    function test_liquidate_revertsWhen_inGracePeriodAfterPriceOutage() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        vm.warp(block.timestamp + HEARTBEAT + 1);
        setPrice(ETH, 2_750e18); // first round after a gap longer than the heartbeat
        _assertLiquidateReverts(
            id,
            abi.encodeWithSelector(IMarginEngine.LiquidationGracePeriod.selector, block.timestamp + GRACE)
        );
    }
}

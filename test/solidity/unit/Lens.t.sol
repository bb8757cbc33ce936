// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Vm} from "forge-std/Vm.sol";

import {LiquidationPreview} from "../../../contracts/interfaces/IBulkheadLens.sol";
import {IMarginEngine} from "../../../contracts/interfaces/IMarginEngine.sol";
import {MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {UnitBase} from "./UnitBase.sol";

contract LensTest is UnitBase {
    /// @dev What a liquidation paid, read from its event and from balances.
    struct Paid {
        uint256 price;
        uint256 keeperReward;
        uint256 penalty;
        uint256 ownerRefund;
        uint256 badDebt;
        uint256 insuranceCover;
        uint256 closeFee;
        uint256 keeperDelta;
        int256 insuranceDelta;
        uint256 ownerDelta;
        int256 poolDelta;
    }

    function _liquidateAndRead(uint256 id, address owner) internal returns (Paid memory paid) {
        // Balances before, kept in the deltas' slots.
        paid.keeperDelta = usd.balanceOf(keeper);
        paid.insuranceDelta = int256(usd.balanceOf(address(insurance)));
        paid.ownerDelta = usd.balanceOf(owner);
        paid.poolDelta = int256(usd.balanceOf(address(pool)));

        vm.recordLogs();
        vm.prank(keeper);
        engine.liquidate(id);
        _readLiquidationEvent(vm.getRecordedLogs(), id, owner, paid);

        paid.keeperDelta = usd.balanceOf(keeper) - paid.keeperDelta;
        paid.insuranceDelta = int256(usd.balanceOf(address(insurance))) - paid.insuranceDelta;
        paid.ownerDelta = usd.balanceOf(owner) - paid.ownerDelta;
        paid.poolDelta = int256(usd.balanceOf(address(pool))) - paid.poolDelta;
    }

    function _readLiquidationEvent(Vm.Log[] memory logs, uint256 id, address owner, Paid memory paid) internal view {
        uint256 found;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(engine) || logs[i].topics[0] != IMarginEngine.PositionLiquidated.selector) {
                continue;
            }
            assertEq(uint256(logs[i].topics[1]), id, "event id");
            assertEq(address(uint160(uint256(logs[i].topics[2]))), owner, "event owner");
            assertEq(address(uint160(uint256(logs[i].topics[3]))), keeper, "event keeper");
            (
                paid.price,
                paid.keeperReward,
                paid.penalty,
                paid.ownerRefund,
                paid.badDebt,
                paid.insuranceCover,
                paid.closeFee
            ) = abi.decode(logs[i].data, (uint256, uint256, uint256, uint256, uint256, uint256, uint256));
            ++found;
        }
        assertEq(found, 1, "one PositionLiquidated");
    }

    /// @dev The preview must be what the liquidation then pays, to the unit, in its event and in balances.
    function _assertPreviewIsPaid(uint256 id, address owner) internal returns (LiquidationPreview memory preview) {
        preview = lens.previewLiquidation(id);
        assertTrue(preview.liquidatable, "preview: liquidatable");
        uint256 held = vaultBalance(id);
        Paid memory paid = _liquidateAndRead(id, owner);

        assertEq(paid.price, preview.price, "price");
        assertEq(paid.keeperReward, preview.keeperReward, "event keeperReward");
        assertEq(paid.penalty, preview.penalty, "event penalty");
        assertEq(paid.ownerRefund, preview.ownerRefund, "event ownerRefund");
        assertEq(paid.badDebt, preview.badDebt, "event badDebt");
        assertEq(paid.closeFee, preview.closeFee, "event closeFee");
        assertEq(paid.keeperDelta, preview.keeperReward, "keeper paid");
        assertEq(paid.ownerDelta, preview.ownerRefund, "owner paid");
        assertEq(paid.insuranceDelta, int256(preview.penalty) - int256(paid.insuranceCover), "insurance paid");
        // Whatever left the vault and did not go to keeper, insurance or owner went to the pool, plus the cover.
        assertEq(
            paid.poolDelta,
            int256(held) -
                int256(preview.keeperReward + preview.penalty + preview.ownerRefund) +
                int256(paid.insuranceCover),
            "pool paid"
        );
        _assertDeleted(id);
    }

    // ------------------------------------------------------------ equity

    function test_equity_countsCappedPnlAndOwedBorrowFee() public {
        uint256 id = _openStandardLong();
        vm.warp(block.timestamp + 1 hours);
        setPrice(ETH, 3_300e18);
        // 600 + 300 − 0.034247.
        assertEq(lens.equity(id), 899_965_753);
    }

    function test_equity_shortInLoss() public {
        uint256 id = _openStandardShort();
        setPrice(ETH, 3_100e18);
        assertEq(lens.equity(id), 500 * 1e6);
    }

    function test_equity_capsProfit() public {
        MarketParams memory m = _params(ETH);
        m.maxProfitRatio = 0.1e18;
        _setMarket(ETH, m);
        uint256 id = _openStandardLong();
        setPrice(ETH, 3_300e18);
        assertEq(lens.equity(id), 660 * 1e6);
    }

    function test_equity_negativeWhenUnderwater() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        setPrice(ETH, 2_600e18);
        assertEq(lens.equity(id), -90 * 1e6);
    }

    // ------------------------------------------------------------ health

    function test_health_isEquityOverMaintenance() public {
        uint256 id = _openStandardLong();
        assertEq(lens.health(id), 4e18); // 600 / 150
        vm.warp(block.timestamp + 1 hours);
        setPrice(ETH, 3_300e18);
        // 899.965753 / 165 = 5.454337896969696969|69… (rounded down).
        assertEq(lens.health(id), 5.454337896969696969e18);
    }

    function test_health_isOneAtTheMaintenanceBoundaryAndBelowOneWhenLiquidatable() public {
        uint256 atBoundary = _open(alice, true, 1e18, 340 * USD);
        uint256 below = _open(bob, true, 1e18, 340 * USD - 1);
        setPrice(ETH, 2_800e18);
        assertEq(lens.health(atBoundary), 1e18);
        // 139.999999 / 140 = 0.999999992857142857|1…
        assertEq(lens.health(below), 0.999999992857142857e18);
        assertFalse(lens.previewLiquidation(atBoundary).liquidatable);
        assertTrue(lens.previewLiquidation(below).liquidatable);
    }

    function test_health_isZeroWhenEquityIsNotPositive() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        setPrice(ETH, 2_690e18);
        assertEq(lens.equity(id), 0);
        assertEq(lens.health(id), 0);
        setPrice(ETH, 2_600e18);
        assertEq(lens.health(id), 0);
    }

    // ------------------------------------------------------------ liquidation price

    function test_liquidationPrice_long() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        // (3,000 − 310) / 0.95 = 2,831.578947368421052631|57… → rounded up.
        uint256 liqPrice = lens.liquidationPrice(id);
        assertEq(liqPrice, 2_831.578947368421052632e18);
        setPrice(ETH, 2_831.59e18);
        assertFalse(lens.previewLiquidation(id).liquidatable);
        setPrice(ETH, 2_831.57e18);
        assertTrue(lens.previewLiquidation(id).liquidatable);
    }

    function test_liquidationPrice_short() public {
        uint256 id = _open(alice, false, 1e18, 310 * USD);
        // (3,000 + 310) / 1.05 = 3,152.380952380952380952|38… → rounded down.
        assertEq(lens.liquidationPrice(id), 3_152.380952380952380952e18);
        setPrice(ETH, 3_152.38e18);
        assertFalse(lens.previewLiquidation(id).liquidatable);
        setPrice(ETH, 3_152.39e18);
        assertTrue(lens.previewLiquidation(id).liquidatable);
    }

    function test_liquidationPrice_long_countsOwedBorrowFee() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        _skip(1 days);
        // Fee 0.821918 USD: (3,000 − 309.178082) / 0.95 = 2,832.444124210526315789|47… → rounded up.
        assertEq(lens.liquidationPrice(id), 2_832.444124210526315790e18);
        setPrice(ETH, 2_832.45e18);
        assertFalse(lens.previewLiquidation(id).liquidatable);
        setPrice(ETH, 2_832.44e18);
        assertTrue(lens.previewLiquidation(id).liquidatable);
    }

    function test_liquidationPrice_short_countsOwedBorrowFee() public {
        uint256 id = _open(alice, false, 2.5e18, 800 * USD);
        _skip(1 days);
        // Fee 7,500 × 0.0002739726027072 = 2.054794520… → 2.054795 USD.
        // (7,500 + 797.945205) / 2.625 = 3,161.121982857142857142|85… → rounded down.
        assertEq(lens.liquidationPrice(id), 3_161.121982857142857142e18);
        setPrice(ETH, 3_161.12e18);
        assertFalse(lens.previewLiquidation(id).liquidatable);
        setPrice(ETH, 3_161.13e18);
        assertTrue(lens.previewLiquidation(id).liquidatable);
    }

    function test_liquidationPrice_isZeroForALongBackedBeyondItsNotional() public {
        uint256 id = _open(alice, true, 0.1e18, 400 * USD); // 300 USD notional
        assertEq(lens.liquidationPrice(id), 0);
    }

    // ------------------------------------------------------------ preview

    function test_previewLiquidation_ofAHealthyPosition() public {
        uint256 id = _openStandardLong();
        LiquidationPreview memory p = lens.previewLiquidation(id);
        assertFalse(p.liquidatable);
        assertEq(p.equity, 600 * 1e6);
        assertEq(p.maintenanceMargin, 150 * USD);
        assertEq(p.closeFee, 3 * USD); // 0.1 % × 3,000
        assertEq(p.keeperReward, 35 * USD); // 5 + 1 % × 3,000
        assertEq(p.penalty, 30 * USD);
        assertEq(p.ownerRefund, 537 * USD);
        assertEq(p.badDebt, 0);
        assertEq(p.price, ETH_PRICE);
    }

    function test_previewLiquidation_equalsWhatLiquidatePays_loss() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        vm.warp(block.timestamp + 1 hours);
        setPrice(ETH, 2_750e18);
        LiquidationPreview memory p = _assertPreviewIsPaid(id, alice);
        assertEq(p.equity, 59_965_753);
        assertEq(p.maintenanceMargin, 137_500_000);
        assertEq(p.keeperReward, 32_500_000);
        assertEq(p.penalty, 27_500_000);
        assertEq(p.closeFee, 2_750_000);
        assertEq(p.ownerRefund, 2_215_753);
        assertEq(p.badDebt, 0);
    }

    function test_previewLiquidation_equalsWhatLiquidatePays_short() public {
        uint256 id = _open(alice, false, 1e18, 310 * USD);
        setPrice(ETH, 3_250e18);
        LiquidationPreview memory p = _assertPreviewIsPaid(id, alice);
        // Equity 60 USD: closing fee 3.25, keeper 5 + 32.5, the penalty capped at the 24.25 left.
        assertEq(p.closeFee, 3_250_000);
        assertEq(p.keeperReward, 37_500_000);
        assertEq(p.penalty, 24_250_000);
        assertEq(p.ownerRefund, 0);
    }

    function test_previewLiquidation_equalsWhatLiquidatePays_badDebtPartlyInsured() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        usd.mint(address(insurance), 40 * USD);
        setPrice(ETH, 2_600e18);
        LiquidationPreview memory p = _assertPreviewIsPaid(id, alice);
        assertEq(p.equity, -90 * 1e6);
        assertEq(p.badDebt, 90 * USD);
        assertEq(p.keeperReward, 5 * USD);
        assertEq(usd.balanceOf(address(insurance)), 0);
    }

    function test_previewLiquidation_equalsWhatLiquidatePays_cappedProfitPaidByPool() public {
        MarketParams memory m = _params(ETH);
        m.maxProfitRatio = 0.1e18;
        _setMarket(ETH, m);
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        setPrice(ETH, 9_000e18);
        LiquidationPreview memory p = _assertPreviewIsPaid(id, alice);
        assertEq(p.equity, 341 * 1e6);
        assertEq(p.ownerRefund, 152 * USD); // 341 − 9 closing fee − 90 keeper fee − 90 penalty
    }

    function test_previewLiquidation_equalsWhatLiquidatePays_withDonationAndFees() public {
        uint256 id = _open(alice, false, 2.5e18, 800 * USD);
        usd.mint(engine.vaultOf(id), 1_234_567);
        _skip(1 days);
        setPrice(ETH, 3_161.13e18);
        LiquidationPreview memory p = _assertPreviewIsPaid(id, alice);
        // Keeper: reserve 5 + donation 1.234567 + 1 % × 7,902.825 = 79.02825 → 85.262817 USD.
        assertEq(p.keeperReward, 85_262_817);
    }

    function test_previewLiquidation_notLiquidatableInGracePeriod() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        vm.warp(block.timestamp + 2 hours);
        setPrice(ETH, 2_750e18);
        setPrice(BTC, BTC_PRICE);
        LiquidationPreview memory p = lens.previewLiquidation(id);
        assertFalse(p.liquidatable);
        assertLt(p.equity, int256(p.maintenanceMargin), "under water, but waiting");
    }

    // ------------------------------------------------------------ batch

    function test_liquidatable_answersForEveryIdAndAgreesWithLiquidateBatch() public {
        uint256 weak = _open(alice, true, 1e18, 310 * USD);
        uint256 healthy = _open(bob, true, 1e18, 1_000 * USD);
        uint256 closed = _open(bob, false, 1e18, 1_000 * USD);
        uint256 weakBtc = openPosition(carol, BTC, false, 0.1e18, 610 * USD);
        vm.prank(bob);
        engine.close(closed, type(uint256).max, block.timestamp);
        setPrice(ETH, 2_750e18);
        setPrice(BTC, 65_000e18);

        uint256[] memory ids = new uint256[](6);
        ids[0] = weak;
        ids[1] = healthy;
        ids[2] = 99;
        ids[3] = closed;
        ids[4] = weakBtc;
        ids[5] = 0;
        bool[] memory result = lens.liquidatable(ids);

        assertEq(result.length, 6);
        assertTrue(result[0]);
        assertFalse(result[1]);
        assertFalse(result[2]);
        assertFalse(result[3]);
        assertTrue(result[4]);
        assertFalse(result[5]);
        vm.prank(keeper);
        assertEq(engine.liquidateBatch(ids), 2);
    }

    function test_liquidatable_emptyList() public view {
        assertEq(lens.liquidatable(new uint256[](0)).length, 0);
    }

    // ------------------------------------------------------------ unknown ids

    function test_lens_revertsWhen_positionUnknown() public {
        bytes memory err = abi.encodeWithSelector(IMarginEngine.UnknownPosition.selector, 7);
        vm.expectRevert(err);
        lens.equity(7);
        vm.expectRevert(err);
        lens.health(7);
        vm.expectRevert(err);
        lens.liquidationPrice(7);
        vm.expectRevert(err);
        lens.previewLiquidation(7);
    }

    function test_ENGINE_isTheEngine() public view {
        assertEq(address(lens.ENGINE()), address(engine));
    }
}

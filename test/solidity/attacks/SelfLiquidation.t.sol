// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LiquidationPreview} from "../../../contracts/interfaces/IBulkheadLens.sol";
import {IMarginEngine} from "../../../contracts/interfaces/IMarginEngine.sol";
import {MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {AttackBase} from "./utils/AttackBase.sol";

/// @dev A trader liquidating their own position collects the keeper's reward as well as the owner's refund. That must
/// never leave them better off than an ordinary close, and no sequence of their own actions within one block (one
/// price) can turn a healthy position into a liquidatable one.
contract SelfLiquidationAttackTest is AttackBase {
    /// @dev Long 1 ETH at 3,000 with 310 USD: liquidatable below about 2,831.6 (equity < 5 % of notional), under water
    /// below 2,690. No time passes, so no borrow fee.
    uint256 internal id;

    function setUp() public override {
        super.setUp();
        id = openPosition(alice, ETH, true, 1e18, 310 * USD);
    }

    /// @dev At 2,830: equity 140 USD. Close pays 140 − 2.83 (close fee) + 5 (reserve) = 142.17; self-liquidation pays
    /// 5 + 28.3 (keeper fee) + 80.57 (refund after the 2.83 closing fee and the 28.3 penalty) = 113.87.
    function test_selfLiquidation_nearMaintenance_noBetterThanClose() public {
        setPrice(ETH, 2_830e18);
        (uint256 closed, uint256 selfLiquidated) = _closeVersusSelfLiquidate();
        assertEq(closed, 142_170_000, "close payout");
        assertEq(selfLiquidated, 113_870_000, "self-liquidation payout");
    }

    /// @dev At 2,705: equity 15 USD, less than the 27.05 USD keeper fee. Close pays 15 − 2.705 + 5 = 17.295;
    /// self-liquidation owes the same 2.705 closing fee first and hands the 12.295 left to the keeper, who is the
    /// owner: no more than the close.
    function test_selfLiquidation_deepUnderMaintenance_noBetterThanClose() public {
        setPrice(ETH, 2_705e18);
        _closeVersusSelfLiquidate();
    }

    /// @dev Over the whole liquidatable range and every fee and penalty governance may set.
    function testFuzz_selfLiquidation_neverBeatsClose(
        uint256 price,
        uint256 penaltyRatio,
        uint256 closeFeeRatio
    ) public {
        price = bound(price, 2_500e18, 2_831e18);
        MarketParams memory params = defaultMarketParams(address(ethFeed));
        params.liqPenaltyRatio = uint64(bound(penaltyRatio, 0, 0.05e18));
        params.closeFeeRatio = uint64(bound(closeFeeRatio, 0, 0.01e18));
        vm.prank(governance);
        config.setMarketParams(ETH, params);
        setPrice(ETH, price);
        _closeVersusSelfLiquidate();
    }

    // ------------------------------------------------------------ healthy stays healthy within a block

    /// @dev Removing every unit of margin that initial margin allows leaves 300 USD of equity against 150 USD of
    /// maintenance; one unit more is refused.
    function test_removeMarginThenLiquidate_sameBlock_reverts() public {
        uint256 healthy = openPosition(bob, ETH, true, 1e18, 600 * USD);
        vm.startPrank(bob);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.InitialMarginBreached.selector, int256(300e6 - 1), 300e6));
        engine.removeMargin(healthy, 300e6 + 1);
        engine.removeMargin(healthy, 300e6);
        Snapshot memory before = _snapshot();
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.NotLiquidatable.selector, healthy, int256(300e6), 150e6));
        engine.liquidate(healthy);
        vm.stopPrank();
        _assertUnchanged(before, _snapshot());
    }

    function test_decreaseThenLiquidate_sameBlock_reverts() public {
        uint256 healthy = openPosition(bob, ETH, true, 1e18, 600 * USD);
        setPrice(ETH, 2_900e18);
        vm.startPrank(bob);
        engine.decrease(healthy, 0.25e18, 0, block.timestamp);
        _assertNotLiquidatable(healthy);
        engine.removeMargin(healthy, 10 * USD);
        _assertNotLiquidatable(healthy);
        vm.stopPrank();
    }

    /// @dev Any sequence of the owner's own actions at one price: after each one that goes through, the position is
    /// not liquidatable and `liquidate` says so.
    function testFuzz_ownActionsInOneBlock_cannotMakeHealthyLiquidatable(
        uint256 price,
        uint256[8] memory moves
    ) public {
        uint256 healthy = openPosition(bob, ETH, true, 1e18, 600 * USD);
        fund(bob, 10_000 * USD);
        setPrice(ETH, bound(price, 2_700e18, 3_300e18));
        vm.assume(!lens.previewLiquidation(healthy).liquidatable);
        vm.startPrank(bob);
        for (uint256 i; i < moves.length; ++i) {
            uint256 kind = moves[i] % 4;
            uint256 amount = moves[i] >> 8;
            uint256 collateral = engine.position(healthy).collateral;
            uint256 size = engine.position(healthy).size;
            if (kind == 0) {
                try engine.removeMargin(healthy, 1 + (amount % collateral)) {} catch {}
            } else if (kind == 1) {
                try engine.decrease(healthy, 1 + (amount % size), 0, block.timestamp) {} catch {}
            } else if (kind == 2) {
                try engine.increase(healthy, 1 + (amount % 1e18), 0, type(uint256).max, block.timestamp) {} catch {}
            } else {
                engine.addMargin(healthy, 1 + (amount % (100 * USD)));
            }
            _assertNotLiquidatable(healthy);
        }
        vm.stopPrank();
    }

    // ------------------------------------------------------------ helpers

    /// @dev What alice gets from closing, and (from the same state) from liquidating her own position; asserts the
    /// latter is not more.
    function _closeVersusSelfLiquidate() internal returns (uint256 closed, uint256 selfLiquidated) {
        LiquidationPreview memory preview = lens.previewLiquidation(id);
        assertTrue(preview.liquidatable, "setup: liquidatable");
        uint256 before = usd.balanceOf(alice);
        uint256 snapshotId = vm.snapshotState();
        vm.prank(alice);
        engine.close(id, 0, block.timestamp);
        closed = usd.balanceOf(alice) - before;
        vm.revertToState(snapshotId);

        vm.prank(alice);
        engine.liquidate(id);
        selfLiquidated = usd.balanceOf(alice) - before;
        assertEq(selfLiquidated, preview.keeperReward + preview.ownerRefund, "preview");
        assertLe(selfLiquidated, closed, "self-liquidation pays the trader more than closing");
    }

    function _assertNotLiquidatable(uint256 positionId) internal {
        LiquidationPreview memory preview = lens.previewLiquidation(positionId);
        assertFalse(preview.liquidatable, "own actions made the position liquidatable");
        (bool ok, bytes memory result) = address(engine).call(abi.encodeCall(IMarginEngine.liquidate, (positionId)));
        assertFalse(ok, "liquidated");
        assertEq(
            result,
            abi.encodeWithSelector(
                IMarginEngine.NotLiquidatable.selector,
                positionId,
                preview.equity,
                preview.maintenanceMargin
            ),
            "liquidate error"
        );
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LiquidationPreview} from "../../../contracts/interfaces/IBulkheadLens.sol";
import {
    CancelReason,
    IMarginEngineBase,
    IMarginEngineLiquidation,
    Order,
    OrderKind
} from "../../../contracts/interfaces/IMarginEngine.sol";
import {MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {AttackBase} from "./utils/AttackBase.sol";

/// @dev A trader liquidating their own position collects the keeper's reward as well as the owner's refund. That must
/// never leave them better off than an ordinary close at the same price; a close requested before the drop cannot
/// dodge the liquidation either (rule 3: liquidation first at execution); and no sequence of their own actions at one
/// price can turn a healthy position into a liquidatable one.
contract SelfLiquidationAttackTest is AttackBase {
    /// @dev Long 1 ETH at 3,000 with 310 USD: liquidatable below about 2,831.6 (equity < 5 % of notional), under water
    /// below 2,690.
    uint256 internal id;

    function setUp() public override {
        super.setUp();
        id = openPosition(alice, ETH, true, 1e18, 310 * USD);
    }

    /// @dev At 2,830, one second after the open (a borrow fee of 10 units): equity 140 USD. A close pays 140 − 2.83
    /// (close fee) + 5 (reserve) = 142.17; self-liquidation pays 5 + 28.3 (keeper fee) + 80.57 (refund after the 2.83
    /// closing fee and the 28.3 penalty) = 113.87.
    function test_selfLiquidation_nearMaintenance_noBetterThanClose() public {
        (uint256 closed, uint256 selfLiquidated) = _closeVersusSelfLiquidate(2_830e18);
        uint256 borrowFee = _borrowFee(3_000e18, 1);
        assertEq(borrowFee, 10, "borrow fee of one second");
        assertEq(closed, 142_170_000 - borrowFee, "close payout");
        assertEq(selfLiquidated, 113_870_000 - borrowFee, "self-liquidation payout");
    }

    /// @dev At 2,705: equity 15 USD, less than the 27.05 USD keeper fee. A close pays 15 − 2.705 + 5 = 17.295;
    /// self-liquidation owes the same 2.705 closing fee first and hands the 12.295 left to the keeper, who is the
    /// owner: no more than the close.
    function test_selfLiquidation_deepUnderMaintenance_noBetterThanClose() public {
        (uint256 closed, uint256 selfLiquidated) = _closeVersusSelfLiquidate(2_705e18);
        assertEq(closed, selfLiquidated, "the keeper fee takes what the penalty would have");
    }

    /// @dev Over the whole liquidatable range, bad debt included, and every fee and penalty governance may set.
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
        _closeVersusSelfLiquidate(price);
    }

    // ------------------------------------------------------------ a pending close cannot escape liquidation

    /// @dev Alice asks to close at 3,000; the first round after her request says 2,900 (healthy: equity 210 USD against
    /// 145 USD of maintenance), the next, in the same window, 2,800 (liquidatable). Executed at 2,900 her close would
    /// pay about 212 USD and no penalty; the engine looks at the latest price first, liquidates her instead, cancels the
    /// close with a full refund of its escrow, and the keeper and the insurance fund get their share.
    function test_pendingClose_cannotEscapeLiquidation() public {
        requestClose(id, alice);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, 2_900e18);
        uint256 snapshotId = vm.snapshotState();
        uint256 aliceBefore = usd.balanceOf(alice);
        vm.prank(keeper);
        engine.executeOrder(id);
        uint256 hopedFor = usd.balanceOf(alice) - aliceBefore;
        vm.revertToState(snapshotId);

        setPrice(ETH, 2_800e18);
        LiquidationPreview memory preview = lens.previewLiquidation(id);
        assertTrue(preview.liquidatable, "setup: liquidatable at the latest price");
        uint256 insuranceBefore = usd.balanceOf(address(insurance));
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Close, CancelReason.PositionClosed, keeper, 0, 0);
        vm.prank(keeper);
        engine.executeOrder(id);

        assertEq(engine.position(id).owner, address(0), "position left open");
        (, uint256 pendingClose) = _orderKinds(id);
        assertEq(pendingClose, 0, "close left pending");
        assertEq(usd.balanceOf(keeper), preview.keeperReward, "keeper reward");
        assertEq(usd.balanceOf(address(insurance)) - insuranceBefore, preview.penalty, "penalty dodged");
        assertEq(usd.balanceOf(alice) - aliceBefore, preview.ownerRefund, "owner refund");
        assertLt(preview.ownerRefund, hopedFor, "the close paid no more than the liquidation");
        assertGt(preview.penalty, 0, "no penalty");
    }

    /// @dev The owner executing her own pending close once the position is liquidatable gets exactly what liquidating
    /// it herself gets: the close request is no way round the penalty.
    function test_pendingClose_executedByOwner_paysAsSelfLiquidation() public {
        requestClose(id, alice);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, 2_800e18);
        LiquidationPreview memory preview = lens.previewLiquidation(id);
        uint256 before = usd.balanceOf(alice);
        vm.prank(alice);
        engine.executeOrder(id);
        assertEq(usd.balanceOf(alice) - before, preview.keeperReward + preview.ownerRefund, "owner's take");
        assertGt(preview.penalty, 0, "no penalty");
    }

    // ------------------------------------------------------------ healthy stays healthy at one price

    /// @dev Removing every unit of margin that initial margin allows leaves 300 USD of equity against 150 USD of
    /// maintenance; one unit more is refused.
    function test_removeMarginThenLiquidate_onePrice_reverts() public {
        uint256 healthy = openPosition(bob, ETH, true, 1e18, 600 * USD);
        vm.startPrank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(IMarginEngineBase.InitialMarginBreached.selector, int256(300e6 - 1), 300e6)
        );
        engine.removeMargin(healthy, 300e6 + 1, bob);
        engine.removeMargin(healthy, 300e6, bob);
        Snapshot memory before = _snapshot();
        vm.expectRevert(
            abi.encodeWithSelector(IMarginEngineBase.NotLiquidatable.selector, healthy, int256(300e6), 150e6)
        );
        engine.liquidate(healthy);
        vm.stopPrank();
        _assertUnchanged(before, _snapshot());
    }

    function test_decreaseThenLiquidate_onePrice_reverts() public {
        uint256 healthy = openPosition(bob, ETH, true, 1e18, 600 * USD);
        setPrice(ETH, 2_900e18);
        decreasePosition(healthy, 0.25e18);
        assertEq(engine.position(healthy).size, 0.75e18, "decrease did not execute");
        _assertNotLiquidatable(healthy);
        vm.prank(bob);
        engine.removeMargin(healthy, 10 * USD, bob);
        _assertNotLiquidatable(healthy);
    }

    /// @dev Any sequence of the owner's own actions at one price (each order executed at a round of that price): after
    /// each one that goes through, the position is not liquidatable and `liquidate` says so.
    function testFuzz_ownActionsAtOnePrice_cannotMakeHealthyLiquidatable(
        uint256 price,
        uint256[8] memory moves
    ) public {
        uint256 healthy = openPosition(bob, ETH, true, 1e18, 600 * USD);
        fund(bob, 10_000 * USD);
        price = bound(price, 2_700e18, 3_300e18);
        setPrice(ETH, price);
        vm.assume(!lens.previewLiquidation(healthy).liquidatable);
        for (uint256 i; i < moves.length; ++i) {
            uint256 kind = moves[i] % 4;
            uint256 amount = moves[i] >> 8;
            uint256 collateral = engine.position(healthy).collateral;
            uint256 size = engine.position(healthy).size;
            vm.prank(bob);
            if (kind == 0) {
                try engine.removeMargin(healthy, 1 + (amount % collateral), bob) {} catch {}
            } else if (kind == 1) {
                try engine.requestDecrease(healthy, 1 + (amount % size), 0, _deadline(), 0, bob) {
                    executeAt(healthy, ETH, price);
                } catch {}
            } else if (kind == 2) {
                try engine.requestIncrease(healthy, 1 + (amount % 1e18), 0, type(uint128).max, _deadline(), 0) {
                    executeAt(healthy, ETH, price);
                } catch {}
            } else {
                engine.addMargin(healthy, 1 + (amount % (100 * USD)));
            }
            _assertNotLiquidatable(healthy);
        }
    }

    // ------------------------------------------------------------ helpers

    /// @dev What alice gets from closing at `price`, and (from the same state, at the same time) from liquidating her
    /// own position at it; asserts the latter is not more. Rule 3 turns an execution on a position liquidatable at the
    /// latest price into a liquidation, so the close is measured where the engine lets a close at `price` happen: its
    /// execution round says `price`, and a later round in the same block is back at 3,000.
    function _closeVersusSelfLiquidate(uint256 price) internal returns (uint256 closed, uint256 selfLiquidated) {
        uint256 before = usd.balanceOf(alice);
        uint256 snapshotId = vm.snapshotState();
        requestClose(id, alice);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, price);
        setPrice(ETH, ETH_PRICE);
        vm.prank(keeper);
        engine.executeOrder(id);
        assertEq(engine.position(id).owner, address(0), "close did not execute");
        closed = usd.balanceOf(alice) - before;
        vm.revertToState(snapshotId);

        vm.warp(block.timestamp + 1);
        setPrice(ETH, price);
        LiquidationPreview memory preview = lens.previewLiquidation(id);
        assertTrue(preview.liquidatable, "setup: liquidatable");
        vm.prank(alice);
        engine.liquidate(id);
        selfLiquidated = usd.balanceOf(alice) - before;
        assertEq(selfLiquidated, preview.keeperReward + preview.ownerRefund, "preview");
        assertLe(selfLiquidated, closed, "self-liquidation pays the trader more than closing");
    }

    function _assertNotLiquidatable(uint256 positionId) internal {
        LiquidationPreview memory preview = lens.previewLiquidation(positionId);
        assertFalse(preview.liquidatable, "own actions made the position liquidatable");
        (bool ok, bytes memory result) = address(engine).call(
            abi.encodeCall(IMarginEngineLiquidation.liquidate, (positionId))
        );
        assertFalse(ok, "liquidated");
        assertEq(
            result,
            abi.encodeWithSelector(
                IMarginEngineBase.NotLiquidatable.selector,
                positionId,
                preview.equity,
                preview.maintenanceMargin
            ),
            "liquidate error"
        );
    }

    /// @dev The kinds of the position's pending order and close (0 for none).
    function _orderKinds(uint256 positionId) internal view returns (uint256 order, uint256 close) {
        (Order memory o, Order memory c) = engine.orders(positionId);
        return (uint256(o.kind), uint256(c.kind));
    }
}

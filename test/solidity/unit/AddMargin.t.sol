// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMarginEngine, Position} from "../../../contracts/interfaces/IMarginEngine.sol";
import {UnitBase} from "./UnitBase.sol";

contract AddMarginTest is UnitBase {
    uint256 internal id;

    function setUp() public override {
        super.setUp();
        id = _openStandardLong(); // alice long 1 ETH at 3,000 with 600 USD
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
    }

    // ------------------------------------------------------------ happy paths

    function test_addMargin_movesFundsIntoTheVaultWithoutRaisingTheCap() public {
        Position memory before = engine.position(id);
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 poolBefore = usd.balanceOf(address(pool));

        vm.expectEmit(address(engine));
        emit IMarginEngine.MarginAdded(id, 100 * USD, 700 * USD);
        _add(100 * USD);

        Position memory expected = before;
        expected.collateral = uint96(700 * USD);
        _assertPosition(engine.position(id), expected);
        assertEq(vaultBalance(id), 705 * USD, "vault = collateral + reserve");
        assertEq(usd.balanceOf(alice), aliceBefore - 100 * USD);
        assertEq(usd.balanceOf(address(pool)), poolBefore, "no fee");
        // min(9 × 600, 100 % × 3,000) at open.
        assertEq(engine.position(id).maxProfit, 3_000 * USD, "cap unchanged");
        assertEq(engine.totalReserved(), 3_000 * USD);
        _assertSide(engine.sideState(ETH, true), _side(1e18, 3_000e18), "eth long");
        _assertSideMargin(engine.sideState(ETH, true), 700 * USD, 3_000 * USD, "eth long");
        assertEq(engine.totalEntryNotional(), 3_000e18);
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
        emit IMarginEngine.MarginAdded(id, 1, 600 * USD + 1);
        _add(1);
        assertEq(vaultBalance(id), 605 * USD + 1);
    }

    function test_addMargin_doesNotSettleBorrowFees() public {
        _skip(1 days);
        _add(10 * USD);
        assertEq(engine.position(id).borrowIndex, 0);
    }

    function test_addMargin_worksWhilePaused() public {
        _pause();
        _add(100 * USD);
        assertEq(engine.position(id).collateral, 700 * USD);
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

    function test_addMargin_rescuesALiquidatablePosition() public {
        uint256 weak = _open(bob, true, 1e18, 310 * USD);
        setPrice(ETH, 2_750e18);
        // Equity 60 USD < 137.5 USD: liquidatable. 100 USD more make 160 USD.
        vm.prank(bob);
        engine.addMargin(weak, 100 * USD);
        vm.expectRevert(
            abi.encodeWithSelector(IMarginEngine.NotLiquidatable.selector, weak, int256(160 * USD), 137_500_000)
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
    }

    // ------------------------------------------------------------ reverts

    function test_addMargin_revertsWhen_amountIsZero() public {
        _assertAddReverts(alice, id, 0, abi.encodeWithSelector(IMarginEngine.ZeroAmount.selector));
    }

    function test_addMargin_revertsWhen_positionUnknown() public {
        _assertAddReverts(alice, 99, 10 * USD, abi.encodeWithSelector(IMarginEngine.UnknownPosition.selector, 99));
    }

    function test_addMargin_revertsWhen_positionClosed() public {
        vm.prank(alice);
        engine.close(id, 0, block.timestamp);
        _assertAddReverts(alice, id, 10 * USD, abi.encodeWithSelector(IMarginEngine.UnknownPosition.selector, id));
    }

    function test_addMargin_revertsWhen_callerNotOwner() public {
        _assertAddReverts(bob, id, 10 * USD, abi.encodeWithSelector(IMarginEngine.NotPositionOwner.selector, id, bob));
    }

    function test_addMargin_revertsWhen_tokenTakesATransferFee() public {
        FeeSystem memory s = _deployFeeSystem();
        vm.prank(alice);
        uint256 feeId = s.engine.open(ETH, true, 1e18, 600 * USD, ETH_PRICE, block.timestamp);
        s.token.setFeeBps(100);
        Position memory before = s.engine.position(feeId);
        uint256 aliceBefore = s.token.balanceOf(alice);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.FeeOnTransferToken.selector, 100 * USD, 99 * USD));
        vm.prank(alice);
        s.engine.addMargin(feeId, 100 * USD);
        _assertPosition(s.engine.position(feeId), before);
        assertEq(s.token.balanceOf(alice), aliceBefore);
        assertEq(s.token.balanceOf(s.engine.vaultOf(feeId)), 605 * USD);
    }
}

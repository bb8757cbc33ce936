// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IMarginEngine} from "../../../contracts/interfaces/IMarginEngine.sol";
import {UnitBase} from "./UnitBase.sol";

/// @notice A liquidated owner who cannot receive their refund (a blocklisted address: the token's transfer to them
/// reverts) neither shields the position nor loses the refund: it waits in the vault until they claim it.
contract ClaimRefundTest is UnitBase {
    /// @dev Long 1 ETH at 3,000 with 310 USD, liquidated at 2,750: equity 60 USD, closing fee 2.75, keeper fee 27.5,
    /// penalty 27.5, refund 2.25 USD.
    uint256 internal constant REFUND = 2_250_000;
    uint256 internal id;

    function setUp() public override {
        super.setUp();
        id = _open(alice, true, 1e18, 310 * USD);
        setPrice(ETH, 2_750e18);
    }

    /// @dev Every transfer of the token to alice reverts, as for a blocklisted address.
    function _blockAlice() internal {
        vm.mockCallRevert(address(usd), abi.encodeWithSelector(IERC20.transfer.selector, alice), "blocklisted");
    }

    function _liquidateBlocked() internal {
        _blockAlice();
        vm.prank(keeper);
        engine.liquidate(id);
        vm.clearMockedCalls();
    }

    function _assertRefundWaiting(uint256 amount) internal view {
        (address owner, uint256 waiting) = engine.deferredRefund(id);
        assertEq(owner, amount == 0 ? address(0) : alice, "refund owner");
        assertEq(waiting, amount, "refund waiting");
        assertEq(vaultBalance(id), amount, "vault balance");
    }

    // ------------------------------------------------------------ deferral

    function test_liquidate_defersTheRefundOfAnOwnerWhoCannotReceive() public {
        uint256 aliceBefore = usd.balanceOf(alice);
        _blockAlice();
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionLiquidated(
            id,
            alice,
            keeper,
            2_750e18,
            32_500_000,
            27_500_000,
            REFUND,
            0,
            0,
            2_750_000
        );
        vm.expectEmit(address(engine));
        emit IMarginEngine.RefundDeferred(id, alice, REFUND);
        vm.prank(keeper);
        engine.liquidate(id);

        assertEq(engine.position(id).owner, address(0), "position not liquidated");
        assertEq(usd.balanceOf(keeper), 32_500_000, "keeper reward");
        assertEq(usd.balanceOf(alice), aliceBefore, "alice paid");
        _assertRefundWaiting(REFUND);
    }

    function test_liquidateBatch_defersTheRefundAndLiquidatesTheRest() public {
        setPrice(ETH, ETH_PRICE);
        uint256 other = _open(bob, true, 1e18, 310 * USD);
        setPrice(ETH, 2_750e18);
        _blockAlice();
        vm.prank(keeper);
        assertEq(engine.liquidateBatch(_ids(id, other)), 2, "liquidated");
        vm.clearMockedCalls();
        _assertRefundWaiting(REFUND);
        _assertDeleted(other);
    }

    function test_liquidate_paysARefundThatCanBeReceived() public {
        uint256 aliceBefore = usd.balanceOf(alice);
        vm.prank(keeper);
        engine.liquidate(id);
        assertEq(usd.balanceOf(alice), aliceBefore + REFUND, "refund");
        _assertRefundWaiting(0);
    }

    /// @dev A keeper cannot starve the refund transfer of gas to force a deferral: without the refund's full budget
    /// left, the liquidation reverts and changes nothing.
    function test_liquidate_revertsWhen_tooLittleGasIsLeftForTheRefund() public {
        Snapshot memory before = _snapshot(id);
        vm.prank(keeper);
        (bool ok, bytes memory err) = address(engine).call{gas: 200_000}(abi.encodeCall(IMarginEngine.liquidate, (id)));
        assertFalse(ok, "liquidated without the refund's gas");
        assertEq(bytes4(err), IMarginEngine.InsufficientGas.selector, "error");
        _assertUnchanged(before, id);

        vm.prank(keeper);
        engine.liquidate{gas: 500_000}(id);
        assertEq(engine.position(id).owner, address(0), "not liquidated with enough gas");
        _assertRefundWaiting(0);
    }

    // ------------------------------------------------------------ claim

    function test_claimRefund_paysTheAddressTheOwnerChooses() public {
        _liquidateBlocked();
        vm.expectEmit(address(engine));
        emit IMarginEngine.RefundClaimed(id, alice, carol, REFUND);
        vm.prank(alice);
        engine.claimRefund(id, carol);
        assertEq(usd.balanceOf(carol), REFUND, "paid");
        _assertRefundWaiting(0);
    }

    function test_claimRefund_revertsWhen_callerIsNotTheOwner() public {
        _liquidateBlocked();
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.NotPositionOwner.selector, id, bob));
        vm.prank(bob);
        engine.claimRefund(id, bob);
        _assertRefundWaiting(REFUND);
    }

    function test_claimRefund_revertsWhen_claimedTwice() public {
        _liquidateBlocked();
        vm.prank(alice);
        engine.claimRefund(id, carol);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.NoDeferredRefund.selector, id));
        vm.prank(alice);
        engine.claimRefund(id, carol);
        assertEq(usd.balanceOf(carol), REFUND, "paid twice");
    }

    function test_claimRefund_revertsWhen_nothingWasDeferred() public {
        // An open position, a refund that was paid, and an id never used.
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.NoDeferredRefund.selector, id));
        vm.prank(alice);
        engine.claimRefund(id, alice);

        vm.prank(keeper);
        engine.liquidate(id);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.NoDeferredRefund.selector, id));
        vm.prank(alice);
        engine.claimRefund(id, alice);

        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.NoDeferredRefund.selector, 99));
        vm.prank(alice);
        engine.claimRefund(99, alice);
        _assertRefundWaiting(0);
    }

    function test_claimRefund_revertsWhen_theRecipientCannotReceive() public {
        _liquidateBlocked();
        _blockAlice();
        vm.expectRevert("blocklisted");
        vm.prank(alice);
        engine.claimRefund(id, alice);
        vm.clearMockedCalls();
        _assertRefundWaiting(REFUND);
    }
}

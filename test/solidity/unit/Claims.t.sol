// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Vm} from "forge-std/Vm.sol";

import {
    CancelReason,
    IMarginEngineBase,
    IMarginEngineLiquidation,
    OrderKind
} from "../../../contracts/interfaces/IMarginEngine.sol";
import {UnitBase} from "./UnitBase.sol";

/// @notice Rule 6: a payout never makes an execution, a cancel, a liquidation or a take-profit revert. A transfer that
/// fails becomes a claim in the engine's ledger, keyed by position id and recorded for the position's owner (whoever
/// the payout was meant for); only that owner may claim it, to an address of their choosing. (Take-profit claims:
/// TakeProfit.t.sol.)
contract ClaimsTest is UnitBase {
    /// @dev Long 1 ETH at 3,000 with 310 USD, liquidated at 2,750: equity 60 USD, closing fee 2.75, keeper fee 27.5,
    /// penalty 27.5, refund 2.25 USD.
    uint256 internal constant REFUND = 2_250_000;
    uint256 internal id;
    address internal vault;

    function setUp() public override {
        super.setUp();
        id = _open(alice, true, 1e18, 310 * USD);
        vault = engine.vaultOf(id);
    }

    /// @dev Every transfer of the token to `who` reverts, as for a blocklisted address.
    function _block(address who) internal {
        vm.mockCallRevert(address(usd), abi.encodeWithSelector(IERC20.transfer.selector, who), "blocklisted");
    }

    function _crash() internal {
        setPrice(ETH, 2_750e18);
    }

    function _liquidateBlocked() internal {
        _crash();
        _block(alice);
        vm.prank(keeper);
        engine.liquidate(id);
        vm.clearMockedCalls();
    }

    function _assertClaim(uint256 positionId, address owner, uint256 amount) internal view {
        (address claimOwner, uint256 claimAmount) = engine.claimOf(positionId);
        assertEq(claimOwner, owner, "claim owner");
        assertEq(claimAmount, amount, "claim amount");
    }

    function _assertClaimRevertsWith(address caller, uint256 positionId, address to, bytes memory err) internal {
        Snapshot memory before = _snapshot(positionId);
        vm.expectRevert(err);
        vm.prank(caller);
        engine.claim(positionId, to);
        _assertUnchanged(before, positionId);
    }

    /// @dev The arguments of a custom error's revert data.
    function _args(bytes memory err) internal pure returns (bytes memory args) {
        args = new bytes(err.length - 4);
        for (uint256 i; i < args.length; ++i) args[i] = err[i + 4];
    }

    // ------------------------------------------------------------ recording

    function test_liquidate_recordsAClaimForAnOwnerWhoCannotReceive() public {
        _crash();
        uint256 aliceBefore = usd.balanceOf(alice);
        _block(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionLiquidated(
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
        emit IMarginEngineBase.ClaimRecorded(id, alice, alice, REFUND);
        vm.prank(keeper);
        engine.liquidate(id);
        vm.clearMockedCalls();

        assertEq(engine.position(id).owner, address(0), "position not liquidated");
        assertEq(usd.balanceOf(keeper), 32_500_000, "keeper reward");
        assertEq(usd.balanceOf(alice), aliceBefore, "alice paid");
        _assertClaim(id, alice, REFUND);
        // The claim sits in the engine, outside the vault, which is empty and free for the next position.
        assertEq(usd.balanceOf(address(engine)), REFUND, "engine");
        assertEq(usd.balanceOf(vault), 0, "vault");
        assertEq(engine.freeVaultCount(), 1);
    }

    function test_liquidateBatch_recordsTheClaimAndLiquidatesTheRest() public {
        uint256 other = _open(bob, true, 1e18, 310 * USD);
        address otherVault = engine.vaultOf(other);
        _crash();
        uint256 bobBefore = usd.balanceOf(bob);
        _block(alice);
        vm.prank(keeper);
        assertEq(engine.liquidateBatch(_ids(id, other)), 2, "liquidated");
        vm.clearMockedCalls();
        // alice's long, opened a second before bob's, owes a second of borrow fee.
        uint256 aliceRefund = REFUND - _borrowFee(1e18, ETH_PRICE, RATE * 1);
        _assertClaim(id, alice, aliceRefund);
        _assertClaim(other, address(0), 0);
        assertEq(usd.balanceOf(bob), bobBefore + REFUND, "bob paid");
        assertEq(engine.position(other).owner, address(0), "other liquidated");
        assertEq(usd.balanceOf(otherVault), 0);
        assertEq(usd.balanceOf(address(engine)), aliceRefund);
    }

    /// @dev Nothing owed, nothing recorded: a blocked owner whose liquidation leaves no refund gets no claim.
    function test_liquidate_recordsNoClaimWhenNothingIsOwed() public {
        setPrice(ETH, 2_700e18); // equity 10 USD: closing fee and keeper fee take it all
        _block(alice);
        vm.recordLogs();
        vm.prank(keeper);
        engine.liquidate(id);
        vm.clearMockedCalls();
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            assertTrue(logs[i].topics[0] != IMarginEngineBase.ClaimRecorded.selector, "claim recorded");
        }
        _assertClaim(id, address(0), 0);
        assertEq(usd.balanceOf(address(engine)), 0);
    }

    function test_liquidate_paysARefundThatCanBeReceived() public {
        _crash();
        uint256 aliceBefore = usd.balanceOf(alice);
        vm.prank(keeper);
        engine.liquidate(id);
        assertEq(usd.balanceOf(alice), aliceBefore + REFUND, "refund");
        _assertClaim(id, address(0), 0);
        assertEq(usd.balanceOf(address(engine)), 0);
    }

    /// @dev A close's payout meant for a receiver who cannot receive is recorded for the owner: the receiver was the
    /// owner's choice, and only the owner may redirect it.
    function test_close_recordsTheReceiversPayoutForTheOwner() public {
        requestClose(id, bob);
        uint256 payout = 310 * USD + KEEPER_RESERVE - 3 * USD - _borrowFee(1e18, ETH_PRICE, RATE * 1);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE); // the close's round
        _block(bob);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.ClaimRecorded(id, alice, bob, payout);
        vm.prank(keeper);
        engine.executeOrder(id);
        vm.clearMockedCalls();
        _assertClaim(id, alice, payout);
        assertEq(usd.balanceOf(bob), 0);

        _assertClaimRevertsWith(
            bob,
            id,
            bob,
            abi.encodeWithSelector(IMarginEngineBase.NotPositionOwner.selector, id, bob)
        );
        vm.prank(alice);
        engine.claim(id, carol);
        assertEq(usd.balanceOf(carol), payout);
        _assertClaim(id, address(0), 0);
    }

    /// @dev A cancelled open's refund (collateral, keeper reserve, execution fee) becomes a claim; the position ends
    /// and its vault is free at once.
    function test_cancelOrder_recordsTheRefundOfACancelledOpen() public {
        fund(alice, 100 * USD + KEEPER_RESERVE + 1 * USD);
        vm.prank(alice);
        uint256 pending = engine.requestOpen(ETH, true, 1e18, 100 * USD, type(uint128).max, _deadline(), 1 * USD);
        address pendingVault = engine.vaultOf(pending);
        vm.warp(block.timestamp + MAX_ORDER_WAIT + 1); // no round before the deadline
        uint256 refund = 100 * USD + KEEPER_RESERVE + 1 * USD;
        _block(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(pending, OrderKind.Open, CancelReason.Expired, bob, refund, 0);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.ClaimRecorded(pending, alice, alice, refund);
        vm.prank(bob);
        engine.cancelOrder(pending);
        vm.clearMockedCalls();

        _assertClaim(pending, alice, refund);
        assertEq(engine.position(pending).owner, address(0), "position ended");
        assertEq(usd.balanceOf(pendingVault), 0, "vault emptied");
        assertEq(engine.freeVaultCount(), 1, "vault freed");
        assertEq(usd.balanceOf(address(engine)), refund);
    }

    /// @dev A reused vault starts empty: an earlier position's claim stays in the engine, and the new position's
    /// payouts never touch it.
    function test_claim_survivesTheReuseOfTheVault() public {
        _liquidateBlocked();
        uint256 next = openPosition(bob, ETH, true, 1e18, 600 * USD);
        assertEq(engine.vaultOf(next), vault, "vault reused");
        assertEq(usd.balanceOf(vault), 605 * USD, "only the new position's funds");
        closePosition(next, bob);
        _assertClaim(id, alice, REFUND);
        assertEq(usd.balanceOf(address(engine)), REFUND);
        vm.prank(alice);
        engine.claim(id, alice);
        assertEq(usd.balanceOf(address(engine)), 0);
    }

    /// @dev Claims of one position accumulate: a cancelled order's refund and the close payout both wait under the
    /// same id, and one claim pays them together.
    function test_claims_accumulatePerPositionId() public {
        uint256 acc = _open(alice, true, 1e18, 1_000 * USD);
        uint256 openedAt = block.timestamp;
        fund(alice, 51 * USD);
        vm.prank(alice);
        engine.requestIncrease(acc, 0.1e18, 50 * USD, type(uint128).max, _deadline(), 1 * USD);
        // The increase's round comes (the feeds keep reporting) but nobody executes it in its window.
        _skip(MAX_ORDER_WAIT + 1);

        _block(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.ClaimRecorded(acc, alice, alice, 51 * USD);
        engine.cancelOrder(acc);
        vm.clearMockedCalls();
        _assertClaim(acc, alice, 51 * USD);

        requestClose(acc, alice);
        _block(alice);
        executeAt(acc, ETH, ETH_PRICE);
        vm.clearMockedCalls();
        // Closing fee 3 USD; the borrow fee from the open to the close.
        uint256 payout =
            1_000 * USD + KEEPER_RESERVE - 3 * USD - _borrowFee(1e18, ETH_PRICE, RATE * (block.timestamp - openedAt));
        _assertClaim(acc, alice, 51 * USD + payout);
        _assertClaim(id, address(0), 0);
        assertEq(usd.balanceOf(address(engine)), 51 * USD + payout);

        uint256 aliceBefore = usd.balanceOf(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.Claimed(acc, alice, alice, 51 * USD + payout);
        vm.prank(alice);
        engine.claim(acc, alice);
        assertEq(usd.balanceOf(alice), aliceBefore + 51 * USD + payout);
        _assertClaim(acc, address(0), 0);
    }

    /// @dev A liquidation that refunds a pending order's escrow and pays an owner refund, both undeliverable, records
    /// two claims under the position's id, which add up.
    function test_liquidate_accumulatesTheEscrowRefundAndTheOwnerRefund() public {
        fund(alice, 51 * USD);
        vm.prank(alice);
        engine.requestIncrease(id, 0.1e18, 50 * USD, type(uint128).max, _deadline(), 1 * USD);
        _crash();
        _block(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.ClaimRecorded(id, alice, alice, 51 * USD);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.ClaimRecorded(id, alice, alice, REFUND);
        vm.prank(keeper);
        engine.liquidate(id);
        vm.clearMockedCalls();
        _assertClaim(id, alice, 51 * USD + REFUND);
        assertEq(usd.balanceOf(address(engine)), 51 * USD + REFUND);
        assertEq(usd.balanceOf(vault), 0);
    }

    /// @dev Claims of different positions of the same owner stay apart.
    function test_claims_ofDifferentPositionsStayApart() public {
        uint256 second = _open(alice, true, 1e18, 310 * USD);
        _crash();
        _block(alice);
        vm.prank(keeper);
        engine.liquidateBatch(_ids(id, second));
        vm.clearMockedCalls();
        uint256 firstRefund = REFUND - _borrowFee(1e18, ETH_PRICE, RATE * 1);
        _assertClaim(id, alice, firstRefund);
        _assertClaim(second, alice, REFUND);

        vm.prank(alice);
        engine.claim(second, carol);
        assertEq(usd.balanceOf(carol), REFUND);
        _assertClaim(second, address(0), 0);
        _assertClaim(id, alice, firstRefund);
        assertEq(usd.balanceOf(address(engine)), firstRefund);
    }

    /// @dev A keeper cannot starve the payout of gas to force a claim: without the payout's full budget left, the
    /// liquidation reverts with {InsufficientGas} and changes nothing.
    /// @dev A keeper cannot starve the owner's payout into a claim: with any gas limit, a liquidation either reverts,
    /// changing nothing (out of gas before the payout, or `InsufficientGas` at it), or pays the owner in full.
    function test_liquidate_revertsWhen_tooLittleGasIsLeftForThePayout() public {
        _crash();
        Snapshot memory before = _snapshot(id);
        bool guarded;
        uint256 limit = 150_000;
        for (; limit < 1_000_000; limit += 2_000) {
            vm.prank(keeper);
            (bool ok, bytes memory err) = address(engine).call{gas: limit}(
                abi.encodeCall(IMarginEngineLiquidation.liquidate, (id))
            );
            if (ok) break;
            _assertUnchanged(before, id);
            if (err.length == 0) continue; // out of gas before the payout
            assertEq(bytes4(err), IMarginEngineBase.InsufficientGas.selector, "error");
            (uint256 left, uint256 needed) = abi.decode(_args(err), (uint256, uint256));
            // PAYOUT_GAS forwarded in full (the 63/64 rule) plus what recording a claim takes.
            assertEq(engine.PAYOUT_GAS(), 100_000);
            assertEq(needed, (engine.PAYOUT_GAS() * 64) / 63 + 60_000, "needed");
            assertLt(left, needed, "left");
            guarded = true;
        }
        assertTrue(guarded, "no gas limit reached the payout's guard");
        assertEq(engine.position(id).owner, address(0), "not liquidated with enough gas");
        _assertClaim(id, address(0), 0);
        assertGt(usd.balanceOf(alice), before.alice, "the owner was not paid");
    }

    // ------------------------------------------------------------ claim

    function test_claim_paysTheAddressTheOwnerChooses() public {
        _liquidateBlocked();
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.Claimed(id, alice, carol, REFUND);
        vm.prank(alice);
        engine.claim(id, carol);
        assertEq(usd.balanceOf(carol), REFUND, "paid");
        assertEq(usd.balanceOf(address(engine)), 0);
        _assertClaim(id, address(0), 0);
    }

    function test_claim_revertsWhen_callerIsNotTheOwner() public {
        _liquidateBlocked();
        _assertClaimRevertsWith(
            bob,
            id,
            bob,
            abi.encodeWithSelector(IMarginEngineBase.NotPositionOwner.selector, id, bob)
        );
        // Not even to the owner's address.
        _assertClaimRevertsWith(
            keeper,
            id,
            alice,
            abi.encodeWithSelector(IMarginEngineBase.NotPositionOwner.selector, id, keeper)
        );
        _assertClaim(id, alice, REFUND);
    }

    function test_claim_revertsWhen_receiverIsZero() public {
        _liquidateBlocked();
        _assertClaimRevertsWith(alice, id, address(0), abi.encodeWithSelector(IMarginEngineBase.ZeroReceiver.selector));
        _assertClaim(id, alice, REFUND);
    }

    function test_claim_revertsWhen_claimedTwice() public {
        _liquidateBlocked();
        vm.prank(alice);
        engine.claim(id, carol);
        _assertClaimRevertsWith(
            alice,
            id,
            carol,
            abi.encodeWithSelector(IMarginEngineBase.NothingToClaim.selector, id)
        );
        assertEq(usd.balanceOf(carol), REFUND, "paid twice");
    }

    function test_claim_revertsWhen_nothingToClaim() public {
        // An open position, a refund that was paid, and ids never used.
        _assertClaimRevertsWith(
            alice,
            id,
            alice,
            abi.encodeWithSelector(IMarginEngineBase.NothingToClaim.selector, id)
        );
        _crash();
        vm.prank(keeper);
        engine.liquidate(id);
        _assertClaimRevertsWith(
            alice,
            id,
            alice,
            abi.encodeWithSelector(IMarginEngineBase.NothingToClaim.selector, id)
        );
        _assertClaimRevertsWith(
            alice,
            99,
            alice,
            abi.encodeWithSelector(IMarginEngineBase.NothingToClaim.selector, 99)
        );
        _assertClaimRevertsWith(alice, 0, alice, abi.encodeWithSelector(IMarginEngineBase.NothingToClaim.selector, 0));
    }

    function test_claim_revertsWhen_theRecipientCannotReceive() public {
        _liquidateBlocked();
        _block(alice);
        vm.expectRevert("blocklisted");
        vm.prank(alice);
        engine.claim(id, alice);
        vm.clearMockedCalls();
        _assertClaim(id, alice, REFUND);
        assertEq(usd.balanceOf(address(engine)), REFUND);
    }
}

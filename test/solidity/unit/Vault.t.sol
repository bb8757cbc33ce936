// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Vm} from "forge-std/Vm.sol";

import {
    CancelReason,
    IMarginEngineBase,
    Order,
    OrderKind,
    Position
} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IPositionVault} from "../../../contracts/interfaces/IPositionVault.sol";
import {UnitBase} from "./UnitBase.sol";

/// @notice Position vaults: one EIP-1167 clone per position in use, paid from only by the engine, holding exactly the
/// position's recorded collateral, keeper reserve and pending escrow (invariant 1). Rule 15: an emptied vault goes to
/// a free list and the next request reuses it; a donation found in a reused vault is swept to the insurance fund, and
/// no payout is ever taken from a donation.
contract VaultTest is UnitBase {
    uint256 internal constant FEE = 1 * USD;

    /// @dev Asserts invariant 1 for a position in use: its vault holds its recorded collateral, keeper reserve and
    /// the escrow of its pending orders, plus exactly `donated` more. Returns the vault's balance.
    function _assertVaultHolds(uint256 id, uint256 donated) internal view returns (uint256 balance) {
        Position memory p = engine.position(id);
        (Order memory order, Order memory close) = engine.orders(id);
        uint256 recorded =
            uint256(p.collateral) + p.keeperReserve + order.collateralDelta + order.executionFee + close.executionFee;
        balance = usd.balanceOf(engine.vaultOf(id));
        assertEq(balance, recorded + donated, "vault balance = recorded amounts (+ donation)");
        assertGe(balance, recorded, "invariant 1");
    }

    /// @dev Requests an open with a 1 USD execution fee; returns the id and its vault.
    function _request(address who, uint256 collateral) internal returns (uint256 id, address vault) {
        fund(who, collateral + KEEPER_RESERVE + FEE);
        vm.prank(who);
        id = engine.requestOpen(ETH, true, 1e18, collateral, type(uint128).max, _deadline(), FEE);
        vault = engine.vaultOf(id);
    }

    function _count(Vm.Log[] memory logs, bytes32 topic) internal view returns (uint256 n) {
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(engine) && logs[i].topics[0] == topic) ++n;
        }
    }

    // ------------------------------------------------------------ address and code

    function test_vaultOf_isZeroForAnIdNotInUse() public view {
        assertEq(engine.vaultOf(0), address(0));
        assertEq(engine.vaultOf(1), address(0));
        assertEq(engine.vaultOf(type(uint256).max), address(0));
    }

    /// @dev The vault is the position's from its request: the pending open's escrow already sits in it.
    function test_requestOpen_deploysAMinimalProxyToTheImplementation() public {
        uint256 nonce = vm.getNonce(address(engine));
        (uint256 id, address vault) = _request(alice, 600 * USD);
        assertEq(vault, vm.computeCreateAddress(address(engine), nonce), "a new clone, created by the engine");
        assertEq(engine.position(id).vault, vault);
        address implementation = engine.VAULT_IMPLEMENTATION();
        assertEq(
            vault.code,
            abi.encodePacked(hex"363d3d373d3d3d363d73", implementation, hex"5af43d82803e903d91602b57fd5bf3")
        );
        assertEq(IPositionVault(vault).ENGINE(), address(engine));
        assertEq(address(IPositionVault(vault).ASSET()), address(usd));
        assertEq(usd.balanceOf(vault), 600 * USD + KEEPER_RESERVE + FEE, "escrow");
    }

    function test_requestOpen_givesEveryPositionInUseItsOwnVault() public {
        (uint256 a, address vaultA) = _request(alice, 600 * USD);
        (uint256 b, address vaultB) = _request(bob, 400 * USD);
        uint256 c = _openStandardLong();
        assertTrue(vaultA != vaultB && vaultA != engine.vaultOf(c) && vaultB != engine.vaultOf(c), "shared vault");
        assertEq(engine.freeVaultCount(), 0);
        _assertVaultHolds(a, 0);
        _assertVaultHolds(b, 0);
        _assertVaultHolds(c, 0);
    }

    /// @dev `vaultOf` forgets a position once it is gone; the vault itself lives on, empty, on the free list.
    function test_vaultOf_isZeroOnceThePositionIsGone() public {
        uint256 id = _openStandardLong();
        address vault = engine.vaultOf(id);
        closePosition(id, alice);
        assertEq(engine.vaultOf(id), address(0));
        assertEq(engine.position(id).vault, address(0));
        assertEq(usd.balanceOf(vault), 0);
        assertGt(vault.code.length, 0, "the clone stays deployed for reuse");
        assertEq(engine.freeVaultCount(), 1);
    }

    // ------------------------------------------------------------ pay

    function test_pay_revertsWhen_callerIsNotTheEngine() public {
        uint256 id = _openStandardLong();
        IPositionVault vault = IPositionVault(engine.vaultOf(id));
        address[6] memory callers = [alice, keeper, address(pool), address(insurance), address(this), address(vault)];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IPositionVault.OnlyEngine.selector, callers[i]));
            vm.prank(callers[i]);
            vault.pay(callers[i], 1);
        }
        assertEq(vaultBalance(id), 605 * USD);
    }

    function test_pay_implementationRevertsWhen_callerIsNotTheEngine() public {
        IPositionVault implementation = IPositionVault(engine.VAULT_IMPLEMENTATION());
        assertEq(implementation.ENGINE(), address(engine));
        vm.expectRevert(abi.encodeWithSelector(IPositionVault.OnlyEngine.selector, alice));
        vm.prank(alice);
        implementation.pay(alice, 0);
    }

    /// @dev The modules run on the engine's storage: called directly, a module is not the engine.
    function test_pay_revertsWhen_calledByAnEngineModule() public {
        uint256 id = _openStandardLong();
        IPositionVault vault = IPositionVault(engine.vaultOf(id));
        address[2] memory modules = [engine.ORDER_MODULE(), engine.LIQUIDATION_MODULE()];
        for (uint256 i; i < modules.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IPositionVault.OnlyEngine.selector, modules[i]));
            vm.prank(modules[i]);
            vault.pay(modules[i], 1);
        }
        assertEq(vaultBalance(id), 605 * USD);
    }

    function test_pay_byTheEngineMovesTheAsset() public {
        uint256 id = _openStandardLong();
        IPositionVault vault = IPositionVault(engine.vaultOf(id));
        vm.prank(address(engine));
        vault.pay(bob, 7 * USD);
        assertEq(usd.balanceOf(bob), 7 * USD);
        assertEq(vaultBalance(id), 598 * USD);
    }

    // ------------------------------------------------------------ invariant 1 and isolation

    /// @dev Through a position's whole life, with execution fees on every order, its vault holds exactly its recorded
    /// collateral, keeper reserve and pending escrow; the engine holds nothing.
    function test_vault_holdsTheRecordedAmountsThroughAPositionsLife() public {
        (uint256 id, address vault) = _request(alice, 600 * USD);
        _assertVaultHolds(id, 0);
        executeAt(id, ETH, ETH_PRICE);
        _assertVaultHolds(id, 0); // 600 − 3 USD of opening fee, + the reserve; the fee went to the executor

        fund(bob, 25 * USD);
        vm.prank(bob);
        engine.addMargin(id, 25 * USD);
        _assertVaultHolds(id, 0);

        fund(alice, 100 * USD + FEE);
        vm.prank(alice);
        engine.requestIncrease(id, 0.5e18, 100 * USD, type(uint128).max, _deadline(), FEE);
        _assertVaultHolds(id, 0);
        executeAt(id, ETH, 3_100e18);
        _assertVaultHolds(id, 0);

        fund(alice, FEE);
        vm.prank(alice);
        engine.requestDecrease(id, 0.5e18, 0, _deadline(), FEE, bob);
        _assertVaultHolds(id, 0);
        executeAt(id, ETH, 2_900e18);
        _assertVaultHolds(id, 0);

        vm.prank(alice);
        engine.removeMargin(id, 50 * USD, alice);
        _assertVaultHolds(id, 0);

        fund(alice, FEE);
        vm.prank(alice);
        engine.requestClose(id, 0, _deadline(), FEE, alice);
        _assertVaultHolds(id, 0);
        executeAt(id, ETH, 3_050e18);

        assertEq(usd.balanceOf(vault), 0, "emptied");
        assertEq(usd.balanceOf(address(engine)), 0, "the engine never holds funds");
        assertEq(usd.balanceOf(keeper), 4 * FEE, "the executor earned every execution fee");
    }

    /// @dev Invariant 1 with a donation: the vault holds the recorded amounts and the donation on top, and every
    /// payout is computed from the records, so the donation is still there at the end.
    function test_vault_neverPaysADonationThroughAPositionsLife() public {
        (uint256 id, address vault) = _request(alice, 600 * USD);
        usd.mint(vault, 9 * USD);
        _assertVaultHolds(id, 9 * USD);
        executeAt(id, ETH, ETH_PRICE);
        _assertVaultHolds(id, 9 * USD);
        fund(alice, FEE);
        vm.prank(alice);
        engine.requestDecrease(id, 0.5e18, 0, _deadline(), FEE, alice);
        executeAt(id, ETH, 3_200e18);
        _assertVaultHolds(id, 9 * USD);
        vm.prank(alice);
        engine.removeMargin(id, 10 * USD, alice);
        _assertVaultHolds(id, 9 * USD);
        closePosition(id, alice);
        assertEq(usd.balanceOf(vault), 9 * USD, "only the donation is left");
    }

    /// @dev Exact amounts of a close with a donation in the vault: the receiver gets collateral + keeper reserve −
    /// closing fee, not a unit more.
    function test_close_paysTheRecordedAmountsNotTheBalance() public {
        uint256 id = _openStandardLong();
        address vault = engine.vaultOf(id);
        usd.mint(vault, 7 * USD);
        closePosition(id, bob); // one second later at the same price: a second of borrow fee and 3 USD of closing fee
        uint256 payout = 600 * USD + KEEPER_RESERVE - 3 * USD - _borrowFee(1e18, ETH_PRICE, RATE * 1);
        assertEq(usd.balanceOf(bob), payout, "receiver");
        assertEq(usd.balanceOf(vault), 7 * USD, "donation left for the sweep");
    }

    function test_vault_holdsOnlyItsOwnPositionsFunds() public {
        uint256 a = _openStandardLong();
        uint256 b = openPosition(bob, BTC, false, 0.1e18, 1_000 * USD);
        assertEq(vaultBalance(a), 605 * USD);
        assertEq(vaultBalance(b), 1_005 * USD);
        fund(alice, 10 * USD);
        vm.prank(alice);
        engine.addMargin(a, 10 * USD);
        assertEq(vaultBalance(a), 615 * USD);
        assertEq(vaultBalance(b), 1_005 * USD);
        closePosition(a, alice);
        assertEq(vaultBalance(b), 1_005 * USD);
        assertEq(usd.balanceOf(address(engine)), 0, "the engine never holds funds");
    }

    // ------------------------------------------------------------ reuse (rule 15)

    function test_requestOpen_reusesAnEmptiedVault() public {
        uint256 id = _openStandardLong();
        address vault = engine.vaultOf(id);
        closePosition(id, alice);
        assertEq(engine.freeVaultCount(), 1);

        uint256 nonce = vm.getNonce(address(engine));
        vm.recordLogs();
        (uint256 next, address nextVault) = _request(bob, 400 * USD);
        assertEq(nextVault, vault, "reused");
        assertEq(engine.position(next).vault, vault);
        assertEq(engine.freeVaultCount(), 0);
        assertEq(vm.getNonce(address(engine)), nonce, "no new clone");
        assertEq(_count(vm.getRecordedLogs(), IMarginEngineBase.VaultSwept.selector), 0, "nothing to sweep");
        assertEq(usd.balanceOf(address(insurance)), 0);
        _assertVaultHolds(next, 0);
    }

    /// @dev The free list is last in, first out.
    function test_requestOpen_reusesTheLastFreedVaultFirst() public {
        uint256 a = _openStandardLong();
        uint256 b = openPosition(bob, ETH, false, 1e18, 600 * USD);
        address vaultA = engine.vaultOf(a);
        address vaultB = engine.vaultOf(b);
        closePosition(a, alice);
        closePosition(b, bob);
        assertEq(engine.freeVaultCount(), 2);
        (, address first) = _request(carol, 100 * USD);
        (, address second) = _request(carol, 100 * USD);
        assertEq(first, vaultB);
        assertEq(second, vaultA);
        assertEq(engine.freeVaultCount(), 0);
        (, address third) = _request(carol, 100 * USD);
        assertTrue(third != vaultA && third != vaultB, "a new clone once the list is empty");
    }

    function test_liquidate_freesTheVault() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        address vault = engine.vaultOf(id);
        setPrice(ETH, 2_750e18);
        vm.prank(keeper);
        engine.liquidate(id);
        assertEq(engine.freeVaultCount(), 1);
        (, address next) = _request(bob, 100 * USD);
        assertEq(next, vault);
    }

    /// @dev A cancelled open ends the position: the full escrow goes back and the vault is free at once.
    function test_cancelledOpen_freesItsVault() public {
        (uint256 id, address vault) = _request(alice, 600 * USD);
        vm.warp(block.timestamp + MAX_ORDER_WAIT + 1); // no round before the deadline
        uint256 aliceBefore = usd.balanceOf(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            id,
            OrderKind.Open,
            CancelReason.Expired,
            keeper,
            600 * USD + KEEPER_RESERVE + FEE,
            0
        );
        vm.prank(keeper);
        engine.cancelOrder(id);

        assertEq(usd.balanceOf(alice), aliceBefore + 600 * USD + KEEPER_RESERVE + FEE, "full refund");
        assertEq(usd.balanceOf(vault), 0);
        assertEq(engine.vaultOf(id), address(0));
        _assertPosition(engine.position(id), _emptyPosition());
        assertEq(engine.freeVaultCount(), 1);
        (, address next) = _request(bob, 100 * USD);
        assertEq(next, vault, "reused");
    }

    /// @dev Rule 15: a donation to an emptied vault is swept to the insurance fund when the vault is reused, before
    /// the new escrow arrives, so the new position starts from a vault holding exactly its records.
    function test_requestOpen_sweepsADonationToAnEmptiedVault() public {
        uint256 id = _openStandardLong();
        address vault = engine.vaultOf(id);
        closePosition(id, alice);
        usd.mint(vault, 3 * USD);

        fund(bob, 400 * USD + KEEPER_RESERVE + FEE);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.VaultSwept(vault, 3 * USD);
        vm.prank(bob);
        uint256 next = engine.requestOpen(ETH, true, 1e18, 400 * USD, type(uint128).max, _deadline(), FEE);

        assertEq(engine.vaultOf(next), vault);
        assertEq(usd.balanceOf(address(insurance)), 3 * USD, "swept to the insurance fund");
        _assertVaultHolds(next, 0);
    }

    /// @dev A donation made to a live vault stays through the close and is swept at reuse; nobody is paid from it.
    function test_requestOpen_sweepsADonationMadeWhileThePositionWasOpen() public {
        uint256 id = _openStandardLong();
        address vault = engine.vaultOf(id);
        usd.mint(vault, 5 * USD);
        uint256 aliceBefore = usd.balanceOf(alice);
        closePosition(id, alice);
        uint256 payout = 600 * USD + KEEPER_RESERVE - 3 * USD - _borrowFee(1e18, ETH_PRICE, RATE * 1);
        assertEq(usd.balanceOf(alice), aliceBefore + payout, "recorded amounts only");
        assertEq(usd.balanceOf(vault), 5 * USD);

        (uint256 next, ) = _request(bob, 400 * USD);
        assertEq(usd.balanceOf(address(insurance)), 5 * USD);
        _assertVaultHolds(next, 0);
    }

    /// @dev A donation to a pending open's vault is not refunded on a cancel: the refund is the recorded escrow.
    function test_cancelledOpen_refundsTheEscrowNotADonation() public {
        (uint256 id, address vault) = _request(alice, 600 * USD);
        usd.mint(vault, 2 * USD);
        vm.warp(block.timestamp + MAX_ORDER_WAIT + 1);
        uint256 aliceBefore = usd.balanceOf(alice);
        engine.cancelOrder(id);
        assertEq(usd.balanceOf(alice), aliceBefore + 600 * USD + KEEPER_RESERVE + FEE);
        assertEq(usd.balanceOf(vault), 2 * USD, "the donation stays for the sweep");

        fund(bob, 400 * USD + KEEPER_RESERVE + FEE);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.VaultSwept(vault, 2 * USD);
        vm.prank(bob);
        uint256 next = engine.requestOpen(ETH, true, 1e18, 400 * USD, type(uint128).max, _deadline(), FEE);
        assertEq(usd.balanceOf(address(insurance)), 2 * USD);
        _assertVaultHolds(next, 0);
    }

    /// @dev A donation to the address a new clone will be deployed at is not the new position's: a fresh vault is
    /// not swept, but nothing is paid from the donation either, and it is swept once the vault is reused.
    function test_newVault_fundedBeforehand_neverPaysTheDonation() public {
        address predicted = vm.computeCreateAddress(address(engine), vm.getNonce(address(engine)));
        usd.mint(predicted, 2 * USD);
        uint256 id = _openStandardLong();
        assertEq(engine.vaultOf(id), predicted);
        assertEq(engine.position(id).collateral, 600 * USD, "the donation is not collateral");
        _assertVaultHolds(id, 2 * USD);
        closePosition(id, alice);
        assertEq(usd.balanceOf(predicted), 2 * USD);
        (uint256 next, ) = _request(bob, 400 * USD);
        assertEq(engine.vaultOf(next), predicted);
        assertEq(usd.balanceOf(address(insurance)), 2 * USD);
        _assertVaultHolds(next, 0);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";

import {LiquidationPreview} from "../../../contracts/interfaces/IBulkheadLens.sol";
import {IMarginEngine, Position} from "../../../contracts/interfaces/IMarginEngine.sol";
import {AttackBase} from "./utils/AttackBase.sol";

/// @dev Unsolicited transfers: into an empty ERC-4626 pool (the first-depositor inflation attack), and into a position's
/// vault, before it exists (its address is predictable: `vaultOf(nextPositionId())`) and after. Vault donations are
/// not margin: they never change a position's equity or health; a close pays them to the owner and a liquidation to the
/// keeper, as the engine documents.
contract DonationAttackTest is AttackBase {
    /// @dev A second system on the same token, whose pool nobody has deposited into yet.
    System internal fresh;

    function setUp() public override {
        super.setUp();
        fresh = _deploySystem(IERC20Metadata(address(usd)));
    }

    // ------------------------------------------------------------ pool: first-depositor inflation

    function test_inflationAttack_victimLosesNegligible_attackerLoses() public {
        System memory s = fresh;
        uint256 donation = 1_000_000 * USD;
        uint256 attackerShares = _inflate(s, 1, donation);

        uint256 victimDeposit = 10_000 * USD;
        uint256 victimShares = _deposit(s, alice, victimDeposit);
        assertGt(victimShares, 0, "victim got no shares");
        vm.prank(alice);
        uint256 victimOut = s.pool.redeem(victimShares, alice, alice);
        assertGe(victimOut, victimDeposit - 1 * USD, "victim lost more than 1 USD of 10,000");

        vm.prank(mallory);
        uint256 attackerOut = s.pool.redeem(attackerShares, mallory, mallory);
        assertLt(attackerOut, (donation * 51) / 100, "attacker kept more than half of the donation");
    }

    /// @dev Whatever the attacker's seed deposit and donation, the victim loses at most about a millionth of what the
    /// attacker put in (one share's worth), and the attacker never gets back more than they put in.
    function testFuzz_inflationAttack_neverProfits(uint256 seed, uint256 donation, uint256 victimDeposit) public {
        seed = bound(seed, 1, 1e12);
        donation = bound(donation, 0, 1e13);
        victimDeposit = bound(victimDeposit, 1, 1e13);
        System memory s = fresh;
        uint256 attackerShares = _inflate(s, seed, donation);

        uint256 victimShares = _deposit(s, alice, victimDeposit);
        vm.prank(alice);
        uint256 victimOut = s.pool.redeem(victimShares, alice, alice);
        assertLe(victimOut, victimDeposit, "victim gained");
        assertLe(victimDeposit - victimOut, (seed + donation) / 1e6 + 2, "victim lost more than one share's worth");

        vm.prank(mallory);
        uint256 attackerOut = s.pool.redeem(attackerShares, mallory, mallory);
        assertLe(attackerOut, seed + donation, "attacker profited");
    }

    // ------------------------------------------------------------ position vaults

    /// @dev Tokens sent to the address the next position's vault will have: the open still pulls exactly collateral
    /// plus reserve, the position records only its collateral, and the close pays the donation to the owner.
    function test_donationToFutureVault_openUnaffected_closePaysOwner() public {
        uint256 donation = 1_000 * USD;
        uint256 id = engine.nextPositionId();
        uint256 snapshotId = vm.snapshotState();
        (uint256 plainPayout, uint256 plainPool) = _openAndClose();
        vm.revertToState(snapshotId);

        _donate(mallory, engine.vaultOf(id), donation);
        (uint256 payout, uint256 poolAfter) = _openAndCloseChecked(id, donation);
        assertEq(payout, plainPayout + donation, "owner did not get the donation");
        assertEq(poolAfter, plainPool, "the pool's share changed");
    }

    function test_donationToVault_cannotRescueLiquidatablePosition() public {
        uint256 id = openPosition(alice, ETH, true, 1e18, 310 * USD);
        setPrice(ETH, 2_800e18);
        LiquidationPreview memory plain = lens.previewLiquidation(id);
        assertTrue(plain.liquidatable, "setup: liquidatable");

        uint256 donation = 10_000 * USD;
        _donate(alice, engine.vaultOf(id), donation);
        LiquidationPreview memory donated = lens.previewLiquidation(id);
        assertTrue(donated.liquidatable, "donation rescued the position");
        assertEq(donated.equity, plain.equity, "donation counted as equity");
        assertEq(donated.ownerRefund, plain.ownerRefund, "owner refund");
        assertEq(donated.keeperReward, plain.keeperReward + donation, "keeper reward");

        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 insuranceBefore = usd.balanceOf(address(insurance));
        vm.prank(keeper);
        engine.liquidate(id);
        assertEq(usd.balanceOf(keeper), plain.keeperReward + donation, "keeper not paid the donation");
        assertEq(usd.balanceOf(alice) - aliceBefore, plain.ownerRefund, "owner refund");
        assertEq(usd.balanceOf(address(insurance)) - insuranceBefore, plain.penalty, "penalty");
        assertEq(vaultBalance(id), 0, "vault not emptied");
    }

    /// @dev A donation cannot push a healthy position over the edge either: liquidation still reverts with the same
    /// equity (600 − 100 USD at 2,900, no time elapsed) and maintenance (5 % of 2,900).
    function test_donationToVault_healthyPositionStaysUnliquidatable() public {
        uint256 id = openPosition(alice, ETH, true, 1e18, 600 * USD);
        setPrice(ETH, 2_900e18);
        _donate(mallory, engine.vaultOf(id), 50_000 * USD);

        Snapshot memory before = _snapshot();
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.NotLiquidatable.selector, id, 500e6, 145e6));
        engine.liquidate(id);
        _assertUnchanged(before, _snapshot());
    }

    /// @dev The owner cannot withdraw a donation as margin: removeMargin counts only the recorded collateral.
    function test_donationToVault_notWithdrawableAsMargin() public {
        uint256 id = openPosition(alice, ETH, true, 1e18, 600 * USD);
        _donate(alice, engine.vaultOf(id), 1_000 * USD);

        Snapshot memory before = _snapshot();
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.CollateralBelowMinimum.selector, 0, MIN_COLLATERAL));
        engine.removeMargin(id, 601 * USD);
        // 299 USD left against 300 USD of initial margin (10 % of 3,000).
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.InitialMarginBreached.selector, int256(299e6), 300e6));
        engine.removeMargin(id, 301 * USD);
        vm.stopPrank();
        _assertUnchanged(before, _snapshot());
    }

    /// @dev A decrease pays the same with or without a donation; the donation stays in the vault until the close.
    function test_donationToVault_decreaseUnaffected() public {
        uint256 id = openPosition(alice, ETH, true, 1e18, 600 * USD);
        vm.warp(block.timestamp + 60);
        setPrice(ETH, 3_100e18);
        uint256 snapshotId = vm.snapshotState();
        uint256 plainPayout = _decreaseHalf(id);
        Position memory plain = engine.position(id);
        vm.revertToState(snapshotId);

        _donate(mallory, engine.vaultOf(id), 777 * USD);
        assertEq(_decreaseHalf(id), plainPayout, "decrease payout changed");
        assertEq(keccak256(abi.encode(engine.position(id))), keccak256(abi.encode(plain)), "record changed");
        assertEq(vaultBalance(id), plain.collateral + KEEPER_RESERVE + 777 * USD, "vault");
    }

    /// @dev Bad debt: the pool takes the whole collateral; the keeper takes reserve and donation, nothing more.
    function test_donationToVault_badDebtLiquidation_keeperGetsDonationOnly() public {
        uint256 id = openPosition(alice, ETH, true, 1e18, 310 * USD);
        _donate(mallory, engine.vaultOf(id), 100 * USD);
        setPrice(ETH, 2_500e18);
        uint256 poolBefore = usd.balanceOf(address(pool));

        vm.prank(keeper);
        engine.liquidate(id);
        assertEq(usd.balanceOf(keeper), KEEPER_RESERVE + 100 * USD, "keeper reward");
        assertEq(usd.balanceOf(address(pool)) - poolBefore, 310 * USD, "pool did not get the collateral");
        assertEq(vaultBalance(id), 0, "vault not emptied");
    }

    /// @dev A donation to the pool is the LPs' gain and touches no position.
    function test_donationToPool_positionsUntouched() public {
        uint256 id = openPosition(alice, ETH, true, 1e18, 600 * USD);
        Position memory record = engine.position(id);
        uint256 lpValue = pool.previewRedeem(pool.balanceOf(lp));
        _donate(mallory, address(pool), 100_000 * USD);

        assertEq(keccak256(abi.encode(engine.position(id))), keccak256(abi.encode(record)), "record changed");
        assertEq(vaultBalance(id), 600 * USD + KEEPER_RESERVE, "vault changed");
        assertGt(pool.previewRedeem(pool.balanceOf(lp)), lpValue + 99_000 * USD, "LP did not gain the donation");
        vm.prank(alice);
        engine.close(id, 0, block.timestamp);
        assertEq(vaultBalance(id), 0, "vault not emptied");
    }

    // ------------------------------------------------------------ helpers

    /// @dev Mallory makes the first deposit, `seed` units, then donates `donation` to the pool.
    function _inflate(System memory s, uint256 seed, uint256 donation) internal returns (uint256 shares) {
        shares = _deposit(s, mallory, seed);
        _donate(mallory, address(s.pool), donation);
    }

    /// @return payout What alice got back from the close.
    /// @return poolAfter The pool's balance after.
    function _openAndClose() internal returns (uint256 payout, uint256 poolAfter) {
        uint256 id = openPosition(alice, ETH, true, 1e18, 600 * USD);
        vm.warp(block.timestamp + 60);
        setPrice(ETH, 3_100e18);
        uint256 before = usd.balanceOf(alice);
        vm.prank(alice);
        engine.close(id, 0, block.timestamp);
        return (usd.balanceOf(alice) - before, usd.balanceOf(address(pool)));
    }

    function _openAndCloseChecked(uint256 id, uint256 donation) internal returns (uint256 payout, uint256 poolAfter) {
        uint256 aliceBefore = usd.balanceOf(alice) + 2 * 600 * USD + KEEPER_RESERVE;
        uint256 opened = openPosition(alice, ETH, true, 1e18, 600 * USD);
        assertEq(opened, id, "id");
        assertEq(engine.position(id).collateral, 600 * USD, "collateral recorded");
        assertEq(vaultBalance(id), 600 * USD + KEEPER_RESERVE + donation, "vault");
        assertEq(lens.equity(id), int256(600 * USD), "donation counted as equity");
        // Pulled: collateral, reserve and the 3 USD opening fee; nothing else.
        assertEq(aliceBefore - usd.balanceOf(alice), 600 * USD + KEEPER_RESERVE + 3 * USD, "pulled");
        vm.warp(block.timestamp + 60);
        setPrice(ETH, 3_100e18);
        uint256 before = usd.balanceOf(alice);
        vm.prank(alice);
        engine.close(id, 0, block.timestamp);
        assertEq(vaultBalance(id), 0, "vault not emptied");
        return (usd.balanceOf(alice) - before, usd.balanceOf(address(pool)));
    }

    function _decreaseHalf(uint256 id) internal returns (uint256 payout) {
        uint256 before = usd.balanceOf(alice);
        vm.prank(alice);
        engine.decrease(id, 0.5e18, 0, block.timestamp);
        return usd.balanceOf(alice) - before;
    }
}

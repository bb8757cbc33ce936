// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";

import {LiquidationPreview} from "../../../contracts/interfaces/IBulkheadLens.sol";
import {ILiquidityPool} from "../../../contracts/interfaces/ILiquidityPool.sol";
import {IMarginEngine, Position} from "../../../contracts/interfaces/IMarginEngine.sol";
import {AttackBase} from "./utils/AttackBase.sol";

/// @dev Unsolicited transfers: into an empty ERC-7540 pool (the first-depositor inflation attack), and into a position's
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

    /// @dev The classic first-depositor attack needs a one-unit seed: below `minRequest` the request is refused, and
    /// nothing moves.
    function test_inflationAttack_dustSeed_revertsRequestTooSmall() public {
        System memory s = fresh;
        _mint(s, mallory, 1);
        vm.prank(mallory);
        usd.approve(address(s.pool), 1);
        Snapshot memory before = _snapshot(s);
        vm.prank(mallory);
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.RequestTooSmall.selector, 1, MIN_REQUEST));
        s.pool.requestDeposit(1, mallory, mallory);
        _assertUnchanged(before, _snapshot(s));
    }

    /// @dev Mallory seeds the empty pool with the minimum and donates 1M USD; alice then deposits and redeems 10,000
    /// USD. Deposits execute at the worse of the cached price and the price at execution, so alice buys at the price
    /// the donation made: the donation stays with the shares that existed when it arrived (mallory's), and alice ends
    /// exactly where she ends without it, give or take a share's worth of rounding.
    function test_inflationAttack_donationChangesNobodysOutcome() public {
        System memory s = fresh;
        uint256 seed = MIN_REQUEST;
        uint256 donation = 1_000_000 * USD;
        uint256 victimDeposit = 10_000 * USD;

        uint256 snapshotId = vm.snapshotState();
        (uint256 plainVictimOut, uint256 plainAttackerOut) = _attackAndExit(s, seed, 0, victimDeposit);
        vm.revertToState(snapshotId);
        (uint256 victimOut, uint256 attackerOut) = _attackAndExit(s, seed, donation, victimDeposit);

        // Without a donation each gets their deposit back, less at most two units of share-price rounding.
        assertApproxEqAbs(plainVictimOut, victimDeposit - 1, 1, "alice without a donation");
        assertApproxEqAbs(plainAttackerOut, seed - 1, 1, "mallory without a donation");
        assertLe(victimOut, victimDeposit, "alice gained");
        // One share unit at the inflated price is worth about (seed + donation) / 1e6 units.
        assertLe(victimDeposit - victimOut, (seed + donation) / 1e6 + 2, "alice lost more than rounding");
        assertLe(attackerOut, seed + donation, "mallory profited");
    }

    /// @dev Whatever the seed, donation and deposit, alice loses at most a share's worth of rounding, and the attacker
    /// never gets back more than she put in plus that rounding.
    function testFuzz_inflationAttack_neverProfits(uint256 seed, uint256 donation, uint256 victimDeposit) public {
        seed = bound(seed, MIN_REQUEST, 1e12);
        donation = bound(donation, 0, 1e13);
        // Large enough that the victim's shares, less a share's worth of rounding, are still a redeemable request.
        victimDeposit = bound(victimDeposit, 3 * MIN_REQUEST, 1e13);
        (uint256 victimOut, uint256 attackerOut) = _attackAndExit(fresh, seed, donation, victimDeposit);
        assertLe(victimOut, victimDeposit, "victim gained");
        assertLe(victimDeposit - victimOut, (seed + donation) / 1e6 + 2, "victim lost more than one share's worth");
        // The attacker's only possible gain is the victim's rounding loss: no value is created.
        assertLe(attackerOut, seed + donation + (victimDeposit - victimOut), "attacker profited beyond rounding");
    }

    /// @dev A donation made while one's own redemption waits cannot be taken back with it: the redemption executes at
    /// the lower of the cached price (before the donation) and the price at execution, so the donation stays with the
    /// LPs who remain.
    function test_donationToPool_whileOwnRedemptionPending_staysWithOtherLPs() public {
        uint256 shares = deposit(mallory, 100_000 * USD);
        uint256 lpShares = pool.balanceOf(lp);
        uint256 lpValueBefore = pool.convertToAssets(lpShares);

        uint256 snapshotId = vm.snapshotState();
        uint256 plainOut = redeem(mallory, shares);
        vm.revertToState(snapshotId);

        vm.prank(mallory);
        pool.requestRedeem(shares, mallory, mallory);
        _donate(mallory, address(pool), 50_000 * USD);
        vm.warp(block.timestamp + LP_DELAY);
        vm.prank(keeper);
        pool.executeRedeems(type(uint256).max);
        uint256 claimable = pool.maxRedeem(mallory);
        vm.prank(mallory);
        uint256 out = pool.redeem(claimable, mallory, mallory);
        assertEq(out, plainOut, "the donor's redemption took part of the donation back");
        assertGe(pool.convertToAssets(lpShares), lpValueBefore + 50_000 * USD - 1, "the donation left the LPs");
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
        uint256 lpValue = pool.convertToAssets(pool.balanceOf(lp));
        _donate(mallory, address(pool), 100_000 * USD);

        assertEq(keccak256(abi.encode(engine.position(id))), keccak256(abi.encode(record)), "record changed");
        assertEq(vaultBalance(id), 600 * USD + KEEPER_RESERVE, "vault changed");
        assertGt(pool.convertToAssets(pool.balanceOf(lp)), lpValue + 99_000 * USD, "LP did not gain the donation");
        vm.prank(alice);
        engine.close(id, 0, block.timestamp);
        assertEq(vaultBalance(id), 0, "vault not emptied");
    }

    // ------------------------------------------------------------ helpers

    /// @dev Mallory deposits `seed` into the empty pool and donates `donation` to it; alice deposits `victimDeposit`;
    /// both redeem every share through the asynchronous flow.
    function _attackAndExit(
        System memory s,
        uint256 seed,
        uint256 donation,
        uint256 victimDeposit
    ) internal returns (uint256 victimOut, uint256 attackerOut) {
        uint256 attackerShares = _deposit(s, mallory, seed);
        if (donation != 0) _donate(s, mallory, address(s.pool), donation);
        uint256 victimShares = _deposit(s, alice, victimDeposit);
        assertGt(victimShares, 0, "victim got no shares");
        victimOut = _redeem(s, alice, victimShares);
        attackerOut = _redeem(s, mallory, attackerShares);
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

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";

import {LiquidationPreview} from "../../../contracts/interfaces/IBulkheadLens.sol";
import {ILiquidityPool} from "../../../contracts/interfaces/ILiquidityPool.sol";
import {IMarginEngine, IMarginEngineBase, Position} from "../../../contracts/interfaces/IMarginEngine.sol";
import {AttackBase} from "./utils/AttackBase.sol";

/// @dev Unsolicited transfers: into an empty ERC-7540 pool (the first-depositor inflation attack), and into a position's
/// vault: an emptied one waiting for reuse, the predictable address of the next new one, and one in use. Vault
/// donations are not margin: they never change a position's equity or health, and they are never paid out (every
/// payout is computed from recorded amounts); the next occupant's request sweeps them to the insurance fund (rule 15).
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

    /// @dev Tokens sent to an emptied vault waiting for reuse: the next request that takes the vault sweeps them to the
    /// insurance fund (`VaultSwept`) before escrowing anything, and the new position is opened, valued and closed as if
    /// nothing had been sent.
    function test_donationToFreeVault_sweptToInsuranceOnReuse() public {
        uint256 first = openPosition(bob, ETH, false, 1e18, 600 * USD);
        address vault = engine.vaultOf(first);
        closePosition(first, bob);
        assertEq(engine.freeVaultCount(), 1, "setup: vault freed");
        uint256 insuranceStart = usd.balanceOf(address(insurance));
        uint256 snapshotId = vm.snapshotState();
        (uint256 plainPayout, uint256 plainPool, uint256 plainInsurance) = _openAndClose();
        assertEq(plainInsurance, insuranceStart, "setup: insurance moved without a donation");
        vm.revertToState(snapshotId);

        uint256 donation = 1_000 * USD;
        _donate(mallory, vault, donation);
        uint256 fee = openFeeOf(ETH, 1e18);
        fund(alice, 600 * USD + fee + KEEPER_RESERVE);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.VaultSwept(vault, donation);
        vm.prank(alice);
        uint256 id = engine.requestOpen(ETH, true, 1e18, 600 * USD + fee, type(uint128).max, _deadline(), 0);
        assertEq(engine.vaultOf(id), vault, "setup: vault not reused");
        assertEq(usd.balanceOf(vault), 600 * USD + fee + KEEPER_RESERVE, "the vault holds more than the escrow");
        assertEq(usd.balanceOf(address(insurance)), insuranceStart + donation, "donation not swept to insurance");
        vm.revertToState(snapshotId);

        _donate(mallory, vault, donation);
        (uint256 payout, uint256 poolAfter, uint256 insuranceAfter) = _openAndClose();
        assertEq(payout, plainPayout, "the donation reached the next occupant");
        assertEq(poolAfter, plainPool, "the pool's share changed");
        assertEq(insuranceAfter, insuranceStart + donation, "insurance");
    }

    /// @dev Tokens sent to the address the next new vault will have (a clone's CREATE address is predictable): the new
    /// position records only its collateral, its equity ignores the donation and its close pays the same as without
    /// it; the donation stays in the vault until its next occupant's request sweeps it to the insurance fund.
    function test_donationToFutureVault_neverPaidOut_sweptOnReuse() public {
        address predicted = vm.computeCreateAddress(address(engine), vm.getNonce(address(engine)));
        uint256 snapshotId = vm.snapshotState();
        (uint256 plainPayout, uint256 plainPool, ) = _openAndClose();
        vm.revertToState(snapshotId);

        uint256 donation = 1_000 * USD;
        _donate(mallory, predicted, donation);
        uint256 id = openPosition(alice, ETH, true, 1e18, 600 * USD);
        assertEq(engine.vaultOf(id), predicted, "setup: vault address");
        assertEq(engine.position(id).collateral, 600 * USD, "collateral recorded");
        assertEq(usd.balanceOf(predicted), 600 * USD + KEEPER_RESERVE + donation, "vault");
        assertEq(lens.equity(id), int256(600 * USD), "donation counted as equity");
        vm.revertToState(snapshotId);

        _donate(mallory, predicted, donation);
        (uint256 payout, uint256 poolAfter, ) = _openAndClose();
        assertEq(payout, plainPayout, "the owner was paid the donation");
        assertEq(poolAfter, plainPool, "the pool's share changed");
        assertEq(usd.balanceOf(predicted), donation, "the donation left the vault");

        uint256 insuranceBefore = usd.balanceOf(address(insurance));
        uint256 next = requestOpen(bob, ETH, false, 1e18, 600 * USD);
        assertEq(engine.vaultOf(next), predicted, "setup: vault not reused");
        assertEq(usd.balanceOf(address(insurance)) - insuranceBefore, donation, "donation not swept");
        assertEq(usd.balanceOf(predicted), 600 * USD + KEEPER_RESERVE, "vault holds more than the escrow");
    }

    /// @dev A donation to the vault of a pending open is not part of its escrow: a cancelled order refunds exactly what
    /// the trader escrowed.
    function test_donationToVault_cancelledOpen_refundsEscrowOnly() public {
        uint256 id = requestOpen(alice, ETH, true, 1e18, 600 * USD);
        address vault = engine.vaultOf(id);
        _donate(mallory, vault, 500 * USD);
        uint256 before = usd.balanceOf(alice);
        // No round before the deadline: the order can only be cancelled, with a full refund.
        vm.warp(block.timestamp + MAX_ORDER_WAIT + 1);
        vm.prank(mallory);
        engine.cancelOrder(id);
        assertEq(usd.balanceOf(alice) - before, 600 * USD + KEEPER_RESERVE, "refund");
        assertEq(usd.balanceOf(mallory), 0, "the donor took the donation back");
        assertEq(usd.balanceOf(vault), 500 * USD, "the donation left the vault");
    }

    function test_donationToVault_cannotRescueLiquidatablePosition() public {
        uint256 id = openPosition(alice, ETH, true, 1e18, 310 * USD);
        address vault = engine.vaultOf(id);
        setPrice(ETH, 2_800e18);
        LiquidationPreview memory plain = lens.previewLiquidation(id);
        assertTrue(plain.liquidatable, "setup: liquidatable");

        uint256 donation = 10_000 * USD;
        _donate(alice, vault, donation);
        LiquidationPreview memory donated = lens.previewLiquidation(id);
        assertTrue(donated.liquidatable, "donation rescued the position");
        assertEq(donated.equity, plain.equity, "donation counted as equity");
        assertEq(donated.ownerRefund, plain.ownerRefund, "owner refund");

        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 insuranceBefore = usd.balanceOf(address(insurance));
        vm.prank(keeper);
        engine.liquidate(id);
        // Payouts come from recorded amounts: reserve plus liquidation fee, never the donation.
        assertEq(usd.balanceOf(keeper), plain.keeperReward, "keeper paid the donation");
        assertEq(usd.balanceOf(alice) - aliceBefore, plain.ownerRefund, "owner refund");
        assertEq(usd.balanceOf(address(insurance)) - insuranceBefore, plain.penalty, "penalty");
        assertEq(usd.balanceOf(vault), donation, "the donation left the vault");
        // The lens previews what the liquidation pays.
        assertEq(donated.keeperReward, plain.keeperReward, "lens: the preview pays the keeper the donation");
    }

    /// @dev A donation cannot push a healthy position over the edge either: liquidation still reverts with the same
    /// equity (600 − 100 USD at 2,900, no time elapsed) and maintenance (5 % of 2,900).
    function test_donationToVault_healthyPositionStaysUnliquidatable() public {
        uint256 id = openPosition(alice, ETH, true, 1e18, 600 * USD);
        setPrice(ETH, 2_900e18);
        _donate(mallory, engine.vaultOf(id), 50_000 * USD);

        Snapshot memory before = _snapshot();
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.NotLiquidatable.selector, id, 500e6, 145e6));
        engine.liquidate(id);
        _assertUnchanged(before, _snapshot());
    }

    /// @dev The owner cannot withdraw a donation as margin: removeMargin counts only the recorded collateral.
    function test_donationToVault_notWithdrawableAsMargin() public {
        uint256 id = openPosition(alice, ETH, true, 1e18, 600 * USD);
        _donate(alice, engine.vaultOf(id), 1_000 * USD);

        Snapshot memory before = _snapshot();
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.CollateralBelowMinimum.selector, 0, MIN_COLLATERAL));
        engine.removeMargin(id, 601 * USD, alice);
        // 299 USD left against 300 USD of initial margin (10 % of 3,000).
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.InitialMarginBreached.selector, int256(299e6), 300e6));
        engine.removeMargin(id, 301 * USD, alice);
        vm.stopPrank();
        _assertUnchanged(before, _snapshot());
    }

    /// @dev A decrease pays the same with or without a donation; the donation stays in the vault.
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

    /// @dev Bad debt: the pool takes the whole collateral and the keeper the reserve, nothing more; the donation stays in
    /// the vault for the insurance fund.
    function test_donationToVault_badDebtLiquidation_donationNotPaidOut() public {
        uint256 id = openPosition(alice, ETH, true, 1e18, 310 * USD);
        address vault = engine.vaultOf(id);
        _donate(mallory, vault, 100 * USD);
        setPrice(ETH, 2_500e18);
        uint256 poolBefore = usd.balanceOf(address(pool));

        vm.prank(keeper);
        engine.liquidate(id);
        assertEq(usd.balanceOf(keeper), KEEPER_RESERVE, "keeper reward");
        assertEq(usd.balanceOf(address(pool)) - poolBefore, 310 * USD, "pool did not get the collateral");
        assertEq(usd.balanceOf(vault), 100 * USD, "the donation left the vault");
    }

    /// @dev A donation to the pool is the LPs' gain and touches no position.
    function test_donationToPool_positionsUntouched() public {
        uint256 id = openPosition(alice, ETH, true, 1e18, 600 * USD);
        address vault = engine.vaultOf(id);
        Position memory record = engine.position(id);
        uint256 lpValue = pool.convertToAssets(pool.balanceOf(lp));
        _donate(mallory, address(pool), 100_000 * USD);

        assertEq(keccak256(abi.encode(engine.position(id))), keccak256(abi.encode(record)), "record changed");
        assertEq(vaultBalance(id), 600 * USD + KEEPER_RESERVE, "vault changed");
        assertGt(pool.convertToAssets(pool.balanceOf(lp)), lpValue + 99_000 * USD, "LP did not gain the donation");
        closePosition(id, alice);
        assertEq(usd.balanceOf(vault), 0, "vault not emptied");
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

    /// @dev Alice opens a long of 1 ETH with 600 USD, ETH moves to 3,100 a minute later and she closes.
    /// @return payout What alice got back from the close.
    /// @return poolAfter The pool's balance after.
    /// @return insuranceAfter The insurance fund's balance after.
    function _openAndClose() internal returns (uint256 payout, uint256 poolAfter, uint256 insuranceAfter) {
        uint256 id = openPosition(alice, ETH, true, 1e18, 600 * USD);
        vm.warp(block.timestamp + 60);
        setPrice(ETH, 3_100e18);
        uint256 before = usd.balanceOf(alice);
        closePosition(id, alice);
        assertEq(engine.position(id).owner, address(0), "close did not execute");
        payout = usd.balanceOf(alice) - before;
        poolAfter = usd.balanceOf(address(pool));
        insuranceAfter = usd.balanceOf(address(insurance));
    }

    function _decreaseHalf(uint256 id) internal returns (uint256 payout) {
        uint256 before = usd.balanceOf(alice);
        decreasePosition(id, 0.5e18);
        return usd.balanceOf(alice) - before;
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";

import {ILiquidityPool} from "../../../contracts/interfaces/ILiquidityPool.sol";
import {PoolHelpers} from "../utils/PoolHelpers.sol";

/// @notice deposit / mint / redeem / withdraw as ERC-7540 claims (SPEC rule 12): claimable (assets, shares) sums per
/// controller; deposit and redeem floor the output, mint and withdraw ceil the input.
contract LiquidityPoolClaimsTest is PoolHelpers {
    /// @dev Alice's claimable deposit: 1,000 USD for 999,999,000,000,999 shares (see setUp).
    uint256 internal constant CLAIM_ASSETS = 1_000 * USD;
    uint256 internal constant CLAIM_SHARES = 999_999_000_000_999;
    /// @dev lp's claimable redemption: 1e17 shares at par less a 7-unit execution fee.
    uint256 internal constant REDEEM_SHARES = LP_SHARES / 10;
    uint256 internal constant REDEEM_ASSETS = 100_000 * USD - 7;

    function setUp() public override {
        super.setUp();
        // lp asks to redeem a tenth at the cached par, paying a 7-unit fee, so the claim's ratio is not whole.
        _setExecutionFee(7);
        _requestRedeem(lp, REDEEM_SHARES);
        _setExecutionFee(0);
        // A 1 USD donation puts the live price at (1,000,001 USD + 1) × 1e18 / (1e18 + 1e6), rounded up:
        // 1,000,001,000,000, so 1,000 USD buy floor(1e27 / 1,000,001,000,000) shares: the ratio is not whole.
        _donate(carol, 1 * USD);
        requestDeposit(alice, CLAIM_ASSETS);
        vm.warp(block.timestamp + LP_DELAY);
        assertEq(_priceUp(POOL_LIQUIDITY + 1 * USD, LP_SHARES), 1_000_001_000_000);
        _executeDeposits(alice);
        // The redemption is worth more at the live price: it gets the par it recorded.
        _executeRedeems();
        assertEq(pool.maxMint(alice), CLAIM_SHARES);
        assertEq(pool.maxDeposit(alice), CLAIM_ASSETS);
        assertEq(pool.maxRedeem(lp), REDEEM_SHARES);
        assertEq(pool.maxWithdraw(lp), REDEEM_ASSETS);
    }

    // ------------------------------------------------------------ deposit

    function test_deposit_allTheClaimableAssets() public {
        vm.expectEmit(address(pool));
        emit IERC4626.Deposit(alice, alice, CLAIM_ASSETS, CLAIM_SHARES);
        vm.prank(alice);
        assertEq(pool.deposit(CLAIM_ASSETS, alice, alice), CLAIM_SHARES);
        assertEq(pool.balanceOf(alice), CLAIM_SHARES);
        assertEq(pool.balanceOf(address(pool)), 0);
        assertEq(pool.maxDeposit(alice), 0);
        assertEq(pool.maxMint(alice), 0);
    }

    function test_deposit_floorsTheShares() public {
        // 1 unit of 1,000 USD: floor(999,999,000,000,999 / 1e9) = 999,999 shares.
        vm.prank(alice);
        assertEq(pool.deposit(1, alice, alice), 999_999);
        assertEq(pool.maxDeposit(alice), CLAIM_ASSETS - 1);
        assertEq(pool.maxMint(alice), CLAIM_SHARES - 999_999);
        // The rest claims what is left, exactly.
        vm.prank(alice);
        assertEq(pool.deposit(CLAIM_ASSETS - 1, alice, alice), CLAIM_SHARES - 999_999);
        assertEq(pool.balanceOf(alice), CLAIM_SHARES);
    }

    function test_deposit_toAReceiverByAnOperator_eventNamesTheController() public {
        vm.prank(alice);
        pool.setOperator(bob, true);
        vm.expectEmit(address(pool));
        emit IERC4626.Deposit(alice, carol, CLAIM_ASSETS, CLAIM_SHARES);
        vm.prank(bob);
        pool.deposit(CLAIM_ASSETS, carol, alice);
        assertEq(pool.balanceOf(carol), CLAIM_SHARES);
        assertEq(pool.balanceOf(bob), 0);
    }

    function test_deposit_twoArgumentFormClaimsTheCallersOwn() public {
        vm.prank(alice);
        assertEq(pool.deposit(CLAIM_ASSETS, carol), CLAIM_SHARES);
        assertEq(pool.balanceOf(carol), CLAIM_SHARES);
    }

    function test_deposit_revertsWhen_zero() public {
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(ILiquidityPool.ZeroAmount.selector);
        vm.prank(alice);
        pool.deposit(0, alice, alice);
        _assertPoolUnchanged(before);
    }

    function test_deposit_revertsWhen_aboveTheClaimable() public {
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(
            abi.encodeWithSelector(ILiquidityPool.ExceedsClaimable.selector, alice, CLAIM_ASSETS + 1, CLAIM_ASSETS)
        );
        vm.prank(alice);
        pool.deposit(CLAIM_ASSETS + 1, alice, alice);
        // Someone without a claim.
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.ExceedsClaimable.selector, bob, 1, 0));
        vm.prank(bob);
        pool.deposit(1, bob);
        _assertPoolUnchanged(before);
    }

    function test_deposit_revertsWhen_callerIsNotAnOperator() public {
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.NotOperator.selector, alice, bob));
        vm.prank(bob);
        pool.deposit(CLAIM_ASSETS, bob, alice);
        _assertPoolUnchanged(before);
    }

    // ------------------------------------------------------------ mint

    function test_mint_ceilsTheAssets() public {
        // 1 share unit: ceil(1e9 / 999,999,000,000,999) = 1 unit of the claim; 1e6 share units: 2.
        vm.expectEmit(address(pool));
        emit IERC4626.Deposit(alice, alice, 1, 1);
        vm.prank(alice);
        assertEq(pool.mint(1, alice, alice), 1);
        vm.prank(alice);
        assertEq(pool.mint(1e6, alice, alice), 2);
        assertEq(pool.maxDeposit(alice), CLAIM_ASSETS - 3);
        assertEq(pool.maxMint(alice), CLAIM_SHARES - 1e6 - 1);
        // The rest costs exactly what is left.
        uint256 rest = pool.maxMint(alice);
        vm.prank(alice);
        assertEq(pool.mint(rest, alice), CLAIM_ASSETS - 3);
        assertEq(pool.balanceOf(alice), CLAIM_SHARES);
    }

    function test_mint_revertsWhen_zero() public {
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(ILiquidityPool.ZeroAmount.selector);
        vm.prank(alice);
        pool.mint(0, alice, alice);
        _assertPoolUnchanged(before);
    }

    function test_mint_revertsWhen_aboveTheClaimable() public {
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(
            abi.encodeWithSelector(ILiquidityPool.ExceedsClaimable.selector, alice, CLAIM_SHARES + 1, CLAIM_SHARES)
        );
        vm.prank(alice);
        pool.mint(CLAIM_SHARES + 1, alice, alice);
        _assertPoolUnchanged(before);
    }

    function test_mint_revertsWhen_callerIsNotAnOperator() public {
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.NotOperator.selector, alice, bob));
        vm.prank(bob);
        pool.mint(1, bob, alice);
        _assertPoolUnchanged(before);
    }

    // ------------------------------------------------------------ redeem

    function test_redeem_allTheClaimableShares() public {
        vm.expectEmit(address(pool));
        emit IERC4626.Withdraw(lp, carol, lp, REDEEM_ASSETS, REDEEM_SHARES);
        vm.prank(lp);
        assertEq(pool.redeem(REDEEM_SHARES, carol, lp), REDEEM_ASSETS);
        assertEq(usd.balanceOf(carol), REDEEM_ASSETS);
        assertEq(pool.maxRedeem(lp), 0);
        assertEq(pool.maxWithdraw(lp), 0);
        assertEq(pool.claimableRedeemRequest(0, lp), 0);
        // The keeper was paid 7 units; the rest of the 100,000 USD left with carol.
        uint256 left = POOL_LIQUIDITY + 1 * USD + CLAIM_ASSETS - 100_000 * USD;
        assertEq(usd.balanceOf(address(pool)), left);
        assertEq(pool.equityAssets(), left);
    }

    function test_redeem_floorsTheAssets() public {
        // 1e6 share units: floor(1e6 × 99,999,999,993 / 1e17) = 0.
        vm.prank(lp);
        assertEq(pool.redeem(1e6, lp, lp), 0);
        // 1e12 more: floor(1e12 × 99,999,999,993 / (1e17 − 1e6)) = floor(999,999.99994) = 999,999.
        vm.prank(lp);
        assertEq(pool.redeem(1e12, lp, lp), 999_999);
        assertEq(usd.balanceOf(lp), 999_999);
        assertEq(pool.maxRedeem(lp), REDEEM_SHARES - 1e6 - 1e12);
        assertEq(pool.maxWithdraw(lp), REDEEM_ASSETS - 999_999);
        // The rest pays exactly what is left.
        uint256 rest = pool.maxRedeem(lp);
        vm.prank(lp);
        assertEq(pool.redeem(rest, lp, lp), REDEEM_ASSETS - 999_999);
        assertEq(usd.balanceOf(lp), REDEEM_ASSETS);
    }

    function test_redeem_byAnOperator() public {
        vm.prank(lp);
        pool.setOperator(bob, true);
        vm.expectEmit(address(pool));
        emit IERC4626.Withdraw(bob, bob, lp, REDEEM_ASSETS, REDEEM_SHARES);
        vm.prank(bob);
        pool.redeem(REDEEM_SHARES, bob, lp);
        assertEq(usd.balanceOf(bob), REDEEM_ASSETS);
    }

    function test_redeem_revertsWhen_zero() public {
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(ILiquidityPool.ZeroAmount.selector);
        vm.prank(lp);
        pool.redeem(0, lp, lp);
        _assertPoolUnchanged(before);
    }

    function test_redeem_revertsWhen_aboveTheClaimable() public {
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(
            abi.encodeWithSelector(ILiquidityPool.ExceedsClaimable.selector, lp, REDEEM_SHARES + 1, REDEEM_SHARES)
        );
        vm.prank(lp);
        pool.redeem(REDEEM_SHARES + 1, lp, lp);
        _assertPoolUnchanged(before);
    }

    function test_redeem_revertsWhen_callerIsNotAnOperator() public {
        // A share allowance does not let one claim another's redemption.
        vm.prank(lp);
        pool.approve(bob, type(uint256).max);
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.NotOperator.selector, lp, bob));
        vm.prank(bob);
        pool.redeem(REDEEM_SHARES, bob, lp);
        _assertPoolUnchanged(before);
    }

    // ------------------------------------------------------------ withdraw

    function test_withdraw_ceilsTheShares() public {
        // 1 unit: ceil(1e17 / 99,999,999,993) = ceil(1,000,000.00007) = 1,000,001 shares.
        vm.expectEmit(address(pool));
        emit IERC4626.Withdraw(lp, lp, lp, 1, 1_000_001);
        vm.prank(lp);
        assertEq(pool.withdraw(1, lp, lp), 1_000_001);
        assertEq(pool.maxRedeem(lp), REDEEM_SHARES - 1_000_001);
        assertEq(pool.maxWithdraw(lp), REDEEM_ASSETS - 1);
        // The rest burns exactly what is left.
        vm.prank(lp);
        assertEq(pool.withdraw(REDEEM_ASSETS - 1, lp, lp), REDEEM_SHARES - 1_000_001);
        assertEq(usd.balanceOf(lp), REDEEM_ASSETS);
        assertEq(pool.maxRedeem(lp), 0);
    }

    function test_withdraw_revertsWhen_zero() public {
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(ILiquidityPool.ZeroAmount.selector);
        vm.prank(lp);
        pool.withdraw(0, lp, lp);
        _assertPoolUnchanged(before);
    }

    function test_withdraw_revertsWhen_aboveTheClaimable() public {
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(
            abi.encodeWithSelector(ILiquidityPool.ExceedsClaimable.selector, lp, REDEEM_ASSETS + 1, REDEEM_ASSETS)
        );
        vm.prank(lp);
        pool.withdraw(REDEEM_ASSETS + 1, lp, lp);
        _assertPoolUnchanged(before);
    }

    function test_withdraw_revertsWhen_callerIsNotAnOperator() public {
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.NotOperator.selector, lp, bob));
        vm.prank(bob);
        pool.withdraw(REDEEM_ASSETS, bob, lp);
        _assertPoolUnchanged(before);
    }

    /// @dev Claims work while a feed is down: they price nothing.
    function test_claims_workDuringAnOracleOutage() public {
        _openStandardLong();
        vm.mockCallRevert(address(ethFeed), abi.encodeWithSignature("latestRoundData()"), "down");
        vm.prank(alice);
        assertEq(pool.deposit(CLAIM_ASSETS, alice, alice), CLAIM_SHARES);
        vm.prank(lp);
        assertEq(pool.redeem(REDEEM_SHARES, lp, lp), REDEEM_ASSETS);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";

import {
    IERC7540Deposit,
    IERC7540Operator,
    IERC7540Redeem,
    IERC7575,
    IERC7887Deposit,
    IERC7887Redeem
} from "../../../contracts/interfaces/IERC7540.sol";
import {IEngineBound} from "../../../contracts/interfaces/IEngineBound.sol";
import {ILiquidityPool} from "../../../contracts/interfaces/ILiquidityPool.sol";
import {MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {PoolHelpers} from "../utils/PoolHelpers.sol";

/// @notice The pool's ERC-7540 / ERC-7575 / ERC-7887 conformance (SPEC rule 14), its valuation of the positions'
/// claims (rule 10) and its engine-only payout.
contract LiquidityPoolTest is PoolHelpers {
    // ------------------------------------------------------------ ERC-165 and metadata

    function test_supportsInterface_theStandardIds() public view {
        // The ids the standards publish, checked against the interfaces the pool declares.
        assertEq(type(IERC7540Operator).interfaceId, bytes4(0xe3bc4e65), "7540 operator id");
        assertEq(type(IERC7540Deposit).interfaceId, bytes4(0xce3bbe50), "7540 deposit id");
        assertEq(type(IERC7540Redeem).interfaceId, bytes4(0x620ee8e4), "7540 redeem id");
        assertEq(type(IERC7887Deposit).interfaceId, bytes4(0x8bf840e3), "7887 deposit id");
        assertEq(type(IERC7887Redeem).interfaceId, bytes4(0xe76cffc7), "7887 redeem id");
        assertTrue(pool.supportsInterface(0x01ffc9a7), "ERC-165");
        assertTrue(pool.supportsInterface(0xe3bc4e65), "ERC-7540 operator");
        assertTrue(pool.supportsInterface(0xce3bbe50), "ERC-7540 deposit");
        assertTrue(pool.supportsInterface(0x620ee8e4), "ERC-7540 redeem");
        assertTrue(pool.supportsInterface(0x2f0a18c5), "ERC-7575");
        assertTrue(pool.supportsInterface(0x8bf840e3), "ERC-7887 deposit");
        assertTrue(pool.supportsInterface(0xe76cffc7), "ERC-7887 redeem");
        assertFalse(pool.supportsInterface(0xffffffff), "ERC-165 invalid id");
        assertFalse(pool.supportsInterface(type(IERC4626).interfaceId), "not a synchronous vault");
    }

    function test_share_isThePoolItself() public view {
        assertEq(IERC7575(address(pool)).share(), address(pool));
        assertEq(pool.asset(), address(usd));
        // Six decimals more than the asset (virtual shares).
        assertEq(pool.decimals(), 12);
        assertEq(pool.name(), "Bulkhead LP tUSD");
        assertEq(pool.symbol(), "bhLP");
    }

    // ------------------------------------------------------------ previews and max

    function test_preview_revertAsynchronousFlows() public {
        vm.expectRevert(ILiquidityPool.AsyncFlow.selector);
        pool.previewDeposit(1_000 * USD);
        vm.expectRevert(ILiquidityPool.AsyncFlow.selector);
        pool.previewMint(1e15);
        vm.expectRevert(ILiquidityPool.AsyncFlow.selector);
        pool.previewWithdraw(1_000 * USD);
        vm.expectRevert(ILiquidityPool.AsyncFlow.selector);
        pool.previewRedeem(1e15);
    }

    function test_max_reportTheControllersClaimableAmountsOnly() public {
        requestDeposit(alice, 1_000 * USD);
        _requestRedeem(lp, LP_SHARES / 10);
        // Pending is not claimable; holding shares is not claimable either.
        assertEq(pool.maxDeposit(alice), 0);
        assertEq(pool.maxMint(alice), 0);
        assertEq(pool.maxRedeem(lp), 0);
        assertEq(pool.maxWithdraw(lp), 0);
        vm.warp(block.timestamp + LP_DELAY);
        _executeDeposits(alice);
        _executeRedeems();
        assertEq(pool.maxDeposit(alice), 1_000 * USD);
        assertEq(pool.maxMint(alice), 1e15);
        assertEq(pool.maxRedeem(lp), LP_SHARES / 10);
        assertEq(pool.maxWithdraw(lp), 100_000 * USD);
        assertEq(pool.maxDeposit(lp), 0);
        assertEq(pool.maxRedeem(alice), 0);
    }

    /// @dev A stale feed: every view answers, valuing the market at the feed's last answer.
    function test_views_answerWhileAFeedIsStale() public {
        requestDeposit(alice, 1_000 * USD);
        vm.warp(block.timestamp + LP_DELAY);
        _executeDeposits(alice);
        _openStandardLong(); // 1 ETH, entry notional 3,000 USD, fee 3 USD
        setPrice(ETH, 3_300e18);
        vm.warp(block.timestamp + HEARTBEAT + 1);
        vm.expectRevert(); // the engine refuses the stale price
        engine.indexPrice(ETH);

        // 300 USD of profit less the fees accrued since the open, rounded up to a unit.
        uint256 index = engine.borrowIndex(ETH, true);
        assertEq(index, (HEARTBEAT + 1) * RATE);
        uint256 claim = _ceilDiv(300e18 - 3_000 * index, UNIT_SCALE);
        uint256 assets = POOL_LIQUIDITY + 1_000 * USD + 3 * USD - claim;
        uint256 supply = LP_SHARES + 1e15;
        assertEq(pool.totalAssets(), assets);
        assertEq(pool.convertToShares(1_000 * USD), (1_000 * USD * (supply + VIRTUAL_SHARES)) / (assets + 1));
        assertEq(pool.convertToAssets(1e15), (1e15 * (assets + 1)) / (supply + VIRTUAL_SHARES));
        assertEq(pool.maxDeposit(alice), 1_000 * USD);
        assertEq(pool.maxMint(alice), 1e15);
        assertEq(pool.maxRedeem(alice), 0);
        assertEq(pool.maxWithdraw(alice), 0);
        (bool open, uint256 retryAt) = pool.lpExecutionStatus();
        assertFalse(open);
        assertEq(retryAt, 0);
    }

    /// @dev A reverting feed: every view answers, valuing the market at its price at the last execution.
    function test_views_answerWhileAFeedReverts() public {
        _openStandardLong();
        requestDeposit(alice, 1_000 * USD);
        vm.warp(block.timestamp + LP_DELAY - LP_SETTLE);
        setPrice(ETH, 3_300e18);
        vm.warp(block.timestamp + LP_SETTLE);
        _executeDeposits(alice); // records 3,300 as ETH's last good price
        setPrice(ETH, 3_600e18);
        uint256 atLivePrice = pool.totalAssets();
        vm.mockCallRevert(address(ethFeed), abi.encodeWithSignature("latestRoundData()"), "down");

        uint256 index = engine.borrowIndex(ETH, true);
        uint256 claim = _ceilDiv(300e18 - 3_000 * index, UNIT_SCALE);
        uint256 assets = POOL_LIQUIDITY + 3 * USD + 1_000 * USD - claim;
        assertEq(pool.totalAssets(), assets, "not valued at the last execution's price");
        assertGt(pool.totalAssets(), atLivePrice);
        uint256 supply = pool.totalSupply();
        assertEq(pool.convertToShares(1_000 * USD), (1_000 * USD * (supply + VIRTUAL_SHARES)) / (assets + 1));
        assertEq(pool.convertToAssets(1e15), (1e15 * (assets + 1)) / (supply + VIRTUAL_SHARES));
        assertEq(pool.maxDeposit(alice), 1_000 * USD);
        assertGt(pool.maxMint(alice), 0);
        (bool open, uint256 retryAt) = pool.lpExecutionStatus();
        assertFalse(open);
        assertEq(retryAt, 0);
    }

    function test_convertTo_followTheDocumentedFormula() public {
        _donate(carol, 1 * USD);
        uint256 assets = POOL_LIQUIDITY + 1 * USD;
        assertEq(pool.convertToShares(1_000 * USD), (1_000 * USD * (LP_SHARES + VIRTUAL_SHARES)) / (assets + 1));
        assertEq(pool.convertToAssets(1e15), (1e15 * (assets + 1)) / (LP_SHARES + VIRTUAL_SHARES));
    }

    // ------------------------------------------------------------ operators

    function test_setOperator_grantsAndRevokes() public {
        vm.expectEmit(address(pool));
        emit IERC7540Operator.OperatorSet(alice, bob, true);
        vm.prank(alice);
        assertTrue(pool.setOperator(bob, true));
        assertTrue(pool.isOperator(alice, bob));
        assertFalse(pool.isOperator(bob, alice), "operators are one-way");

        vm.expectEmit(address(pool));
        emit IERC7540Operator.OperatorSet(alice, bob, false);
        vm.prank(alice);
        assertTrue(pool.setOperator(bob, false));
        assertFalse(pool.isOperator(alice, bob));

        // Revoked: bob may no longer act for alice.
        requestDeposit(alice, 1_000 * USD);
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.NotOperator.selector, alice, bob));
        vm.prank(bob);
        pool.cancelDepositRequest(0, alice);
    }

    // ------------------------------------------------------------ valuation (rule 10)

    function test_totalAssets_boundsASidesProfitByItsCaps() public {
        _openStandardLong(); // 600 USD: cap min(5,400, 3,000) = 3,000 USD; fee 3 USD
        assertEq(engine.sideState(ETH, true).maxProfit, 3_000 * USD);
        setPrice(ETH, 10_000e18); // up 7,000 USD
        assertEq(pool.totalAssets(), POOL_LIQUIDITY + 3 * USD - 3_000 * USD);
    }

    function test_totalAssets_boundsASidesLossByItsCollateral() public {
        uint256 id = _openStandardLong();
        setPrice(ETH, 2_000e18); // down 1,000 USD on 600 USD of collateral
        assertEq(pool.totalAssets(), POOL_LIQUIDITY + 3 * USD + 600 * USD);
        fund(alice, 100 * USD);
        vm.prank(alice);
        engine.addMargin(id, 100 * USD);
        assertEq(pool.totalAssets(), POOL_LIQUIDITY + 3 * USD + 700 * USD);
    }

    function test_totalAssets_boundsEachSideOnItsOwn() public {
        _openStandardLong();
        openPosition(bob, ETH, false, 1e18, 600 * USD); // executes a second later
        setPrice(ETH, 10_000e18); // longs +7,000 capped at 3,000; shorts −7,000 floored at −600
        // The long owes one second of borrow fee (the short none yet); the longs' claim is rounded up.
        assertEq(engine.borrowIndex(ETH, true), RATE);
        uint256 longClaim = _ceilDiv(3_000e18 - 3_000 * RATE, UNIT_SCALE);
        assertEq(pool.totalAssets(), POOL_LIQUIDITY + 6 * USD - longClaim + 600 * USD);
    }

    function test_totalAssets_roundsTradersGainsUpAndLossesDown() public {
        _openStandardLong();
        setPrice(ETH, 3_000.00000001e18); // the long is up 1e-8 USD: one unit against the pool
        assertEq(pool.totalAssets(), POOL_LIQUIDITY + 3 * USD - 1);
        setPrice(ETH, 2_999.99999999e18); // down 1e-8 USD: nothing for the pool
        assertEq(pool.totalAssets(), POOL_LIQUIDITY + 3 * USD);
    }

    function test_totalAssets_sumsEveryMarket() public {
        _openStandardLong();
        openPosition(bob, BTC, false, 0.1e18, 1_000 * USD); // fee 6 USD; executes a second later
        setPrice(ETH, 3_300e18); // longs +300, less one second of borrow fee, rounded up for them
        setPrice(BTC, 61_000e18); // shorts −100
        assertEq(engine.borrowIndex(ETH, true), RATE);
        uint256 longClaim = _ceilDiv(300e18 - 3_000 * RATE, UNIT_SCALE);
        assertEq(pool.totalAssets(), POOL_LIQUIDITY + 9 * USD - longClaim + 100 * USD);
    }

    function test_totalAssets_countsAccruedBorrowFees() public {
        _openStandardLong(); // entry notional 3,000 USD at index 0
        _skip(1 days);
        uint256 index = 1 days * RATE;
        assertEq(engine.borrowIndex(ETH, true), index);
        // 3,000 × index, USD WAD, floored to units.
        assertEq(pool.totalAssets(), POOL_LIQUIDITY + 3 * USD + (3_000 * index) / UNIT_SCALE);
    }

    /// @dev Two positions entered at different indices: the side's fee debt makes the sum O(1) and exact.
    function test_totalAssets_countsFeesOfPositionsEnteredAtDifferentIndices() public {
        _openStandardLong();
        _skip(1 days);
        // bob's open executes a second after its request.
        uint256 index1 = (1 days + 1) * RATE;
        openPosition(bob, ETH, true, 2e18, 1_200 * USD); // entry notional 6,000 USD, fee 6 USD
        assertEq(engine.sideState(ETH, true).feeDebt, 6_000 * index1);
        _skip(1 days);
        uint256 index2 = (2 days + 1) * RATE;
        uint256 fees = 3_000 * index2 + 6_000 * (index2 - index1);
        assertEq(pool.totalAssets(), POOL_LIQUIDITY + 9 * USD + fees / UNIT_SCALE);
    }

    function test_totalAssets_accruesTheOldRateBeforeARateChange() public {
        _openStandardLong();
        _skip(1 days);
        MarketParams memory params = _params(ETH);
        params.borrowRateLong = uint64(2 * RATE);
        _setMarket(ETH, params);
        _skip(1 days);
        uint256 index = 1 days * RATE + 1 days * 2 * RATE;
        assertEq(engine.borrowIndex(ETH, true), index);
        assertEq(pool.totalAssets(), POOL_LIQUIDITY + 3 * USD + (3_000 * index) / UNIT_SCALE);
    }

    /// @dev Rule 17: a market whose feed died is valued at its settlement price and no longer holds LP executions up.
    function test_totalAssets_valuesAMarketInSettlementAtItsSettlementPrice() public {
        _openStandardLong();
        setPrice(ETH, 3_300e18);
        requestDeposit(bob, 1_000 * USD);
        // The feed dies: stale from one heartbeat on, settleable three days later.
        vm.warp(block.timestamp + HEARTBEAT + 3 days + 1);
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.LpExecutionPaused.selector, 0));
        vm.prank(keeper);
        pool.executeDeposits(new address[](0));

        vm.prank(governance);
        config.settleMarket(ETH);
        assertEq(config.settlementPrice(ETH), 3_300e18);
        uint256 index = engine.borrowIndex(ETH, true);
        uint256 claim = _ceilDiv(300e18 - 3_000 * index, UNIT_SCALE);
        assertEq(pool.totalAssets(), POOL_LIQUIDITY + 3 * USD - claim);
        (bool open, ) = pool.lpExecutionStatus();
        assertTrue(open, "a settled market's dead feed holds LP executions up");
        assertEq(_executeDeposits(bob), 1);
    }

    function test_freeLiquidity_isEquityLessReservations() public {
        _openStandardLong(); // cap 3,000 USD
        requestDeposit(bob, 1_000 * USD);
        assertEq(pool.equityAssets(), POOL_LIQUIDITY + 3 * USD);
        assertEq(pool.freeLiquidity(), POOL_LIQUIDITY + 3 * USD - 3_000 * USD);
    }

    // ------------------------------------------------------------ engine only

    function test_pay_revertsWhen_callerIsNotTheEngine() public {
        address[4] memory callers = [lp, alice, address(insurance), address(this)];
        PoolSnapshot memory before = _poolSnapshot();
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IEngineBound.OnlyEngine.selector, callers[i]));
            vm.prank(callers[i]);
            pool.pay(callers[i], 1);
        }
        _assertPoolUnchanged(before);
    }

    function test_pay_byTheEngine() public {
        vm.prank(address(engine));
        pool.pay(bob, 12 * USD);
        assertEq(usd.balanceOf(bob), 12 * USD);
        assertEq(usd.balanceOf(address(pool)), POOL_LIQUIDITY - 12 * USD);
        assertEq(pool.equityAssets(), POOL_LIQUIDITY - 12 * USD);
    }

    /// @dev The engine cannot pay out what belongs to LP requests: pending deposits, set-aside redemptions, cancelled
    /// deposits.
    function test_pay_revertsWhen_aboveEquity() public {
        requestDeposit(alice, 1_000 * USD); // pending
        requestDeposit(bob, 2_000 * USD);
        vm.prank(bob);
        pool.cancelDepositRequest(0, bob); // cancelled
        _requestRedeem(lp, LP_SHARES / 10);
        vm.warp(block.timestamp + LP_DELAY);
        _executeRedeems(); // 100,000 USD set aside
        uint256 equity = 900_000 * USD;
        assertEq(pool.equityAssets(), equity);
        assertEq(usd.balanceOf(address(pool)), POOL_LIQUIDITY + 3_000 * USD);

        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.InsufficientEquity.selector, equity + 1, equity));
        vm.prank(address(engine));
        pool.pay(carol, equity + 1);
        _assertPoolUnchanged(before);

        vm.prank(address(engine));
        pool.pay(carol, equity);
        assertEq(pool.equityAssets(), 0);
        // Every request is still paid in full.
        vm.prank(lp);
        pool.redeem(LP_SHARES / 10, lp, lp);
        vm.prank(bob);
        pool.claimCancelDepositRequest(0, bob, bob);
        assertEq(usd.balanceOf(lp), 100_000 * USD);
        assertEq(usd.balanceOf(bob), 2_000 * USD);
        assertEq(usd.balanceOf(address(pool)), 1_000 * USD);
    }

    function test_bindEngine_revertsWhen_alreadyBound() public {
        vm.expectRevert(abi.encodeWithSelector(IEngineBound.BindingForbidden.selector, address(this)));
        pool.bindEngine(alice);
        vm.expectRevert(abi.encodeWithSelector(IEngineBound.BindingForbidden.selector, alice));
        vm.prank(alice);
        pool.bindEngine(alice);
        assertEq(pool.engine(), address(engine));
    }

    function test_bindEngine_onceByTheDeployerOnly() public {
        ILiquidityPool fresh = deployPool(address(usd), address(config), "x", "x");
        assertEq(fresh.freeLiquidity(), 0);
        assertEq(fresh.totalAssets(), 0);
        assertEq(fresh.cachedSharePrice(), PAR);

        vm.expectRevert(abi.encodeWithSelector(IEngineBound.BindingForbidden.selector, alice));
        vm.prank(alice);
        fresh.bindEngine(address(engine));
        vm.expectRevert(IEngineBound.ZeroEngine.selector);
        fresh.bindEngine(address(0));

        vm.expectEmit(address(fresh));
        emit IEngineBound.EngineBound(address(engine));
        fresh.bindEngine(address(engine));
        assertEq(fresh.engine(), address(engine));
    }
}

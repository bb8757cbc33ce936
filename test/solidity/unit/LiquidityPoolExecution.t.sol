// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CancelReason, IMarginEngineBase, OrderKind} from "../../../contracts/interfaces/IMarginEngine.sol";
import {ILiquidityPool} from "../../../contracts/interfaces/ILiquidityPool.sol";
import {PoolHelpers} from "../utils/PoolHelpers.sol";

/// @notice executeDeposits and executeRedeems (SPEC rules 11–13): escrowed shares, assets set aside, request order,
/// partial redemptions against free liquidity, the execution fee, the worse-of price and when execution waits.
contract LiquidityPoolExecutionTest is PoolHelpers {
    // ------------------------------------------------------------ executeDeposits

    function test_executeDeposits_mintsTheSharesToThePoolAsEscrow() public {
        requestDeposit(alice, 1_000 * USD);
        vm.warp(block.timestamp + LP_DELAY);

        // At par: 1,000 USD × 1e18 / 1e12 = 1e15 shares.
        vm.expectEmit(address(pool));
        emit ILiquidityPool.DepositExecuted(alice, keeper, 1_000 * USD, 1e15, PAR, 0);
        assertEq(_executeDeposits(alice), 1);

        assertEq(pool.balanceOf(address(pool)), 1e15);
        assertEq(pool.balanceOf(alice), 0);
        assertEq(pool.totalSupply(), LP_SHARES + 1e15);
        assertEq(pool.pendingDepositRequest(0, alice), 0);
        assertEq(pool.claimableDepositRequest(0, alice), 1_000 * USD);
        assertEq(pool.maxDeposit(alice), 1_000 * USD);
        assertEq(pool.maxMint(alice), 1e15);
        // Rule 11: the assets are equity now.
        assertEq(pool.equityAssets(), POOL_LIQUIDITY + 1_000 * USD);
        assertEq(pool.totalAssets(), POOL_LIQUIDITY + 1_000 * USD);
        assertEq(pool.cachedSharePrice(), PAR);
        (uint256 depositAt, ) = pool.executableAt(alice);
        assertEq(depositAt, 0);
    }

    function test_executeDeposits_skipsRequestsInTheirDelayAndControllersWithout() public {
        requestDeposit(alice, 1_000 * USD);
        vm.warp(block.timestamp + 1);
        requestDeposit(bob, 2_000 * USD);
        vm.warp(block.timestamp + LP_DELAY - 1);
        PoolSnapshot memory before = _poolSnapshot();
        // Carol has no request, bob's is one second short.
        address[] memory controllers = new address[](3);
        controllers[0] = carol;
        controllers[1] = bob;
        controllers[2] = alice;
        vm.prank(keeper);
        assertEq(pool.executeDeposits(controllers), 1);
        assertEq(pool.maxMint(alice), 1e15);
        assertEq(pool.pendingDepositRequest(0, bob), 2_000 * USD);
        assertEq(pool.balanceOf(address(pool)), before.shares[7] + 1e15);

        vm.warp(block.timestamp + 1);
        assertEq(_executeDeposits(bob, alice), 1);
        assertEq(pool.maxMint(bob), 2e15);
    }

    function test_executeDeposits_paysTheExecutionFeeToTheExecutor() public {
        _setExecutionFee(2 * USD);
        requestDeposit(alice, 1_000 * USD);
        // A later fee change does not touch a recorded request.
        _setExecutionFee(5 * USD);
        vm.warp(block.timestamp + LP_DELAY);

        // 998 USD join the pool at par: 998e12 shares.
        vm.expectEmit(address(pool));
        emit ILiquidityPool.DepositExecuted(alice, keeper, 998 * USD, 998e12, PAR, 2 * USD);
        _executeDeposits(alice);

        assertEq(usd.balanceOf(keeper), 2 * USD);
        assertEq(pool.maxDeposit(alice), 998 * USD);
        assertEq(pool.maxMint(alice), 998e12);
        assertEq(usd.balanceOf(address(pool)), POOL_LIQUIDITY + 998 * USD);
        assertEq(pool.equityAssets(), POOL_LIQUIDITY + 998 * USD);
    }

    /// @dev The price rose between request and execution (a donation): the depositor pays the higher, live price.
    function test_executeDeposits_atTheLivePriceWhenItIsHigher() public {
        requestDeposit(alice, 1_000 * USD);
        _donate(carol, POOL_LIQUIDITY);
        vm.warp(block.timestamp + LP_DELAY);
        // Live price, rounded up: (2,000,000 USD + 1) × 1e18 / (1e18 + 1e6) = 2e12 − 1 + 1e6/(1e18 + 1e6), so 2e12.
        uint256 price = 2e12;
        assertEq(_priceUp(2 * POOL_LIQUIDITY, LP_SHARES), price);
        vm.expectEmit(address(pool));
        emit ILiquidityPool.DepositExecuted(alice, keeper, 1_000 * USD, 5e14, price, 0);
        _executeDeposits(alice);
        assertEq(pool.maxMint(alice), 5e14);
    }

    /// @dev The price fell between request and execution (traders' profit): the depositor pays the price recorded at
    /// request.
    function test_executeDeposits_atTheRequestPriceWhenItIsHigher() public {
        uint256 id = _open(alice, true, 10e18, 3_000 * USD); // fee 30 USD
        requestDeposit(bob, 1_000 * USD); // records the cached par
        vm.warp(block.timestamp + LP_DELAY - LP_SETTLE);
        setPrice(ETH, 3_300e18); // the long is up 3,000 USD
        vm.warp(block.timestamp + LP_SETTLE);
        assertLt(pool.totalAssets(), POOL_LIQUIDITY, "the live price is not below par");

        vm.expectEmit(address(pool));
        emit ILiquidityPool.DepositExecuted(bob, keeper, 1_000 * USD, 1e15, PAR, 0);
        _executeDeposits(bob);
        assertEq(pool.maxMint(bob), 1e15);
        id;
    }

    function test_executeDeposits_refundsADepositThatWouldMintNoShares() public {
        // An empty pool (no engine: nothing is open) after a donation of 10,000,000 USD: one share unit costs
        // (1e13 + 1) × 1e18 / 1e6, rounded up, more than 10 USD buys.
        ILiquidityPool empty = deployPool(address(usd), address(config), "x", "x");
        usd.mint(carol, 10_000_000 * USD);
        vm.prank(carol);
        usd.transfer(address(empty), 10_000_000 * USD);
        usd.mint(alice, MIN_REQUEST);
        vm.startPrank(alice);
        usd.approve(address(empty), MIN_REQUEST);
        empty.requestDeposit(MIN_REQUEST, alice, alice);
        vm.stopPrank();
        vm.warp(block.timestamp + LP_DELAY);

        address[] memory controllers = new address[](1);
        controllers[0] = alice;
        vm.expectEmit(address(empty));
        emit ILiquidityPool.DepositRefunded(alice, MIN_REQUEST);
        vm.prank(keeper);
        assertEq(empty.executeDeposits(controllers), 0);

        assertEq(empty.totalSupply(), 0, "zero-share mint");
        assertEq(empty.maxDeposit(alice), 0);
        assertEq(empty.pendingDepositRequest(0, alice), 0);
        assertEq(empty.claimableCancelDepositRequest(0, alice), MIN_REQUEST);
        assertEq(empty.equityAssets(), 10_000_000 * USD);
        vm.prank(alice);
        empty.claimCancelDepositRequest(0, alice, alice);
        assertEq(usd.balanceOf(alice), MIN_REQUEST);
    }

    /// @dev Every execution caches the share price, even one that executes nothing: anyone can refresh the price a
    /// new request records whenever executions are open.
    function test_executeDeposits_anEmptyBatchStillRefreshesTheCachedPrice() public {
        _donate(carol, POOL_LIQUIDITY);
        assertEq(pool.cachedSharePrice(), PAR);
        vm.prank(keeper);
        assertEq(pool.executeDeposits(new address[](0)), 0);
        assertEq(pool.cachedSharePrice(), _priceDown(2 * POOL_LIQUIDITY, LP_SHARES));
        assertEq(usd.balanceOf(keeper), 0);
    }

    function test_executeDeposits_revertsWhen_withinLpSettleOfANewRound() public {
        _openStandardLong(); // open interest in ETH
        requestDeposit(bob, 1_000 * USD);
        vm.warp(block.timestamp + LP_DELAY);
        setPrice(ETH, ETH_PRICE);
        uint256 roundAt = block.timestamp;

        PoolSnapshot memory before = _poolSnapshot();
        address[] memory controllers = new address[](1);
        controllers[0] = bob;
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.LpExecutionPaused.selector, roundAt + LP_SETTLE));
        vm.prank(keeper);
        pool.executeDeposits(controllers);
        _assertPoolUnchanged(before);
        vm.warp(roundAt + LP_SETTLE - 1);
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.LpExecutionPaused.selector, roundAt + LP_SETTLE));
        vm.prank(keeper);
        pool.executeDeposits(controllers);
        (bool open, uint256 retryAt) = pool.lpExecutionStatus();
        assertFalse(open);
        assertEq(retryAt, roundAt + LP_SETTLE);
        assertEq(pool.pendingDepositRequest(0, bob), 1_000 * USD);

        vm.warp(roundAt + LP_SETTLE);
        assertEq(_executeDeposits(bob), 1);
    }

    function test_executeDeposits_ignoresRoundsOfMarketsWithoutOpenInterest() public {
        _openStandardLong(); // ETH only
        requestDeposit(bob, 1_000 * USD);
        vm.warp(block.timestamp + LP_DELAY);
        setPrice(BTC, BTC_PRICE);
        (bool open, ) = pool.lpExecutionStatus();
        assertTrue(open);
        assertEq(_executeDeposits(bob), 1);
    }

    function test_executeRedeems_revertsWhen_withinLpResumeAfterAGracePeriod() public {
        _openStandardLong();
        _requestRedeem(lp, LP_SHARES / 10);
        // The feed goes quiet for longer than its heartbeat, then comes back.
        vm.warp(block.timestamp + HEARTBEAT + 1);
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.LpExecutionPaused.selector, 0));
        vm.prank(keeper);
        pool.executeRedeems(1);
        setPrice(ETH, ETH_PRICE);
        uint256 backAt = block.timestamp;
        // Liquidations resume after the 600 s grace, LP executions 300 s later.
        assertEq(engine.liquidationResumesAt(ETH), backAt + GRACE);
        uint256 retryAt = backAt + GRACE + LP_RESUME;

        vm.warp(backAt + LP_SETTLE);
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.LpExecutionPaused.selector, retryAt));
        vm.prank(keeper);
        pool.executeRedeems(1);
        _assertPoolUnchanged(before);
        // Liquidations have resumed; LP executions still wait.
        vm.warp(backAt + GRACE);
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.LpExecutionPaused.selector, retryAt));
        vm.prank(keeper);
        pool.executeRedeems(1);
        vm.warp(retryAt - 1);
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.LpExecutionPaused.selector, retryAt));
        vm.prank(keeper);
        pool.executeRedeems(1);
        assertEq(pool.pendingRedeemRequest(0, lp), LP_SHARES / 10);

        vm.warp(retryAt);
        vm.prank(keeper);
        assertEq(pool.executeRedeems(1), 1);
    }

    function test_executeDeposits_revertsWhen_aFeedReverts() public {
        _openStandardLong();
        requestDeposit(bob, 1_000 * USD);
        vm.warp(block.timestamp + LP_DELAY);
        vm.mockCallRevert(address(ethFeed), abi.encodeWithSignature("latestRoundData()"), "down");
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.LpExecutionPaused.selector, 0));
        vm.prank(keeper);
        address[] memory controllers = new address[](1);
        controllers[0] = bob;
        pool.executeDeposits(controllers);
        _assertPoolUnchanged(before);
    }

    // ------------------------------------------------------------ executeRedeems

    function test_executeRedeems_burnsTheSharesAndSetsTheAssetsAside() public {
        _requestRedeem(lp, LP_SHARES / 10);
        vm.warp(block.timestamp + LP_DELAY);

        vm.expectEmit(address(pool));
        emit ILiquidityPool.RedeemExecuted(lp, keeper, LP_SHARES / 10, 100_000 * USD, PAR, 0, 0);
        assertEq(_executeRedeems(), 1);

        assertEq(pool.totalSupply(), LP_SHARES - LP_SHARES / 10);
        assertEq(pool.balanceOf(address(pool)), 0);
        assertEq(pool.pendingRedeemRequest(0, lp), 0);
        assertEq(pool.claimableRedeemRequest(0, lp), LP_SHARES / 10);
        assertEq(pool.maxRedeem(lp), LP_SHARES / 10);
        assertEq(pool.maxWithdraw(lp), 100_000 * USD);
        assertEq(pool.redeemQueue().length, 0);
        // Rule 11: the assets are still held, but set aside.
        assertEq(usd.balanceOf(address(pool)), POOL_LIQUIDITY);
        assertEq(pool.equityAssets(), 900_000 * USD);
        assertEq(pool.totalAssets(), 900_000 * USD);
        assertEq(pool.freeLiquidity(), 900_000 * USD);
        assertEq(pool.cachedSharePrice(), PAR);
    }

    function test_executeRedeems_setAsideAssetsAreOutsideTheEnginesCapacity() public {
        _requestRedeem(lp, LP_SHARES / 10);
        vm.warp(block.timestamp + LP_DELAY);
        _executeRedeems();
        // 300 ETH at 3,000 with 100,000 USD: cap 900,000 USD fits the 900,000 USD of equity; one more ETH (cap
        // 903,000 USD) does not, and is cancelled at execution for capacity, with a full refund.
        uint256 id = requestOpen(bob, ETH, true, 301e18, 101_000 * USD + openFeeOf(ETH, 301e18));
        uint256 escrow = 101_000 * USD + openFeeOf(ETH, 301e18) + KEEPER_RESERVE;
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Open, CancelReason.Capacity, keeper, escrow, 0);
        vm.prank(keeper);
        engine.executeOrder(id);
        assertEq(usd.balanceOf(bob), escrow);
        openPosition(bob, ETH, true, 300e18, 100_000 * USD);
        assertEq(engine.totalReserved(), 900_000 * USD);
    }

    function test_executeRedeems_paysTheExecutionFeeFromTheRedemption() public {
        _setExecutionFee(2 * USD);
        _requestRedeem(lp, LP_SHARES / 10);
        vm.warp(block.timestamp + LP_DELAY);
        vm.expectEmit(address(pool));
        emit ILiquidityPool.RedeemExecuted(lp, keeper, LP_SHARES / 10, 100_000 * USD - 2 * USD, PAR, 0, 2 * USD);
        _executeRedeems();
        assertEq(usd.balanceOf(keeper), 2 * USD);
        assertEq(pool.maxWithdraw(lp), 100_000 * USD - 2 * USD);
        assertEq(usd.balanceOf(address(pool)), POOL_LIQUIDITY - 2 * USD);
        assertEq(pool.equityAssets(), 900_000 * USD);
    }

    function test_executeRedeems_inRequestOrder_stopsAtOneStillInItsDelay() public {
        vm.prank(lp);
        pool.transfer(bob, LP_SHARES / 2);
        _requestRedeem(lp, LP_SHARES / 10);
        vm.warp(block.timestamp + 100);
        _requestRedeem(bob, LP_SHARES / 10);
        vm.warp(block.timestamp + LP_DELAY - 100);
        assertEq(_executeRedeems(), 1);
        assertEq(pool.maxRedeem(lp), LP_SHARES / 10);
        assertEq(pool.maxRedeem(bob), 0);
        address[] memory queue = pool.redeemQueue();
        assertEq(queue.length, 1);
        assertEq(queue[0], bob);
        vm.warp(block.timestamp + 100);
        assertEq(_executeRedeems(), 1);
        assertEq(pool.maxRedeem(bob), LP_SHARES / 10);
    }

    function test_executeRedeems_maxRequestsBoundsTheBatch() public {
        vm.prank(lp);
        pool.transfer(bob, LP_SHARES / 2);
        _requestRedeem(lp, LP_SHARES / 10);
        _requestRedeem(bob, LP_SHARES / 10);
        vm.warp(block.timestamp + LP_DELAY);
        vm.prank(keeper);
        assertEq(pool.executeRedeems(1), 1);
        assertEq(pool.maxRedeem(lp), LP_SHARES / 10);
        assertEq(pool.maxRedeem(bob), 0);
    }

    /// @dev Two redemptions queue; a position reserves most of the pool; the first is paid in full, the second in part
    /// against what is left free, and its rest keeps its place ahead of a later request.
    function test_executeRedeems_partialAgainstFreeLiquidity_theRestKeepsItsPlace() public {
        vm.prank(lp);
        pool.transfer(bob, LP_SHARES / 5);
        _requestRedeem(lp, (3 * LP_SHARES) / 10); // 300,000 USD at par
        vm.warp(block.timestamp + 1);
        _requestRedeem(bob, LP_SHARES / 5); // 200,000 USD at par
        vm.warp(block.timestamp + LP_DELAY);
        // 300 ETH at 3,000 with 100,000 USD: cap min(900,000, 900,000) USD; fee 900 USD.
        uint256 id = _open(alice, true, 300e18, 100_000 * USD);
        assertEq(pool.freeLiquidity(), 100_900 * USD);
        // No LP execution within `lpSettle` of the open's round.
        vm.warp(block.timestamp + LP_SETTLE);
        // Not enough for lp's 300,000 USD: lp is paid 100,900 USD and keeps the head of the queue.
        vm.expectEmit(address(pool));
        emit ILiquidityPool.RedeemExecuted(
            lp,
            keeper,
            100_900e12,
            100_900 * USD,
            PAR,
            (3 * LP_SHARES) / 10 - 100_900e12,
            0
        );
        assertEq(_executeRedeems(), 0);
        assertEq(pool.freeLiquidity(), 0);
        assertEq(pool.maxRedeem(lp), 100_900e12);
        assertEq(pool.maxWithdraw(lp), 100_900 * USD);
        assertEq(pool.pendingRedeemRequest(0, lp), (3 * LP_SHARES) / 10 - 100_900e12);
        assertEq(pool.maxRedeem(bob), 0, "bob jumped the queue");

        // Carol queues behind; the position closes and frees the reservation.
        vm.prank(lp);
        pool.transfer(carol, LP_SHARES / 10);
        _requestRedeem(carol, LP_SHARES / 10);
        address[] memory queue = pool.redeemQueue();
        assertEq(queue.length, 3);
        assertEq(queue[0], lp);
        assertEq(queue[1], bob);
        assertEq(queue[2], carol);
        closePosition(id, alice);
        // No LP execution within `lpSettle` of the close's round.
        vm.warp(block.timestamp + LP_SETTLE);
        vm.prank(keeper);
        assertEq(pool.executeRedeems(2), 2);
        // Both at the price they recorded, par, below the live one (the pool earned 1,800 USD of fees).
        assertEq(pool.maxRedeem(lp), (3 * LP_SHARES) / 10);
        assertEq(pool.maxWithdraw(lp), 300_000 * USD);
        assertEq(pool.maxWithdraw(bob), 200_000 * USD);
        assertEq(pool.maxRedeem(carol), 0);
        queue = pool.redeemQueue();
        assertEq(queue.length, 1);
        assertEq(queue[0], carol);
    }

    /// @dev The price rose between request and execution: the redeemer gets the lower price recorded at request.
    function test_executeRedeems_atTheRequestPriceWhenItIsLower() public {
        _requestRedeem(lp, LP_SHARES / 10);
        _donate(carol, POOL_LIQUIDITY);
        vm.warp(block.timestamp + LP_DELAY);
        vm.expectEmit(address(pool));
        emit ILiquidityPool.RedeemExecuted(lp, keeper, LP_SHARES / 10, 100_000 * USD, PAR, 0, 0);
        _executeRedeems();
        assertEq(pool.maxWithdraw(lp), 100_000 * USD);
    }

    /// @dev The price fell between request and execution (traders' profit): the redeemer gets the live price.
    function test_executeRedeems_atTheLivePriceWhenItIsLower() public {
        _open(alice, true, 10e18, 3_000 * USD); // entry notional 30,000 USD, fee 30 USD
        _requestRedeem(lp, LP_SHARES / 10);
        vm.warp(block.timestamp + LP_DELAY - LP_SETTLE);
        setPrice(ETH, 3_300e18);
        vm.warp(block.timestamp + LP_SETTLE);
        // The longs' claim: 3,000 USD of profit less 300 s of fees on 30,000 USD (the side's first index is zero),
        // rounded up to a unit.
        uint256 index = LP_DELAY * RATE;
        assertEq(engine.borrowIndex(ETH, true), index);
        uint256 claimWad = 3_000e18 - (30_000 * index);
        uint256 claim = _ceilDiv(claimWad, UNIT_SCALE);
        uint256 assets = POOL_LIQUIDITY + 30 * USD - claim;
        assertEq(pool.totalAssets(), assets);
        uint256 price = _priceDown(assets, LP_SHARES);
        assertLt(price, PAR);
        uint256 owed = ((LP_SHARES / 10) * price) / WAD;

        vm.expectEmit(address(pool));
        emit ILiquidityPool.RedeemExecuted(lp, keeper, LP_SHARES / 10, owed, price, 0, 0);
        _executeRedeems();
        assertEq(pool.maxWithdraw(lp), owed);
        assertEq(pool.cachedSharePrice(), _priceDown(assets - owed, LP_SHARES - LP_SHARES / 10));
    }

    function test_executeRedeems_revertsWhen_withinLpSettleOfANewRound() public {
        _openStandardLong();
        _requestRedeem(lp, LP_SHARES / 10);
        vm.warp(block.timestamp + LP_DELAY);
        setPrice(ETH, ETH_PRICE);
        PoolSnapshot memory before = _poolSnapshot();
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.LpExecutionPaused.selector, block.timestamp + LP_SETTLE));
        vm.prank(keeper);
        pool.executeRedeems(1);
        _assertPoolUnchanged(before);
    }

    function test_executableRequests_reportsWhatAKeeperMayExecute() public {
        requestDeposit(alice, 1_000 * USD);
        _requestRedeem(lp, LP_SHARES / 10);
        address[] memory controllers = new address[](2);
        controllers[0] = alice;
        controllers[1] = bob;
        (bool[] memory deposits, bool redeemHead) = pool.executableRequests(controllers);
        assertFalse(deposits[0]);
        assertFalse(deposits[1]);
        assertFalse(redeemHead);
        vm.warp(block.timestamp + LP_DELAY);
        (deposits, redeemHead) = pool.executableRequests(controllers);
        assertTrue(deposits[0]);
        assertFalse(deposits[1]);
        assertTrue(redeemHead);
    }
}

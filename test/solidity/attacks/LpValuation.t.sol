// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {PoolHelpers} from "../utils/PoolHelpers.sol";

/// @notice The security review's LP-valuation scenarios, re-run against pool v2 (SPEC invariant 7, rules 10–13). In
/// each, the attacker ends no richer than they started (tokens, plus any shares at the share price once every position
/// they opened is closed), and a passive LP's share price does not fall at constant prices.
/// @dev The attacker plays the strongest game the pool allows: it executes requests itself (execution is open to
/// anyone), chooses which deposits to execute and when, and keeps small "refresher" requests of its own ready so that
/// it can refresh the cached share price at the moment that suits it.
contract LpValuationAttackTest is PoolHelpers {
    uint256 internal constant MALLORY_FUNDS = 3_000_000 * USD;

    address internal refresher1 = makeAddr("refresher1");
    address internal refresher2 = makeAddr("refresher2");

    function setUp() public override {
        super.setUp();
        usd.mint(mallory, MALLORY_FUNDS);
        vm.startPrank(mallory);
        usd.approve(address(engine), type(uint256).max);
        usd.approve(address(pool), type(uint256).max);
        vm.stopPrank();
    }

    // ------------------------------------------------------------ the attacker's moves

    /// @dev Mallory opens at the current price through both steps, escrowing the opening fee on top of `collateral`
    /// (a keeper executes at a round one second later).
    function _mOpen(bool isLong, uint256 size, uint256 collateral) internal returns (uint256 id) {
        uint256 escrow = collateral + openFeeOf(ETH, size);
        vm.prank(mallory);
        id = engine.requestOpen(
            ETH,
            isLong,
            size,
            escrow,
            isLong ? type(uint128).max : 0,
            block.timestamp + MAX_ORDER_WAIT,
            0
        );
        executeAt(id, ETH, currentPrice(ETH));
        assertEq(engine.position(id).collateral, collateral, "mallory's open did not execute");
    }

    /// @dev Mallory closes at the current price through both steps, then waits `lpSettle` so that LP requests can
    /// execute after the close's round.
    function _mClose(uint256 id) internal {
        closePosition(id, mallory);
        assertEq(engine.position(id).owner, address(0), "mallory's close did not execute");
        vm.warp(block.timestamp + LP_SETTLE);
    }

    /// @dev A deposit request paid by mallory for `controller` (one of her own addresses).
    function _mRequestDeposit(address controller, uint256 assets) internal {
        vm.prank(mallory);
        pool.requestDeposit(assets, controller, mallory);
    }

    /// @dev Mallory executes `controller`'s deposit herself and claims its shares to herself.
    function _mExecuteDeposit(address controller) internal {
        address[] memory controllers = new address[](1);
        controllers[0] = controller;
        vm.prank(mallory);
        pool.executeDeposits(controllers);
        uint256 assets = pool.maxDeposit(controller);
        vm.prank(controller);
        pool.deposit(assets, mallory, controller);
    }

    /// @dev Mallory asks to redeem every share she holds, executes it after `lpDelay` and claims the assets.
    function _mRedeemAll() internal {
        uint256 shares = pool.balanceOf(mallory);
        vm.prank(mallory);
        pool.requestRedeem(shares, mallory, mallory);
        vm.warp(block.timestamp + LP_DELAY);
        vm.prank(mallory);
        pool.executeRedeems(type(uint256).max);
        _claimAssets(mallory);
        assertEq(pool.pendingRedeemRequest(0, mallory), 0, "redemption left pending");
    }

    /// @dev Mallory's tokens plus her shares at the share price now.
    function _malloryWealth() internal view returns (uint256) {
        return usd.balanceOf(mallory) + _valueOf(pool.balanceOf(mallory));
    }

    // ------------------------------------------------------------ (a) a dummy's cap around a deposit and redemption

    /// @dev Alice's long is above its cap; a dummy long adds cap to the side, so more of alice's uncapped profit is
    /// counted against the pool. Keepers take profit at the cap in the block where it is reached (and LP executions
    /// wait lpSettle after every round, so they always can): the dummy then has nothing to lift.
    function test_attack_a_dummyCapToggle_keepersTakeProfitAtTheCap() public {
        uint256 alicePos = openPosition(alice, ETH, true, 100e18, 30_000 * USD); // cap 270,000 USD
        _mRequestDeposit(refresher1, MIN_REQUEST);
        setPrice(ETH, 6_000e18); // alice +300,000 USD, beyond her cap
        vm.prank(keeper);
        engine.takeProfit(alicePos);
        uint256 lpPrice = _sharePrice();

        uint256 dummy = _mOpen(true, 10e18, 7_000 * USD); // cap min(63,000, 60,000) USD
        vm.warp(block.timestamp + LP_DELAY);
        _mExecuteDeposit(refresher1); // refreshes the cached price with the dummy open
        _mRequestDeposit(mallory, 1_000_000 * USD);
        vm.warp(block.timestamp + LP_DELAY);
        _mExecuteDeposit(mallory);
        _mClose(dummy);
        _mRedeemAll();

        assertLe(_malloryWealth(), MALLORY_FUNDS, "the attacker profited");
        assertGe(_sharePrice(), lpPrice, "the passive LP lost");
    }

    /// @dev Late keepers: nobody takes alice's profit. The side's claim min(Σpnl, Σcap) would count up to the dummy's
    /// cap of alice's profit beyond her own cap, so no LP request executes while she is past her cap: the attacker
    /// can go on only by taking her profit (for the keeper reserve), after which the dummy lifts nothing.
    function test_attack_a_dummyCapToggle_lateKeepers_lpExecutionsWaitForTheTakeProfit() public {
        uint256 alicePos = openPosition(alice, ETH, true, 100e18, 30_000 * USD); // cap 270,000 USD
        _mRequestDeposit(refresher1, MIN_REQUEST);
        setPrice(ETH, 6_000e18); // alice +300,000 USD: 30,000 USD beyond her cap
        uint256 dummy = _mOpen(true, 10e18, 7_000 * USD);
        vm.warp(block.timestamp + LP_DELAY);
        _assertLpWaitsForKeepers(mallory, refresher1);

        uint256 tokens = usd.balanceOf(mallory);
        vm.prank(mallory);
        engine.takeProfit(alicePos);
        uint256 earned = usd.balanceOf(mallory) - tokens;
        assertEq(earned, KEEPER_RESERVE, "the take-profit reward");
        uint256 lpPrice = _sharePrice();

        _mExecuteDeposit(refresher1);
        _mRequestDeposit(mallory, 1_000_000 * USD);
        _mRequestDeposit(refresher2, MIN_REQUEST);
        vm.warp(block.timestamp + LP_DELAY);
        _mExecuteDeposit(mallory);
        _mClose(dummy);
        _mExecuteDeposit(refresher2);
        _mRedeemAll();

        assertLe(_malloryWealth(), MALLORY_FUNDS + earned, "the attacker profited beyond the keeper reserve");
        assertGe(_sharePrice(), lpPrice, "the passive LP lost");
    }

    /// @dev The brief's sequence as a plain user would run it (no cache refresh), with the dummy opened while alice is
    /// past her cap: the deposit waits until a keeper takes her profit, and then the dummy moves nothing.
    function test_attack_a_dummyCapToggle_withoutRefresh() public {
        uint256 alicePos = openPosition(alice, ETH, true, 100e18, 30_000 * USD);
        setPrice(ETH, 6_000e18);
        uint256 dummy = _mOpen(true, 10e18, 7_000 * USD);
        _mRequestDeposit(mallory, 1_000_000 * USD);
        vm.warp(block.timestamp + LP_DELAY);
        _assertLpWaitsForKeepers(mallory, mallory);
        vm.prank(keeper);
        engine.takeProfit(alicePos);
        uint256 lpPrice = _sharePrice();
        _mExecuteDeposit(mallory);
        _mClose(dummy);
        _mRedeemAll();
        assertLe(_malloryWealth(), MALLORY_FUNDS, "the attacker profited");
        assertGe(_sharePrice(), lpPrice, "the passive LP lost");
    }

    // ------------------------------------------------------------ (b) a large dummy at an extreme price

    /// @dev ETH ten-folds: alice's long is 2.43M USD beyond its cap. A 600,000 USD dummy (cap = its notional) would
    /// drop totalAssets by 600,000 USD while the excess stands; keepers take profit at the cap first, and the dummy
    /// then moves nothing.
    function test_attack_b_largeDummyAtAnExtremePrice() public {
        uint256 alicePos = openPosition(alice, ETH, true, 100e18, 30_000 * USD);
        _mRequestDeposit(refresher1, MIN_REQUEST);
        setPrice(ETH, 30_000e18);
        vm.prank(keeper);
        engine.takeProfit(alicePos);
        uint256 lpPrice = _sharePrice();
        uint256 assetsBefore = pool.totalAssets();

        uint256 dummy = _mOpen(true, 20e18, 70_000 * USD); // cap min(630,000, 600,000) USD; fee 600 USD
        assertEq(engine.totalReserved(), 600_000 * USD);
        assertEq(pool.totalAssets(), assetsBefore + 600 * USD, "the dummy moved the valuation");
        vm.warp(block.timestamp + LP_DELAY);
        _mExecuteDeposit(refresher1);
        _mRequestDeposit(mallory, 1_000_000 * USD);
        _mRequestDeposit(refresher2, MIN_REQUEST);
        vm.warp(block.timestamp + LP_DELAY);
        _mExecuteDeposit(mallory);
        _mClose(dummy);
        _mExecuteDeposit(refresher2);
        _mRedeemAll();

        assertLe(_malloryWealth(), MALLORY_FUNDS, "the attacker profited");
        assertGe(_sharePrice(), lpPrice, "the passive LP lost");
    }

    /// @dev (a) at ten times the scale, with late keepers: the dummy would lift the side's claim by its whole cap
    /// (600,000 USD); no LP request executes until alice's profit is taken, and then the dummy lifts nothing.
    function test_attack_b_largeDummyAtAnExtremePrice_lateKeepers_lpExecutionsWaitForTheTakeProfit() public {
        uint256 alicePos = openPosition(alice, ETH, true, 100e18, 30_000 * USD);
        _mRequestDeposit(refresher1, MIN_REQUEST);
        setPrice(ETH, 30_000e18); // alice 2,430,000 USD beyond her cap
        uint256 dummy = _mOpen(true, 20e18, 70_000 * USD);
        vm.warp(block.timestamp + LP_DELAY);
        _assertLpWaitsForKeepers(mallory, refresher1);

        uint256 tokens = usd.balanceOf(mallory);
        vm.prank(mallory);
        engine.takeProfit(alicePos);
        uint256 earned = usd.balanceOf(mallory) - tokens;
        uint256 lpPrice = _sharePrice();

        _mExecuteDeposit(refresher1);
        _mRequestDeposit(mallory, 1_000_000 * USD);
        _mRequestDeposit(refresher2, MIN_REQUEST);
        vm.warp(block.timestamp + LP_DELAY);
        _mExecuteDeposit(mallory);
        _mClose(dummy);
        _mExecuteDeposit(refresher2);
        _mRedeemAll();

        assertLe(_malloryWealth(), MALLORY_FUNDS + earned, "the attacker profited beyond the keeper reserve");
        assertGe(_sharePrice(), lpPrice, "the passive LP lost");
    }

    // ------------------------------------------------------------ (c) margin lifting a side's collateral sum

    /// @dev Alice's 10x long is 70,000 USD under water. Mallory, long on the same side at the new price, adds
    /// 70,000 USD of margin so that more of alice's loss counts as the pool's (the side's floor is −Σcollateral) and
    /// redeems around it. Keepers liquidate alice in the block of the crash, and the margin lifts nothing.
    function test_attack_c_addMarginAroundARedemption() public {
        uint256 alicePos = openPosition(alice, ETH, true, 100e18, 30_000 * USD);
        setPrice(ETH, 2_000e18); // alice −100,000 USD on 30,000 USD
        vm.prank(keeper);
        engine.liquidate(alicePos);
        uint256 lpPrice = _sharePrice();

        uint256 own = _mOpen(true, 0.01e18, MIN_COLLATERAL); // 20 USD of notional
        _mRequestDeposit(mallory, 1_000_000 * USD);
        _mRequestDeposit(refresher1, MIN_REQUEST);
        vm.warp(block.timestamp + LP_DELAY);
        _mExecuteDeposit(mallory);
        uint256 assetsBefore = pool.totalAssets();
        vm.prank(mallory);
        engine.addMargin(own, 70_000 * USD);
        assertEq(pool.totalAssets(), assetsBefore, "added margin moved the valuation");
        _mExecuteDeposit(refresher1);
        _mRedeemAll();
        _mClose(own);

        assertLe(_malloryWealth(), MALLORY_FUNDS, "the attacker profited");
        assertGe(_sharePrice(), lpPrice, "the passive LP lost");
    }

    /// @dev Late keepers: alice is left under water. The side's floor −Σcollateral would count her loss up to the
    /// side's whole collateral, mallory's margin included; so no LP request executes while she is under water, and
    /// the attacker can go on only by liquidating her (for the liquidator's reward), after which the margin lifts
    /// nothing.
    function test_attack_c_addMarginAroundARedemption_lateKeepers_lpExecutionsWaitForTheLiquidation() public {
        uint256 alicePos = openPosition(alice, ETH, true, 100e18, 30_000 * USD);
        setPrice(ETH, 2_000e18); // alice −100,000 USD on 30,000 USD
        uint256 own = _mOpen(true, 0.01e18, MIN_COLLATERAL);
        _mRequestDeposit(mallory, 1_000_000 * USD);
        _mRequestDeposit(refresher1, MIN_REQUEST);
        vm.warp(block.timestamp + LP_DELAY);
        _assertLpWaitsForKeepers(mallory, mallory);
        vm.prank(mallory);
        engine.addMargin(own, 70_000 * USD);
        _assertLpWaitsForKeepers(mallory, mallory);

        uint256 tokens = usd.balanceOf(mallory);
        vm.prank(mallory);
        engine.liquidate(alicePos);
        uint256 earned = usd.balanceOf(mallory) - tokens;
        uint256 lpPrice = _sharePrice();

        _mExecuteDeposit(mallory);
        _mExecuteDeposit(refresher1);
        _mRedeemAll();
        _mClose(own);

        assertLe(_malloryWealth(), MALLORY_FUNDS + earned, "the attacker profited beyond the liquidator's reward");
        assertGe(_sharePrice(), lpPrice, "the passive LP lost");
    }

    // ------------------------------------------------------------ (d) just-in-time LP around a capped close

    /// @dev Alice's long is past its cap and keepers are late: mallory asks to enter just before the close at the cap
    /// and leave just after. Her deposit waits until the profit is taken, and the close, valued at the cap already,
    /// moves the share price only by the closing fee the pool earns.
    function test_attack_d_justInTimeAroundACappedClose() public {
        uint256 alicePos = openPosition(alice, ETH, true, 100e18, 30_000 * USD);
        setPrice(ETH, 6_000e18); // beyond the cap; keepers are late
        uint256 lpPrice = _sharePrice();
        _mRequestDeposit(mallory, 1_000_000 * USD);
        vm.warp(block.timestamp + LP_DELAY);
        _assertLpWaitsForKeepers(mallory, mallory);

        uint256 assetsBefore = pool.totalAssets();
        vm.prank(keeper);
        engine.takeProfit(alicePos);
        // The close fee (0.1 % of 600,000 USD) is all the close changes; fees accrued are realised, not created.
        uint256 closeFee = 600 * USD;
        assertGe(pool.totalAssets(), assetsBefore + closeFee - 1, "the capped close dropped the valuation");
        assertLe(pool.totalAssets(), assetsBefore + closeFee + 1, "the capped close jumped the valuation");

        _mExecuteDeposit(mallory);
        uint256 shares = pool.balanceOf(mallory);
        vm.prank(mallory);
        pool.requestRedeem(shares, mallory, mallory);
        vm.warp(block.timestamp + LP_DELAY);
        _executeRedeems();
        _claimAssets(mallory);
        assertLe(_malloryWealth(), MALLORY_FUNDS, "the attacker profited");
        assertGe(_sharePrice(), lpPrice, "the passive LP lost");
    }

    // ------------------------------------------------------------ (e) leaving before a bad-debt liquidation

    /// @dev Two equal LPs; alice's long goes under water by more than its collateral. Mallory asks to redeem before
    /// the liquidation (the keeper is late): her redemption waits until alice is liquidated, so she leaves with the
    /// bad debt shared, like the LP who stays.
    function test_attack_e_redeemBeforeABadDebtLiquidation() public {
        uint256 alicePos = openPosition(alice, ETH, true, 100e18, 30_000 * USD);
        _mRequestDeposit(mallory, POOL_LIQUIDITY);
        vm.warp(block.timestamp + LP_DELAY);
        _mExecuteDeposit(mallory);
        uint256 shares = pool.balanceOf(mallory);
        assertApproxEqRel(shares, LP_SHARES, 0.001e18);

        vm.warp(block.timestamp + 60);
        setPrice(ETH, 2_000e18); // −100,000 USD on 30,000 USD of collateral
        vm.prank(mallory);
        pool.requestRedeem(shares, mallory, mallory);
        vm.warp(block.timestamp + LP_DELAY);
        _assertLpWaitsForKeepers(mallory, mallory);

        vm.prank(keeper);
        engine.liquidate(alicePos);
        uint256 lpValue = _valueOf(LP_SHARES);
        vm.prank(mallory);
        pool.executeRedeems(type(uint256).max);
        uint256 out = _claimAssets(mallory);
        // The same stake, kept through the liquidation, is worth at least what mallory left with.
        assertLe(out, _valueOf(shares), "the LP who left first dodged the bad debt");
        assertLe(out * LP_SHARES, lpValue * shares + shares, "mallory left with more per share than the LP kept");
    }

    // ------------------------------------------------------------ (f) a flash-sized deposit around a close with fees

    /// @dev Alice's long accrues 100 days of borrow fees (8,219 USD); the valuation counts them in O(1), so her close
    /// realises them without moving the share price (closing fees off, to isolate the borrow fees).
    function test_attack_f_flashDepositAroundACloseWithAccruedFees() public {
        MarketParams memory params = _params(ETH);
        params.closeFeeRatio = 0;
        _setMarket(ETH, params);
        uint256 alicePos = openPosition(alice, ETH, true, 100e18, 30_000 * USD);
        _skip(100 days);
        _mRequestDeposit(mallory, 2_000_000 * USD);
        _mRequestDeposit(refresher1, MIN_REQUEST);
        vm.warp(block.timestamp + LP_DELAY);
        _mExecuteDeposit(refresher1);
        uint256 lpPrice = _sharePrice();
        _mExecuteDeposit(mallory);
        uint256 shares = pool.balanceOf(mallory);
        vm.prank(mallory);
        pool.requestRedeem(shares, mallory, mallory);

        requestClose(alicePos, alice);
        vm.warp(block.timestamp + 1);
        uint256 assetsBefore = pool.totalAssets();
        setPrice(ETH, currentPrice(ETH));
        vm.prank(keeper);
        engine.executeOrder(alicePos);
        assertEq(engine.position(alicePos).owner, address(0), "close did not execute");
        // The fee is paid rounded up and was valued rounded down: at most a unit apart.
        assertGe(pool.totalAssets(), assetsBefore, "the close dropped the valuation");
        assertLe(pool.totalAssets(), assetsBefore + 1, "the close jumped the valuation: fees were not counted");

        vm.warp(block.timestamp + LP_DELAY);
        _executeRedeems();
        _claimAssets(mallory);
        assertLe(_malloryWealth(), MALLORY_FUNDS, "the attacker profited");
        assertGe(_sharePrice(), lpPrice, "the passive LP lost");
    }

    // ------------------------------------------------------------ (g) a known answer

    /// @dev Mallory knows the next answer is −0.5 % (the pool gains from a large long) and asks to deposit before it.
    /// The request waits `lpDelay` and executes at least `lpSettle` after the round, at the higher of the cached and
    /// the live price: the live one, after the move.
    function test_attack_g_depositAroundAKnownAnswer() public {
        openPosition(alice, ETH, true, 300e18, 100_000 * USD);
        // Another LP's deposit leaves the fair price before the answer in the cache (a refresher of mallory's own,
        // executed before the answer, would simply be an LP position held through a known move, which no delay can
        // stop for an answer known that far ahead).
        requestDeposit(dave, MIN_REQUEST);
        vm.warp(block.timestamp + LP_DELAY);
        _executeDeposits(dave);
        uint256 lpPrice = _sharePrice();
        _mRequestDeposit(mallory, 1_000_000 * USD);
        vm.warp(block.timestamp + 100);
        setPrice(ETH, 2_985e18); // longs −4,500 USD
        uint256 priceAfter = _sharePrice();
        assertGt(priceAfter, lpPrice);
        vm.warp(block.timestamp + LP_DELAY - 100);
        address[] memory controllers = new address[](1);
        controllers[0] = mallory;
        vm.prank(mallory);
        pool.executeDeposits(controllers);
        assertLe(pool.maxMint(mallory) * priceAfter, 1_000_000 * USD * WAD, "entered below the post-answer price");
        _claimShares(mallory);
        _mRedeemAll();
        assertLe(_malloryWealth(), MALLORY_FUNDS, "the attacker profited");
        assertGe(_sharePrice(), lpPrice, "the passive LP lost");
    }

    /// @dev The other way: mallory knows the next answer is +0.5 % (the pool loses to a large long) and asks to redeem
    /// before it: the execution uses the lower, post-answer price.
    function test_attack_g_redeemAroundAKnownAnswer() public {
        openPosition(alice, ETH, true, 300e18, 100_000 * USD);
        _mRequestDeposit(mallory, 1_000_000 * USD);
        vm.warp(block.timestamp + LP_DELAY);
        _mExecuteDeposit(mallory);
        uint256 shares = pool.balanceOf(mallory);
        vm.prank(mallory);
        pool.requestRedeem(shares, mallory, mallory);
        vm.warp(block.timestamp + 100);
        setPrice(ETH, 3_015e18); // longs +4,500 USD
        vm.warp(block.timestamp + LP_DELAY - 100);
        uint256 fair = _valueOf(shares);
        _executeRedeems();
        assertLe(pool.maxWithdraw(mallory), fair, "left above the post-answer price");
    }

    // ------------------------------------------------------------ (h) a tiny position reserving the pool

    /// @dev 12 USD of notional with 200,000 USD of collateral: the cap is bounded by the notional, so the position
    /// reserves 12 USD, not 1.8M USD, and redemptions go through.
    function test_attack_h_tinyPositionCannotReserveThePool() public {
        uint256 lpPrice = _sharePrice();
        uint256 tiny = _mOpen(true, 0.004e18, 200_000 * USD);
        assertEq(engine.position(tiny).maxProfit, 12 * USD);
        assertEq(engine.totalReserved(), 12 * USD);
        assertEq(pool.freeLiquidity(), POOL_LIQUIDITY + 12_000 - 12 * USD); // open fee 0.012 USD

        _requestRedeem(lp, (9 * LP_SHARES) / 10);
        vm.warp(block.timestamp + LP_DELAY);
        _executeRedeems();
        assertEq(pool.maxRedeem(lp), (9 * LP_SHARES) / 10, "the redemption was held up");
        assertGe(_sharePrice(), lpPrice, "the passive LP lost");
        _mClose(tiny);
        assertLe(_malloryWealth(), MALLORY_FUNDS, "the attacker profited");
    }
}

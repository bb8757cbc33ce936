// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

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

    function _mOpen(bool isLong, uint256 size, uint256 collateral) internal returns (uint256 id) {
        vm.prank(mallory);
        id = engine.open(ETH, isLong, size, collateral, isLong ? type(uint256).max : 0, block.timestamp);
    }

    function _mClose(uint256 id) internal {
        vm.prank(mallory);
        engine.close(id, 0, block.timestamp);
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

    /// @dev The same with keepers that do not take alice's profit for the whole attack: the attacker refreshes the
    /// cached price while the dummy is open, deposits at it, closes the dummy, refreshes the cache again and redeems.
    function test_attack_a_dummyCapToggle_lateKeepers() public {
        openPosition(alice, ETH, true, 100e18, 30_000 * USD); // cap 270,000 USD
        _mRequestDeposit(refresher1, MIN_REQUEST);
        setPrice(ETH, 6_000e18); // alice +300,000 USD, beyond her cap
        uint256 lpPrice = _sharePrice();

        uint256 dummy = _mOpen(true, 10e18, 7_000 * USD);
        vm.warp(block.timestamp + LP_DELAY);
        _mExecuteDeposit(refresher1);
        _mRequestDeposit(mallory, 1_000_000 * USD);
        _mRequestDeposit(refresher2, MIN_REQUEST);
        vm.warp(block.timestamp + LP_DELAY);
        _mExecuteDeposit(mallory);
        _mClose(dummy);
        _mExecuteDeposit(refresher2); // the cache now reflects the dummy's close
        _mRedeemAll();

        assertLe(_malloryWealth(), MALLORY_FUNDS, "the attacker profited");
        assertGe(_sharePrice(), lpPrice, "the passive LP lost");
    }
}

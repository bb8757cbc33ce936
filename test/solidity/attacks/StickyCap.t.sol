// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AttackBase} from "./utils/AttackBase.sol";

/// @dev The profit cap is sticky (SPEC, "Profit cap"; rule 9): it is set at the open and grows only by what an increase
/// itself brings (min(maxProfitRatio × its collateral, maxProfitNotionalRatio × its notional)); margin added later never
/// raises it, and profit beyond the cap before an increase is never paid. The attack: a small position rides a rally
/// far beyond its cap; its owner adds a large margin and then increases by one wei at the rallied price, hoping the cap
/// is recomputed from all the collateral and the notional at that price, and closes. Recomputed, the cap would be
/// min(9 × 10,300, 9,000) = 9,000 USD and the trader would take the whole 6,000 USD of pnl; sticky, it stays 2,700 USD.
contract StickyCapAttackTest is AttackBase {
    /// @dev Long 1 ETH at 3,000 with 300 USD: cap min(9 × 300, 100 % × 3,000) = 2,700 USD.
    uint256 internal constant CAP = 2_700 * USD;
    uint256 internal constant RALLY_PRICE = 9_000e18;

    uint256 internal id;
    /// @dev Everything minted to mallory so far.
    uint256 internal minted;

    function setUp() public override {
        super.setUp();
        id = openPosition(mallory, ETH, true, 1e18, 300 * USD);
        minted = 300 * USD + openFeeOf(ETH, 1e18) + KEEPER_RESERVE;
        assertEq(engine.position(id).maxProfit, CAP, "setup: cap");
    }

    /// @dev addMargin, then increase(1 wei) at the rallied price, then close: the trader's profit is at most the cap
    /// it had (the one-wei increase brings min(9 × 0, 9,000 × 1e-18 USD) = 0), and no more than closing without the
    /// increase pays.
    function test_addMarginThenTinyIncrease_paidNoMoreThanTheCap() public {
        _fund(10_000 * USD);
        vm.prank(mallory);
        engine.addMargin(id, 10_000 * USD);
        assertEq(engine.position(id).maxProfit, CAP, "addMargin raised the cap");
        setPrice(ETH, RALLY_PRICE);

        uint256 snapshotId = vm.snapshotState();
        closePosition(id, mallory);
        int256 plainProfit = _profit();
        vm.revertToState(snapshotId);

        increasePosition(id, 1, 0);
        assertEq(engine.position(id).size, 1e18 + 1, "increase did not execute");
        assertEq(engine.position(id).maxProfit, CAP, "the increase raised the cap beyond what it brings");
        closePosition(id, mallory);
        assertEq(engine.position(id).owner, address(0), "close did not execute");

        int256 profit = _profit();
        assertLe(profit, plainProfit, "the tiny increase paid more than a plain close");
        assertLe(profit, int256(CAP), "paid beyond the cap");
        // The cap less the fees: 3 USD to open, 9 USD to close, a unit to open the wei, and borrow fees.
        assertGt(profit, int256(CAP - 13 * USD), "setup: the cap was not reached");
    }

    /// @dev With any margin added, any increase (size and collateral) executed at any rallied price, and a close at that
    /// price, the trader's profit is at most the old cap plus the cap the increase brings at its price.
    function testFuzz_addMarginThenIncrease_paidAtMostTheCapItBrings(
        uint256 margin,
        uint256 sizeDelta,
        uint256 collateralDelta,
        uint256 price
    ) public {
        margin = bound(margin, 1, 100_000 * USD);
        sizeDelta = bound(sizeDelta, 1, 2e18);
        collateralDelta = bound(collateralDelta, 0, 20_000 * USD);
        price = bound(price, 3_000e18, 30_000e18);
        _fund(margin);
        vm.prank(mallory);
        engine.addMargin(id, margin);
        setPrice(ETH, price);

        // `increasePosition` mints the collateral it brings.
        minted += collateralDelta;
        increasePosition(id, sizeDelta, collateralDelta);
        uint256 cap = engine.position(id).maxProfit;
        // What the increase brings, rounded down like the engine: 9 × its collateral, or 100 % of its notional.
        uint256 brought = _min((9 * collateralDelta), (sizeDelta * price) / 1e18 / UNIT_SCALE);
        assertLe(cap, CAP + brought, "the cap grew beyond what the increase brings");
        closePosition(id, mallory);
        assertEq(engine.position(id).owner, address(0), "close did not execute");
        assertLe(_profit(), int256(CAP + brought), "paid beyond the caps");
    }

    /// @dev Mallory's tokens less everything minted to her: her profit over the whole sequence.
    function _profit() internal view returns (int256) {
        return int256(usd.balanceOf(mallory)) - int256(minted);
    }

    function _fund(uint256 amount) internal {
        fund(mallory, amount);
        minted += amount;
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }
}

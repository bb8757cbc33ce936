// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Position} from "../../../contracts/interfaces/IMarginEngine.sol";
import {PoolHelpers} from "../utils/PoolHelpers.sol";

/// @notice The engine's edges (SPEC rule 10): per market side it knows where each position reaches its cap and where
/// it goes under water, so `pastEdges` tells in O(1) whether the side's aggregate claim is still the sum of its
/// positions' claims. Past an edge a keeper can act at once (take profit, liquidate); the pool executes no LP request
/// until one has. The edges follow every change of a position's terms.
contract EdgesTest is PoolHelpers {
    /// @dev A tick of the engine's price grid is at most 1/STEP of its price wide.
    uint256 internal constant STEP = 2 ** 10;

    // ------------------------------------------------------------ helpers

    /// @dev A position's cap price and bankruptcy price, written out from SPEC's formulas (zero where it has none):
    /// a long reaches its cap at e + cap/size and is bankrupt at e − C/size; a short at e − cap/size and e + C/size.
    function _edgesOf(uint256 id) internal view returns (uint256 capPrice, uint256 bankruptcyPrice) {
        Position memory p = engine.position(id);
        uint256 toCap = _ceilDiv(uint256(p.maxProfit) * UNIT_SCALE * WAD, p.size);
        uint256 toBankruptcy = (uint256(p.collateral) * UNIT_SCALE * WAD) / p.size;
        if (p.isLong) {
            capPrice = p.entryPrice + toCap;
            bankruptcyPrice = toBankruptcy < p.entryPrice ? p.entryPrice - toBankruptcy : 0;
        } else {
            capPrice = toCap < p.entryPrice ? p.entryPrice - toCap : 0;
            bankruptcyPrice = p.entryPrice + toBankruptcy;
        }
    }

    /// @dev With `id` the market's only position: just short of each edge the engine sees nothing, one grid step past
    /// it the engine sees it.
    function _assertEdgesFollow(uint256 id) internal view {
        (uint256 capPrice, uint256 bankruptcyPrice) = _edgesOf(id);
        bool isLong = engine.position(id).isLong;
        if (capPrice != 0) {
            uint256 step = capPrice / STEP + 1;
            (bool beyondCap, ) = engine.pastEdges(ETH, capPrice);
            assertFalse(beyondCap, "beyond the cap at the cap price");
            (beyondCap, ) = engine.pastEdges(ETH, isLong ? capPrice + step : capPrice - step);
            assertTrue(beyondCap, "not beyond the cap one step past the cap price");
        }
        if (bankruptcyPrice != 0) {
            uint256 step = bankruptcyPrice / STEP + 1;
            (, bool underWater) = engine.pastEdges(ETH, bankruptcyPrice);
            assertTrue(underWater, "not under water at the bankruptcy price");
            (, underWater) = engine.pastEdges(ETH, isLong ? bankruptcyPrice + step : bankruptcyPrice - step);
            assertFalse(underWater, "under water one step short of the bankruptcy price");
        }
    }

    /// @dev The market has no edge left: no price is past one.
    function _assertNoEdges(uint256 marketId) internal view {
        uint256[4] memory prices = [uint256(1), 3_000e18, 1 << 127, type(uint256).max];
        for (uint256 i; i < prices.length; ++i) {
            (bool beyondCap, bool underWater) = engine.pastEdges(marketId, prices[i]);
            assertFalse(beyondCap || underWater, "an edge is left");
        }
    }

    /// @dev A deposit request of dave's whose `lpDelay` has passed, and a price `lpSettle` old.
    function _dueDeposit() internal {
        requestDeposit(dave, 1_000 * USD);
        _skip(LP_DELAY);
        _publish(currentPrice(ETH));
        btcFeed.updateAnswer(btcFeed.latestAnswer());
        vm.warp(block.timestamp + LP_SETTLE);
    }

    function _assertLpOpen() internal view {
        (bool open, ) = pool.lpExecutionStatus();
        assertTrue(open, "LP executions wait");
    }

    // ------------------------------------------------------------ where the edges are

    function test_aLong_capPriceAndBankruptcyPrice() public {
        uint256 id = _openStandardLong(); // 1 ETH at 3,000 with 600 USD: cap 3,000 USD
        (uint256 capPrice, uint256 bankruptcyPrice) = _edgesOf(id);
        assertEq(capPrice, 6_000e18, "cap price");
        assertEq(bankruptcyPrice, 2_400e18, "bankruptcy price");
        _assertEdgesFollow(id);
        (bool beyondCap, bool underWater) = engine.pastEdges(ETH, 3_000e18);
        assertFalse(beyondCap || underWater, "past an edge at the entry price");
        (, underWater) = engine.pastEdges(ETH, 1);
        assertTrue(underWater, "not under water at one wei");
        (beyondCap, ) = engine.pastEdges(ETH, 1e30);
        assertTrue(beyondCap, "not beyond the cap at 1e12 USD");
        (beyondCap, underWater) = engine.pastEdges(BTC, 1e30);
        assertFalse(beyondCap || underWater, "another market sees the position");
    }

    function test_aShort_capPriceAndBankruptcyPrice() public {
        uint256 id = _open(alice, false, 1e18, 300 * USD); // cap min(9 × 300, 3,000) = 2,700 USD
        (uint256 capPrice, uint256 bankruptcyPrice) = _edgesOf(id);
        assertEq(capPrice, 300e18, "cap price");
        assertEq(bankruptcyPrice, 3_300e18, "bankruptcy price");
        _assertEdgesFollow(id);
    }

    /// @dev A short whose cap is its whole notional reaches it only at a price of zero: it has no cap edge.
    function test_aShortCappedAtItsNotional_hasNoCapEdge() public {
        uint256 id = _openStandardShort(); // cap min(5,400, 3,000) = 3,000 USD = the notional
        (uint256 capPrice, ) = _edgesOf(id);
        assertEq(capPrice, 0, "cap price");
        (bool beyondCap, ) = engine.pastEdges(ETH, 1);
        assertFalse(beyondCap, "beyond a cap it cannot reach");
        _assertEdgesFollow(id);
    }

    /// @dev A long with more collateral than notional is never bankrupt at a positive price.
    function test_aLongWithCollateralAboveItsNotional_hasNoBankruptcyEdge() public {
        _open(alice, true, 0.1e18, 400 * USD); // 300 USD notional
        (, bool underWater) = engine.pastEdges(ETH, 1);
        assertFalse(underWater, "under water at one wei");
    }

    // ------------------------------------------------------------ the edges follow the position

    function test_edgesFollowEveryChangeOfTerms() public {
        uint256 id = _open(alice, true, 1e18, 330 * USD); // cap min(2,970, 3,000)
        _assertEdgesFollow(id);

        fund(alice, 270 * USD);
        vm.prank(alice);
        engine.addMargin(id, 270 * USD);
        _assertEdgesFollow(id);
        (, uint256 bankruptcyPrice) = _edgesOf(id);
        assertEq(bankruptcyPrice, 2_400e18, "bankruptcy price after adding margin");

        vm.prank(alice);
        engine.removeMargin(id, 300 * USD, alice); // cap min(3,000, 9 × 300) = 2,700 USD
        _assertEdgesFollow(id);
        (uint256 capPrice, ) = _edgesOf(id);
        assertEq(capPrice, 5_700e18, "cap price after removing margin");

        _skip(1 days);
        increasePosition(id, 1e18, 600 * USD);
        _assertEdgesFollow(id);

        decreasePosition(id, 0.5e18);
        _assertEdgesFollow(id);

        closePosition(id, alice);
        _assertNoEdges(ETH);
    }

    function test_edgesOfPositionsAtTheSameTick_countEachPosition() public {
        uint256 a = _openStandardLong();
        uint256 b = _openStandardLong();
        closePosition(a, alice);
        _assertEdgesFollow(b);
        closePosition(b, alice);
        _assertNoEdges(ETH);
    }

    function test_aPendingOpen_hasNoEdges() public {
        requestOpen(alice, ETH, true, 1e18, 600 * USD);
        _assertNoEdges(ETH);
    }

    function test_takeProfit_removesTheEdges() public {
        uint256 id = _openStandardLong();
        _publish(6_001e18);
        vm.prank(keeper);
        engine.takeProfit(id);
        _assertNoEdges(ETH);
    }

    function test_liquidation_removesTheEdges() public {
        uint256 id = _openStandardLong();
        _publish(2_300e18);
        vm.prank(keeper);
        engine.liquidate(id);
        _assertNoEdges(ETH);
    }

    // ------------------------------------------------------------ past an edge, a keeper can act at once

    /// @dev For any position and price: past its cap edge it can be taken at its cap now, and beyond its cap by more
    /// than a grid step it is past the edge; at its bankruptcy edge it can be liquidated now, and below zero equity
    /// (fees left out) it is at the edge.
    function testFuzz_pastAnEdge_aKeeperCanActNow(bool isLong, uint256 collateralSeed, uint256 answerSeed) public {
        uint256 collateral = _bound(collateralSeed, 300 * USD, 2_900 * USD);
        uint256 id = _open(alice, isLong, 1e18, collateral);
        (uint256 capPrice, uint256 bankruptcyPrice) = _edgesOf(id);
        uint256 price = _bound(answerSeed, 1e8, 20_000e8) * 1e10;
        _publish(price);

        (bool beyondCap, bool underWater) = engine.pastEdges(ETH, price);
        if (capPrice != 0) {
            uint256 step = capPrice / STEP + 1;
            bool farBeyond = isLong ? price >= capPrice + step : price + step <= capPrice;
            if (farBeyond) assertTrue(beyondCap, "beyond the cap by a step, not seen");
        }
        if (bankruptcyPrice != 0 && (isLong ? price <= bankruptcyPrice : price >= bankruptcyPrice)) {
            assertTrue(underWater, "bankrupt, not seen");
        }
        if (beyondCap) {
            vm.prank(keeper);
            engine.takeProfit(id);
        } else if (underWater) {
            vm.prank(keeper);
            engine.liquidate(id);
        }
        if (beyondCap || underWater) _assertNoEdges(ETH);
    }

    // ------------------------------------------------------------ what the edges leave out

    /// @dev The bankruptcy price leaves borrow fees out: a position whose fees alone take it under water is not past
    /// its edge. It is liquidatable (long before, since fees first eat its maintenance margin), the valuation counts
    /// its deficit at most, and a keeper's liquidation ends it. This pins the size of that residual.
    function test_aPositionUnderWaterThroughFeesAlone_isLiquidatable_andCountsAtMostItsDeficit() public {
        uint256 id = _open(alice, true, 1e18, 300 * USD); // bankrupt at 2,700, fees left out
        // Another long with ample collateral, so that the side's floor −Σcollateral does not bind.
        uint256 other = _open(bob, true, 0.1e18, 5_000 * USD);
        _skip(90 days); // 10 % a year on 3,000 USD: ~74 USD
        _publish(2_750e18); // fee-free equity 50 USD
        uint256 index = engine.borrowIndex(ETH, true);
        uint256 fees = _borrowFee(1e18, 3_000e18, index - engine.position(id).borrowIndex);
        assertGt(fees, 50 * USD, "setup: the fees exceed the fee-free equity");
        uint256 deficit = fees - 50 * USD;
        int256 otherClaim =
            _pnl(true, 0.1e18, 3_000e18, 2_750e18, engine.position(other).maxProfit) -
                int256(_borrowFee(0.1e18, 3_000e18, index - engine.position(other).borrowIndex));

        (bool beyondCap, bool underWater) = engine.pastEdges(ETH, 2_750e18);
        assertFalse(beyondCap || underWater, "fees are not part of the bankruptcy price");
        assertTrue(lens.liquidatable(_ids(id))[0], "under water and not liquidatable");
        // The side's claim counts her whole loss and fees (~−324 USD) where she can pay her collateral (−300 USD):
        // the pool is valued above what the positions' own claims give by her deficit, no more.
        uint256 exact = uint256(int256(pool.equityAssets()) + int256(300 * USD) - otherClaim);
        uint256 valued = pool.totalAssets();
        assertGt(valued + 3, exact + deficit, "the residual is smaller than the deficit: update this test");
        assertLe(valued, exact + deficit + 3, "valued above by more than the deficit");

        // Her liquidation ends the residual: the pool holds her collateral, the insurance fund covers the rest of her
        // fees, and the valuation is again the other position's claim to within rounding.
        vm.prank(keeper);
        engine.liquidate(id);
        uint256 after_ = uint256(int256(pool.equityAssets()) - otherClaim);
        assertApproxEqAbs(pool.totalAssets(), after_, 2, "the valuation after the liquidation");
    }

    // ------------------------------------------------------------ LP executions wait for the keeper

    function test_lpExecutionsWait_whileAPositionIsBeyondItsCap_untilAnyoneTakesIt() public {
        uint256 id = _openStandardLong();
        _dueDeposit();
        _publish(6_100e18);
        vm.warp(block.timestamp + LP_SETTLE);
        _assertLpWaitsForKeepers(keeper, dave);

        vm.prank(mallory);
        engine.takeProfit(id);
        _assertLpOpen();
        assertEq(_executeDeposits(dave), 1, "the deposit did not execute");
    }

    function test_lpExecutionsWait_whileAPositionIsUnderWater_untilAnyoneLiquidatesIt() public {
        uint256 id = _open(alice, false, 1e18, 300 * USD); // bankrupt at 3,300
        _dueDeposit();
        _publish(3_400e18);
        vm.warp(block.timestamp + LP_SETTLE);
        _assertLpWaitsForKeepers(keeper, dave);

        vm.prank(mallory);
        engine.liquidate(id);
        _assertLpOpen();
        assertEq(_executeDeposits(dave), 1, "the deposit did not execute");
    }

    /// @dev Liquidatable but not under water: the side's claim is still exact, and LP executions go on.
    function test_lpExecutionsGoOn_whileAPositionIsLiquidatableButSolvent() public {
        uint256 id = _openStandardLong(); // maintenance 5 %: liquidatable below ~2,526, bankrupt at 2,400
        _dueDeposit();
        _publish(2_500e18);
        vm.warp(block.timestamp + LP_SETTLE);
        assertTrue(lens.liquidatable(_ids(id))[0], "not liquidatable");
        _assertLpOpen();
        assertEq(_executeDeposits(dave), 1, "the deposit did not execute");
    }

    function test_lpExecutionsWait_forAPositionInAnotherMarket() public {
        uint256 id = openPosition(alice, BTC, true, 0.1e18, 1_000 * USD); // cap 6,000 USD: cap price 120,000
        _dueDeposit();
        vm.warp(block.timestamp + 1);
        setPrice(BTC, 121_000e18);
        vm.warp(block.timestamp + LP_SETTLE);
        _assertLpWaitsForKeepers(keeper, dave);

        vm.prank(keeper);
        engine.takeProfit(id);
        _assertLpOpen();
    }

    /// @dev In settlement the pool values the market at its settlement price, and so are the edges judged.
    function test_lpExecutionsWait_forAPositionBeyondItsCapAtTheSettlementPrice() public {
        uint256 id = _open(alice, false, 1e18, 300 * USD); // cap price 300
        _publish(290e18);
        requestDeposit(dave, 1_000 * USD);
        _settleEth();
        _assertLpWaitsForKeepers(keeper, dave);

        vm.prank(keeper);
        engine.takeProfit(id);
        _assertLpOpen();
        assertEq(_executeDeposits(dave), 1, "the deposit did not execute");
    }
}

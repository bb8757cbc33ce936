// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {TestBase} from "forge-std/Base.sol";
import {StdAssertions} from "forge-std/StdAssertions.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {PositionMath} from "../../../contracts/libraries/PositionMath.sol";
import {PositionMathHarness} from "./PositionMathHarness.sol";
import {Wide} from "./utils/Wide.sol";

/// @notice Fuzzes every `PositionMath` function against an exact reference (512-bit products, or exact integer
/// bounds derived from the formula), proving the rounding direction its name and NatSpec state.
/// @dev Units as in the library: sizes and prices WAD, ratios WAD, `scale` = 10^(18 − asset decimals).
contract PositionMathFuzzTest is TestBase, StdAssertions, StdUtils {
    uint256 internal constant WAD = 1e18;
    uint256 internal constant MAX_INT = uint256(type(int256).max);

    PositionMathHarness internal h;

    function setUp() public {
        h = new PositionMathHarness();
    }

    // ================================================================ bounds

    /// @dev 10^k for k in [0, 18]: the engine's SCALE for any asset of 0 to 18 decimals.
    function _boundScale(uint256 seed) internal pure returns (uint256) {
        return 10 ** _bound(seed, 0, 18);
    }

    /// @dev Any size a position can store (uint128), at least one wei.
    function _boundSize(uint256 size) internal pure returns (uint256) {
        return _bound(size, 1, type(uint128).max);
    }

    /// @dev Any price a position can store (uint128), at least one wei.
    function _boundPrice(uint256 price) internal pure returns (uint256) {
        return _bound(price, 1, type(uint128).max);
    }

    /// @dev `b` bounded so that a·b / d fits in 256 bits (a·b ≤ (2^256 − 1)·(d − 1)), for d ≥ 2.
    function _boundForQuotient(uint256 a, uint256 b, uint256 d) internal pure returns (uint256) {
        if (a == 0) return b;
        uint256 q = type(uint256).max / a;
        uint256 maxB = q > type(uint256).max / (d - 1) ? type(uint256).max : q * (d - 1);
        return _bound(b, 0, maxB);
    }

    // ================================================================ notional

    function testFuzz_notionalUp_isCeilOfExactProduct(uint256 size, uint256 price) public view {
        price = _boundForQuotient(size, price, WAD);
        uint256 up = h.notionalUp(size, price);
        assertTrue(Wide.isCeilOf(up, size, price, WAD), "notionalUp != ceil(size*price/WAD)");
    }

    function testFuzz_notionalDown_isFloorOfExactProduct(uint256 size, uint256 price) public view {
        price = _boundForQuotient(size, price, WAD);
        uint256 down = h.notionalDown(size, price);
        assertTrue(Wide.isFloorOf(down, size, price, WAD), "notionalDown != floor(size*price/WAD)");
    }

    function testFuzz_notional_upMinusDownIsOneIffInexact(uint256 size, uint256 price) public view {
        size = _boundSize(size);
        price = _boundPrice(price);
        uint256 gap = h.notionalUp(size, price) - h.notionalDown(size, price);
        assertEq(gap, mulmod(size, price, WAD) == 0 ? 0 : 1, "notionalUp - notionalDown");
    }

    function testFuzz_notional_revertsWhenTheResultOverflows(uint256 size, uint256 price) public {
        // size·price ≥ 2^317 > WAD·2^256: the quotient does not fit.
        size = _bound(size, 2 ** 200, type(uint256).max);
        price = _bound(price, 2 ** 117, type(uint256).max);
        vm.expectRevert();
        h.notionalDown(size, price);
        vm.expectRevert();
        h.notionalUp(size, price);
    }

    // ================================================================ asset conversion

    function testFuzz_toAssets_downIsFloorUpIsCeil(uint256 usd, uint256 scaleSeed) public view {
        uint256 scale = _boundScale(scaleSeed);
        assertTrue(Wide.isFloorOf(h.toAssetsDown(usd, scale), usd, 1, scale), "toAssetsDown");
        assertTrue(Wide.isCeilOf(h.toAssetsUp(usd, scale), usd, 1, scale), "toAssetsUp");
    }

    // ================================================================ pnl

    /// @dev Gains round down (to the trader's disadvantage) and are capped; losses round up. Both together: the result
    /// is floor(exact pnl) before the cap, whatever the sign.
    function testFuzz_pnl_gainsRoundDownLossesRoundUpCapApplies(
        bool isLong,
        uint256 size,
        uint256 entryPrice,
        uint256 price,
        uint256 maxProfit,
        uint256 scaleSeed
    ) public view {
        size = _bound(size, 0, type(uint128).max);
        entryPrice = _boundPrice(entryPrice);
        price = _boundPrice(price);
        maxProfit = _bound(maxProfit, 0, type(uint96).max);
        uint256 scale = _boundScale(scaleSeed);

        int256 result = h.pnl(isLong, size, entryPrice, price, maxProfit, scale);

        uint256 diff = price > entryPrice ? price - entryPrice : entryPrice - price;
        bool gain = isLong ? price > entryPrice : price < entryPrice;
        uint256 unit = WAD * scale; // one asset unit, in size·price units
        if (gain) {
            assertGe(result, 0, "gain is negative");
            uint256 profit = uint256(result);
            assertLe(profit, maxProfit, "profit above cap");
            if (profit < maxProfit) {
                assertTrue(Wide.isFloorOf(profit, size, diff, unit), "gain not floor(exact)");
            } else {
                // Capped: the exact gain is at least the cap.
                assertTrue(Wide.mulLe(maxProfit, unit, size, diff), "capped below the exact gain");
            }
        } else {
            assertLe(result, 0, "loss is positive");
            assertTrue(Wide.isCeilOf(uint256(-result), size, diff, unit), "loss not ceil(exact)");
        }
    }

    function testFuzz_pnl_zeroAtEntryPrice(bool isLong, uint256 size, uint256 price, uint256 scaleSeed) public view {
        price = _boundPrice(price);
        assertEq(h.pnl(isLong, _boundSize(size), price, price, type(uint96).max, _boundScale(scaleSeed)), 0);
    }

    function testFuzz_pnl_longAndShortMirror(
        uint256 size,
        uint256 entryPrice,
        uint256 price,
        uint256 scaleSeed
    ) public view {
        size = _boundSize(size);
        entryPrice = _boundPrice(entryPrice);
        price = _boundPrice(price);
        uint256 scale = _boundScale(scaleSeed);
        int256 long = h.pnl(true, size, entryPrice, price, type(uint256).max >> 2, scale);
        int256 short = h.pnl(false, size, entryPrice, price, type(uint256).max >> 2, scale);
        // floor(x) + floor(−x) is 0 when x is whole, −1 otherwise.
        uint256 diff = price > entryPrice ? price - entryPrice : entryPrice - price;
        int256 expected = mulmod(size, diff, WAD * scale) == 0 ? int256(0) : int256(-1);
        assertEq(long + short, expected, "long + short pnl");
    }

    // ================================================================ fees and margins

    /// @dev fee ≥ exact entry notional × index growth, and above it by less than the three roundings can add.
    function testFuzz_borrowFee_roundsUpTightly(
        uint256 size,
        uint256 entryPrice,
        uint256 indexDelta,
        uint256 scaleSeed
    ) public view {
        size = _bound(size, 0, type(uint128).max);
        entryPrice = _bound(entryPrice, 0, type(uint128).max);
        indexDelta = _bound(indexDelta, 0, type(uint96).max);
        uint256 scale = _boundScale(scaleSeed);

        uint256 fee = h.borrowFee(size, entryPrice, indexDelta, scale);
        _assertRatioOfProductUp(fee, size * entryPrice, indexDelta, scale, "borrowFee");
    }

    function testFuzz_ratioOfNotionalUp_roundsUpTightly(
        uint256 size,
        uint256 price,
        uint256 ratio,
        uint256 scaleSeed
    ) public view {
        size = _bound(size, 0, type(uint128).max);
        price = _bound(price, 0, type(uint128).max);
        ratio = _bound(ratio, 0, type(uint64).max);
        uint256 scale = _boundScale(scaleSeed);

        uint256 amount = h.ratioOfNotionalUp(size, price, ratio, scale);
        _assertRatioOfProductUp(amount, size * price, ratio, scale, "ratioOfNotionalUp");
    }

    /// @dev The amount paid out (a keeper fee) never exceeds the exact value, and falls short by less than the three
    /// roundings can take.
    function testFuzz_ratioOfNotionalDown_roundsDownTightly(
        uint256 size,
        uint256 price,
        uint256 ratio,
        uint256 scaleSeed
    ) public view {
        size = _bound(size, 0, type(uint128).max);
        price = _bound(price, 0, type(uint128).max);
        ratio = _bound(ratio, 0, type(uint64).max);
        uint256 scale = _boundScale(scaleSeed);

        uint256 amount = h.ratioOfNotionalDown(size, price, ratio, scale);
        uint256 notional = size * price; // < 2^256: both are uint128
        uint256 denominator = WAD * WAD * scale;
        // amount·W²·scale ≤ notional·ratio
        assertTrue(Wide.mulLe(amount, denominator, notional, ratio), "ratioOfNotionalDown above exact");
        // (amount + 1)·W²·scale + ratio·W + W² > notional·ratio
        (uint256 lhsHi, uint256 lhsLo) = Wide.mul(amount + 1, denominator);
        (lhsHi, lhsLo) = Wide.add(lhsHi, lhsLo, ratio * WAD + WAD * WAD);
        (uint256 exactHi, uint256 exactLo) = Wide.mul(notional, ratio);
        assertTrue(Wide.lt(exactHi, exactLo, lhsHi, lhsLo), "ratioOfNotionalDown too far below exact");
    }

    /// @dev result = ceil(ceil(ceil(n / W)·r / W) / scale) for n = size·price (exact): checks
    /// result·W²·scale ≥ n·r and (result − 1)·W²·scale < n·r + r·W + W².
    function _assertRatioOfProductUp(
        uint256 result,
        uint256 notional,
        uint256 ratio,
        uint256 scale,
        string memory name
    ) internal pure {
        uint256 denominator = WAD * WAD * scale;
        assertTrue(Wide.mulLe(notional, ratio, result, denominator), string.concat(name, " below exact"));
        if (result == 0) {
            assertTrue(notional == 0 || ratio == 0, string.concat(name, " rounded a positive amount to zero"));
            return;
        }
        (uint256 lhsHi, uint256 lhsLo) = Wide.mul(result - 1, denominator);
        (uint256 rhsHi, uint256 rhsLo) = Wide.mulAdd(notional, ratio, ratio * WAD + WAD * WAD);
        assertTrue(Wide.lt(lhsHi, lhsLo, rhsHi, rhsLo), string.concat(name, " too far above exact"));
    }

    // ================================================================ equity and health

    function testFuzz_equity_isExactSignedSum(uint256 collateral, int256 pnl, uint256 fees) public view {
        collateral = _bound(collateral, 0, type(uint96).max);
        pnl = _bound(pnl, -int256(1 << 200), int256(1 << 200));
        fees = _bound(fees, 0, 1 << 200);
        assertEq(h.equity(collateral, pnl, fees), int256(collateral) + pnl - int256(fees));
    }

    function testFuzz_equity_revertsInsteadOfWrapping(uint256 collateral, uint256 fees) public {
        collateral = _bound(collateral, MAX_INT + 1, type(uint256).max);
        vm.expectRevert();
        h.equity(collateral, 0, 0);
        fees = _bound(fees, MAX_INT + 1, type(uint256).max);
        vm.expectRevert();
        h.equity(0, 0, fees);
        vm.expectRevert();
        h.equity(MAX_INT, 1, 0);
    }

    /// @dev Liquidatable iff equity < maintenance, strictly; health is floor(equity·W / maintenance) and below one
    /// exactly when liquidatable.
    function testFuzz_health_isFloorAndAgreesWithIsLiquidatable(int256 equity, uint256 maintenance) public view {
        // Equity is collateral (uint96) plus pnl capped at maxProfit (uint96): below 2^98 in absolute value.
        equity = _bound(equity, -int256(1 << 98), int256(1 << 98));
        maintenance = _bound(maintenance, 1, 1 << 200);

        bool liquidatable = h.isLiquidatable(equity, maintenance);
        assertEq(liquidatable, equity < int256(maintenance), "isLiquidatable");
        uint256 health = h.health(equity, maintenance);
        if (equity <= 0) {
            assertEq(health, 0, "health of non-positive equity");
        } else {
            assertTrue(Wide.isFloorOf(health, uint256(equity), WAD, maintenance), "health not floor");
        }
        assertEq(health < WAD, liquidatable, "health < 1 iff liquidatable");
    }

    function testFuzz_isLiquidatable_boundary(uint256 maintenance) public view {
        maintenance = _bound(maintenance, 0, MAX_INT);
        assertFalse(h.isLiquidatable(int256(maintenance), maintenance), "equity == maintenance is healthy");
        if (maintenance > 0) {
            assertTrue(h.isLiquidatable(int256(maintenance) - 1, maintenance), "one unit below is liquidatable");
        }
    }

    // ================================================================ liquidation split

    function testFuzz_liquidationSplit_sumsToEquityOrReportsBadDebt(
        uint256 collateral,
        int256 pnl,
        uint256 fees,
        uint256 closeFee,
        uint256 keeperFee,
        uint256 penalty
    ) public view {
        collateral = _bound(collateral, 0, type(uint96).max);
        pnl = _bound(pnl, -int256(1 << 120), int256(1 << 120));
        fees = _bound(fees, 0, 1 << 120);
        closeFee = _bound(closeFee, 0, 1 << 100);
        keeperFee = _bound(keeperFee, 0, 1 << 100);
        penalty = _bound(penalty, 0, 1 << 100);

        PositionMath.LiquidationSplit memory s = h.liquidationSplit(
            collateral,
            pnl,
            fees,
            closeFee,
            keeperFee,
            penalty
        );
        int256 settlement = pnl - int256(fees);
        int256 equity = int256(collateral) + settlement;

        if (equity < 0) {
            assertEq(s.toPool, collateral, "bad debt: whole collateral to the pool");
            assertEq(s.badDebt, uint256(-equity), "bad debt = -equity");
            assertEq(s.fromPool, 0, "bad debt: nothing from the pool");
            assertEq(
                s.closeFee + s.keeperFee + s.penalty + s.ownerRefund,
                0,
                "bad debt: nothing to fee, keeper, owner"
            );
            return;
        }
        assertEq(s.badDebt, 0, "no bad debt when equity >= 0");
        // Every unit of equity goes somewhere, and nowhere twice.
        assertEq(s.closeFee + s.keeperFee + s.penalty + s.ownerRefund, uint256(equity), "split != equity");
        // The vault pays out exactly what it holds against the position after the pool's flows: the keeper fee,
        // penalty and refund.
        assertEq(
            int256(collateral + s.fromPool) - int256(s.toPool),
            int256(s.keeperFee + s.penalty + s.ownerRefund),
            "vault flows != what the vault pays out"
        );
        assertEq(int256(s.fromPool) - int256(s.toPool), settlement - int256(s.closeFee), "pool flows != settlement");
        assertTrue(s.toPool == 0 || s.fromPool == 0, "pool both pays and receives");
        // The closing fee, then the keeper, then the insurance fund, each capped by what is left.
        assertEq(s.closeFee, _min(closeFee, uint256(equity)), "closing fee not capped by equity");
        assertEq(s.keeperFee, _min(keeperFee, uint256(equity) - s.closeFee), "keeper fee not capped by what is left");
        assertEq(
            s.penalty,
            _min(penalty, uint256(equity) - s.closeFee - s.keeperFee),
            "penalty not capped by what is left"
        );
    }

    // ================================================================ average entry price

    /// @dev A long's new entry rounds up, a short's down (against the trader), each within the two notional roundings
    /// and the division of the exact weighted average.
    function testFuzz_averageEntryPrice_roundsAgainstTheTrader(
        bool isLong,
        uint256 size,
        uint256 entryPrice,
        uint256 sizeDelta,
        uint256 price
    ) public view {
        size = _bound(size, 1, type(uint128).max >> 1);
        sizeDelta = _bound(sizeDelta, 1, type(uint128).max >> 1);
        entryPrice = _boundPrice(entryPrice);
        price = _boundPrice(price);

        uint256 average = h.averageEntryPrice(isLong, size, entryPrice, sizeDelta, price);
        uint256 newSize = size + sizeDelta;
        // Exact weighted notional: size·entry + sizeDelta·price (512 bits).
        (uint256 eHi, uint256 eLo) = Wide.mul(size, entryPrice);
        (uint256 dHi, uint256 dLo) = Wide.mul(sizeDelta, price);
        (eHi, eLo) = Wide.add(eHi, eLo, dHi, dLo);
        (uint256 aHi, uint256 aLo) = Wide.mul(average, newSize);
        // Slack the roundings may add: two notional roundings (< W each) and the final division (< newSize).
        uint256 slack = 2 * WAD + newSize;
        if (isLong) {
            assertTrue(Wide.le(eHi, eLo, aHi, aLo), "long entry below the exact average");
            (uint256 sHi, uint256 sLo) = Wide.add(eHi, eLo, slack);
            assertTrue(Wide.lt(aHi, aLo, sHi, sLo), "long entry too far above the exact average");
        } else {
            assertTrue(Wide.le(aHi, aLo, eHi, eLo), "short entry above the exact average");
            (uint256 sHi, uint256 sLo) = Wide.add(aHi, aLo, slack);
            assertTrue(Wide.lt(eHi, eLo, sHi, sLo), "short entry too far below the exact average");
        }
    }

    /// @dev Averaging folds the old part's pnl into the entry price; it never creates pnl for the trader.
    function testFuzz_averageEntryPrice_neverRaisesPnl(
        bool isLong,
        uint256 size,
        uint256 entryPrice,
        uint256 sizeDelta,
        uint256 price,
        uint256 scaleSeed
    ) public view {
        size = _bound(size, 1, 1e30);
        sizeDelta = _bound(sizeDelta, 1, 1e30);
        entryPrice = _bound(entryPrice, 1, 1e30);
        price = _bound(price, 1, 1e30);
        uint256 scale = _boundScale(scaleSeed);

        uint256 average = h.averageEntryPrice(isLong, size, entryPrice, sizeDelta, price);
        int256 before = h.pnl(isLong, size, entryPrice, price, type(uint128).max, scale);
        int256 afterIncrease = h.pnl(isLong, size + sizeDelta, average, price, type(uint128).max, scale);
        assertLe(afterIncrease, before, "increase created pnl");
    }

    function testFuzz_averageEntryPrice_samePriceKeepsEntry(
        bool isLong,
        uint256 size,
        uint256 sizeDelta,
        uint256 price
    ) public view {
        // Whole notionals: no rounding anywhere.
        size = _bound(size, 1, 1e12) * WAD;
        sizeDelta = _bound(sizeDelta, 1, 1e12) * WAD;
        price = _bound(price, 1, 1e30);
        assertEq(h.averageEntryPrice(isLong, size, price, sizeDelta, price), price);
    }

    // ================================================================ liquidation price

    struct LiqCase {
        bool isLong;
        uint256 size;
        uint256 entryPrice;
        int256 equityExPnl;
        uint256 mmr;
        uint256 scale;
    }

    function _boundLiqCase(
        bool isLong,
        uint256 size,
        uint256 entryPrice,
        int256 equityExPnl,
        uint256 mmr,
        uint256 scaleSeed
    ) internal pure returns (LiqCase memory c) {
        c.isLong = isLong;
        c.size = _bound(size, 1, 1e28);
        c.entryPrice = _bound(entryPrice, 1, 1e28);
        c.scale = _boundScale(scaleSeed);
        // Up to ±1e33 USD WAD of collateral net of fees, whatever the asset's decimals.
        int256 maxEquity = int256(1e33 / c.scale);
        c.equityExPnl = _bound(equityExPnl, -maxEquity, maxEquity);
        c.mmr = _bound(mmr, 0.005e18, 0.25e18);
    }

    /// @dev (equity − maintenance)·W² at `price` in exact arithmetic:
    /// C·scale·W² ± size·(price − entry)·W − mmr·size·price. Liquidatable iff negative. Ignores the profit cap and
    /// future fees, as `liquidationPrice` does.
    function _exactMarginSurplus(LiqCase memory c, uint256 price) internal pure returns (int256) {
        int256 pnlTimesWad = (int256(c.size * price) - int256(c.size * c.entryPrice)) * int256(WAD);
        if (!c.isLong) pnlTimesWad = -pnlTimesWad;
        return c.equityExPnl * int256(c.scale) * int256(WAD * WAD) + pnlTimesWad - int256(c.mmr * c.size * price);
    }

    /// @dev The engine's own maths at `price`: collateral net of fees plus floor(pnl) against ceil(maintenance).
    function _engineLiquidatable(LiqCase memory c, uint256 price) internal view returns (bool) {
        int256 pnl = h.pnl(c.isLong, c.size, c.entryPrice, price, type(uint128).max, c.scale);
        uint256 maintenance = h.ratioOfNotionalUp(c.size, price, c.mmr, c.scale);
        return c.equityExPnl + pnl < int256(maintenance);
    }

    /// @dev At the returned price the position is on the safe side of the exact maintenance boundary ("rounded
    /// towards earlier liquidation": up for a long, down for a short), and one rounding tolerance further it is
    /// liquidatable, exactly and by the engine's maths.
    function testFuzz_liquidationPrice_sitsAtTheMaintenanceBoundary(
        bool isLong,
        uint256 size,
        uint256 entryPrice,
        int256 equityExPnl,
        uint256 mmr,
        uint256 scaleSeed
    ) public view {
        LiqCase memory c = _boundLiqCase(isLong, size, entryPrice, equityExPnl, mmr, scaleSeed);
        uint256 price = h.liquidationPrice(c.isLong, c.size, c.entryPrice, c.equityExPnl, c.mmr, c.scale);

        if (c.isLong) {
            if (price == 0) {
                // "Solvent at every positive price": the margin surplus grows with the price, so check the lowest.
                assertGe(_exactMarginSurplus(c, 1), 0, "long: zero returned but liquidatable at some price");
                return;
            }
            assertGe(_exactMarginSurplus(c, price), 0, "long: returned price below the exact boundary");
            // The entry notional's rounding (< 1) scaled by W²/(size·(1 − mmr)), and the division's.
            uint256 tolerance = (WAD * WAD) / (c.size * (WAD - c.mmr)) + 2;
            if (price > tolerance) {
                assertLt(_exactMarginSurplus(c, price - tolerance), 0, "long: boundary far below returned price");
                assertTrue(_engineLiquidatable(c, price - tolerance), "long: engine disagrees below the price");
            }
        } else {
            if (price != 0) {
                assertGe(_exactMarginSurplus(c, price), 0, "short: returned price above the exact boundary");
            }
            // The entry notional's rounding (< 1) scaled by W²/(size·(1 + mmr)), and the division's.
            uint256 tolerance = (WAD * WAD) / (c.size * (WAD + c.mmr)) + 2;
            assertLt(_exactMarginSurplus(c, price + tolerance), 0, "short: boundary far above returned price");
            assertTrue(_engineLiquidatable(c, price + tolerance), "short: engine disagrees above the price");
        }
    }

    /// @dev Regression, found by the fuzz test above at a realistic size (10.9 index tokens, 37,470 USD, 64,434 USD of
    /// collateral, 6-decimal asset): the short's numerator took the entry notional rounded *up*, which moved a short's
    /// liquidation price up (later liquidation), against the NatSpec's "down for a short"; the returned price was one
    /// wei past the exact boundary here, and arbitrarily far past it for dust sizes.
    function test_liquidationPrice_shortRoundsDown_realisticPosition() public view {
        LiqCase memory c = LiqCase({
            isLong: false,
            size: 10_882_601_777_962_752_200,
            entryPrice: 37_469_566_771_830_000_000_000,
            equityExPnl: 64_433_515_958,
            mmr: 0.025e18,
            scale: 1e12
        });
        uint256 price = h.liquidationPrice(c.isLong, c.size, c.entryPrice, c.equityExPnl, c.mmr, c.scale);
        assertGe(_exactMarginSurplus(c, price), 0, "short: returned price above the exact boundary");
    }

    /// @dev Regression: a long of one wei of size, where floor(size·(1 − mmr)) used to be zero and the function answered
    /// "solvent at every price" even though equity net of fees is already negative.
    function test_liquidationPrice_longOfOneWeiWithNegativeEquityIsNotSolventEverywhere() public view {
        LiqCase memory c = LiqCase({
            isLong: true,
            size: 1,
            entryPrice: 3_000e18,
            equityExPnl: -1,
            mmr: 0.05e18,
            scale: 1e12
        });
        uint256 price = h.liquidationPrice(c.isLong, c.size, c.entryPrice, c.equityExPnl, c.mmr, c.scale);
        if (price == 0) assertGe(_exactMarginSurplus(c, 1), 0, "long: zero returned but liquidatable at every price");
        else assertGe(_exactMarginSurplus(c, price), 0, "long: returned price below the exact boundary");
    }

    // ================================================================ edge prices

    /// @dev The cap price is the first price at which the uncapped pnl reaches the cap: there it does, one wei short
    /// of it (towards the entry) it does not.
    function testFuzz_capPrice_isTheFirstPriceAtTheCap(
        bool isLong,
        uint256 size,
        uint256 entryPrice,
        uint256 maxProfit,
        uint256 scaleSeed
    ) public view {
        uint256 scale = _boundScale(scaleSeed);
        size = _bound(size, 1, type(uint128).max);
        entryPrice = _bound(entryPrice, 1, type(uint128).max);
        maxProfit = _bound(maxProfit, 0, type(uint96).max);
        uint256 price = h.capPrice(isLong, size, entryPrice, maxProfit, scale);
        if (price == 0) {
            // A short reaches its cap only at a price of zero or below.
            assertFalse(isLong, "a long without a cap price");
            assertGe(Math.mulDiv(maxProfit * scale, WAD, size, Math.Rounding.Ceil), entryPrice, "reachable short");
            return;
        }
        if (price > type(uint128).max) return; // beyond any price a feed reports
        assertGe(
            h.pnl(isLong, size, entryPrice, price, type(uint256).max, scale),
            int256(maxProfit),
            "short of the cap"
        );
        if (maxProfit == 0) return; // at the entry itself: nothing nearer the entry
        uint256 nearer = isLong ? price - 1 : price + 1;
        assertLt(h.pnl(isLong, size, entryPrice, nearer, type(uint256).max, scale), int256(maxProfit), "not the first");
    }

    /// @dev The bankruptcy price is the last price at which the loss (fees left out, rounded up as `pnl` does) is
    /// within the collateral: there it is, one wei further from the entry it is not.
    function testFuzz_bankruptcyPrice_isTheLastPriceWithinTheCollateral(
        bool isLong,
        uint256 size,
        uint256 entryPrice,
        uint256 collateral,
        uint256 scaleSeed
    ) public view {
        uint256 scale = _boundScale(scaleSeed);
        size = _bound(size, 1, type(uint128).max);
        entryPrice = _bound(entryPrice, 1, type(uint128).max);
        collateral = _bound(collateral, 1, type(uint96).max);
        uint256 price = h.bankruptcyPrice(isLong, size, entryPrice, collateral, scale);
        if (price == 0) {
            // A long whose collateral covers a fall to zero.
            assertTrue(isLong, "a short without a bankruptcy price");
            assertLe(uint256(-h.pnl(true, size, entryPrice, 1, 0, scale)), collateral, "a long that can lose it all");
            return;
        }
        if (price >= type(uint128).max) return; // beyond any price a feed reports
        int256 loss = -h.pnl(isLong, size, entryPrice, price, 0, scale);
        assertLe(loss, int256(collateral), "beyond the collateral at the bankruptcy price");
        int256 further = -h.pnl(isLong, size, entryPrice, isLong ? price - 1 : price + 1, 0, scale);
        assertGt(further, int256(collateral), "within the collateral one wei further");
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }
}

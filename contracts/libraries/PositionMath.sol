// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title Position maths
/// @notice Pure functions for pnl, fees, margins and the liquidation split. Every function name says which way it
/// rounds; the direction always favours the pool and the other positions over the position's owner or the caller.
/// @dev Units: `size` index tokens WAD, prices USD WAD, notionals USD WAD, ratios WAD, `scale` = 10^(18 − asset
/// decimals) converts USD WAD to asset units. The TypeScript SDK mirrors this file name for name.
library PositionMath {
    using SafeCast for uint256;

    uint256 internal constant WAD = 1e18;

    /// @notice What a liquidation pays, asset units. `toPool` comes out of the vault; `fromPool` is paid by the pool.
    struct LiquidationSplit {
        uint256 closeFee;
        uint256 keeperFee;
        uint256 penalty;
        uint256 ownerRefund;
        uint256 badDebt;
        uint256 toPool;
        uint256 fromPool;
    }

    /// @notice size × price, rounded up.
    function notionalUp(uint256 size, uint256 price) internal pure returns (uint256) {
        return Math.mulDiv(size, price, WAD, Math.Rounding.Ceil);
    }

    /// @notice size × price, rounded down.
    function notionalDown(uint256 size, uint256 price) internal pure returns (uint256) {
        return Math.mulDiv(size, price, WAD);
    }

    /// @notice USD WAD to asset units, rounded down (for amounts paid to a trader).
    function toAssetsDown(uint256 usd, uint256 scale) internal pure returns (uint256) {
        return usd / scale;
    }

    /// @notice USD WAD to asset units, rounded up (for amounts a trader owes).
    function toAssetsUp(uint256 usd, uint256 scale) internal pure returns (uint256) {
        return Math.ceilDiv(usd, scale);
    }

    /// @notice Unrealised pnl, asset units: gains rounded down and capped at `maxProfit`, losses rounded up.
    function pnl(
        bool isLong,
        uint256 size,
        uint256 entryPrice,
        uint256 price,
        uint256 maxProfit,
        uint256 scale
    ) internal pure returns (int256) {
        bool gain = isLong ? price > entryPrice : price < entryPrice;
        uint256 diff = price > entryPrice ? price - entryPrice : entryPrice - price;
        if (gain) {
            uint256 profit = toAssetsDown(Math.mulDiv(size, diff, WAD), scale);
            return (profit < maxProfit ? profit : maxProfit).toInt256();
        }
        return -toAssetsUp(Math.mulDiv(size, diff, WAD, Math.Rounding.Ceil), scale).toInt256();
    }

    /// @notice Borrow fee owed: entry notional × index growth, asset units, rounded up.
    function borrowFee(
        uint256 size,
        uint256 entryPrice,
        uint256 indexDelta,
        uint256 scale
    ) internal pure returns (uint256) {
        if (indexDelta == 0) return 0;
        return toAssetsUp(Math.mulDiv(notionalUp(size, entryPrice), indexDelta, WAD, Math.Rounding.Ceil), scale);
    }

    /// @notice ratio × size × price in asset units, rounded up: a margin requirement or a fee owed.
    function ratioOfNotionalUp(
        uint256 size,
        uint256 price,
        uint256 ratio,
        uint256 scale
    ) internal pure returns (uint256) {
        return toAssetsUp(Math.mulDiv(notionalUp(size, price), ratio, WAD, Math.Rounding.Ceil), scale);
    }

    /// @notice ratio × size × price in asset units, rounded down: a reward paid out.
    function ratioOfNotionalDown(
        uint256 size,
        uint256 price,
        uint256 ratio,
        uint256 scale
    ) internal pure returns (uint256) {
        return toAssetsDown(Math.mulDiv(notionalDown(size, price), ratio, WAD), scale);
    }

    /// @notice collateral + pnl − fees.
    function equity(uint256 collateral, int256 pnl_, uint256 fees) internal pure returns (int256) {
        return collateral.toInt256() + pnl_ - fees.toInt256();
    }

    /// @notice Liquidatable iff equity < maintenance margin.
    function isLiquidatable(int256 equity_, uint256 maintenanceMargin) internal pure returns (bool) {
        return equity_ < maintenanceMargin.toInt256();
    }

    /// @notice equity / maintenance, WAD, rounded down; zero when equity is not positive.
    function health(int256 equity_, uint256 maintenanceMargin) internal pure returns (uint256) {
        if (equity_ <= 0) return 0;
        return Math.mulDiv(uint256(equity_), WAD, maintenanceMargin);
    }

    /// @notice Splits a liquidated position's collateral. A liquidation closes the position at the oracle price, so
    /// the closing fee is owed as on a close; out of the equity then come, each capped by what is left, the closing
    /// fee (to the pool), the keeper fee, the penalty (to the insurance fund), and the rest to the owner. Owing the
    /// closing fee first means an owner never gets more by liquidating their own position than by closing it. The
    /// keeper reserve is paid on top, from the vault.
    /// @param collateral Recorded collateral.
    /// @param pnl_ Capped pnl (see `pnl`).
    /// @param fees Owed borrow fee.
    /// @param closeFee closeFeeRatio × notional, rounded up.
    /// @param keeperFee liqFeeRatio × notional, rounded down.
    /// @param penalty liqPenaltyRatio × notional, rounded up.
    function liquidationSplit(
        uint256 collateral,
        int256 pnl_,
        uint256 fees,
        uint256 closeFee,
        uint256 keeperFee,
        uint256 penalty
    ) internal pure returns (LiquidationSplit memory split) {
        int256 settlement = pnl_ - fees.toInt256();
        int256 equity_ = collateral.toInt256() + settlement;
        if (equity_ < 0) {
            // The whole collateral goes to the pool; the rest of what the position owes is bad debt.
            split.toPool = collateral;
            split.badDebt = uint256(-equity_);
            return split;
        }
        uint256 left = uint256(equity_);
        split.closeFee = closeFee < left ? closeFee : left;
        // Each amount taken is at most what is left.
        unchecked {
            left -= split.closeFee;
            split.keeperFee = keeperFee < left ? keeperFee : left;
            left -= split.keeperFee;
            split.penalty = penalty < left ? penalty : left;
            split.ownerRefund = left - split.penalty;
        }
        // The pool's side: the settlement, less the closing fee it keeps.
        int256 poolFlow = settlement - split.closeFee.toInt256();
        if (poolFlow < 0) split.toPool = uint256(-poolFlow);
        else split.fromPool = uint256(poolFlow);
    }

    /// @notice Weighted entry price after adding `sizeDelta` at `price`, rounded against the trader (up for a long,
    /// down for a short).
    function averageEntryPrice(
        bool isLong,
        uint256 size,
        uint256 entryPrice,
        uint256 sizeDelta,
        uint256 price
    ) internal pure returns (uint256) {
        uint256 newSize = size + sizeDelta;
        if (isLong) {
            return
                Math.mulDiv(
                    notionalUp(size, entryPrice) + notionalUp(sizeDelta, price),
                    WAD,
                    newSize,
                    Math.Rounding.Ceil
                );
        }
        return Math.mulDiv(notionalDown(size, entryPrice) + notionalDown(sizeDelta, price), WAD, newSize);
    }

    /// @notice Entry price after adding `sizeDelta` at `price`. While the position's pnl at `price` exceeds its cap,
    /// the entry is set so that the new position's pnl at `price` equals the cap (profit beyond the cap is never
    /// carried into the larger position): for a long `e' = P − cap / size'`, for a short `e' = P + cap / size'`,
    /// rounded against the trader. Otherwise the weighted average (`averageEntryPrice`).
    /// @param maxProfit The position's cap before the increase, asset units.
    function entryAfterIncrease(
        bool isLong,
        uint256 size,
        uint256 entryPrice,
        uint256 sizeDelta,
        uint256 price,
        uint256 maxProfit,
        uint256 scale
    ) internal pure returns (uint256) {
        uint256 uncappedGain =
            isLong
                ? (price > entryPrice ? toAssetsDown(Math.mulDiv(size, price - entryPrice, WAD), scale) : 0)
                : (price < entryPrice ? toAssetsDown(Math.mulDiv(size, entryPrice - price, WAD), scale) : 0);
        if (uncappedGain <= maxProfit) return averageEntryPrice(isLong, size, entryPrice, sizeDelta, price);
        uint256 newSize = size + sizeDelta;
        if (isLong) {
            // A higher entry is worse for a long: the offset rounds down.
            uint256 offset = Math.mulDiv(maxProfit * scale, WAD, newSize);
            return price - offset;
        }
        // A higher entry is better for a short: the offset rounds down too.
        return price + Math.mulDiv(maxProfit * scale, WAD, newSize);
    }

    /// @notice The price at which equity equals the maintenance margin, ignoring the profit cap, future fees and
    /// rounding of the margin; rounded towards earlier liquidation (up for a long, down for a short). Zero if a long
    /// stays solvent at any positive price.
    /// @param equityExPnl collateral − owed fees, asset units.
    function liquidationPrice(
        bool isLong,
        uint256 size,
        uint256 entryPrice,
        int256 equityExPnl,
        uint256 mmr,
        uint256 scale
    ) internal pure returns (uint256) {
        int256 buffer = equityExPnl * scale.toInt256();
        if (isLong) {
            // C + size·(p − e) = m·size·p  ⇒  p = (size·e − C) / (size·(1 − m)); the entry notional rounded up and
            // the quotient rounded up move the price up.
            int256 numerator = notionalUp(size, entryPrice).toInt256() - buffer;
            if (numerator <= 0 || size == 0) return 0;
            return Math.mulDiv(uint256(numerator), WAD * WAD, size * (WAD - mmr), Math.Rounding.Ceil);
        }
        // C + size·(e − p) = m·size·p  ⇒  p = (size·e + C) / (size·(1 + m)); the entry notional rounded down and the
        // quotient rounded down move the price down.
        int256 numeratorShort = notionalDown(size, entryPrice).toInt256() + buffer;
        if (numeratorShort <= 0 || size == 0) return 0;
        return Math.mulDiv(uint256(numeratorShort), WAD * WAD, size * (WAD + mmr));
    }

    /// @notice The price at which a position's unrealised profit reaches its cap (`pnl` above, uncapped, equals
    /// `maxProfit` from here on): `e + cap/size` for a long, `e − cap/size` for a short, the distance rounded up, so
    /// that any price beyond it lets the position be taken at its cap. Zero for a short that cannot reach its cap at a
    /// positive price.
    function capPrice(
        bool isLong,
        uint256 size,
        uint256 entryPrice,
        uint256 maxProfit,
        uint256 scale
    ) internal pure returns (uint256) {
        uint256 distance = Math.mulDiv(maxProfit * scale, WAD, size, Math.Rounding.Ceil);
        if (isLong) return entryPrice + distance;
        return distance < entryPrice ? entryPrice - distance : 0;
    }

    /// @notice The price at which a position's loss equals its collateral, fees left out (they only move it closer):
    /// `e − C/size` for a long, `e + C/size` for a short, the distance rounded down. Zero for a long whose collateral
    /// covers any fall to a positive price.
    function bankruptcyPrice(
        bool isLong,
        uint256 size,
        uint256 entryPrice,
        uint256 collateral,
        uint256 scale
    ) internal pure returns (uint256) {
        uint256 distance = Math.mulDiv(collateral * scale, WAD, size);
        if (!isLong) return entryPrice + distance;
        return distance < entryPrice ? entryPrice - distance : 0;
    }
}

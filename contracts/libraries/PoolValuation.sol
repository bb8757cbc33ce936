// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IMarginEngine, SideState} from "../interfaces/IMarginEngine.sol";
import {IRiskConfig, LpParams, MarketParams} from "../interfaces/IRiskConfig.sol";
import {ChainlinkOracle} from "./ChainlinkOracle.sol";
import {PositionMath} from "./PositionMath.sol";

/// @title LP pool valuation
/// @notice What open positions claim from the pool, in O(markets), and when LP requests may execute.
/// @dev Per market side the traders' claim is `max(min(Σpnl, Σcap) − Σfees, −Σcollateral)` (SPEC rule 10): the pool
/// never owes a side more than its caps, never counts more of a side's losses than its collateral, and counts the
/// borrow fees the side has accrued but not paid yet. Each term is a sum the engine keeps per side, so no account can
/// move the valuation by toggling one of its own positions beyond what really changes hands.
library PoolValuation {
    using SafeCast for uint256;

    /// @notice One market's inputs to the valuation. `price` is zero for a market without open interest, or whose feed
    /// cannot be read and that has no recorded price.
    struct Market {
        uint256 price;
        SideState longs;
        SideState shorts;
        uint256 longIndex;
        uint256 shortIndex;
    }

    /// @notice The valuation inputs of every market with open interest. A market in settlement is valued at its
    /// settlement price; any other at its feed's latest positive answer (stale or not: the last good answer), or at
    /// `lastGood(marketId)` when the feed reverts or answers non-positive. Never reverts on a feed.
    function markets(
        IMarginEngine engine,
        IRiskConfig config,
        function(uint256) view returns (uint256) lastGood
    ) internal view returns (Market[] memory m) {
        if (address(engine) == address(0)) return m;
        m = new Market[](config.marketCount());
        for (uint256 i; i < m.length; ++i) {
            m[i].longs = engine.sideState(i, true);
            m[i].shorts = engine.sideState(i, false);
            if (m[i].longs.openInterest == 0 && m[i].shorts.openInterest == 0) continue;
            m[i].longIndex = engine.borrowIndex(i, true);
            m[i].shortIndex = engine.borrowIndex(i, false);
            uint256 settlement = config.settlementPrice(i);
            m[i].price = settlement != 0 ? settlement : _lastAnswer(config.marketParams(i), lastGood(i));
        }
    }

    /// @notice The positions' net claim on the pool, asset units: positive when the pool owes them. Rounded towards a
    /// larger claim, so the pool is never valued above what it holds.
    function tradersClaim(Market[] memory m, uint256 scale) internal pure returns (int256) {
        int256 claim;
        for (uint256 i; i < m.length; ++i) {
            if (m[i].price == 0) continue;
            SideState memory longs = m[i].longs;
            SideState memory shorts = m[i].shorts;
            // Traders' gains round up and losses down.
            claim += sideClaim(
                _signedDiff(PositionMath.notionalUp(longs.openInterest, m[i].price), longs.entryNotional),
                longs,
                m[i].longIndex,
                scale
            );
            claim += sideClaim(
                _signedDiff(shorts.entryNotional, PositionMath.notionalDown(shorts.openInterest, m[i].price)),
                shorts,
                m[i].shortIndex,
                scale
            );
        }
        return claim >= 0 ? Math.ceilDiv(uint256(claim), scale).toInt256() : -(uint256(-claim) / scale).toInt256();
    }

    /// @notice One side's claim, USD WAD: `max(min(pnl, Σcap) − Σfees, −Σcollateral)`.
    /// @param pnl The side's unrealised pnl, USD WAD.
    /// @param index The side's borrow index now.
    function sideClaim(int256 pnl, SideState memory side, uint256 index, uint256 scale) internal pure returns (int256) {
        int256 cap = (uint256(side.maxProfit) * scale).toInt256();
        // Accrued fees, rounded down: the pool does not count more than it will be paid.
        uint256 accrued = Math.mulDiv(index, side.entryNotional, PositionMath.WAD);
        int256 fees = (accrued > side.feeDebt ? accrued - side.feeDebt : 0).toInt256();
        int256 claim = (pnl < cap ? pnl : cap) - fees;
        int256 floor = -(uint256(side.collateral) * scale).toInt256();
        return claim < floor ? floor : claim;
    }

    /// @notice Whether LP requests may execute now: every market with open interest that is not in settlement has a
    /// fresh, positive answer at least `lpSettle` old and is at least `lpResume` past its post-outage grace period,
    /// and no position of any market with open interest is past its cap or bankruptcy price at the price the pool is
    /// valued at (`engine.pastEdges`): only then is each side's claim the sum of its positions' claims, so that no
    /// other position's cap or collateral can move it. Anyone can end that wait by taking profit or liquidating.
    /// @return open Whether they may.
    /// @return retryAt When not: the earliest time worth retrying, or zero if that depends on a feed coming back or
    /// on a position being taken at its cap or liquidated.
    function executionStatus(
        IMarginEngine engine,
        IRiskConfig config
    ) internal view returns (bool open, uint256 retryAt) {
        if (address(engine) == address(0)) return (true, 0);
        LpParams memory lp = config.lpParams();
        uint256 count = config.marketCount();
        bool unknown;
        for (uint256 i; i < count; ++i) {
            if (engine.sideState(i, true).openInterest == 0 && engine.sideState(i, false).openInterest == 0) continue;
            uint256 settlement = config.settlementPrice(i);
            if (settlement != 0) {
                if (_pastEdges(engine, i, settlement)) unknown = true;
                continue;
            }
            MarketParams memory params = config.marketParams(i);
            (bool ok, uint256 price, uint80 roundId, uint256 updatedAt) = ChainlinkOracle.tryRead(
                params.feed,
                params.heartbeat,
                params.feedDecimals
            );
            if (!ok || _pastEdges(engine, i, price)) {
                unknown = true;
                continue;
            }
            if (block.timestamp < updatedAt + lp.lpSettle) retryAt = Math.max(retryAt, updatedAt + lp.lpSettle);
            try engine.liquidationResumesAt(i) returns (uint256 resumesAt) {
                // The engine looks back only `grace` seconds for a price outage, so once liquidations resume it no
                // longer sees the outage; LP executions wait `lpResume` longer, so look back that much further.
                resumesAt = Math.max(resumesAt, _priceOutageGraceEnd(config, params, roundId, updatedAt, lp.lpResume));
                if (block.timestamp < resumesAt + lp.lpResume) retryAt = Math.max(retryAt, resumesAt + lp.lpResume);
            } catch {
                unknown = true;
            }
        }
        if (unknown) return (false, 0);
        return (retryAt == 0, retryAt);
    }

    /// @dev Whether a position of the market is past its cap or bankruptcy price at `price`.
    function _pastEdges(IMarginEngine engine, uint256 marketId, uint256 price) private view returns (bool) {
        (bool beyondCap, bool underWater) = engine.pastEdges(marketId, price);
        return beyondCap || underWater;
    }

    /// @dev When the grace period after the market's latest price outage ends (zero if there was none in the last
    /// `grace + lpResume` seconds, or no grace period).
    function _priceOutageGraceEnd(
        IRiskConfig config,
        MarketParams memory params,
        uint80 roundId,
        uint256 updatedAt,
        uint256 lpResume
    ) private view returns (uint256) {
        uint256 grace = config.globalParams().liquidationGracePeriod;
        if (grace == 0) return 0;
        uint256 window = grace + lpResume;
        uint256 since = block.timestamp > window ? block.timestamp - window : 0;
        uint256 outageEnd = ChainlinkOracle.outageEndedAt(params.feed, params.heartbeat, roundId, updatedAt, since);
        return outageEnd == 0 ? 0 : outageEnd + grace;
    }

    /// @dev The feed's latest positive answer as a WAD price, or `fallback_` if it reverts or is not positive.
    function _lastAnswer(MarketParams memory params, uint256 fallback_) private view returns (uint256) {
        try params.feed.latestRoundData() returns (uint80, int256 answer, uint256, uint256, uint80) {
            if (answer > 0) return ChainlinkOracle.normalize(uint256(answer), params.feedDecimals);
        } catch {}
        return fallback_;
    }

    function _signedDiff(uint256 a, uint256 b) private pure returns (int256) {
        return a >= b ? (a - b).toInt256() : -(b - a).toInt256();
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {GlobalParams, IRiskConfig, LpParams, MarketParams} from "../interfaces/IRiskConfig.sol";

/// @title Hard-coded bounds of every governance parameter
/// @notice Governance (a timelock in deployments) can move parameters only within these bounds.
library RiskBounds {
    /// @dev 1 / 100: at most 100× leverage.
    uint256 internal constant MIN_IMR = 0.01e18;
    /// @dev 1: at least 1× leverage.
    uint256 internal constant MAX_IMR = 1e18;
    /// @dev 0.5 %.
    uint256 internal constant MIN_MMR = 0.005e18;
    /// @dev 25 %.
    uint256 internal constant MAX_MMR = 0.25e18;
    /// @dev 5 % of notional each.
    uint256 internal constant MAX_LIQ_FEE_RATIO = 0.05e18;
    uint256 internal constant MAX_LIQ_PENALTY_RATIO = 0.05e18;
    /// @dev 1 % of notional.
    uint256 internal constant MAX_TRADE_FEE_RATIO = 0.01e18;
    /// @dev 10 % to 1,000 % of collateral.
    uint256 internal constant MIN_MAX_PROFIT_RATIO = 0.1e18;
    uint256 internal constant MAX_MAX_PROFIT_RATIO = 10e18;
    /// @dev 1 % to 100 % of entry notional: a cap never exceeds the notional, so reserving X of the pool takes a
    /// position of at least X.
    uint256 internal constant MIN_MAX_PROFIT_NOTIONAL_RATIO = 0.01e18;
    uint256 internal constant MAX_MAX_PROFIT_NOTIONAL_RATIO = 1e18;
    /// @dev 1 % to 100 % of entry notional a year, WAD per second: every reservation pays LPs at least 1 % a year.
    uint256 internal constant MIN_BORROW_RATE = 0.01e18 / uint256(365 days);
    uint256 internal constant MAX_BORROW_RATE = 1e18 / uint256(365 days);
    /// @dev Feed heartbeat, seconds.
    uint256 internal constant MIN_HEARTBEAT = 60;
    uint256 internal constant MAX_HEARTBEAT = 2 days;
    /// @dev Total entry notional at most 10× the pool's assets.
    uint256 internal constant MIN_MAX_UTILIZATION = 0.01e18;
    uint256 internal constant MAX_MAX_UTILIZATION = 10e18;
    /// @dev Liquidation grace after an outage, seconds.
    uint256 internal constant MAX_LIQUIDATION_GRACE = 1 hours;
    /// @dev Whole USD; multiplied by the asset's unit.
    /// @dev Whole USD; multiplied by the asset's unit. Positions hold at least 1 USD of collateral and 10 USD of
    /// notional, and pay a keeper reserve of at least 0.1 USD, so that none is too small to be worth liquidating.
    uint256 internal constant MIN_MIN_COLLATERAL_USD = 1;
    uint256 internal constant MAX_MIN_COLLATERAL_USD = 1_000_000;
    uint256 internal constant MIN_MIN_NOTIONAL_USD = 10;
    uint256 internal constant MAX_MIN_NOTIONAL_USD = 10_000_000;
    uint256 internal constant MIN_KEEPER_RESERVE_TENTHS_USD = 1;
    uint256 internal constant MAX_KEEPER_RESERVE_USD = 1_000;
    /// @dev LP requests: a delay of 1 minute to 1 day (minutes, not days); a settle time of 1 second (one block) to
    /// 1 hour; a resume time of up to 1 day; a minimum request of 1 to 1,000,000 USD; a fee of at most 100 USD.
    uint256 internal constant MIN_LP_DELAY = 1 minutes;
    uint256 internal constant MAX_LP_DELAY = 1 days;
    uint256 internal constant MIN_LP_SETTLE = 1;
    uint256 internal constant MAX_LP_SETTLE = 1 hours;
    uint256 internal constant MAX_LP_RESUME = 1 days;
    uint256 internal constant MIN_MIN_REQUEST_USD = 1;
    uint256 internal constant MAX_MIN_REQUEST_USD = 1_000_000;
    uint256 internal constant MAX_LP_EXECUTION_FEE_USD = 100;
    /// @dev A feed must have been bad (stale or non-positive) for this long before its market may be settled.
    uint256 internal constant DEAD_FEED_PERIOD = 3 days;
    /// @dev An order executes within this window after its round's update (SPEC rule 2).
    uint256 internal constant MIN_MAX_EXECUTION_DELAY = 15 seconds;
    uint256 internal constant MAX_MAX_EXECUTION_DELAY = 5 minutes;
    /// @dev An order waits at least one round interval of a fast feed and at most the longest heartbeat plus an hour.
    uint256 internal constant MIN_MAX_ORDER_WAIT = 60 seconds;
    uint256 internal constant MAX_MAX_ORDER_WAIT = 2 days + 1 hours;
    /// @dev The order execution fee floor, in USD.
    uint256 internal constant MAX_MIN_EXECUTION_FEE_USD = 100;

    function checkMarket(MarketParams calldata p) internal view {
        if (address(p.feed).code.length == 0) {
            revert IRiskConfig.ParameterOutOfBounds("feed", uint160(address(p.feed)), 1, type(uint160).max);
        }
        _check("heartbeat", p.heartbeat, MIN_HEARTBEAT, MAX_HEARTBEAT);
        uint8 decimals = p.feed.decimals();
        // The feed's own decimals, at most 36 (answers are scaled to 18).
        _check("feedDecimals", p.feedDecimals, decimals, decimals > 36 ? 0 : decimals);
        _check("imr", p.imr, MIN_IMR, MAX_IMR);
        // mmr < imr: a freshly opened position is never liquidatable.
        _check("mmr", p.mmr, MIN_MMR, p.imr - 1 < MAX_MMR ? p.imr - 1 : MAX_MMR);
        _check("liqFeeRatio", p.liqFeeRatio, 0, MAX_LIQ_FEE_RATIO);
        _check("liqPenaltyRatio", p.liqPenaltyRatio, 0, MAX_LIQ_PENALTY_RATIO);
        _check("openFeeRatio", p.openFeeRatio, 0, MAX_TRADE_FEE_RATIO);
        _check("closeFeeRatio", p.closeFeeRatio, 0, MAX_TRADE_FEE_RATIO);
        _check("maxProfitRatio", p.maxProfitRatio, MIN_MAX_PROFIT_RATIO, MAX_MAX_PROFIT_RATIO);
        _check(
            "maxProfitNotionalRatio",
            p.maxProfitNotionalRatio,
            MIN_MAX_PROFIT_NOTIONAL_RATIO,
            MAX_MAX_PROFIT_NOTIONAL_RATIO
        );
        _check("borrowRateLong", p.borrowRateLong, MIN_BORROW_RATE, MAX_BORROW_RATE);
        _check("borrowRateShort", p.borrowRateShort, MIN_BORROW_RATE, MAX_BORROW_RATE);
        // An order must be able to wait for at least the feed's next heartbeat round.
        _check("maxOrderWait", p.maxOrderWait, Math.max(MIN_MAX_ORDER_WAIT, p.heartbeat), MAX_MAX_ORDER_WAIT);
    }

    /// @param scale 10^(18 − asset decimals).
    function checkGlobal(GlobalParams memory p, uint256 scale) internal pure {
        uint256 unit = 1e18 / scale;
        _check("minCollateral", p.minCollateral, MIN_MIN_COLLATERAL_USD * unit, MAX_MIN_COLLATERAL_USD * unit);
        _check(
            "keeperReserve",
            p.keeperReserve,
            (MIN_KEEPER_RESERVE_TENTHS_USD * unit) / 10,
            MAX_KEEPER_RESERVE_USD * unit
        );
        _check("maxUtilization", p.maxUtilization, MIN_MAX_UTILIZATION, MAX_MAX_UTILIZATION);
        _check("liquidationGracePeriod", p.liquidationGracePeriod, 0, MAX_LIQUIDATION_GRACE);
        _check("minNotional", p.minNotional, MIN_MIN_NOTIONAL_USD * unit, MAX_MIN_NOTIONAL_USD * unit);
        _check("maxExecutionDelay", p.maxExecutionDelay, MIN_MAX_EXECUTION_DELAY, MAX_MAX_EXECUTION_DELAY);
        _check("minExecutionFee", p.minExecutionFee, 0, MAX_MIN_EXECUTION_FEE_USD * unit);
    }

    /// @param scale 10^(18 − asset decimals).
    function checkLp(LpParams memory p, uint256 scale) internal pure {
        uint256 unit = 1e18 / scale;
        _check("lpDelay", p.lpDelay, MIN_LP_DELAY, MAX_LP_DELAY);
        _check("lpSettle", p.lpSettle, MIN_LP_SETTLE, MAX_LP_SETTLE);
        _check("lpResume", p.lpResume, 0, MAX_LP_RESUME);
        _check("minRequest", p.minRequest, MIN_MIN_REQUEST_USD * unit, MAX_MIN_REQUEST_USD * unit);
        // The fee comes out of the request: below the smallest one, so that every request buys shares or assets.
        _check("executionFee", p.executionFee, 0, Math.min(MAX_LP_EXECUTION_FEE_USD * unit, p.minRequest - 1));
    }

    function _check(bytes32 name, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert IRiskConfig.ParameterOutOfBounds(name, value, min, max);
    }
}

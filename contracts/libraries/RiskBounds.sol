// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {GlobalParams, IRiskConfig, MarketParams} from "../interfaces/IRiskConfig.sol";

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
    /// @dev 100 % of entry notional a year, WAD per second.
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
    uint256 internal constant MAX_MIN_COLLATERAL_USD = 1_000_000;
    uint256 internal constant MAX_KEEPER_RESERVE_USD = 1_000;

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
        _check("borrowRateLong", p.borrowRateLong, 0, MAX_BORROW_RATE);
        _check("borrowRateShort", p.borrowRateShort, 0, MAX_BORROW_RATE);
    }

    /// @param scale 10^(18 − asset decimals).
    function checkGlobal(GlobalParams memory p, uint256 scale) internal pure {
        uint256 unit = 1e18 / scale;
        _check("minCollateral", p.minCollateral, 1, MAX_MIN_COLLATERAL_USD * unit);
        _check("keeperReserve", p.keeperReserve, 0, MAX_KEEPER_RESERVE_USD * unit);
        _check("maxUtilization", p.maxUtilization, MIN_MAX_UTILIZATION, MAX_MAX_UTILIZATION);
        _check("liquidationGracePeriod", p.liquidationGracePeriod, 0, MAX_LIQUIDATION_GRACE);
    }

    function _check(bytes32 name, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert IRiskConfig.ParameterOutOfBounds(name, value, min, max);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ChainlinkOracle} from "../../../contracts/libraries/ChainlinkOracle.sol";
import {PositionMath} from "../../../contracts/libraries/PositionMath.sol";

/// @dev Exposes the internal `PositionMath` and `ChainlinkOracle.normalize` functions as external ones, so the fuzz
/// tests call exactly the code the engine inlines and can expect their reverts.
contract PositionMathHarness {
    function notionalUp(uint256 size, uint256 price) external pure returns (uint256) {
        return PositionMath.notionalUp(size, price);
    }

    function notionalDown(uint256 size, uint256 price) external pure returns (uint256) {
        return PositionMath.notionalDown(size, price);
    }

    function toAssetsDown(uint256 usd, uint256 scale) external pure returns (uint256) {
        return PositionMath.toAssetsDown(usd, scale);
    }

    function toAssetsUp(uint256 usd, uint256 scale) external pure returns (uint256) {
        return PositionMath.toAssetsUp(usd, scale);
    }

    function pnl(
        bool isLong,
        uint256 size,
        uint256 entryPrice,
        uint256 price,
        uint256 maxProfit,
        uint256 scale
    ) external pure returns (int256) {
        return PositionMath.pnl(isLong, size, entryPrice, price, maxProfit, scale);
    }

    function borrowFee(
        uint256 size,
        uint256 entryPrice,
        uint256 indexDelta,
        uint256 scale
    ) external pure returns (uint256) {
        return PositionMath.borrowFee(size, entryPrice, indexDelta, scale);
    }

    function ratioOfNotionalUp(
        uint256 size,
        uint256 price,
        uint256 ratio,
        uint256 scale
    ) external pure returns (uint256) {
        return PositionMath.ratioOfNotionalUp(size, price, ratio, scale);
    }

    function ratioOfNotionalDown(
        uint256 size,
        uint256 price,
        uint256 ratio,
        uint256 scale
    ) external pure returns (uint256) {
        return PositionMath.ratioOfNotionalDown(size, price, ratio, scale);
    }

    function equity(uint256 collateral, int256 pnl_, uint256 fees) external pure returns (int256) {
        return PositionMath.equity(collateral, pnl_, fees);
    }

    function isLiquidatable(int256 equity_, uint256 maintenanceMargin) external pure returns (bool) {
        return PositionMath.isLiquidatable(equity_, maintenanceMargin);
    }

    function health(int256 equity_, uint256 maintenanceMargin) external pure returns (uint256) {
        return PositionMath.health(equity_, maintenanceMargin);
    }

    function liquidationSplit(
        uint256 collateral,
        int256 pnl_,
        uint256 fees,
        uint256 closeFee,
        uint256 keeperFee,
        uint256 penalty
    ) external pure returns (PositionMath.LiquidationSplit memory) {
        return PositionMath.liquidationSplit(collateral, pnl_, fees, closeFee, keeperFee, penalty);
    }

    function averageEntryPrice(
        bool isLong,
        uint256 size,
        uint256 entryPrice,
        uint256 sizeDelta,
        uint256 price
    ) external pure returns (uint256) {
        return PositionMath.averageEntryPrice(isLong, size, entryPrice, sizeDelta, price);
    }

    function liquidationPrice(
        bool isLong,
        uint256 size,
        uint256 entryPrice,
        int256 equityExPnl,
        uint256 mmr,
        uint256 scale
    ) external pure returns (uint256) {
        return PositionMath.liquidationPrice(isLong, size, entryPrice, equityExPnl, mmr, scale);
    }

    function capPrice(
        bool isLong,
        uint256 size,
        uint256 entryPrice,
        uint256 maxProfit,
        uint256 scale
    ) external pure returns (uint256) {
        return PositionMath.capPrice(isLong, size, entryPrice, maxProfit, scale);
    }

    function bankruptcyPrice(
        bool isLong,
        uint256 size,
        uint256 entryPrice,
        uint256 collateral,
        uint256 scale
    ) external pure returns (uint256) {
        return PositionMath.bankruptcyPrice(isLong, size, entryPrice, collateral, scale);
    }

    function normalize(uint256 answer, uint8 decimals) external pure returns (uint256) {
        return ChainlinkOracle.normalize(answer, decimals);
    }
}

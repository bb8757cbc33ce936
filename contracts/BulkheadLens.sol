// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IBulkheadLens, LiquidationPreview, MarketStatus, OrderState} from "./interfaces/IBulkheadLens.sol";
import {IMarginEngine, IMarginEngineBase, OrderStatus, Position} from "./interfaces/IMarginEngine.sol";
import {IOracleErrors} from "./interfaces/IOracleErrors.sol";
import {IRiskConfig} from "./interfaces/IRiskConfig.sol";
import {PositionMath} from "./libraries/PositionMath.sol";

/// @title Bulkhead lens
/// @notice See {IBulkheadLens}.
/// @dev Prices, grace status and order status come from the engine's own views (caught where they revert), so the rule
/// for "a good price" lives in the engine alone; valuations use `PositionMath`, as the engine does.
contract BulkheadLens is IBulkheadLens {
    using SafeCast for uint256;

    /// @inheritdoc IBulkheadLens
    IMarginEngine public immutable ENGINE;
    /// @dev 10^(18 − asset decimals): USD WAD per asset unit, as the engine's.
    uint256 internal immutable SCALE;

    /// @param asset The engine's settlement token (read for its decimals).
    constructor(IMarginEngine engine, IERC20 asset) {
        ENGINE = engine;
        SCALE = 10 ** (18 - IERC20Metadata(address(asset)).decimals());
    }

    // ================================================================ markets

    /// @inheritdoc IBulkheadLens
    function market(uint256 marketId) external view returns (MarketStatus memory) {
        return _market(marketId);
    }

    // ================================================================ one position

    /// @inheritdoc IBulkheadLens
    function equity(uint256 positionId) external view returns (int256 equity_) {
        Position memory p = _openPosition(positionId);
        (equity_, , ) = _valuation(p, _pricedMarket(p.marketId));
    }

    /// @inheritdoc IBulkheadLens
    function health(uint256 positionId) external view returns (uint256) {
        Position memory p = _openPosition(positionId);
        (int256 equity_, uint256 maintenance, ) = _valuation(p, _pricedMarket(p.marketId));
        return PositionMath.health(equity_, maintenance);
    }

    /// @inheritdoc IBulkheadLens
    function liquidationPrice(uint256 positionId) external view returns (uint256) {
        Position memory p = _openPosition(positionId);
        IRiskConfig config = ENGINE.RISK_CONFIG();
        uint256 fees = PositionMath.borrowFee(
            p.size,
            p.entryPrice,
            ENGINE.borrowIndex(p.marketId, p.isLong) - p.borrowIndex,
            SCALE
        );
        return
            PositionMath.liquidationPrice(
                p.isLong,
                p.size,
                p.entryPrice,
                uint256(p.collateral).toInt256() - fees.toInt256(),
                config.marketParams(p.marketId).mmr,
                SCALE
            );
    }

    /// @inheritdoc IBulkheadLens
    function previewLiquidation(uint256 positionId) external view returns (LiquidationPreview memory preview) {
        Position memory p = _openPosition(positionId);
        MarketStatus memory m = _pricedMarket(p.marketId);
        PositionMath.LiquidationSplit memory split;
        (preview.equity, preview.maintenanceMargin, split) = _valuation(p, m);
        preview.liquidatable =
            PositionMath.isLiquidatable(preview.equity, preview.maintenanceMargin) && m.resumesAt <= block.timestamp;
        preview.price = m.price;
        // The engine pays the keeper the reserve this position deposited, whatever the parameter is now.
        preview.keeperReward = p.keeperReserve + split.keeperFee;
        preview.penalty = split.penalty;
        preview.ownerRefund = split.ownerRefund;
        preview.badDebt = split.badDebt;
        preview.closeFee = split.closeFee;
    }

    // ================================================================ batches

    /// @inheritdoc IBulkheadLens
    function liquidatable(uint256[] calldata positionIds) external view returns (bool[] memory result) {
        result = new bool[](positionIds.length);
        // Each market is read once, as `liquidateBatch` does.
        MarketStatus[] memory markets = new MarketStatus[](ENGINE.marketCount());
        bool[] memory read = new bool[](markets.length);
        for (uint256 i; i < positionIds.length; ++i) {
            Position memory p = ENGINE.position(positionIds[i]);
            if (p.size == 0) continue;
            if (!read[p.marketId]) {
                markets[p.marketId] = _market(p.marketId);
                read[p.marketId] = true;
            }
            MarketStatus memory m = markets[p.marketId];
            if (!m.priced || m.resumesAt > block.timestamp) continue;
            (int256 equity_, uint256 maintenance, ) = _valuation(p, m);
            result[i] = PositionMath.isLiquidatable(equity_, maintenance);
        }
    }

    /// @inheritdoc IBulkheadLens
    function atCap(uint256[] calldata positionIds) external view returns (bool[] memory result) {
        result = new bool[](positionIds.length);
        MarketStatus[] memory markets = new MarketStatus[](ENGINE.marketCount());
        bool[] memory read = new bool[](markets.length);
        for (uint256 i; i < positionIds.length; ++i) {
            Position memory p = ENGINE.position(positionIds[i]);
            if (p.size == 0) continue;
            if (!read[p.marketId]) {
                markets[p.marketId] = _market(p.marketId);
                read[p.marketId] = true;
            }
            MarketStatus memory m = markets[p.marketId];
            // Take-profit ignores grace periods: paying a cap adds no risk.
            if (!m.priced) continue;
            int256 pnl = PositionMath.pnl(p.isLong, p.size, p.entryPrice, m.price, type(uint256).max, SCALE);
            result[i] = pnl >= uint256(p.maxProfit).toInt256();
        }
    }

    /// @inheritdoc IBulkheadLens
    function executable(uint256[] calldata positionIds) external view returns (OrderState[] memory result) {
        result = new OrderState[](positionIds.length);
        for (uint256 i; i < positionIds.length; ++i) {
            // The engine's view reverts while the sequencer is down, when no order can execute: left as Waiting.
            try ENGINE.orderStatus(positionIds[i]) returns (OrderStatus status, uint80 roundId) {
                result[i] = OrderState(status, roundId);
            } catch {
                result[i].status = OrderStatus.Waiting;
            }
        }
    }

    // ================================================================ internals

    /// @dev A position whose open order executed; reverts as the engine does otherwise.
    function _openPosition(uint256 positionId) internal view returns (Position memory p) {
        p = ENGINE.position(positionId);
        if (p.owner == address(0)) revert IMarginEngineBase.UnknownPosition(positionId);
        if (p.size == 0) revert IMarginEngineBase.PositionNotOpen(positionId);
    }

    /// @dev The market's status, read from the engine; a bad price leaves `priced` false instead of reverting.
    function _market(uint256 marketId) internal view returns (MarketStatus memory m) {
        IRiskConfig config = ENGINE.RISK_CONFIG();
        // Reverts for an unknown market, before anything is caught.
        (m.params, m.global, , m.paused, m.settlementPrice) = config.tradingConfig(marketId);
        m.longBorrowIndex = ENGINE.borrowIndex(marketId, true);
        m.shortBorrowIndex = ENGINE.borrowIndex(marketId, false);
        try m.params.feed.latestRoundData() returns (uint80 roundId, int256, uint256, uint256 updatedAt, uint80) {
            (m.roundId, m.updatedAt) = (roundId, updatedAt);
        } catch {}
        try ENGINE.indexPrice(marketId) returns (uint256 price) {
            m.price = price;
            m.priced = true;
        } catch {
            return m;
        }
        // Priced, so the engine's grace view reads the same price and does not revert on it.
        m.resumesAt = ENGINE.liquidationResumesAt(marketId);
    }

    /// @dev The market's status; reverts with the engine's oracle error when it has no price.
    function _pricedMarket(uint256 marketId) internal view returns (MarketStatus memory m) {
        m = _market(marketId);
        if (!m.priced) {
            // Only on the failure path: the engine's own revert names the problem.
            ENGINE.indexPrice(marketId);
            revert IOracleErrors.NoPrice(address(m.params.feed));
        }
    }

    /// @dev Equity, maintenance margin and liquidation split at the market's price, as the engine computes them.
    function _valuation(
        Position memory p,
        MarketStatus memory m
    ) internal view returns (int256 equity_, uint256 maintenance, PositionMath.LiquidationSplit memory split) {
        int256 pnl = PositionMath.pnl(p.isLong, p.size, p.entryPrice, m.price, p.maxProfit, SCALE);
        uint256 index = p.isLong ? m.longBorrowIndex : m.shortBorrowIndex;
        uint256 fees = PositionMath.borrowFee(p.size, p.entryPrice, index - p.borrowIndex, SCALE);
        equity_ = PositionMath.equity(p.collateral, pnl, fees);
        maintenance = PositionMath.ratioOfNotionalUp(p.size, m.price, m.params.mmr, SCALE);
        split = PositionMath.liquidationSplit(
            p.collateral,
            pnl,
            fees,
            PositionMath.ratioOfNotionalUp(p.size, m.price, m.params.closeFeeRatio, SCALE),
            PositionMath.ratioOfNotionalDown(p.size, m.price, m.params.liqFeeRatio, SCALE),
            PositionMath.ratioOfNotionalUp(p.size, m.price, m.params.liqPenaltyRatio, SCALE)
        );
    }
}

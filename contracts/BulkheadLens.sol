// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IBulkheadLens, LiquidationPreview} from "./interfaces/IBulkheadLens.sol";
import {IMarginEngine, IMarginEngineBase, Position} from "./interfaces/IMarginEngine.sol";
import {MarketParams} from "./interfaces/IRiskConfig.sol";
import {PositionMath} from "./libraries/PositionMath.sol";

/// @title Bulkhead lens
/// @notice See {IBulkheadLens}.
contract BulkheadLens is IBulkheadLens {
    using SafeCast for uint256;

    /// @inheritdoc IBulkheadLens
    IMarginEngine public immutable ENGINE;
    IERC20 internal immutable ASSET;
    uint256 internal immutable SCALE;

    /// @dev Everything needed to value positions of one market at its current price.
    struct MarketView {
        uint256 price;
        uint256 longIndex;
        uint256 shortIndex;
        uint256 resumesAt;
        MarketParams params;
    }

    constructor(IMarginEngine engine, IERC20 asset) {
        ENGINE = engine;
        ASSET = asset;
        SCALE = 10 ** (18 - IERC20Metadata(address(asset)).decimals());
    }

    /// @inheritdoc IBulkheadLens
    function equity(uint256 positionId) external view returns (int256 equity_) {
        Position memory p = _position(positionId);
        (equity_, , ) = _valuation(p, _marketView(p.marketId));
    }

    /// @inheritdoc IBulkheadLens
    function health(uint256 positionId) external view returns (uint256) {
        Position memory p = _position(positionId);
        (int256 equity_, uint256 maintenance, ) = _valuation(p, _marketView(p.marketId));
        return PositionMath.health(equity_, maintenance);
    }

    /// @inheritdoc IBulkheadLens
    function liquidationPrice(uint256 positionId) external view returns (uint256) {
        Position memory p = _position(positionId);
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
                ENGINE.RISK_CONFIG().marketParams(p.marketId).mmr,
                SCALE
            );
    }

    /// @inheritdoc IBulkheadLens
    function previewLiquidation(uint256 positionId) external view returns (LiquidationPreview memory preview) {
        Position memory p = _position(positionId);
        MarketView memory m = _marketView(p.marketId);
        PositionMath.LiquidationSplit memory split;
        (preview.equity, preview.maintenanceMargin, split) = _valuation(p, m);
        preview.liquidatable =
            PositionMath.isLiquidatable(preview.equity, preview.maintenanceMargin) && m.resumesAt <= block.timestamp;
        preview.price = m.price;
        // The keeper takes everything the vault holds beyond the collateral (the keeper reserve and any donation).
        preview.keeperReward = ASSET.balanceOf(ENGINE.vaultOf(positionId)) - p.collateral + split.keeperFee;
        preview.penalty = split.penalty;
        preview.ownerRefund = split.ownerRefund;
        preview.badDebt = split.badDebt;
        preview.closeFee = split.closeFee;
    }

    /// @inheritdoc IBulkheadLens
    function liquidatable(uint256[] calldata positionIds) external view returns (bool[] memory result) {
        result = new bool[](positionIds.length);
        MarketView[] memory markets = new MarketView[](ENGINE.marketCount());
        // Per market: 0 not read yet, 1 priced, 2 no good price (as `liquidateBatch`, which skips it).
        uint256[] memory status = new uint256[](markets.length);
        for (uint256 i; i < positionIds.length; ++i) {
            Position memory p = ENGINE.position(positionIds[i]);
            if (p.owner == address(0)) continue;
            if (status[p.marketId] == 0) {
                try ENGINE.indexPrice(p.marketId) returns (uint256) {
                    markets[p.marketId] = _marketView(p.marketId);
                    status[p.marketId] = 1;
                } catch {
                    status[p.marketId] = 2;
                }
            }
            if (status[p.marketId] == 2) continue;
            MarketView memory m = markets[p.marketId];
            if (m.resumesAt > block.timestamp) continue;
            (int256 equity_, uint256 maintenance, ) = _valuation(p, m);
            result[i] = PositionMath.isLiquidatable(equity_, maintenance);
        }
    }

    /// @inheritdoc IBulkheadLens
    function atCap(uint256[] calldata positionIds) external view returns (bool[] memory result) {
        result = new bool[](positionIds.length);
        uint256[] memory prices = new uint256[](ENGINE.marketCount());
        // Per market: 0 not read yet, 1 priced, 2 no good price (as `takeProfitBatch`, which skips it).
        uint256[] memory status = new uint256[](prices.length);
        for (uint256 i; i < positionIds.length; ++i) {
            Position memory p = ENGINE.position(positionIds[i]);
            if (p.owner == address(0)) continue;
            if (status[p.marketId] == 0) {
                try ENGINE.indexPrice(p.marketId) returns (uint256 price) {
                    prices[p.marketId] = price;
                    status[p.marketId] = 1;
                } catch {
                    status[p.marketId] = 2;
                }
            }
            if (status[p.marketId] == 2) continue;
            int256 pnl = PositionMath.pnl(p.isLong, p.size, p.entryPrice, prices[p.marketId], type(uint256).max, SCALE);
            result[i] = pnl >= uint256(p.maxProfit).toInt256();
        }
    }

    function _position(uint256 positionId) internal view returns (Position memory p) {
        p = ENGINE.position(positionId);
        if (p.owner == address(0)) revert IMarginEngineBase.UnknownPosition(positionId);
    }

    function _marketView(uint256 marketId) internal view returns (MarketView memory m) {
        m.price = ENGINE.indexPrice(marketId);
        m.longIndex = ENGINE.borrowIndex(marketId, true);
        m.shortIndex = ENGINE.borrowIndex(marketId, false);
        m.resumesAt = ENGINE.liquidationResumesAt(marketId);
        m.params = ENGINE.RISK_CONFIG().marketParams(marketId);
    }

    /// @dev Equity, maintenance margin and liquidation split, as the engine computes them.
    function _valuation(
        Position memory p,
        MarketView memory m
    ) internal view returns (int256 equity_, uint256 maintenance, PositionMath.LiquidationSplit memory split) {
        int256 pnl = PositionMath.pnl(p.isLong, p.size, p.entryPrice, m.price, p.maxProfit, SCALE);
        uint256 fees = PositionMath.borrowFee(
            p.size,
            p.entryPrice,
            (p.isLong ? m.longIndex : m.shortIndex) - p.borrowIndex,
            SCALE
        );
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

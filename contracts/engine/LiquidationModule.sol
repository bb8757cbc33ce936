// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IInsuranceFund} from "../interfaces/IInsuranceFund.sol";
import {ILiquidityPool} from "../interfaces/ILiquidityPool.sol";
import {IMarginEngineLiquidation, Position} from "../interfaces/IMarginEngine.sol";
import {IPositionVault} from "../interfaces/IPositionVault.sol";
import {IRiskConfig} from "../interfaces/IRiskConfig.sol";
import {PositionMath} from "../libraries/PositionMath.sol";
import {EngineModule} from "./EngineStorage.sol";

/// @title Bulkhead liquidation module
/// @notice Ending a position without its owner: liquidation below maintenance and take-profit at the cap, each of
/// which first cancels the position's pending orders with a full refund (SPEC rule 7). The engine's core
/// delegatecalls it for {IMarginEngineLiquidation}; the order module delegatecalls {liquidateForOrder} when an
/// execution finds its position liquidatable (rule 3).
contract LiquidationModule is IMarginEngineLiquidation, EngineModule {
    using SafeCast for uint256;

    /// @dev A market's status within one batch.
    uint256 internal constant MARKET_UNREAD = 0;
    uint256 internal constant MARKET_OPEN = 1;
    uint256 internal constant MARKET_SKIPPED = 2;

    /// @dev Amounts of a take-profit, asset units.
    struct TakeProfit {
        uint256 fees;
        uint256 toPool;
        uint256 fromPool;
        uint256 badDebt;
        uint256 payout;
        uint256 insuranceCover;
    }

    constructor(
        IERC20 asset,
        ILiquidityPool pool,
        IInsuranceFund insuranceFund,
        IRiskConfig riskConfig
    ) EngineModule(asset, pool, insuranceFund, riskConfig) {}

    /// @inheritdoc IMarginEngineLiquidation
    function liquidate(uint256 positionId) external onlyDelegated nonReentrant {
        Position memory p = _openPosition(positionId);
        Context memory c = _load(p.marketId);
        uint256 resumesAt = _resumesAt(c);
        if (resumesAt > block.timestamp) revert GracePeriod(resumesAt);
        if (!_liquidate(positionId, p, c)) {
            (, int256 equity_, uint256 maintenance, ) = _split(p, c, c.price);
            revert NotLiquidatable(positionId, equity_, maintenance);
        }
    }

    /// @inheritdoc IMarginEngineLiquidation
    function liquidateBatch(
        uint256[] calldata positionIds
    ) external onlyDelegated nonReentrant returns (uint256 liquidated) {
        // A market's parameters, price and grace status are read once per batch. A market with a bad price or in
        // its grace period is skipped, not fatal: the keeper's other positions still go.
        Context[] memory contexts = new Context[](RISK_CONFIG.marketCount());
        uint256[] memory status = new uint256[](contexts.length);
        for (uint256 i; i < positionIds.length; ++i) {
            uint256 positionId = positionIds[i];
            Position memory p = _positions[positionId];
            if (p.size == 0) continue;
            if (status[p.marketId] == MARKET_UNREAD) {
                bool priced;
                (priced, contexts[p.marketId]) = _tryLoad(p.marketId);
                status[p.marketId] =
                    priced && _resumesAt(contexts[p.marketId]) <= block.timestamp ? MARKET_OPEN : MARKET_SKIPPED;
            }
            if (status[p.marketId] == MARKET_SKIPPED) continue;
            if (_liquidate(positionId, p, contexts[p.marketId])) ++liquidated;
        }
    }

    /// @inheritdoc IMarginEngineLiquidation
    function takeProfit(uint256 positionId) external onlyDelegated nonReentrant {
        Position memory p = _openPosition(positionId);
        Context memory c = _load(p.marketId);
        if (!_takeProfit(positionId, p, c)) {
            revert NotAtCap(
                positionId,
                PositionMath.pnl(p.isLong, p.size, p.entryPrice, c.price, type(uint256).max, SCALE),
                p.maxProfit
            );
        }
    }

    /// @inheritdoc IMarginEngineLiquidation
    function takeProfitBatch(
        uint256[] calldata positionIds
    ) external onlyDelegated nonReentrant returns (uint256 taken) {
        // Grace periods do not apply: paying a cap adds no risk. A market without a good price is skipped.
        Context[] memory contexts = new Context[](RISK_CONFIG.marketCount());
        uint256[] memory status = new uint256[](contexts.length);
        for (uint256 i; i < positionIds.length; ++i) {
            uint256 positionId = positionIds[i];
            Position memory p = _positions[positionId];
            if (p.size == 0) continue;
            if (status[p.marketId] == MARKET_UNREAD) {
                bool priced;
                (priced, contexts[p.marketId]) = _tryLoad(p.marketId);
                status[p.marketId] = priced ? MARKET_OPEN : MARKET_SKIPPED;
            }
            if (status[p.marketId] == MARKET_SKIPPED) continue;
            if (_takeProfit(positionId, p, contexts[p.marketId])) ++taken;
        }
    }

    /// @notice Liquidates a position the order module found liquidatable at the latest price, inside the order
    /// module's own call (which holds the reentrancy lock and has loaded the market). Not reachable through the
    /// engine's interface.
    function liquidateForOrder(uint256 positionId) external onlyDelegated returns (bool) {
        Position memory p = _positions[positionId];
        return _liquidate(positionId, p, _load(p.marketId));
    }

    /// @dev Liquidates if liquidatable at the context's price; returns whether it did. The split uses recorded
    /// amounts only; the keeper reserve goes to the liquidator, bad debt included.
    function _liquidate(uint256 positionId, Position memory p, Context memory c) internal returns (bool) {
        (bool isLiquidatable, , , PositionMath.LiquidationSplit memory split) = _split(p, c, c.price);
        if (!isLiquidatable) return false;

        _cancelOrders(positionId, p);
        _removePosition(positionId, p);
        uint256 keeperReward = p.keeperReserve + split.keeperFee;
        uint256 insuranceCover =
            split.badDebt == 0 ? 0 : Math.min(split.badDebt, ASSET.balanceOf(address(INSURANCE_FUND)));
        emit PositionLiquidated(
            positionId,
            p.owner,
            msg.sender,
            c.price,
            keeperReward,
            split.penalty,
            split.ownerRefund,
            split.badDebt,
            insuranceCover,
            split.closeFee
        );

        // Flows between the protocol's own contracts first, so no outside account is paid while they are unsettled.
        IPositionVault vault = IPositionVault(p.vault);
        if (split.fromPool != 0) POOL.pay(p.vault, split.fromPool);
        if (split.toPool != 0) vault.pay(address(POOL), split.toPool);
        if (insuranceCover != 0) INSURANCE_FUND.cover(address(POOL), insuranceCover);
        if (split.penalty != 0) vault.pay(address(INSURANCE_FUND), split.penalty);
        if (keeperReward != 0) vault.pay(msg.sender, keeperReward);
        _payOut(positionId, p.vault, p.owner, p.owner, split.ownerRefund);
        return true;
    }

    /// @dev Closes the position at its profit cap if its pnl has reached it; returns whether it did. The executor
    /// takes the keeper reserve; the owner's payout becomes a claim, not a revert, if it cannot be received.
    function _takeProfit(uint256 positionId, Position memory p, Context memory c) internal returns (bool) {
        if (p.size == 0) return false;
        int256 uncapped = PositionMath.pnl(p.isLong, p.size, p.entryPrice, c.price, type(uint256).max, SCALE);
        if (uncapped < uint256(p.maxProfit).toInt256()) return false;

        TakeProfit memory t;
        t.fees = _borrowFee(p, c) + PositionMath.ratioOfNotionalUp(p.size, c.price, c.market.closeFeeRatio, SCALE);
        _cancelOrders(positionId, p);
        _removePosition(positionId, p);
        if (t.fees > p.maxProfit) {
            uint256 owed = t.fees - p.maxProfit;
            t.toPool = Math.min(owed, p.collateral);
            t.badDebt = owed - t.toPool;
        } else {
            t.fromPool = p.maxProfit - t.fees;
        }
        t.payout = p.collateral + t.fromPool - t.toPool;
        t.insuranceCover = t.badDebt == 0 ? 0 : Math.min(t.badDebt, ASSET.balanceOf(address(INSURANCE_FUND)));
        emit ProfitTaken(
            positionId,
            p.owner,
            msg.sender,
            c.price,
            p.maxProfit,
            t.fees,
            t.payout,
            p.keeperReserve,
            t.badDebt
        );

        IPositionVault vault = IPositionVault(p.vault);
        if (t.fromPool != 0) POOL.pay(p.vault, t.fromPool);
        if (t.toPool != 0) vault.pay(address(POOL), t.toPool);
        if (t.insuranceCover != 0) INSURANCE_FUND.cover(address(POOL), t.insuranceCover);
        if (p.keeperReserve != 0) vault.pay(msg.sender, p.keeperReserve);
        _payOut(positionId, p.vault, p.owner, p.owner, t.payout);
        return true;
    }
}

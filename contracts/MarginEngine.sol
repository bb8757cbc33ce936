// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IInsuranceFund} from "./interfaces/IInsuranceFund.sol";
import {ILiquidityPool} from "./interfaces/ILiquidityPool.sol";
import {
    IMarginEngine,
    IMarginEngineLiquidation,
    IMarginEngineOrders,
    Order,
    OrderKind,
    OrderStatus,
    Position,
    SideState
} from "./interfaces/IMarginEngine.sol";
import {IPositionVault} from "./interfaces/IPositionVault.sol";
import {GlobalParams, IRiskConfig, MarketParams} from "./interfaces/IRiskConfig.sol";
import {PositionMath} from "./libraries/PositionMath.sol";
import {PriceTicks} from "./libraries/PriceTicks.sol";
import {EngineStorage} from "./engine/EngineStorage.sol";
import {PositionVault} from "./PositionVault.sol";

/// @title Bulkhead margin engine
/// @notice See {IMarginEngine}. The core: it owns the storage and serves margin, claims and views; orders and
/// liquidations are served by its two modules ({OrderModule}, {LiquidationModule}), which it delegatecalls.
contract MarginEngine is IMarginEngine, EngineStorage {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @inheritdoc IMarginEngine
    address public immutable ORDER_MODULE;
    /// @inheritdoc IMarginEngine
    address public immutable LIQUIDATION_MODULE;
    /// @inheritdoc IMarginEngine
    address public immutable VAULT_IMPLEMENTATION;

    /// @param orderModule An {OrderModule} deployed with the same token, pool, insurance fund and configuration.
    /// @param liquidationModule A {LiquidationModule} deployed likewise.
    constructor(
        IERC20 asset,
        ILiquidityPool pool,
        IInsuranceFund insuranceFund,
        IRiskConfig riskConfig,
        address orderModule,
        address liquidationModule
    ) EngineStorage(asset, pool, insuranceFund, riskConfig) {
        _checkModule(orderModule);
        _checkModule(liquidationModule);
        ORDER_MODULE = orderModule;
        LIQUIDATION_MODULE = liquidationModule;
        VAULT_IMPLEMENTATION = address(new PositionVault(asset));
        _syncGlobal();
        for (uint256 i; i < riskConfig.marketCount(); ++i) _syncMarket(i);
    }

    /// @dev A module runs its own immutables on this contract's storage: they must be this contract's.
    function _checkModule(address module) internal view {
        IMarginEngine m = IMarginEngine(module);
        if (
            m.ASSET() != ASSET ||
            m.POOL() != POOL ||
            m.INSURANCE_FUND() != INSURANCE_FUND ||
            m.RISK_CONFIG() != RISK_CONFIG
        ) revert ModuleMismatch(module);
    }

    // ================================================================ orders (served by the order module)

    /// @inheritdoc IMarginEngineOrders
    function requestOpen(uint256, bool, uint256, uint256, uint256, uint256, uint256) external returns (uint256) {
        _delegate(ORDER_MODULE);
    }

    /// @inheritdoc IMarginEngineOrders
    function requestIncrease(uint256, uint256, uint256, uint256, uint256, uint256) external {
        _delegate(ORDER_MODULE);
    }

    /// @inheritdoc IMarginEngineOrders
    function requestDecrease(uint256, uint256, uint256, uint256, uint256, address) external {
        _delegate(ORDER_MODULE);
    }

    /// @inheritdoc IMarginEngineOrders
    function requestClose(uint256, uint256, uint256, uint256, address) external {
        _delegate(ORDER_MODULE);
    }

    /// @inheritdoc IMarginEngineOrders
    function executeOrder(uint256) external {
        _delegate(ORDER_MODULE);
    }

    /// @inheritdoc IMarginEngineOrders
    function executeOrders(uint256[] calldata) external returns (uint256) {
        _delegate(ORDER_MODULE);
    }

    /// @inheritdoc IMarginEngineOrders
    function cancelOrder(uint256) external {
        _delegate(ORDER_MODULE);
    }

    // ================================================================ liquidation (served by the liquidation module)

    /// @inheritdoc IMarginEngineLiquidation
    function liquidate(uint256) external {
        _delegate(LIQUIDATION_MODULE);
    }

    /// @inheritdoc IMarginEngineLiquidation
    function liquidateBatch(uint256[] calldata) external returns (uint256) {
        _delegate(LIQUIDATION_MODULE);
    }

    /// @inheritdoc IMarginEngineLiquidation
    function takeProfit(uint256) external {
        _delegate(LIQUIDATION_MODULE);
    }

    /// @inheritdoc IMarginEngineLiquidation
    function takeProfitBatch(uint256[] calldata) external returns (uint256) {
        _delegate(LIQUIDATION_MODULE);
    }

    /// @dev Runs a module's code on this contract's storage with the call's data, and returns or reverts with what it
    /// returned.
    function _delegate(address module) internal {
        assembly {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), module, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) {
                revert(0, returndatasize())
            }
            return(0, returndatasize())
        }
    }

    // ================================================================ margin

    /// @inheritdoc IMarginEngine
    function addMargin(uint256 positionId, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Position memory p = _openPosition(positionId);
        Position memory n = _copy(p);
        n.collateral = (uint256(p.collateral) + amount).toUint96();
        _account(p, n);
        _positions[positionId].collateral = n.collateral;
        emit MarginAdded(positionId, msg.sender, amount, n.collateral);
        _pullExact(p.vault, amount);
    }

    /// @inheritdoc IMarginEngine
    function removeMargin(uint256 positionId, uint256 amount, address receiver) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (receiver == address(0)) revert ZeroReceiver();
        Position memory p = _openPosition(positionId);
        if (p.owner != msg.sender) revert NotPositionOwner(positionId, msg.sender);
        if (_orders[positionId].kind != OrderKind.None) revert OrderPending(positionId);
        if (_closes[positionId].kind != OrderKind.None) revert ClosePending(positionId);
        Context memory c = _load(p.marketId);
        uint256 resumesAt = _resumesAt(c);
        if (resumesAt > block.timestamp) revert GracePeriod(resumesAt);
        uint256 minCollateral = c.global.minCollateral;
        if (amount > p.collateral || p.collateral - amount < minCollateral) {
            revert CollateralBelowMinimum(p.collateral > amount ? p.collateral - amount : 0, minCollateral);
        }

        // Rule 9: the cap follows the collateral down. Unrealised profit is not margin: only losses count.
        Position memory n = _copy(p);
        n.collateral = uint96(p.collateral - amount);
        n.maxProfit = uint96(
            Math.min(Math.mulDiv(n.collateral, c.market.maxProfitRatio, PositionMath.WAD), p.maxProfit)
        );
        int256 newEquity = PositionMath.equity(
            n.collateral,
            PositionMath.pnl(p.isLong, p.size, p.entryPrice, c.price, 0, SCALE),
            _borrowFee(p, c)
        );
        uint256 required = PositionMath.ratioOfNotionalUp(p.size, c.price, c.market.imr, SCALE);
        if (newEquity < required.toInt256()) revert InitialMarginBreached(newEquity, required);

        _account(p, n);
        _positions[positionId] = n;
        emit MarginRemoved(positionId, amount, n.collateral, n.maxProfit, receiver);

        IPositionVault(p.vault).pay(receiver, amount);
    }

    /// @inheritdoc IMarginEngine
    function claim(uint256 positionId, address to) external nonReentrant {
        Claim memory c = _claims[positionId];
        if (c.amount == 0) revert NothingToClaim(positionId);
        if (c.owner != msg.sender) revert NotPositionOwner(positionId, msg.sender);
        if (to == address(0)) revert ZeroReceiver();
        delete _claims[positionId];
        emit Claimed(positionId, msg.sender, to, c.amount);
        ASSET.safeTransfer(to, c.amount);
    }

    // ================================================================ views

    /// @inheritdoc IMarginEngine
    function orderStatus(uint256 positionId) external view returns (OrderStatus, uint80) {
        Position memory p = _positions[positionId];
        (Order memory o, ) = _nextOrder(positionId);
        if (o.kind == OrderKind.None) return (OrderStatus.None, 0);
        // Judged without a price, so a cancellable order shows as such during an oracle or sequencer outage too.
        Verdict memory v = _verdict(o, _orderContext(p.marketId));
        if (v.action == CANCEL) return (OrderStatus.Cancellable, v.roundId);
        if (v.action == WAIT) return (OrderStatus.Waiting, 0);
        // Executing also needs a good latest price (and the sequencer up).
        try this.indexPrice(p.marketId) returns (uint256) {
            return (OrderStatus.Executable, v.roundId);
        } catch {
            return (OrderStatus.Waiting, v.roundId);
        }
    }

    /// @inheritdoc IMarginEngine
    function claimOf(uint256 positionId) external view returns (address owner, uint256 amount) {
        Claim memory c = _claims[positionId];
        return (c.owner, c.amount);
    }

    /// @inheritdoc IMarginEngine
    function position(uint256 positionId) external view returns (Position memory) {
        return _positions[positionId];
    }

    /// @inheritdoc IMarginEngine
    function orders(uint256 positionId) external view returns (Order memory order, Order memory close) {
        (order, close) = (_orders[positionId], _closes[positionId]);
        Position memory p = _positions[positionId];
        if (order.kind != OrderKind.None) order.receiver = _receiverOf(order, p);
        if (close.kind != OrderKind.None) close.receiver = _receiverOf(close, p);
    }

    /// @inheritdoc IMarginEngine
    function vaultOf(uint256 positionId) external view returns (address) {
        return _positions[positionId].vault;
    }

    /// @inheritdoc IMarginEngine
    function freeVaultCount() external view returns (uint256) {
        return _freeVaultCount;
    }

    /// @inheritdoc IMarginEngine
    function liquidationResumesAt(uint256 marketId) external view returns (uint256) {
        return _resumesAt(_context(marketId));
    }

    /// @inheritdoc IMarginEngine
    function indexPrice(uint256 marketId) external view returns (uint256) {
        return _context(marketId).price;
    }

    /// @inheritdoc IMarginEngine
    function borrowIndex(uint256 marketId, bool isLong) external view returns (uint256) {
        return _index(_accruedState(marketId), isLong);
    }

    /// @inheritdoc IMarginEngine
    function sideState(uint256 marketId, bool isLong) external view nonReentrantView returns (SideState memory) {
        return _sideState[marketId][isLong];
    }

    /// @inheritdoc IMarginEngine
    function pastEdges(
        uint256 marketId,
        uint256 price
    ) external view nonReentrantView returns (bool beyondCap, bool underWater) {
        uint256 tick = PriceTicks.tickOf(price);
        // Longs reach their caps as the price rises and go under water as it falls; shorts the other way round.
        (bool found, uint256 edge) = PriceTicks.lowest(_capTicks[_sideKey(marketId, true)]);
        beyondCap = found && tick > edge;
        if (!beyondCap) {
            (found, edge) = PriceTicks.highest(_capTicks[_sideKey(marketId, false)]);
            beyondCap = found && tick < edge;
        }
        (found, edge) = PriceTicks.highest(_bankruptcyTicks[_sideKey(marketId, true)]);
        underWater = found && tick <= edge;
        if (!underWater) {
            (found, edge) = PriceTicks.lowest(_bankruptcyTicks[_sideKey(marketId, false)]);
            underWater = found && tick >= edge;
        }
    }

    /// @inheritdoc IMarginEngine
    function marketCount() external view nonReentrantView returns (uint256) {
        return _marketCount;
    }

    /// @inheritdoc IMarginEngine
    function tradingConfig(
        uint256 marketId
    )
        external
        view
        returns (
            MarketParams memory market,
            GlobalParams memory global,
            AggregatorV3Interface sequencer,
            bool paused,
            uint256 settlement
        )
    {
        Context memory c = _orderContext(marketId);
        return (c.market, c.global, c.sequencer, c.paused, c.settlement);
    }

    /// @inheritdoc IMarginEngine
    function nextPositionId() external view returns (uint256) {
        return _lastPositionId + 1;
    }

    /// @inheritdoc IMarginEngine
    function totalReserved() external view nonReentrantView returns (uint256) {
        return _totalReserved;
    }

    /// @inheritdoc IMarginEngine
    function totalEntryNotional() external view returns (uint256) {
        return _totalEntryNotional;
    }

    /// @inheritdoc IMarginEngine
    function accrue(uint256 marketId) external nonReentrant {
        _marketState[marketId] = _accruedState(marketId);
    }

    /// @inheritdoc IMarginEngine
    function syncMarket(uint256 marketId) external nonReentrant {
        _syncMarket(marketId);
    }

    /// @inheritdoc IMarginEngine
    function syncGlobal() external nonReentrant {
        _syncGlobal();
    }
}

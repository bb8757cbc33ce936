// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IInsuranceFund} from "./interfaces/IInsuranceFund.sol";
import {ILiquidityPool} from "./interfaces/ILiquidityPool.sol";
import {IMarginEngine, Position, SideState} from "./interfaces/IMarginEngine.sol";
import {IOracleErrors} from "./interfaces/IOracleErrors.sol";
import {IPositionVault} from "./interfaces/IPositionVault.sol";
import {GlobalParams, IRiskConfig, MarketParams} from "./interfaces/IRiskConfig.sol";
import {ChainlinkOracle} from "./libraries/ChainlinkOracle.sol";
import {PositionMath} from "./libraries/PositionMath.sol";
import {PositionVault} from "./PositionVault.sol";

/// @title Bulkhead margin engine
/// @notice See {IMarginEngine}.
contract MarginEngine is IMarginEngine, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @inheritdoc IMarginEngine
    IERC20 public immutable ASSET;
    /// @inheritdoc IMarginEngine
    ILiquidityPool public immutable POOL;
    /// @inheritdoc IMarginEngine
    IInsuranceFund public immutable INSURANCE_FUND;
    /// @inheritdoc IMarginEngine
    IRiskConfig public immutable RISK_CONFIG;
    /// @inheritdoc IMarginEngine
    address public immutable VAULT_IMPLEMENTATION;
    /// @dev 10^(18 − asset decimals): USD WAD per asset unit.
    uint256 internal immutable SCALE;

    /// @dev Borrow indices of one market, one slot. `lastAccrual` is zero until the market is first touched.
    struct MarketState {
        uint96 longIndex;
        uint96 shortIndex;
        uint40 lastAccrual;
    }

    /// @dev Everything one operation needs about a market: parameters, accrued indices and a good price.
    struct Context {
        MarketParams market;
        GlobalParams global;
        AggregatorV3Interface sequencer;
        bool paused;
        /// @dev The market's settlement price, or zero if it is not in settlement.
        uint256 settlement;
        MarketState state;
        uint256 price;
        uint80 roundId;
        uint256 updatedAt;
    }

    /// @dev A market's status within one `liquidateBatch`.
    uint256 internal constant MARKET_UNREAD = 0;
    uint256 internal constant MARKET_OPEN = 1;
    uint256 internal constant MARKET_SKIPPED = 2;

    mapping(uint256 marketId => MarketState) internal _marketState;
    mapping(uint256 marketId => mapping(bool isLong => SideState)) internal _sideState;
    mapping(uint256 positionId => Position) internal _positions;

    /// @dev A liquidation refund its owner could not receive, waiting in the position's vault.
    struct DeferredRefund {
        address owner;
        uint256 amount;
    }

    /// @inheritdoc IMarginEngine
    /// @dev Plenty for an ERC-20 transfer (even behind a
    /// proxy); a recipient hook that burns more only defers the refund, it cannot make the liquidation too dear.
    uint256 public constant REFUND_GAS = 100_000;
    /// @dev Gas the liquidation needs after a failed refund call: recording the refund and the event.
    uint256 internal constant DEFERRAL_GAS = 60_000;

    mapping(uint256 positionId => DeferredRefund) internal _deferredRefunds;

    uint128 internal _totalReserved;
    uint128 internal _totalEntryNotional;
    uint256 internal _lastPositionId;

    constructor(IERC20 asset, ILiquidityPool pool, IInsuranceFund insuranceFund, IRiskConfig riskConfig) {
        uint8 decimals = IERC20Metadata(address(asset)).decimals();
        if (decimals > 18) revert UnsupportedDecimals(decimals);
        ASSET = asset;
        POOL = pool;
        INSURANCE_FUND = insuranceFund;
        RISK_CONFIG = riskConfig;
        SCALE = 10 ** (18 - decimals);
        VAULT_IMPLEMENTATION = address(new PositionVault(asset));
    }

    // ================================================================ trading

    /// @inheritdoc IMarginEngine
    function open(
        uint256 marketId,
        bool isLong,
        uint256 size,
        uint256 collateral,
        uint256 acceptablePrice,
        uint256 deadline
    ) external nonReentrant returns (uint256 positionId) {
        _checkDeadline(deadline);
        if (size == 0) revert ZeroSize();
        Context memory c = _load(marketId);
        _checkAddingRisk(marketId, c);
        if (collateral < c.global.minCollateral) revert CollateralBelowMinimum(collateral, c.global.minCollateral);
        _checkPriceBound(isLong, true, c.price, acceptablePrice);

        Position memory n = _opened(marketId, isLong, size, collateral, c);
        positionId = ++_lastPositionId;
        _positions[positionId] = n;

        uint256 fee = PositionMath.ratioOfNotionalUp(size, c.price, c.market.openFeeRatio, SCALE);
        address vault = Clones.cloneDeterministic(VAULT_IMPLEMENTATION, bytes32(positionId));
        emit PositionOpened(positionId, msg.sender, marketId, isLong, vault, size, c.price, collateral, fee);

        _pullExact(vault, collateral + c.global.keeperReserve);
        if (fee != 0) ASSET.safeTransferFrom(msg.sender, address(POOL), fee);
    }

    /// @inheritdoc IMarginEngine
    function increase(
        uint256 positionId,
        uint256 sizeDelta,
        uint256 collateralDelta,
        uint256 acceptablePrice,
        uint256 deadline
    ) external nonReentrant {
        _checkDeadline(deadline);
        if (sizeDelta == 0) revert ZeroSize();
        Position memory p = _ownedPosition(positionId);
        Context memory c = _load(p.marketId);
        _checkAddingRisk(p.marketId, c);
        _checkPriceBound(p.isLong, true, c.price, acceptablePrice);

        Position memory n = _increased(p, c, sizeDelta, collateralDelta);
        uint256 fees =
            PositionMath.borrowFee(p.size, p.entryPrice, n.borrowIndex - p.borrowIndex, SCALE) +
                PositionMath.ratioOfNotionalUp(sizeDelta, c.price, c.market.openFeeRatio, SCALE);
        _positions[positionId] = n;
        emit PositionIncreased(
            positionId,
            sizeDelta,
            collateralDelta,
            c.price,
            n.size,
            n.entryPrice,
            n.collateral,
            fees
        );

        if (collateralDelta != 0) _pullExact(vaultOf(positionId), collateralDelta);
        if (fees != 0) _pullExact(address(POOL), fees);
    }

    /// @dev Amounts of a decrease, asset units.
    struct Decrease {
        int256 pnl;
        uint256 fees;
        int256 settlement;
        uint256 payout;
        uint256 newCollateral;
        uint256 keptMaxProfit;
    }

    /// @inheritdoc IMarginEngine
    function decrease(
        uint256 positionId,
        uint256 sizeDelta,
        uint256 acceptablePrice,
        uint256 deadline
    ) external nonReentrant {
        _checkDeadline(deadline);
        if (sizeDelta == 0) revert ZeroSize();
        Position memory p = _ownedPosition(positionId);
        if (sizeDelta >= p.size) revert SizeDeltaTooLarge(sizeDelta, p.size);
        Context memory c = _load(p.marketId);
        _checkPriceBound(p.isLong, false, c.price, acceptablePrice);

        (Decrease memory d, Position memory rest) = _decreaseAmounts(positionId, p, c, sizeDelta);
        _account(p, rest);
        _positions[positionId] = rest;
        emit PositionDecreased(positionId, sizeDelta, c.price, d.pnl, d.fees, d.payout, rest.size, d.newCollateral);

        IPositionVault vault = IPositionVault(vaultOf(positionId));
        if (d.settlement >= 0) {
            if (d.settlement > 0) POOL.pay(p.owner, uint256(d.settlement));
            if (p.collateral != d.newCollateral) vault.pay(p.owner, p.collateral - d.newCollateral);
        } else {
            vault.pay(address(POOL), uint256(-d.settlement));
            if (d.payout != 0) vault.pay(p.owner, d.payout);
        }
    }

    /// @inheritdoc IMarginEngine
    function close(uint256 positionId, uint256 acceptablePrice, uint256 deadline) external nonReentrant {
        _checkDeadline(deadline);
        Position memory p = _ownedPosition(positionId);
        Context memory c = _load(p.marketId);
        _checkPriceBound(p.isLong, false, c.price, acceptablePrice);

        int256 pnl = PositionMath.pnl(p.isLong, p.size, p.entryPrice, c.price, p.maxProfit, SCALE);
        uint256 fees =
            PositionMath.borrowFee(p.size, p.entryPrice, _index(c.state, p.isLong) - p.borrowIndex, SCALE) +
                PositionMath.ratioOfNotionalUp(p.size, c.price, c.market.closeFeeRatio, SCALE);
        _removePosition(positionId, p);
        _settleClose(positionId, p, c.price, pnl, fees);
    }

    /// @inheritdoc IMarginEngine
    function addMargin(uint256 positionId, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Position storage s = _positions[positionId];
        address owner = s.owner;
        if (owner != msg.sender) {
            if (owner == address(0)) revert UnknownPosition(positionId);
            revert NotPositionOwner(positionId, msg.sender);
        }
        uint256 newCollateral = s.collateral + amount;
        s.collateral = newCollateral.toUint96();
        _sideState[s.marketId][s.isLong].collateral += uint128(amount);
        emit MarginAdded(positionId, amount, newCollateral);
        _pullExact(vaultOf(positionId), amount);
    }

    /// @inheritdoc IMarginEngine
    function removeMargin(uint256 positionId, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Position memory p = _ownedPosition(positionId);
        Context memory c = _load(p.marketId);
        uint256 minCollateral = c.global.minCollateral;
        if (amount > p.collateral || p.collateral - amount < minCollateral) {
            revert CollateralBelowMinimum(p.collateral > amount ? p.collateral - amount : 0, minCollateral);
        }

        uint256 newCollateral = p.collateral - amount;
        uint256 newMaxProfit = Math.min(
            Math.mulDiv(newCollateral, c.market.maxProfitRatio, PositionMath.WAD),
            p.maxProfit
        );
        // Unrealised profit is not margin: only losses count.
        int256 newEquity = PositionMath.equity(
            newCollateral,
            PositionMath.pnl(p.isLong, p.size, p.entryPrice, c.price, 0, SCALE),
            PositionMath.borrowFee(p.size, p.entryPrice, _index(c.state, p.isLong) - p.borrowIndex, SCALE)
        );
        uint256 required = PositionMath.ratioOfNotionalUp(p.size, c.price, c.market.imr, SCALE);
        if (newEquity < required.toInt256()) revert InitialMarginBreached(newEquity, required);

        Position storage s = _positions[positionId];
        s.collateral = uint96(newCollateral);
        s.maxProfit = uint96(newMaxProfit);
        SideState storage side = _sideState[p.marketId][p.isLong];
        side.collateral -= uint128(amount);
        side.maxProfit -= uint128(p.maxProfit - newMaxProfit);
        _totalReserved -= uint128(p.maxProfit - newMaxProfit);
        emit MarginRemoved(positionId, amount, newCollateral);

        IPositionVault(vaultOf(positionId)).pay(msg.sender, amount);
    }

    // ================================================================ liquidation

    /// @inheritdoc IMarginEngine
    function liquidate(uint256 positionId) external nonReentrant {
        Position memory p = _positions[positionId];
        if (p.owner == address(0)) revert UnknownPosition(positionId);
        Context memory c = _load(p.marketId);
        uint256 resumesAt = _liquidationResumesAt(c);
        if (resumesAt > block.timestamp) revert LiquidationGracePeriod(resumesAt);
        if (!_liquidate(positionId, p, c)) {
            (, int256 equity_, uint256 maintenance, ) = _split(p, c);
            revert NotLiquidatable(positionId, equity_, maintenance);
        }
    }

    /// @inheritdoc IMarginEngine
    function liquidateBatch(uint256[] calldata positionIds) external nonReentrant returns (uint256 liquidated) {
        // A market's parameters, price and grace status are read once per batch. A market with a bad price or in
        // its grace period is skipped, not fatal: the keeper's other positions still go.
        Context[] memory contexts = new Context[](RISK_CONFIG.marketCount());
        uint256[] memory status = new uint256[](contexts.length);
        for (uint256 i; i < positionIds.length; ++i) {
            uint256 positionId = positionIds[i];
            Position memory p = _positions[positionId];
            if (p.owner == address(0)) continue;
            if (status[p.marketId] == MARKET_UNREAD) {
                bool priced;
                (priced, contexts[p.marketId]) = _tryLoad(p.marketId);
                status[p.marketId] =
                    priced && _liquidationResumesAt(contexts[p.marketId]) <= block.timestamp
                        ? MARKET_OPEN
                        : MARKET_SKIPPED;
            }
            if (status[p.marketId] == MARKET_SKIPPED) continue;
            if (_liquidate(positionId, p, contexts[p.marketId])) ++liquidated;
        }
    }

    /// @inheritdoc IMarginEngine
    function takeProfit(uint256 positionId) external nonReentrant {
        Position memory p = _positions[positionId];
        if (p.owner == address(0)) revert UnknownPosition(positionId);
        Context memory c = _load(p.marketId);
        if (!_takeProfit(positionId, p, c)) {
            revert NotAtCap(
                positionId,
                PositionMath.pnl(p.isLong, p.size, p.entryPrice, c.price, type(uint256).max, SCALE),
                p.maxProfit
            );
        }
    }

    /// @inheritdoc IMarginEngine
    function takeProfitBatch(uint256[] calldata positionIds) external nonReentrant returns (uint256 taken) {
        // Grace periods do not apply: paying a cap adds no risk. A market without a good price is skipped.
        Context[] memory contexts = new Context[](RISK_CONFIG.marketCount());
        uint256[] memory status = new uint256[](contexts.length);
        for (uint256 i; i < positionIds.length; ++i) {
            uint256 positionId = positionIds[i];
            Position memory p = _positions[positionId];
            if (p.owner == address(0)) continue;
            if (status[p.marketId] == MARKET_UNREAD) {
                bool priced;
                (priced, contexts[p.marketId]) = _tryLoad(p.marketId);
                status[p.marketId] = priced ? MARKET_OPEN : MARKET_SKIPPED;
            }
            if (status[p.marketId] == MARKET_SKIPPED) continue;
            if (_takeProfit(positionId, p, contexts[p.marketId])) ++taken;
        }
    }

    /// @inheritdoc IMarginEngine
    function claimRefund(uint256 positionId, address to) external nonReentrant {
        DeferredRefund memory refund = _deferredRefunds[positionId];
        if (refund.amount == 0) revert NoDeferredRefund(positionId);
        if (refund.owner != msg.sender) revert NotPositionOwner(positionId, msg.sender);
        delete _deferredRefunds[positionId];
        emit RefundClaimed(positionId, msg.sender, to, refund.amount);
        IPositionVault(vaultOf(positionId)).pay(to, refund.amount);
    }

    // ================================================================ views

    /// @inheritdoc IMarginEngine
    function deferredRefund(uint256 positionId) external view returns (address owner, uint256 amount) {
        DeferredRefund memory refund = _deferredRefunds[positionId];
        return (refund.owner, refund.amount);
    }

    /// @inheritdoc IMarginEngine
    function position(uint256 positionId) external view returns (Position memory) {
        return _positions[positionId];
    }

    /// @inheritdoc IMarginEngine
    function vaultOf(uint256 positionId) public view returns (address) {
        return Clones.predictDeterministicAddress(VAULT_IMPLEMENTATION, bytes32(positionId));
    }

    /// @inheritdoc IMarginEngine
    function liquidationResumesAt(uint256 marketId) external view returns (uint256) {
        return _liquidationResumesAt(_context(marketId));
    }

    /// @inheritdoc IMarginEngine
    function indexPrice(uint256 marketId) external view returns (uint256) {
        return _context(marketId).price;
    }

    /// @inheritdoc IMarginEngine
    function borrowIndex(uint256 marketId, bool isLong) external view returns (uint256) {
        (MarketParams memory market, , , , ) = RISK_CONFIG.tradingConfig(marketId);
        return _index(_accrued(_marketState[marketId], market), isLong);
    }

    /// @inheritdoc IMarginEngine
    function sideState(uint256 marketId, bool isLong) external view nonReentrantView returns (SideState memory) {
        return _sideState[marketId][isLong];
    }

    /// @inheritdoc IMarginEngine
    function marketCount() external view nonReentrantView returns (uint256) {
        return RISK_CONFIG.marketCount();
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
    function accrue(uint256 marketId) external {
        (MarketParams memory market, , , , ) = RISK_CONFIG.tradingConfig(marketId);
        _marketState[marketId] = _accrued(_marketState[marketId], market);
    }

    // ================================================================ internals: flows

    /// @dev A new position, checked against initial margin, with its open interest and profit cap reserved.
    function _opened(
        uint256 marketId,
        bool isLong,
        uint256 size,
        uint256 collateral,
        Context memory c
    ) internal returns (Position memory n) {
        uint256 required = PositionMath.ratioOfNotionalUp(size, c.price, c.market.imr, SCALE);
        if (collateral < required) revert InitialMarginBreached(collateral.toInt256(), required);
        n = Position({
            owner: msg.sender,
            collateral: collateral.toUint96(),
            size: size.toUint128(),
            entryPrice: c.price.toUint128(),
            borrowIndex: _index(c.state, isLong),
            maxProfit: _capOf(collateral, size, c).toUint96(),
            marketId: marketId.toUint16(),
            isLong: isLong
        });
        _checkNotional(size, c);
        Position memory none;
        _checkCapacity(marketId, isLong, _account(none, n), c);
    }

    /// @dev The profit cap that `collateral` and `size` bring at the context's price: the lower of
    /// maxProfitRatio × collateral and maxProfitNotionalRatio × notional. Paid to the trader: rounded down.
    function _capOf(uint256 collateral, uint256 size, Context memory c) internal view returns (uint256) {
        return
            Math.min(
                Math.mulDiv(collateral, c.market.maxProfitRatio, PositionMath.WAD),
                PositionMath.ratioOfNotionalDown(size, c.price, c.market.maxProfitNotionalRatio, SCALE)
            );
    }

    /// @dev The position after an increase, checked against initial margin, with open interest and reservations
    /// moved from the old position to the new one. The cap grows only by what the increase brings; profit beyond the
    /// old cap is never carried into the new entry price.
    function _increased(
        Position memory p,
        Context memory c,
        uint256 sizeDelta,
        uint256 collateralDelta
    ) internal returns (Position memory n) {
        n = Position({
            owner: p.owner,
            collateral: (p.collateral + collateralDelta).toUint96(),
            size: (p.size + sizeDelta).toUint128(),
            entryPrice: PositionMath
                .entryAfterIncrease(p.isLong, p.size, p.entryPrice, sizeDelta, c.price, p.maxProfit, SCALE)
                .toUint128(),
            borrowIndex: _index(c.state, p.isLong),
            maxProfit: (p.maxProfit + _capOf(collateralDelta, sizeDelta, c)).toUint96(),
            marketId: p.marketId,
            isLong: p.isLong
        });
        // Only losses count towards margin: a fresh profit from averaging cannot be used as margin.
        int256 equity_ = PositionMath.equity(
            n.collateral,
            PositionMath.pnl(n.isLong, n.size, n.entryPrice, c.price, 0, SCALE),
            0
        );
        uint256 required = PositionMath.ratioOfNotionalUp(n.size, c.price, c.market.imr, SCALE);
        if (equity_ < required.toInt256()) revert InitialMarginBreached(equity_, required);
        _checkNotional(n.size, c);

        _checkCapacity(p.marketId, p.isLong, _account(p, n), c);
    }

    /// @dev Settles the closed part: its pnl (under its share of the cap) and every owed fee; a negative payout is
    /// taken from the collateral that stays. Checks what remains.
    function _decreaseAmounts(
        uint256 positionId,
        Position memory p,
        Context memory c,
        uint256 sizeDelta
    ) internal view returns (Decrease memory d, Position memory rest) {
        uint256 remaining = p.size - sizeDelta;
        // The closed part's shares of the profit cap and of the collateral are rounded down.
        d.keptMaxProfit = Math.mulDiv(p.maxProfit, remaining, p.size, Math.Rounding.Ceil);
        d.pnl = PositionMath.pnl(p.isLong, sizeDelta, p.entryPrice, c.price, p.maxProfit - d.keptMaxProfit, SCALE);
        d.fees =
            PositionMath.borrowFee(p.size, p.entryPrice, _index(c.state, p.isLong) - p.borrowIndex, SCALE) +
            PositionMath.ratioOfNotionalUp(sizeDelta, c.price, c.market.closeFeeRatio, SCALE);
        uint256 collateralOut = Math.mulDiv(p.collateral, sizeDelta, p.size);
        d.settlement = d.pnl - d.fees.toInt256();
        int256 payoutSigned = collateralOut.toInt256() + d.settlement;
        d.newCollateral = p.collateral - collateralOut;
        if (payoutSigned < 0) {
            if (uint256(-payoutSigned) > d.newCollateral) revert DecreaseUnderwater(positionId);
            d.newCollateral -= uint256(-payoutSigned);
        } else {
            d.payout = uint256(payoutSigned);
        }
        if (d.newCollateral < c.global.minCollateral) {
            revert CollateralBelowMinimum(d.newCollateral, c.global.minCollateral);
        }
        _checkNotional(remaining, c);
        // A fresh struct: `p` is the caller's memory and must stay as it was.
        rest = Position({
            owner: p.owner,
            collateral: uint96(d.newCollateral),
            size: uint128(remaining),
            entryPrice: p.entryPrice,
            borrowIndex: _index(c.state, p.isLong),
            maxProfit: uint96(d.keptMaxProfit),
            marketId: p.marketId,
            isLong: p.isLong
        });
        (bool isLiquidatable, int256 remainingEquity, uint256 maintenance, ) = _split(rest, c);
        if (isLiquidatable) revert MaintenanceMarginBreached(remainingEquity, maintenance);
    }

    /// @dev Pays out a closed position: its loss and fees to the pool (bad debt beyond the collateral covered by the
    /// insurance fund, then absorbed by the pool), its profit from the pool, the rest of the vault to the owner.
    function _settleClose(uint256 positionId, Position memory p, uint256 price_, int256 pnl, uint256 fees) internal {
        int256 settlement = pnl - fees.toInt256();
        address vault = vaultOf(positionId);
        uint256 vaultBalance = ASSET.balanceOf(vault);
        uint256 toPool;
        uint256 badDebt;
        if (settlement < 0) {
            toPool = uint256(-settlement);
            if (toPool > p.collateral) {
                badDebt = toPool - p.collateral;
                toPool = p.collateral;
            }
        }
        uint256 fromPool = settlement > 0 ? uint256(settlement) : 0;
        uint256 insuranceCover = badDebt == 0 ? 0 : Math.min(badDebt, ASSET.balanceOf(address(INSURANCE_FUND)));
        emit PositionClosed(positionId, p.owner, price_, pnl, fees, vaultBalance - toPool + fromPool, badDebt);

        // Flows between the protocol's own contracts first, so no outside account is paid while they are unsettled.
        if (toPool != 0) IPositionVault(vault).pay(address(POOL), toPool);
        if (insuranceCover != 0) INSURANCE_FUND.cover(address(POOL), insuranceCover);
        if (fromPool != 0) POOL.pay(p.owner, fromPool);
        if (vaultBalance != toPool) IPositionVault(vault).pay(p.owner, vaultBalance - toPool);
    }

    /// @dev Liquidates if liquidatable at the context's price; returns whether it did.
    function _liquidate(uint256 positionId, Position memory p, Context memory c) internal returns (bool) {
        (bool isLiquidatable, , , PositionMath.LiquidationSplit memory split) = _split(p, c);
        if (!isLiquidatable) return false;

        _removePosition(positionId, p);
        address vault = vaultOf(positionId);
        // The keeper takes everything the vault holds beyond the collateral: the keeper reserve and any donation.
        uint256 keeperReward = ASSET.balanceOf(vault) - p.collateral + split.keeperFee;
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
        if (split.fromPool != 0) POOL.pay(vault, split.fromPool);
        if (split.toPool != 0) IPositionVault(vault).pay(address(POOL), split.toPool);
        if (insuranceCover != 0) INSURANCE_FUND.cover(address(POOL), insuranceCover);
        if (split.penalty != 0) IPositionVault(vault).pay(address(INSURANCE_FUND), split.penalty);
        if (keeperReward != 0) IPositionVault(vault).pay(msg.sender, keeperReward);
        _refundOwner(positionId, vault, p.owner, split.ownerRefund);
        return true;
    }

    /// @dev Pays what a liquidation or a take-profit owes the owner, last, and allowed to fail: an owner who cannot
    /// receive (a blocklisted address, a refusing hook) must not shield their position, or a keeper's whole batch. The
    /// refund then waits in the vault. The call gets a fixed gas budget, and the keeper must supply it in full, so a
    /// keeper cannot starve the transfer to force a deferral and a hook cannot burn the keeper's gas. Storage is
    /// written after the call, which is safe: every entry point is nonReentrant.
    function _refundOwner(uint256 positionId, address vault, address owner, uint256 amount) internal {
        if (amount == 0) return;
        uint256 needed = (REFUND_GAS * 64) / 63 + DEFERRAL_GAS;
        if (gasleft() < needed) revert InsufficientGas(gasleft(), needed);
        try IPositionVault(vault).pay{gas: REFUND_GAS}(owner, amount) {} catch {
            _deferredRefunds[positionId] = DeferredRefund(owner, amount);
            emit RefundDeferred(positionId, owner, amount);
        }
    }

    /// @dev Closes the position at its profit cap if its pnl has reached it; returns whether it did. The executor
    /// takes the keeper reserve; the owner's payout is deferred, not lost, if it cannot be received.
    function _takeProfit(uint256 positionId, Position memory p, Context memory c) internal returns (bool) {
        int256 uncapped = PositionMath.pnl(p.isLong, p.size, p.entryPrice, c.price, type(uint256).max, SCALE);
        if (uncapped < uint256(p.maxProfit).toInt256()) return false;

        TakeProfit memory t;
        t.fees =
            PositionMath.borrowFee(p.size, p.entryPrice, _index(c.state, p.isLong) - p.borrowIndex, SCALE) +
            PositionMath.ratioOfNotionalUp(p.size, c.price, c.market.closeFeeRatio, SCALE);
        _removePosition(positionId, p);
        address vault = vaultOf(positionId);
        if (t.fees > p.maxProfit) {
            uint256 owed = t.fees - p.maxProfit;
            t.toPool = Math.min(owed, p.collateral);
            t.badDebt = owed - t.toPool;
        } else {
            t.fromPool = p.maxProfit - t.fees;
        }
        t.payout = p.collateral + t.fromPool - t.toPool;
        // The executor takes everything the vault holds beyond the collateral: the keeper reserve and any donation.
        t.keeperReward = ASSET.balanceOf(vault) - p.collateral;
        t.insuranceCover = t.badDebt == 0 ? 0 : Math.min(t.badDebt, ASSET.balanceOf(address(INSURANCE_FUND)));
        emit ProfitTaken(
            positionId,
            p.owner,
            msg.sender,
            c.price,
            p.maxProfit,
            t.fees,
            t.payout,
            t.keeperReward,
            t.badDebt
        );

        if (t.fromPool != 0) POOL.pay(vault, t.fromPool);
        if (t.toPool != 0) IPositionVault(vault).pay(address(POOL), t.toPool);
        if (t.insuranceCover != 0) INSURANCE_FUND.cover(address(POOL), t.insuranceCover);
        if (t.keeperReward != 0) IPositionVault(vault).pay(msg.sender, t.keeperReward);
        _refundOwner(positionId, vault, p.owner, t.payout);
        return true;
    }

    /// @dev Amounts of a take-profit, asset units.
    struct TakeProfit {
        uint256 fees;
        uint256 toPool;
        uint256 fromPool;
        uint256 badDebt;
        uint256 payout;
        uint256 keeperReward;
        uint256 insuranceCover;
    }

    /// @dev Health and, when liquidatable, liquidation split of a position at the context's price.
    function _split(
        Position memory p,
        Context memory c
    )
        internal
        view
        returns (bool isLiquidatable, int256 equity_, uint256 maintenance, PositionMath.LiquidationSplit memory split)
    {
        int256 pnl = PositionMath.pnl(p.isLong, p.size, p.entryPrice, c.price, p.maxProfit, SCALE);
        uint256 fees = PositionMath.borrowFee(p.size, p.entryPrice, _index(c.state, p.isLong) - p.borrowIndex, SCALE);
        equity_ = PositionMath.equity(p.collateral, pnl, fees);
        maintenance = PositionMath.ratioOfNotionalUp(p.size, c.price, c.market.mmr, SCALE);
        isLiquidatable = PositionMath.isLiquidatable(equity_, maintenance);
        // Only a liquidation needs the split: a keeper's batch skips healthy positions cheaply.
        if (!isLiquidatable) return (false, equity_, maintenance, split);
        split = PositionMath.liquidationSplit(
            p.collateral,
            pnl,
            fees,
            PositionMath.ratioOfNotionalUp(p.size, c.price, c.market.closeFeeRatio, SCALE),
            PositionMath.ratioOfNotionalDown(p.size, c.price, c.market.liqFeeRatio, SCALE),
            PositionMath.ratioOfNotionalUp(p.size, c.price, c.market.liqPenaltyRatio, SCALE)
        );
    }

    // ================================================================ internals: state

    /// @dev `_context`, with the accrued borrow indices stored.
    function _load(uint256 marketId) internal returns (Context memory c) {
        c = _context(marketId);
        _store(marketId, c);
    }

    /// @dev `_tryContext`, with the accrued borrow indices stored.
    function _tryLoad(uint256 marketId) internal returns (bool priced, Context memory c) {
        (priced, c) = _tryContext(marketId);
        _store(marketId, c);
    }

    function _store(uint256 marketId, Context memory c) internal {
        if (_marketState[marketId].lastAccrual != block.timestamp) _marketState[marketId] = c.state;
    }

    /// @dev Loads the market's configuration, accrues its borrow indices to now and reads a good price; reverts with
    /// the oracle's error on a bad one.
    function _context(uint256 marketId) internal view returns (Context memory c) {
        bool priced;
        (priced, c) = _tryContext(marketId);
        if (!priced) {
            // Read again for the oracle's own revert reason; only on the failure path.
            ChainlinkOracle.read(c.market.feed, c.market.heartbeat, c.market.feedDecimals);
            revert IOracleErrors.NoPrice(address(c.market.feed));
        }
    }

    /// @dev `_context` that reports a bad price (`priced` false) instead of reverting. Reverts while the sequencer
    /// is down.
    function _tryContext(uint256 marketId) internal view returns (bool priced, Context memory c) {
        (c.market, c.global, c.sequencer, c.paused, c.settlement) = RISK_CONFIG.tradingConfig(marketId);
        c.state = _accrued(_marketState[marketId], c.market);
        // A market in settlement trades its last good answer, whatever its feed and the sequencer say.
        if (c.settlement != 0) return (true, _withPrice(c, c.settlement));
        ChainlinkOracle.sequencerUpSince(c.sequencer);
        (priced, c.price, c.roundId, c.updatedAt) = ChainlinkOracle.tryRead(
            c.market.feed,
            c.market.heartbeat,
            c.market.feedDecimals
        );
    }

    function _withPrice(Context memory c, uint256 price_) internal pure returns (Context memory) {
        c.price = price_;
        return c;
    }

    /// @dev Indices grown to now at the market's rates.
    function _accrued(MarketState memory state, MarketParams memory market) internal view returns (MarketState memory) {
        if (state.lastAccrual != 0) {
            uint256 elapsed = block.timestamp - state.lastAccrual;
            state.longIndex = (state.longIndex + market.borrowRateLong * elapsed).toUint96();
            state.shortIndex = (state.shortIndex + market.borrowRateShort * elapsed).toUint96();
        }
        state.lastAccrual = uint40(block.timestamp);
        return state;
    }

    function _index(MarketState memory state, bool isLong) internal pure returns (uint96) {
        return isLong ? state.longIndex : state.shortIndex;
    }

    /// @dev When liquidations may resume after the latest sequencer or price outage (in the past if none is recent).
    function _liquidationResumesAt(Context memory c) internal view returns (uint256 resumesAt) {
        uint256 grace = c.global.liquidationGracePeriod;
        if (grace == 0 || c.settlement != 0) return 0;
        resumesAt = ChainlinkOracle.sequencerUpSince(c.sequencer) + grace;
        uint256 outageEnd = ChainlinkOracle.outageEndedAt(
            c.market.feed,
            c.market.heartbeat,
            c.roundId,
            c.updatedAt,
            block.timestamp > grace ? block.timestamp - grace : 0
        );
        if (outageEnd != 0 && outageEnd + grace > resumesAt) resumesAt = outageEnd + grace;
    }

    /// @dev Opens and increases stop while paused and in a market in settlement.
    function _checkAddingRisk(uint256 marketId, Context memory c) internal pure {
        if (c.paused) revert Paused();
        if (c.settlement != 0) revert MarketInSettlement(marketId);
    }

    /// @dev A position's notional at the context's price must reach the minimum.
    function _checkNotional(uint256 size, Context memory c) internal view {
        uint256 notional = PositionMath.toAssetsDown(PositionMath.notionalDown(size, c.price), SCALE);
        if (notional < c.global.minNotional) revert NotionalBelowMinimum(notional, c.global.minNotional);
    }

    function _checkDeadline(uint256 deadline) internal view {
        if (block.timestamp > deadline) revert DeadlineExpired(deadline, block.timestamp);
    }

    /// @dev Longs opening or increasing and shorts closing want a low price; the others a high one.
    function _checkPriceBound(bool isLong, bool adding, uint256 price_, uint256 acceptablePrice) internal pure {
        if (isLong == adding ? price_ > acceptablePrice : price_ < acceptablePrice) {
            revert PriceOutsideBound(price_, acceptablePrice);
        }
    }

    function _ownedPosition(uint256 positionId) internal view returns (Position memory p) {
        p = _positions[positionId];
        if (p.owner != msg.sender) {
            if (p.owner == address(0)) revert UnknownPosition(positionId);
            revert NotPositionOwner(positionId, msg.sender);
        }
    }

    /// @dev Replaces a position's terms `from` by `to` in its side's aggregates and in the engine's totals: an empty
    /// `from` adds a position, an empty `to` removes one. Entry notionals are rounded up both ways, so the sums never
    /// underflow.
    function _account(Position memory from, Position memory to) internal returns (SideState memory side) {
        Position memory ref = to.owner == address(0) ? from : to;
        uint256 fromNotional = PositionMath.notionalUp(from.size, from.entryPrice);
        uint256 toNotional = PositionMath.notionalUp(to.size, to.entryPrice);
        SideState storage s = _sideState[ref.marketId][ref.isLong];
        side = s;
        side.openInterest = (uint256(side.openInterest) + to.size - from.size).toUint128();
        side.entryNotional = (uint256(side.entryNotional) + toNotional - fromNotional).toUint128();
        side.collateral = (uint256(side.collateral) + to.collateral - from.collateral).toUint128();
        side.maxProfit = (uint256(side.maxProfit) + to.maxProfit - from.maxProfit).toUint128();
        side.feeDebt =
            side.feeDebt +
            _feeDebtOf(toNotional, to.borrowIndex) -
            _feeDebtOf(fromNotional, from.borrowIndex);
        s.openInterest = side.openInterest;
        s.entryNotional = side.entryNotional;
        s.collateral = side.collateral;
        s.maxProfit = side.maxProfit;
        s.feeDebt = side.feeDebt;
        _totalReserved = (uint256(_totalReserved) + to.maxProfit - from.maxProfit).toUint128();
        _totalEntryNotional = (uint256(_totalEntryNotional) + toNotional - fromNotional).toUint128();
    }

    /// @dev A position's term of its side's `feeDebt`: entry notional × its borrow index, rounded up, so the side's
    /// accrued fees (index × entry notional − feeDebt) are never overstated.
    function _feeDebtOf(uint256 notional, uint256 index) internal pure returns (uint256) {
        return Math.mulDiv(notional, index, PositionMath.WAD, Math.Rounding.Ceil);
    }

    /// @dev After a position grew: its side's open-interest cap, and whether the pool can carry every profit cap and
    /// the total entry notional.
    function _checkCapacity(uint256 marketId, bool isLong, SideState memory side, Context memory c) internal view {
        uint256 cap = isLong ? c.market.maxOpenInterestLong : c.market.maxOpenInterestShort;
        if (side.entryNotional > cap) revert OpenInterestCapExceeded(marketId, isLong, side.entryNotional, cap);
        // Pool equity: pending deposits, redemptions set aside and escrowed fees are not the pool's to risk.
        uint256 poolAssets = POOL.equityAssets();
        uint256 reserved = _totalReserved;
        if (reserved > poolAssets) revert InsufficientPoolLiquidity(poolAssets, reserved);
        // Rounded down: the bound is a limit on the caller.
        uint256 limit = Math.mulDiv(poolAssets * SCALE, c.global.maxUtilization, PositionMath.WAD);
        if (_totalEntryNotional > limit) revert UtilizationCapExceeded(_totalEntryNotional, limit);
    }

    function _removePosition(uint256 positionId, Position memory p) internal {
        Position memory none;
        _account(p, none);
        delete _positions[positionId];
    }

    /// @dev Pulls `amount` from the caller into `to`, rejecting tokens that deliver less.
    function _pullExact(address to, uint256 amount) internal {
        uint256 before = ASSET.balanceOf(to);
        ASSET.safeTransferFrom(msg.sender, to, amount);
        uint256 received = ASSET.balanceOf(to) - before;
        if (received != amount) revert FeeOnTransferToken(amount, received);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IInsuranceFund} from "../interfaces/IInsuranceFund.sol";
import {ILiquidityPool} from "../interfaces/ILiquidityPool.sol";
import {
    CancelReason,
    IMarginEngine,
    IMarginEngineOrders,
    Order,
    OrderKind,
    Position
} from "../interfaces/IMarginEngine.sol";
import {IOracleErrors} from "../interfaces/IOracleErrors.sol";
import {IPositionVault} from "../interfaces/IPositionVault.sol";
import {GlobalParams, IRiskConfig} from "../interfaces/IRiskConfig.sol";
import {PositionMath} from "../libraries/PositionMath.sol";
import {EngineModule} from "./EngineStorage.sol";
import {LiquidationModule} from "./LiquidationModule.sol";

/// @title Bulkhead order module
/// @notice Requests and executions of opens, increases, decreases and closes. The engine's core delegatecalls it for
/// {IMarginEngineOrders}: it runs on the core's storage and never on its own.
contract OrderModule is IMarginEngineOrders, EngineModule {
    using SafeCast for uint256;

    /// @dev Amounts of a decrease, asset units.
    struct Decrease {
        int256 pnl;
        uint256 fees;
        int256 settlement;
        uint256 payout;
        uint256 keptMaxProfit;
    }

    constructor(
        IERC20 asset,
        ILiquidityPool pool,
        IInsuranceFund insuranceFund,
        IRiskConfig riskConfig
    ) EngineModule(asset, pool, insuranceFund, riskConfig) {}

    // ================================================================ requests

    /// @inheritdoc IMarginEngineOrders
    function requestOpen(
        uint256 marketId,
        bool isLong,
        uint256 size,
        uint256 collateral,
        uint256 acceptablePrice,
        uint256 deadline,
        uint256 executionFee
    ) external onlyDelegated nonReentrant returns (uint256 positionId) {
        if (size == 0) revert ZeroSize();
        Context memory c = _orderContext(marketId);
        _checkAddsRisk(marketId, c);
        GlobalParams memory global = c.global;
        if (collateral < global.minCollateral) revert CollateralBelowMinimum(collateral, global.minCollateral);
        Order memory o = _newOrder(OrderKind.Open, c, deadline, executionFee, size, acceptablePrice);
        o.collateralDelta = collateral.toUint96();

        positionId = ++_lastPositionId;
        address vault = _takeVault();
        Position storage s = _positions[positionId];
        s.owner = msg.sender;
        s.marketId = marketId.toUint16();
        s.isLong = isLong;
        s.vault = vault;
        s.keeperReserve = global.keeperReserve;
        _orders[positionId] = o;
        _emitRequested(positionId, s, o);

        _pullExact(vault, collateral + global.keeperReserve + executionFee);
    }

    /// @inheritdoc IMarginEngineOrders
    function requestIncrease(
        uint256 positionId,
        uint256 sizeDelta,
        uint256 collateralDelta,
        uint256 acceptablePrice,
        uint256 deadline,
        uint256 executionFee
    ) external onlyDelegated nonReentrant {
        if (sizeDelta == 0) revert ZeroSize();
        Position memory p = _ownedOpenPosition(positionId);
        Context memory c = _orderContext(p.marketId);
        _clearStale(positionId, p, c);
        _checkNoPendingOrder(positionId);
        _checkAddsRisk(p.marketId, c);
        Order memory o = _newOrder(OrderKind.Increase, c, deadline, executionFee, sizeDelta, acceptablePrice);
        o.collateralDelta = collateralDelta.toUint96();
        _orders[positionId] = o;
        _emitRequested(positionId, p, o);

        _pullExact(p.vault, collateralDelta + executionFee);
    }

    /// @inheritdoc IMarginEngineOrders
    function requestDecrease(
        uint256 positionId,
        uint256 sizeDelta,
        uint256 acceptablePrice,
        uint256 deadline,
        uint256 executionFee,
        address receiver
    ) external onlyDelegated nonReentrant {
        if (sizeDelta == 0) revert ZeroSize();
        if (receiver == address(0)) revert ZeroReceiver();
        Position memory p = _ownedOpenPosition(positionId);
        if (sizeDelta >= p.size) revert SizeDeltaTooLarge(sizeDelta, p.size);
        Context memory c = _orderContext(p.marketId);
        _clearStale(positionId, p, c);
        _checkNoPendingOrder(positionId);
        Order memory o = _newOrder(OrderKind.Decrease, c, deadline, executionFee, sizeDelta, acceptablePrice);
        // The owner is stored as zero: a slot left empty costs no write.
        if (receiver != msg.sender) o.receiver = receiver;
        _orders[positionId] = o;
        _emitRequested(positionId, p, o);

        _pullExact(p.vault, executionFee);
    }

    /// @inheritdoc IMarginEngineOrders
    function requestClose(
        uint256 positionId,
        uint256 acceptablePrice,
        uint256 deadline,
        uint256 executionFee,
        address receiver
    ) external onlyDelegated nonReentrant {
        if (receiver == address(0)) revert ZeroReceiver();
        Position memory p = _ownedOpenPosition(positionId);
        Context memory c = _orderContext(p.marketId);
        _clearStale(positionId, p, c);
        if (_closes[positionId].kind != OrderKind.None) revert ClosePending(positionId);
        Order memory o = _newOrder(OrderKind.Close, c, deadline, executionFee, 0, acceptablePrice);
        // The owner is stored as zero: a slot left empty costs no write.
        if (receiver != msg.sender) o.receiver = receiver;

        // A pending order whose round does not exist yet is replaced: the close must not wait behind it. One whose
        // round exists executes first.
        Order memory pending = _orders[positionId];
        if (pending.kind != OrderKind.None && _verdict(pending, c).action == WAIT) {
            _cancel(positionId, p, _popOrder(positionId, false), CancelReason.Replaced, false);
        }
        _closes[positionId] = o;
        _emitRequested(positionId, p, o);

        _pullExact(p.vault, executionFee);
    }

    // ================================================================ execution

    /// @inheritdoc IMarginEngineOrders
    function executeOrder(uint256 positionId) external onlyDelegated nonReentrant {
        MarketRead[] memory reads = new MarketRead[](_marketCount);
        if (!_executeNext(positionId, reads)) revert OrderNotReady(positionId);
        // The close behind an executed order may be due at the same round.
        _executeNext(positionId, reads);
    }

    /// @inheritdoc IMarginEngineOrders
    function executeOrders(
        uint256[] calldata positionIds
    ) external onlyDelegated nonReentrant returns (uint256 executed) {
        MarketRead[] memory reads = new MarketRead[](_marketCount);
        for (uint256 i; i < positionIds.length; ++i) {
            if (!_executeNext(positionIds[i], reads)) continue;
            ++executed;
            if (_executeNext(positionIds[i], reads)) ++executed;
        }
    }

    /// @inheritdoc IMarginEngineOrders
    function cancelOrder(uint256 positionId) external onlyDelegated nonReentrant {
        Position memory p = _positions[positionId];
        (Order memory o, ) = _nextOrder(positionId);
        if (o.kind == OrderKind.None) revert NoPendingOrder(positionId);
        if (!_clearStale(positionId, p, _orderContext(p.marketId))) revert OrderStillExecutable(positionId);
    }

    /// @dev Executes or ends the position's next pending order if it can; returns whether it did anything. Rule 3:
    /// outside grace, a position liquidatable at the latest good price is liquidated instead. Rule 16: an open or
    /// increase whose round falls inside a grace period is cancelled. Rule 6: a price or margin failure pays the
    /// executor; pause, grace and capacity failures (which an executor can time) refund the trader in full.
    function _executeNext(uint256 positionId, MarketRead[] memory reads) internal returns (bool) {
        Position memory p = _positions[positionId];
        if (p.owner == address(0)) return false;
        (Order memory o, bool isClose) = _nextOrder(positionId);
        if (o.kind == OrderKind.None) return false;
        MarketRead memory m = reads[p.marketId];
        if (!m.loaded) {
            (m.priced, m.c) = _tryLoad(p.marketId);
            m.loaded = true;
        }
        (bool priced, Context memory c) = (m.priced, m.c);
        Verdict memory v = _verdict(o, c);
        if (v.action == CANCEL) {
            _cancel(positionId, p, _popOrder(positionId, isClose), v.reason, false);
            return true;
        }
        // No round yet, or no good latest price to check the position against: wait (the window may run out).
        if (v.action == WAIT || !priced) return false;

        uint256 resumesAt = _graceAsOf(m, v.updatedAt);
        if (p.size != 0 && resumesAt <= block.timestamp) {
            (bool isLiquidatable, , , ) = _split(p, c, c.price);
            if (isLiquidatable) {
                _liquidateForOrder(positionId);
                return true;
            }
        }
        _popOrder(positionId, isClose);
        (bool ok, CancelReason reason) = (true, CancelReason.Expired);
        if (o.kind == OrderKind.Open || o.kind == OrderKind.Increase) {
            // Inside a grace period at the round's own time, and so now too (rule 16).
            if (v.updatedAt < resumesAt) {
                (ok, reason) = (false, CancelReason.GracePeriod);
            } else if (!_addsRiskAllowed(c)) (ok, reason) = (false, CancelReason.Paused);
            else if (o.kind == OrderKind.Open) (ok, reason) = _executeOpen(positionId, p, o, c, v.price);
            else (ok, reason) = _executeIncrease(positionId, p, o, c, v.price);
        } else if (o.kind == OrderKind.Decrease) {
            (ok, reason) = _executeDecrease(positionId, p, o, c, v.price);
        } else {
            (ok, reason) = _executeClose(positionId, p, o, c, v.price);
        }
        if (!ok) {
            _cancel(positionId, p, o, reason, reason == CancelReason.PriceBound || reason == CancelReason.Margin);
            return true;
        }
        emit OrderExecuted(positionId, o.kind, msg.sender, v.roundId, v.price, o.executionFee);
        if (o.executionFee != 0) IPositionVault(p.vault).pay(msg.sender, o.executionFee);
        return true;
    }

    /// @dev What one call has read of a market, so that a batch reads each market once: its context, and the grace
    /// answer for the last execution-round time asked (`graceAsOf` is that time + 1; zero: none yet). Nothing a batch
    /// does changes them: the block, the prices and the parameters stay.
    struct MarketRead {
        bool loaded;
        bool priced;
        Context c;
        uint256 graceAsOf;
        uint256 resumesAt;
    }

    /// @dev When liquidations and risk-adding operations resume, looking back from `roundTime`. One look back over the
    /// feed's rounds serves both grace questions of an execution: whether liquidations run now, and whether the
    /// order's round fell inside a grace period (rule 16). Looking back from the round's time finds the same latest
    /// outage as from now, or an older one whose grace ended before now.
    function _graceAsOf(MarketRead memory m, uint256 roundTime) internal view returns (uint256) {
        if (m.graceAsOf != roundTime + 1) (m.graceAsOf, m.resumesAt) = (roundTime + 1, _resumesAtAsOf(m.c, roundTime));
        return m.resumesAt;
    }

    // The `_execute…` functions return whether the order traded and, if not, why (the reason is unused when it did).

    /// @dev Opens the position at `price`: the opening fee comes out of the escrowed collateral.
    function _executeOpen(
        uint256 positionId,
        Position memory p,
        Order memory o,
        Context memory c,
        uint256 price
    ) internal returns (bool, CancelReason) {
        if (!_withinBound(p.isLong, true, price, o.acceptablePrice)) return (false, CancelReason.PriceBound);
        uint256 fee = PositionMath.ratioOfNotionalUp(o.sizeDelta, price, c.market.openFeeRatio, SCALE);
        if (fee > o.collateralDelta) return (false, CancelReason.Margin);
        Position memory n = _copy(p);
        n.collateral = uint96(o.collateralDelta - fee);
        n.size = o.sizeDelta;
        n.entryPrice = price.toUint128();
        n.borrowIndex = _index(c.state, p.isLong);
        n.maxProfit = _capOf(n.collateral, n.size, price, c).toUint96();
        (bool ok, CancelReason reason) = _admit(positionId, p, n, c, price);
        if (!ok) return (false, reason);
        emit PositionOpened(
            positionId,
            p.owner,
            p.marketId,
            p.isLong,
            p.vault,
            n.size,
            price,
            n.collateral,
            fee,
            n.maxProfit,
            p.keeperReserve
        );

        if (fee != 0) IPositionVault(p.vault).pay(address(POOL), fee);
        return (true, reason);
    }

    /// @dev Adds size (and the escrowed collateral) at `price`. The borrow fee and the opening fee come out of the
    /// collateral. The cap grows only by what the increase brings; profit beyond the old cap is not carried into the
    /// new entry price (rule 9).
    function _executeIncrease(
        uint256 positionId,
        Position memory p,
        Order memory o,
        Context memory c,
        uint256 price
    ) internal returns (bool, CancelReason) {
        if (!_withinBound(p.isLong, true, price, o.acceptablePrice)) return (false, CancelReason.PriceBound);
        uint256 fees =
            _borrowFee(p, c) + PositionMath.ratioOfNotionalUp(o.sizeDelta, price, c.market.openFeeRatio, SCALE);
        uint256 total = uint256(p.collateral) + o.collateralDelta;
        if (fees > total) return (false, CancelReason.Margin);
        Position memory n = _copy(p);
        n.collateral = (total - fees).toUint96();
        n.size = (uint256(p.size) + o.sizeDelta).toUint128();
        n.entryPrice = PositionMath
            .entryAfterIncrease(p.isLong, p.size, p.entryPrice, o.sizeDelta, price, p.maxProfit, SCALE)
            .toUint128();
        n.borrowIndex = _index(c.state, p.isLong);
        n.maxProfit = (p.maxProfit + _capOf(o.collateralDelta, o.sizeDelta, price, c)).toUint96();
        (bool ok, CancelReason reason) = _admit(positionId, p, n, c, price);
        if (!ok) return (false, reason);
        emit PositionIncreased(
            positionId,
            o.sizeDelta,
            o.collateralDelta,
            price,
            n.size,
            n.entryPrice,
            n.collateral,
            fees,
            n.maxProfit
        );

        if (fees != 0) IPositionVault(p.vault).pay(address(POOL), fees);
        return (true, reason);
    }

    /// @dev Records `n` in place of `p` if it meets the rules of a position that adds risk (margin at the round's
    /// and the latest price, minimums) and the pool can carry it; else says why not, changing nothing.
    function _admit(
        uint256 positionId,
        Position memory p,
        Position memory n,
        Context memory c,
        uint256 price
    ) internal returns (bool, CancelReason) {
        if (!_meetsOpenRules(n, c, price)) return (false, CancelReason.Margin);
        if (!_fits(p, n, c)) return (false, CancelReason.Capacity);
        _account(p, n);
        _positions[positionId] = n;
        return (true, CancelReason.Expired);
    }

    /// @dev Closes `sizeDelta` at `price`: the closed part's pnl under its share of the cap (rounded down) and every
    /// owed fee are settled with the pool; its share of the collateral, less a loss, goes to the receiver. What stays
    /// must keep maintenance margin, the minimum collateral and the minimum notional.
    function _executeDecrease(
        uint256 positionId,
        Position memory p,
        Order memory o,
        Context memory c,
        uint256 price
    ) internal returns (bool, CancelReason) {
        if (!_withinBound(p.isLong, false, price, o.acceptablePrice)) return (false, CancelReason.PriceBound);
        if (o.sizeDelta >= p.size) return (false, CancelReason.Margin);
        Decrease memory d;
        uint256 remaining = p.size - o.sizeDelta;
        d.keptMaxProfit = Math.mulDiv(p.maxProfit, remaining, p.size, Math.Rounding.Ceil);
        d.pnl = PositionMath.pnl(p.isLong, o.sizeDelta, p.entryPrice, price, p.maxProfit - d.keptMaxProfit, SCALE);
        d.fees = _borrowFee(p, c) + PositionMath.ratioOfNotionalUp(o.sizeDelta, price, c.market.closeFeeRatio, SCALE);
        // The closed part's share of the collateral is rounded down.
        uint256 collateralOut = Math.mulDiv(p.collateral, o.sizeDelta, p.size);
        d.settlement = d.pnl - d.fees.toInt256();
        int256 payoutSigned = collateralOut.toInt256() + d.settlement;
        uint256 newCollateral = p.collateral - collateralOut;
        if (payoutSigned < 0) {
            if (uint256(-payoutSigned) > newCollateral) return (false, CancelReason.Margin);
            newCollateral -= uint256(-payoutSigned);
        } else {
            d.payout = uint256(payoutSigned);
        }
        Position memory rest = _copy(p);
        rest.collateral = uint96(newCollateral);
        rest.size = uint128(remaining);
        rest.borrowIndex = _index(c.state, p.isLong);
        rest.maxProfit = uint96(d.keptMaxProfit);
        if (!_remainsSound(rest, c, price)) return (false, CancelReason.Margin);

        _account(p, rest);
        _positions[positionId] = rest;
        emit PositionDecreased(
            positionId,
            o.sizeDelta,
            price,
            d.pnl,
            d.fees,
            d.payout,
            remaining,
            newCollateral,
            d.keptMaxProfit,
            _receiverOf(o, p)
        );

        if (d.settlement > 0) POOL.pay(p.vault, uint256(d.settlement));
        else if (d.settlement < 0) IPositionVault(p.vault).pay(address(POOL), uint256(-d.settlement));
        _payOut(positionId, p.vault, p.owner, _receiverOf(o, p), d.payout);
        return (true, CancelReason.Expired);
    }

    /// @dev Closes the position at `price` with the liquidation split without keeper fee or penalty (rule 7): a
    /// deficit beyond the collateral is bad debt, covered by the insurance fund then the pool, and an unpaid closing
    /// fee is not bad debt. What is left, keeper reserve included, goes to the receiver.
    function _executeClose(
        uint256 positionId,
        Position memory p,
        Order memory o,
        Context memory c,
        uint256 price
    ) internal returns (bool, CancelReason) {
        if (!_withinBound(p.isLong, false, price, o.acceptablePrice)) return (false, CancelReason.PriceBound);
        int256 pnl = PositionMath.pnl(p.isLong, p.size, p.entryPrice, price, p.maxProfit, SCALE);
        uint256 borrowFee = _borrowFee(p, c);
        PositionMath.LiquidationSplit memory split = PositionMath.liquidationSplit(
            p.collateral,
            pnl,
            borrowFee,
            PositionMath.ratioOfNotionalUp(p.size, price, c.market.closeFeeRatio, SCALE),
            0,
            0
        );
        _removePosition(positionId, p);
        uint256 payout = split.ownerRefund + p.keeperReserve;
        uint256 insuranceCover =
            split.badDebt == 0 ? 0 : Math.min(split.badDebt, ASSET.balanceOf(address(INSURANCE_FUND)));
        emit PositionClosed(
            positionId,
            p.owner,
            price,
            pnl,
            borrowFee + split.closeFee,
            payout,
            split.badDebt,
            _receiverOf(o, p)
        );

        // Flows between the protocol's own contracts first, so no outside account is paid while they are unsettled.
        if (split.fromPool != 0) POOL.pay(p.vault, split.fromPool);
        if (split.toPool != 0) IPositionVault(p.vault).pay(address(POOL), split.toPool);
        if (insuranceCover != 0) INSURANCE_FUND.cover(address(POOL), insuranceCover);
        _payOut(positionId, p.vault, p.owner, _receiverOf(o, p), payout);
        return (true, CancelReason.Expired);
    }

    // ================================================================ internals

    /// @dev A position after an open or increase: the minimum collateral and notional at the execution price, and
    /// initial margin both at the execution price and at the latest price (rule 3), so an order cannot open a
    /// position that the market has already moved against.
    function _meetsOpenRules(Position memory n, Context memory c, uint256 price) internal view returns (bool) {
        return
            n.collateral >= c.global.minCollateral &&
            _reachesMinNotional(n.size, price, c) &&
            _meetsInitialMargin(n, c, price) &&
            _meetsInitialMargin(n, c, c.price);
    }

    /// @dev Runs the liquidation module's code for a position found liquidatable (rule 3), still on the core's
    /// storage; its revert is this call's.
    function _liquidateForOrder(uint256 positionId) internal {
        Address.functionDelegateCall(
            IMarginEngine(address(this)).LIQUIDATION_MODULE(),
            abi.encodeCall(LiquidationModule.liquidateForOrder, (positionId))
        );
    }

    /// @dev What stays after a decrease keeps the minimum collateral and notional and is not liquidatable at `price`.
    function _remainsSound(Position memory rest, Context memory c, uint256 price) internal view returns (bool) {
        if (rest.collateral < c.global.minCollateral || !_reachesMinNotional(rest.size, price, c)) return false;
        (bool isLiquidatable, , , ) = _split(rest, c, price);
        return !isLiquidatable;
    }

    /// @dev A new order with the feed's latest round id, its effective deadline and its fee checked.
    function _newOrder(
        OrderKind kind,
        Context memory c,
        uint256 deadline,
        uint256 executionFee,
        uint256 sizeDelta,
        uint256 acceptablePrice
    ) internal view returns (Order memory o) {
        if (deadline <= block.timestamp) revert DeadlineExpired(deadline, block.timestamp);
        uint256 minFee = c.global.minExecutionFee;
        if (executionFee < minFee) revert ExecutionFeeTooLow(executionFee, minFee);
        o.kind = kind;
        // A market in settlement executes closes at its settlement price, without rounds.
        if (c.settlement == 0) o.roundId = _latestRoundId(c.market.feed);
        o.requestedAt = uint40(block.timestamp);
        o.deadline = uint40(Math.min(deadline, block.timestamp + c.market.maxOrderWait));
        o.executionFee = executionFee.toUint88();
        o.sizeDelta = sizeDelta.toUint128();
        // Any bound above the stored width means "no bound" (a long's `type(uint256).max`).
        o.acceptablePrice = uint128(Math.min(acceptablePrice, type(uint128).max));
    }

    /// @dev The feed's latest round id: an order executes at a later round. A feed that cannot answer takes no orders.
    function _latestRoundId(AggregatorV3Interface feed) internal view returns (uint80) {
        try feed.latestRoundData() returns (uint80 roundId, int256, uint256, uint256, uint80) {
            return roundId;
        } catch {
            revert IOracleErrors.NoPrice(address(feed));
        }
    }

    function _emitRequested(uint256 positionId, Position memory p, Order memory o) internal {
        emit OrderRequested(
            positionId,
            msg.sender,
            p.marketId,
            o.kind,
            p.isLong,
            o.sizeDelta,
            o.collateralDelta,
            o.acceptablePrice,
            o.deadline,
            o.executionFee,
            o.roundId,
            _receiverOf(o, p)
        );
    }

    /// @dev Opens and increases are refused while paused and in a market in settlement.
    function _checkAddsRisk(uint256 marketId, Context memory c) internal pure {
        if (c.paused) revert Paused();
        if (c.settlement != 0) revert MarketInSettlement(marketId);
    }

    /// @dev Longs opening or increasing and shorts closing want a low price; the others a high one.
    function _withinBound(
        bool isLong,
        bool adding,
        uint256 price,
        uint256 acceptablePrice
    ) internal pure returns (bool) {
        return isLong == adding ? price <= acceptablePrice : price >= acceptablePrice;
    }

    function _ownedOpenPosition(uint256 positionId) internal view returns (Position memory p) {
        p = _positions[positionId];
        if (p.owner != msg.sender) {
            if (p.owner == address(0)) revert UnknownPosition(positionId);
            revert NotPositionOwner(positionId, msg.sender);
        }
        if (p.size == 0) revert PositionNotOpen(positionId);
    }

    /// @dev Cancels, with a full refund, the position's pending orders that can no longer execute, so that an order
    /// nobody cancelled never blocks a new request.
    function _clearStale(uint256 positionId, Position memory p, Context memory c) internal returns (bool cancelled) {
        for (uint256 i; i < 2; ++i) {
            bool isClose = i == 1;
            Order memory o = isClose ? _closes[positionId] : _orders[positionId];
            if (o.kind == OrderKind.None) continue;
            Verdict memory v = _verdict(o, c);
            if (v.action != CANCEL) continue;
            _cancel(positionId, p, _popOrder(positionId, isClose), v.reason, false);
            cancelled = true;
            // A cancelled open ends the position: there is nothing behind it.
            if (o.kind == OrderKind.Open) return true;
        }
    }

    /// @dev Opens, increases and decreases wait for no other order; none may be requested beside a pending close.
    function _checkNoPendingOrder(uint256 positionId) internal view {
        if (_orders[positionId].kind != OrderKind.None) revert OrderPending(positionId);
        if (_closes[positionId].kind != OrderKind.None) revert ClosePending(positionId);
    }
}

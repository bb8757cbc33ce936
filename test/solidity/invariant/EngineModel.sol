// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CancelReason, Order, OrderKind, Position} from "../../../contracts/interfaces/IMarginEngine.sol";
import {MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {PositionMath} from "../../../contracts/libraries/PositionMath.sol";
import {HandlerState} from "./HandlerState.sol";

/// @title Invariant handler: the model of the engine
/// @notice What the engine must do, computed from the ghost state and the SPEC's rules with the engine's maths library
/// (`PositionMath`, the one source of the maths): when an order executes and at which round (rules 1–2), what an
/// execution, a cancellation, a liquidation or a take-profit pays each party (rules 3–7), and the exact-arithmetic
/// bounds every payout must keep (INV-6). Each model function updates the ghost state and the call's ledger as the
/// engine will update its storage and balances; the handler then makes the call and compares.
abstract contract EngineModel is HandlerState {
    /// @dev What an order can do now.
    uint8 internal constant WAIT = 0;
    uint8 internal constant READY = 1;
    uint8 internal constant CANCEL = 2;

    /// @notice An order's verdict: wait, execute at `price` (the answer of round `roundId`), or cancel for `reason`.
    struct Verdict {
        uint8 action;
        CancelReason reason;
        uint256 price;
        uint80 roundId;
        uint256 updatedAt;
    }

    /// @notice A position valued at a price: equity, maintenance and what a liquidation would pay.
    struct Valuation {
        uint256 price;
        uint256 indexDelta;
        int256 pnl;
        uint256 fees;
        int256 equity;
        uint256 maintenance;
        bool liquidatable;
        PositionMath.LiquidationSplit split;
        uint256 keeperReward;
    }

    // ================================================================ valuation

    function _shared(address executor) internal view returns (Shared memory sh) {
        sh.executor = executor;
        sh.poolEquity = s.pool.equityAssets();
        sh.insurance = _bal(address(s.insurance));
        sh.totalReserved = s.engine.totalReserved();
        sh.totalEntryNotional = s.engine.totalEntryNotional();
        sh.paused = ghostPaused;
        for (uint256 m; m < 2; ++m) {
            for (uint256 i; i < 2; ++i) {
                sh.sideNotional[m * 2 + i] = s.engine.sideState(m, i == 0).entryNotional;
                sh.index[m * 2 + i] = s.engine.borrowIndex(m, i == 0);
            }
            (sh.priced[m], sh.price[m]) = _latestPrice(m);
            if (sh.priced[m]) sh.resumesAt[m] = _resumesAt(m);
        }
    }

    /// @dev When liquidations and risk-adding operations resume in a market (SPEC "oracle trouble"), from the handler's
    /// own round log: the grace period after the latest outage, one that ended with the first good round after a gap
    /// longer than the heartbeat, seen among the rounds of the last `gracePeriod` seconds. As the engine documents, at
    /// most eight past rounds are inspected (a feed publishing that often is a fast market: the search fails open).
    /// Zero when no grace period was seen. The INV-4 invariant compares it with the engine's view.
    function _resumesAt(uint256 marketId) internal view returns (uint256) {
        return _resumesAtAsOf(marketId, block.timestamp);
    }

    /// @dev `_resumesAt` as of time `at`: the end of the grace period of an outage that ended within `gracePeriod`
    /// before `at`, searched back from the latest round (`at` lies inside a grace period iff it is earlier).
    function _resumesAtAsOf(uint256 marketId, uint256 at) internal view returns (uint256 resumesAt_) {
        Round[] storage log = _rounds[marketId];
        uint256 i = log.length - 1;
        uint256 updatedAt = log[i].at;
        uint256 since = at > gracePeriod ? at - gracePeriod : 0;
        for (uint256 k; k < 8 && updatedAt > since && i >= 1; ++k) {
            --i;
            if (log[i].answer <= 0 || log[i].at + _market[marketId].heartbeat < updatedAt) {
                resumesAt_ = updatedAt + gracePeriod;
                break;
            }
            updatedAt = log[i].at;
        }
    }

    /// @notice When a grace period in the market ends by the handler's round log (zero if none runs).
    function resumesAt(uint256 marketId) external view returns (uint256) {
        return _resumesAt(marketId);
    }

    /// @notice Whether the market has a good price now by the handler's round log.
    function priced(uint256 marketId) external view returns (bool ok) {
        (ok, ) = _latestPrice(marketId);
    }

    /// @notice The revert an operation needing a price gets in a market without one.
    function noPriceError(uint256 marketId) external view returns (bytes memory) {
        return _noPrice(marketId);
    }

    /// @notice A live position valued now, by the engine's maths.
    function value(uint256 id) public view returns (Valuation memory) {
        Position memory p = _pos[id];
        (, uint256 price) = _latestPrice(p.marketId);
        return _valueAt(p, price, s.engine.borrowIndex(p.marketId, p.isLong));
    }

    function _valueAt(Position memory p, uint256 price, uint256 index) internal view returns (Valuation memory v) {
        MarketParams memory m = _market[p.marketId];
        v.price = price;
        v.indexDelta = index - p.borrowIndex;
        v.pnl = PositionMath.pnl(p.isLong, p.size, p.entryPrice, price, p.maxProfit, SCALE);
        v.fees = PositionMath.borrowFee(p.size, p.entryPrice, v.indexDelta, SCALE);
        v.equity = PositionMath.equity(p.collateral, v.pnl, v.fees);
        v.maintenance = PositionMath.ratioOfNotionalUp(p.size, price, m.mmr, SCALE);
        v.liquidatable = v.equity < int256(v.maintenance);
        v.split = PositionMath.liquidationSplit(
            p.collateral,
            v.pnl,
            v.fees,
            PositionMath.ratioOfNotionalUp(p.size, price, m.closeFeeRatio, SCALE),
            PositionMath.ratioOfNotionalDown(p.size, price, m.liqFeeRatio, SCALE),
            PositionMath.ratioOfNotionalUp(p.size, price, m.liqPenaltyRatio, SCALE)
        );
        // Recorded amounts only: the keeper reserve this position deposited, never the vault's balance.
        v.keeperReward = p.keeperReserve + v.split.keeperFee;
    }

    /// @dev The cap `collateral` and `size` bring at `price`: min(maxProfitRatio × collateral, maxProfitNotionalRatio
    /// × notional), rounded down.
    function _capOf(
        uint256 collateral,
        uint256 size,
        uint256 price,
        MarketParams memory m
    ) internal pure returns (uint256) {
        return
            _min(
                (collateral * m.maxProfitRatio) / WAD,
                PositionMath.ratioOfNotionalDown(size, price, m.maxProfitNotionalRatio, SCALE)
            );
    }

    /// @dev Whether `size` at `price` (rounded down to asset units) reaches the minimum notional.
    function _reachesMinNotional(uint256 size, uint256 price) internal view returns (bool) {
        return PositionMath.toAssetsDown(PositionMath.notionalDown(size, price), SCALE) >= minNotional;
    }

    /// @dev Initial margin at `price`, counting losses only (unrealised profit is not margin), fees settled.
    function _meetsInitialMargin(Position memory n, uint256 price) internal view returns (bool) {
        int256 equity = PositionMath.equity(
            n.collateral,
            PositionMath.pnl(n.isLong, n.size, n.entryPrice, price, 0, SCALE),
            0
        );
        return equity >= int256(PositionMath.ratioOfNotionalUp(n.size, price, _market[n.marketId].imr, SCALE));
    }

    // ================================================================ order verdict (SPEC rules 1 and 2)

    /// @dev The execution round is the first one the handler published after the request (id above the recorded
    /// one, observed strictly after the request time). No round by the deadline, a round observed after the deadline,
    /// a missed execution window or a bad answer make the order cancellable with a full refund.
    function _verdict(Order memory o, uint256 marketId) internal view returns (Verdict memory v) {
        (bool found, Round memory r) = _firstRoundAfter(marketId, o.roundId, o.requestedAt);
        if (!found) {
            if (block.timestamp > o.deadline) return _cancelVerdict(CancelReason.Expired);
            return v;
        }
        if (r.at > o.deadline) return _cancelVerdict(CancelReason.Expired);
        if (block.timestamp > r.at + maxExecutionDelay) return _cancelVerdict(CancelReason.WindowMissed);
        if (r.answer <= 0) return _cancelVerdict(CancelReason.BadPrice);
        v.action = READY;
        v.price = uint256(r.answer) * 1e10;
        v.roundId = r.id;
        v.updatedAt = r.at;
    }

    function _cancelVerdict(CancelReason reason) internal pure returns (Verdict memory v) {
        v.action = CANCEL;
        v.reason = reason;
    }

    /// @dev The position's next pending order in request order: the open, increase or decrease, then the close.
    function _next(uint256 id) internal view returns (Order memory o, bool isClose) {
        isClose = _order[id].kind == OrderKind.None;
        o = isClose ? _close[id] : _order[id];
    }

    function _pop(uint256 id, bool isClose) internal {
        if (isClose) delete _close[id];
        else delete _order[id];
    }

    // ================================================================ execution (SPEC rules 3, 5, 6, 16)

    /// @dev One step of an execution: the position's next order executes, is cancelled, or waits; a position
    /// liquidatable at the latest price is liquidated instead (outside grace). Returns whether it did anything.
    function _step(uint256 id, Shared memory sh, Ledger memory l) internal returns (bool) {
        Position memory p = _pos[id];
        if (p.owner == address(0)) return false;
        (Order memory o, bool isClose) = _next(id);
        if (o.kind == OrderKind.None) return false;
        Verdict memory v = _verdict(o, p.marketId);
        if (v.action == CANCEL) {
            _pop(id, isClose);
            _cancelModel(id, p, o, v.reason, false, sh, l);
            return true;
        }
        // No round yet, or no good latest price to check the position against: the order waits.
        if (v.action == WAIT || !sh.priced[p.marketId]) return false;
        if (p.size != 0 && sh.resumesAt[p.marketId] <= block.timestamp) {
            Valuation memory now_ = _valueAt(p, sh.price[p.marketId], sh.index[_side(p.marketId, p.isLong)]);
            if (now_.liquidatable) {
                _liquidateModel(id, sh, l);
                _count("execute.liquidatedInstead");
                return true;
            }
        }
        _pop(id, isClose);
        (bool ok, CancelReason reason) = _trade(id, p, o, v, sh, l);
        if (!ok) {
            // Rule 6: price and margin failures pay the executor; the others (which an executor can time) do not.
            _cancelModel(id, p, o, reason, reason == CancelReason.PriceBound || reason == CancelReason.Margin, sh, l);
            return true;
        }
        _expectExecuted(l, id, o, p.marketId, sh.executor, v.roundId, v.price);
        _move(l, sh, p.vault, sh.executor, o.executionFee);
        _earn(sh.executor, p.owner, o.executionFee);
        return true;
    }

    function _trade(
        uint256 id,
        Position memory p,
        Order memory o,
        Verdict memory v,
        Shared memory sh,
        Ledger memory l
    ) internal returns (bool, CancelReason) {
        if (o.kind == OrderKind.Open || o.kind == OrderKind.Increase) {
            // Rule 16: risk is not added inside a grace period, now or at the round's own time, nor while paused.
            if (sh.resumesAt[p.marketId] > block.timestamp || v.updatedAt < _resumesAtAsOf(p.marketId, v.updatedAt)) {
                return (false, CancelReason.GracePeriod);
            }
            if (sh.paused) return (false, CancelReason.Paused);
            if (o.kind == OrderKind.Open) return _openModel(id, p, o, v.price, sh, l);
            return _increaseModel(id, p, o, v.price, sh, l);
        }
        if (o.kind == OrderKind.Decrease) return _decreaseModel(id, p, o, v.price, sh, l);
        return _closeModel(id, p, o, v.price, sh, l);
    }

    /// @dev Longs opening or increasing and shorts closing want a low price; the others a high one.
    function _withinBound(bool isLong, bool adding, uint256 price, uint256 bound) internal pure returns (bool) {
        return isLong == adding ? price <= bound : price >= bound;
    }

    /// @dev After an open or increase: minimum collateral and notional at the execution price, initial margin at the
    /// execution price and at the latest price (rule 3).
    function _meetsOpenRules(Position memory n, uint256 price, Shared memory sh) internal view returns (bool) {
        return
            n.collateral >= minCollateral &&
            _reachesMinNotional(n.size, price) &&
            _meetsInitialMargin(n, price) &&
            _meetsInitialMargin(n, sh.price[n.marketId]);
    }

    function _openModel(
        uint256 id,
        Position memory p,
        Order memory o,
        uint256 price,
        Shared memory sh,
        Ledger memory l
    ) internal returns (bool, CancelReason) {
        if (!_withinBound(p.isLong, true, price, o.acceptablePrice)) return (false, CancelReason.PriceBound);
        MarketParams memory m = _market[p.marketId];
        uint256 fee = PositionMath.ratioOfNotionalUp(o.sizeDelta, price, m.openFeeRatio, SCALE);
        if (fee > o.collateralDelta) return (false, CancelReason.Margin);
        Position memory n = _copy(p);
        n.collateral = uint96(o.collateralDelta - fee);
        n.size = o.sizeDelta;
        n.entryPrice = uint128(price);
        n.borrowIndex = uint96(sh.index[_side(p.marketId, p.isLong)]);
        n.maxProfit = uint96(_capOf(n.collateral, n.size, price, m));
        if (!_meetsOpenRules(n, price, sh)) return (false, CancelReason.Margin);
        if (!_fits(p, n, sh)) return (false, CancelReason.Capacity);

        _account(p, n, sh);
        _pos[id] = n;
        _move(l, sh, p.vault, address(s.pool), fee);
        // INV-6: the fee charged is at least the exact fee.
        uint256 feeExact = uint256(o.sizeDelta) * price * m.openFeeRatio;
        _check(fee * DEN >= feeExact, "INV-6", "open: fee below the exact fee");
        exactPoolNum += int256(feeExact);
        return (true, CancelReason.Expired);
    }

    function _increaseModel(
        uint256 id,
        Position memory p,
        Order memory o,
        uint256 price,
        Shared memory sh,
        Ledger memory l
    ) internal returns (bool, CancelReason) {
        if (!_withinBound(p.isLong, true, price, o.acceptablePrice)) return (false, CancelReason.PriceBound);
        uint256 indexDelta = sh.index[_side(p.marketId, p.isLong)] - p.borrowIndex;
        uint256 fees =
            PositionMath.borrowFee(p.size, p.entryPrice, indexDelta, SCALE) +
                PositionMath.ratioOfNotionalUp(o.sizeDelta, price, _market[p.marketId].openFeeRatio, SCALE);
        if (fees > uint256(p.collateral) + o.collateralDelta) return (false, CancelReason.Margin);
        Position memory n = _increased(p, o, price, fees, sh);
        if (!_meetsOpenRules(n, price, sh)) return (false, CancelReason.Margin);
        if (!_fits(p, n, sh)) return (false, CancelReason.Capacity);

        _account(p, n, sh);
        _pos[id] = n;
        _move(l, sh, p.vault, address(s.pool), fees);
        uint256 feesExact =
            uint256(p.size) * p.entryPrice * indexDelta +
                uint256(o.sizeDelta) * price * _market[p.marketId].openFeeRatio;
        _check(fees * DEN >= feesExact, "INV-6", "increase: fees below the exact fees");
        exactPoolNum += int256(feesExact);
        return (true, CancelReason.Expired);
    }

    /// @dev The position after an increase: fees out of the collateral, entry per rule 9, fees settled, the cap grown
    /// only by what the increase itself brings (sticky).
    function _increased(
        Position memory p,
        Order memory o,
        uint256 price,
        uint256 fees,
        Shared memory sh
    ) internal view returns (Position memory n) {
        n = _copy(p);
        n.collateral = uint96(uint256(p.collateral) + o.collateralDelta - fees);
        n.size = p.size + o.sizeDelta;
        n.entryPrice = uint128(
            PositionMath.entryAfterIncrease(p.isLong, p.size, p.entryPrice, o.sizeDelta, price, p.maxProfit, SCALE)
        );
        n.borrowIndex = uint96(sh.index[_side(p.marketId, p.isLong)]);
        n.maxProfit = uint96(p.maxProfit + _capOf(o.collateralDelta, o.sizeDelta, price, _market[p.marketId]));
    }

    /// @notice The amounts of a decrease, asset units.
    struct DecreaseCase {
        uint256 index;
        uint256 remaining;
        uint256 keptMaxProfit;
        int256 pnl;
        uint256 fees;
        int256 settlement;
        uint256 collateralOut;
        uint256 newCollateral;
        uint256 payout;
    }

    function _decreaseModel(
        uint256 id,
        Position memory p,
        Order memory o,
        uint256 price,
        Shared memory sh,
        Ledger memory l
    ) internal returns (bool, CancelReason) {
        if (!_withinBound(p.isLong, false, price, o.acceptablePrice)) return (false, CancelReason.PriceBound);
        if (o.sizeDelta >= p.size) return (false, CancelReason.Margin);
        MarketParams memory m = _market[p.marketId];
        DecreaseCase memory d;
        d.index = sh.index[_side(p.marketId, p.isLong)];
        d.remaining = p.size - o.sizeDelta;
        d.keptMaxProfit = _divUp(uint256(p.maxProfit) * d.remaining, p.size);
        d.pnl = PositionMath.pnl(p.isLong, o.sizeDelta, p.entryPrice, price, p.maxProfit - d.keptMaxProfit, SCALE);
        d.fees =
            PositionMath.borrowFee(p.size, p.entryPrice, d.index - p.borrowIndex, SCALE) +
            PositionMath.ratioOfNotionalUp(o.sizeDelta, price, m.closeFeeRatio, SCALE);
        d.collateralOut = (uint256(p.collateral) * o.sizeDelta) / p.size;
        d.settlement = d.pnl - int256(d.fees);
        int256 payoutSigned = int256(d.collateralOut) + d.settlement;
        d.newCollateral = p.collateral - d.collateralOut;
        if (payoutSigned < 0) {
            if (uint256(-payoutSigned) > d.newCollateral) return (false, CancelReason.Margin);
            d.newCollateral -= uint256(-payoutSigned);
        } else {
            d.payout = uint256(payoutSigned);
        }
        Position memory rest = _copy(p);
        rest.collateral = uint96(d.newCollateral);
        rest.size = uint128(d.remaining);
        rest.borrowIndex = uint96(d.index);
        rest.maxProfit = uint96(d.keptMaxProfit);
        if (d.newCollateral < minCollateral || !_reachesMinNotional(d.remaining, price)) {
            return (false, CancelReason.Margin);
        }
        if (_valueAt(rest, price, d.index).liquidatable) return (false, CancelReason.Margin);

        _account(p, rest, sh);
        _pos[id] = rest;
        if (d.settlement > 0) _move(l, sh, address(s.pool), p.vault, uint256(d.settlement));
        else _move(l, sh, p.vault, address(s.pool), uint256(-d.settlement));
        _payOutModel(id, p, o.receiver, d.payout, sh, l);
        _decreaseExact(p, o, price, d);
        return (true, CancelReason.Expired);
    }

    /// @dev INV-6 for a decrease: the pool's flow is at least, and the payout at most, what exact arithmetic gives. The
    /// closed part's exact profit cap (maxProfit·sizeDelta/size) is bounded above by its ceiling, which only loosens
    /// the check.
    function _decreaseExact(Position memory p, Order memory o, uint256 price, DecreaseCase memory d) internal {
        MarketParams memory m = _market[p.marketId];
        uint256 capUpper = _divUp(uint256(p.maxProfit) * o.sizeDelta, p.size);
        int256 settlementExact =
            _exactPnl(p.isLong, o.sizeDelta, p.entryPrice, price, capUpper) -
                int256(
                    uint256(p.size) * p.entryPrice * (d.index - p.borrowIndex) +
                        uint256(o.sizeDelta) * price * m.closeFeeRatio
                );
        _check(-d.settlement * int256(DEN) >= -settlementExact, "INV-6", "decrease: pool got less than exact");
        exactPoolNum -= settlementExact;
        int256 payoutExact = int256(_divUp(uint256(p.collateral) * o.sizeDelta, p.size) * DEN) + settlementExact;
        uint256 payoutExactPos = payoutExact > 0 ? uint256(payoutExact) : 0;
        _check(d.payout * DEN <= payoutExactPos, "INV-6", "decrease: payout above exact");
        callerPaid += d.payout;
        callerPaidExactNum += payoutExactPos;
    }

    /// @notice The amounts of a close or take-profit, asset units.
    struct CloseCase {
        uint256 indexDelta;
        uint256 insuranceBefore;
        PositionMath.LiquidationSplit split;
        uint256 cover;
        uint256 payout;
    }

    /// @dev Rule 7: the liquidation split without keeper fee or penalty; bad debt is what the collateral cannot pay
    /// of the pnl and borrow fee (an unpaid closing fee is not bad debt); the receiver gets the rest and the keeper
    /// reserve.
    function _closeModel(
        uint256 id,
        Position memory p,
        Order memory o,
        uint256 price,
        Shared memory sh,
        Ledger memory l
    ) internal returns (bool, CancelReason) {
        if (!_withinBound(p.isLong, false, price, o.acceptablePrice)) return (false, CancelReason.PriceBound);
        MarketParams memory m = _market[p.marketId];
        CloseCase memory c;
        c.indexDelta = sh.index[_side(p.marketId, p.isLong)] - p.borrowIndex;
        c.split = PositionMath.liquidationSplit(
            p.collateral,
            PositionMath.pnl(p.isLong, p.size, p.entryPrice, price, p.maxProfit, SCALE),
            PositionMath.borrowFee(p.size, p.entryPrice, c.indexDelta, SCALE),
            PositionMath.ratioOfNotionalUp(p.size, price, m.closeFeeRatio, SCALE),
            0,
            0
        );
        _removeModel(id, p, sh);
        c.payout = c.split.ownerRefund + p.keeperReserve;
        c.insuranceBefore = sh.insurance;
        c.cover = c.split.badDebt == 0 ? 0 : _min(c.split.badDebt, sh.insurance);
        _move(l, sh, address(s.pool), p.vault, c.split.fromPool);
        _move(l, sh, p.vault, address(s.pool), c.split.toPool);
        _move(l, sh, address(s.insurance), address(s.pool), c.cover);
        _payOutModel(id, p, o.receiver, c.payout, sh, l);
        _closeExact(p, price, c);
        if (c.split.badDebt != 0) _sawBadDebt();
        return (true, CancelReason.Expired);
    }

    /// @dev INV-6 for a close: the pool's flow at least, the payout at most, the exact figures.
    function _closeExact(Position memory p, uint256 price, CloseCase memory c) internal {
        int256 settlementExact =
            _exactPnl(p.isLong, p.size, p.entryPrice, price, p.maxProfit) -
                int256(uint256(p.size) * p.entryPrice * c.indexDelta);
        int256 equityExact = int256(uint256(p.collateral) * DEN) + settlementExact;
        int256 poolFlowExact;
        int256 ownerExact;
        if (equityExact < 0) {
            poolFlowExact =
                int256(uint256(p.collateral) * DEN) + _minInt(-equityExact, int256(c.insuranceBefore * DEN));
        } else {
            int256 closeFeeExact = _minInt(
                int256(uint256(p.size) * price * _market[p.marketId].closeFeeRatio),
                equityExact
            );
            poolFlowExact = closeFeeExact - settlementExact;
            ownerExact = equityExact - closeFeeExact;
        }
        int256 poolFlow = int256(c.split.toPool + c.cover) - int256(c.split.fromPool);
        _check(poolFlow * int256(DEN) >= poolFlowExact, "INV-6", "close: pool got less than exact");
        _check(int256(c.split.ownerRefund * DEN) <= ownerExact, "INV-6", "close: owner paid more than exact");
        exactPoolNum += poolFlowExact;
        callerPaid += c.split.ownerRefund;
        callerPaidExactNum += uint256(ownerExact);
    }

    // ================================================================ cancellation, payouts, bookkeeping

    /// @dev Ends a popped order without trading: its escrow back to the owner, except the execution fee when the
    /// executor is paid. A cancelled open also returns the keeper reserve and ends the position, freeing its vault.
    function _cancelModel(
        uint256 id,
        Position memory p,
        Order memory o,
        CancelReason reason,
        bool executorPaid,
        Shared memory sh,
        Ledger memory l
    ) internal {
        uint256 executorFee = executorPaid ? o.executionFee : 0;
        uint256 refund = o.collateralDelta + o.executionFee - executorFee;
        if (o.kind == OrderKind.Open) {
            refund += p.keeperReserve;
            _removeModel(id, p, sh);
        }
        _expectCancelled(l, id, o, reason, sh.executor, refund, executorFee);
        _move(l, sh, p.vault, sh.executor, executorFee);
        _earn(sh.executor, p.owner, executorFee);
        _payOutModel(id, p, p.owner, refund, sh, l);
    }

    /// @dev The engine's `_clearStale`: the pending order, then the pending close, each cancelled with a full refund if
    /// it can no longer execute (a cancelled open ends the position). Returns whether any was.
    function _clearStaleModel(
        uint256 id,
        Position memory p,
        Shared memory sh,
        Ledger memory l
    ) internal returns (bool cancelled) {
        for (uint256 i; i < 2; ++i) {
            bool isClose = i == 1;
            Order memory o = isClose ? _close[id] : _order[id];
            if (o.kind == OrderKind.None) continue;
            Verdict memory v = _verdict(o, p.marketId);
            if (v.action != CANCEL) continue;
            _pop(id, isClose);
            _cancelModel(id, p, o, v.reason, false, sh, l);
            cancelled = true;
            if (o.kind == OrderKind.Open) return true;
        }
    }

    /// @dev Rule 6: a payout never reverts; one its recipient cannot receive moves to the engine as the owner's claim.
    function _payOutModel(
        uint256 id,
        Position memory p,
        address to,
        uint256 amount,
        Shared memory sh,
        Ledger memory l
    ) internal {
        if (amount == 0) return;
        if (_blocked(to)) {
            _move(l, sh, p.vault, address(s.engine), amount);
            _recordClaim(id, p.owner, amount);
            _count("claimRecorded");
        } else {
            _move(l, sh, p.vault, to, amount);
        }
    }

    /// @dev Ends a position: out of the aggregates, record deleted, vault freed (last in, first out).
    function _removeModel(uint256 id, Position memory p, Shared memory sh) internal {
        Position memory none;
        if (p.size != 0) _account(p, none, sh);
        delete _pos[id];
        _removeLive(id);
        _freeVaults.push(p.vault);
    }

    /// @dev The aggregates an execution's capacity check reads, `from` replaced by `to`.
    function _account(Position memory from, Position memory to, Shared memory sh) internal pure {
        Position memory ref = to.size == 0 ? from : to;
        uint256 side = _side(ref.marketId, ref.isLong);
        uint256 fromNotional = PositionMath.notionalUp(from.size, from.entryPrice);
        uint256 toNotional = PositionMath.notionalUp(to.size, to.entryPrice);
        sh.sideNotional[side] = sh.sideNotional[side] + toNotional - fromNotional;
        sh.totalReserved = sh.totalReserved + to.maxProfit - from.maxProfit;
        sh.totalEntryNotional = sh.totalEntryNotional + toNotional - fromNotional;
    }

    /// @dev The side's open-interest cap, the pool's equity against every profit cap, and the utilisation bound.
    function _fits(Position memory from, Position memory to, Shared memory sh) internal view returns (bool) {
        MarketParams memory m = _market[to.marketId];
        uint256 fromNotional = PositionMath.notionalUp(from.size, from.entryPrice);
        uint256 toNotional = PositionMath.notionalUp(to.size, to.entryPrice);
        uint256 sideNotional = sh.sideNotional[_side(to.marketId, to.isLong)] + toNotional - fromNotional;
        if (sideNotional > (to.isLong ? m.maxOpenInterestLong : m.maxOpenInterestShort)) return false;
        if (sh.totalReserved + to.maxProfit - from.maxProfit > sh.poolEquity) return false;
        uint256 limit = (sh.poolEquity * SCALE * maxUtilization) / WAD;
        return sh.totalEntryNotional + toNotional - fromNotional <= limit;
    }

    function _copy(Position memory p) internal pure returns (Position memory) {
        return abi.decode(abi.encode(p), (Position));
    }

    // ================================================================ liquidation and take-profit (SPEC rule 7)

    /// @dev Liquidates at the latest price: pending orders cancelled with a full refund first, then the split of the
    /// recorded collateral; the keeper gets the recorded keeper reserve and the liquidation fee.
    function _liquidateModel(uint256 id, Shared memory sh, Ledger memory l) internal {
        Position memory p = _pos[id];
        Valuation memory v = _valueAt(p, sh.price[p.marketId], sh.index[_side(p.marketId, p.isLong)]);
        _cancelPending(id, p, sh, l);
        _removeModel(id, p, sh);
        uint256 insuranceBefore = sh.insurance;
        uint256 cover = v.split.badDebt == 0 ? 0 : _min(v.split.badDebt, sh.insurance);
        _move(l, sh, address(s.pool), p.vault, v.split.fromPool);
        _move(l, sh, p.vault, address(s.pool), v.split.toPool);
        _move(l, sh, address(s.insurance), address(s.pool), cover);
        _move(l, sh, p.vault, address(s.insurance), v.split.penalty);
        _move(l, sh, p.vault, sh.executor, v.keeperReward);
        _earn(sh.executor, p.owner, v.keeperReward);
        _payOutModel(id, p, p.owner, v.split.ownerRefund, sh, l);
        _liquidationExact(p, v, cover, insuranceBefore);
        if (v.split.badDebt != 0) _sawBadDebt();
    }

    function _cancelPending(uint256 id, Position memory p, Shared memory sh, Ledger memory l) internal {
        if (_order[id].kind != OrderKind.None) {
            Order memory o = _order[id];
            delete _order[id];
            _cancelModel(id, p, o, CancelReason.PositionClosed, false, sh, l);
        }
        if (_close[id].kind != OrderKind.None) {
            Order memory o = _close[id];
            delete _close[id];
            _cancelModel(id, p, o, CancelReason.PositionClosed, false, sh, l);
        }
    }

    /// @notice A liquidation's figures in exact arithmetic, × DEN.
    struct ExactSplit {
        int256 poolFlow;
        int256 keeper;
        int256 owner;
    }

    /// @dev INV-6 for a liquidation: the keeper (the caller) gets at most, and the pool at least, the exact figures.
    /// The owner keeps the residual; it can exceed the exact residual by the keeper fee's downward rounding (< 2
    /// units), which comes out of the keeper's share, never the pool's.
    function _liquidationExact(Position memory p, Valuation memory v, uint256 cover, uint256 insuranceBefore) internal {
        ExactSplit memory x = _exactLiquidation(p, v, insuranceBefore);
        int256 poolFlow = int256(v.split.toPool + cover) - int256(v.split.fromPool);
        _check(poolFlow * int256(DEN) >= x.poolFlow, "INV-6", "liquidate: pool got less than exact");
        _check(int256(v.keeperReward * DEN) <= x.keeper, "INV-6", "liquidate: keeper paid more than exact");
        _check(
            int256(v.split.ownerRefund * DEN) <= x.owner + int256(2 * DEN),
            "INV-6",
            "liquidate: owner refund above exact"
        );
        exactPoolNum += x.poolFlow;
        callerPaid += v.keeperReward;
        callerPaidExactNum += uint256(x.keeper);
    }

    /// @dev The split in exact arithmetic: out of the equity, in turn and each capped by what is left, the closing fee,
    /// the keeper fee, the penalty, and the rest to the owner; below zero equity the pool takes the collateral and the
    /// insurance fund's cover.
    function _exactLiquidation(
        Position memory p,
        Valuation memory v,
        uint256 insuranceBefore
    ) internal view returns (ExactSplit memory x) {
        MarketParams memory m = _market[p.marketId];
        int256 settlementExact =
            _exactPnl(p.isLong, p.size, p.entryPrice, v.price, p.maxProfit) -
                int256(uint256(p.size) * p.entryPrice * v.indexDelta);
        int256 left = int256(uint256(p.collateral) * DEN) + settlementExact;
        x.keeper = int256(uint256(p.keeperReserve) * DEN);
        if (left < 0) {
            x.poolFlow = int256(uint256(p.collateral) * DEN) + _minInt(-left, int256(insuranceBefore * DEN));
            return x;
        }
        uint256 notionalTimesWad = uint256(p.size) * v.price;
        int256 closeFeeExact = _minInt(int256(notionalTimesWad * m.closeFeeRatio), left);
        left -= closeFeeExact;
        int256 keeperFeeExact = _minInt(int256(notionalTimesWad * m.liqFeeRatio), left);
        left -= keeperFeeExact;
        x.owner = left - _minInt(int256(notionalTimesWad * m.liqPenaltyRatio), left);
        x.keeper += keeperFeeExact;
        x.poolFlow = closeFeeExact - settlementExact;
    }

    /// @dev Whether the position's pnl at the latest price has reached its cap.
    function _atCap(Position memory p, uint256 price) internal pure returns (bool, int256 uncapped) {
        uncapped = PositionMath.pnl(p.isLong, p.size, p.entryPrice, price, type(uint256).max, SCALE);
        return (uncapped >= int256(uint256(p.maxProfit)), uncapped);
    }

    /// @dev Closes at the cap: pending orders refunded first; the pool pays the cap less fees (or collects what the
    /// fees exceed it by, from the collateral, the rest being bad debt); the executor gets the keeper reserve; the
    /// owner the rest.
    function _takeProfitModel(uint256 id, Shared memory sh, Ledger memory l) internal {
        Position memory p = _pos[id];
        uint256 price = sh.price[p.marketId];
        CloseCase memory c;
        c.indexDelta = sh.index[_side(p.marketId, p.isLong)] - p.borrowIndex;
        uint256 fees =
            PositionMath.borrowFee(p.size, p.entryPrice, c.indexDelta, SCALE) +
                PositionMath.ratioOfNotionalUp(p.size, price, _market[p.marketId].closeFeeRatio, SCALE);
        _cancelPending(id, p, sh, l);
        _removeModel(id, p, sh);
        if (fees > p.maxProfit) {
            uint256 owed = fees - p.maxProfit;
            c.split.toPool = _min(owed, p.collateral);
            c.split.badDebt = owed - c.split.toPool;
        } else {
            c.split.fromPool = p.maxProfit - fees;
        }
        c.payout = p.collateral + c.split.fromPool - c.split.toPool;
        c.insuranceBefore = sh.insurance;
        c.cover = c.split.badDebt == 0 ? 0 : _min(c.split.badDebt, sh.insurance);
        _move(l, sh, address(s.pool), p.vault, c.split.fromPool);
        _move(l, sh, p.vault, address(s.pool), c.split.toPool);
        _move(l, sh, address(s.insurance), address(s.pool), c.cover);
        _move(l, sh, p.vault, sh.executor, p.keeperReserve);
        _earn(sh.executor, p.owner, p.keeperReserve);
        _payOutModel(id, p, p.owner, c.payout, sh, l);
        _takeProfitExact(p, price, c);
        if (c.split.badDebt != 0) _sawBadDebt();
    }

    /// @dev INV-6 for a take-profit: pool flow at least, owner payout at most, the exact figures (the cap is paid
    /// exactly).
    function _takeProfitExact(Position memory p, uint256 price, CloseCase memory c) internal {
        int256 settlementExact =
            int256(uint256(p.maxProfit) * DEN) -
                int256(
                    uint256(p.size) * p.entryPrice * c.indexDelta +
                        uint256(p.size) * price * _market[p.marketId].closeFeeRatio
                );
        int256 toPoolExact;
        int256 coverExact;
        int256 fromPoolExact;
        if (settlementExact < 0) {
            toPoolExact = _minInt(-settlementExact, int256(uint256(p.collateral) * DEN));
            coverExact = _minInt(-settlementExact - toPoolExact, int256(c.insuranceBefore * DEN));
        } else {
            fromPoolExact = settlementExact;
        }
        int256 poolFlowExact = toPoolExact + coverExact - fromPoolExact;
        int256 poolFlow = int256(c.split.toPool + c.cover) - int256(c.split.fromPool);
        _check(poolFlow * int256(DEN) >= poolFlowExact, "INV-6", "takeProfit: pool got less than exact");
        uint256 payoutExact = uint256(int256(uint256(p.collateral) * DEN) - toPoolExact + fromPoolExact);
        _check(c.payout * DEN <= payoutExact, "INV-6", "takeProfit: owner paid more than exact");
        exactPoolNum += poolFlowExact;
        callerPaid += c.payout;
        callerPaidExactNum += payoutExact;
    }

    // ================================================================ INV-7 wealth

    /// @notice Everything `who` holds or is owed, valued generously (an upper bound of what it could take out): tokens;
    /// LP shares held, escrowed for it (claimable deposits, pending and cancelled redemptions) at the share price;
    /// pending, claimable and cancelled LP assets; per position it owns, the recorded collateral, keeper reserve and
    /// pending escrow, plus capped pnl less owed fees (never below minus the collateral); its claims in the engine.
    function wealth(address who) public view returns (uint256 total) {
        (uint256 assets, uint256 supply) = _sharePrice();
        return wealthAt(who, assets, supply);
    }

    /// @notice `wealth` with the share price given as (totalAssets + 1, totalSupply + virtual shares), the pool's own
    /// `convertToAssets` (rounded down), so that one valuation of the pool serves every account.
    function wealthAt(address who, uint256 assets, uint256 supply) public view returns (uint256 total) {
        total = _bal(who);
        total += (_lpShares(who) * assets) / supply;
        total +=
            s.pool.pendingDepositRequest(0, who) +
            s.pool.maxWithdraw(who) +
            s.pool.claimableCancelDepositRequest(0, who);
        for (uint256 i; i < _liveIds.length; ++i) {
            uint256 id = _liveIds[i];
            Position memory p = _pos[id];
            if (p.owner != who) continue;
            total += heldFor(id);
            if (p.size == 0) continue;
            Valuation memory v = value(id);
            int256 claim = v.pnl - int256(v.fees);
            if (claim < -int256(uint256(p.collateral))) claim = -int256(uint256(p.collateral));
            total = uint256(int256(total) + claim);
        }
        for (uint256 i; i < _claimIds.length; ++i) {
            if (ghostClaimOwner[_claimIds[i]] == who) total += ghostClaim[_claimIds[i]];
        }
    }
}

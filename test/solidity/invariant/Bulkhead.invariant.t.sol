// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Vm} from "forge-std/Vm.sol";

import {LiquidationPreview, MarketStatus, OrderState} from "../../../contracts/interfaces/IBulkheadLens.sol";
import {
    CancelReason,
    IMarginEngineBase,
    Order,
    OrderKind,
    OrderStatus,
    Position,
    SideState
} from "../../../contracts/interfaces/IMarginEngine.sol";
import {GlobalParams, LpParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {PositionMath} from "../../../contracts/libraries/PositionMath.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {IMockFeed} from "../utils/Artifacts.sol";
import {EngineModel} from "./EngineModel.sol";
import {System} from "./HandlerState.sol";
import {LpActions} from "./LpActions.sol";

// The handler contract lives in this file: the test runner can target only contracts whose artifacts it was given, and
// running this file alone builds this file's artifacts only. Its state, model and LP actions are inherited from the
// files beside it.

/// @notice Drives the real Bulkhead system with bounded, mostly valid calls: order requests (open, increase, decrease,
/// close) and their execution by a keeper, the attacker or the owner at the first round after the request, alone or in
/// batches; cancellations; claims of payouts an owner could not receive; margin; liquidations and take-profit (single
/// and batched); LP flows; oracle moves, outages and the grace periods after them; time; pause; a blocklisted trader;
/// donations; and an attacker who trades, tops up others' positions, donates to vaults (future ones included) and the
/// pool, makes LP requests timed around price moves, executes others' orders at moments it picks and tries to withdraw
/// its own orders before their round. Before every call it predicts whether the call must revert and with which custom
/// error (data included), every account's balance change and every order event; after it, it checks them, the records
/// of the positions it acted on against the ghost, and that every other position kept its record, claim and vault.
contract BulkheadHandler is EngineModel, LpActions {
    constructor(
        System memory system,
        address[3] memory traders_,
        address[2] memory lps_,
        address attacker_,
        bool constantPrices_
    ) {
        s = system;
        traders = [traders_[0], traders_[1], traders_[2], attacker_];
        lps = lps_;
        attacker = attacker_;
        constantPrices = constantPrices_;
        LpParams memory lpParams = s.config.lpParams();
        minRequest = lpParams.minRequest;
        lpDelay = lpParams.lpDelay;
        GlobalParams memory g = s.config.globalParams();
        keeperReserve = g.keeperReserve;
        minCollateral = g.minCollateral;
        minNotional = g.minNotional;
        minExecutionFee = g.minExecutionFee;
        maxExecutionDelay = g.maxExecutionDelay;
        maxUtilization = g.maxUtilization;
        gracePeriod = g.liquidationGracePeriod;
        for (uint256 m; m < 2; ++m) {
            _market[m] = s.config.marketParams(m);
            initialPrice[m] = s.engine.indexPrice(m);
            IMockFeed feed = _feed(m);
            uint256 latest = feed.latestRound();
            for (uint256 id = 1; id <= latest; ++id) {
                (, int256 answer, uint256 startedAt, , ) = feed.getRoundData(uint80(id));
                _rounds[m].push(Round(uint80(id), answer, startedAt));
            }
        }
        for (uint256 i; i < 4; ++i) _approveAll(traders[i]);
        for (uint256 i; i < 2; ++i) _approveAll(lps[i]);
        ghostIn = _bal(address(s.pool)) + _bal(address(s.insurance)) + _bal(address(s.engine));
        exactPoolNum = int256(_bal(address(s.pool)) * DEN);
    }

    // ================================================================ order requests

    /// @notice What a request asks for and what the handler predicts it does.
    struct RequestCase {
        uint256 id;
        address caller;
        uint256 marketId;
        bool isLong;
        /// @dev Size (open) or size delta.
        uint256 size;
        /// @dev Collateral (open) or collateral delta (increase).
        uint256 collateral;
        uint256 acceptablePrice;
        uint256 deadline;
        uint256 fee;
        address receiver;
        address vault;
        bool reused;
        bytes expected;
    }

    function requestOpen(
        uint256 actorSeed,
        uint256 marketSeed,
        bool isLong,
        uint256 collateralSeed,
        uint256 leverageSeed,
        uint256 orderSeed
    ) external step {
        uint256 collateral;
        if (collateralSeed % 16 == 0) collateral = _bound(collateralSeed, 1, minCollateral - 1);
        else if (collateralSeed % 8 == 1) collateral = _bound(collateralSeed, minCollateral, 120_000 * USD);
        else collateral = _bound(collateralSeed, minCollateral, 5_000 * USD);
        // 0.5× to 11× leverage: the top of the range breaches the 10× initial margin at execution; the bottom, with
        // little collateral, the minimum notional; the opening fee can take the collateral below the minimum.
        _requestOpen(
            traders[actorSeed % 4],
            marketSeed % 2,
            isLong,
            collateral,
            _bound(leverageSeed, 5_000, 110_000),
            orderSeed
        );
    }

    function _requestOpen(
        address trader,
        uint256 marketId,
        bool isLong,
        uint256 collateral,
        uint256 leverageBps,
        uint256 orderSeed
    ) internal {
        if (_liveIds.length >= MAX_LIVE) return _count("requestOpen.skipped");
        RequestCase memory r;
        r.id = lastId + 1;
        r.caller = trader;
        r.marketId = marketId;
        r.isLong = isLong;
        r.collateral = collateral;
        (, uint256 price) = _latestPrice(marketId);
        r.size = (collateral * SCALE * leverageBps * WAD) / 10_000 / price;
        if (r.size == 0) r.size = 1;
        _orderTerms(r, orderSeed, true, price);
        r.receiver = trader;
        if (ghostPaused) r.expected = abi.encodeWithSelector(IMarginEngineBase.Paused.selector);
        else if (collateral < minCollateral) {
            r.expected = abi.encodeWithSelector(
                IMarginEngineBase.CollateralBelowMinimum.selector,
                collateral,
                minCollateral
            );
        } else r.expected = _predictTerms(r);
        (r.vault, r.reused) = _nextVault();

        uint256 paid = collateral + keeperReserve + r.fee;
        _mintTo(trader, paid);
        Ledger memory l = _newLedger();
        Shared memory sh;
        if (r.expected.length == 0) {
            _move(l, sh, trader, r.vault, paid);
            // Rule 15: a reused vault's balance above its records goes to the insurance fund.
            if (r.reused) _move(l, sh, r.vault, address(s.insurance), donationOf[r.vault]);
        }
        _as(trader);
        try s.engine.requestOpen(marketId, isLong, r.size, collateral, r.acceptablePrice, r.deadline, r.fee) returns (
            uint256 id
        ) {
            if (!_succeeded("requestOpen", r.expected)) return;
            _check(id == r.id, "REVERT", "requestOpen: unexpected position id");
            lastId = id;
            if (r.reused) {
                _freeVaults.pop();
                donationOf[r.vault] = 0;
                _count("requestOpen.reusedVault");
            } else {
                _addVault(r.vault);
            }
            _pos[id] = Position({
                owner: trader,
                collateral: 0,
                size: 0,
                entryPrice: 0,
                borrowIndex: 0,
                maxProfit: 0,
                marketId: uint16(marketId),
                isLong: isLong,
                vault: r.vault,
                keeperReserve: uint96(keeperReserve)
            });
            _order[id] = _newOrder(OrderKind.Open, r);
            _addLive(id);
            _lastRequestAt = block.timestamp;
            _settle(l, "requestOpen");
            _checkAll(_one(id), "requestOpen");
        } catch (bytes memory err) {
            _reverted("requestOpen", r.expected, err);
        }
    }

    function requestIncrease(
        uint256 idSeed,
        uint256 sizeSeed,
        uint256 collateralSeed,
        uint256 callerSeed,
        uint256 orderSeed
    ) external step {
        RequestCase memory r = _requestCase(_pickLive(idSeed), callerSeed, orderSeed, true);
        Position memory p = _pos[r.id];
        r.size = (uint256(p.size) * _bound(sizeSeed, 100, 30_000)) / 10_000 + 1;
        r.collateral = collateralSeed % 3 == 0 ? 0 : _bound(collateralSeed, 1, 5_000 * USD);
        r.receiver = r.caller;
        r.expected = _predictOwnedOpen(r.id, r.caller);
        if (r.expected.length == 0) r.expected = _predictPendingAfterClear(r.id, false);
        if (r.expected.length == 0 && ghostPaused) {
            r.expected = abi.encodeWithSelector(IMarginEngineBase.Paused.selector);
        }
        if (r.expected.length == 0) r.expected = _predictTerms(r);
        _submit(r, OrderKind.Increase, "requestIncrease");
    }

    function requestDecrease(
        uint256 idSeed,
        uint256 sizeSeed,
        uint256 callerSeed,
        uint256 orderSeed,
        uint256 receiverSeed
    ) external step {
        RequestCase memory r = _requestCase(_pickLive(idSeed), callerSeed, orderSeed, false);
        uint256 size = _pos[r.id].size;
        // Mostly part of the position; sometimes zero or all of it.
        if (sizeSeed % 32 == 0) r.size = 0;
        else if (sizeSeed % 16 == 1) r.size = size;
        else r.size = size > 1 ? _bound(sizeSeed, 1, size - 1) : 1;
        r.receiver = _receiverFor(_pos[r.id].owner, receiverSeed);
        if (r.size == 0) r.expected = abi.encodeWithSelector(IMarginEngineBase.ZeroSize.selector);
        else if (r.receiver == address(0)) r.expected = abi.encodeWithSelector(IMarginEngineBase.ZeroReceiver.selector);
        else r.expected = _predictOwnedOpen(r.id, r.caller);
        if (r.expected.length == 0 && r.size >= size) {
            r.expected = abi.encodeWithSelector(IMarginEngineBase.SizeDeltaTooLarge.selector, r.size, size);
        }
        if (r.expected.length == 0) r.expected = _predictPendingAfterClear(r.id, false);
        if (r.expected.length == 0) r.expected = _predictTerms(r);
        _submit(r, OrderKind.Decrease, "requestDecrease");
    }

    function requestClose(uint256 idSeed, uint256 callerSeed, uint256 orderSeed, uint256 receiverSeed) external step {
        _requestClose(_pickLive(idSeed), callerSeed, orderSeed, receiverSeed);
    }

    function _requestClose(uint256 id, uint256 callerSeed, uint256 orderSeed, uint256 receiverSeed) internal {
        RequestCase memory r = _requestCase(id, callerSeed, orderSeed, false);
        r.receiver = _receiverFor(_pos[id].owner, receiverSeed);
        if (r.receiver == address(0)) r.expected = abi.encodeWithSelector(IMarginEngineBase.ZeroReceiver.selector);
        else r.expected = _predictOwnedOpen(id, r.caller);
        if (r.expected.length == 0) r.expected = _predictPendingAfterClear(id, true);
        if (r.expected.length == 0) r.expected = _predictTerms(r);
        _submit(r, OrderKind.Close, "requestClose");
    }

    /// @dev The common part of an increase, decrease or close request on `id`: caller, market, side and terms.
    function _requestCase(
        uint256 id,
        uint256 callerSeed,
        uint256 orderSeed,
        bool adding
    ) internal view returns (RequestCase memory r) {
        r.id = id;
        r.caller = _callerFor(_pos[id].owner, callerSeed);
        r.marketId = _pos[id].marketId;
        r.isLong = _pos[id].isLong;
        (, uint256 price) = _latestPrice(r.marketId);
        _orderTerms(r, orderSeed, adding, price);
    }

    /// @dev Makes a request on an open position and checks it. Every request first cancels, with a full refund, the
    /// position's pending orders that can no longer execute; a close then replaces a pending order whose round does
    /// not exist yet (rule 4), while one whose round exists executes first. The request escrows what it brings.
    function _submit(RequestCase memory r, OrderKind kind, string memory op) internal {
        uint256 pulled = (kind == OrderKind.Increase ? r.collateral : 0) + r.fee;
        if (kind != OrderKind.Increase) r.collateral = 0;
        _mintTo(r.caller, pulled);
        Ledger memory l = _newLedger();
        Shared memory sh;
        sh.executor = r.caller;
        if (r.expected.length == 0) {
            Position memory p = _pos[r.id];
            _clearStaleModel(r.id, p, sh, l);
            Order memory pending = _order[r.id];
            if (kind == OrderKind.Close && pending.kind != OrderKind.None) {
                if (_verdict(pending, p.marketId).action == WAIT) {
                    delete _order[r.id];
                    _cancelModel(r.id, p, pending, CancelReason.Replaced, false, sh, l);
                }
            }
            _move(l, sh, r.caller, p.vault, pulled);
        }
        vm.recordLogs();
        _as(r.caller);
        (bool ok, bytes memory err) = _callRequest(kind, r);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        if (!ok) return _reverted(op, r.expected, err);
        if (!_succeeded(op, r.expected)) return;
        if (kind == OrderKind.Close) _close[r.id] = _newOrder(kind, r);
        else _order[r.id] = _newOrder(kind, r);
        _lastRequestAt = block.timestamp;
        _checkOrderEvents(l, logs, op);
        _settle(l, op);
        _checkAll(_one(r.id), op);
    }

    function _callRequest(OrderKind kind, RequestCase memory r) internal returns (bool ok, bytes memory err) {
        if (kind == OrderKind.Increase) {
            try s.engine.requestIncrease(r.id, r.size, r.collateral, r.acceptablePrice, r.deadline, r.fee) {
                ok = true;
            } catch (bytes memory e) {
                err = e;
            }
        } else if (kind == OrderKind.Decrease) {
            try s.engine.requestDecrease(r.id, r.size, r.acceptablePrice, r.deadline, r.fee, r.receiver) {
                ok = true;
            } catch (bytes memory e) {
                err = e;
            }
        } else {
            try s.engine.requestClose(r.id, r.acceptablePrice, r.deadline, r.fee, r.receiver) {
                ok = true;
            } catch (bytes memory e) {
                err = e;
            }
        }
    }

    /// @dev Rule 4 after the stale orders are cleared: at most one pending order, none beside a pending close (for a
    /// close request, only another close blocks it).
    function _predictPendingAfterClear(uint256 id, bool isClose) internal view returns (bytes memory) {
        uint256 marketId = _pos[id].marketId;
        Order memory o = _order[id];
        Order memory c = _close[id];
        bool orderLeft = o.kind != OrderKind.None && _verdict(o, marketId).action != CANCEL;
        bool closeLeft = c.kind != OrderKind.None && _verdict(c, marketId).action != CANCEL;
        if (!isClose && orderLeft) return abi.encodeWithSelector(IMarginEngineBase.OrderPending.selector, id);
        if (closeLeft) return abi.encodeWithSelector(IMarginEngineBase.ClosePending.selector, id);
        return "";
    }

    /// @dev Execution fee, deadline and price bound of a request. Mostly valid and loose; sometimes a fee below the
    /// minimum, a deadline already past, a short deadline (the order may expire unexecuted) or a tight price bound
    /// (the order may fail on price at execution, the executor keeping the fee).
    function _orderTerms(RequestCase memory r, uint256 seed, bool adding, uint256 price) internal view {
        uint256 kind = seed % 32;
        r.fee =
            kind == 0 && minExecutionFee != 0
                ? _bound(seed, 0, minExecutionFee - 1)
                : minExecutionFee + ((seed >> 8) % USD);
        if (kind == 1) r.deadline = block.timestamp - ((seed >> 16) % 2);
        else if (kind % 8 == 2) r.deadline = block.timestamp + 1 + ((seed >> 16) % 120);
        else r.deadline = block.timestamp + (kind % 2 == 0 ? _market[r.marketId].maxOrderWait : 365 days);
        // A long adding or a short closing accepts prices up to the bound; the others down to it.
        bool upTo = r.isLong == adding;
        if (kind % 4 == 3) {
            uint256 bps = (seed >> 24) % 200;
            r.acceptablePrice = upTo ? (price * (10_000 + bps)) / 10_000 : (price * (10_000 - bps)) / 10_000;
        } else {
            // No bound: for a long, sometimes a value above what the order stores (the engine reads it as no bound).
            r.acceptablePrice = upTo ? ((seed >> 24) % 2 == 0 ? type(uint128).max : type(uint256).max) : 0;
        }
    }

    /// @dev The order the engine records: the feed's latest round, the request time and the deadline capped at the
    /// market's `maxOrderWait`.
    function _newOrder(OrderKind kind, RequestCase memory r) internal view returns (Order memory o) {
        o.kind = kind;
        o.roundId = uint80(_rounds[r.marketId].length);
        o.requestedAt = uint40(block.timestamp);
        o.deadline = uint40(_min(r.deadline, block.timestamp + _market[r.marketId].maxOrderWait));
        o.executionFee = uint88(r.fee);
        o.sizeDelta = uint128(r.size);
        o.acceptablePrice = uint128(_min(r.acceptablePrice, type(uint128).max));
        o.receiver = r.receiver;
        o.collateralDelta = uint96(r.collateral);
    }

    function _predictTerms(RequestCase memory r) internal view returns (bytes memory) {
        if (r.deadline <= block.timestamp) {
            return abi.encodeWithSelector(IMarginEngineBase.DeadlineExpired.selector, r.deadline, block.timestamp);
        }
        if (r.fee < minExecutionFee) {
            return abi.encodeWithSelector(IMarginEngineBase.ExecutionFeeTooLow.selector, r.fee, minExecutionFee);
        }
        return "";
    }

    /// @dev The engine's owner check for increase, decrease and close.
    function _predictOwnedOpen(uint256 id, address caller) internal view returns (bytes memory) {
        Position memory p = _pos[id];
        if (p.owner != caller) {
            if (p.owner == address(0)) return abi.encodeWithSelector(IMarginEngineBase.UnknownPosition.selector, id);
            return abi.encodeWithSelector(IMarginEngineBase.NotPositionOwner.selector, id, caller);
        }
        if (p.size == 0) return abi.encodeWithSelector(IMarginEngineBase.PositionNotOpen.selector, id);
        return "";
    }

    /// @dev Rule 4: at most one pending order, and none beside a pending close.
    function _predictNoPending(uint256 id) internal view returns (bytes memory) {
        if (_order[id].kind != OrderKind.None) {
            return abi.encodeWithSelector(IMarginEngineBase.OrderPending.selector, id);
        }
        if (_close[id].kind != OrderKind.None) {
            return abi.encodeWithSelector(IMarginEngineBase.ClosePending.selector, id);
        }
        return "";
    }

    // ================================================================ execution and cancellation

    /// @notice Executes one position's pending orders. Mostly a round is published first (a second or more after the
    /// request, so the order's own round is the new one); by the keeper, the attacker or the owner.
    function executeOrder(uint256 idSeed, uint256 executorSeed, uint256 publishSeed) external step {
        uint256 id = _pickPending(idSeed);
        if (publishSeed % 4 != 0) _publishFor(id, publishSeed);
        _execute(_one(id), _executorFor(executorSeed, _pos[id].owner), true, "executeOrder");
    }

    /// @notice Executes a batch mixing pending, waiting, executed, unknown and repeated ids.
    function executeOrders(uint256 seed, uint256 lengthSeed, uint256 executorSeed, bool publish) external step {
        uint256 length = _bound(lengthSeed, 1, 6);
        uint256[] memory ids = new uint256[](length);
        for (uint256 i; i < length; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            ids[i] = r % 4 != 0 ? _pickPending(r) : _bound(r, 1, lastId + 2);
        }
        if (publish) {
            _publishFresh(0, seed);
            _publishFresh(1, seed >> 8);
        }
        _execute(ids, _executorFor(executorSeed, address(0)), false, "executeOrders");
    }

    /// @notice A keeper's sweep after new rounds: every position with a pending order, in one batch.
    function keeperSweep(uint256 seed, bool publish) external step {
        if (publish) {
            _publishFresh(0, seed);
            _publishFresh(1, seed >> 8);
        }
        uint256 n;
        uint256[] memory ids = new uint256[](_liveIds.length);
        for (uint256 i; i < _liveIds.length; ++i) {
            uint256 id = _liveIds[i];
            if (_order[id].kind != OrderKind.None || _close[id].kind != OrderKind.None) ids[n++] = id;
        }
        if (n == 0) return _count("keeperSweep.skipped");
        assembly ("memory-safe") {
            mstore(ids, n)
        }
        _execute(ids, keeper, false, "keeperSweep");
    }

    /// @dev Predicts the execution of `ids` in order, as the engine's `executeOrder` (one id: reverts if nothing could
    /// be done) or `executeOrders` does it, makes the call and checks everything it predicted.
    function _execute(uint256[] memory ids, address executor, bool single, string memory op) internal {
        _checkKeeperViews(ids);
        Shared memory sh = _shared(executor);
        Ledger memory l = _newLedger();
        uint256 count;
        for (uint256 i; i < ids.length; ++i) {
            if (!_step(ids[i], sh, l)) continue;
            ++count;
            // The close behind an executed order may be due at the same round.
            if (_step(ids[i], sh, l)) ++count;
        }
        bytes memory expected;
        if (single && count == 0) {
            expected = abi.encodeWithSelector(IMarginEngineBase.OrderNotReady.selector, ids[0]);
        }
        vm.recordLogs();
        vm.prank(executor); // a keeper's service, not the caller's own trading (see `_as`)
        (bool ok, uint256 returned, bytes memory err) = _callExecute(ids, single);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        if (!ok) return _reverted(op, expected, err);
        if (!_succeeded(op, expected)) return;
        if (!single) _check(returned == count, "REVERT", string.concat(op, ": count != orders executed or ended"));
        callCount[keccak256(bytes(string.concat(op, ".acted")))] += count;
        _checkOrderEvents(l, logs, op);
        _settle(l, op);
        _checkAll(ids, op);
    }

    function _callExecute(uint256[] memory ids, bool single) internal returns (bool ok, uint256 n, bytes memory err) {
        if (single) {
            try s.engine.executeOrder(ids[0]) {
                ok = true;
            } catch (bytes memory e) {
                err = e;
            }
        } else {
            try s.engine.executeOrders(ids) returns (uint256 executed) {
                (ok, n) = (true, executed);
            } catch (bytes memory e) {
                err = e;
            }
        }
    }

    /// @notice Cancels a position's orders that can no longer execute (anyone may): full refund.
    function cancelOrder(uint256 idSeed, uint256 callerSeed) external step {
        _cancelOrder(_pickPending(idSeed), [keeper, attacker, traders[0], donor][callerSeed % 4]);
    }

    function _cancelOrder(uint256 id, address caller) internal {
        Shared memory sh = _shared(caller);
        Ledger memory l = _newLedger();
        bytes memory expected = _predictCancelOrder(id, sh, l);
        vm.recordLogs();
        vm.prank(caller); // a keeper's service, not the caller's own trading (see `_as`)
        try s.engine.cancelOrder(id) {
            Vm.Log[] memory logs = vm.getRecordedLogs();
            if (!_succeeded("cancelOrder", expected)) return;
            _checkOrderEvents(l, logs, "cancelOrder");
            _settle(l, "cancelOrder");
            _checkAll(_one(id), "cancelOrder");
        } catch (bytes memory err) {
            vm.getRecordedLogs();
            _reverted("cancelOrder", expected, err);
        }
    }

    /// @dev The engine's `cancelOrder`: every pending order that can no longer execute is cancelled with a full
    /// refund; reverts if none could be.
    function _predictCancelOrder(uint256 id, Shared memory sh, Ledger memory l) internal returns (bytes memory) {
        (Order memory first, ) = _next(id);
        if (first.kind == OrderKind.None) return abi.encodeWithSelector(IMarginEngineBase.NoPendingOrder.selector, id);
        if (!_clearStaleModel(id, _pos[id], sh, l)) {
            return abi.encodeWithSelector(IMarginEngineBase.OrderStillExecutable.selector, id);
        }
        return "";
    }

    /// @notice The owner claims a payout it could not receive, to itself or another account.
    function claim(uint256 idSeed, uint256 toSeed, uint256 callerSeed) external step {
        uint256 id;
        for (uint256 i; i < _claimIds.length && idSeed % 8 != 0; ++i) {
            uint256 candidate = _claimIds[(idSeed + i) % _claimIds.length];
            if (ghostClaim[candidate] != 0) id = candidate;
        }
        if (id == 0) id = _bound(idSeed, 1, lastId + 1);
        address owner = ghostClaimOwner[id];
        address caller = callerSeed % 8 == 0 || owner == address(0) ? traders[callerSeed % 4] : owner;
        address to =
            toSeed % 16 == 0
                ? address(0)
                : toSeed % 8 == 1
                    ? blockedReceiver
                    : caller;
        uint256 amount = ghostClaim[id];
        bytes memory expected;
        if (amount == 0) expected = abi.encodeWithSelector(IMarginEngineBase.NothingToClaim.selector, id);
        else if (caller != owner) {
            expected = abi.encodeWithSelector(IMarginEngineBase.NotPositionOwner.selector, id, caller);
        } else if (to == address(0)) expected = abi.encodeWithSelector(IMarginEngineBase.ZeroReceiver.selector);
        else if (_blocked(to)) expected = abi.encodeWithSelector(Blocklisted.selector, to);
        Ledger memory l = _newLedger();
        Shared memory sh;
        if (expected.length == 0) _move(l, sh, address(s.engine), to, amount);
        _as(caller);
        try s.engine.claim(id, to) {
            if (!_succeeded("claim", expected)) return;
            ghostClaim[id] = 0;
            totalClaims -= amount;
            _settle(l, "claim");
            _checkAll(_one(id), "claim");
        } catch (bytes memory err) {
            _reverted("claim", expected, err);
        }
    }

    // ================================================================ margin

    function addMargin(uint256 idSeed, uint256 amountSeed, uint256 callerSeed) external step {
        uint256 id = idSeed % 16 == 0 ? _bound(idSeed, 1, lastId + 1) : _pickLive(idSeed);
        address owner = _pos[id].owner;
        // Anyone may add margin: mostly the owner, sometimes the attacker or another trader.
        address caller =
            callerSeed % 8 == 0
                ? attacker
                : callerSeed % 8 == 1
                    ? traders[callerSeed % 3]
                    : owner;
        if (caller == address(0)) caller = traders[0];
        _addMargin(id, amountSeed % 32 == 0 ? 0 : _bound(amountSeed, 1, 10_000 * USD), caller);
    }

    function _addMargin(uint256 id, uint256 amount, address caller) internal {
        Position memory p = _pos[id];
        bytes memory expected;
        if (amount == 0) expected = abi.encodeWithSelector(IMarginEngineBase.ZeroAmount.selector);
        else if (p.owner == address(0))
            expected = abi.encodeWithSelector(IMarginEngineBase.UnknownPosition.selector, id);
        else if (p.size == 0) expected = abi.encodeWithSelector(IMarginEngineBase.PositionNotOpen.selector, id);
        _mintTo(caller, amount);
        Ledger memory l = _newLedger();
        Shared memory sh;
        if (expected.length == 0) _move(l, sh, caller, p.vault, amount);
        _as(caller);
        try s.engine.addMargin(id, amount) {
            if (!_succeeded("addMargin", expected)) return;
            _pos[id].collateral = uint96(p.collateral + amount);
            if (caller != p.owner) gifted[p.owner] += amount;
            _settle(l, "addMargin");
            _checkAll(_one(id), "addMargin");
        } catch (bytes memory err) {
            _reverted("addMargin", expected, err);
        }
    }

    function removeMargin(uint256 idSeed, uint256 amountSeed, uint256 callerSeed, uint256 receiverSeed) external step {
        uint256 id = _pickLive(idSeed);
        Position memory p = _pos[id];
        uint256 amount;
        // Mostly a part of the collateral (some of them breach initial margin); sometimes all of it or zero.
        if (amountSeed % 32 == 0) amount = 0;
        else if (amountSeed % 8 == 1) amount = p.collateral;
        else amount = _bound(amountSeed, 1, p.collateral > 1 ? p.collateral : 1);
        _removeMargin(id, amount, _callerFor(p.owner, callerSeed), _receiverFor(p.owner, receiverSeed));
    }

    function _removeMargin(uint256 id, uint256 amount, address caller, address receiver) internal {
        (bytes memory expected, Position memory n) = _predictRemoveMargin(id, caller, amount, receiver);
        Position memory p = _pos[id];
        Ledger memory l = _newLedger();
        Shared memory sh;
        if (expected.length == 0) _move(l, sh, p.vault, receiver, amount);
        _as(caller);
        try s.engine.removeMargin(id, amount, receiver) {
            if (!_succeeded("removeMargin", expected)) return;
            _pos[id] = n;
            _settle(l, "removeMargin");
            callerPaid += amount;
            callerPaidExactNum += amount * DEN;
            _checkAll(_one(id), "removeMargin");
        } catch (bytes memory err) {
            _reverted("removeMargin", expected, err);
        }
    }

    function _predictRemoveMargin(
        uint256 id,
        address caller,
        uint256 amount,
        address receiver
    ) internal view returns (bytes memory, Position memory n) {
        Position memory p = _pos[id];
        if (amount == 0) return (abi.encodeWithSelector(IMarginEngineBase.ZeroAmount.selector), n);
        if (receiver == address(0)) return (abi.encodeWithSelector(IMarginEngineBase.ZeroReceiver.selector), n);
        if (p.owner == address(0)) return (abi.encodeWithSelector(IMarginEngineBase.UnknownPosition.selector, id), n);
        if (p.size == 0) return (abi.encodeWithSelector(IMarginEngineBase.PositionNotOpen.selector, id), n);
        if (caller != p.owner) {
            return (abi.encodeWithSelector(IMarginEngineBase.NotPositionOwner.selector, id, caller), n);
        }
        bytes memory pending = _predictNoPending(id);
        if (pending.length != 0) return (pending, n);
        (bool isPriced, ) = _latestPrice(p.marketId);
        if (!isPriced) return (_noPrice(p.marketId), n);
        uint256 resumes = _resumesAt(p.marketId);
        if (resumes > block.timestamp) {
            return (abi.encodeWithSelector(IMarginEngineBase.GracePeriod.selector, resumes), n);
        }
        if (amount > p.collateral || p.collateral - amount < minCollateral) {
            return (
                abi.encodeWithSelector(
                    IMarginEngineBase.CollateralBelowMinimum.selector,
                    p.collateral > amount ? p.collateral - amount : 0,
                    minCollateral
                ),
                n
            );
        }
        n = _copy(p);
        n.collateral = uint96(p.collateral - amount);
        // Rule 9: the cap follows the collateral down.
        n.maxProfit = uint96(_min((uint256(n.collateral) * _market[p.marketId].maxProfitRatio) / WAD, p.maxProfit));
        // Unrealised profit is not margin: only losses count, net of the owed borrow fee.
        (, uint256 price) = _latestPrice(p.marketId);
        int256 equity = PositionMath.equity(
            n.collateral,
            PositionMath.pnl(p.isLong, p.size, p.entryPrice, price, 0, SCALE),
            value(id).fees
        );
        uint256 required = PositionMath.ratioOfNotionalUp(p.size, price, _market[p.marketId].imr, SCALE);
        if (equity < int256(required)) {
            return (abi.encodeWithSelector(IMarginEngineBase.InitialMarginBreached.selector, equity, required), n);
        }
        // The receiver is paid straight from the vault: one that cannot receive makes the removal revert.
        if (_blocked(receiver)) return (abi.encodeWithSelector(Blocklisted.selector, receiver), n);
        return ("", n);
    }

    // ================================================================ liquidation

    function liquidate(uint256 idSeed, uint256 callerSeed) external step {
        // Half the calls go for a liquidatable position if there is one; the rest pick any id, live or not.
        uint256 id = idSeed % 2 == 0 ? _findLiquidatable(idSeed) : 0;
        if (id == 0) id = idSeed % 4 != 1 ? _pickLive(idSeed) : _bound(idSeed, 1, lastId + 1);
        address caller = callerSeed % 4 == 0 ? attacker : keeper;
        Position memory p = _pos[id];
        Shared memory sh = _shared(caller);
        Ledger memory l = _newLedger();
        bytes memory expected;
        if (p.owner == address(0)) expected = abi.encodeWithSelector(IMarginEngineBase.UnknownPosition.selector, id);
        else if (p.size == 0) expected = abi.encodeWithSelector(IMarginEngineBase.PositionNotOpen.selector, id);
        else if (!sh.priced[p.marketId]) expected = _noPrice(p.marketId);
        else if (sh.resumesAt[p.marketId] > block.timestamp) {
            expected = abi.encodeWithSelector(IMarginEngineBase.GracePeriod.selector, sh.resumesAt[p.marketId]);
        } else {
            Valuation memory v = value(id);
            _checkLensAgrees(id, v, sh.resumesAt[p.marketId]);
            if (!v.liquidatable) {
                expected = abi.encodeWithSelector(
                    IMarginEngineBase.NotLiquidatable.selector,
                    id,
                    v.equity,
                    v.maintenance
                );
            } else {
                _liquidateModel(id, sh, l);
            }
        }
        vm.recordLogs();
        vm.prank(caller); // a keeper's service, not the caller's own trading (see `_as`)
        try s.engine.liquidate(id) {
            Vm.Log[] memory logs = vm.getRecordedLogs();
            if (!_succeeded("liquidate", expected)) return;
            _afterEnding(l, logs, p.vault, id, "liquidate");
        } catch (bytes memory err) {
            vm.getRecordedLogs();
            _reverted("liquidate", expected, err);
        }
    }

    /// @dev Checks after a liquidation or take-profit: events, flows, the record gone, the vault holding only what
    /// was donated to it (INV-4), every other position untouched.
    function _afterEnding(Ledger memory l, Vm.Log[] memory logs, address vault, uint256 id, string memory op) internal {
        _checkOrderEvents(l, logs, op);
        _settle(l, op);
        _check(_bal(vault) == donationOf[vault], "INV-4", string.concat(op, ": vault holds more than donations"));
        _checkAll(_one(id), op);
    }

    /// @dev The first liquidatable open position, searching from a seeded offset; zero if none.
    function _findLiquidatable(uint256 seed) internal view returns (uint256) {
        uint256 n = _liveIds.length;
        for (uint256 i; i < n; ++i) {
            uint256 id = _liveIds[(seed + i) % n];
            if (_pos[id].size != 0 && value(id).liquidatable) return id;
        }
        return 0;
    }

    /// @notice Liquidates a batch mixing liquidatable, healthy, pending, closed, unknown and repeated ids.
    function liquidateBatch(uint256 seed, uint256 lengthSeed, uint256 callerSeed) external step {
        uint256[] memory ids = _batchIds(seed, lengthSeed);
        address caller = callerSeed % 4 == 0 ? attacker : keeper;
        Shared memory sh = _shared(caller);
        Ledger memory l = _newLedger();
        uint256 count;
        for (uint256 i; i < ids.length; ++i) {
            Position memory p = _pos[ids[i]];
            // Unknown, pending and already liquidated ids, markets without a price or in grace: skipped.
            if (p.size == 0 || !sh.priced[p.marketId] || sh.resumesAt[p.marketId] > block.timestamp) continue;
            if (!_valueAt(p, sh.price[p.marketId], sh.index[_side(p.marketId, p.isLong)]).liquidatable) continue;
            _liquidateModel(ids[i], sh, l);
            ++count;
        }
        vm.recordLogs();
        vm.prank(caller); // a keeper's service, not the caller's own trading (see `_as`)
        try s.engine.liquidateBatch(ids) returns (uint256 liquidated) {
            Vm.Log[] memory logs = vm.getRecordedLogs();
            _count("liquidateBatch.ok");
            callCount[keccak256("liquidateBatch.liquidated")] += count;
            _check(liquidated == count, "INV-4", "liquidateBatch: count != liquidatable ids");
            _checkOrderEvents(l, logs, "liquidateBatch");
            _settle(l, "liquidateBatch");
            _checkAll(ids, "liquidateBatch");
        } catch (bytes memory err) {
            vm.getRecordedLogs();
            _reverted("liquidateBatch", "", err);
        }
    }

    /// @dev LENS: the lens agrees with the engine's maths on every figure a keeper reads, the keeper reward included
    /// (the recorded keeper reserve plus the liquidation fee: never the vault's balance, which may hold a pending
    /// order's escrow or a donation).
    function _checkLensAgrees(uint256 id, Valuation memory v, uint256 resumesAt) internal {
        bool liquidatableNow = v.liquidatable && resumesAt <= block.timestamp;
        _check(s.lens.liquidatable(_one(id))[0] == liquidatableNow, "INV-4", "lens: liquidatable");
        LiquidationPreview memory preview = s.lens.previewLiquidation(id);
        _check(preview.liquidatable == liquidatableNow, "INV-4", "lens: preview liquidatable");
        _check(
            preview.equity == v.equity &&
                preview.maintenanceMargin == v.maintenance &&
                preview.penalty == v.split.penalty &&
                preview.ownerRefund == v.split.ownerRefund &&
                preview.badDebt == v.split.badDebt &&
                preview.closeFee == v.split.closeFee &&
                preview.price == v.price,
            "LENS",
            "preview differs from the engine's split"
        );
        if (preview.keeperReward != v.keeperReward) {
            _fail(
                "LENS",
                string.concat(
                    "preview keeper reward ",
                    vm.toString(preview.keeperReward),
                    " != keeper reserve + liquidation fee ",
                    vm.toString(v.keeperReward),
                    " (vault holds escrow or donations)"
                )
            );
        }
        _check(s.lens.equity(id) == v.equity, "LENS", "equity");
        _check(s.lens.health(id) == PositionMath.health(v.equity, v.maintenance), "LENS", "health");
    }

    /// @dev LENS: what a keeper reads before executing (SPEC "Keeper views") is what the handler's round log and ghost
    /// say: each market's price, latest round, grace status and pause, and each order's status and execution round.
    function _checkKeeperViews(uint256[] memory ids) internal {
        for (uint256 m; m < 2; ++m) {
            MarketStatus memory status = s.lens.market(m);
            (bool isPriced, uint256 price) = _latestPrice(m);
            Round memory latest = _latestRound(m);
            uint256 resumes = isPriced ? _resumesAt(m) : 0;
            _check(
                status.priced == isPriced &&
                    status.price == (isPriced ? price : 0) &&
                    status.roundId == latest.id &&
                    status.updatedAt == latest.at &&
                    status.paused == ghostPaused &&
                    (
                        status.resumesAt > block.timestamp || resumes > block.timestamp
                            ? status.resumesAt == resumes
                            : true
                    ),
                "LENS",
                string.concat("market view differs from the round log (market ", vm.toString(m), ")")
            );
        }
        OrderState[] memory states = s.lens.executable(ids);
        for (uint256 i; i < ids.length; ++i) {
            (OrderStatus status, uint80 roundId) = expectedOrderStatus(ids[i]);
            _check(
                states[i].status == status && states[i].roundId == roundId,
                "LENS",
                string.concat("executable view differs from the round log (id ", vm.toString(ids[i]), ")")
            );
        }
    }

    // ================================================================ take profit at the cap

    /// @notice Takes profit on one position (one at its cap when there is one, else any id).
    function takeProfit(uint256 idSeed, uint256 callerSeed) external step {
        uint256 id = _findAtCap(idSeed);
        if (id == 0) id = idSeed % 4 != 1 ? _pickLive(idSeed) : _bound(idSeed, 1, lastId + 1);
        address caller = callerSeed % 4 == 0 ? attacker : keeper;
        Position memory p = _pos[id];
        Shared memory sh = _shared(caller);
        Ledger memory l = _newLedger();
        bytes memory expected;
        if (p.owner == address(0)) expected = abi.encodeWithSelector(IMarginEngineBase.UnknownPosition.selector, id);
        else if (p.size == 0) expected = abi.encodeWithSelector(IMarginEngineBase.PositionNotOpen.selector, id);
        else if (!sh.priced[p.marketId]) expected = _noPrice(p.marketId);
        else {
            (bool atCap, int256 uncapped) = _atCap(p, sh.price[p.marketId]);
            if (!atCap) {
                expected = abi.encodeWithSelector(
                    IMarginEngineBase.NotAtCap.selector,
                    id,
                    uncapped,
                    uint256(p.maxProfit)
                );
            } else {
                _takeProfitModel(id, sh, l);
            }
        }
        vm.recordLogs();
        vm.prank(caller); // a keeper's service, not the caller's own trading (see `_as`)
        try s.engine.takeProfit(id) {
            Vm.Log[] memory logs = vm.getRecordedLogs();
            if (!_succeeded("takeProfit", expected)) return;
            _afterEnding(l, logs, p.vault, id, "takeProfit");
        } catch (bytes memory err) {
            vm.getRecordedLogs();
            _reverted("takeProfit", expected, err);
        }
    }

    function _findAtCap(uint256 seed) internal view returns (uint256) {
        if (seed % 2 == 1) return 0;
        uint256 n = _liveIds.length;
        for (uint256 i; i < n; ++i) {
            uint256 id = _liveIds[(seed + i) % n];
            Position memory p = _pos[id];
            if (p.size == 0) continue;
            (, uint256 price) = _latestPrice(p.marketId);
            (bool atCap, ) = _atCap(p, price);
            if (atCap) return id;
        }
        return 0;
    }

    /// @notice Takes profit on a batch mixing positions at their cap, below it, pending, closed and unknown ids.
    function takeProfitBatch(uint256 seed, uint256 lengthSeed) external step {
        uint256[] memory ids = _batchIds(seed, lengthSeed);
        Shared memory sh = _shared(keeper);
        Ledger memory l = _newLedger();
        uint256 count;
        for (uint256 i; i < ids.length; ++i) {
            Position memory p = _pos[ids[i]];
            if (p.size == 0 || !sh.priced[p.marketId]) continue;
            (bool atCap, ) = _atCap(p, sh.price[p.marketId]);
            if (!atCap) continue;
            _takeProfitModel(ids[i], sh, l);
            ++count;
        }
        vm.recordLogs();
        vm.prank(keeper); // a keeper's service, not the caller's own trading (see `_as`)
        try s.engine.takeProfitBatch(ids) returns (uint256 taken) {
            Vm.Log[] memory logs = vm.getRecordedLogs();
            _count("takeProfitBatch.ok");
            callCount[keccak256("takeProfitBatch.taken")] += count;
            _check(taken == count, "REVERT", "takeProfitBatch: count != positions at cap");
            _checkOrderEvents(l, logs, "takeProfitBatch");
            _settle(l, "takeProfitBatch");
            _checkAll(ids, "takeProfitBatch");
        } catch (bytes memory err) {
            vm.getRecordedLogs();
            _reverted("takeProfitBatch", "", err);
        }
    }

    /// @notice Moves a position's market to just past the price where its pnl reaches its cap (longs always can;
    /// shorts only when the cap is below their notional), within the simulated range.
    function pushToCap(uint256 idSeed, uint256 bpsSeed) external step {
        uint256 id = _pickOpen(idSeed);
        if (constantPrices || id == 0) return _count("pushToCap.skipped");
        Position memory p = _pos[id];
        // pnl = size × (P − entry) reaches cap at P = entry ± cap / size; 0–2 % further.
        uint256 offset = (uint256(p.maxProfit) * SCALE * WAD) / p.size + 1;
        uint256 bps = _bound(bpsSeed, 0, 200);
        uint256 target;
        // Rounded to the feed's 8 decimals past the cap price.
        if (p.isLong) target = _divUp(((p.entryPrice + offset) * (10_000 + bps)) / 10_000, 1e10) * 1e10;
        else if (offset < p.entryPrice) target = (((p.entryPrice - offset) * (10_000 - bps)) / 10_000 / 1e10) * 1e10;
        if (target < initialPrice[p.marketId] / 20 || target > initialPrice[p.marketId] * 20) {
            return _count("pushToCap.skipped");
        }
        _publish(p.marketId, int256(target / 1e10));
        _count("pushToCap.ok");
    }

    // ================================================================ the attacker

    /// @notice The attacker requests a dummy position (minimum collateral and about twice the minimum notional) to sit
    /// in the pool's valuation.
    function attackerDummy(uint256 marketSeed, bool isLong) external step {
        uint256 marketId = marketSeed % 2;
        // Twice the minimum collateral (the opening fee comes out of it) at 2× leverage.
        uint256 collateral = 2 * minCollateral;
        _requestOpen(attacker, marketId, isLong, collateral, 20_000, 4);
    }

    /// @notice The attacker adds margin to one of its positions and takes it back.
    function attackerMarginToggle(uint256 idSeed, uint256 amountSeed) external step {
        uint256 n = _liveIds.length;
        for (uint256 i; i < n; ++i) {
            uint256 id = _liveIds[(idSeed + i) % n];
            if (_pos[id].owner != attacker || _pos[id].size == 0) continue;
            uint256 amount = _bound(amountSeed, 1, 10_000 * USD);
            _addMargin(id, amount, attacker);
            _removeMargin(id, amount, attacker, attacker);
            return;
        }
        _count("attackerMarginToggle.skipped");
    }

    /// @notice The attacker tops up someone else's position (anyone may add margin).
    function attackerGift(uint256 idSeed, uint256 amountSeed) external step {
        uint256 n = _liveIds.length;
        for (uint256 i; i < n; ++i) {
            uint256 id = _liveIds[(idSeed + i) % n];
            if (_pos[id].owner == attacker || _pos[id].size == 0) continue;
            return _addMargin(id, _bound(amountSeed, 1, 1_000 * USD), attacker);
        }
        _count("attackerGift.skipped");
    }

    /// @notice The attacker asks to deposit or redeem, and the market moves right after (before anything executes).
    function attackerTimedRequest(uint256 seed, uint256 marketSeed, uint256 bpsSeed) external step {
        if (seed % 2 == 0) _requestDeposit(attacker, seed / 2);
        else _requestRedeem(attacker, seed / 2);
        if (!constantPrices) _movePrice(marketSeed % 2, int256(_bound(bpsSeed, 0, 4_000)) - 2_000);
        _count("attackerTimedRequest.ok");
    }

    /// @notice The attacker donates to the pool, to a vault (its own position's, someone else's, a free one) or to the
    /// address the engine's next vault will have.
    function attackerDonate(uint256 targetSeed, uint256 amountSeed) external step {
        uint256 amount = _bound(amountSeed, 1, 10_000 * USD);
        _donate(attacker, targetSeed % 5 == 0 ? address(s.pool) : _pickVault(targetSeed), amount);
        _count("attackerDonate.ok");
    }

    /// @notice The attacker executes someone else's pending order at a moment it picks: at once, at the last second of
    /// the order's execution window, or just after it.
    function attackerExecute(uint256 idSeed, uint256 timingSeed) external step {
        uint256 id;
        uint256 n = _liveIds.length;
        for (uint256 i; i < n; ++i) {
            uint256 candidate = _liveIds[(idSeed + i) % n];
            if (_pos[candidate].owner == attacker) continue;
            if (_order[candidate].kind != OrderKind.None || _close[candidate].kind != OrderKind.None) id = candidate;
        }
        if (id == 0) return _count("attackerExecute.skipped");
        (Order memory o, ) = _next(id);
        (bool found, Round memory r) = _firstRoundAfter(_pos[id].marketId, o.roundId, o.requestedAt);
        if (found && timingSeed % 3 != 0) {
            uint256 target = r.at + maxExecutionDelay + (timingSeed % 3 == 2 ? 1 : 0);
            if (target > block.timestamp) vm.warp(target);
        }
        _execute(_one(id), attacker, true, "attackerExecute");
    }

    /// @notice The attacker asks to close one of its positions and at once tries to withdraw the request: a pending
    /// order that can still execute cannot be cancelled (it would be a free option on the next answer).
    function attackerFreeOption(uint256 idSeed, uint256 orderSeed) external step {
        uint256 n = _liveIds.length;
        for (uint256 i; i < n; ++i) {
            uint256 id = _liveIds[(idSeed + i) % n];
            if (_pos[id].owner != attacker || _pos[id].size == 0 || _close[id].kind != OrderKind.None) continue;
            _requestClose(id, 1, orderSeed, 2);
            _cancelOrder(id, attacker);
            return;
        }
        _count("attackerFreeOption.skipped");
    }

    // ================================================================ donations

    /// @notice A donor sends asset to a vault: a live position's, a free one, or the next vault's future address.
    function donateToVault(uint256 targetSeed, uint256 amountSeed) external step {
        _donate(donor, _pickVault(targetSeed), _bound(amountSeed, 1, 1_000 * USD));
        _count("donateToVault.ok");
    }

    function donateToPool(uint256 amountSeed) external step {
        _donate(donor, address(s.pool), _bound(amountSeed, 1, 50_000 * USD));
        _count("donateToPool.ok");
    }

    function donateToInsurance(uint256 amountSeed) external step {
        _donate(donor, address(s.insurance), _bound(amountSeed, 1, 20_000 * USD));
        _count("donateToInsurance.ok");
    }

    /// @dev A plain transfer into the system. A vault's donation is not collateral: no record moves, and it is swept
    /// to the insurance fund when the vault is reused (rule 15).
    function _donate(address from, address to, uint256 amount) internal {
        _mintTo(from, amount);
        _as(from);
        s.usd.transfer(to, amount);
        ghostIn += amount;
        if (to == address(s.pool)) exactPoolNum += int256(amount * DEN);
        else if (to != address(s.insurance)) {
            _addVault(to);
            donationOf[to] += amount;
        }
        // A donation moves no record; a live position's vault just holds more.
        _checkAll(new uint256[](0), "donate");
    }

    /// @dev A live position's vault, a free vault, or the address of the engine's next clone.
    function _pickVault(uint256 seed) internal view returns (address) {
        if (seed % 3 == 0 && _liveIds.length != 0) return _pos[_liveIds[seed % _liveIds.length]].vault;
        if (seed % 3 == 1 && _freeVaults.length != 0) return _freeVaults[seed % _freeVaults.length];
        return vm.computeCreateAddress(address(s.engine), vm.getNonce(address(s.engine)));
    }

    // ================================================================ oracle, time, pause, blocklist

    /// @notice Moves a market by −20 % to +20 %.
    function movePrice(uint256 marketSeed, uint256 bpsSeed) external step {
        if (constantPrices) return _count("movePrice.skipped");
        _movePrice(marketSeed % 2, int256(_bound(bpsSeed, 0, 4_000)) - 2_000);
        _count("movePrice.ok");
    }

    /// @notice Crashes a market by 30 % to 70 %.
    function crash(uint256 marketSeed, uint256 bpsSeed) external step {
        if (constantPrices) return _count("crash.skipped");
        _movePrice(marketSeed % 2, -int256(_bound(bpsSeed, 3_000, 7_000)));
        _count("crash.ok");
    }

    /// @notice Rallies a market by 30 % to 150 % (shorts under water, longs into their profit cap).
    function rally(uint256 marketSeed, uint256 bpsSeed) external step {
        if (constantPrices) return _count("rally.skipped");
        _movePrice(marketSeed % 2, int256(_bound(bpsSeed, 3_000, 15_000)));
        _count("rally.ok");
    }

    /// @notice A new round a few seconds on: at the same answer at constant prices, within ±1 % otherwise.
    function publishRound(uint256 marketSeed, uint256 seed) external step {
        _publishFresh(marketSeed % 2, seed);
        _count("publishRound.ok");
    }

    /// @notice Moves a position's market 0.1 % to 3 % past the lens's liquidation price, so that liquidations with
    /// equity left (keeper fee, penalty, owner refund all paid) happen often, and checks the lens: past its liquidation
    /// price a position is liquidatable. (The price ignores the profit cap, which only lowers equity further.)
    function pushToLiquidation(uint256 idSeed, uint256 bpsSeed) external step {
        uint256 id = _pickOpen(idSeed);
        if (constantPrices || id == 0) return _count("pushToLiquidation.skipped");
        _warp(_bound(bpsSeed, 1, 60));
        Position memory p = _pos[id];
        uint256 liquidationPrice = s.lens.liquidationPrice(id);
        uint256 bps = _bound(bpsSeed, 10, 300);
        // Rounded to the feed's 8 decimals away from the boundary.
        uint256 target =
            p.isLong
                ? ((liquidationPrice * (10_000 - bps)) / 10_000 / 1e10) * 1e10
                : _divUp((liquidationPrice * (10_000 + bps)) / 10_000, 1e10) * 1e10;
        if (target < initialPrice[p.marketId] / 20 || target > initialPrice[p.marketId] * 20) {
            return _count("pushToLiquidation.skipped");
        }
        _publish(p.marketId, int256(target / 1e10));
        _check(value(id).liquidatable, "LENS", "healthy past its liquidation price");
        _count("pushToLiquidation.ok");
    }

    /// @notice Moves a position's market to the last feed price (8 decimals) at which it is still healthy by the
    /// engine's maths: right on the maintenance boundary, where rounding decides and INV-4 matters most.
    function pushToBoundary(uint256 idSeed) external step {
        uint256 id = _pickOpen(idSeed);
        if (constantPrices || id == 0) return _count("pushToBoundary.skipped");
        Position memory p = _pos[id];
        uint256 index = s.engine.borrowIndex(p.marketId, p.isLong);
        // Feed ticks (1e10 wei of price) around the lens's liquidation price, within the simulated price range.
        uint256 guess = s.lens.liquidationPrice(id) / 1e10;
        uint256 lo = _max((guess * 95) / 100, initialPrice[p.marketId] / 20 / 1e10);
        uint256 hi = _min((guess * 105) / 100 + 1, (initialPrice[p.marketId] * 20) / 1e10);
        // A long is healthy above the boundary, a short below it: the bracket must straddle it.
        if (
            lo >= hi ||
            !_valueAt(p, (p.isLong ? lo : hi) * 1e10, index).liquidatable ||
            _valueAt(p, (p.isLong ? hi : lo) * 1e10, index).liquidatable
        ) return _count("pushToBoundary.skipped");
        // Keep `healthy(good)` and `!healthy(bad)`, and close in.
        (uint256 good, uint256 bad) = p.isLong ? (hi, lo) : (lo, hi);
        while (good > bad ? good - bad > 1 : bad - good > 1) {
            uint256 mid = (good + bad) / 2;
            if (!_valueAt(p, mid * 1e10, index).liquidatable) good = mid;
            else bad = mid;
        }
        _publish(p.marketId, int256(good));
        _check(!value(id).liquidatable, "INV-4", "pushToBoundary: boundary search");
        _count("pushToBoundary.ok");
    }

    /// @notice Lets 1 minute to 45 days pass, with the feeds kept fresh (a round half an hour before the end and one at
    /// the end, so the gap never shows as an outage inside the grace window). Pending orders expire or miss their
    /// window.
    function passTime(uint256 secondsSeed) external step {
        uint256 dt = _bound(secondsSeed, 1 minutes, 45 days);
        if (dt <= REFRESH_AFTER) {
            _warp(dt);
        } else {
            vm.warp(block.timestamp + dt - REFRESH_AFTER);
            _pushRound(0);
            _pushRound(1);
            vm.warp(block.timestamp + REFRESH_AFTER);
            _pushRound(0);
            _pushRound(1);
        }
        _count("passTime.ok");
    }

    /// @notice Pauses for a few calls (the guardian unpauses after PAUSE_CALLS handler calls), or unpauses early.
    function togglePause() external step {
        _setPaused(!ghostPaused);
        _count("togglePause.ok");
    }

    /// @notice Blocklists or clears traders[2] on the token: payouts to it become claims while it is blocked.
    function toggleBlocklist() external step {
        carolBlocked = !carolBlocked;
        _applyBlocklist();
        _count("toggleBlocklist.ok");
    }

    /// @notice A market's feed goes down: no round for longer than its heartbeat. Until the next price action publishes
    /// one, nothing is priced there (executions wait, liquidations and margin removal revert); after it, a grace period
    /// runs (no liquidation, no margin removal, opens and increases whose round falls inside it are cancelled).
    function outage(uint256 marketSeed, uint256 secondsSeed) external step {
        uint256 marketId = marketSeed % 2;
        _outage[marketId] = true;
        uint256 staleAt = _latestRound(marketId).at + _market[marketId].heartbeat + 1;
        uint256 target = staleAt + _bound(secondsSeed, 0, 10 minutes);
        if (target > block.timestamp) _warp(target - block.timestamp);
        _count("outage.ok");
    }

    function _movePrice(uint256 marketId, int256 bps) internal {
        _warp(_bound(uint256(keccak256(abi.encode(block.timestamp, bps))), 1, 120));
        (, uint256 price) = _latestPrice(marketId);
        _publish(marketId, int256(_clampPrice(marketId, (price * uint256(10_000 + bps)) / 10_000) / 1e10));
    }

    /// @dev One to three seconds on, a round at the same answer (constant prices) or moved by up to ±1 %.
    function _publishFresh(uint256 marketId, uint256 seed) internal {
        _warp(1 + (seed % 3));
        (, uint256 price) = _latestPrice(marketId);
        if (!constantPrices) price = _clampPrice(marketId, (price * (9_900 + ((seed >> 4) % 201))) / 10_000);
        _publish(marketId, int256(price / 1e10));
    }

    /// @dev Publishes the next order's round if it has none yet.
    function _publishFor(uint256 id, uint256 seed) internal {
        (Order memory o, ) = _next(id);
        if (o.kind == OrderKind.None) return;
        (bool found, ) = _firstRoundAfter(_pos[id].marketId, o.roundId, o.requestedAt);
        if (!found) _publishFresh(_pos[id].marketId, seed);
    }

    function _clampPrice(uint256 marketId, uint256 price) internal view returns (uint256) {
        uint256 lo = initialPrice[marketId] / 20;
        uint256 hi = initialPrice[marketId] * 20;
        return
            price < lo
                ? lo
                : price > hi
                    ? hi
                    : price;
    }

    // ================================================================ picking

    /// @dev A live id (pending or open) from a seeded offset, or an unused id if none is live.
    function _pickLive(uint256 seed) internal view returns (uint256) {
        if (_liveIds.length == 0) return lastId + 1;
        return _liveIds[seed % _liveIds.length];
    }

    /// @dev An open position (its open executed) from a seeded offset; zero if none.
    function _pickOpen(uint256 seed) internal view returns (uint256) {
        uint256 n = _liveIds.length;
        for (uint256 i; i < n; ++i) {
            uint256 id = _liveIds[(seed + i) % n];
            if (_pos[id].size != 0) return id;
        }
        return 0;
    }

    /// @dev A live id with a pending order from a seeded offset; one call in eight (or when none waits) any id.
    function _pickPending(uint256 seed) internal view returns (uint256) {
        uint256 n = _liveIds.length;
        for (uint256 i; i < n && seed % 8 != 0; ++i) {
            uint256 id = _liveIds[(seed + i) % n];
            if (_order[id].kind != OrderKind.None || _close[id].kind != OrderKind.None) return id;
        }
        return _bound(seed, 1, lastId + 1);
    }

    function _batchIds(uint256 seed, uint256 lengthSeed) internal view returns (uint256[] memory ids) {
        uint256 length = _bound(lengthSeed, 1, 6);
        ids = new uint256[](length);
        for (uint256 i; i < length; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            ids[i] = r % 3 != 0 ? _pickLive(r) : _bound(r, 1, lastId + 2);
        }
    }

    /// @dev The owner, or (one call in sixteen) another trader, to exercise NotPositionOwner.
    function _callerFor(address owner, uint256 seed) internal view returns (address) {
        if (owner == address(0)) return traders[seed % 4];
        if (seed % 16 != 0) return owner;
        address other = traders[(seed / 16) % 4];
        return other == owner ? traders[((seed / 16) + 1) % 4] : other;
    }

    /// @dev Mostly the owner; sometimes the blocklisted receiver (the payout becomes the owner's claim) or zero.
    function _receiverFor(address owner, uint256 seed) internal view returns (address) {
        if (seed % 32 == 0) return address(0);
        if (seed % 8 == 1) return blockedReceiver;
        return owner == address(0) ? traders[0] : owner;
    }

    /// @dev Mostly the keeper; sometimes the attacker or the owner itself. Never a blocklisted account: the executor
    /// is paid straight from the vault, so one that cannot receive only makes its own call revert.
    function _executorFor(uint256 seed, address owner) internal view returns (address) {
        if (seed % 8 == 0) return attacker;
        if (seed % 8 == 1 && owner != address(0) && !_blocked(owner)) return owner;
        return keeper;
    }

    // ================================================================ views for the invariants

    /// @notice The engine's `orderStatus` as the handler's round log says it must be: judged without a price (so a
    /// cancellable order shows as such during an outage); executable only with a good latest price.
    function expectedOrderStatus(uint256 id) public view returns (OrderStatus status, uint80 roundId) {
        (Order memory o, ) = _next(id);
        if (o.kind == OrderKind.None) return (OrderStatus.None, 0);
        Verdict memory v = _verdict(o, _pos[id].marketId);
        if (v.action == CANCEL) return (OrderStatus.Cancellable, 0);
        if (v.action == WAIT) return (OrderStatus.Waiting, 0);
        (bool isPriced, ) = _latestPrice(_pos[id].marketId);
        return (isPriced ? OrderStatus.Executable : OrderStatus.Waiting, v.roundId);
    }

    /// @notice Every actor but the passive LP: traders, attacker, keeper, donor and the active LPs.
    function group() public view returns (address[] memory g) {
        g = new address[](8);
        (g[0], g[1], g[2], g[3]) = (traders[0], traders[1], traders[2], attacker);
        (g[4], g[5], g[6], g[7]) = (keeper, donor, lps[0], lps[1]);
    }
}

/// @notice The SPEC's invariants (section 1, "Invariants" 1–8), the engine's aggregates and the lens, checked after
/// every handler call. Each assertion's message starts with the invariant id. Checks that need a call per operation
/// (isolation of the other positions, predicted reverts, flows and events, exact-arithmetic bounds per payout, the
/// execution round of every executed order) run in the handler and are reported here under the same ids.
abstract contract BulkheadInvariantBase is BaseTest {
    uint256 internal constant DEN = 1e18 * 1e18 * 1e12;
    /// @dev Every order carries at least this execution fee, so escrow and executor pay are exercised.
    uint256 internal constant MIN_EXECUTION_FEE = USD / 10;
    uint256 internal constant GRACE_PERIOD = 120;

    BulkheadHandler internal handler;
    address internal carol = makeAddr("carol");
    address internal lp2 = makeAddr("lp2");
    address internal lp3 = makeAddr("lp3");
    address internal mallory = makeAddr("mallory");

    /// @dev Whether prices stay where they start (INV-7's mode).
    function _constantPrices() internal pure virtual returns (bool) {
        return false;
    }

    function setUp() public override {
        super.setUp();
        GlobalParams memory g = defaultGlobalParams();
        g.minExecutionFee = uint80(MIN_EXECUTION_FEE);
        // Two minutes of grace after an outage: long enough to span several handler calls (a call moves time 1–12 s),
        // short enough that most of a campaign is not spent in it.
        g.liquidationGracePeriod = uint32(GRACE_PERIOD);
        vm.prank(governance);
        config.setGlobalParams(g);
        handler = new BulkheadHandler(
            System({
                usd: usd,
                engine: engine,
                pool: pool,
                insurance: insurance,
                lens: lens,
                config: config,
                ethFeed: ethFeed,
                btcFeed: btcFeed,
                guardian: guardian
            }),
            [alice, bob, carol],
            [lp2, lp3],
            mallory,
            _constantPrices()
        );
        vm.label(address(handler), "handler");
        // Every run starts with a position on each side of each market, so even short runs act on several positions:
        // four requests (collateral seeds ≡ 2 mod 16: plain amounts; order seed 4: valid, loose terms), then a keeper
        // sweep at fresh rounds.
        handler.requestOpen(0, 0, true, 500 * USD + 2, 60_000, 4); // alice, ETH long, 6×
        handler.requestOpen(1, 0, false, 800 * USD + 2, 40_000, 4); // bob, ETH short, 4×
        handler.requestOpen(2, 1, true, 300 * USD + 2, 90_000, 4); // carol, BTC long, 9×
        handler.requestOpen(0, 1, false, 1_000 * USD + 2, 20_000, 4); // alice, BTC short, 2×
        handler.keeperSweep(0, true);
        uint256[] memory ids = handler.liveIds();
        assertEq(ids.length, 4, "setUp: seed positions");
        for (uint256 i; i < ids.length; ++i) assertGt(engine.position(ids[i]).size, 0, "setUp: seed opens executed");
        _assertNoViolation("REVERT");

        // Weights: opens and keeper sweeps most (positions take two steps to open, and keepers act at every round,
        // so that orders seldom miss their window); price moves toward liquidation, the cap and the maintenance
        // boundary often; every other action at least once in 69.
        bytes4[69] memory weighted = [
            BulkheadHandler.requestOpen.selector,
            BulkheadHandler.requestOpen.selector,
            BulkheadHandler.requestOpen.selector,
            BulkheadHandler.requestOpen.selector,
            BulkheadHandler.requestOpen.selector,
            BulkheadHandler.requestOpen.selector,
            BulkheadHandler.requestIncrease.selector,
            BulkheadHandler.requestIncrease.selector,
            BulkheadHandler.requestDecrease.selector,
            BulkheadHandler.requestDecrease.selector,
            BulkheadHandler.requestClose.selector,
            BulkheadHandler.requestClose.selector,
            BulkheadHandler.executeOrder.selector,
            BulkheadHandler.executeOrder.selector,
            BulkheadHandler.executeOrder.selector,
            BulkheadHandler.executeOrder.selector,
            BulkheadHandler.executeOrders.selector,
            BulkheadHandler.keeperSweep.selector,
            BulkheadHandler.keeperSweep.selector,
            BulkheadHandler.keeperSweep.selector,
            BulkheadHandler.keeperSweep.selector,
            BulkheadHandler.keeperSweep.selector,
            BulkheadHandler.keeperSweep.selector,
            BulkheadHandler.cancelOrder.selector,
            BulkheadHandler.claim.selector,
            BulkheadHandler.claim.selector,
            BulkheadHandler.addMargin.selector,
            BulkheadHandler.removeMargin.selector,
            BulkheadHandler.liquidate.selector,
            BulkheadHandler.liquidate.selector,
            BulkheadHandler.liquidateBatch.selector,
            BulkheadHandler.liquidateBatch.selector,
            BulkheadHandler.takeProfit.selector,
            BulkheadHandler.takeProfitBatch.selector,
            LpActions.requestDeposit.selector,
            LpActions.requestDeposit.selector,
            LpActions.requestRedeem.selector,
            LpActions.cancelRequest.selector,
            LpActions.executeDeposits.selector,
            LpActions.executeRedeems.selector,
            LpActions.executeRedeems.selector,
            LpActions.claimLp.selector,
            LpActions.claimLp.selector,
            LpActions.claimCancelled.selector,
            BulkheadHandler.donateToVault.selector,
            BulkheadHandler.donateToPool.selector,
            BulkheadHandler.donateToInsurance.selector,
            BulkheadHandler.movePrice.selector,
            BulkheadHandler.movePrice.selector,
            BulkheadHandler.crash.selector,
            BulkheadHandler.rally.selector,
            BulkheadHandler.publishRound.selector,
            BulkheadHandler.pushToLiquidation.selector,
            BulkheadHandler.pushToLiquidation.selector,
            BulkheadHandler.pushToBoundary.selector,
            BulkheadHandler.pushToBoundary.selector,
            BulkheadHandler.pushToCap.selector,
            BulkheadHandler.passTime.selector,
            BulkheadHandler.outage.selector,
            BulkheadHandler.togglePause.selector,
            BulkheadHandler.toggleBlocklist.selector,
            BulkheadHandler.attackerDummy.selector,
            BulkheadHandler.attackerMarginToggle.selector,
            BulkheadHandler.attackerTimedRequest.selector,
            BulkheadHandler.attackerDonate.selector,
            BulkheadHandler.attackerGift.selector,
            BulkheadHandler.attackerExecute.selector,
            BulkheadHandler.attackerExecute.selector,
            BulkheadHandler.attackerFreeOption.selector
        ];
        bytes4[] memory selectors = new bytes4[](weighted.length);
        for (uint256 i; i < weighted.length; ++i) selectors[i] = weighted[i];
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    // ================================================================ handler coverage

    /// @notice A scripted pass through the order flows' success paths, so that a campaign's silence means the
    /// predictions held, not that the handlers only ever reverted: every order kind requested and executed, a
    /// payout to a blocklisted receiver claimed, a cancellation after the deadline, a close replacing a pending order,
    /// margin both ways, a donation swept on vault reuse, and the attacker executing someone else's order.
    function test_handler_orderFlows_succeedAsPredicted() public {
        uint256 id = handler.liveIds()[0];
        // Increase, then a decrease paying the blocklisted receiver (receiver seed 1), then its claim.
        handler.requestIncrease(0, 1_000, 1, 1, 4);
        handler.executeOrder(4, 2, 1);
        handler.requestDecrease(0, 1e17 + 3, 1, 4, 1);
        handler.executeOrder(4, 2, 1);
        assertGt(handler.callCount(keccak256("claimRecorded")), 0, "a payout to the blocklisted receiver");
        handler.claim(1, 2, 1);
        // Margin both ways on the same position.
        handler.addMargin(1, 100 * USD + 1, 2);
        handler.removeMargin(1, 50 * USD + 2, 1, 2);
        // An order with a short deadline left to expire, then cancelled by anyone.
        handler.requestIncrease(2, 1_000, 1, 1, 2);
        handler.passTime(1 hours);
        handler.cancelOrder(2, 0);
        // A close requested behind a pending increase whose round does not exist yet: the increase is replaced.
        handler.requestIncrease(3, 1_000, 1, 1, 4);
        handler.requestClose(3, 1, 4, 2);
        handler.executeOrder(3, 2, 1);
        // A donation to the freed vault, swept to the insurance fund when the next request reuses it.
        handler.donateToVault(1, 10 * USD);
        handler.requestOpen(1, 0, true, 500 * USD + 2, 30_000, 4);
        assertEq(handler.callCount(keccak256("requestOpen.reusedVault")), 1, "vault reused");
        // The attacker executes that open at the last second of its round's window.
        handler.publishRound(0, 0);
        handler.attackerExecute(0, 1);
        handler.attackerGift(0, 10 * USD);
        handler.attackerDummy(0, true);
        handler.keeperSweep(7, true);
        handler.attackerMarginToggle(0, 100 * USD);
        assertTrue(engine.position(id).owner != address(0), "the first seed position is still open");

        string[17] memory ops = [
            "requestOpen.ok",
            "requestIncrease.ok",
            "requestDecrease.ok",
            "requestClose.ok",
            "executeOrder.ok",
            "attackerExecute.ok",
            "keeperSweep.ok",
            "cancelOrder.ok",
            "claim.ok",
            "addMargin.ok",
            "removeMargin.ok",
            "requestOpen.reusedVault",
            "executed",
            "cancelled.0",
            "cancelled.4",
            "claimRecorded",
            "donateToVault.ok"
        ];
        for (uint256 i; i < ops.length; ++i) assertGt(handler.callCount(keccak256(bytes(ops[i]))), 0, ops[i]);
        _assertNoViolation("REVERT");
    }

    /// @notice The LP flows, take-profit and the attacker's LP actions through their success paths.
    function test_handler_lpFlowsTakeProfitAndAttacker_succeedAsPredicted() public {
        uint256 assets = 50_000 * USD + 1; // not ≡ 0 mod 8: a valid request size
        handler.requestDeposit(0, assets);
        handler.passTime(LP_DELAY + 60);
        handler.executeDeposits();
        handler.claimLp(0, 0, 2); // deposit, everything claimable
        handler.requestRedeem(0, 9); // every share
        handler.passTime(LP_DELAY + 60);
        handler.executeRedeems(1);
        handler.claimLp(0, 2, 2); // redeem, everything claimable
        handler.requestDeposit(1, assets);
        handler.cancelRequest(1, true);
        handler.claimCancelled(1, true);
        handler.attackerTimedRequest(2 * assets, 0, 2_000);
        handler.attackerDonate(0, 100 * USD);
        if (!_constantPrices()) {
            handler.pushToCap(0, 100);
            handler.executeDeposits(); // waits: a position is 1 % beyond its cap
            assertEq(handler.callCount(keccak256("lp.waitsForKeepers")), 1, "LP executions did not wait");
            handler.takeProfit(0, 1);
            assertEq(handler.callCount(keccak256("takeProfit.ok")), 1, "takeProfit");
        }
        string[9] memory ops = [
            "requestDeposit.ok",
            "executeDeposits.ok",
            "claimDeposit.ok",
            "requestRedeem.ok",
            "executeRedeems.ok",
            "claimRedeem.ok",
            "cancelDeposit.ok",
            "claimCancelDeposit.ok",
            "attackerDonate.ok"
        ];
        for (uint256 i; i < ops.length; ++i) assertGt(handler.callCount(keccak256(bytes(ops[i]))), 0, ops[i]);
        assertEq(handler.callCount(keccak256("executeDeposits.executed")), 1, "deposit executed");
        assertEq(handler.callCount(keccak256("executeRedeems.executed")), 1, "redemption executed");
        _assertNoViolation("REVERT");
    }

    // ================================================================ INV-1 isolation

    /// @notice For every id: the engine's record, pending orders, claim and vault are the ghost's; a live position's
    /// vault holds exactly its collateral, keeper reserve, pending escrow and the donations sitting in it (so at least
    /// its recorded amounts); no two live positions share a vault; every vault not in use holds only donations; the
    /// engine's free list is as long as the ghost's; and the aggregates the engine keeps are the sums over the open
    /// positions. (The handler also checks after every operation that every other position kept its record, claim and
    /// vault balance.)
    function _assertInv1Isolation() internal view {
        _assertNoViolation("INV-1");
        uint256[] memory ids = handler.liveIds();
        uint256[] memory claimIds = handler.claimIds();
        // Live ids, ids with a claim (a position that ended can only change through its claim) and the next id.
        uint256[] memory checked = new uint256[](ids.length + claimIds.length + 1);
        for (uint256 i; i < ids.length; ++i) checked[i] = ids[i];
        for (uint256 i; i < claimIds.length; ++i) checked[ids.length + i] = claimIds[i];
        checked[checked.length - 1] = handler.lastId() + 1;
        for (uint256 k; k < checked.length; ++k) {
            uint256 id = checked[k];
            Position memory p = engine.position(id);
            assertEq(keccak256(abi.encode(p)), keccak256(abi.encode(handler.ghostPosition(id))), "INV-1 record");
            (Order memory o, Order memory c) = engine.orders(id);
            (Order memory go, Order memory gc) = handler.ghostOrders(id);
            assertEq(keccak256(abi.encode(o, c)), keccak256(abi.encode(go, gc)), "INV-1 pending orders");
            (, uint256 claimAmount) = engine.claimOf(id);
            assertEq(claimAmount, handler.ghostClaim(id), "INV-1 claim");
            assertEq(engine.vaultOf(id), p.vault, "INV-1 vaultOf");
            if (handler.isLive(id)) {
                uint256 held = usd.balanceOf(p.vault);
                assertEq(held, handler.heldFor(id) + handler.donationOf(p.vault), "INV-1 vault balance");
                assertGe(held, uint256(p.collateral) + p.keeperReserve + handler.escrowOf(id), "INV-1 vault < records");
                assertGt(p.vault.code.length, 0, "INV-1 live position without a vault");
            } else {
                assertEq(p.owner, address(0), "INV-1 record of an id not in use");
            }
        }
        address[] memory used = new address[](ids.length);
        for (uint256 i; i < ids.length; ++i) {
            used[i] = engine.position(ids[i]).vault;
            for (uint256 j; j < i; ++j) assertTrue(used[j] != used[i], "INV-1 two positions share a vault");
        }
        address[] memory all = handler.vaults();
        for (uint256 v; v < all.length; ++v) {
            bool inUse;
            for (uint256 i; i < used.length; ++i) if (used[i] == all[v]) inUse = true;
            if (!inUse) assertEq(usd.balanceOf(all[v]), handler.donationOf(all[v]), "INV-1 idle vault balance");
        }
        assertEq(engine.freeVaultCount(), handler.freeVaults().length, "INV-1 free vault count");
        _assertAggregates(ids);
    }

    /// @dev Per market side, open interest, entry notional, collateral and caps are the sums over the open positions
    /// (pending opens count for nothing); total reserved is the sum of caps; total entry notional the sum of
    /// rounded-up entry notionals; position ids are the handler's.
    function _assertAggregates(uint256[] memory ids) internal view {
        uint256[4] memory openInterest;
        uint256[4] memory entryNotional;
        uint256[4] memory collateral;
        uint256[4] memory maxProfit;
        uint256 reserved;
        uint256 totalNotional;
        for (uint256 i; i < ids.length; ++i) {
            Position memory p = engine.position(ids[i]);
            if (p.size == 0) continue;
            uint256 side = uint256(p.marketId) * 2 + (p.isLong ? 0 : 1);
            uint256 notional = PositionMath.notionalUp(p.size, p.entryPrice);
            openInterest[side] += p.size;
            entryNotional[side] += notional;
            collateral[side] += p.collateral;
            maxProfit[side] += p.maxProfit;
            reserved += p.maxProfit;
            totalNotional += notional;
        }
        for (uint256 side; side < 4; ++side) {
            SideState memory state = engine.sideState(side / 2, side % 2 == 0);
            assertEq(state.openInterest, openInterest[side], "INV-1 AGG side open interest != sum of sizes");
            assertEq(state.entryNotional, entryNotional[side], "INV-1 AGG side entry notional != sum of notionalUp");
            assertEq(state.collateral, collateral[side], "INV-1 AGG side collateral != sum of collateral");
            assertEq(state.maxProfit, maxProfit[side], "INV-1 AGG side maxProfit != sum of maxProfit");
        }
        assertEq(engine.totalReserved(), reserved, "INV-1 AGG totalReserved != sum of maxProfit");
        assertEq(engine.totalEntryNotional(), totalNotional, "INV-1 AGG totalEntryNotional != sum of notionalUp");
        assertEq(engine.nextPositionId(), handler.lastId() + 1, "INV-1 AGG position ids");
    }

    // ================================================================ INV-2 conservation

    /// @notice Vaults + pool + insurance fund + the engine's claims hold exactly what came in minus what went out; the
    /// engine holds exactly the recorded claims; the lens and the vault implementation hold nothing; the pool's balance
    /// and shares split exactly into equity and what belongs to LPs' requests.
    function _assertInv2Conservation() internal view {
        _assertNoViolation("INV-2");
        uint256 held =
            usd.balanceOf(address(pool)) + usd.balanceOf(address(insurance)) + usd.balanceOf(address(engine));
        address[] memory all = handler.vaults();
        for (uint256 v; v < all.length; ++v) held += usd.balanceOf(all[v]);
        assertEq(held, handler.ghostIn() - handler.ghostOut(), "INV-2 system balance != in - out");
        assertEq(usd.balanceOf(address(engine)), handler.totalClaims(), "INV-2 engine balance != claims");
        uint256[] memory claimIds = handler.claimIds();
        uint256 claims;
        for (uint256 i; i < claimIds.length; ++i) {
            (, uint256 amount) = engine.claimOf(claimIds[i]);
            claims += amount;
        }
        assertEq(claims, handler.totalClaims(), "INV-2 claims != ghost");
        assertEq(usd.balanceOf(address(lens)), 0, "INV-2 lens holds asset");
        assertEq(usd.balanceOf(engine.VAULT_IMPLEMENTATION()), 0, "INV-2 vault implementation holds asset");

        // The pool's balance is its equity plus what belongs to LPs' requests: pending deposits, executed redemptions
        // and cancelled deposits not claimed yet. Its own share balance is what it escrows: claimable deposits'
        // shares, pending and cancelled redemptions.
        address[] memory lpActors = _lpActors();
        uint256 outside;
        uint256 escrowed;
        for (uint256 i; i < lpActors.length; ++i) {
            address a = lpActors[i];
            outside +=
                pool.pendingDepositRequest(0, a) +
                pool.maxWithdraw(a) +
                pool.claimableCancelDepositRequest(0, a);
            escrowed += pool.maxMint(a) + pool.pendingRedeemRequest(0, a) + pool.claimableCancelRedeemRequest(0, a);
        }
        assertEq(
            usd.balanceOf(address(pool)),
            pool.equityAssets() + outside,
            "INV-2 pool balance != equity + LP claims"
        );
        assertEq(pool.balanceOf(address(pool)), escrowed, "INV-2 pool's shares != escrowed for LPs");
        uint256 held_;
        for (uint256 i; i < lpActors.length; ++i) held_ += pool.balanceOf(lpActors[i]);
        assertEq(pool.totalSupply(), held_ + escrowed, "INV-2 share supply != held + escrowed");
    }

    /// @dev Every account that can hold LP shares or requests: the fixture's passive LP and the handler's LP actors.
    function _lpActors() internal view returns (address[] memory a) {
        a = new address[](4);
        (a[0], a[1], a[2], a[3]) = (lp, lp2, lp3, mallory);
    }

    // ================================================================ INV-3 solvency

    /// @notice Pool equity (the balance less pending deposits, executed redemptions and cancelled deposits waiting to
    /// be claimed) covers every reserved profit cap, `totalReserved ≤ equityAssets`, and so what closing every position
    /// at once at the current price would take. Reservations grow only through an executed open or increase, whose
    /// capacity check reads equity; pending orders reserve nothing. Bad debt is where the pool receives less than a
    /// position lost, never where it pays: INV-3 holds with it (the handler records whether a run saw bad debt).
    function _assertInv3Solvency() internal view {
        _assertNoViolation("INV-3");
        uint256 equity = pool.equityAssets();
        uint256 reserved = engine.totalReserved();
        assertLe(reserved, equity, "INV-3 total reserved > pool equity");
        assertEq(pool.freeLiquidity(), equity - reserved, "INV-3 free liquidity");
        uint256[] memory ids = handler.liveIds();
        uint256 owedNow;
        for (uint256 i; i < ids.length; ++i) {
            if (engine.position(ids[i]).size == 0) continue;
            EngineModel.Valuation memory v = handler.value(ids[i]);
            int256 settlement = v.pnl - int256(v.fees);
            if (settlement > 0) owedNow += uint256(settlement);
        }
        assertGe(equity, owedNow, "INV-3 pool equity cannot pay every position now");
    }

    // ================================================================ INV-4 liquidation

    /// @notice On a state snapshot, for every open position: if the engine's maths say it is liquidatable (and no
    /// grace period runs), liquidating it succeeds, deletes its record and leaves its vault holding only what was
    /// donated to it; otherwise liquidating reverts with NotLiquidatable carrying its equity and maintenance margin.
    function _assertInv4LiquidatableIffLiquidation() internal {
        _assertNoViolation("INV-4");
        for (uint256 m; m < 2; ++m) {
            if (!handler.priced(m)) continue;
            uint256 engineSays = engine.liquidationResumesAt(m);
            uint256 logSays = handler.resumesAt(m);
            if (engineSays > block.timestamp || logSays > block.timestamp) {
                assertEq(engineSays, logSays, "INV-4 grace period differs from the round log");
            }
        }
        uint256[] memory ids = handler.liveIds();
        uint256 snapshot = vm.snapshotState();
        for (uint256 i; i < ids.length; ++i) {
            Position memory p = engine.position(ids[i]);
            if (p.size == 0) continue;
            if (!handler.priced(p.marketId)) {
                vm.prank(keeper);
                try engine.liquidate(ids[i]) {
                    assertTrue(false, "INV-4 a position was liquidated without a price");
                } catch (bytes memory err) {
                    assertEq(err, handler.noPriceError(p.marketId), "INV-4 wrong revert without a price");
                }
                continue;
            }
            EngineModel.Valuation memory v = handler.value(ids[i]);
            uint256 resumes = engine.liquidationResumesAt(p.marketId);
            bool liquidatable = v.liquidatable && resumes <= block.timestamp;
            assertEq(lens.liquidatable(_ids(ids[i]))[0], liquidatable, "INV-4 lens.liquidatable != engine maths");
            vm.prank(keeper);
            try engine.liquidate(ids[i]) {
                assertTrue(liquidatable, "INV-4 a healthy position was liquidated");
                assertEq(engine.position(ids[i]).owner, address(0), "INV-4 record not deleted");
                assertEq(usd.balanceOf(p.vault), handler.donationOf(p.vault), "INV-4 vault holds more than donations");
            } catch (bytes memory err) {
                assertFalse(
                    liquidatable,
                    string.concat("INV-4 a liquidatable position could not be liquidated: ", vm.toString(err))
                );
                assertEq(
                    err,
                    resumes > block.timestamp
                        ? abi.encodeWithSelector(IMarginEngineBase.GracePeriod.selector, resumes)
                        : abi.encodeWithSelector(
                            IMarginEngineBase.NotLiquidatable.selector,
                            ids[i],
                            v.equity,
                            v.maintenance
                        ),
                    "INV-4 wrong revert for a position that is not liquidatable now"
                );
            }
        }
        vm.revertToState(snapshot);
    }

    // ================================================================ INV-5 owner's exits

    /// @notice On a state snapshot, every owner can add margin, and can close given a fresh round, paused or not,
    /// whatever orders are pending: it requests a close (unless one is pending), a round is published, a keeper
    /// executes; a close that could no longer execute is asked again. The position ends (closed, or liquidated
    /// instead if it was liquidatable), its vault holding only donations; once every open position has ended nothing
    /// is reserved and no open interest is left.
    function _assertInv5OwnerCanAlwaysAddMarginAndClose() internal {
        _assertNoViolation("INV-5");
        uint256[] memory ids = handler.liveIds();
        uint256 snapshot = vm.snapshotState();
        for (uint256 i; i < ids.length; ++i) {
            Position memory p = engine.position(ids[i]);
            if (p.size == 0) continue;
            usd.mint(p.owner, 2 * USD);
            vm.prank(p.owner);
            try engine.addMargin(ids[i], USD) {} catch (bytes memory err) {
                assertTrue(false, string.concat("INV-5 owner could not add margin: ", vm.toString(err)));
            }
            for (uint256 attempt; attempt < 3 && engine.position(ids[i]).owner != address(0); ++attempt) {
                (, Order memory close) = engine.orders(ids[i]);
                if (close.kind == OrderKind.None) {
                    vm.prank(p.owner);
                    try
                        engine.requestClose(
                            ids[i],
                            p.isLong ? 0 : type(uint128).max,
                            block.timestamp + MAX_ORDER_WAIT,
                            MIN_EXECUTION_FEE,
                            p.owner
                        )
                    {} catch (bytes memory err) {
                        assertTrue(false, string.concat("INV-5 owner could not request a close: ", vm.toString(err)));
                    }
                }
                vm.warp(block.timestamp + 1);
                IMockFeed feed = p.marketId == ETH ? ethFeed : btcFeed;
                feed.updateAnswer(feed.latestAnswer());
                vm.prank(keeper);
                try engine.executeOrder(ids[i]) {} catch (bytes memory err) {
                    assertTrue(false, string.concat("INV-5 the close could not execute: ", vm.toString(err)));
                }
            }
            assertEq(engine.position(ids[i]).owner, address(0), "INV-5 position still open after its close");
            assertEq(usd.balanceOf(p.vault), handler.donationOf(p.vault), "INV-5 vault holds more than donations");
        }
        assertEq(engine.totalReserved(), 0, "INV-5 reserved left after closing everything");
        assertEq(engine.totalEntryNotional(), 0, "INV-5 entry notional left after closing everything");
        for (uint256 m; m < 2; ++m) {
            assertEq(engine.sideState(m, true).openInterest, 0, "INV-5 long open interest left");
            assertEq(engine.sideState(m, false).openInterest, 0, "INV-5 short open interest left");
        }
        vm.revertToState(snapshot);
    }

    // ================================================================ INV-6 rounding

    /// @notice The pool holds at least what exact arithmetic would have left it with, and callers (closing and
    /// decreasing owners, keepers, margin removers) were paid at most what exact arithmetic would have paid them.
    /// (The handler checks the same per operation, and the LP share conversions against their exact values.)
    function _assertInv6NoRoundingPaysMoreThanExact() internal view {
        _assertNoViolation("INV-6");
        int256 poolExact = handler.exactPoolNum();
        assertGe(int256(usd.balanceOf(address(pool)) * DEN), poolExact, "INV-6 pool below exact arithmetic");
        assertLe(handler.callerPaid() * DEN, handler.callerPaidExactNum(), "INV-6 callers paid above exact");
    }

    // ================================================================ INV-7 no free value

    /// @notice At constant prices (the derived campaign): no trader ends richer than the asset minted to it plus the
    /// margin others gave it; the attacker no richer than that plus what it earned executing, liquidating and taking
    /// profit on other owners' positions and what its LP shares gained from others' fees; the group of every actor but
    /// the passive LP no richer than the asset minted to it — counting tokens, LP shares at the share price, pending,
    /// claimable and cancelled LP amounts, each position's recorded amounts, escrow and equity, and claims. The passive
    /// LP's share price never falls (checked by the handler at every call). With moving prices the handler checks that
    /// every executed LP request got no more than the fair share price at its execution.
    function _assertInv7NoFreeValue() internal view {
        _assertNoViolation("INV-7");
        if (!handler.constantPrices()) return;
        address[] memory g = handler.group();
        (uint256 assets, uint256 supply) = (pool.totalAssets() + 1, pool.totalSupply() + 1e6);
        uint256 wealth;
        uint256 minted;
        for (uint256 i; i < g.length; ++i) {
            uint256 w = handler.wealthAt(g[i], assets, supply);
            wealth += w;
            minted += handler.minted(g[i]);
            uint256 allowed = handler.minted(g[i]) + handler.gifted(g[i]) + handler.earned(g[i]);
            if (i < 3) assertLe(w, allowed, "INV-7 a trader ended richer at constant prices");
            if (g[i] == mallory) {
                assertLe(w, allowed + handler.attackerYield(), "INV-7 the attacker ended richer at constant prices");
            }
        }
        assertLe(wealth, minted, "INV-7 the actors ended richer than they started at constant prices");
    }

    // ================================================================ INV-8 execution round

    /// @notice Every executed order traded at the first answer observed after its request, within its execution
    /// window (the handler checks each `OrderExecuted` against its own record of the request and of the rounds it
    /// published); and for every pending order the engine's `orderStatus` names the round the handler's log says is
    /// its execution round.
    function _assertInv8ExecutionAtFirstRoundAfterRequest() internal view {
        _assertNoViolation("INV-8");
        uint256[] memory ids = handler.liveIds();
        for (uint256 i; i < ids.length; ++i) {
            (OrderStatus status, uint80 roundId) = engine.orderStatus(ids[i]);
            (OrderStatus expected, uint80 expectedRound) = handler.expectedOrderStatus(ids[i]);
            assertEq(uint256(status), uint256(expected), "INV-8 order status");
            assertEq(roundId, expectedRound, "INV-8 execution round");
        }
    }

    // ================================================================ the lens

    /// @notice The lens agrees with the engine on every figure of a liquidation preview, the keeper reward included.
    /// Asserted here only (not by every invariant), so that a lens defect does not mask the engine's invariants.
    function _assertLensAgreesWithEngine() internal view {
        _assertNoRecord("LENS");
    }

    /// @dev The handler's record for `invariantId` first (so the failure names it), then every other record, the
    /// handler's predictions ("REVERT": every call reverted exactly when predicted, with the predicted custom error,
    /// moved exactly the predicted amounts and emitted exactly the predicted order events) included: each invariant's
    /// campaign also reports what the handler saw break elsewhere. The lens has its own invariant.
    function _assertNoViolation(string memory invariantId) internal view {
        _assertNoRecord(invariantId);
        string[9] memory all = ["INV-1", "INV-2", "INV-3", "INV-4", "INV-5", "INV-6", "INV-7", "INV-8", "REVERT"];
        for (uint256 i; i < all.length; ++i) _assertNoRecord(all[i]);
    }

    function _assertNoRecord(string memory invariantId) internal view {
        string memory found = handler.violation(invariantId);
        assertEq(bytes(found).length, 0, found);
    }

    function _ids(uint256 id) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](1);
        ids[0] = id;
    }
}

/// @notice The campaign with moving prices, late keepers and an attacker: every invariant.
contract BulkheadInvariantTest is BulkheadInvariantBase {
    function invariant_INV1_isolation() public view {
        _assertInv1Isolation();
    }

    function invariant_INV2_conservation() public view {
        _assertInv2Conservation();
    }

    function invariant_INV3_solvency() public view {
        _assertInv3Solvency();
    }

    function invariant_INV4_liquidatableIffLiquidation() public {
        _assertInv4LiquidatableIffLiquidation();
    }

    function invariant_INV5_ownerCanAlwaysAddMarginAndClose() public {
        _assertInv5OwnerCanAlwaysAddMarginAndClose();
    }

    function invariant_INV6_noRoundingPaysMoreThanExact() public view {
        _assertInv6NoRoundingPaysMoreThanExact();
    }

    function invariant_INV7_noFreeValue() public view {
        _assertInv7NoFreeValue();
    }

    function invariant_INV8_executionAtFirstRoundAfterRequest() public view {
        _assertInv8ExecutionAtFirstRoundAfterRequest();
    }

    function invariant_lensAgreesWithEngine() public view {
        _assertLensAgreesWithEngine();
    }
}

/// @notice The same campaign with prices that never move: INV-7's setting. Only the invariants whose meaning depends on
/// the price path run here (conservation, solvency, no free value); every campaign still checks after each call all
/// that the handler records (`_assertNoViolation`), so the others are not unwatched.
contract BulkheadConstantPriceInvariantTest is BulkheadInvariantBase {
    function _constantPrices() internal pure override returns (bool) {
        return true;
    }

    function invariant_INV2_conservation() public view {
        _assertInv2Conservation();
    }

    function invariant_INV3_solvency() public view {
        _assertInv3Solvency();
    }

    function invariant_INV7_noFreeValue() public view {
        _assertInv7NoFreeValue();
    }
}

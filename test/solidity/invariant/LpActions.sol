// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

import {Position} from "../../../contracts/interfaces/IMarginEngine.sol";
import {ILiquidityPool} from "../../../contracts/interfaces/ILiquidityPool.sol";
import {PositionMath} from "../../../contracts/libraries/PositionMath.sol";
import {HandlerState} from "./HandlerState.sol";

/// @title Invariant handler: the liquidity providers (ERC-7540)
/// @notice Requests, cancellations inside `lpDelay`, executions and the four claims of two LPs and the attacker, each
/// with its revert predicted and its flows checked: pending and set-aside amounts stay outside pool equity (rule 11),
/// executions give no more than the fair share price at execution (INV-7 with moving prices), claims round against the
/// claimant (INV-6).
abstract contract LpActions is HandlerState {
    // ================================================================ liquidity providers (ERC-7540)

    /// @dev The LP actors: two plain LPs and the attacker. The fixture's LP (`passiveLp`) never acts.
    function _lpActor(uint256 seed) internal view returns (address) {
        uint256 i = seed % 3;
        return i == 2 ? attacker : lps[i];
    }

    function requestDeposit(uint256 actorSeed, uint256 assetsSeed) external step {
        _requestDeposit(_lpActor(actorSeed), assetsSeed);
    }

    function _requestDeposit(address who, uint256 assetsSeed) internal {
        uint256 assets =
            assetsSeed % 8 == 0 ? _bound(assetsSeed, 1, minRequest - 1) : _bound(assetsSeed, minRequest, 400_000 * USD);
        bytes memory expected;
        if (assets < minRequest) {
            expected = abi.encodeWithSelector(ILiquidityPool.RequestTooSmall.selector, assets, minRequest);
        } else if (s.pool.pendingDepositRequest(0, who) != 0) {
            expected = abi.encodeWithSelector(ILiquidityPool.RequestPending.selector, who);
        }
        _mintTo(who, assets);
        uint256 equity = s.pool.equityAssets();
        (uint256 actorBefore, uint256 poolBefore) = (_bal(who), _bal(address(s.pool)));
        _as(who);
        try s.pool.requestDeposit(assets, who, who) returns (uint256 requestId) {
            if (!_succeeded("requestDeposit", expected)) return;
            (uint256 executableAt_, ) = s.pool.executableAt(who);
            _check(requestId == 0, "REVERT", "requestDeposit: request id");
            _check(s.pool.pendingDepositRequest(0, who) == assets, "INV-2", "requestDeposit: pending != assets");
            _check(executableAt_ == block.timestamp + lpDelay, "REVERT", "requestDeposit: executable time");
            _check(
                actorBefore - _bal(who) == assets && _bal(address(s.pool)) - poolBefore == assets,
                "INV-2",
                "requestDeposit: flows"
            );
            // Rule 11: a pending deposit is outside equity.
            _check(s.pool.equityAssets() == equity, "INV-3", "requestDeposit: pending deposit counted as equity");
            ghostIn += assets;
            exactPoolNum += int256(assets * DEN);
        } catch (bytes memory err) {
            _reverted("requestDeposit", expected, err);
        }
    }

    function requestRedeem(uint256 actorSeed, uint256 sharesSeed) external step {
        _requestRedeem(_lpActor(actorSeed), sharesSeed);
    }

    function _requestRedeem(address who, uint256 sharesSeed) internal {
        uint256 balance = s.pool.balanceOf(who);
        // Mostly within the balance; sometimes all of it, a dust amount, or more than it holds.
        uint256 shares;
        if (balance == 0 || sharesSeed % 8 == 0) shares = balance + _bound(sharesSeed, 1, 1e18);
        else if (sharesSeed % 8 == 1) shares = balance;
        else if (sharesSeed % 8 == 2) shares = _bound(sharesSeed, 1, 1e12);
        else shares = _bound(sharesSeed, 1, balance);
        uint256 value = (shares * s.pool.cachedSharePrice()) / WAD;
        bytes memory expected;
        if (value < minRequest) {
            expected = abi.encodeWithSelector(ILiquidityPool.RequestTooSmall.selector, value, minRequest);
        } else if (s.pool.pendingRedeemRequest(0, who) != 0) {
            expected = abi.encodeWithSelector(ILiquidityPool.RequestPending.selector, who);
        } else if (shares > balance) {
            expected = abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, who, balance, shares);
        }
        uint256 equity = s.pool.equityAssets();
        _as(who);
        try s.pool.requestRedeem(shares, who, who) returns (uint256 requestId) {
            if (!_succeeded("requestRedeem", expected)) return;
            (, uint256 executableAt_) = s.pool.executableAt(who);
            _check(requestId == 0, "REVERT", "requestRedeem: request id");
            _check(s.pool.pendingRedeemRequest(0, who) == shares, "INV-2", "requestRedeem: pending != shares");
            _check(s.pool.balanceOf(who) == balance - shares, "INV-2", "requestRedeem: shares not locked");
            _check(executableAt_ == block.timestamp + lpDelay, "REVERT", "requestRedeem: executable time");
            _check(s.pool.equityAssets() == equity, "INV-3", "requestRedeem: equity moved");
        } catch (bytes memory err) {
            _reverted("requestRedeem", expected, err);
        }
    }

    /// @notice ERC-7887 cancellation of a deposit or redemption request: only inside its `lpDelay`.
    function cancelRequest(uint256 actorSeed, bool isDeposit) external step {
        _cancelLp(_lpActor(actorSeed), isDeposit);
    }

    function _cancelLp(address who, bool isDeposit) internal {
        bytes memory expected = _predictCancel(who, isDeposit);
        string memory op = isDeposit ? "cancelDeposit" : "cancelRedeem";
        uint256 pending = _pendingOf(who, isDeposit);
        uint256 cancelledBefore = _cancelledOf(who, isDeposit);
        bytes32 poolState = _poolState();
        try this.cancelAs(who, isDeposit) {
            if (!_succeeded(op, expected)) return;
            _check(
                _cancelledOf(who, isDeposit) == cancelledBefore + pending,
                "INV-2",
                string.concat(op, ": cancelled amount")
            );
            _check(_pendingOf(who, isDeposit) == 0, "INV-2", string.concat(op, ": still pending"));
            _check(_poolState() == poolState, "INV-3", string.concat(op, ": equity or balance moved"));
        } catch (bytes memory err) {
            _reverted(op, expected, err);
        }
    }

    function _predictCancel(address who, bool isDeposit) internal view returns (bytes memory) {
        (uint256 depositAt, uint256 redeemAt) = s.pool.executableAt(who);
        uint256 executableAt_ = isDeposit ? depositAt : redeemAt;
        if (_pendingOf(who, isDeposit) == 0) {
            return abi.encodeWithSelector(ILiquidityPool.NoPendingRequest.selector, who);
        }
        if (block.timestamp >= executableAt_) {
            return abi.encodeWithSelector(ILiquidityPool.CancelWindowClosed.selector, who, executableAt_);
        }
        return "";
    }

    function _pendingOf(address who, bool isDeposit) internal view returns (uint256) {
        return isDeposit ? s.pool.pendingDepositRequest(0, who) : s.pool.pendingRedeemRequest(0, who);
    }

    function _cancelledOf(address who, bool isDeposit) internal view returns (uint256) {
        return isDeposit ? s.pool.claimableCancelDepositRequest(0, who) : s.pool.claimableCancelRedeemRequest(0, who);
    }

    /// @dev The pool's equity and token balance.
    function _poolState() internal view returns (bytes32) {
        return keccak256(abi.encode(s.pool.equityAssets(), _bal(address(s.pool))));
    }

    /// @dev The cancellation itself, called through `this` so that its revert data can be caught (the prank carries
    /// the controller).
    function cancelAs(address who, bool isDeposit) external {
        if (msg.sender != address(this)) revert OnlySelf(msg.sender);
        _as(who);
        if (isDeposit) s.pool.cancelDepositRequest(0, who);
        else s.pool.cancelRedeemRequest(0, who);
    }

    struct Execution {
        bool open;
        uint256 retryAt;
        uint256 totalAssets;
        uint256 supply;
        uint256 equity;
        uint256 free;
        address[] controllers;
        uint256[] assetsBefore;
        uint256[] sharesBefore;
        uint256[] pendingBefore;
        bool[] due;
        uint256 expectedCount;
    }

    function _execution() internal view returns (Execution memory e) {
        (e.open, e.retryAt) = s.pool.lpExecutionStatus();
        e.totalAssets = s.pool.totalAssets();
        e.supply = s.pool.totalSupply();
        e.equity = s.pool.equityAssets();
        e.free = s.pool.freeLiquidity();
        e.controllers = new address[](3);
        e.assetsBefore = new uint256[](3);
        e.sharesBefore = new uint256[](3);
        e.pendingBefore = new uint256[](3);
        e.due = new bool[](3);
        for (uint256 i; i < 3; ++i) e.controllers[i] = _lpActor(i);
    }

    /// @dev SPEC rule 10 with invariant 7: whenever LP requests may execute, the pool's valuation is exactly its
    /// equity less the sum of the open positions' own claims, max(min(pnl, cap) − fees, −collateral) each, to within
    /// rounding (a unit per position and term): no other position's cap or collateral moves the price an LP request
    /// gets. Two documented residuals are allowed for, each bounded and each ended by a keeper: a position beyond its
    /// cap by less than the engine's price grid step (its excess, at most 2^-10 of its notional at the cap), and a
    /// position under water through borrow fees alone, which the engine's bankruptcy price leaves out (its deficit;
    /// such a position is liquidatable).
    function _checkValuationIsTheSumOfClaims(uint256 totalAssets) internal {
        int256 claims;
        uint256 allowance = 3 * _liveIds.length + 2;
        bool[] memory liquidatable = s.lens.liquidatable(_liveIds);
        for (uint256 i; i < _liveIds.length; ++i) {
            Position memory p = s.engine.position(_liveIds[i]);
            if (p.size == 0) continue;
            uint256 price = uint256(_feed(p.marketId).latestAnswer()) * 1e10;
            int256 uncapped = PositionMath.pnl(p.isLong, p.size, p.entryPrice, price, type(uint256).max, SCALE);
            int256 pnl = uncapped < int256(uint256(p.maxProfit)) ? uncapped : int256(uint256(p.maxProfit));
            uint256 index = s.engine.borrowIndex(p.marketId, p.isLong);
            uint256 fees = PositionMath.borrowFee(p.size, p.entryPrice, index - p.borrowIndex, SCALE);
            int256 claim = pnl - int256(fees);
            int256 floor = -int256(uint256(p.collateral));
            claims += claim < floor ? floor : claim;
            if (uncapped > pnl) {
                uint256 excess = uint256(uncapped - pnl);
                uint256 atCap = PositionMath.notionalUp(
                    p.size,
                    PositionMath.capPrice(p.isLong, p.size, p.entryPrice, p.maxProfit, SCALE)
                );
                _check(excess * 1024 * SCALE <= atCap + 1024 * SCALE, "INV-7", "LP open with a position past its cap");
                allowance += excess;
            }
            if (claim < floor) {
                _check(pnl + int256(uint256(p.collateral)) >= 0, "INV-7", "LP open with a position under water");
                _check(liquidatable[i], "INV-7", "a position under water through fees is not liquidatable");
                allowance += uint256(floor - claim);
            }
        }
        int256 expected = int256(s.pool.equityAssets()) - claims;
        int256 diff = int256(totalAssets) - (expected < 0 ? int256(0) : expected);
        _check(
            uint256(diff < 0 ? -diff : diff) <= allowance,
            "INV-7",
            "LP executions open while the valuation is not the sum of the positions' claims"
        );
    }

    /// @dev The other half: LP executions never wait for a keeper who cannot act. Wherever the engine says a market
    /// (with a good price) has a position past its cap, some live position there can be taken at its cap now; past a
    /// bankruptcy price, some live position there can be liquidated now, or liquidations are in their grace period.
    function _checkEdgesCanBeCleared() internal {
        bool[] memory atCap = s.lens.atCap(_liveIds);
        bool[] memory liquidatable = s.lens.liquidatable(_liveIds);
        for (uint256 m; m < 2; ++m) {
            (, int256 answer, , uint256 updatedAt, ) = _feed(m).latestRoundData();
            if (answer <= 0 || updatedAt + _market[m].heartbeat < block.timestamp) continue;
            (bool beyondCap, bool underWater) = s.engine.pastEdges(m, uint256(answer) * 1e10);
            bool canTake;
            bool canLiquidate;
            for (uint256 i; i < _liveIds.length; ++i) {
                if (s.engine.position(_liveIds[i]).marketId != m) continue;
                canTake = canTake || atCap[i];
                canLiquidate = canLiquidate || liquidatable[i];
            }
            if (beyondCap || underWater) ++callCount[keccak256("lp.waitsForKeepers")];
            _check(!beyondCap || canTake, "INV-7", "LP executions wait for a cap nobody can take");
            if (underWater && !canLiquidate) {
                _check(
                    s.engine.liquidationResumesAt(m) > block.timestamp,
                    "INV-7",
                    "LP executions wait for a bankruptcy nobody can liquidate"
                );
            }
        }
    }

    /// @notice Executes every LP actor's due deposit request (anyone may; here the keeper).
    function executeDeposits() external step {
        Execution memory e = _execution();
        if (e.open) _checkValuationIsTheSumOfClaims(e.totalAssets);
        else _checkEdgesCanBeCleared();
        for (uint256 i; i < 3; ++i) {
            address who = e.controllers[i];
            (uint256 at, ) = s.pool.executableAt(who);
            e.pendingBefore[i] = s.pool.pendingDepositRequest(0, who);
            e.assetsBefore[i] = s.pool.claimableDepositRequest(0, who);
            e.sharesBefore[i] = s.pool.maxMint(who);
            e.due[i] = e.pendingBefore[i] != 0 && block.timestamp >= at;
            if (e.due[i]) ++e.expectedCount;
        }
        bytes memory expected =
            e.open ? bytes("") : abi.encodeWithSelector(ILiquidityPool.LpExecutionPaused.selector, e.retryAt);
        vm.prank(keeper);
        try s.pool.executeDeposits(e.controllers) returns (uint256 executed) {
            if (!_succeeded("executeDeposits", expected)) return;
            callCount[keccak256("executeDeposits.executed")] += executed;
            _check(executed == e.expectedCount, "REVERT", "executeDeposits: count != due requests");
            uint256 netIn;
            for (uint256 i; i < 3; ++i) {
                if (!e.due[i]) continue;
                address who = e.controllers[i];
                uint256 dAssets = s.pool.claimableDepositRequest(0, who) - e.assetsBefore[i];
                uint256 dShares = s.pool.maxMint(who) - e.sharesBefore[i];
                // No execution fee in this fixture: the whole request joins equity.
                _check(dAssets == e.pendingBefore[i], "INV-2", "executeDeposits: claimable != request");
                _check(s.pool.pendingDepositRequest(0, who) == 0, "INV-2", "executeDeposits: still pending");
                // INV-7 (moving prices): never more shares than the fair price at execution gives.
                _check(
                    dShares * (e.totalAssets + 1) <= dAssets * (e.supply + 1e6),
                    "INV-7",
                    "executeDeposits: shares above the fair price at execution"
                );
                netIn += dAssets;
            }
            _check(s.pool.equityAssets() == e.equity + netIn, "INV-3", "executeDeposits: equity != + executed");
        } catch (bytes memory err) {
            _reverted("executeDeposits", expected, err);
        }
    }

    /// @notice Executes up to 1–4 redemption requests in queue order, against free liquidity only.
    function executeRedeems(uint256 maxSeed) external step {
        uint256 maxRequests = _bound(maxSeed, 1, 4);
        Execution memory e = _execution();
        if (e.open) _checkValuationIsTheSumOfClaims(e.totalAssets);
        else _checkEdgesCanBeCleared();
        for (uint256 i; i < 3; ++i) {
            address who = e.controllers[i];
            e.pendingBefore[i] = s.pool.pendingRedeemRequest(0, who);
            e.assetsBefore[i] = s.pool.maxWithdraw(who);
            e.sharesBefore[i] = s.pool.maxRedeem(who);
        }
        bytes memory expected =
            e.open ? bytes("") : abi.encodeWithSelector(ILiquidityPool.LpExecutionPaused.selector, e.retryAt);
        vm.prank(keeper);
        try s.pool.executeRedeems(maxRequests) returns (uint256 executed) {
            if (!_succeeded("executeRedeems", expected)) return;
            callCount[keccak256("executeRedeems.executed")] += executed;
            _check(executed <= maxRequests, "REVERT", "executeRedeems: more than asked");
            uint256 setAside;
            for (uint256 i; i < 3; ++i) {
                address who = e.controllers[i];
                uint256 dAssets = s.pool.maxWithdraw(who) - e.assetsBefore[i];
                uint256 dShares = s.pool.maxRedeem(who) - e.sharesBefore[i];
                _check(
                    e.pendingBefore[i] - s.pool.pendingRedeemRequest(0, who) == dShares,
                    "INV-2",
                    "executeRedeems: executed shares != claimable shares"
                );
                // INV-7 (moving prices): never more assets than the fair price at execution gives.
                _check(
                    dAssets * (e.supply + 1e6) <= dShares * (e.totalAssets + 1),
                    "INV-7",
                    "executeRedeems: assets above the fair price at execution"
                );
                setAside += dAssets;
            }
            // Rule 11: redemptions take free liquidity only.
            _check(setAside <= e.free, "INV-3", "executeRedeems: took reserved liquidity");
            _check(s.pool.equityAssets() == e.equity - setAside, "INV-3", "executeRedeems: equity != - set aside");
        } catch (bytes memory err) {
            _reverted("executeRedeems", expected, err);
        }
    }

    /// @notice Claims executed requests: 0 deposit (assets), 1 mint (shares), 2 redeem (shares), 3 withdraw (assets).
    function claimLp(uint256 actorSeed, uint256 kindSeed, uint256 amountSeed) external step {
        _claimLp(_lpActor(actorSeed), kindSeed % 4, amountSeed);
    }

    struct LpClaimCase {
        address who;
        uint256 kind;
        uint256 claimAssets;
        uint256 claimShares;
        uint256 amount;
        uint256 max;
        uint256 out;
        uint256 tokensBefore;
        uint256 sharesBefore;
        uint256 equity;
        uint256 assets;
        uint256 shares;
        bytes expected;
        string op;
    }

    function _claimLp(address who, uint256 kind, uint256 amountSeed) internal {
        LpClaimCase memory c;
        c.who = who;
        c.kind = kind;
        bool isDeposit = kind < 2;
        // (isDeposit picks the deposit claim's amounts; redemptions otherwise.)
        c.claimAssets = isDeposit ? s.pool.maxDeposit(who) : s.pool.maxWithdraw(who);
        c.claimShares = isDeposit ? s.pool.maxMint(who) : s.pool.maxRedeem(who);
        bool inShares = kind == 1 || kind == 2;
        c.max = inShares ? c.claimShares : c.claimAssets;
        c.op = ["claimDeposit", "claimMint", "claimRedeem", "claimWithdraw"][kind];
        // Mostly all or part of what is claimable; sometimes zero or more.
        if (amountSeed % 16 == 0) c.amount = 0;
        else if (amountSeed % 8 == 1 || c.max == 0) c.amount = c.max + _bound(amountSeed, 1, 1e12);
        else if (amountSeed % 2 == 0) c.amount = c.max;
        else c.amount = _bound(amountSeed, 1, c.max);
        if (c.amount == 0) c.expected = abi.encodeWithSelector(ILiquidityPool.ZeroAmount.selector);
        else if (c.amount > c.max) {
            c.expected = abi.encodeWithSelector(ILiquidityPool.ExceedsClaimable.selector, who, c.amount, c.max);
        } else if (kind == 0) c.out = (c.amount * c.claimShares) / c.claimAssets;
        else if (kind == 1) c.out = _divUp(c.amount * c.claimAssets, c.claimShares);
        else if (kind == 2) c.out = (c.amount * c.claimAssets) / c.claimShares;
        else c.out = _divUp(c.amount * c.claimShares, c.claimAssets);

        c.tokensBefore = _bal(who);
        c.sharesBefore = s.pool.balanceOf(who);
        c.equity = s.pool.equityAssets();
        try this.claimAs(who, kind, c.amount) returns (uint256 out) {
            if (!_succeeded(c.op, c.expected)) return;
            _check(out == c.out, "REVERT", string.concat(c.op, ": returned amount"));
            (c.assets, c.shares) = kind == 0 || kind == 3 ? (c.amount, out) : (out, c.amount);
            _checkLpClaim(c);
        } catch (bytes memory err) {
            _reverted(c.op, c.expected, err);
        }
    }

    function _checkLpClaim(LpClaimCase memory c) internal {
        if (c.kind < 2) {
            _check(s.pool.balanceOf(c.who) - c.sharesBefore == c.shares, "INV-2", string.concat(c.op, ": shares"));
            // INV-6: never more shares per asset than the claim's own ratio.
            _check(c.assets * c.claimShares >= c.shares * c.claimAssets, "INV-6", string.concat(c.op, ": rounding"));
        } else {
            _check(_bal(c.who) - c.tokensBefore == c.assets, "INV-2", string.concat(c.op, ": assets paid"));
            _check(c.assets * c.claimShares <= c.shares * c.claimAssets, "INV-6", string.concat(c.op, ": rounding"));
            ghostOut += c.assets;
            exactPoolNum -= int256(c.assets * DEN);
        }
        // Claims move nothing in or out of equity.
        _check(s.pool.equityAssets() == c.equity, "INV-3", string.concat(c.op, ": equity moved"));
    }

    function claimAs(address who, uint256 kind, uint256 amount) external returns (uint256) {
        if (msg.sender != address(this)) revert OnlySelf(msg.sender);
        _as(who);
        if (kind == 0) return s.pool.deposit(amount, who, who);
        else if (kind == 1) return s.pool.mint(amount, who, who);
        else if (kind == 2) return s.pool.redeem(amount, who, who);
        else return s.pool.withdraw(amount, who, who);
    }

    /// @notice Claims a cancelled deposit (assets) or redemption (shares) back.
    function claimCancelled(uint256 actorSeed, bool isDeposit) external step {
        _claimCancelled(_lpActor(actorSeed), isDeposit);
    }

    function _claimCancelled(address who, bool isDeposit) internal {
        uint256 cancelled =
            isDeposit ? s.pool.claimableCancelDepositRequest(0, who) : s.pool.claimableCancelRedeemRequest(0, who);
        bytes memory expected =
            cancelled == 0 ? abi.encodeWithSelector(ILiquidityPool.ExceedsClaimable.selector, who, 0, 0) : bytes("");
        string memory op = isDeposit ? "claimCancelDeposit" : "claimCancelRedeem";
        uint256 tokensBefore = _bal(who);
        uint256 sharesBefore = s.pool.balanceOf(who);
        uint256 equity = s.pool.equityAssets();
        try this.claimCancelledAs(who, isDeposit) returns (uint256 out) {
            if (!_succeeded(op, expected)) return;
            _check(out == cancelled, "INV-2", string.concat(op, ": amount"));
            if (isDeposit) {
                _check(_bal(who) - tokensBefore == cancelled, "INV-2", string.concat(op, ": assets paid"));
                ghostOut += cancelled;
                exactPoolNum -= int256(cancelled * DEN);
            } else {
                _check(s.pool.balanceOf(who) - sharesBefore == cancelled, "INV-2", string.concat(op, ": shares"));
            }
            _check(s.pool.equityAssets() == equity, "INV-3", string.concat(op, ": equity moved"));
        } catch (bytes memory err) {
            _reverted(op, expected, err);
        }
    }

    function claimCancelledAs(address who, bool isDeposit) external returns (uint256) {
        if (msg.sender != address(this)) revert OnlySelf(msg.sender);
        _as(who);
        if (isDeposit) return s.pool.claimCancelDepositRequest(0, who, who);
        else return s.pool.claimCancelRedeemRequest(0, who, who);
    }
}

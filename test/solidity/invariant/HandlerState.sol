// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {Vm} from "forge-std/Vm.sol";

import {IBulkheadLens} from "../../../contracts/interfaces/IBulkheadLens.sol";
import {IInsuranceFund} from "../../../contracts/interfaces/IInsuranceFund.sol";
import {ILiquidityPool} from "../../../contracts/interfaces/ILiquidityPool.sol";
import {
    CancelReason,
    IMarginEngine,
    IMarginEngineBase,
    Order,
    OrderKind,
    Position
} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IOracleErrors} from "../../../contracts/interfaces/IOracleErrors.sol";
import {IRiskConfig, MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {IMockFeed, ITestStablecoin} from "../utils/Artifacts.sol";

/// @notice The deployed system a handler drives.
struct System {
    ITestStablecoin usd;
    IMarginEngine engine;
    ILiquidityPool pool;
    IInsuranceFund insurance;
    IBulkheadLens lens;
    IRiskConfig config;
    IMockFeed ethFeed;
    IMockFeed btcFeed;
    address guardian;
}

/// @title Invariant handler: ghost state and the checking machinery
/// @notice What the handler believes the system holds, kept independently of the engine's storage, and the tools that
/// compare the two after every call: a ledger of predicted token flows per account, the expected order events, a check
/// of every other position, and the record of violations per invariant id.
///
/// Ghost state: every position id's record and pending orders as the handler predicts them, each vault's user and the
/// donations sitting in it, the stack of free vaults (the engine reuses the last one freed), the claims the engine
/// holds, every oracle round the handler published, asset that entered (`ghostIn`) and left (`ghostOut`) the system,
/// and what exact (unrounded) arithmetic would have left in the pool and paid to callers.
///
/// Violations are recorded, never thrown: the runner ignores handler reverts (`failOnRevert = false`), so the invariant
/// contract asserts that no violation was recorded, under the invariant id that names it. After a violation the ghost
/// may drift from the engine; the run fails either way.
abstract contract HandlerState is CommonBase, StdCheats, StdUtils {
    /// @notice A helper the handler calls on itself (to catch a revert with a prank) was called from outside.
    error OnlySelf(address caller);
    /// @notice Revert data of a transfer to a blocklisted account (a USDC-style blocklist, mocked on the token).
    error Blocklisted(address account);

    uint256 internal constant WAD = 1e18;
    /// @dev USD WAD per asset unit (6-decimal asset).
    uint256 internal constant SCALE = 1e12;
    /// @dev One asset unit in the exact ghost accounting: amounts × W²·SCALE are whole for every product the engine
    /// rounds (size·price·ratio, size·entry·index growth, size·diff·W).
    uint256 internal constant DEN = WAD * WAD * SCALE;
    uint256 internal constant USD = 1e6;
    /// @dev Positions in use at once (pending opens included).
    uint256 internal constant MAX_LIVE = 12;
    /// @dev Oracle rounds are pushed well within the 1-hour heartbeat, so that no outage (and no grace period) shows
    /// except the ones the handler's `outage` action makes.
    uint256 internal constant REFRESH_AFTER = 30 minutes;
    /// @dev Handler calls a pause lasts.
    uint256 internal constant PAUSE_CALLS = 4;
    /// @dev Size of a prediction's ledger and event list. A keeper's sweep of every live position touches at most the
    /// pool, the fund, the engine, 12 vaults, 4 owners and the executor, and emits at most two order events per id.
    uint256 internal constant LEDGER_SIZE = 40;
    uint256 internal constant MAX_EVENTS = 32;

    System internal s;
    /// @dev traders[3] is the attacker, who also provides liquidity and executes others' orders.
    address[4] internal traders;
    address[2] internal lps;
    address public attacker;
    address internal keeper = makeAddr("handler.keeper");
    address internal donor = makeAddr("handler.donor");
    /// @notice A receiver no transfer can reach (blocklisted for the whole run): payouts named to it become claims.
    address public blockedReceiver = makeAddr("handler.blocked");
    /// @notice Whether traders[2] is blocklisted right now (toggled by a handler action).
    bool public carolBlocked;
    /// @notice Prices never move (INV-7's mode): price handlers do nothing, rounds keep the opening answers.
    bool public constantPrices;

    uint256 internal keeperReserve;
    uint256 internal minCollateral;
    uint256 internal minNotional;
    uint256 internal minExecutionFee;
    uint256 internal maxExecutionDelay;
    uint256 internal maxUtilization;
    uint256 internal gracePeriod;
    uint256 internal minRequest;
    uint256 internal lpDelay;
    MarketParams[2] internal _market;
    uint256[2] internal initialPrice;

    // ---------------------------------------------------------------- ghost state: money

    /// @notice Asset that entered the system (vaults, pool, insurance fund, the engine's claims) from outside, and
    /// that left it.
    uint256 public ghostIn;
    uint256 public ghostOut;
    /// @notice Asset minted to each actor from outside: what INV-7 compares an actor's wealth with.
    mapping(address actor => uint256) public minted;
    /// @notice Margin other accounts added to an owner's positions.
    mapping(address owner => uint256) public gifted;
    /// @notice What an account earned executing, liquidating or taking profit on other owners' positions: fees for a
    /// service, not value taken from the protocol.
    mapping(address executor => uint256) public earned;
    /// @notice An upper bound of what the attacker's LP shares gained from other accounts' activity (fees paid to the
    /// pool while it held them), asset units.
    uint256 public attackerYield;
    /// @notice The pool balance exact arithmetic would have left, × DEN.
    int256 public exactPoolNum;
    /// @notice What callers (closing and decreasing owners, keepers, margin removers) were paid, and an upper bound of
    /// what exact arithmetic would have paid them (× DEN).
    uint256 public callerPaid;
    uint256 public callerPaidExactNum;
    /// @notice Whether any liquidation, close or take-profit ran into bad debt (INV-3 holds either way; this says which
    /// case a run exercised).
    bool public badDebtSeen;
    bool public ghostPaused;
    uint256 internal _pausedCalls;

    // ---------------------------------------------------------------- ghost state: positions, orders, claims

    /// @notice Highest position id requested so far.
    uint256 public lastId;
    /// @dev Ids in use: pending opens and open positions.
    uint256[] internal _liveIds;
    mapping(uint256 positionId => uint256 indexPlusOne) internal _liveIndex;
    /// @dev The record each id must have (all zero once it is gone).
    mapping(uint256 positionId => Position) internal _pos;
    /// @dev The pending open, increase or decrease, and the pending close, as requested.
    mapping(uint256 positionId => Order) internal _order;
    mapping(uint256 positionId => Order) internal _close;
    /// @notice Claims the engine holds for owners who could not receive a payout.
    mapping(uint256 positionId => uint256) public ghostClaim;
    mapping(uint256 positionId => address) public ghostClaimOwner;
    uint256 public totalClaims;
    uint256[] internal _claimIds;
    mapping(uint256 positionId => bool) internal _hasClaimed;

    // ---------------------------------------------------------------- ghost state: vaults

    /// @dev Every address that is or will be a vault (a donation may reach the next clone's address first).
    address[] internal _vaults;
    mapping(address vault => bool) public isVault;
    /// @dev Free vaults in the engine's order: the last one is reused first.
    address[] internal _freeVaults;
    /// @notice Asset sitting in a vault above its records: donations, swept to the insurance fund on reuse.
    mapping(address vault => uint256) public donationOf;

    // ---------------------------------------------------------------- ghost state: oracle

    /// @dev A feed round as the handler published it; a mock feed's round `id` sits at index `id - 1`.
    struct Round {
        uint80 id;
        int256 answer;
        uint256 at;
    }

    mapping(uint256 marketId => Round[]) internal _rounds;
    /// @dev Markets whose feed is down: no round is pushed to them until the next price action publishes one (and a
    /// grace period starts).
    bool[2] internal _outage;
    /// @dev The latest request time: a round is published strictly after it, so that every order waits for a round
    /// nobody could see when it was requested.
    uint256 internal _lastRequestAt;

    /// @dev First violation seen per invariant id ("INV-1" … "INV-8", "LENS", "REVERT" for a call that did not behave
    /// as predicted).
    mapping(bytes32 invariantId => string) internal _violation;
    /// @notice How often each action succeeded ("requestOpen.ok"), reverted as predicted or was skipped, to check what
    /// a campaign covers.
    mapping(bytes32 action => uint256) public callCount;

    // ================================================================ every call

    /// @dev The passive LP's share price when the call started (INV-7), and when its action started, after time
    /// passed; the attacker's LP shares then; whether the attacker acts in this call.
    uint256 internal _assetsAtStart;
    uint256 internal _sharesAtStart;
    uint256 internal _assetsAtAction;
    uint256 internal _sharesAtAction;
    uint256 internal _attackerShares;
    bool internal _attackerActed;

    /// @dev Wraps every handler action: the blocklist is applied, a pause is lifted after a few calls, 1 to 12 seconds
    /// pass (borrow fees accrue between operations, and an order's 60-second execution window spans several calls, as
    /// with keepers that act at every block); after the action the passive LP's share price is checked and the
    /// attacker's LP yield booked.
    modifier step() {
        _beforeCall();
        _;
        _afterCall();
    }

    function _beforeCall() internal {
        _applyBlocklist();
        _attackerActed = false;
        // INV-7 is a constant-price statement: only that campaign pays for the share price.
        if (constantPrices) (_assetsAtStart, _sharesAtStart) = _sharePrice();
        if (ghostPaused && ++_pausedCalls > PAUSE_CALLS) _setPaused(false);
        _warp((uint256(keccak256(abi.encode(block.timestamp, lastId, _liveIds.length))) % 12) + 1);
        if (constantPrices) {
            (_assetsAtAction, _sharesAtAction) = _sharePrice();
            _attackerShares = _lpShares(attacker);
            // Time passing is everyone's fees accruing to the pool: the attacker's shares earn their part.
            _bookYield(_assetsAtStart, _sharesAtStart, _assetsAtAction, _sharesAtAction, _attackerShares);
        }
    }

    /// @dev INV-7 at constant prices: the passive LP's share price did not fall during the call. What the attacker's
    /// LP shares gained during the action is yield only if the attacker took no part in it: a rise it caused itself
    /// is value it must not keep.
    function _afterCall() internal {
        if (!constantPrices) return;
        (uint256 assets, uint256 shares) = _sharePrice();
        _check(
            assets * _sharesAtStart >= _assetsAtStart * shares,
            "INV-7",
            "the passive LP's share price fell at constant prices"
        );
        if (!_attackerActed) {
            uint256 held = _max(_attackerShares, _lpShares(attacker));
            _bookYield(_assetsAtAction, _sharesAtAction, assets, shares, held);
        }
    }

    /// @dev Adds what `held` shares gained from price (a0 / s0) to price (a1 / s1), generously: rounded up, plus a
    /// unit for the share price's own rounding.
    function _bookYield(uint256 a0, uint256 s0, uint256 a1, uint256 s1, uint256 held) internal {
        if (held == 0 || a1 * s0 <= a0 * s1) return;
        attackerYield += _divUp(held * a1, s1) - (held * a0) / s0 + 1;
    }

    /// @dev The next call is `who`'s. The attacker's own actions are marked, so that its LP yield counts only what
    /// others did.
    function _as(address who) internal {
        if (who == attacker) _attackerActed = true;
        vm.prank(who);
    }

    /// @notice The pool's share price as a fraction: (totalAssets + 1) / (totalSupply + virtual shares).
    function _sharePrice() internal view returns (uint256 assets, uint256 shares) {
        return (s.pool.totalAssets() + 1, s.pool.totalSupply() + 1e6);
    }

    /// @notice LP shares `who` holds or has escrowed for it: claimable deposits, pending and cancelled redemptions.
    function _lpShares(address who) internal view returns (uint256) {
        return
            s.pool.balanceOf(who) +
            s.pool.maxMint(who) +
            s.pool.pendingRedeemRequest(0, who) +
            s.pool.claimableCancelRedeemRequest(0, who);
    }

    function _setPaused(bool paused) internal {
        vm.prank(s.guardian);
        if (paused) s.config.pause();
        else s.config.unpause();
        ghostPaused = paused;
        _pausedCalls = 0;
    }

    // ================================================================ prediction machinery

    /// @notice System state an execution reads and changes, as the engine will see it, updated as a batch proceeds.
    struct Shared {
        address executor;
        uint256 poolEquity;
        uint256 insurance;
        uint256 totalReserved;
        uint256 totalEntryNotional;
        /// @dev Entry notional per side, index `marketId * 2 + (isLong ? 0 : 1)`.
        uint256[4] sideNotional;
        uint256[4] index;
        uint256[2] price;
        bool[2] priced;
        uint256[2] resumesAt;
        bool paused;
    }

    /// @notice An order event a call must emit, in order.
    struct ExpectedEvent {
        bool executed;
        uint256 id;
        OrderKind kind;
        CancelReason reason;
        address executor;
        uint256 refund;
        uint256 fee;
        uint256 marketId;
        uint80 roundId;
        uint256 price;
        /// @dev The order as requested (for INV-8).
        Order request;
    }

    /// @notice Predicted token flows of one call: each account's balance change, and the order events.
    struct Ledger {
        address[LEDGER_SIZE] who;
        int256[LEDGER_SIZE] delta;
        uint256[LEDGER_SIZE] before;
        uint256 n;
        ExpectedEvent[MAX_EVENTS] events;
        uint256 nEvents;
    }

    function _newLedger() internal view returns (Ledger memory l) {
        // The protocol's own accounts are always checked, moved or not.
        _touch(l, address(s.pool));
        _touch(l, address(s.insurance));
        _touch(l, address(s.engine));
    }

    /// @dev Adds `who` to the ledger (recording its balance now) if it is not there yet; returns its index.
    function _touch(Ledger memory l, address who) internal view returns (uint256) {
        for (uint256 i; i < l.n; ++i) if (l.who[i] == who) return i;
        l.who[l.n] = who;
        l.before[l.n] = _bal(who);
        return l.n++;
    }

    /// @dev `amount` moves from `from` to `to`; the shared view of the pool's equity and the fund's balance follows.
    function _move(Ledger memory l, Shared memory sh, address from, address to, uint256 amount) internal {
        if (amount == 0) return;
        l.delta[_touch(l, from)] -= int256(amount);
        l.delta[_touch(l, to)] += int256(amount);
        if (from == address(s.pool)) {
            // The pool pays only out of its equity (the engine's call would revert): recorded, not a handler panic.
            _check(amount <= sh.poolEquity, "INV-3", "the pool pays more than its equity");
            sh.poolEquity = amount > sh.poolEquity ? 0 : sh.poolEquity - amount;
        }
        if (to == address(s.pool)) sh.poolEquity += amount;
        if (from == address(s.insurance)) sh.insurance -= amount;
        if (to == address(s.insurance)) sh.insurance += amount;
    }

    /// @dev Checks every account's balance change against the prediction, then books what crossed the system's edge.
    function _settle(Ledger memory l, string memory op) internal {
        for (uint256 i; i < l.n; ++i) {
            int256 actual = int256(_bal(l.who[i])) - int256(l.before[i]);
            if (actual != l.delta[i]) {
                _fail(
                    "INV-2",
                    string.concat(
                        op,
                        ": balance of ",
                        vm.toString(l.who[i]),
                        " moved by ",
                        vm.toString(actual),
                        ", predicted ",
                        vm.toString(l.delta[i])
                    )
                );
            }
            if (_isSystem(l.who[i])) continue;
            if (l.delta[i] > 0) ghostOut += uint256(l.delta[i]);
            else ghostIn += uint256(-l.delta[i]);
        }
    }

    function _isSystem(address who) internal view returns (bool) {
        return who == address(s.pool) || who == address(s.insurance) || who == address(s.engine) || isVault[who];
    }

    function _expectCancelled(
        Ledger memory l,
        uint256 id,
        Order memory o,
        CancelReason reason,
        address executor,
        uint256 refund,
        uint256 executorFee
    ) internal pure {
        ExpectedEvent memory e = l.events[l.nEvents++];
        e.id = id;
        e.kind = o.kind;
        e.reason = reason;
        e.executor = executor;
        e.refund = refund;
        e.fee = executorFee;
        e.request = o;
    }

    function _expectExecuted(
        Ledger memory l,
        uint256 id,
        Order memory o,
        uint256 marketId,
        address executor,
        uint80 roundId,
        uint256 price
    ) internal pure {
        ExpectedEvent memory e = l.events[l.nEvents++];
        e.executed = true;
        e.id = id;
        e.kind = o.kind;
        e.executor = executor;
        e.fee = o.executionFee;
        e.marketId = marketId;
        e.roundId = roundId;
        e.price = price;
        e.request = o;
    }

    /// @dev Compares the order events a call emitted with the predicted ones, in order, and checks INV-8 on every
    /// execution from the handler's own record of the request and of the rounds it published.
    function _checkOrderEvents(Ledger memory l, Vm.Log[] memory logs, string memory op) internal {
        uint256 seen;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(s.engine) || logs[i].topics.length == 0) continue;
            bytes32 topic = logs[i].topics[0];
            bool executed = topic == IMarginEngineBase.OrderExecuted.selector;
            if (!executed && topic != IMarginEngineBase.OrderCancelled.selector) continue;
            if (seen == l.nEvents) {
                _fail("REVERT", string.concat(op, ": an order event was not predicted"));
                return;
            }
            if (executed) _checkExecutedLog(l.events[seen++], logs[i], op);
            else _checkCancelledLog(l.events[seen++], logs[i], op);
        }
        _check(seen == l.nEvents, "REVERT", string.concat(op, ": a predicted order event was not emitted"));
    }

    function _checkExecutedLog(ExpectedEvent memory e, Vm.Log memory log, string memory op) internal {
        (OrderKind kind, uint256 roundId, uint256 price, uint256 fee) = abi.decode(
            log.data,
            (OrderKind, uint256, uint256, uint256)
        );
        _check(
            e.executed &&
                e.id == uint256(log.topics[1]) &&
                e.kind == kind &&
                e.executor == address(uint160(uint256(log.topics[2]))) &&
                e.fee == fee,
            "REVERT",
            string.concat(op, ": OrderExecuted differs from the prediction")
        );
        _checkExecutionRound(e.request, e.marketId, roundId, price, op);
    }

    function _checkCancelledLog(ExpectedEvent memory e, Vm.Log memory log, string memory op) internal {
        (OrderKind kind, CancelReason reason, uint256 refund, uint256 executorFee) = abi.decode(
            log.data,
            (OrderKind, CancelReason, uint256, uint256)
        );
        _check(
            !e.executed &&
                e.id == uint256(log.topics[1]) &&
                e.kind == kind &&
                e.reason == reason &&
                e.executor == address(uint160(uint256(log.topics[2]))) &&
                e.refund == refund &&
                e.fee == executorFee,
            "REVERT",
            string.concat(
                op,
                ": OrderCancelled differs from the prediction (id ",
                vm.toString(e.id),
                ", reason ",
                vm.toString(uint256(reason)),
                ", predicted ",
                vm.toString(uint256(e.reason)),
                ")"
            )
        );
        _count(string.concat("cancelled.", vm.toString(uint256(reason))));
    }

    /// @dev INV-8: an executed order traded at the answer of the first round the handler published after its request
    /// (id above the recorded one, observed strictly after the request time), observed by its deadline, and within the
    /// execution window of that round.
    function _checkExecutionRound(
        Order memory request,
        uint256 marketId,
        uint256 roundId,
        uint256 price,
        string memory op
    ) internal {
        (bool found, Round memory r) = _firstRoundAfter(marketId, request.roundId, request.requestedAt);
        _check(found, "INV-8", string.concat(op, ": executed before any round after its request"));
        _check(roundId == r.id, "INV-8", string.concat(op, ": executed at another round than the first after it"));
        _check(price == uint256(r.answer) * 1e10, "INV-8", string.concat(op, ": executed at another price"));
        _check(r.at <= request.deadline, "INV-8", string.concat(op, ": executed at a round after its deadline"));
        _check(
            block.timestamp <= r.at + maxExecutionDelay,
            "INV-8",
            string.concat(op, ": executed after its execution window")
        );
        _count("executed");
    }

    /// @dev The first round of a market published after `time` with an id above `roundId`: the execution round of an
    /// order requested at `time` when `roundId` was the latest.
    function _firstRoundAfter(
        uint256 marketId,
        uint80 roundId,
        uint256 time
    ) internal view returns (bool found, Round memory r) {
        Round[] storage log = _rounds[marketId];
        // Round `id` sits at index `id - 1`: the rounds above `roundId` start at index `roundId`.
        for (uint256 i = roundId; i < log.length; ++i) {
            if (log[i].at > time) return (true, log[i]);
        }
    }

    // ================================================================ checks after a call

    /// @dev INV-1 after an operation: the ids it acted on (`involved`) are exactly as the ghost says, records, orders,
    /// claims and vaults; every other live position kept its record, claim and vault balance (its orders cannot move
    /// without its record's owner acting, and the INV-1 invariant compares them all after every call); the engine's
    /// free list is as long as the ghost's.
    function _checkAll(uint256[] memory involved, string memory op) internal {
        for (uint256 i; i < involved.length; ++i) _checkId(involved[i], op);
        for (uint256 i; i < _liveIds.length; ++i) {
            uint256 id = _liveIds[i];
            bool acted;
            for (uint256 j; j < involved.length; ++j) if (involved[j] == id) acted = true;
            if (acted) continue;
            (, uint256 claimAmount) = s.engine.claimOf(id);
            _check(
                keccak256(abi.encode(s.engine.position(id))) == keccak256(abi.encode(_pos[id])) &&
                    claimAmount == ghostClaim[id] &&
                    _bal(_pos[id].vault) == heldFor(id) + donationOf[_pos[id].vault],
                "INV-1",
                string.concat(op, ": changed another position's record, claim or vault (id ", vm.toString(id), ")")
            );
        }
        _check(
            s.engine.freeVaultCount() == _freeVaults.length,
            "INV-1",
            string.concat(op, ": free vault count differs from the ghost")
        );
    }

    // ================================================================ ghost checks

    /// @dev INV-1 for one id: the engine's record, orders, vault and claim are the ghost's; a live position's vault
    /// holds exactly its collateral, keeper reserve, pending escrow and the donations sitting in it.
    function _checkId(uint256 id, string memory op) internal {
        Position memory p = _pos[id];
        _check(
            keccak256(abi.encode(s.engine.position(id))) == keccak256(abi.encode(p)),
            "INV-1",
            string.concat(op, ": position record differs from the ghost (id ", vm.toString(id), ")")
        );
        (Order memory o, Order memory c) = s.engine.orders(id);
        _check(
            keccak256(abi.encode(o, c)) == keccak256(abi.encode(_order[id], _close[id])),
            "INV-1",
            string.concat(op, ": pending orders differ from the ghost (id ", vm.toString(id), ")")
        );
        (address claimOwner, uint256 claimAmount) = s.engine.claimOf(id);
        _check(
            claimAmount == ghostClaim[id] && (claimAmount == 0 || claimOwner == ghostClaimOwner[id]),
            "INV-1",
            string.concat(op, ": claim differs from the ghost")
        );
        _check(s.engine.vaultOf(id) == p.vault, "INV-1", string.concat(op, ": vaultOf differs from the ghost"));
        if (p.owner == address(0)) return;
        _check(
            _bal(p.vault) == heldFor(id) + donationOf[p.vault],
            "INV-1",
            string.concat(op, ": vault != collateral + keeper reserve + escrow + donations")
        );
    }

    /// @notice What a live position's vault must hold for it: collateral, keeper reserve and pending escrow.
    function heldFor(uint256 id) public view returns (uint256) {
        return uint256(_pos[id].collateral) + _pos[id].keeperReserve + escrowOf(id);
    }

    /// @notice The escrow of a position's pending orders: collateral delta and execution fees.
    function escrowOf(uint256 id) public view returns (uint256) {
        return
            uint256(_order[id].collateralDelta) +
            _order[id].executionFee +
            _close[id].collateralDelta +
            _close[id].executionFee;
    }

    // ================================================================ ghost bookkeeping

    function _addLive(uint256 id) internal {
        _liveIds.push(id);
        _liveIndex[id] = _liveIds.length;
    }

    function _removeLive(uint256 id) internal {
        uint256 index = _liveIndex[id] - 1;
        uint256 last = _liveIds[_liveIds.length - 1];
        _liveIds[index] = last;
        _liveIndex[last] = index + 1;
        _liveIds.pop();
        delete _liveIndex[id];
    }

    function _addVault(address vault) internal {
        if (isVault[vault]) return;
        isVault[vault] = true;
        _vaults.push(vault);
    }

    /// @dev The vault the next request takes: the last freed one, or a new clone at the engine's next CREATE address.
    function _nextVault() internal view returns (address vault, bool reused) {
        if (_freeVaults.length != 0) return (_freeVaults[_freeVaults.length - 1], true);
        return (vm.computeCreateAddress(address(s.engine), vm.getNonce(address(s.engine))), false);
    }

    function _recordClaim(uint256 id, address owner, uint256 amount) internal {
        ghostClaim[id] += amount;
        ghostClaimOwner[id] = owner;
        totalClaims += amount;
        if (!_hasClaimed[id]) {
            _hasClaimed[id] = true;
            _claimIds.push(id);
        }
    }

    // ================================================================ oracle

    /// @dev Publishes a round at the current time, strictly after the latest request (warping a second if needed),
    /// and records it.
    function _publish(uint256 marketId, int256 answer) internal {
        if (block.timestamp <= _lastRequestAt) vm.warp(_lastRequestAt + 1);
        _outage[marketId] = false;
        IMockFeed feed = _feed(marketId);
        feed.updateAnswer(answer);
        _logRound(marketId, feed);
    }

    function _logRound(uint256 marketId, IMockFeed feed) internal {
        (uint80 id, int256 answer, uint256 startedAt, , ) = feed.latestRoundData();
        _check(id == _rounds[marketId].length + 1, "INV-8", "a feed round the handler did not record");
        _rounds[marketId].push(Round(id, answer, startedAt));
    }

    function _feed(uint256 marketId) internal view returns (IMockFeed) {
        return marketId == 0 ? s.ethFeed : s.btcFeed;
    }

    function _latestRound(uint256 marketId) internal view returns (Round memory) {
        Round[] storage log = _rounds[marketId];
        return log[log.length - 1];
    }

    /// @dev The latest answer as a WAD price, and whether the engine takes it (fresh and positive).
    function _latestPrice(uint256 marketId) internal view returns (bool priced, uint256 price) {
        Round memory r = _latestRound(marketId);
        priced = r.answer > 0 && r.at + _market[marketId].heartbeat >= block.timestamp;
        if (r.answer > 0) price = uint256(r.answer) * 1e10;
    }

    /// @dev The oracle's error for a market without a good price: the handler's outages make feeds stale.
    function _noPrice(uint256 marketId) internal view returns (bytes memory) {
        return
            abi.encodeWithSelector(
                IOracleErrors.StalePrice.selector,
                address(_feed(marketId)),
                _latestRound(marketId).at,
                uint256(_market[marketId].heartbeat)
            );
    }

    /// @dev A new round with the latest answer.
    function _pushRound(uint256 marketId) internal {
        _publish(marketId, _latestRound(marketId).answer);
    }

    function _warp(uint256 dt) internal {
        vm.warp(block.timestamp + dt);
        for (uint256 m; m < 2; ++m) {
            if (!_outage[m] && block.timestamp - _latestRound(m).at > REFRESH_AFTER) _pushRound(m);
        }
    }

    // ================================================================ blocklist

    function _blocked(address who) internal view returns (bool) {
        return who == blockedReceiver || (carolBlocked && who == traders[2]);
    }

    /// @dev Transfers to blocklisted accounts revert, with `Blocklisted(account)`. Set at the start of every call, so it
    /// holds whatever the runner does with mocks between calls.
    function _applyBlocklist() internal {
        vm.clearMockedCalls();
        _mockBlocked(blockedReceiver);
        if (carolBlocked) _mockBlocked(traders[2]);
    }

    function _mockBlocked(address who) internal {
        vm.mockCallRevert(
            address(s.usd),
            abi.encodeWithSelector(IERC20.transfer.selector, who),
            abi.encodeWithSelector(Blocklisted.selector, who)
        );
    }

    // ================================================================ outcome checks

    function _succeeded(string memory op, bytes memory expected) internal returns (bool) {
        if (expected.length != 0) {
            _fail("REVERT", string.concat(op, ": succeeded, expected revert ", vm.toString(expected)));
            return false;
        }
        _count(string.concat(op, ".ok"));
        return true;
    }

    function _reverted(string memory op, bytes memory expected, bytes memory err) internal {
        if (keccak256(err) != keccak256(expected)) {
            _fail(
                "REVERT",
                string.concat(op, ": reverted with ", vm.toString(err), ", expected ", vm.toString(expected))
            );
            return;
        }
        _count(string.concat(op, ".reverted"));
        bytes4 selector;
        if (err.length >= 4) {
            // The first word of the revert data starts with the error's selector.
            assembly ("memory-safe") {
                selector := mload(add(err, 32))
            }
        }
        _count(string.concat(op, ".reverted.", vm.toString(abi.encodePacked(selector))));
    }

    function _check(bool ok, string memory invariantId, string memory message) internal {
        if (!ok) _fail(invariantId, message);
    }

    function _fail(string memory invariantId, string memory message) internal {
        bytes32 key = keccak256(bytes(invariantId));
        if (bytes(_violation[key]).length == 0) _violation[key] = string.concat(invariantId, " ", message);
    }

    function _count(string memory what) internal {
        ++callCount[keccak256(bytes(what))];
    }

    function _sawBadDebt() internal {
        badDebtSeen = true;
        _count("badDebt");
    }

    // ================================================================ helpers

    function _mintTo(address who, uint256 amount) internal {
        s.usd.mint(who, amount);
        minted[who] += amount;
    }

    /// @dev An executor's pay for someone else's position is earned (INV-7 does not count it as value taken).
    function _earn(address executor, address owner, uint256 amount) internal {
        if (executor != owner) earned[executor] += amount;
    }

    /// @dev Exact pnl × DEN: size·(price − entry)·W for a long, the negative for a short; gains capped at `cap` units.
    function _exactPnl(
        bool isLong,
        uint256 size,
        uint256 entryPrice,
        uint256 price,
        uint256 cap
    ) internal pure returns (int256 pnl) {
        pnl = (int256(size * price) - int256(size * entryPrice)) * int256(WAD);
        if (!isLong) pnl = -pnl;
        if (pnl > int256(cap * DEN)) pnl = int256(cap * DEN);
    }

    function _approveAll(address who) internal {
        vm.startPrank(who);
        s.usd.approve(address(s.engine), type(uint256).max);
        s.usd.approve(address(s.pool), type(uint256).max);
        vm.stopPrank();
    }

    function _bal(address who) internal view returns (uint256) {
        return s.usd.balanceOf(who);
    }

    function _side(uint256 marketId, bool isLong) internal pure returns (uint256) {
        return marketId * 2 + (isLong ? 0 : 1);
    }

    function _divUp(uint256 a, uint256 b) internal pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }

    function _max(uint256 a, uint256 b) internal pure returns (uint256) {
        return a > b ? a : b;
    }

    function _minInt(int256 a, int256 b) internal pure returns (int256) {
        return a < b ? a : b;
    }

    function _one(uint256 id) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](1);
        ids[0] = id;
    }

    // ================================================================ views for the invariants

    function violation(string memory invariantId) external view returns (string memory) {
        return _violation[keccak256(bytes(invariantId))];
    }

    function liveIds() external view returns (uint256[] memory) {
        return _liveIds;
    }

    function isLive(uint256 positionId) public view returns (bool) {
        return _liveIndex[positionId] != 0;
    }

    function ghostPosition(uint256 positionId) external view returns (Position memory) {
        return _pos[positionId];
    }

    function ghostOrders(uint256 positionId) external view returns (Order memory, Order memory) {
        return (_order[positionId], _close[positionId]);
    }

    function vaults() external view returns (address[] memory) {
        return _vaults;
    }

    function freeVaults() external view returns (address[] memory) {
        return _freeVaults;
    }

    function claimIds() external view returns (uint256[] memory) {
        return _claimIds;
    }

    function roundCount(uint256 marketId) external view returns (uint256) {
        return _rounds[marketId].length;
    }
}

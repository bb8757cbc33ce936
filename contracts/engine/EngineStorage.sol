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

import {IInsuranceFund} from "../interfaces/IInsuranceFund.sol";
import {ILiquidityPool} from "../interfaces/ILiquidityPool.sol";
import {
    CancelReason,
    IMarginEngine,
    IMarginEngineBase,
    Order,
    OrderKind,
    Position,
    SideState
} from "../interfaces/IMarginEngine.sol";
import {IOracleErrors} from "../interfaces/IOracleErrors.sol";
import {IPositionVault} from "../interfaces/IPositionVault.sol";
import {GlobalParams, IRiskConfig, MarketParams} from "../interfaces/IRiskConfig.sol";
import {ChainlinkOracle} from "../libraries/ChainlinkOracle.sol";
import {PositionMath} from "../libraries/PositionMath.sol";
import {PriceTicks} from "../libraries/PriceTicks.sol";

/// @title Engine storage
/// @notice The one owner of the engine's state: the storage layout, the market context every priced operation loads,
/// the single path for aggregate changes (`_account`), vault reuse and guarded payouts. The engine's core and its
/// order module both inherit it and nothing else declares state, so the module can run on the core's storage by
/// delegatecall.
abstract contract EngineStorage is IMarginEngineBase, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @inheritdoc IMarginEngineBase
    IERC20 public immutable ASSET;
    /// @inheritdoc IMarginEngineBase
    ILiquidityPool public immutable POOL;
    /// @inheritdoc IMarginEngineBase
    IInsuranceFund public immutable INSURANCE_FUND;
    /// @inheritdoc IMarginEngineBase
    IRiskConfig public immutable RISK_CONFIG;
    /// @dev 10^(18 − asset decimals): USD WAD per asset unit.
    uint256 internal immutable SCALE;

    /// @inheritdoc IMarginEngineBase
    /// @dev Plenty for an ERC-20 transfer, even behind a proxy. A recipient that burns more only turns its payout into
    /// a claim; it cannot make the operation too dear or revert it.
    uint256 public constant PAYOUT_GAS = 100_000;
    /// @dev Gas an operation needs after a failed payout: moving the amount to the engine, recording the claim.
    uint256 internal constant DEFERRAL_GAS = 60_000;

    /// @dev Borrow indices of one market, one slot. `lastAccrual` is zero until the market is first touched.
    struct MarketState {
        uint96 longIndex;
        uint96 shortIndex;
        uint40 lastAccrual;
    }

    /// @dev Everything one operation needs about a market: parameters, accrued indices and the latest good price.
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

    /// @dev A payout its recipient could not receive, held by the engine for the owner.
    struct Claim {
        address owner;
        uint96 amount;
    }

    /// @dev What an order can do now (see `_verdict`).
    uint8 internal constant WAIT = 0;
    uint8 internal constant READY = 1;
    uint8 internal constant CANCEL = 2;

    /// @dev A position without a cap or bankruptcy price (none while its open is pending).
    uint256 internal constant NO_TICK = type(uint256).max;

    /// @dev An order's verdict: wait, execute at `price` (the answer of round `roundId`), or cancel for `reason`.
    struct Verdict {
        uint8 action;
        CancelReason reason;
        uint256 price;
        uint80 roundId;
        uint256 updatedAt;
    }

    mapping(uint256 marketId => MarketState) internal _marketState;
    mapping(uint256 marketId => mapping(bool isLong => SideState)) internal _sideState;
    mapping(uint256 positionId => Position) internal _positions;
    /// @dev The pending open, increase or decrease of a position.
    mapping(uint256 positionId => Order) internal _orders;
    /// @dev The pending close of a position.
    mapping(uint256 positionId => Order) internal _closes;
    mapping(uint256 positionId => Claim) internal _claims;
    /// @dev Emptied vaults, reused last in, first out: entries below `_freeVaultCount`. Taking one leaves its entry
    /// in place, so the next vault freed overwrites a non-zero slot (~17k cheaper than an array's push after pop).
    mapping(uint256 index => address vault) internal _freeVaults;

    uint128 internal _totalReserved;
    uint128 internal _totalEntryNotional;
    /// @dev The last position id given out (ids start at 1), in one slot with the free vault count: an open reads
    /// and writes both.
    uint192 internal _lastPositionId;
    uint64 internal _freeVaultCount;

    // The engine's copy of the risk configuration: what every operation reads, from its own storage instead of by a
    // call. Copied at construction and whenever the configuration changes, which the risk configuration pushes
    // (`syncMarket`, `syncGlobal`); anyone may sync, since a sync only copies the configuration's state.
    mapping(uint256 marketId => MarketParams) internal _marketParams;
    mapping(uint256 marketId => uint256 price) internal _settlementPrices;
    GlobalParams internal _globalParams;
    AggregatorV3Interface internal _sequencer;
    bool internal _paused;
    uint16 internal _marketCount;

    // Where each open position's terms stop being what the pool values: per market side (`_sideKey`), the ticks of
    // the positions' cap prices and of their bankruptcy prices. While the price is past none of them, the side's
    // aggregate claim equals the sum of its positions' claims, which is when LP requests may execute.
    mapping(uint256 sideKey => PriceTicks.Set) internal _capTicks;
    mapping(uint256 sideKey => PriceTicks.Set) internal _bankruptcyTicks;

    constructor(IERC20 asset, ILiquidityPool pool, IInsuranceFund insuranceFund, IRiskConfig riskConfig) {
        uint8 decimals = IERC20Metadata(address(asset)).decimals();
        if (decimals > 18) revert UnsupportedDecimals(decimals);
        ASSET = asset;
        POOL = pool;
        INSURANCE_FUND = insuranceFund;
        RISK_CONFIG = riskConfig;
        SCALE = 10 ** (18 - decimals);
    }

    // ================================================================ configuration copy

    /// @dev Copies a market's parameters and settlement price (and the number of markets). Time so far is charged
    /// at the rates being replaced.
    function _syncMarket(uint256 marketId) internal {
        (MarketParams memory market, , , , uint256 settlement) = RISK_CONFIG.tradingConfig(marketId);
        // A market never traded has no index to accrue: it starts with its first trade.
        if (_marketState[marketId].lastAccrual != 0) _marketState[marketId] = _accruedState(marketId);
        _marketParams[marketId] = market;
        _settlementPrices[marketId] = settlement;
        _marketCount = RISK_CONFIG.marketCount().toUint16();
    }

    /// @dev Copies the engine-wide parameters, the sequencer feed and the pause flag.
    function _syncGlobal() internal {
        _globalParams = RISK_CONFIG.globalParams();
        _sequencer = RISK_CONFIG.sequencerFeed();
        _paused = RISK_CONFIG.paused();
    }

    // ================================================================ market context

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
        c = _orderContext(marketId);
        c.state = _accrued(_marketState[marketId], c.market);
        // A market in settlement trades its last good answer, whatever its feed and the sequencer say.
        if (c.settlement != 0) {
            c.price = c.settlement;
            return (true, c);
        }
        ChainlinkOracle.sequencerUpSince(c.sequencer);
        (priced, c.price, c.roundId, c.updatedAt) = ChainlinkOracle.tryRead(
            c.market.feed,
            c.market.heartbeat,
            c.market.feedDecimals
        );
    }

    /// @dev The parameters, pause flag and settlement price of a market, without a price: enough to judge an order
    /// (see `_verdict`) or take a request, whatever the oracle and the sequencer say.
    function _orderContext(uint256 marketId) internal view returns (Context memory c) {
        if (marketId >= _marketCount) revert IRiskConfig.UnknownMarket(marketId);
        c.market = _marketParams[marketId];
        c.global = _globalParams;
        c.sequencer = _sequencer;
        c.paused = _paused;
        c.settlement = _settlementPrices[marketId];
    }

    /// @dev Indices grown to now at the market's rates.
    function _accrued(MarketState memory state, MarketParams memory market) internal view returns (MarketState memory) {
        return _accrued(state, market.borrowRateLong, market.borrowRateShort);
    }

    /// @dev Indices grown to now at the given rates (WAD per second).
    function _accrued(
        MarketState memory state,
        uint256 rateLong,
        uint256 rateShort
    ) internal view returns (MarketState memory) {
        if (state.lastAccrual != 0) {
            uint256 elapsed = block.timestamp - state.lastAccrual;
            state.longIndex = (state.longIndex + rateLong * elapsed).toUint96();
            state.shortIndex = (state.shortIndex + rateShort * elapsed).toUint96();
        }
        state.lastAccrual = uint40(block.timestamp);
        return state;
    }

    /// @dev A known market's indices grown to now, reading only its rates.
    function _accruedState(uint256 marketId) internal view returns (MarketState memory) {
        if (marketId >= _marketCount) revert IRiskConfig.UnknownMarket(marketId);
        MarketParams storage market = _marketParams[marketId];
        return _accrued(_marketState[marketId], market.borrowRateLong, market.borrowRateShort);
    }

    function _index(MarketState memory state, bool isLong) internal pure returns (uint96) {
        return isLong ? state.longIndex : state.shortIndex;
    }

    /// @dev When liquidations and risk-adding operations may resume after the latest sequencer or price outage (in
    /// the past if none is recent).
    function _resumesAt(Context memory c) internal view returns (uint256) {
        return _resumesAtAsOf(c, block.timestamp);
    }

    /// @dev When the grace period of the latest outage that ended within a grace period before `at` ends: `at` lies
    /// inside a grace period iff it is earlier. An order judges its round's own time with it, so that when it is
    /// executed inside its window makes no difference (rule 16).
    function _resumesAtAsOf(Context memory c, uint256 at) internal view returns (uint256 resumesAt) {
        uint256 grace = c.global.liquidationGracePeriod;
        if (grace == 0 || c.settlement != 0) return 0;
        resumesAt = ChainlinkOracle.sequencerUpSince(c.sequencer) + grace;
        uint256 outageEnd = ChainlinkOracle.outageEndedAt(
            c.market.feed,
            c.market.heartbeat,
            c.roundId,
            c.updatedAt,
            at > grace ? at - grace : 0
        );
        if (outageEnd != 0 && outageEnd + grace > resumesAt) resumesAt = outageEnd + grace;
    }

    // ================================================================ orders

    /// @dev Whether an order can execute now and at which price (SPEC rules 1, 2 and 17). The execution round is the
    /// first one observed strictly after the request; the order executes only while `now ≤ round.updatedAt +
    /// maxExecutionDelay`. No round before the deadline, a missed window, a phase change or a bad answer on the round
    /// make it cancellable with a full refund. In a market in settlement a close or decrease executes at the
    /// settlement price at once, and an open or increase is cancelled. Whether the market has a good latest price is
    /// the caller's question.
    function _verdict(Order memory o, Context memory c) internal view returns (Verdict memory v) {
        if (c.settlement != 0) {
            if (o.kind == OrderKind.Open || o.kind == OrderKind.Increase) return _cancelVerdict(CancelReason.Paused);
            v.action = READY;
            v.price = c.settlement;
            return v;
        }
        (ChainlinkOracle.RoundSearch search, ChainlinkOracle.Round memory r) = ChainlinkOracle.firstRoundAfter(
            c.market.feed,
            o.roundId,
            o.requestedAt
        );
        if (search == ChainlinkOracle.RoundSearch.PhaseChanged) return _cancelVerdict(CancelReason.PhaseChanged);
        if (search == ChainlinkOracle.RoundSearch.NotYet) {
            // A round observed from now on would be past the deadline.
            if (block.timestamp > o.deadline) return _cancelVerdict(CancelReason.Expired);
            return v;
        }
        if (r.startedAt > o.deadline) return _cancelVerdict(CancelReason.Expired);
        if (block.timestamp > r.updatedAt + c.global.maxExecutionDelay) {
            return _cancelVerdict(CancelReason.WindowMissed);
        }
        if (!ChainlinkOracle.isGoodAnswer(c.market.feed, r.answer)) return _cancelVerdict(CancelReason.BadPrice);
        v.action = READY;
        v.price = ChainlinkOracle.normalize(uint256(r.answer), c.market.feedDecimals);
        v.roundId = r.id;
        v.updatedAt = r.updatedAt;
    }

    function _cancelVerdict(CancelReason reason) internal pure returns (Verdict memory v) {
        v.action = CANCEL;
        v.reason = reason;
    }

    /// @dev The position's next pending order in request order (the open, increase or decrease, then the close).
    function _nextOrder(uint256 positionId) internal view returns (Order memory o, bool isClose) {
        o = _orders[positionId];
        if (o.kind == OrderKind.None) {
            o = _closes[positionId];
            isClose = true;
        }
    }

    /// @dev Who receives what an order pays out: the receiver the owner named, stored as zero when it is the owner.
    function _receiverOf(Order memory o, Position memory p) internal pure returns (address) {
        return o.receiver == address(0) ? p.owner : o.receiver;
    }

    /// @dev Reads and deletes a pending order.
    function _popOrder(uint256 positionId, bool isClose) internal returns (Order memory o) {
        if (isClose) {
            o = _closes[positionId];
            delete _closes[positionId];
        } else {
            o = _orders[positionId];
            delete _orders[positionId];
        }
    }

    /// @dev Ends a popped order without trading: its escrow back to the owner, except the execution fee when
    /// `executorPaid` (an order that failed on its price or margin). A cancelled open also returns the keeper reserve
    /// and ends the position, freeing its vault.
    function _cancel(
        uint256 positionId,
        Position memory p,
        Order memory o,
        CancelReason reason,
        bool executorPaid
    ) internal {
        uint256 executorFee = executorPaid ? o.executionFee : 0;
        uint256 refund = o.collateralDelta + o.executionFee - executorFee;
        if (o.kind == OrderKind.Open) {
            refund += p.keeperReserve;
            _removePosition(positionId, p);
        }
        emit OrderCancelled(positionId, o.kind, reason, msg.sender, refund, executorFee);

        if (executorFee != 0) IPositionVault(p.vault).pay(msg.sender, executorFee);
        _payOut(positionId, p.vault, p.owner, p.owner, refund);
    }

    /// @dev Cancels both pending orders of an open position with a full refund to the owner.
    function _cancelOrders(uint256 positionId, Position memory p) internal {
        if (_orders[positionId].kind != OrderKind.None) {
            _cancel(positionId, p, _popOrder(positionId, false), CancelReason.PositionClosed, false);
        }
        if (_closes[positionId].kind != OrderKind.None) {
            _cancel(positionId, p, _popOrder(positionId, true), CancelReason.PositionClosed, false);
        }
    }

    // ================================================================ valuation

    /// @dev The owed borrow fee of a position at the context's indices, asset units, rounded up.
    function _borrowFee(Position memory p, Context memory c) internal view returns (uint256) {
        return PositionMath.borrowFee(p.size, p.entryPrice, _index(c.state, p.isLong) - p.borrowIndex, SCALE);
    }

    /// @dev Health and, when liquidatable, the liquidation split of a position at `price`.
    function _split(
        Position memory p,
        Context memory c,
        uint256 price
    )
        internal
        view
        returns (bool isLiquidatable, int256 equity_, uint256 maintenance, PositionMath.LiquidationSplit memory split)
    {
        int256 pnl = PositionMath.pnl(p.isLong, p.size, p.entryPrice, price, p.maxProfit, SCALE);
        uint256 fees = _borrowFee(p, c);
        equity_ = PositionMath.equity(p.collateral, pnl, fees);
        maintenance = PositionMath.ratioOfNotionalUp(p.size, price, c.market.mmr, SCALE);
        isLiquidatable = PositionMath.isLiquidatable(equity_, maintenance);
        // Only a liquidation needs the split: a keeper's batch skips healthy positions cheaply.
        if (!isLiquidatable) return (false, equity_, maintenance, split);
        split = PositionMath.liquidationSplit(
            p.collateral,
            pnl,
            fees,
            PositionMath.ratioOfNotionalUp(p.size, price, c.market.closeFeeRatio, SCALE),
            PositionMath.ratioOfNotionalDown(p.size, price, c.market.liqFeeRatio, SCALE),
            PositionMath.ratioOfNotionalUp(p.size, price, c.market.liqPenaltyRatio, SCALE)
        );
    }

    /// @dev Whether a position (fees settled) meets initial margin at `price`, counting losses only: unrealised profit
    /// is not margin.
    function _meetsInitialMargin(Position memory n, Context memory c, uint256 price) internal view returns (bool) {
        int256 equity_ = PositionMath.equity(
            n.collateral,
            PositionMath.pnl(n.isLong, n.size, n.entryPrice, price, 0, SCALE),
            0
        );
        return equity_ >= PositionMath.ratioOfNotionalUp(n.size, price, c.market.imr, SCALE).toInt256();
    }

    /// @dev The profit cap that `collateral` and `size` bring at `price`: the lower of maxProfitRatio × collateral and
    /// maxProfitNotionalRatio × notional. Paid to the trader: rounded down.
    function _capOf(uint256 collateral, uint256 size, uint256 price, Context memory c) internal view returns (uint256) {
        return
            Math.min(
                Math.mulDiv(collateral, c.market.maxProfitRatio, PositionMath.WAD),
                PositionMath.ratioOfNotionalDown(size, price, c.market.maxProfitNotionalRatio, SCALE)
            );
    }

    /// @dev Whether a notional of `size` at `price` reaches the minimum.
    function _reachesMinNotional(uint256 size, uint256 price, Context memory c) internal view returns (bool) {
        return PositionMath.toAssetsDown(PositionMath.notionalDown(size, price), SCALE) >= c.global.minNotional;
    }

    // ================================================================ bookkeeping

    /// @dev Replaces a position's terms `from` by `to` in its side's aggregates and in the engine's totals: an empty
    /// `from` adds a position, an empty `to` removes one. Every aggregate changes here and nowhere else. Entry
    /// notionals are rounded up both ways, so the sums never underflow. Only the slots whose terms change are read
    /// and written: a margin change touches one.
    function _account(Position memory from, Position memory to) internal {
        Position memory ref = to.size == 0 ? from : to;
        _moveEdges(_sideKey(ref.marketId, ref.isLong), from, to);
        SideState storage s = _sideState[ref.marketId][ref.isLong];
        if (to.collateral != from.collateral || to.maxProfit != from.maxProfit) {
            s.collateral = (uint256(s.collateral) + to.collateral - from.collateral).toUint128();
            s.maxProfit = (uint256(s.maxProfit) + to.maxProfit - from.maxProfit).toUint128();
            if (to.maxProfit != from.maxProfit) {
                _totalReserved = (uint256(_totalReserved) + to.maxProfit - from.maxProfit).toUint128();
            }
        }
        if (to.size == from.size && to.entryPrice == from.entryPrice && to.borrowIndex == from.borrowIndex) return;
        uint256 fromNotional = PositionMath.notionalUp(from.size, from.entryPrice);
        uint256 toNotional = PositionMath.notionalUp(to.size, to.entryPrice);
        s.openInterest = (uint256(s.openInterest) + to.size - from.size).toUint128();
        s.entryNotional = (uint256(s.entryNotional) + toNotional - fromNotional).toUint128();
        s.feeDebt = s.feeDebt + _feeDebtOf(toNotional, to.borrowIndex) - _feeDebtOf(fromNotional, from.borrowIndex);
        _totalEntryNotional = (uint256(_totalEntryNotional) + toNotional - fromNotional).toUint128();
    }

    /// @dev Moves a position's cap and bankruptcy ticks from its old terms to its new ones (an empty term has none).
    function _moveEdges(uint256 sideKey, Position memory from, Position memory to) private {
        (uint256 fromCap, uint256 fromBankruptcy) = _edgeTicks(from);
        (uint256 toCap, uint256 toBankruptcy) = _edgeTicks(to);
        // Added before removed, so that a position moving alone in its side leaves the upper levels set.
        if (fromCap != toCap) {
            if (toCap != NO_TICK) PriceTicks.add(_capTicks[sideKey], toCap);
            if (fromCap != NO_TICK) PriceTicks.remove(_capTicks[sideKey], fromCap);
        }
        if (fromBankruptcy != toBankruptcy) {
            if (toBankruptcy != NO_TICK) PriceTicks.add(_bankruptcyTicks[sideKey], toBankruptcy);
            if (fromBankruptcy != NO_TICK) PriceTicks.remove(_bankruptcyTicks[sideKey], fromBankruptcy);
        }
    }

    /// @dev The ticks of a position's cap price and bankruptcy price; `NO_TICK` where it has none.
    function _edgeTicks(Position memory p) private view returns (uint256 cap, uint256 bankruptcy) {
        if (p.size == 0) return (NO_TICK, NO_TICK);
        uint256 price = PositionMath.capPrice(p.isLong, p.size, p.entryPrice, p.maxProfit, SCALE);
        cap = price == 0 ? NO_TICK : PriceTicks.tickOf(price);
        price = PositionMath.bankruptcyPrice(p.isLong, p.size, p.entryPrice, p.collateral, SCALE);
        bankruptcy = price == 0 ? NO_TICK : PriceTicks.tickOf(price);
    }

    /// @dev The key of a market side in the tick sets.
    function _sideKey(uint256 marketId, bool isLong) internal pure returns (uint256) {
        return (marketId << 1) | (isLong ? 1 : 0);
    }

    /// @dev A position's term of its side's `feeDebt`: entry notional × its borrow index, rounded up, so the side's
    /// accrued fees (index × entry notional − feeDebt) are never overstated.
    function _feeDebtOf(uint256 notional, uint256 index) internal pure returns (uint256) {
        return Math.mulDiv(notional, index, PositionMath.WAD, Math.Rounding.Ceil);
    }

    /// @dev Whether replacing `from` by `to` keeps the side's open-interest cap and lets the pool carry every profit
    /// cap and the total entry notional. Read before `_account` writes, so a refused order changes nothing.
    function _fits(Position memory from, Position memory to, Context memory c) internal view returns (bool) {
        uint256 fromNotional = PositionMath.notionalUp(from.size, from.entryPrice);
        uint256 toNotional = PositionMath.notionalUp(to.size, to.entryPrice);
        uint256 sideNotional = uint256(_sideState[to.marketId][to.isLong].entryNotional) + toNotional - fromNotional;
        if (sideNotional > (to.isLong ? c.market.maxOpenInterestLong : c.market.maxOpenInterestShort)) return false;
        // Pool equity: pending deposits, redemptions set aside and escrowed fees are not the pool's to risk.
        uint256 poolAssets = POOL.equityAssets();
        if (uint256(_totalReserved) + to.maxProfit - from.maxProfit > poolAssets) return false;
        // Rounded down: the bound is a limit on the trader.
        uint256 limit = Math.mulDiv(poolAssets * SCALE, c.global.maxUtilization, PositionMath.WAD);
        return uint256(_totalEntryNotional) + toNotional - fromNotional <= limit;
    }

    /// @dev Removes an open position from the aggregates and its record, and frees its vault for reuse. Every
    /// recorded amount must have been paid out of the vault by the same operation.
    function _removePosition(uint256 positionId, Position memory p) internal {
        Position memory none;
        if (p.size != 0) _account(p, none);
        delete _positions[positionId];
        _freeVaults[_freeVaultCount++] = p.vault;
    }

    // ================================================================ vaults and payouts

    /// @dev An emptied vault if one waits, else a new clone. A reused vault's balance above its records (zero) is a
    /// donation: swept to the insurance fund, so no later position can be paid from it.
    function _takeVault() internal returns (address vault) {
        uint256 free = _freeVaultCount;
        // The implementation is the core's immutable: read from it, since a module runs the core's storage, not its
        // code. Only a new vault needs it.
        if (free == 0) return Clones.clone(IMarginEngine(address(this)).VAULT_IMPLEMENTATION());
        vault = _freeVaults[free - 1];
        _freeVaultCount = uint64(free - 1); // free > 0 here: fits
        uint256 excess = ASSET.balanceOf(vault);
        if (excess != 0) {
            emit VaultSwept(vault, excess);
            IPositionVault(vault).pay(address(INSURANCE_FUND), excess);
        }
    }

    /// @dev Pulls `amount` from the caller into `to`, rejecting tokens that deliver less.
    function _pullExact(address to, uint256 amount) internal {
        uint256 before = ASSET.balanceOf(to);
        ASSET.safeTransferFrom(msg.sender, to, amount);
        uint256 received = ASSET.balanceOf(to) - before;
        if (received != amount) revert FeeOnTransferToken(amount, received);
    }

    /// @dev Pays `amount` from a position's vault to `to` (the owner or the receiver they named), allowed to fail: a
    /// recipient who cannot receive (a blocklisted address, a refusing hook) must not block an execution, a cancel,
    /// a liquidation or a take-profit, nor a keeper's batch. The amount then moves to the engine as a claim of the
    /// owner. The call gets a fixed gas budget and the caller must supply it in full, so a keeper cannot starve the
    /// transfer to force a claim. Storage is written after the call, which is safe: every entry point is
    /// nonReentrant.
    function _payOut(uint256 positionId, address vault, address owner, address to, uint256 amount) internal {
        if (amount == 0) return;
        uint256 needed = (PAYOUT_GAS * 64) / 63 + DEFERRAL_GAS;
        if (gasleft() < needed) revert InsufficientGas(gasleft(), needed);
        try IPositionVault(vault).pay{gas: PAYOUT_GAS}(to, amount) {} catch {
            IPositionVault(vault).pay(address(this), amount);
            Claim storage claim_ = _claims[positionId];
            claim_.owner = owner;
            claim_.amount += amount.toUint96();
            emit ClaimRecorded(positionId, owner, to, amount);
        }
    }

    /// @dev An open position (its open order executed), whoever owns it.
    function _openPosition(uint256 positionId) internal view returns (Position memory p) {
        p = _positions[positionId];
        if (p.owner == address(0)) revert UnknownPosition(positionId);
        if (p.size == 0) revert PositionNotOpen(positionId);
    }

    function _copy(Position memory p) internal pure returns (Position memory) {
        return
            Position({
                owner: p.owner,
                collateral: p.collateral,
                size: p.size,
                entryPrice: p.entryPrice,
                borrowIndex: p.borrowIndex,
                maxProfit: p.maxProfit,
                marketId: p.marketId,
                isLong: p.isLong,
                vault: p.vault,
                keeperReserve: p.keeperReserve
            });
    }

    /// @dev Opens and increases stop while paused and in a market in settlement.
    function _addsRiskAllowed(Context memory c) internal pure returns (bool) {
        return !c.paused && c.settlement == 0;
    }
}

/// @title Engine module
/// @notice Base of the code the engine's core delegatecalls (orders, liquidation): it runs on the core's storage and
/// refuses to run on its own.
abstract contract EngineModule is EngineStorage {
    /// @dev This contract's own address: under delegatecall `address(this)` is the core's.
    address private immutable SELF = address(this);

    constructor(
        IERC20 asset,
        ILiquidityPool pool,
        IInsuranceFund insuranceFund,
        IRiskConfig riskConfig
    ) EngineStorage(asset, pool, insuranceFund, riskConfig) {}

    modifier onlyDelegated() {
        if (address(this) == SELF) revert OnlyEngine(msg.sender);
        _;
    }
}

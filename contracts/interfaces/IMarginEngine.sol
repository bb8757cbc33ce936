// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IInsuranceFund} from "./IInsuranceFund.sol";
import {ILiquidityPool} from "./ILiquidityPool.sol";
import {IOracleErrors} from "./IOracleErrors.sol";
import {GlobalParams, IRiskConfig, MarketParams} from "./IRiskConfig.sol";

/// @notice A position as stored (four slots). A position whose open order has not executed yet has an owner, a
/// market, a side, a vault and a keeper reserve, and a size of zero.
struct Position {
    /// @dev Owner; zero for an id that is not in use.
    address owner;
    /// @dev Collateral held by the vault, asset units (keeper reserve and order escrow are held on top).
    uint96 collateral;
    /// @dev Size, index tokens, WAD; zero while the open order is pending.
    uint128 size;
    /// @dev Average entry price, USD per index token, WAD.
    uint128 entryPrice;
    /// @dev The side's borrow index when fees were last settled.
    uint96 borrowIndex;
    /// @dev Profit cap, asset units.
    uint96 maxProfit;
    /// @dev Market id.
    uint16 marketId;
    /// @dev Long (true) or short (false).
    bool isLong;
    /// @dev The vault holding this position's collateral, keeper reserve and order escrow.
    address vault;
    /// @dev The keeper reserve this position deposited (the parameter when it was requested), asset units.
    uint96 keeperReserve;
}

/// @notice What an order does. `None` marks an empty order slot.
enum OrderKind {
    None,
    Open,
    Increase,
    Decrease,
    Close
}

/// @notice A pending order (three slots). A position has at most one pending order (open, increase or decrease) and
/// one pending close; the order, if any, was requested first.
struct Order {
    OrderKind kind;
    /// @dev The feed's latest round id when the order was requested; it executes at the first round after it.
    uint80 roundId;
    /// @dev Block timestamp of the request; the execution round was observed strictly after it.
    uint40 requestedAt;
    /// @dev A round observed after this time cannot execute the order (the lower of the caller's deadline and the
    /// request time plus the market's `maxOrderWait`).
    uint40 deadline;
    /// @dev Escrowed in the vault, paid to the executor; asset units.
    uint88 executionFee;
    /// @dev Size to add or remove, index tokens WAD (zero for a close).
    uint128 sizeDelta;
    /// @dev Worst execution price the owner accepts, USD WAD.
    uint128 acceptablePrice;
    /// @dev Receives what the order pays out; stored as zero for the owner (the views report the owner).
    address receiver;
    /// @dev Collateral escrowed in the vault for an open or increase, asset units.
    uint96 collateralDelta;
}

/// @notice Why an order ended without trading.
enum CancelReason {
    /// @dev No round was observed before the order's deadline (full refund).
    Expired,
    /// @dev The execution round exists but its execution window passed (full refund).
    WindowMissed,
    /// @dev The feed moved to a new phase before the execution round (full refund).
    PhaseChanged,
    /// @dev The execution round's answer is not a good price (full refund).
    BadPrice,
    /// @dev A close replaced the order before its round existed (full refund).
    Replaced,
    /// @dev The position was liquidated or taken at its cap (full refund).
    PositionClosed,
    /// @dev An open or increase whose round fell inside an oracle grace period (full refund).
    GracePeriod,
    /// @dev Opens and increases are paused, or the market is in settlement (full refund).
    Paused,
    /// @dev The market or the pool could not take the position (full refund).
    Capacity,
    /// @dev The execution price was outside the owner's bound (the executor keeps the execution fee).
    PriceBound,
    /// @dev The order fails a margin, minimum or size check at its price (the executor keeps the execution fee).
    Margin
}

/// @notice Where an order stands.
enum OrderStatus {
    /// @dev No pending order.
    None,
    /// @dev Waiting for its execution round, or for a good latest price.
    Waiting,
    /// @dev Can be executed now.
    Executable,
    /// @dev Can no longer execute; anyone may cancel it with a full refund.
    Cancellable
}

/// @notice Aggregates of one market side, enough to value every position of it in O(1).
struct SideState {
    /// @dev Sum of sizes, index tokens, WAD.
    uint128 openInterest;
    /// @dev Sum of size × entryPrice, USD WAD (each term rounded up).
    uint128 entryNotional;
    /// @dev Sum of recorded collateral, asset units: the most the side's losses can pay the pool.
    uint128 collateral;
    /// @dev Sum of profit caps, asset units: the most the pool can owe the side.
    uint128 maxProfit;
    /// @dev Sum of entry notional × the position's borrow index when last settled, USD WAD (each term rounded up):
    /// the side's accrued borrow fees are `index now × entryNotional − feeDebt`, in O(1).
    uint256 feeDebt;
}

/// @title Bulkhead margin engine: errors, events and fixed settings
/// @notice Shared by the engine's core and its order module, so every tool decodes them from one ABI.
interface IMarginEngineBase is IOracleErrors {
    // ---------------------------------------------------------------- errors

    /// @notice A size or size delta of zero.
    error ZeroSize();
    /// @notice An amount of zero where a positive one is needed.
    error ZeroAmount();
    /// @notice The zero address where a receiver is needed.
    error ZeroReceiver();
    /// @notice The position id is not in use.
    error UnknownPosition(uint256 positionId);
    /// @notice The position's open order has not executed yet.
    error PositionNotOpen(uint256 positionId);
    /// @notice The caller does not own the position.
    error NotPositionOwner(uint256 positionId, address caller);
    /// @notice The deadline is not in the future.
    error DeadlineExpired(uint256 deadline, uint256 timestamp);
    /// @notice The execution fee is below the minimum.
    error ExecutionFeeTooLow(uint256 fee, uint256 minimum);
    /// @notice Collateral below the minimum a position must hold.
    error CollateralBelowMinimum(uint256 collateral, uint256 minimum);
    /// @notice Equity below the initial margin required (leverage above the maximum).
    error InitialMarginBreached(int256 equity, uint256 required);
    /// @notice The size delta is not below the position's size (use close).
    error SizeDeltaTooLarge(uint256 sizeDelta, uint256 size);
    /// @notice The position already has a pending open, increase or decrease order.
    error OrderPending(uint256 positionId);
    /// @notice The position already has a pending close.
    error ClosePending(uint256 positionId);
    /// @notice The position has no pending order.
    error NoPendingOrder(uint256 positionId);
    /// @notice The order's execution round has not been observed yet, or the market has no good latest price.
    error OrderNotReady(uint256 positionId);
    /// @notice The order can still execute, so it cannot be cancelled.
    error OrderStillExecutable(uint256 positionId);
    /// @notice The position is not liquidatable.
    error NotLiquidatable(uint256 positionId, int256 equity, uint256 maintenanceMargin);
    /// @notice Liquidations, margin removal and risk-adding executions wait until the grace period after an oracle
    /// or sequencer outage has passed.
    error GracePeriod(uint256 resumesAt);
    /// @notice The token delivered less than was sent (fee-on-transfer tokens are not supported).
    error FeeOnTransferToken(uint256 expected, uint256 received);
    /// @notice Opens and increases are paused.
    error Paused();
    /// @notice The settlement token's decimals are not supported (must be at most 18).
    error UnsupportedDecimals(uint8 decimals);
    /// @notice No claim waits for this position.
    error NothingToClaim(uint256 positionId);
    /// @notice The market is in settlement (its feed is dead): no new positions or increases.
    error MarketInSettlement(uint256 marketId);
    /// @notice The position's pnl has not reached its profit cap.
    error NotAtCap(uint256 positionId, int256 pnl, uint256 maxProfit);
    /// @notice Sent with too little gas left to give a guarded payout its fixed budget.
    error InsufficientGas(uint256 left, uint256 needed);
    /// @notice An engine module was called directly: it runs only through the engine.
    error OnlyEngine(address caller);
    /// @notice A module's settlement token, pool, insurance fund or risk configuration differs from the engine's.
    error ModuleMismatch(address module);

    // ---------------------------------------------------------------- events

    /// @notice An order was requested; what it escrows sits in the position's vault.
    /// @param roundId The feed's latest round when requested: the order executes at the first round after it.
    /// @param deadline The effective deadline (capped by the market's `maxOrderWait`).
    event OrderRequested(
        uint256 indexed positionId,
        address indexed owner,
        uint256 indexed marketId,
        OrderKind kind,
        bool isLong,
        uint256 sizeDelta,
        uint256 collateralDelta,
        uint256 acceptablePrice,
        uint256 deadline,
        uint256 executionFee,
        uint256 roundId,
        address receiver
    );
    /// @notice An order traded at `price`, the answer of round `roundId`; the executor earned `executionFee`.
    event OrderExecuted(
        uint256 indexed positionId,
        OrderKind kind,
        address indexed executor,
        uint256 roundId,
        uint256 price,
        uint256 executionFee
    );
    /// @notice An order ended without trading. `refund` went back to the owner (paid or claimable), `executorFee` to
    /// the executor (zero unless the order failed on price or margin).
    event OrderCancelled(
        uint256 indexed positionId,
        OrderKind kind,
        CancelReason reason,
        address indexed executor,
        uint256 refund,
        uint256 executorFee
    );
    /// @param fee Opening fee paid to the pool from the collateral, asset units.
    /// @param collateral Collateral after the opening fee.
    /// @param maxProfit The position's profit cap, asset units.
    /// @param keeperReserve The keeper reserve the position holds (paid to whoever liquidates it or takes its profit).
    event PositionOpened(
        uint256 indexed positionId,
        address indexed owner,
        uint256 indexed marketId,
        bool isLong,
        address vault,
        uint256 size,
        uint256 price,
        uint256 collateral,
        uint256 fee,
        uint256 maxProfit,
        uint256 keeperReserve
    );
    /// @param fees Opening fee plus settled borrow fee, taken from the collateral, asset units.
    /// @param newMaxProfit The cap after the increase (the old cap plus what the increase brings).
    event PositionIncreased(
        uint256 indexed positionId,
        uint256 sizeDelta,
        uint256 collateralDelta,
        uint256 price,
        uint256 newSize,
        uint256 newEntryPrice,
        uint256 newCollateral,
        uint256 fees,
        uint256 newMaxProfit
    );
    /// @param pnl Realised pnl of the closed part after the profit cap, asset units.
    /// @param fees Closing fee plus settled borrow fee, asset units.
    /// @param payout Paid to `receiver` (or made claimable), asset units.
    /// @param newMaxProfit The cap the remaining position keeps.
    event PositionDecreased(
        uint256 indexed positionId,
        uint256 sizeDelta,
        uint256 price,
        int256 pnl,
        uint256 fees,
        uint256 payout,
        uint256 newSize,
        uint256 newCollateral,
        uint256 newMaxProfit,
        address receiver
    );
    /// @param payout Paid to `receiver` (or made claimable), keeper reserve included, asset units.
    /// @param badDebt Deficit beyond the collateral, covered by insurance then pool (an unpaid close fee is not
    /// counted).
    event PositionClosed(
        uint256 indexed positionId,
        address indexed owner,
        uint256 price,
        int256 pnl,
        uint256 fees,
        uint256 payout,
        uint256 badDebt,
        address receiver
    );
    event MarginAdded(uint256 indexed positionId, address indexed from, uint256 amount, uint256 newCollateral);
    /// @param newMaxProfit The cap after the removal: it never exceeds maxProfitRatio × the collateral left.
    event MarginRemoved(
        uint256 indexed positionId,
        uint256 amount,
        uint256 newCollateral,
        uint256 newMaxProfit,
        address receiver
    );
    /// @param keeperReward Keeper reserve plus liquidation fee paid to the liquidator.
    /// @param penalty Paid to the insurance fund.
    /// @param ownerRefund Paid to the owner, or, if the owner cannot receive it, made claimable (see {Claimed}).
    /// @param badDebt Deficit beyond the collateral.
    /// @param insuranceCover The part of badDebt the insurance fund paid to the pool; the pool absorbed the rest.
    /// @param closeFee Closing fee paid to the pool: a liquidation closes the position, and owes what a close would.
    event PositionLiquidated(
        uint256 indexed positionId,
        address indexed owner,
        address indexed keeper,
        uint256 price,
        uint256 keeperReward,
        uint256 penalty,
        uint256 ownerRefund,
        uint256 badDebt,
        uint256 insuranceCover,
        uint256 closeFee
    );
    /// @notice A position whose pnl reached its cap was closed at the cap by `executor`.
    /// @param profit The cap paid, asset units.
    /// @param fees Borrow and closing fees, asset units.
    /// @param payout Owed to the owner (collateral + profit − fees), paid or made claimable.
    /// @param keeperReward The keeper reserve.
    /// @param badDebt Fees beyond collateral and cap, covered as in a liquidation.
    event ProfitTaken(
        uint256 indexed positionId,
        address indexed owner,
        address indexed executor,
        uint256 price,
        uint256 profit,
        uint256 fees,
        uint256 payout,
        uint256 keeperReward,
        uint256 badDebt
    );
    /// @notice A payout to `owner` (or the receiver they named) could not be delivered; the engine holds it until
    /// the owner calls {claim}.
    event ClaimRecorded(uint256 indexed positionId, address indexed owner, address receiver, uint256 amount);
    /// @notice A recorded claim was paid to `to`.
    event Claimed(uint256 indexed positionId, address indexed owner, address to, uint256 amount);
    /// @notice A reused vault held more than its records (a donation); the excess went to the insurance fund.
    event VaultSwept(address indexed vault, uint256 amount);

    // ---------------------------------------------------------------- fixed settings

    /// @notice The settlement token.
    function ASSET() external view returns (IERC20);

    /// @notice The liquidity pool: counterparty of every trade.
    function POOL() external view returns (ILiquidityPool);

    /// @notice The insurance fund: receives liquidation penalties, covers bad debt first.
    function INSURANCE_FUND() external view returns (IInsuranceFund);

    /// @notice Gas a guarded payout to an owner or receiver may use; the caller must leave enough for it.
    function PAYOUT_GAS() external view returns (uint256);

    /// @notice The risk configuration this engine reads its parameters, pause flag and sequencer feed from.
    function RISK_CONFIG() external view returns (IRiskConfig);
}

/// @title Bulkhead margin engine: orders
/// @notice Open, increase, decrease and close are two-step: a request records the feed's latest round and escrows
/// what the trader brings in the position's vault; anyone executes it at the answer of the first round observed
/// after the request, inside a short window after that round. Served by the engine's order module.
interface IMarginEngineOrders is IMarginEngineBase {
    /// @notice Requests a new position. Pulls `collateral`, the keeper reserve and `executionFee` into the position's
    /// vault (a reused one when available). Requires approval of the settlement token. Not while paused.
    /// @param size Index tokens, WAD; nonzero.
    /// @param collateral Asset units; the opening fee is taken from it at execution; at least `minCollateral`.
    /// @param acceptablePrice Highest price for a long, lowest for a short, USD WAD.
    /// @param deadline Latest observation time of the execution round; capped at now + the market's `maxOrderWait`.
    /// @param executionFee Paid to the executor; at least `minExecutionFee`.
    /// @return positionId The new position's id.
    function requestOpen(
        uint256 marketId,
        bool isLong,
        uint256 size,
        uint256 collateral,
        uint256 acceptablePrice,
        uint256 deadline,
        uint256 executionFee
    ) external returns (uint256 positionId);

    /// @notice Requests more size and optionally collateral; escrows `collateralDelta` and `executionFee`. The
    /// borrow fee and the opening fee are taken from the collateral at execution. Owner only; not while paused.
    function requestIncrease(
        uint256 positionId,
        uint256 sizeDelta,
        uint256 collateralDelta,
        uint256 acceptablePrice,
        uint256 deadline,
        uint256 executionFee
    ) external;

    /// @notice Requests closing part of a position; escrows `executionFee`. The closed part's pnl, less fees, and
    /// its share of the collateral go to `receiver`. Owner only.
    /// @param sizeDelta Strictly below the position's size.
    /// @param acceptablePrice Lowest price for a long, highest for a short.
    function requestDecrease(
        uint256 positionId,
        uint256 sizeDelta,
        uint256 acceptablePrice,
        uint256 deadline,
        uint256 executionFee,
        address receiver
    ) external;

    /// @notice Requests closing a position; escrows `executionFee`. Allowed while paused and beside a pending order:
    /// a pending order whose execution round does not exist yet is cancelled and refunded, otherwise the close
    /// executes after it. Owner only. Like every request, it first cancels (full refund) the position's pending
    /// orders that can no longer execute.
    /// @param acceptablePrice Lowest price for a long, highest for a short.
    function requestClose(
        uint256 positionId,
        uint256 acceptablePrice,
        uint256 deadline,
        uint256 executionFee,
        address receiver
    ) external;

    /// @notice Executes the position's pending orders that can execute now, in request order, at their execution
    /// round. A position liquidatable at the latest price is liquidated instead (outside grace periods). An order
    /// that fails its checks at its price is cancelled and refunded; the caller earns the execution fee unless the
    /// failure was capacity or pause. An order that can no longer execute is cancelled with a full refund. Reverts
    /// with {OrderNotReady} if nothing could be done yet.
    function executeOrder(uint256 positionId) external;

    /// @notice {executeOrder} for every listed position; skips those with nothing to do (unknown ids, orders not ready,
    /// markets without a good price) without reverting. Reverts while the L2 sequencer is down.
    /// @return executed How many orders were executed or cancelled.
    function executeOrders(uint256[] calldata positionIds) external returns (uint256 executed);

    /// @notice Cancels the position's pending orders that can no longer execute (no round before the deadline,
    /// window missed, feed phase changed) with a full refund to the owner. Anyone may call.
    function cancelOrder(uint256 positionId) external;
}

/// @title Bulkhead margin engine: liquidation and take-profit
/// @notice Instant, by anyone, at the latest good price. Served by the engine's liquidation module.
interface IMarginEngineLiquidation is IMarginEngineBase {
    /// @notice Liquidates a position at the latest good price. Anyone may call; the caller is paid the keeper reserve
    /// and the liquidation fee. Pending orders are cancelled and refunded first. The owner's refund is paid last; if
    /// the owner cannot receive it, it becomes a claim (see {claim}).
    function liquidate(uint256 positionId) external;

    /// @notice Liquidates every listed position that is liquidatable and skips the others (unknown or pending ids,
    /// healthy positions, markets without a good price or in their grace period) without reverting. Reverts only
    /// while the L2 sequencer is down.
    /// @return liquidated How many positions were liquidated.
    function liquidateBatch(uint256[] calldata positionIds) external returns (uint256 liquidated);

    /// @notice Closes a position whose pnl has reached its profit cap, at the cap. Anyone may call whenever the
    /// market has a good price (grace periods do not apply: paying a cap adds no risk); the caller earns the keeper
    /// reserve. Pending orders are cancelled and refunded first; the owner's payout is sent last and becomes a claim
    /// if it cannot be received, so nothing can block it.
    function takeProfit(uint256 positionId) external;

    /// @notice {takeProfit} for every listed position it would close; skips the others (and markets without a good
    /// price) without reverting.
    /// @return taken How many positions were closed.
    function takeProfitBatch(uint256[] calldata positionIds) external returns (uint256 taken);
}

/// @title Bulkhead margin engine
/// @notice Isolated-margin perpetual positions. Every position's collateral sits in its own vault (an EIP-1167 clone,
/// reused once emptied); a liquidation only ever touches that vault. The liquidity pool is the counterparty; the
/// insurance fund absorbs bad debt before the pool does. Trades are orders (see {IMarginEngineOrders}); margin,
/// liquidation and take-profit are instant.
/// @dev Parameters, pause and roles live in {IRiskConfig}; the engine has no privileged function.
/// Units: asset amounts are in the settlement token's units; prices and notionals are USD WAD; ratios are WAD.
/// Rounding always favours the pool and other positions: losses and fees round up, gains round down.
interface IMarginEngine is IMarginEngineOrders, IMarginEngineLiquidation {
    // ---------------------------------------------------------------- margin and claims

    /// @notice Adds collateral to an open position. Anyone may; always allowed, paused or not, whatever the oracle
    /// says. Does not raise the profit cap.
    function addMargin(uint256 positionId, uint256 amount) external;

    /// @notice Withdraws collateral to `receiver`, keeping initial margin and the minimum collateral; lowers the cap
    /// to maxProfitRatio × the collateral left. Owner only; refused while an order is pending and inside a grace
    /// period.
    function removeMargin(uint256 positionId, uint256 amount, address receiver) external;

    /// @notice Pays the claim recorded for a position (payouts its owner could not receive) to `to`. Only the owner
    /// the claim was recorded for may claim.
    function claim(uint256 positionId, address to) external;

    // ---------------------------------------------------------------- views

    /// @notice The status of the position's next pending order (in request order) and its execution round, if
    /// observed. `Executable` also needs a good latest price in the market.
    function orderStatus(uint256 positionId) external view returns (OrderStatus status, uint80 executionRoundId);

    /// @notice The claim waiting for a position, and whose it is; zeros if none.
    function claimOf(uint256 positionId) external view returns (address owner, uint256 amount);

    /// @notice The stored position; `owner` is zero if the id is not in use.
    function position(uint256 positionId) external view returns (Position memory);

    /// @notice The position's pending order (open, increase or decrease) and pending close; `kind` is `None` where
    /// there is none.
    function orders(uint256 positionId) external view returns (Order memory order, Order memory close);

    /// @notice The vault of a position in use; zero otherwise.
    function vaultOf(uint256 positionId) external view returns (address);

    /// @notice How many emptied vaults wait to be reused.
    function freeVaultCount() external view returns (uint256);

    /// @notice When risk-adding operations and liquidations in the market may resume after the latest sequencer or
    /// price outage; a time in the past (or zero) when they may go ahead now. Reverts on a bad price.
    function liquidationResumesAt(uint256 marketId) external view returns (uint256);

    /// @notice The latest good price of a market, USD WAD; reverts on a bad price.
    function indexPrice(uint256 marketId) external view returns (uint256);

    /// @notice The side's borrow index as of now.
    function borrowIndex(uint256 marketId, bool isLong) external view returns (uint256);

    /// @notice The aggregates of a market side.
    function sideState(uint256 marketId, bool isLong) external view returns (SideState memory);

    /// @notice Whether, at `price`, any position of the market is past one of its edges, where its side's aggregate
    /// claim stops being the sum of its positions' claims: beyond its cap price (it can be taken at its cap now), or
    /// at or beyond its bankruptcy price, fees left out (it is liquidatable now). Prices are compared on a grid of
    /// 2^-10 (0.098 %) steps: a position beyond its cap by less than one step may not count yet, and one less than a
    /// step above its bankruptcy price (a long; below, a short) counts already. The pool executes no LP request while
    /// either holds (SPEC rule 10).
    /// @return beyondCap A position has passed its cap price.
    /// @return underWater A position has reached its bankruptcy price.
    function pastEdges(uint256 marketId, uint256 price) external view returns (bool beyondCap, bool underWater);

    /// @notice Markets listed in the risk configuration (as of the engine's last sync).
    function marketCount() external view returns (uint256);

    /// @notice The engine's copy of `IRiskConfig.tradingConfig(marketId)`: what its operations read.
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
        );

    /// @notice Accrues a market's borrow indices to now. Anyone may call; the risk configuration does before a rate
    /// changes, so past time is charged at the old rate.
    function accrue(uint256 marketId) external;

    /// @notice Copies a market's parameters and settlement price from the risk configuration into the engine, which
    /// reads them from its own storage; time so far is charged at the rates being replaced. The risk configuration
    /// calls it on every change it makes; anyone may call, since it only copies the configuration's state.
    function syncMarket(uint256 marketId) external;

    /// @notice Copies the engine-wide parameters, the sequencer feed and the pause flag from the risk configuration
    /// into the engine; called like `syncMarket`.
    function syncGlobal() external;

    /// @notice The implementation behind every position vault clone.
    function VAULT_IMPLEMENTATION() external view returns (address);

    /// @notice The contract whose code serves {IMarginEngineLiquidation} on the engine's storage (by delegatecall).
    function LIQUIDATION_MODULE() external view returns (address);

    /// @notice The contract whose code serves {IMarginEngineOrders} on the engine's storage (by delegatecall).
    function ORDER_MODULE() external view returns (address);

    /// @notice The id the next position will get (ids start at 1).
    function nextPositionId() external view returns (uint256);

    /// @notice Sum of every open position's profit cap, asset units; the pool keeps it reserved.
    function totalReserved() external view returns (uint256);

    /// @notice Sum of every open position's entry notional, USD WAD.
    function totalEntryNotional() external view returns (uint256);
}

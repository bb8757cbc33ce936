// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IInsuranceFund} from "./IInsuranceFund.sol";
import {ILiquidityPool} from "./ILiquidityPool.sol";
import {IOracleErrors} from "./IOracleErrors.sol";
import {IRiskConfig} from "./IRiskConfig.sol";

/// @notice A position as stored (three storage slots).
struct Position {
    /// @dev Owner; zero for an id that is not open.
    address owner;
    /// @dev Collateral held by the vault, asset units (the keeper reserve is held on top).
    uint96 collateral;
    /// @dev Size, index tokens, WAD.
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

/// @title Bulkhead margin engine
/// @notice Isolated-margin perpetual positions. Every position's collateral sits in its own vault (an EIP-1167 clone
/// at a CREATE2 address fixed by the position id); a liquidation only ever touches that vault. The liquidity pool is
/// the counterparty; the insurance fund absorbs bad debt before the pool does.
/// @dev Parameters, pause and roles live in {IRiskConfig}; the engine has no privileged function.
/// Units: asset amounts are in the settlement token's units; prices and notionals are USD WAD; ratios are WAD.
/// Rounding always favours the pool and other positions: losses and fees round up, gains round down.
interface IMarginEngine is IOracleErrors {
    // ---------------------------------------------------------------- errors

    /// @notice A size or size delta of zero.
    error ZeroSize();
    /// @notice An amount of zero where a positive one is needed.
    error ZeroAmount();
    /// @notice The position id is not open.
    error UnknownPosition(uint256 positionId);
    /// @notice The caller does not own the position.
    error NotPositionOwner(uint256 positionId, address caller);
    /// @notice The transaction arrived after its deadline.
    error DeadlineExpired(uint256 deadline, uint256 timestamp);
    /// @notice The oracle price is worse for the caller than their bound.
    error PriceOutsideBound(uint256 price, uint256 acceptablePrice);
    /// @notice Collateral below the minimum a position must hold.
    error CollateralBelowMinimum(uint256 collateral, uint256 minimum);
    /// @notice Equity below the initial margin required (leverage above the maximum).
    error InitialMarginBreached(int256 equity, uint256 required);
    /// @notice The position would be liquidatable after the operation.
    error MaintenanceMarginBreached(int256 equity, uint256 required);
    /// @notice The size delta is not below the position's size (use close).
    error SizeDeltaTooLarge(uint256 sizeDelta, uint256 size);
    /// @notice The market side's open-interest cap would be exceeded.
    error OpenInterestCapExceeded(uint256 marketId, bool isLong, uint256 openInterest, uint256 cap);
    /// @notice Total entry notional would exceed the pool-relative bound.
    error UtilizationCapExceeded(uint256 totalNotional, uint256 cap);
    /// @notice The pool cannot reserve the position's maximum profit.
    error InsufficientPoolLiquidity(uint256 poolAssets, uint256 reservedAfter);
    /// @notice The position is not liquidatable.
    error NotLiquidatable(uint256 positionId, int256 equity, uint256 maintenanceMargin);
    /// @notice Liquidations wait until the grace period after an oracle or sequencer outage has passed.
    error LiquidationGracePeriod(uint256 resumesAt);
    /// @notice The token delivered less than was sent (fee-on-transfer tokens are not supported).
    error FeeOnTransferToken(uint256 expected, uint256 received);
    /// @notice The closed part's payout would be negative; close the position instead.
    error DecreaseUnderwater(uint256 positionId);
    /// @notice Opens and increases are paused.
    error Paused();
    /// @notice The settlement token's decimals are not supported (must be at most 18).
    error UnsupportedDecimals(uint8 decimals);
    /// @notice No liquidation refund waits to be claimed for this position.
    error NoDeferredRefund(uint256 positionId);
    /// @notice The position's notional would be below the minimum a position must have.
    error NotionalBelowMinimum(uint256 notional, uint256 minimum);
    /// @notice The market is in settlement (its feed is dead): no new positions or increases.
    error MarketInSettlement(uint256 marketId);
    /// @notice The position's pnl has not reached its profit cap.
    error NotAtCap(uint256 positionId, int256 pnl, uint256 maxProfit);
    /// @notice A liquidation was sent with too little gas left to give the owner's refund transfer its fixed budget.
    error InsufficientGas(uint256 left, uint256 needed);

    // ---------------------------------------------------------------- events

    /// @param fee Opening fee paid to the pool, asset units.
    event PositionOpened(
        uint256 indexed positionId,
        address indexed owner,
        uint256 indexed marketId,
        bool isLong,
        address vault,
        uint256 size,
        uint256 price,
        uint256 collateral,
        uint256 fee
    );
    /// @param fees Opening fee plus settled borrow fee, asset units.
    event PositionIncreased(
        uint256 indexed positionId,
        uint256 sizeDelta,
        uint256 collateralDelta,
        uint256 price,
        uint256 newSize,
        uint256 newEntryPrice,
        uint256 newCollateral,
        uint256 fees
    );
    /// @param pnl Realised pnl of the closed part after the profit cap, asset units.
    /// @param fees Closing fee plus settled borrow fee, asset units.
    /// @param payout Paid to the owner, asset units.
    event PositionDecreased(
        uint256 indexed positionId,
        uint256 sizeDelta,
        uint256 price,
        int256 pnl,
        uint256 fees,
        uint256 payout,
        uint256 newSize,
        uint256 newCollateral
    );
    /// @param payout Paid to the owner, keeper reserve included, asset units.
    /// @param badDebt Deficit beyond the collateral, covered by insurance then pool.
    event PositionClosed(
        uint256 indexed positionId,
        address indexed owner,
        uint256 price,
        int256 pnl,
        uint256 fees,
        uint256 payout,
        uint256 badDebt
    );
    event MarginAdded(uint256 indexed positionId, uint256 amount, uint256 newCollateral);
    event MarginRemoved(uint256 indexed positionId, uint256 amount, uint256 newCollateral);
    /// @param keeperReward Keeper reserve plus liquidation fee paid to the liquidator.
    /// @param penalty Paid to the insurance fund.
    /// @param ownerRefund Paid to the owner, or, if the owner cannot receive it, deferred (see {RefundDeferred}).
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
    /// @param payout Owed to the owner (collateral + profit − fees), paid or deferred (see {RefundDeferred}).
    /// @param keeperReward The keeper reserve (and anything else the vault held beyond the collateral).
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
    /// @notice A liquidated position's owner could not receive their refund (a blocklisted address or a refusing
    /// hook); it stays in the position's vault until the owner calls {claimRefund}.
    event RefundDeferred(uint256 indexed positionId, address indexed owner, uint256 amount);
    /// @notice A deferred refund was paid to `to`, an address of the owner's choosing (one that can receive).
    event RefundClaimed(uint256 indexed positionId, address indexed owner, address to, uint256 amount);

    // ---------------------------------------------------------------- trading

    /// @notice Opens a position. Pulls collateral, keeper reserve and opening fee from the caller: collateral and
    /// reserve into the position's new vault, the fee into the pool. Requires approval of the settlement token.
    /// @param marketId Listed market.
    /// @param isLong Side.
    /// @param size Index tokens, WAD; nonzero.
    /// @param collateral Asset units credited to the position; at least `minCollateral`.
    /// @param acceptablePrice Highest price for a long, lowest for a short, USD WAD.
    /// @param deadline Latest block timestamp.
    /// @return positionId The new position's id.
    function open(
        uint256 marketId,
        bool isLong,
        uint256 size,
        uint256 collateral,
        uint256 acceptablePrice,
        uint256 deadline
    ) external returns (uint256 positionId);

    /// @notice Adds size and optionally collateral. Settles the borrow fee; the caller pays it and the opening fee to
    /// the pool. Not while paused.
    /// @param acceptablePrice Highest price for a long, lowest for a short.
    function increase(
        uint256 positionId,
        uint256 sizeDelta,
        uint256 collateralDelta,
        uint256 acceptablePrice,
        uint256 deadline
    ) external;

    /// @notice Closes part of a position: the closed part's pnl is settled with the pool and the proportional
    /// collateral, less fees, is paid to the owner. The rest must stay above maintenance and minimum collateral.
    /// @param sizeDelta Strictly below the position's size.
    /// @param acceptablePrice Lowest price for a long, highest for a short.
    function decrease(uint256 positionId, uint256 sizeDelta, uint256 acceptablePrice, uint256 deadline) external;

    /// @notice Closes a position, returning what is left and the keeper reserve to the owner. Works while paused and
    /// while liquidatable; a deficit is bad debt, covered as in a liquidation.
    /// @param acceptablePrice Lowest price for a long, highest for a short.
    function close(uint256 positionId, uint256 acceptablePrice, uint256 deadline) external;

    /// @notice Adds collateral. Always allowed: paused or not, whatever the oracle says. Does not raise the profit cap.
    function addMargin(uint256 positionId, uint256 amount) external;

    /// @notice Withdraws collateral to the owner, keeping initial margin and the minimum collateral.
    function removeMargin(uint256 positionId, uint256 amount) external;

    // ---------------------------------------------------------------- liquidation

    /// @notice Liquidates a position at the oracle price. Anyone may call; the caller is paid the keeper reward. The
    /// owner's refund is paid last; if the owner cannot receive it, it waits in the vault (see {claimRefund}).
    function liquidate(uint256 positionId) external;

    /// @notice Liquidates every listed position that is liquidatable and skips the others (closed, healthy or
    /// unknown ids, and positions of a market whose price is stale or non-positive or that is in its post-outage
    /// grace period) without reverting. Reverts only while the L2 sequencer is down.
    /// @return liquidated How many positions were liquidated.
    function liquidateBatch(uint256[] calldata positionIds) external returns (uint256 liquidated);

    /// @notice Closes a position whose pnl has reached its profit cap, at the cap. Anyone may call, at any time the
    /// market has a good price (grace periods do not apply: paying a cap adds no risk); the caller earns the keeper
    /// reserve. The owner's payout is sent last and deferred (see {claimRefund}) if it cannot be received, so nothing
    /// can block it. A position at its cap whose fees exceed cap and collateral closes with bad debt, covered as in
    /// a liquidation.
    function takeProfit(uint256 positionId) external;

    /// @notice {takeProfit} for every listed position it would close; skips the others (and markets without a good
    /// price) without reverting.
    /// @return taken How many positions were closed.
    function takeProfitBatch(uint256[] calldata positionIds) external returns (uint256 taken);

    /// @notice Pays a deferred liquidation refund (see {RefundDeferred}) from the position's vault to `to`. Only the
    /// liquidated position's owner may claim.
    function claimRefund(uint256 positionId, address to) external;

    /// @notice The liquidation refund waiting in a liquidated position's vault, and whose it is; zeros if none.
    function deferredRefund(uint256 positionId) external view returns (address owner, uint256 amount);

    // ---------------------------------------------------------------- views

    /// @notice The stored position; `owner` is zero if not open.
    function position(uint256 positionId) external view returns (Position memory);

    /// @notice The vault address of a position id (deterministic, whether or not deployed yet).
    function vaultOf(uint256 positionId) external view returns (address);

    /// @notice When liquidations in the market may resume after the latest sequencer or price outage; a time in the
    /// past (or zero) when they may go ahead now. Reverts on a bad price.
    function liquidationResumesAt(uint256 marketId) external view returns (uint256);

    /// @notice The oracle price of a market, USD WAD; reverts on a bad price.
    function indexPrice(uint256 marketId) external view returns (uint256);

    /// @notice The side's borrow index as of now.
    function borrowIndex(uint256 marketId, bool isLong) external view returns (uint256);

    /// @notice The aggregates of a market side.
    function sideState(uint256 marketId, bool isLong) external view returns (SideState memory);

    /// @notice Markets listed in the risk configuration.
    function marketCount() external view returns (uint256);

    /// @notice Accrues a market's borrow indices to now. Anyone may call; the risk configuration does before a rate
    /// changes, so past time is charged at the old rate.
    function accrue(uint256 marketId) external;

    /// @notice The settlement token.
    function ASSET() external view returns (IERC20);

    /// @notice The liquidity pool: counterparty of every trade.
    function POOL() external view returns (ILiquidityPool);

    /// @notice The insurance fund: receives liquidation penalties, covers bad debt first.
    function INSURANCE_FUND() external view returns (IInsuranceFund);

    /// @notice The implementation behind every position vault clone.
    function VAULT_IMPLEMENTATION() external view returns (address);

    /// @notice Gas the owner's refund transfer may use in a liquidation (see {liquidate}).
    function REFUND_GAS() external view returns (uint256);

    /// @notice The risk configuration this engine reads its parameters, pause flag and sequencer feed from.
    function RISK_CONFIG() external view returns (IRiskConfig);

    /// @notice The id the next opened position will get (ids start at 1).
    function nextPositionId() external view returns (uint256);

    /// @notice Sum of every open position's profit cap, asset units; the pool keeps it reserved.
    function totalReserved() external view returns (uint256);

    /// @notice Sum of every open position's entry notional, USD WAD.
    function totalEntryNotional() external view returns (uint256);
}

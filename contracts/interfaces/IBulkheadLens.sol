// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IMarginEngine, OrderStatus} from "./IMarginEngine.sol";
import {GlobalParams, MarketParams} from "./IRiskConfig.sol";

/// @notice Everything a keeper needs about one market, as the engine sees it in this block.
struct MarketStatus {
    /// @dev Whether the engine has a price for the market now: a good latest answer (fresh, positive, strictly inside
    /// the aggregator's band, read while the L2 sequencer is up) or a settlement price. Without one, executions,
    /// liquidations and take-profits in the market wait.
    bool priced;
    /// @dev The price the engine uses now, USD WAD: the latest good answer, or the settlement price of a market in
    /// settlement; zero when not priced.
    uint256 price;
    /// @dev The feed's latest round as read, good or not (a new order records it); zero if the feed cannot be read.
    uint80 roundId;
    /// @dev That round's update time; zero if the feed cannot be read.
    uint256 updatedAt;
    /// @dev The long side's borrow index accrued to now, WAD.
    uint256 longBorrowIndex;
    /// @dev The short side's borrow index accrued to now, WAD.
    uint256 shortBorrowIndex;
    /// @dev When liquidations and risk-adding executions resume after the latest price or sequencer outage (see
    /// {IMarginEngine-liquidationResumesAt}): they may run when this is at or before now. Zero when not priced.
    uint256 resumesAt;
    /// @dev Opens and increases are paused (engine-wide).
    bool paused;
    /// @dev The market's settlement price if it is in settlement (its feed died), USD WAD; zero otherwise.
    uint256 settlementPrice;
    /// @dev The market's parameters.
    MarketParams params;
    /// @dev The engine-wide parameters.
    GlobalParams global;
}

/// @notice What a liquidation at the current price would pay, in asset units.
struct LiquidationPreview {
    /// @dev Whether {IMarginEngine-liquidate} would succeed in this block (below maintenance, outside grace).
    bool liquidatable;
    /// @dev Equity at the oracle price, asset units (signed).
    int256 equity;
    /// @dev Maintenance requirement at the oracle price, asset units.
    uint256 maintenanceMargin;
    /// @dev The position's recorded keeper reserve plus the liquidation fee.
    uint256 keeperReward;
    /// @dev Paid to the insurance fund.
    uint256 penalty;
    /// @dev Paid back to the owner (or made claimable).
    uint256 ownerRefund;
    /// @dev Deficit beyond the collateral, covered by insurance then by the pool.
    uint256 badDebt;
    /// @dev Price used, USD WAD.
    uint256 price;
    /// @dev Closing fee paid to the pool.
    uint256 closeFee;
}

/// @notice A position's next pending order as {IMarginEngine-orderStatus} reports it.
struct OrderState {
    OrderStatus status;
    /// @dev The order's execution round, once observed; zero before.
    uint80 roundId;
}

/// @title Bulkhead lens
/// @notice Read-only helpers for keepers and UIs (SPEC §1 "Keeper views"): one view per market, position valuations
/// and batch views that answer "which of these positions are liquidatable / at their cap" and "which of these orders
/// are executable" in one call each. Computed with the engine's own maths (`PositionMath`) from the engine's state and
/// views, so they agree with what a transaction in the same block would do.
/// @dev Views of one position revert for an id not in use ({IMarginEngine-UnknownPosition}) and for a position whose
/// open order has not executed yet ({IMarginEngine-PositionNotOpen}); those that need a price revert with the
/// oracle's error when the market has none. {market} and the batch views never revert on a bad price.
interface IBulkheadLens {
    /// @notice The engine read.
    function ENGINE() external view returns (IMarginEngine);

    /// @notice The market's price and latest round, borrow indices, grace status, pause and settlement state and
    /// parameters. Never reverts on a bad, stale or unreadable price, nor while the L2 sequencer is down (`priced` is
    /// then false); reverts with {IRiskConfig-UnknownMarket} for a market that is not listed.
    function market(uint256 marketId) external view returns (MarketStatus memory);

    /// @notice Equity at the oracle price, asset units: collateral + capped pnl − owed borrow fee.
    function equity(uint256 positionId) external view returns (int256);

    /// @notice Equity divided by the maintenance requirement, WAD; below 1e18 means below maintenance.
    function health(uint256 positionId) external view returns (uint256);

    /// @notice The oracle price at which the position becomes liquidatable, ignoring future borrow fees; zero if a
    /// long stays solvent at every positive price. Needs no price, so it answers during an oracle outage.
    function liquidationPrice(uint256 positionId) external view returns (uint256);

    /// @notice What liquidating the position in this block would pay each party, from its recorded amounts (the
    /// keeper reserve it deposited, not the current parameter; a donation to its vault is never paid out). Computed
    /// whether or not the position is liquidatable.
    function previewLiquidation(uint256 positionId) external view returns (LiquidationPreview memory);

    /// @notice For each id, whether {IMarginEngine-liquidate} would succeed in this block: false for ids not in use,
    /// pending opens, positions of markets without a good price (stale, non-positive, at the aggregator's band, an
    /// unreadable feed, the L2 sequencer down) and positions inside a post-outage grace period.
    function liquidatable(uint256[] calldata positionIds) external view returns (bool[] memory);

    /// @notice For each id, whether {IMarginEngine-takeProfit} would succeed in this block (its uncapped pnl has
    /// reached its cap): false for ids not in use, pending opens and positions of markets without a good price.
    function atCap(uint256[] calldata positionIds) external view returns (bool[] memory);

    /// @notice For each id, its next pending order's status and execution round, as {IMarginEngine-orderStatus}
    /// reports them: `Executable` orders can be passed to {IMarginEngine-executeOrders}, `Cancellable` ones to
    /// {IMarginEngine-cancelOrder}. `None` for ids without an order; `Waiting` (round zero) where the engine cannot
    /// judge the order now (the L2 sequencer is down).
    function executable(uint256[] calldata positionIds) external view returns (OrderState[] memory);
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IMarginEngine} from "./IMarginEngine.sol";

/// @notice What a liquidation at the current price would pay, in asset units.
struct LiquidationPreview {
    bool liquidatable;
    /// @dev Equity at the oracle price, asset units (signed).
    int256 equity;
    /// @dev Maintenance requirement at the oracle price, asset units.
    uint256 maintenanceMargin;
    /// @dev Keeper reserve plus liquidation fee.
    uint256 keeperReward;
    /// @dev Paid to the insurance fund.
    uint256 penalty;
    /// @dev Paid back to the owner.
    uint256 ownerRefund;
    /// @dev Deficit beyond the collateral, covered by insurance then by the pool.
    uint256 badDebt;
    /// @dev Price used, USD WAD.
    uint256 price;
    /// @dev Closing fee paid to the pool.
    uint256 closeFee;
}

/// @title Bulkhead lens
/// @notice Read-only helpers for keepers and UIs: equity, health, liquidation price, a liquidation preview and a
/// batch liquidatable check. Computed with the engine's own maths (`PositionMath`) from the engine's state, so they
/// agree with what a transaction in the same block would do.
interface IBulkheadLens {
    /// @notice The engine read.
    function ENGINE() external view returns (IMarginEngine);

    /// @notice Equity at the oracle price, asset units: collateral + capped pnl − owed borrow fee.
    function equity(uint256 positionId) external view returns (int256);

    /// @notice Equity divided by the maintenance requirement, WAD; below 1e18 means liquidatable.
    function health(uint256 positionId) external view returns (uint256);

    /// @notice The oracle price at which the position becomes liquidatable, ignoring future borrow fees; zero if a
    /// long stays solvent at every positive price.
    function liquidationPrice(uint256 positionId) external view returns (uint256);

    /// @notice What liquidating the position in this block would pay each party.
    function previewLiquidation(uint256 positionId) external view returns (LiquidationPreview memory);

    /// @notice For each id, whether `liquidate` would succeed in this block: false for ids that are not open, and in
    /// markets without a good price (stale or non-positive, or the L2 sequencer down) or inside a post-outage grace
    /// period.
    function liquidatable(uint256[] calldata positionIds) external view returns (bool[] memory);

    /// @notice Which of `positionIds` are at their profit cap now (closable with `takeProfit`); false for unknown ids
    /// and for positions of a market without a good price.
    function atCap(uint256[] calldata positionIds) external view returns (bool[] memory);
}

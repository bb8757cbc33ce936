// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";

import {IEngineBound} from "./IEngineBound.sol";

/// @title Bulkhead liquidity pool
/// @notice ERC-4626 vault of the settlement asset and the counterparty of every trade. Its share price counts the
/// traders' net unrealised pnl, so LPs cannot dodge a loss by withdrawing first; withdrawals never touch the
/// liquidity reserved for open positions' maximum profit.
interface ILiquidityPool is IERC4626, IEngineBound {
    /// @notice Pays a trader's profit or a refund out of the pool. Engine only.
    function pay(address to, uint256 amount) external;

    /// @notice Net unrealised pnl of all traders at oracle prices, asset units (positive: traders are up). Fee-free;
    /// O(markets) from the engine's per-side aggregates. Each side's pnl is bounded by what can change hands in
    /// aggregate: losses by the side's collateral, gains by the sum of its profit caps (a bound per side, not per
    /// position). Reverts on a bad price.
    function netTraderPnl() external view returns (int256);

    /// @notice The pool's token balance not reserved for open positions' maximum profit.
    function freeLiquidity() external view returns (uint256);
}

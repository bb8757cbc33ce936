// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IEngineBound} from "./IEngineBound.sol";

/// @title Bulkhead insurance fund
/// @notice Receives liquidation penalties; pays bad debt to the pool before the pool takes any loss.
interface IInsuranceFund is IEngineBound {
    event BadDebtCovered(uint256 requested, uint256 paid);

    /// @notice Pays up to `amount` to `to` (the pool). Engine only.
    /// @return paid What was paid: `amount`, or the whole balance if smaller.
    function cover(address to, uint256 amount) external returns (uint256 paid);

    /// @notice The settlement token.
    function ASSET() external view returns (IERC20);
}

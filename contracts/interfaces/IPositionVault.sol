// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title Position vault
/// @notice Holds one position's collateral and keeper reserve, and nothing else. Only the engine moves it.
interface IPositionVault {
    /// @notice The caller is not the engine.
    error OnlyEngine(address caller);

    /// @notice Sends `amount` of the settlement asset to `to`. Engine only.
    function pay(address to, uint256 amount) external;

    /// @notice The only caller of {pay}.
    function ENGINE() external view returns (address);

    /// @notice The settlement token the vault holds.
    function ASSET() external view returns (IERC20);
}

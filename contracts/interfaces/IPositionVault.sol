// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Position vault
/// @notice Holds one position's collateral and keeper reserve, and nothing else. Only the engine moves it.
interface IPositionVault {
    /// @notice The caller is not the engine.
    error OnlyEngine(address caller);

    /// @notice Sends `amount` of the settlement asset to `to`. Engine only.
    function pay(address to, uint256 amount) external;
}

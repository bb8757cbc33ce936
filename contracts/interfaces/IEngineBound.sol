// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title A contract that the margin engine alone may draw on, bound to it once after deployment.
interface IEngineBound {
    /// @notice The caller is not the engine.
    error OnlyEngine(address caller);
    /// @notice Only the deployer may bind, and only once.
    error BindingForbidden(address caller);
    /// @notice The engine address is zero.
    error ZeroEngine();

    event EngineBound(address engine);

    /// @notice The engine; zero until bound.
    function engine() external view returns (address);

    /// @notice Binds the engine. Callable once, by the deployer.
    function bindEngine(address engine_) external;
}

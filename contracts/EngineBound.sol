// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IEngineBound} from "./interfaces/IEngineBound.sol";

/// @dev Binds a contract to the margin engine once. The engine and its satellites reference each other, so one of
/// them must learn the other's address after deployment; only the deployer may bind, and only once.
abstract contract EngineBound is IEngineBound {
    address private immutable _DEPLOYER;
    address private _engine;

    modifier onlyEngine() {
        if (msg.sender != _engine) revert OnlyEngine(msg.sender);
        _;
    }

    constructor() {
        _DEPLOYER = msg.sender;
    }

    /// @inheritdoc IEngineBound
    function engine() public view returns (address) {
        return _engine;
    }

    /// @inheritdoc IEngineBound
    function bindEngine(address engine_) external {
        if (msg.sender != _DEPLOYER || _engine != address(0)) revert BindingForbidden(msg.sender);
        if (engine_ == address(0)) revert ZeroEngine();
        _engine = engine_;
        emit EngineBound(engine_);
        _afterBind();
    }

    /// @dev Called once the engine is bound.
    function _afterBind() internal virtual {}
}

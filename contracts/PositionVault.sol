// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IPositionVault} from "./interfaces/IPositionVault.sol";

/// @title Position vault
/// @notice The implementation behind every position's EIP-1167 clone. Engine and asset are immutables of this
/// implementation, so a clone needs no initialisation write: deploying it is the whole set-up.
contract PositionVault is IPositionVault {
    using SafeERC20 for IERC20;

    /// @inheritdoc IPositionVault
    address public immutable ENGINE;
    /// @inheritdoc IPositionVault
    IERC20 public immutable ASSET;

    constructor(IERC20 asset) {
        ENGINE = msg.sender;
        ASSET = asset;
    }

    /// @inheritdoc IPositionVault
    function pay(address to, uint256 amount) external {
        if (msg.sender != ENGINE) revert OnlyEngine(msg.sender);
        ASSET.safeTransfer(to, amount);
    }
}

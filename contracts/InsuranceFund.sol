// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {EngineBound} from "./EngineBound.sol";
import {IInsuranceFund} from "./interfaces/IInsuranceFund.sol";

/// @title Insurance fund
/// @notice Collects liquidation penalties (plain transfers in) and pays bad debt to the pool, engine only.
contract InsuranceFund is IInsuranceFund, EngineBound {
    using SafeERC20 for IERC20;

    /// @inheritdoc IInsuranceFund
    IERC20 public immutable ASSET;

    constructor(IERC20 asset) {
        ASSET = asset;
    }

    /// @inheritdoc IInsuranceFund
    function cover(address to, uint256 amount) external onlyEngine returns (uint256 paid) {
        uint256 balance = ASSET.balanceOf(address(this));
        paid = amount < balance ? amount : balance;
        emit BadDebtCovered(amount, paid);
        if (paid != 0) ASSET.safeTransfer(to, paid);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title Test stablecoin
/// @notice A 6-decimal USD stablecoin for local chains and tests, with EIP-2612 permit. Anyone can mint: never
/// deploy it where it could be mistaken for real money.
contract TestStablecoin is ERC20, ERC20Permit {
    constructor() ERC20("Test USD", "tUSD") ERC20Permit("Test USD") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Mints `amount` to `to`. Open to anyone: a faucet.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}

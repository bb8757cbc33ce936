// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @dev ERC-777 style hooks: called on the sender before and on the recipient after every balance change.
interface ITokenHooks {
    function tokensToSend(address operator, address from, address to, uint256 amount) external;

    function tokensReceived(address operator, address from, address to, uint256 amount) external;
}

/// @title Settlement token with transfer hooks
/// @notice A 6-decimal ERC-20 that, like ERC-777, hands control to the sender before and to the recipient after every
/// transfer. An account opts in with `registerHooks` (ERC-777 uses the ERC-1820 registry for the same purpose).
contract HookToken is ERC20 {
    mapping(address account => bool) public hooksRegistered;

    constructor() ERC20("Hooked USD", "hUSD") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function registerHooks(bool enabled) external {
        hooksRegistered[msg.sender] = enabled;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && hooksRegistered[from]) {
            ITokenHooks(from).tokensToSend(msg.sender, from, to, value);
        }
        super._update(from, to, value);
        if (to != address(0) && hooksRegistered[to]) {
            ITokenHooks(to).tokensReceived(msg.sender, from, to, value);
        }
    }
}

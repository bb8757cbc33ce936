// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title Fee-on-transfer settlement token
/// @notice A 6-decimal ERC-20 that burns `feeBps` of every transfer, so the recipient gets less than was sent. The fee
/// can be switched on after deployment, as USDT's can.
contract FeeTakingToken is ERC20 {
    uint256 internal constant BPS = 10_000;

    uint256 public feeBps;

    constructor() ERC20("Fee USD", "fUSD") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setFeeBps(uint256 bps) external {
        require(bps <= BPS, "fee above 100%");
        feeBps = bps;
    }

    /// @notice What a transfer of `value` delivers.
    function received(uint256 value) public view returns (uint256) {
        return value - (value * feeBps) / BPS;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0) || feeBps == 0) {
            super._update(from, to, value);
            return;
        }
        uint256 delivered = received(value);
        super._update(from, address(0), value - delivered);
        super._update(from, to, delivered);
    }
}

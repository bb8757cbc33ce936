// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title Price ticks
/// @notice A multiset of prices on a logarithmic grid with its lowest and highest member in three storage reads: the
/// engine keeps, per market side, where each position reaches its cap and where it goes under water, so that the pool
/// can ask in O(1) whether any position is past either.
/// @dev A tick is a price's binary exponent (7 bits) and the 13 bits after its leading one: 2^20 ticks, each at most
/// 2^-13 (0.0122 %) of its price wide, monotone in the price. Prices of 2^128 and above share the top tick. Each tick
/// counts its members; a three-level bitmap (one root word, 16 middle words, 4,096 leaf words) finds the extremes.
library PriceTicks {
    /// @dev Bits of the price after its leading one that a tick keeps.
    uint256 internal constant MANTISSA_BITS = 13;
    /// @dev The top tick, shared by every price of 2^128 and above.
    uint256 internal constant MAX_TICK = (1 << 20) - 1;

    struct Set {
        /// @dev Bit i: middle word i is not empty.
        uint256 root;
        /// @dev Bit j of word i: leaf word i·256 + j is not empty.
        mapping(uint256 => uint256) middle;
        /// @dev Bit k of word w: tick w·256 + k has members.
        mapping(uint256 => uint256) leaves;
        mapping(uint256 tick => uint256) count;
    }

    /// @notice The tick of a positive price; non-decreasing in the price.
    function tickOf(uint256 price) internal pure returns (uint256) {
        uint256 exponent = Math.log2(price);
        if (exponent >= 128) return MAX_TICK;
        uint256 mantissa = exponent >= MANTISSA_BITS
            ? price >> (exponent - MANTISSA_BITS)
            : price << (MANTISSA_BITS - exponent);
        return (exponent << MANTISSA_BITS) | (mantissa & ((1 << MANTISSA_BITS) - 1));
    }

    /// @notice Adds one member at `tick`.
    function add(Set storage s, uint256 tick) internal {
        uint256 n = s.count[tick];
        s.count[tick] = n + 1;
        if (n != 0) return;
        uint256 leaf = tick >> 8;
        uint256 word = s.leaves[leaf];
        s.leaves[leaf] = word | (1 << (tick & 255));
        if (word != 0) return;
        uint256 middle = leaf >> 8;
        word = s.middle[middle];
        s.middle[middle] = word | (1 << (leaf & 255));
        if (word != 0) return;
        s.root |= 1 << middle;
    }

    /// @notice Removes one member at `tick`, which must have one.
    function remove(Set storage s, uint256 tick) internal {
        uint256 n = s.count[tick] - 1;
        s.count[tick] = n;
        if (n != 0) return;
        uint256 leaf = tick >> 8;
        uint256 word = s.leaves[leaf] & ~(1 << (tick & 255));
        s.leaves[leaf] = word;
        if (word != 0) return;
        uint256 middle = leaf >> 8;
        word = s.middle[middle] & ~(1 << (leaf & 255));
        s.middle[middle] = word;
        if (word != 0) return;
        s.root &= ~(1 << middle);
    }

    /// @notice The lowest tick with a member; `found` is false for an empty set.
    function lowest(Set storage s) internal view returns (bool found, uint256 tick) {
        uint256 word = s.root;
        if (word == 0) return (false, 0);
        uint256 middle = _lowestBit(word);
        uint256 leaf = (middle << 8) | _lowestBit(s.middle[middle]);
        return (true, (leaf << 8) | _lowestBit(s.leaves[leaf]));
    }

    /// @notice The highest tick with a member; `found` is false for an empty set.
    function highest(Set storage s) internal view returns (bool found, uint256 tick) {
        uint256 word = s.root;
        if (word == 0) return (false, 0);
        uint256 middle = Math.log2(word);
        uint256 leaf = (middle << 8) | Math.log2(s.middle[middle]);
        return (true, (leaf << 8) | Math.log2(s.leaves[leaf]));
    }

    /// @dev The index of the lowest set bit of a non-zero word.
    function _lowestBit(uint256 word) private pure returns (uint256) {
        return Math.log2(word & (~word + 1));
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title Price ticks
/// @notice A multiset of prices on a logarithmic grid with its lowest and highest member in three storage reads: the
/// engine keeps, per market side, where each position reaches its cap and where it goes under water, so that the pool
/// can ask in O(1) whether any position is past either.
/// @dev A tick is a price's binary exponent (7 bits) and the 10 bits after its leading one: 2^17 ticks, each at most
/// 2^-10 (0.098 %) of its price wide, monotone in the price. Prices of 2^128 and above share the top tick. A
/// three-level bitmap (one root word, two middle words, 512 leaf words) finds the extremes; a tick's members beyond
/// the first are counted apart. A leaf word spans a quarter of an octave, so a margin change mostly moves a position
/// within one word.
library PriceTicks {
    /// @dev Bits of the price after its leading one that a tick keeps.
    uint256 internal constant MANTISSA_BITS = 10;
    /// @dev The top tick, shared by every price of 2^128 and above.
    uint256 internal constant MAX_TICK = (1 << 17) - 1;

    struct Set {
        /// @dev Bit i: middle word i is not empty.
        uint256 root;
        /// @dev Bit j of word i: leaf word i·256 + j is not empty.
        mapping(uint256 => uint256) middle;
        /// @dev Bit k of word w: tick w·256 + k has members.
        mapping(uint256 => uint256) leaves;
        /// @dev Members of a tick beyond the first (the leaf bit stands for the first): a tick of one member, the
        /// usual case on a fine grid, costs one bit.
        mapping(uint256 tick => uint256) extra;
    }

    /// @notice `remove` at a tick without members: a bookkeeping error, never expected.
    error NoMember(uint256 tick);

    /// @notice The tick of a positive price; non-decreasing in the price.
    function tickOf(uint256 price) internal pure returns (uint256) {
        uint256 exponent = Math.log2(price);
        if (exponent >= 128) return MAX_TICK;
        uint256 mantissa =
            exponent >= MANTISSA_BITS ? price >> (exponent - MANTISSA_BITS) : price << (MANTISSA_BITS - exponent);
        return (exponent << MANTISSA_BITS) | (mantissa & ((1 << MANTISSA_BITS) - 1));
    }

    /// @notice Adds one member at `tick`.
    function add(Set storage s, uint256 tick) internal {
        uint256 leaf = tick >> 8;
        uint256 word = s.leaves[leaf];
        uint256 bit = 1 << (tick & 255);
        if (word & bit != 0) {
            ++s.extra[tick];
            return;
        }
        s.leaves[leaf] = word | bit;
        if (word != 0) return;
        uint256 middle = leaf >> 8;
        word = s.middle[middle];
        s.middle[middle] = word | (1 << (leaf & 255));
        if (word != 0) return;
        s.root |= 1 << middle;
    }

    /// @notice Removes one member at `tick`, which must have one.
    function remove(Set storage s, uint256 tick) internal {
        uint256 extra = s.extra[tick];
        if (extra != 0) {
            s.extra[tick] = extra - 1;
            return;
        }
        uint256 leaf = tick >> 8;
        uint256 word = s.leaves[leaf];
        uint256 bit = 1 << (tick & 255);
        if (word & bit == 0) revert NoMember(tick);
        word &= ~bit;
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

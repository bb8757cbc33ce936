// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice 512-bit unsigned integers as (hi, lo) pairs: the exact reference the fuzz tests check rounded maths
/// against. Deliberately independent of OpenZeppelin's `Math.mulDiv`, which the code under test uses.
library Wide {
    /// @notice a × b, exact.
    function mul(uint256 a, uint256 b) internal pure returns (uint256 hi, uint256 lo) {
        // lo is a·b mod 2^256 and mm is a·b mod (2^256 − 1); their difference (with borrow) is the high word.
        assembly ("memory-safe") {
            let mm := mulmod(a, b, not(0))
            lo := mul(a, b)
            hi := sub(sub(mm, lo), lt(mm, lo))
        }
    }

    /// @notice (hi, lo) + c, exact (the callers keep the sum below 2^512).
    function add(uint256 hi, uint256 lo, uint256 c) internal pure returns (uint256, uint256) {
        // A carry out of lo is at most one.
        unchecked {
            uint256 sum = lo + c;
            return (hi + (sum < lo ? 1 : 0), sum);
        }
    }

    /// @notice (aHi, aLo) + (bHi, bLo), exact (the callers keep the sum below 2^512).
    function add(uint256 aHi, uint256 aLo, uint256 bHi, uint256 bLo) internal pure returns (uint256, uint256) {
        (uint256 hi, uint256 lo) = add(aHi, aLo, bLo);
        return (hi + bHi, lo);
    }

    /// @notice a·b + c, exact.
    function mulAdd(uint256 a, uint256 b, uint256 c) internal pure returns (uint256 hi, uint256 lo) {
        (hi, lo) = mul(a, b);
        (hi, lo) = add(hi, lo, c);
    }

    function lt(uint256 aHi, uint256 aLo, uint256 bHi, uint256 bLo) internal pure returns (bool) {
        return aHi < bHi || (aHi == bHi && aLo < bLo);
    }

    function le(uint256 aHi, uint256 aLo, uint256 bHi, uint256 bLo) internal pure returns (bool) {
        return aHi < bHi || (aHi == bHi && aLo <= bLo);
    }

    /// @notice a·b ≤ c·d, exact.
    function mulLe(uint256 a, uint256 b, uint256 c, uint256 d) internal pure returns (bool) {
        (uint256 xHi, uint256 xLo) = mul(a, b);
        (uint256 yHi, uint256 yLo) = mul(c, d);
        return le(xHi, xLo, yHi, yLo);
    }

    /// @notice a·b < c·d, exact.
    function mulLt(uint256 a, uint256 b, uint256 c, uint256 d) internal pure returns (bool) {
        (uint256 xHi, uint256 xLo) = mul(a, b);
        (uint256 yHi, uint256 yLo) = mul(c, d);
        return lt(xHi, xLo, yHi, yLo);
    }

    /// @notice Whether r = floor(a·b / d): r·d ≤ a·b < r·d + d.
    function isFloorOf(uint256 r, uint256 a, uint256 b, uint256 d) internal pure returns (bool) {
        (uint256 pHi, uint256 pLo) = mul(a, b);
        (uint256 rHi, uint256 rLo) = mul(r, d);
        if (!le(rHi, rLo, pHi, pLo)) return false;
        (rHi, rLo) = add(rHi, rLo, d);
        return lt(pHi, pLo, rHi, rLo);
    }

    /// @notice Whether r = ceil(a·b / d): r·d ≥ a·b > r·d − d (r = 0 only for a·b = 0).
    function isCeilOf(uint256 r, uint256 a, uint256 b, uint256 d) internal pure returns (bool) {
        (uint256 pHi, uint256 pLo) = mul(a, b);
        (uint256 rHi, uint256 rLo) = mul(r, d);
        if (!le(pHi, pLo, rHi, rLo)) return false;
        if (r == 0) return pHi == 0 && pLo == 0;
        (rHi, rLo) = mul(r - 1, d);
        return lt(rHi, rLo, pHi, pLo);
    }
}

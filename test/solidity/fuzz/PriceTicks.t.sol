// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TestBase} from "forge-std/Base.sol";
import {StdAssertions} from "forge-std/StdAssertions.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {PriceTicks} from "../../../contracts/libraries/PriceTicks.sol";

/// @dev The library on storage of its own, so that the test can compare it with a plain model.
contract PriceTicksHarness {
    PriceTicks.Set internal _set;

    function tickOf(uint256 price) external pure returns (uint256) {
        return PriceTicks.tickOf(price);
    }

    function add(uint256 tick) external {
        PriceTicks.add(_set, tick);
    }

    function remove(uint256 tick) external {
        PriceTicks.remove(_set, tick);
    }

    function lowest() external view returns (bool, uint256) {
        return PriceTicks.lowest(_set);
    }

    function highest() external view returns (bool, uint256) {
        return PriceTicks.highest(_set);
    }

    function extra(uint256 tick) external view returns (uint256) {
        return _set.extra[tick];
    }
}

/// @notice `PriceTicks`: the grid is monotone and at most 2^-10 of a price wide, and the set's extremes are those of a
/// plain list of its members after any sequence of additions and removals.
contract PriceTicksFuzzTest is TestBase, StdAssertions, StdUtils {
    PriceTicksHarness internal h;

    function setUp() public {
        h = new PriceTicksHarness();
    }

    // ================================================================ the grid

    function testFuzz_tickOf_isMonotone(uint256 a, uint256 b) public view {
        a = _bound(a, 1, type(uint256).max);
        b = _bound(b, a, type(uint256).max);
        assertLe(h.tickOf(a), h.tickOf(b), "a higher price has a lower tick");
    }

    /// @dev Up to 2^127 a price and one 2^-10 of it higher (plus a wei) never share a tick, so a position past its
    /// edge by that much is always seen; a tick never spans more.
    function testFuzz_tickOf_isAtMostOneStepWide(uint256 price) public view {
        price = _bound(price, 1, 1 << 127);
        uint256 step = price >> 10;
        uint256 higher = price + step + 1;
        assertLt(h.tickOf(price), h.tickOf(higher), "a tick spans more than 2^-10 of its price");
        assertLe(h.tickOf(higher), PriceTicks.MAX_TICK, "tick beyond the grid");
    }

    function test_tickOf_knownPoints() public view {
        assertEq(h.tickOf(1), 0, "one wei");
        assertEq(h.tickOf(2), 1 << 10, "two wei: the next exponent");
        assertEq(h.tickOf(3), (1 << 10) | (1 << 9), "three wei: half-way through the exponent");
        // 3,000 USD WAD: exponent 71, the next 10 bits of the price.
        uint256 price = 3_000e18;
        assertEq(h.tickOf(price), (71 << 10) | ((price >> (71 - 10)) & 0x3FF), "3,000 USD");
        assertEq(h.tickOf(1 << 128), PriceTicks.MAX_TICK, "2^128 is the top tick");
        assertEq(h.tickOf(type(uint256).max), PriceTicks.MAX_TICK, "and so is anything above");
        // The top tick starts 2^-10 below 2^128.
        assertEq(h.tickOf((1 << 128) - (1 << 117)), PriceTicks.MAX_TICK, "the top tick's first price");
        assertEq(h.tickOf((1 << 128) - (1 << 117) - 1), PriceTicks.MAX_TICK - 1, "just below the top tick");
    }

    // ================================================================ the set against a model

    uint256[] internal _members;

    /// @dev Up to 48 operations: an addition at a tick drawn from a narrow or the whole grid (so that ticks share leaf
    /// and middle words, or not) or at a member's tick, or the removal of a member; after each, the extremes and counts match the model.
    function testFuzz_set_matchesAModel(uint256[48] calldata ops) public {
        for (uint256 i; i < ops.length; ++i) {
            uint256 op = ops[i];
            if (op % 3 == 0 && _members.length != 0) {
                uint256 k = (op >> 8) % _members.length;
                uint256 tick = _members[k];
                _members[k] = _members[_members.length - 1];
                _members.pop();
                h.remove(tick);
            } else if (op % 7 == 1 && _members.length != 0) {
                uint256 tick = _members[(op >> 8) % _members.length]; // another member at a tick that has one
                _members.push(tick);
                h.add(tick);
            } else {
                uint256 tick = op % 5 == 0 ? (op >> 8) % (PriceTicks.MAX_TICK + 1) : (63 << 10) + ((op >> 8) % 9_000); // from 2^63: several leaf words across two middle words
                _members.push(tick);
                h.add(tick);
            }
            _assertMatches();
        }
        while (_members.length != 0) {
            h.remove(_members[_members.length - 1]);
            _members.pop();
            _assertMatches();
        }
    }

    function _assertMatches() internal view {
        (bool foundLow, uint256 low) = h.lowest();
        (bool foundHigh, uint256 high) = h.highest();
        assertEq(foundLow, _members.length != 0, "lowest: found");
        assertEq(foundHigh, _members.length != 0, "highest: found");
        if (_members.length == 0) return;
        uint256 min = type(uint256).max;
        uint256 max;
        for (uint256 i; i < _members.length; ++i) {
            if (_members[i] < min) min = _members[i];
            if (_members[i] > max) max = _members[i];
        }
        assertEq(low, min, "lowest");
        assertEq(high, max, "highest");
        uint256 n;
        for (uint256 i; i < _members.length; ++i) if (_members[i] == min) ++n;
        assertEq(h.extra(min), n - 1, "members at the lowest beyond the first");
    }

    function test_set_extremesAtTheGridsEnds() public {
        h.add(0);
        h.add(PriceTicks.MAX_TICK);
        (, uint256 low) = h.lowest();
        (, uint256 high) = h.highest();
        assertEq(low, 0, "lowest");
        assertEq(high, PriceTicks.MAX_TICK, "highest");
        h.remove(0);
        (, low) = h.lowest();
        assertEq(low, PriceTicks.MAX_TICK, "lowest after the bottom left");
        h.remove(PriceTicks.MAX_TICK);
        (bool found, ) = h.lowest();
        assertFalse(found, "empty");
    }

    function test_remove_aTickWithoutMembersReverts() public {
        h.add(5);
        vm.expectRevert(abi.encodeWithSelector(PriceTicks.NoMember.selector, 6));
        h.remove(6);
        h.remove(5);
        vm.expectRevert(abi.encodeWithSelector(PriceTicks.NoMember.selector, 5));
        h.remove(5);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BaseTest} from "./utils/BaseTest.sol";

contract SmokeTest is BaseTest {
    function test_lifecycle() public {
        uint256 id = openPosition(alice, ETH, true, 1e18, 600 * USD);
        assertEq(vaultBalance(id), 600 * USD + KEEPER_RESERVE);
        vm.warp(block.timestamp + 1 hours);
        setPrice(ETH, 3_100e18);
        uint256 before = usd.balanceOf(alice);
        vm.prank(alice);
        engine.close(id, 0, block.timestamp);
        assertGt(usd.balanceOf(alice) - before, 600 * USD);
        assertEq(vaultBalance(id), 0);
    }

    function test_liquidation() public {
        uint256 id = openPosition(alice, ETH, true, 1e18, 310 * USD);
        // Within the heartbeat of the fixture's last round, so that no outage (and no grace period) shows.
        vm.warp(block.timestamp + 30 minutes);
        setPrice(ETH, 2_750e18);
        vm.prank(keeper);
        engine.liquidate(id);
        assertEq(vaultBalance(id), 0);
        assertGt(usd.balanceOf(keeper), KEEPER_RESERVE);
    }
}

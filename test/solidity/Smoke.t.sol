// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BaseTest} from "./utils/BaseTest.sol";

contract SmokeTest is BaseTest {
    function test_lifecycle() public {
        uint256 id = openPosition(alice, ETH, true, 1e18, 600 * USD);
        address vault = engine.vaultOf(id);
        assertEq(usd.balanceOf(vault), 600 * USD + KEEPER_RESERVE);
        vm.warp(block.timestamp + 1 hours);
        setPrice(ETH, 3_100e18);
        uint256 before = usd.balanceOf(alice);
        closePosition(id, alice);
        assertGt(usd.balanceOf(alice) - before, 600 * USD);
        assertEq(usd.balanceOf(vault), 0);
        assertEq(engine.position(id).owner, address(0));
        assertEq(engine.freeVaultCount(), 1);

        // The next position reuses the emptied vault.
        uint256 next = openPosition(bob, ETH, false, 1e18, 600 * USD);
        assertEq(engine.vaultOf(next), vault);
        assertEq(engine.freeVaultCount(), 0);
    }

    function test_liquidation() public {
        uint256 id = openPosition(alice, ETH, true, 1e18, 310 * USD);
        address vault = engine.vaultOf(id);
        // Within the heartbeat of the fixture's last round, so that no outage (and no grace period) shows.
        vm.warp(block.timestamp + 30 minutes);
        setPrice(ETH, 2_750e18);
        vm.prank(keeper);
        engine.liquidate(id);
        assertEq(usd.balanceOf(vault), 0);
        assertGt(usd.balanceOf(keeper), KEEPER_RESERVE);
    }
}

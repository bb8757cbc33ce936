// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BaseTest} from "../utils/BaseTest.sol";

/// @dev Gas of every engine entry point in warm, realistic state, recorded with `vm.snapshotGasLastCall` into
/// `snapshots/` and checked by CI with `--snapshot-check`. Whole-transaction figures come from `npm run bench:gas`.
contract GasSnapshotTest is BaseTest {
    /// @dev A long of 1 ETH with 1,000 USD of collateral opened at 3,000 is liquidatable here.
    uint256 internal constant CRASH_PRICE = 2_100e18;

    uint256[] internal ids;

    function setUp() public override {
        super.setUp();
        // Existing activity: positions on both sides and markets, so nothing measured is a first-ever write.
        for (uint256 i; i < 4; ++i) {
            ids.push(openPosition(bob, i % 2 == 0 ? ETH : BTC, i < 2, i % 2 == 0 ? 1e18 : 0.05e18, 500 * USD));
        }
        fund(alice, 100_000 * USD);
        _tick();
    }

    function _tick() internal {
        vm.warp(block.timestamp + 60);
        setPrice(ETH, engine.indexPrice(ETH));
        setPrice(BTC, engine.indexPrice(BTC));
    }

    function _open() internal returns (uint256 id) {
        vm.prank(alice);
        id = engine.open(ETH, true, 1e18, 1_000 * USD, type(uint256).max, block.timestamp);
    }

    function test_gas_open() public {
        _open();
        vm.snapshotGasLastCall("engine", "open");
    }

    function test_gas_addMargin() public {
        uint256 id = _open();
        _tick();
        vm.prank(alice);
        engine.addMargin(id, 100 * USD);
        vm.snapshotGasLastCall("engine", "addMargin");
    }

    function test_gas_removeMargin() public {
        uint256 id = _open();
        _tick();
        vm.prank(alice);
        engine.removeMargin(id, 100 * USD);
        vm.snapshotGasLastCall("engine", "removeMargin");
    }

    function test_gas_increase() public {
        uint256 id = _open();
        _tick();
        vm.prank(alice);
        engine.increase(id, 0.5e18, 0, type(uint256).max, block.timestamp);
        vm.snapshotGasLastCall("engine", "increase");
    }

    function test_gas_decrease() public {
        uint256 id = _open();
        _tick();
        vm.prank(alice);
        engine.decrease(id, 0.5e18, 0, block.timestamp);
        vm.snapshotGasLastCall("engine", "decrease");
    }

    function test_gas_close() public {
        uint256 id = _open();
        _tick();
        vm.prank(alice);
        engine.close(id, 0, block.timestamp);
        vm.snapshotGasLastCall("engine", "close");
    }

    function test_gas_liquidate() public {
        uint256 id = _open();
        _tick();
        setPrice(ETH, CRASH_PRICE);
        vm.prank(keeper);
        engine.liquidate(id);
        vm.snapshotGasLastCall("engine", "liquidate");
    }

    function test_gas_liquidateBatch10() public {
        uint256[] memory batch = new uint256[](10);
        for (uint256 i; i < 10; ++i) batch[i] = _open();
        _tick();
        setPrice(ETH, CRASH_PRICE);
        vm.prank(keeper);
        assertEq(engine.liquidateBatch(batch), 10);
        vm.snapshotGasLastCall("engine", "liquidateBatch10");
    }

    function test_gas_liquidateBatch10Healthy() public {
        uint256[] memory batch = new uint256[](10);
        for (uint256 i; i < 10; ++i) {
            fund(bob, 20_000 * USD);
            vm.prank(bob);
            batch[i] = engine.open(ETH, true, 1e18, 2_000 * USD, type(uint256).max, block.timestamp);
        }
        _tick();
        setPrice(ETH, CRASH_PRICE);
        vm.prank(keeper);
        assertEq(engine.liquidateBatch(batch), 0);
        vm.snapshotGasLastCall("engine", "liquidateBatch10Healthy");
    }

    /// @dev 1 ETH long, 1,000 USD: its cap is 3,000 USD (100 % of the notional), reached at 6,000.
    function test_gas_takeProfit() public {
        uint256 id = _open();
        _tick();
        setPrice(ETH, 6_100e18);
        vm.prank(keeper);
        engine.takeProfit(id);
        vm.snapshotGasLastCall("engine", "takeProfit");
    }

    // ------------------------------------------------------------ LP (ERC-7540)

    function test_gas_requestDeposit() public {
        usd.mint(alice, 10_000 * USD);
        vm.prank(alice);
        usd.approve(address(pool), type(uint256).max);
        vm.prank(alice);
        pool.requestDeposit(10_000 * USD, alice, alice);
        vm.snapshotGasLastCall("pool", "requestDeposit");
    }

    function test_gas_requestRedeem() public {
        uint256 shares = pool.balanceOf(lp) / 10;
        vm.prank(lp);
        pool.requestRedeem(shares, lp, lp);
        vm.snapshotGasLastCall("pool", "requestRedeem");
    }

    function test_gas_executeDeposit() public {
        requestDeposit(alice, 10_000 * USD);
        _waitForExecution();
        executeDeposit(alice);
        vm.snapshotGasLastCall("pool", "executeDeposit");
    }

    function test_gas_executeRedeem() public {
        uint256 shares = pool.balanceOf(lp) / 10;
        vm.prank(lp);
        pool.requestRedeem(shares, lp, lp);
        _waitForExecution();
        vm.prank(keeper);
        pool.executeRedeems(1);
        vm.snapshotGasLastCall("pool", "executeRedeem");
    }

    function test_gas_claimDeposit() public {
        requestDeposit(alice, 10_000 * USD);
        _waitForExecution();
        executeDeposit(alice);
        vm.prank(alice);
        pool.deposit(10_000 * USD, alice, alice);
        vm.snapshotGasLastCall("pool", "claimDeposit");
    }

    /// @dev `lpDelay` passes, with fresh rounds at least `lpSettle` old.
    function _waitForExecution() internal {
        vm.warp(block.timestamp + LP_DELAY);
        _tick();
        vm.warp(block.timestamp + LP_SETTLE);
    }
}

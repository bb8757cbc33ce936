// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BaseTest} from "../utils/BaseTest.sol";

/// @dev Gas of every engine entry point in warm, realistic state, recorded with `vm.snapshotGasLastCall` into
/// `snapshots/` and checked by CI with `--snapshot-check`. Whole-transaction figures come from `npm run bench:gas`.
/// Orders carry an execution fee, so every execution pays its executor as in production.
contract GasSnapshotTest is BaseTest {
    /// @dev A long of 1 ETH with 1,000 USD of collateral opened at 3,000 is liquidatable here.
    uint256 internal constant CRASH_PRICE = 2_100e18;
    uint256 internal constant ORDER_FEE = 0.5e6;
    /// @dev Alice's position: long 1 ETH with 1,000 USD, the opening fee (3 USD) escrowed on top.
    uint256 internal constant COLLATERAL = 1_003 * USD;

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

    /// @dev A minute passes and both feeds publish a round at their current answers.
    function _tick() internal {
        vm.warp(block.timestamp + 60);
        setPrice(ETH, engine.indexPrice(ETH));
        setPrice(BTC, engine.indexPrice(BTC));
    }

    /// @dev The next round, a second later, at the current ETH answer: every pending order's execution round.
    function _round() internal {
        vm.warp(block.timestamp + 1);
        setPrice(ETH, engine.indexPrice(ETH));
    }

    function _requestOpen() internal returns (uint256 id) {
        vm.prank(alice);
        id = engine.requestOpen(ETH, true, 1e18, COLLATERAL, type(uint128).max, _deadline(), ORDER_FEE);
    }

    function _execute(uint256 id) internal {
        vm.prank(keeper);
        engine.executeOrder(id);
    }

    /// @dev Alice's position, opened through both steps, a minute old.
    function _open() internal returns (uint256 id) {
        id = _requestOpen();
        _round();
        _execute(id);
        _tick();
    }

    function _requestIncrease(uint256 id) internal {
        vm.prank(alice);
        engine.requestIncrease(id, 0.5e18, 0, type(uint128).max, _deadline(), ORDER_FEE);
    }

    function _requestDecrease(uint256 id) internal {
        vm.prank(alice);
        engine.requestDecrease(id, 0.5e18, 0, _deadline(), ORDER_FEE, alice);
    }

    function _requestClose(uint256 id) internal {
        vm.prank(alice);
        engine.requestClose(id, 0, _deadline(), ORDER_FEE, alice);
    }

    function _deadline() internal view returns (uint256) {
        return block.timestamp + MAX_ORDER_WAIT;
    }

    // ------------------------------------------------------------ requests

    /// @dev No emptied vault waits: the request clones a new one.
    function test_gas_requestOpen() public {
        assertEq(engine.freeVaultCount(), 0, "setup: a free vault");
        _requestOpen();
        vm.snapshotGasLastCall("engine", "requestOpen");
    }

    /// @dev An emptied vault waits (bob closed a position): the request reuses it.
    function test_gas_requestOpenReusedVault() public {
        closePosition(ids[0], bob);
        _tick();
        assertEq(engine.freeVaultCount(), 1, "setup: no free vault");
        _requestOpen();
        vm.snapshotGasLastCall("engine", "requestOpenReusedVault");
    }

    function test_gas_requestIncrease() public {
        uint256 id = _open();
        _requestIncrease(id);
        vm.snapshotGasLastCall("engine", "requestIncrease");
    }

    function test_gas_requestDecrease() public {
        uint256 id = _open();
        _requestDecrease(id);
        vm.snapshotGasLastCall("engine", "requestDecrease");
    }

    function test_gas_requestClose() public {
        uint256 id = _open();
        _requestClose(id);
        vm.snapshotGasLastCall("engine", "requestClose");
    }

    // ------------------------------------------------------------ executions

    function test_gas_executeOpen() public {
        uint256 id = _requestOpen();
        _round();
        _execute(id);
        vm.snapshotGasLastCall("engine", "executeOpen");
        assertEq(engine.position(id).size, 1e18, "not executed");
    }

    /// @dev Ten opens executed in one batch by one keeper (the SPEC's per-order figure is a tenth of it).
    function test_gas_executeOpenBatch10() public {
        uint256[] memory batch = new uint256[](10);
        for (uint256 i; i < 10; ++i) batch[i] = _requestOpen();
        _round();
        vm.prank(keeper);
        assertEq(engine.executeOrders(batch), 10, "executed");
        vm.snapshotGasLastCall("engine", "executeOpenBatch10");
    }

    function test_gas_executeIncrease() public {
        uint256 id = _open();
        _requestIncrease(id);
        _round();
        _execute(id);
        vm.snapshotGasLastCall("engine", "executeIncrease");
        assertEq(engine.position(id).size, 1.5e18, "not executed");
    }

    function test_gas_executeDecrease() public {
        uint256 id = _open();
        _requestDecrease(id);
        _round();
        _execute(id);
        vm.snapshotGasLastCall("engine", "executeDecrease");
        assertEq(engine.position(id).size, 0.5e18, "not executed");
    }

    function test_gas_executeClose() public {
        uint256 id = _open();
        _requestClose(id);
        _round();
        _execute(id);
        vm.snapshotGasLastCall("engine", "executeClose");
        assertEq(engine.position(id).owner, address(0), "not executed");
    }

    // ------------------------------------------------------------ margin

    function test_gas_addMargin() public {
        uint256 id = _open();
        vm.prank(alice);
        engine.addMargin(id, 100 * USD);
        vm.snapshotGasLastCall("engine", "addMargin");
    }

    function test_gas_removeMargin() public {
        uint256 id = _open();
        vm.prank(alice);
        engine.removeMargin(id, 100 * USD, alice);
        vm.snapshotGasLastCall("engine", "removeMargin");
    }

    // ------------------------------------------------------------ liquidation and take-profit

    function test_gas_liquidate() public {
        uint256 id = _open();
        setPrice(ETH, CRASH_PRICE);
        vm.prank(keeper);
        engine.liquidate(id);
        vm.snapshotGasLastCall("engine", "liquidate");
    }

    function test_gas_liquidateBatch10() public {
        uint256[] memory batch = new uint256[](10);
        for (uint256 i; i < 10; ++i) batch[i] = _requestOpen();
        _round();
        vm.prank(keeper);
        engine.executeOrders(batch);
        _tick();
        setPrice(ETH, CRASH_PRICE);
        vm.prank(keeper);
        assertEq(engine.liquidateBatch(batch), 10);
        vm.snapshotGasLastCall("engine", "liquidateBatch10");
    }

    function test_gas_liquidateBatch10Healthy() public {
        uint256[] memory batch = new uint256[](10);
        fund(bob, 100_000 * USD);
        for (uint256 i; i < 10; ++i) {
            vm.prank(bob);
            batch[i] = engine.requestOpen(ETH, true, 1e18, 2_003 * USD, type(uint128).max, _deadline(), ORDER_FEE);
        }
        _round();
        vm.prank(keeper);
        engine.executeOrders(batch);
        _tick();
        setPrice(ETH, CRASH_PRICE);
        vm.prank(keeper);
        assertEq(engine.liquidateBatch(batch), 0);
        vm.snapshotGasLastCall("engine", "liquidateBatch10Healthy");
    }

    /// @dev 1 ETH long, 1,000 USD: its cap is 3,000 USD (100 % of the notional), reached at 6,000.
    function test_gas_takeProfit() public {
        uint256 id = _open();
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

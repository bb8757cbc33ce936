// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Vm} from "forge-std/Vm.sol";

import {IInsuranceFund} from "../../../contracts/interfaces/IInsuranceFund.sol";
import {IMarginEngine, Position} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IOracleErrors} from "../../../contracts/interfaces/IOracleErrors.sol";
import {UnitBase} from "./UnitBase.sol";

contract LiquidateBatchTest is UnitBase {
    uint256 internal weakEthLong; // alice: liquidatable once ETH is at 2,750
    uint256 internal healthyEthLong; // bob: healthy at 2,750
    uint256 internal weakBtcShort; // carol: liquidatable once BTC is at 65,000

    function setUp() public override {
        super.setUp();
        weakEthLong = _open(alice, true, 1e18, 310 * USD);
        healthyEthLong = _open(bob, true, 1e18, 1_000 * USD);
        weakBtcShort = openPosition(carol, BTC, false, 0.1e18, 610 * USD); // 6,000 USD notional
    }

    function _batch(uint256[] memory ids) internal returns (uint256 n) {
        vm.prank(keeper);
        n = engine.liquidateBatch(ids);
    }

    function _crash() internal {
        setPrice(ETH, 2_750e18);
        setPrice(BTC, 65_000e18);
    }

    function _countLiquidations(Vm.Log[] memory logs) internal view returns (uint256 n) {
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(engine) && logs[i].topics[0] == IMarginEngine.PositionLiquidated.selector)
                ++n;
        }
    }

    function test_liquidateBatch_liquidatesOnlyWhatIsLiquidatable() public {
        _crash();
        Position memory healthyBefore = engine.position(healthyEthLong);
        uint256 poolBefore = usd.balanceOf(address(pool));
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 carolBefore = usd.balanceOf(carol);

        uint256[] memory ids = new uint256[](6);
        ids[0] = weakEthLong;
        ids[1] = healthyEthLong;
        ids[2] = 99; // unknown
        ids[3] = weakBtcShort;
        ids[4] = weakEthLong; // duplicate: already gone
        ids[5] = 0; // never used

        // ETH long: equity 60 USD; closing fee 2.75, keeper 5 + 27.5, insurance 27.5, owner 2.25.
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionLiquidated(
            weakEthLong,
            alice,
            keeper,
            2_750e18,
            32_500_000,
            27_500_000,
            2_250_000,
            0,
            0,
            2_750_000
        );
        // BTC short: 0.1 × 5,000 = 500 USD lost, equity 110 USD < 325 USD; closing fee 6.5, keeper 5 + 65, penalty
        // capped at the 38.5 left.
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionLiquidated(
            weakBtcShort,
            carol,
            keeper,
            65_000e18,
            70 * USD,
            38_500_000,
            0,
            0,
            0,
            6_500_000
        );
        vm.recordLogs();
        uint256 n = _batch(ids);

        assertEq(n, 2);
        assertEq(_countLiquidations(vm.getRecordedLogs()), 2);
        _assertDeleted(weakEthLong);
        _assertDeleted(weakBtcShort);
        _assertPosition(engine.position(healthyEthLong), healthyBefore);
        assertEq(vaultBalance(healthyEthLong), 1_005 * USD);
        assertEq(usd.balanceOf(keeper), 102_500_000);
        assertEq(usd.balanceOf(address(insurance)), 66 * USD);
        assertEq(usd.balanceOf(alice), aliceBefore + 2_250_000);
        assertEq(usd.balanceOf(carol), carolBefore);
        assertEq(usd.balanceOf(address(pool)), poolBefore + 750 * USD + 9_250_000, "losses and closing fees");
        _assertSide(engine.sideState(ETH, true), _side(1e18, 3_000e18), "eth long");
        _assertSide(engine.sideState(BTC, false), _side(0, 0), "btc short");
        // bob's cap: min(9 × 1,000, 100 % × 3,000) = 3,000 USD.
        assertEq(engine.totalReserved(), 3_000 * USD);
        assertEq(engine.totalEntryNotional(), 3_000e18);
    }

    function test_liquidateBatch_returnsZeroForAnEmptyList() public {
        _crash();
        Snapshot memory before = _snapshot(weakEthLong);
        assertEq(_batch(new uint256[](0)), 0);
        _assertUnchanged(before, weakEthLong);
    }

    function test_liquidateBatch_skipsHealthyUnknownAndClosedWithoutReverting() public {
        vm.prank(alice);
        engine.close(weakEthLong, 0, block.timestamp);
        Snapshot memory before = _snapshot(healthyEthLong);
        uint256 n = _batch(_ids(healthyEthLong, weakEthLong, 1_000));
        assertEq(n, 0);
        _assertUnchanged(before, healthyEthLong);
    }

    function test_liquidateBatch_skipsAMarketInItsGracePeriod() public {
        // BTC keeps reporting; ETH stops for longer than its heartbeat and comes back at 2,750.
        vm.warp(block.timestamp + 1_800);
        setPrice(BTC, BTC_PRICE);
        vm.warp(block.timestamp + 1_801);
        setPrice(BTC, 65_000e18);
        setPrice(ETH, 2_750e18);
        Position memory ethBefore = engine.position(weakEthLong);

        uint256 n = _batch(_ids(weakEthLong, weakBtcShort));

        assertEq(n, 1);
        _assertDeleted(weakBtcShort);
        _assertPosition(engine.position(weakEthLong), ethBefore);
        assertEq(vaultBalance(weakEthLong), 315 * USD);

        vm.warp(block.timestamp + GRACE);
        assertEq(_batch(_ids(weakEthLong)), 1);
        _assertDeleted(weakEthLong);
    }

    function test_liquidateBatch_skipsAMarketWhosePriceIsStale() public {
        // Only BTC keeps reporting (within its heartbeat, so no outage): the stale ETH market is skipped, the BTC
        // short liquidated.
        setPrice(ETH, 2_750e18);
        vm.warp(block.timestamp + HEARTBEAT / 2);
        setPrice(BTC, 61_000e18);
        vm.warp(block.timestamp + HEARTBEAT / 2 + 1);
        setPrice(BTC, 65_000e18);
        Position memory ethBefore = engine.position(weakEthLong);
        assertEq(lens.liquidatable(_ids(weakBtcShort, weakEthLong))[1], false, "lens: stale market liquidatable");
        assertEq(_batch(_ids(weakBtcShort, weakEthLong)), 1, "liquidated");
        _assertDeleted(weakBtcShort);
        _assertPosition(engine.position(weakEthLong), ethBefore);
        assertEq(vaultBalance(weakEthLong), 315 * USD, "eth vault");
        // A single liquidation still names the problem.
        vm.expectRevert(
            abi.encodeWithSelector(
                IOracleErrors.StalePrice.selector,
                address(ethFeed),
                block.timestamp - HEARTBEAT - 1,
                HEARTBEAT
            )
        );
        vm.prank(keeper);
        engine.liquidate(weakEthLong);
    }

    function test_liquidateBatch_skipsAMarketWithANonPositivePrice() public {
        setPrice(BTC, 65_000e18);
        ethFeed.updateAnswer(0);
        Position memory ethBefore = engine.position(weakEthLong);
        assertFalse(lens.liquidatable(_ids(weakEthLong))[0], "lens: liquidatable without a price");
        assertEq(_batch(_ids(weakEthLong, weakBtcShort)), 1, "liquidated");
        _assertDeleted(weakBtcShort);
        _assertPosition(engine.position(weakEthLong), ethBefore);
        assertEq(vaultBalance(weakEthLong), 315 * USD, "eth vault");
    }

    function test_liquidateBatch_worksWhilePaused() public {
        _crash();
        _pause();
        assertEq(_batch(_ids(weakEthLong, weakBtcShort)), 2);
    }

    function test_liquidateBatch_coversBadDebtInOrderUntilInsuranceRunsOut() public {
        uint256 second = _open(bob, true, 1e18, 310 * USD);
        usd.mint(address(insurance), 100 * USD);
        setPrice(ETH, 2_600e18);
        uint256 poolBefore = usd.balanceOf(address(pool));

        // Each position: equity −90 USD. The fund's 100 USD pay 90, then the 10 left.
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionLiquidated(
            weakEthLong,
            alice,
            keeper,
            2_600e18,
            5 * USD,
            0,
            0,
            90 * USD,
            90 * USD,
            0
        );
        vm.expectEmit(address(insurance));
        emit IInsuranceFund.BadDebtCovered(90 * USD, 90 * USD);
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionLiquidated(second, bob, keeper, 2_600e18, 5 * USD, 0, 0, 90 * USD, 10 * USD, 0);
        vm.expectEmit(address(insurance));
        emit IInsuranceFund.BadDebtCovered(10 * USD, 10 * USD);
        uint256 n = _batch(_ids(weakEthLong, healthyEthLong, second));

        assertEq(n, 2);
        assertEq(usd.balanceOf(address(insurance)), 0);
        assertEq(usd.balanceOf(keeper), 10 * USD);
        assertEq(usd.balanceOf(address(pool)), poolBefore + 2 * 310 * USD + 100 * USD);
        assertEq(engine.position(healthyEthLong).owner, bob, "700 USD of equity: healthy");
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {Vm} from "forge-std/Vm.sol";

import {IInsuranceFund} from "../../../contracts/interfaces/IInsuranceFund.sol";
import {
    CancelReason,
    IMarginEngineBase,
    Order,
    OrderKind,
    Position
} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IOracleErrors} from "../../../contracts/interfaces/IOracleErrors.sol";
import {IMockFeed} from "../utils/Artifacts.sol";
import {UnitBase} from "./UnitBase.sol";

/// @notice liquidateBatch: liquidates what is liquidatable, skips the rest (unknown ids, pending opens, healthy
/// positions, markets without a good price or in their grace period) without reverting. Each liquidation cancels and
/// refunds pending orders first and pays the keeper exactly the recorded reserve plus the liquidation fee.
contract LiquidateBatchTest is UnitBase {
    uint256 internal weakEthLong; // alice: liquidatable once ETH is at 2,750
    uint256 internal healthyEthLong; // bob: healthy at 2,750
    uint256 internal weakBtcShort; // carol: liquidatable once BTC is at 65,000
    address internal weakEthVault;
    address internal weakBtcVault;
    /// @dev When alice's long was opened: its borrow fee runs from then.
    uint256 internal weakEthOpenedAt;

    function setUp() public override {
        super.setUp();
        weakEthLong = _open(alice, true, 1e18, 310 * USD);
        weakEthOpenedAt = block.timestamp;
        healthyEthLong = _open(bob, true, 1e18, 1_000 * USD);
        weakBtcShort = openPosition(carol, BTC, false, 0.1e18, 610 * USD); // 6,000 USD notional
        weakEthVault = engine.vaultOf(weakEthLong);
        weakBtcVault = engine.vaultOf(weakBtcShort);
    }

    function _batch(uint256[] memory ids) internal returns (uint256 n) {
        vm.prank(keeper);
        n = engine.liquidateBatch(ids);
    }

    function _crash() internal {
        setPrice(ETH, 2_750e18);
        setPrice(BTC, 65_000e18);
    }

    /// @dev alice's long owes its borrow fee since it was opened (each open of the fixture took a second).
    function _weakEthFee() internal view returns (uint256) {
        return _borrowFee(1e18, ETH_PRICE, RATE * (block.timestamp - weakEthOpenedAt));
    }

    function _count(Vm.Log[] memory logs, bytes32 topic) internal view returns (uint256 n) {
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(engine) && logs[i].topics[0] == topic) ++n;
        }
    }

    /// @dev The position is gone and its vault (captured before, since `vaultOf` forgets it) emptied.
    function _assertGone(uint256 positionId, address vault) internal view {
        _assertPosition(engine.position(positionId), _emptyPosition());
        assertEq(engine.vaultOf(positionId), address(0), "vaultOf a gone position");
        assertEq(usd.balanceOf(vault), 0, "vault not emptied");
        (Order memory order, Order memory close) = engine.orders(positionId);
        assertEq(uint8(order.kind), uint8(OrderKind.None), "order left");
        assertEq(uint8(close.kind), uint8(OrderKind.None), "close left");
    }

    function test_liquidateBatch_liquidatesOnlyWhatIsLiquidatable() public {
        _crash();
        Position memory healthyBefore = engine.position(healthyEthLong);
        uint256 poolBefore = usd.balanceOf(address(pool));
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 carolBefore = usd.balanceOf(carol);
        uint256 fee = _weakEthFee();
        assertEq(fee, 20, "two seconds of borrow fee on 3,000 USD, rounded up");

        uint256[] memory ids = new uint256[](6);
        ids[0] = weakEthLong;
        ids[1] = healthyEthLong;
        ids[2] = 99; // unknown
        ids[3] = weakBtcShort;
        ids[4] = weakEthLong; // duplicate: already gone
        ids[5] = 0; // never used

        // ETH long: equity 60 USD less the borrow fee; closing fee 2.75, keeper 5 + 27.5, insurance 27.5, owner the
        // 2.25 left less the fee.
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionLiquidated(
            weakEthLong,
            alice,
            keeper,
            2_750e18,
            32_500_000,
            27_500_000,
            2_250_000 - fee,
            0,
            0,
            2_750_000
        );
        // BTC short (opened this second, no fee): 0.1 × 5,000 = 500 USD lost, equity 110 USD < 325 USD; closing fee
        // 6.5, keeper 5 + 65, penalty capped at the 38.5 left.
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionLiquidated(
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
        assertEq(_count(vm.getRecordedLogs(), IMarginEngineBase.PositionLiquidated.selector), 2);
        _assertGone(weakEthLong, weakEthVault);
        _assertGone(weakBtcShort, weakBtcVault);
        assertEq(engine.freeVaultCount(), 2);
        _assertPosition(engine.position(healthyEthLong), healthyBefore);
        assertEq(vaultBalance(healthyEthLong), 1_005 * USD);
        assertEq(usd.balanceOf(keeper), 102_500_000);
        assertEq(usd.balanceOf(address(insurance)), 66 * USD);
        assertEq(usd.balanceOf(alice), aliceBefore + 2_250_000 - fee);
        assertEq(usd.balanceOf(carol), carolBefore);
        assertEq(
            usd.balanceOf(address(pool)),
            poolBefore + 750 * USD + 9_250_000 + fee,
            "losses, borrow fee and closing fees"
        );
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
        closePosition(weakEthLong, alice);
        Snapshot memory before = _snapshot(healthyEthLong);
        uint256 n = _batch(_ids(healthyEthLong, weakEthLong, 1_000));
        assertEq(n, 0);
        _assertUnchanged(before, healthyEthLong);
    }

    /// @dev A pending open has no position yet: the batch leaves it, its order and its escrow alone.
    function test_liquidateBatch_skipsAPendingOpen() public {
        uint256 pending = requestOpen(alice, ETH, true, 1e18, 310 * USD);
        _crash();
        Snapshot memory before = _snapshot(pending);
        assertEq(_batch(_ids(pending)), 0);
        _assertUnchanged(before, pending);
        assertEq(usd.balanceOf(engine.vaultOf(pending)), 310 * USD + KEEPER_RESERVE, "escrow");

        // In a batch with liquidatable positions, only those go.
        assertEq(_batch(_ids(pending, weakEthLong)), 1);
        _assertGone(weakEthLong, weakEthVault);
        (Order memory order, ) = engine.orders(pending);
        assertEq(uint8(order.kind), uint8(OrderKind.Open), "the open still waits");
        assertEq(usd.balanceOf(engine.vaultOf(pending)), 310 * USD + KEEPER_RESERVE, "escrow");
    }

    /// @dev Rule 7 in a batch: each position's pending order is refunded in full before its split.
    function test_liquidateBatch_cancelsAndRefundsPendingOrdersFirst() public {
        fund(alice, 51 * USD);
        vm.prank(alice);
        engine.requestIncrease(weakEthLong, 0.1e18, 50 * USD, type(uint128).max, _deadline(), 1 * USD);
        fund(carol, 2 * USD);
        vm.prank(carol);
        engine.requestClose(weakBtcShort, type(uint128).max, _deadline(), 2 * USD, carol);
        _crash();
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 carolBefore = usd.balanceOf(carol);
        uint256 fee = _weakEthFee();

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            weakEthLong,
            OrderKind.Increase,
            CancelReason.PositionClosed,
            keeper,
            51 * USD,
            0
        );
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            weakBtcShort,
            OrderKind.Close,
            CancelReason.PositionClosed,
            keeper,
            2 * USD,
            0
        );
        assertEq(_batch(_ids(weakEthLong, weakBtcShort)), 2);

        assertEq(usd.balanceOf(alice), aliceBefore + 51 * USD + 2_250_000 - fee, "escrow and refund");
        assertEq(usd.balanceOf(carol), carolBefore + 2 * USD, "the close's fee");
        assertEq(usd.balanceOf(keeper), 102_500_000, "no execution fee for the keeper");
        _assertGone(weakEthLong, weakEthVault);
        _assertGone(weakBtcShort, weakBtcVault);
    }

    /// @dev A donation to a vault is not paid to the keeper (nor anyone): it stays in the emptied vault, to be swept
    /// to the insurance fund when the vault is reused.
    function test_liquidateBatch_paysTheKeeperRecordedAmountsOnly() public {
        usd.mint(weakEthVault, 7 * USD);
        usd.mint(weakBtcVault, 11 * USD);
        _crash();
        assertEq(_batch(_ids(weakEthLong, weakBtcShort)), 2);
        assertEq(usd.balanceOf(keeper), 102_500_000, "keeper: reserves and liquidation fees only");
        assertEq(usd.balanceOf(address(insurance)), 66 * USD, "penalties only");
        assertEq(usd.balanceOf(weakEthVault), 7 * USD);
        assertEq(usd.balanceOf(weakBtcVault), 11 * USD);
    }

    function test_liquidateBatch_skipsAMarketInItsGracePeriod() public {
        // BTC keeps reporting; ETH stops for longer than its heartbeat and comes back at 2,750.
        vm.warp(block.timestamp + 1_800);
        setPrice(BTC, BTC_PRICE);
        vm.warp(block.timestamp + 1_801);
        setPrice(BTC, 65_000e18);
        setPrice(ETH, 2_750e18);
        Snapshot memory ethBefore = _snapshot(weakEthLong);

        uint256 n = _batch(_ids(weakEthLong, weakBtcShort));

        assertEq(n, 1);
        _assertGone(weakBtcShort, weakBtcVault);
        _assertPosition(engine.position(weakEthLong), ethBefore.position);
        assertEq(vaultBalance(weakEthLong), 315 * USD);

        // A single liquidation names the problem.
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.GracePeriod.selector, block.timestamp + GRACE));
        vm.prank(keeper);
        engine.liquidate(weakEthLong);

        vm.warp(block.timestamp + GRACE);
        assertEq(_batch(_ids(weakEthLong)), 1);
        _assertGone(weakEthLong, weakEthVault);
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
        _assertGone(weakBtcShort, weakBtcVault);
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
        _assertGone(weakBtcShort, weakBtcVault);
        _assertPosition(engine.position(weakEthLong), ethBefore);
        assertEq(vaultBalance(weakEthLong), 315 * USD, "eth vault");
    }

    /// @dev The one reason a batch reverts: with the L2 sequencer down no market has a price.
    function test_liquidateBatch_revertsWhen_sequencerDown() public {
        IMockFeed sequencer = deployFeed(0, 1); // Chainlink's uptime feed: 1 = down
        vm.prank(governance);
        config.setSequencerFeed(AggregatorV3Interface(address(sequencer)));
        _crash();
        Snapshot memory before = _snapshot(weakEthLong);
        vm.expectRevert(abi.encodeWithSelector(IOracleErrors.SequencerDown.selector, address(sequencer)));
        vm.prank(keeper);
        engine.liquidateBatch(_ids(weakEthLong, weakBtcShort));
        _assertUnchanged(before, weakEthLong);
        assertEq(vaultBalance(weakBtcShort), 615 * USD, "btc vault");
    }

    function test_liquidateBatch_worksWhilePaused() public {
        _crash();
        _pause();
        assertEq(_batch(_ids(weakEthLong, weakBtcShort)), 2);
        _assertGone(weakEthLong, weakEthVault);
        _assertGone(weakBtcShort, weakBtcVault);
    }

    /// @dev Bad debt, position after position: the insurance fund covers each in turn until it runs out; the keeper
    /// still earns each recorded reserve.
    function test_liquidateBatch_coversBadDebtInOrderUntilInsuranceRunsOut() public {
        uint256 second = _open(bob, true, 1e18, 310 * USD);
        usd.mint(address(insurance), 100 * USD);
        setPrice(ETH, 2_600e18);
        uint256 poolBefore = usd.balanceOf(address(pool));
        // alice's long also owes its borrow fee; bob's second long was opened this second.
        uint256 firstDebt = 90 * USD + _weakEthFee();

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionLiquidated(
            weakEthLong,
            alice,
            keeper,
            2_600e18,
            5 * USD,
            0,
            0,
            firstDebt,
            firstDebt,
            0
        );
        vm.expectEmit(address(insurance));
        emit IInsuranceFund.BadDebtCovered(firstDebt, firstDebt);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionLiquidated(
            second,
            bob,
            keeper,
            2_600e18,
            5 * USD,
            0,
            0,
            90 * USD,
            100 * USD - firstDebt,
            0
        );
        vm.expectEmit(address(insurance));
        // The engine asks the fund for what it holds, never more.
        emit IInsuranceFund.BadDebtCovered(100 * USD - firstDebt, 100 * USD - firstDebt);
        uint256 n = _batch(_ids(weakEthLong, healthyEthLong, second));

        assertEq(n, 2);
        assertEq(usd.balanceOf(address(insurance)), 0);
        assertEq(usd.balanceOf(keeper), 10 * USD);
        assertEq(usd.balanceOf(address(pool)), poolBefore + 2 * 310 * USD + 100 * USD);
        assertEq(engine.position(healthyEthLong).owner, bob, "about 700 USD of equity: healthy");
    }
}

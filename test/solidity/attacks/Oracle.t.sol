// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMockFeed} from "../utils/Artifacts.sol";

import {IOracleErrors} from "../../../contracts/interfaces/IOracleErrors.sol";
import {ILiquidityPool} from "../../../contracts/interfaces/ILiquidityPool.sol";
import {
    CancelReason,
    IMarginEngine,
    IMarginEngineBase,
    IMarginEngineLiquidation,
    IMarginEngineOrders,
    OrderKind
} from "../../../contracts/interfaces/IMarginEngine.sol";
import {AttackBase} from "./utils/AttackBase.sol";

/// @dev Oracle trouble as an attack surface: nothing may be priced on a stale, zero or negative answer or while the L2
/// sequencer is down (orders wait, margin removal and liquidations revert), yet adding margin always works; once the
/// price or the sequencer is back, liquidations and margin removal wait out the grace period so owners can top up
/// first, while closes execute.
contract OracleAttackTest is AttackBase {
    /// @dev Healthy: long 1 ETH, 600 USD.
    uint256 internal aliceId;
    /// @dev Liquidatable at 2,800: long 1 ETH, 310 USD.
    uint256 internal bobId;
    IMockFeed internal sequencer;
    uint256 internal t0;

    function setUp() public override {
        super.setUp();
        setPrice(BTC, BTC_PRICE);
        aliceId = openPosition(alice, ETH, true, 1e18, 600 * USD);
        bobId = openPosition(bob, ETH, true, 1e18, 310 * USD);
        // The last ETH round (bob's open) is at t0, so the heartbeat counts from here.
        t0 = block.timestamp;
        fund(alice, 10_000 * USD);
        fund(bob, 10_000 * USD);
    }

    // ------------------------------------------------------------ bad prices

    /// @dev A close requested before the outage finds no round after it: it waits, and nothing moves.
    function test_stalePrice_blocksPricedOperations_addMarginWorks() public {
        requestClose(bobId, bob);
        vm.warp(t0 + HEARTBEAT + 1);
        _assertPricedOperationsRevert(
            abi.encodeWithSelector(IOracleErrors.StalePrice.selector, address(ethFeed), t0, HEARTBEAT)
        );
        _assertOrderWaits(bobId);
        _assertAddMarginWorks();
    }

    function test_zeroPrice_blocksPricedOperations_addMarginWorks() public {
        vm.warp(t0 + 1);
        ethFeed.updateAnswer(0);
        _assertPricedOperationsRevert(
            abi.encodeWithSelector(IOracleErrors.NonPositivePrice.selector, address(ethFeed), int256(0))
        );
        _assertAddMarginWorks();
    }

    function test_negativePrice_blocksPricedOperations_addMarginWorks() public {
        vm.warp(t0 + 1);
        ethFeed.updateAnswer(-1);
        _assertPricedOperationsRevert(
            abi.encodeWithSelector(IOracleErrors.NonPositivePrice.selector, address(ethFeed), int256(-1))
        );
        _assertAddMarginWorks();
    }

    /// @dev An order whose execution round answers zero never trades on it: anyone may cancel it, with a full refund
    /// (execution fee included). An order requested after the bad round waits for a good one.
    function test_zeroAnswerAsExecutionRound_orderCancelledFullRefund() public {
        uint256 fee = 1 * USD;
        vm.prank(alice);
        engine.requestClose(aliceId, 0, _deadline(), fee, alice);
        uint256 aliceBefore = usd.balanceOf(alice);
        vm.warp(t0 + 1);
        ethFeed.updateAnswer(0);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(aliceId, OrderKind.Close, CancelReason.BadPrice, mallory, fee, 0);
        vm.prank(mallory);
        engine.cancelOrder(aliceId);
        assertEq(usd.balanceOf(alice) - aliceBefore, fee, "refund");
        assertEq(engine.position(aliceId).size, 1e18, "the position traded on a zero answer");

        requestClose(aliceId, alice);
        _assertOrderWaits(aliceId);
    }

    /// @dev LP requests wait out a stale price in a market with open interest (`LpExecutionPaused`, no retry time
    /// while the feed is down), changing nothing; requests, claims and the ERC-4626 views keep working.
    function test_stalePrice_lpExecutionsWait_requestsClaimsAndViewsWork() public {
        requestDeposit(alice, 1_000 * USD);
        uint256 lpShares = pool.balanceOf(lp);
        vm.prank(lp);
        pool.requestRedeem(lpShares / 10, lp, lp);
        uint256 totalAssets = pool.totalAssets();
        vm.warp(t0 + HEARTBEAT + 1);

        Snapshot memory before = _snapshot();
        vm.startPrank(keeper);
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.LpExecutionPaused.selector, 0));
        pool.executeDeposits(_one(alice));
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.LpExecutionPaused.selector, 0));
        pool.executeRedeems(1);
        vm.stopPrank();
        _assertUnchanged(before, _snapshot());

        // Valued at the last answer: the views answer, unchanged but for the borrow fees accrued since.
        assertGe(pool.totalAssets(), totalAssets, "totalAssets");
        assertGt(pool.convertToAssets(1e18), 0, "convertToAssets");
        assertEq(pool.maxRedeem(lp), 0, "maxRedeem");
        assertEq(pool.pendingDepositRequest(0, alice), 1_000 * USD, "pending deposit");
        requestDeposit(bob, 100 * USD);
        assertEq(pool.pendingDepositRequest(0, bob), 100 * USD, "request refused during the outage");
    }

    /// @dev A bad ETH price stops nothing in the BTC market.
    function test_staleEthFeed_btcMarketUnaffected() public {
        vm.warp(t0 + HEARTBEAT / 2);
        btcFeed.updateAnswer(int256(BTC_PRICE / 1e10));
        vm.warp(t0 + HEARTBEAT + 1);
        uint256 id = openPosition(alice, BTC, false, 0.1e18, 1_000 * USD);
        address vault = engine.vaultOf(id);
        closePosition(id, alice);
        assertEq(engine.position(id).owner, address(0), "BTC position not closed");
        assertEq(usd.balanceOf(vault), 0, "BTC vault not emptied");
    }

    // ------------------------------------------------------------ grace period after a price outage

    function test_priceBackAfterStaleness_liquidationWaitsGrace_ownerTopsUp() public {
        uint256 t1 = t0 + 2 hours;
        vm.warp(t1);
        setPrice(ETH, 2_800e18);
        assertEq(engine.liquidationResumesAt(ETH), t1 + GRACE, "resumesAt");
        _assertLiquidationWaits(t1 + GRACE);

        // The owner uses the grace period: 200 USD more makes the position healthy.
        vm.prank(bob);
        engine.addMargin(bobId, 200 * USD);
        vm.warp(t1 + GRACE);
        assertFalse(lens.previewLiquidation(bobId).liquidatable, "still liquidatable after top-up");
        vm.expectRevert(
            abi.encodeWithSelector(IMarginEngineBase.NotLiquidatable.selector, bobId, _equityOf(bobId), 140e6)
        );
        engine.liquidate(bobId);
    }

    /// @dev Margin removal adds risk: it waits out the grace period too (the owner cannot pull margin while keepers are
    /// held back), and works again after it.
    function test_priceBackAfterStaleness_removeMarginWaitsGrace() public {
        uint256 t1 = t0 + 2 hours;
        vm.warp(t1);
        setPrice(ETH, ETH_PRICE);
        Snapshot memory before = _snapshot();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.GracePeriod.selector, t1 + GRACE));
        engine.removeMargin(aliceId, 10 * USD, alice);
        _assertUnchanged(before, _snapshot());
        vm.warp(t1 + GRACE);
        vm.prank(alice);
        engine.removeMargin(aliceId, 10 * USD, alice);
        assertEq(engine.position(aliceId).collateral, 590 * USD, "collateral");
    }

    /// @dev A close requested during the outage waits (nothing is priced on the stale answer) and executes at the first
    /// fresh round, inside the grace period (rule 16): owners can always leave.
    function test_closeDuringOutage_waitsThenExecutesAtFirstFreshRound() public {
        vm.warp(t0 + 2 hours);
        requestClose(aliceId, alice);
        _assertOrderWaits(aliceId);
        uint256 before = usd.balanceOf(alice);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, 2_900e18);
        assertGt(engine.liquidationResumesAt(ETH), block.timestamp, "setup: inside grace");
        vm.prank(keeper);
        engine.executeOrder(aliceId);
        assertEq(engine.position(aliceId).owner, address(0), "close did not execute");
        // 600 − 100 (loss) − 2.9 (close fee) + 5 (reserve), less the borrow fee since the open (a second before t0).
        uint256 borrowFee = _borrowFee(3_000e18, block.timestamp - (t0 - 1));
        assertEq(usd.balanceOf(alice) - before, 502_100_000 - borrowFee, "close payout");
    }

    function test_priceBackAfterStaleness_liquidationResumesAfterGrace() public {
        uint256 t1 = t0 + 2 hours;
        vm.warp(t1);
        setPrice(ETH, 2_800e18);
        vm.warp(t1 + GRACE - 1);
        _assertLiquidationWaits(t1 + GRACE);
        vm.warp(t1 + GRACE);
        vm.prank(keeper);
        engine.liquidate(bobId);
        assertEq(engine.position(bobId).owner, address(0), "not liquidated after the grace period");
    }

    function test_priceBackAfterZeroAnswer_liquidationWaitsGrace() public {
        vm.warp(t0 + 60);
        ethFeed.updateAnswer(0);
        uint256 t1 = t0 + 120;
        vm.warp(t1);
        setPrice(ETH, 2_800e18);
        _assertLiquidationWaits(t1 + GRACE);
        vm.warp(t1 + GRACE);
        vm.prank(keeper);
        engine.liquidate(bobId);
        assertEq(engine.position(bobId).owner, address(0), "not liquidated after the grace period");
    }

    /// @dev After an outage, a volatile market gets several price rounds within minutes. The grace period is owed to
    /// owners whatever the number of rounds since the price came back.
    function test_priceBackAfterStaleness_graceHoldsAfterManyFastRounds() public {
        uint256 t1 = t0 + 2 hours;
        vm.warp(t1);
        setPrice(ETH, 2_800e18);
        for (uint256 i = 1; i <= 4; ++i) {
            vm.warp(t1 + 15 * i);
            setPrice(ETH, 2_800e18 - i * 1e18);
        }
        _assertLiquidationWaits(t1 + GRACE);
    }

    // ------------------------------------------------------------ L2 sequencer

    /// @dev A close requested before the sequencer went down cannot execute while it is down.
    function test_sequencerDown_blocksPricedOperations_addMarginWorks() public {
        _installSequencer();
        requestClose(bobId, bob);
        sequencer.updateRoundData(2, 1, block.timestamp, block.timestamp);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        _assertPricedOperationsRevert(abi.encodeWithSelector(IOracleErrors.SequencerDown.selector, address(sequencer)));
        _assertAddMarginWorks();
    }

    function test_sequencerBackUp_liquidationWaitsGrace_ownerTopsUp() public {
        _installSequencer();
        vm.warp(t0 + 10 minutes);
        sequencer.updateRoundData(2, 1, block.timestamp, block.timestamp);
        setPrice(ETH, 2_800e18);
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IOracleErrors.SequencerDown.selector, address(sequencer)));
        engine.liquidate(bobId);
        // Down: the owner can still top up.
        vm.prank(bob);
        engine.addMargin(bobId, 10 * USD);

        uint256 t1 = t0 + 30 minutes;
        vm.warp(t1);
        sequencer.updateRoundData(3, 0, t1, t1);
        _assertLiquidationWaits(t1 + GRACE);
        vm.prank(bob);
        engine.addMargin(bobId, 190 * USD);
        vm.warp(t1 + GRACE);
        vm.expectRevert(
            abi.encodeWithSelector(IMarginEngineBase.NotLiquidatable.selector, bobId, _equityOf(bobId), 140e6)
        );
        engine.liquidate(bobId);
    }

    function test_sequencerBackUp_liquidationResumesAfterGrace() public {
        _installSequencer();
        vm.warp(t0 + 10 minutes);
        sequencer.updateRoundData(2, 1, block.timestamp, block.timestamp);
        uint256 t1 = t0 + 30 minutes;
        vm.warp(t1);
        sequencer.updateRoundData(3, 0, t1, t1);
        setPrice(ETH, 2_800e18);
        vm.warp(t1 + GRACE - 1);
        _assertLiquidationWaits(t1 + GRACE);
        // Owners may close during the grace period.
        closePosition(aliceId, alice);
        assertEq(engine.position(aliceId).owner, address(0), "close did not execute");
        vm.warp(t1 + GRACE);
        vm.prank(keeper);
        assertEq(engine.liquidateBatch(_ids(bobId)), 1, "not liquidated after the grace period");
    }

    // ------------------------------------------------------------ helpers

    /// @dev A sequencer-uptime feed that has reported "up" for a day.
    function _installSequencer() internal {
        sequencer = deployFeed(0, 0);
        sequencer.updateRoundData(1, 0, block.timestamp, block.timestamp - 1 days);
        vm.prank(governance);
        config.setSequencerFeed(sequencer);
    }

    /// @dev Every operation that needs a price now reverts with `err` (margin removal, liquidation), changing nothing;
    /// a keeper's batch skips the market instead (and reverts only while the sequencer is down, when no market has a
    /// price). Requests need no price and are taken: they record the latest round and wait for a later, good one.
    function _assertPricedOperationsRevert(bytes memory err) internal {
        _assertReverts(alice, abi.encodeCall(IMarginEngine.removeMargin, (aliceId, 10 * USD, alice)), err);
        _assertReverts(keeper, abi.encodeCall(IMarginEngineLiquidation.liquidate, (bobId)), err);
        if (bytes4(err) == IOracleErrors.SequencerDown.selector) {
            _assertReverts(keeper, abi.encodeCall(IMarginEngineLiquidation.liquidateBatch, (_ids(bobId))), err);
            _assertReverts(keeper, abi.encodeCall(IMarginEngineOrders.executeOrder, (bobId)), err);
        } else {
            Snapshot memory before = _snapshot();
            vm.prank(keeper);
            assertEq(engine.liquidateBatch(_ids(bobId)), 0, "batch liquidated on a bad price");
            _assertUnchanged(before, _snapshot());
            assertFalse(lens.liquidatable(_ids(bobId))[0], "lens: liquidatable on a bad price");
        }
    }

    function _assertReverts(address caller, bytes memory data, bytes memory err) internal {
        Snapshot memory before = _snapshot();
        vm.prank(caller);
        (bool ok, bytes memory result) = address(engine).call(data);
        assertFalse(ok, "priced operation went through");
        assertEq(result, err, "wrong error");
        _assertUnchanged(before, _snapshot());
    }

    /// @dev The position's pending order cannot execute yet (OrderNotReady) nor be cancelled (it may still get its
    /// round), and trying changes nothing.
    function _assertOrderWaits(uint256 positionId) internal {
        _assertReverts(
            keeper,
            abi.encodeCall(IMarginEngineOrders.executeOrder, (positionId)),
            abi.encodeWithSelector(IMarginEngineBase.OrderNotReady.selector, positionId)
        );
        _assertReverts(
            mallory,
            abi.encodeCall(IMarginEngineOrders.cancelOrder, (positionId)),
            abi.encodeWithSelector(IMarginEngineBase.OrderStillExecutable.selector, positionId)
        );
    }

    function _assertAddMarginWorks() internal {
        vm.prank(alice);
        engine.addMargin(aliceId, 100 * USD);
        assertEq(engine.position(aliceId).collateral, 700 * USD, "collateral");
        assertEq(vaultBalance(aliceId), 700 * USD + KEEPER_RESERVE, "vault");
    }

    /// @dev Liquidation reverts with the resume time; a batch skips the position; nothing changes.
    function _assertLiquidationWaits(uint256 resumesAt) internal {
        assertTrue(lens.previewLiquidation(bobId).equity < int256(140e6), "setup: under maintenance");
        assertFalse(lens.previewLiquidation(bobId).liquidatable, "lens says liquidatable during grace");
        Snapshot memory before = _snapshot();
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.GracePeriod.selector, resumesAt));
        engine.liquidate(bobId);
        vm.prank(keeper);
        assertEq(engine.liquidateBatch(_ids(bobId)), 0, "batch liquidated during grace");
        _assertUnchanged(before, _snapshot());
    }

    function _equityOf(uint256 id) internal view returns (int256) {
        return lens.equity(id);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";

import {IMockFeed} from "../utils/Artifacts.sol";
import {
    CancelReason,
    IMarginEngineBase,
    Order,
    OrderKind,
    OrderStatus
} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IRiskConfig, MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {UnitBase} from "./UnitBase.sol";

/// @notice Rule 17: a market whose feed has been bad (stale or non-positive) for longer than DEAD_FEED_PERIOD can be
/// put into settlement by governance, at its last good answer. The engine then takes no open or increase order
/// (`MarketInSettlement`) and cancels pending ones with a full refund; closes and decreases execute at the settlement
/// price at once, without waiting for a round; liquidation runs at that price, without a grace period.
contract SettleMarketTest is UnitBase {
    uint256 internal id; // alice long 1 ETH at 3,000 with 600 USD
    uint256 internal weak; // bob long 1 ETH at 3,000 with 310 USD: liquidatable at 2,750
    uint256 internal t0;
    /// @dev When alice's long was opened: its borrow fee runs from then.
    uint256 internal idOpenedAt;

    function setUp() public override {
        super.setUp();
        _governLpAndSettlement();
        id = _openStandardLong();
        idOpenedAt = block.timestamp;
        weak = _open(bob, true, 1e18, 310 * USD);
        setPrice(ETH, 2_750e18); // the ETH feed's last answer before it dies
        t0 = block.timestamp;
    }

    function _settle() internal {
        vm.prank(governance);
        config.settleMarket(ETH);
    }

    function _assertSettleReverts(address caller, uint256 marketId, bytes memory err) internal {
        vm.expectRevert(err);
        vm.prank(caller);
        config.settleMarket(marketId);
        assertEq(config.settlementPrice(ETH), 0, "settled");
        (, , , , uint256 settlement) = config.tradingConfig(ETH);
        assertEq(settlement, 0, "tradingConfig's settlement price");
    }

    // ------------------------------------------------------------ when a market may be settled

    function test_settleMarket_staleFeed_atDeadFeedPeriodAfterItWentStale() public {
        (uint80 roundId, , , , ) = ethFeed.latestRoundData();
        // Stale from t0 + heartbeat; settleable 3 days later.
        vm.warp(t0 + HEARTBEAT + DEAD_FEED_PERIOD);
        vm.expectEmit(address(config));
        emit IRiskConfig.MarketSettlementStarted(ETH, 2_750e18, roundId);
        _settle();
        assertEq(config.settlementPrice(ETH), 2_750e18);
        (, , , , uint256 settlement) = config.tradingConfig(ETH);
        assertEq(settlement, 2_750e18);
        assertEq(config.settlementPrice(BTC), 0, "other markets untouched");
    }

    function test_settleMarket_revertsWhen_staleFeedNotDeadLongEnough() public {
        vm.warp(t0 + HEARTBEAT + DEAD_FEED_PERIOD - 1);
        _assertSettleReverts(
            governance,
            ETH,
            abi.encodeWithSelector(
                IRiskConfig.FeedNotDead.selector,
                ETH,
                t0 + HEARTBEAT,
                t0 + HEARTBEAT + DEAD_FEED_PERIOD
            )
        );
    }

    function test_settleMarket_revertsWhen_feedIsFresh() public {
        _assertSettleReverts(governance, ETH, abi.encodeWithSelector(IRiskConfig.FeedNotDead.selector, ETH, 0, 0));
        vm.warp(t0 + HEARTBEAT); // an answer exactly one heartbeat old is still good
        _assertSettleReverts(governance, ETH, abi.encodeWithSelector(IRiskConfig.FeedNotDead.selector, ETH, 0, 0));
    }

    /// @dev A run of non-positive answers is bad from the first of them, however recently the feed last published
    /// one; the settlement uses the last positive answer before the run.
    function test_settleMarket_nonPositiveFeed_isBadFromTheFirstNonPositiveAnswer() public {
        (uint80 goodRound, , , , ) = ethFeed.latestRoundData();
        vm.warp(t0 + 1 hours);
        ethFeed.updateAnswer(0);
        uint256 badSince = block.timestamp;
        vm.warp(badSince + 1 days);
        ethFeed.updateAnswer(-1);
        vm.warp(badSince + DEAD_FEED_PERIOD - 1);
        ethFeed.updateAnswer(0);
        _assertSettleReverts(
            governance,
            ETH,
            abi.encodeWithSelector(IRiskConfig.FeedNotDead.selector, ETH, badSince, badSince + DEAD_FEED_PERIOD)
        );

        vm.warp(badSince + DEAD_FEED_PERIOD);
        ethFeed.updateAnswer(0); // still publishing bad answers
        vm.expectEmit(address(config));
        emit IRiskConfig.MarketSettlementStarted(ETH, 2_750e18, goodRound);
        _settle();
        assertEq(config.settlementPrice(ETH), 2_750e18);
    }

    /// @dev A feed that recovered and went non-positive again is bad from its latest run only.
    function test_settleMarket_nonPositiveFeed_afterARecovery_countsFromTheLatestRun() public {
        vm.warp(t0 + 1 hours);
        ethFeed.updateAnswer(0);
        vm.warp(t0 + 2 hours);
        setPrice(ETH, 2_600e18);
        (uint80 goodRound, , , , ) = ethFeed.latestRoundData();
        vm.warp(t0 + 3 hours);
        ethFeed.updateAnswer(0);
        uint256 badSince = block.timestamp;
        vm.warp(t0 + 1 hours + DEAD_FEED_PERIOD);
        _assertSettleReverts(
            governance,
            ETH,
            abi.encodeWithSelector(IRiskConfig.FeedNotDead.selector, ETH, badSince, badSince + DEAD_FEED_PERIOD)
        );
        vm.warp(badSince + DEAD_FEED_PERIOD);
        vm.expectEmit(address(config));
        emit IRiskConfig.MarketSettlementStarted(ETH, 2_600e18, goodRound);
        _settle();
    }

    function test_settleMarket_revertsWhen_noGoodAnswerInTheRecentRounds() public {
        for (uint256 i; i < 9; ++i) ethFeed.updateAnswer(0);
        vm.warp(block.timestamp + DEAD_FEED_PERIOD);
        _assertSettleReverts(governance, ETH, abi.encodeWithSelector(IRiskConfig.NoGoodAnswer.selector, ETH));
    }

    function test_settleMarket_revertsWhen_theFeedNeverHadAGoodAnswer() public {
        IMockFeed dead = deployFeed(8, 0);
        MarketParams memory p = defaultMarketParams(address(dead));
        vm.prank(governance);
        uint256 marketId = config.listMarket(p);
        vm.warp(block.timestamp + DEAD_FEED_PERIOD);
        vm.expectRevert(abi.encodeWithSelector(IRiskConfig.NoGoodAnswer.selector, marketId));
        vm.prank(governance);
        config.settleMarket(marketId);
        assertEq(config.settlementPrice(marketId), 0);
    }

    function test_settleMarket_revertsWhen_alreadySettled() public {
        _settleEth();
        vm.expectRevert(abi.encodeWithSelector(IRiskConfig.MarketSettled.selector, ETH));
        vm.prank(governance);
        config.settleMarket(ETH);
        assertEq(config.settlementPrice(ETH), 2_750e18);
    }

    function test_settleMarket_revertsWhen_marketUnknown() public {
        _assertSettleReverts(governance, 2, abi.encodeWithSelector(IRiskConfig.UnknownMarket.selector, 2));
    }

    function test_settleMarket_revertsWhen_callerLacksTheGovernanceRole() public {
        vm.warp(t0 + HEARTBEAT + DEAD_FEED_PERIOD);
        address[4] memory callers = [guardian, alice, keeper, address(this)];
        for (uint256 i; i < callers.length; ++i) {
            _assertSettleReverts(
                callers[i],
                ETH,
                abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, callers[i])
            );
        }
    }

    function test_setMarketParams_revertsWhen_marketSettled() public {
        _settleEth();
        MarketParams memory p = _params(ETH);
        bytes32 before = keccak256(abi.encode(p));
        p.openFeeRatio = 0;
        vm.expectRevert(abi.encodeWithSelector(IRiskConfig.MarketSettled.selector, ETH));
        vm.prank(governance);
        config.setMarketParams(ETH, p);
        assertEq(keccak256(abi.encode(_params(ETH))), before, "params changed");
    }

    // ------------------------------------------------------------ the engine in settlement

    /// @dev alice's long owes its borrow fee from its open to now.
    function _idFee() internal view returns (uint256) {
        return _borrowFee(1e18, ETH_PRICE, RATE * (block.timestamp - idOpenedAt));
    }

    function test_requestOpen_revertsWhen_marketInSettlement() public {
        _settleEth();
        fund(carol, 2_000 * USD);
        uint256 next = engine.nextPositionId();
        Snapshot memory before = _snapshot(next);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.MarketInSettlement.selector, ETH));
        vm.prank(carol);
        engine.requestOpen(ETH, true, 1e18, 600 * USD, type(uint128).max, _deadline(), 0);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.MarketInSettlement.selector, ETH));
        vm.prank(carol);
        engine.requestOpen(ETH, false, 1e18, 600 * USD, 0, _deadline(), 0);
        _assertUnchanged(before, next);
        // Other markets trade on (once BTC's own grace period has passed: its feed was silent for three days too).
        vm.warp(block.timestamp + GRACE);
        uint256 btcId = openPosition(carol, BTC, true, 0.1e18, 600 * USD);
        assertEq(engine.position(btcId).owner, carol);
    }

    function test_requestIncrease_revertsWhen_marketInSettlement() public {
        _settleEth();
        fund(alice, 100 * USD);
        Snapshot memory before = _snapshot(id);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.MarketInSettlement.selector, ETH));
        vm.prank(alice);
        engine.requestIncrease(id, 0.1e18, 50 * USD, type(uint128).max, _deadline(), 0);
        _assertUnchanged(before, id);
    }

    /// @dev An open requested before the market was settled can never execute: the next execution attempt cancels
    /// it with a full refund (collateral, keeper reserve, execution fee) and frees its vault.
    function test_pendingOpen_isCancelledWithAFullRefundOnExecution() public {
        fund(carol, 600 * USD + KEEPER_RESERVE + 1 * USD);
        vm.prank(carol);
        uint256 pending = engine.requestOpen(ETH, true, 1e18, 600 * USD, type(uint128).max, _deadline(), 1 * USD);
        address vault = engine.vaultOf(pending);
        _settleEth();
        uint256 refund = 600 * USD + KEEPER_RESERVE + 1 * USD;

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(pending, OrderKind.Open, CancelReason.Paused, keeper, refund, 0);
        vm.prank(keeper);
        engine.executeOrder(pending);

        assertEq(usd.balanceOf(carol), refund, "full refund");
        assertEq(usd.balanceOf(keeper), 0, "no execution fee for a market in settlement");
        assertEq(usd.balanceOf(vault), 0);
        _assertPosition(engine.position(pending), _emptyPosition());
        assertEq(engine.freeVaultCount(), 1, "vault freed");
    }

    /// @dev Anyone may cancel a pending increase once the market is in settlement.
    function test_pendingIncrease_isCancelledWithAFullRefundByAnyone() public {
        fund(alice, 51 * USD);
        vm.prank(alice);
        engine.requestIncrease(id, 0.1e18, 50 * USD, type(uint128).max, _deadline(), 1 * USD);
        _settleEth();
        Snapshot memory before = _snapshot(id);
        (OrderStatus status, ) = engine.orderStatus(id);
        assertEq(uint8(status), uint8(OrderStatus.Cancellable));

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Increase, CancelReason.Paused, carol, 51 * USD, 0);
        vm.prank(carol);
        engine.cancelOrder(id);

        assertEq(usd.balanceOf(alice), before.alice + 51 * USD);
        assertEq(usd.balanceOf(carol), 0);
        _assertPosition(engine.position(id), before.position);
        assertEq(vaultBalance(id), before.vault - 51 * USD);
        (Order memory order, ) = engine.orders(id);
        assertEq(uint8(order.kind), uint8(OrderKind.None));
    }

    /// @dev Rule 17: a close requested in settlement executes at the settlement price in the same block; it waits
    /// for no round (the feed is dead) and records none.
    function test_close_requestedInSettlement_executesAtTheSettlementPriceAtOnce() public {
        uint256 price = _settleEth();
        assertEq(price, 2_750e18);
        fund(alice, 1 * USD);
        vm.prank(alice);
        engine.requestClose(id, 0, _deadline(), 1 * USD, carol);
        (, Order memory close) = engine.orders(id);
        assertEq(close.roundId, 0, "no round recorded");
        (OrderStatus status, ) = engine.orderStatus(id);
        assertEq(uint8(status), uint8(OrderStatus.Executable));
        uint256 poolBefore = usd.balanceOf(address(pool));

        // Loss 250 USD; borrow fee for the 3 days + 1 h the feed took to die (and the second before); closing fee
        // 0.1 % × 2,750.
        uint256 fees = _idFee() + 2_750_000;
        uint256 payout = 605 * USD - 250 * USD - fees;
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionClosed(id, alice, 2_750e18, -int256(250 * USD), fees, payout, 0, carol);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderExecuted(id, OrderKind.Close, keeper, 0, 2_750e18, 1 * USD);
        vm.prank(keeper);
        engine.executeOrder(id);

        _assertPosition(engine.position(id), _emptyPosition());
        assertEq(usd.balanceOf(carol), payout, "receiver");
        assertEq(usd.balanceOf(keeper), 1 * USD, "execution fee");
        assertEq(usd.balanceOf(address(pool)), poolBefore + 250 * USD + fees);
    }

    function test_decrease_requestedInSettlement_executesAtTheSettlementPriceAtOnce() public {
        _settleEth();
        vm.prank(alice);
        engine.requestDecrease(id, 0.5e18, 0, _deadline(), 0, alice);
        uint256 aliceBefore = usd.balanceOf(alice);

        // Half the collateral (300 USD) out, less half the loss (125 USD), the whole owed borrow fee and the closing
        // fee on 0.5 × 2,750.
        uint256 fees = _idFee() + 1_375_000;
        uint256 payout = 300 * USD - 125 * USD - fees;
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionDecreased(
            id,
            0.5e18,
            2_750e18,
            -int256(125 * USD),
            fees,
            payout,
            0.5e18,
            300 * USD,
            1_500 * USD,
            alice
        );
        vm.prank(keeper);
        engine.executeOrder(id);
        assertEq(usd.balanceOf(alice), aliceBefore + payout);
        assertEq(engine.position(id).size, 0.5e18);
    }

    /// @dev A close requested before the feed died, whose round never came, executes at the settlement price once
    /// the market is settled (it cannot be cancelled as expired any more: it can execute).
    function test_pendingClose_fromBeforeSettlement_executesAtTheSettlementPrice() public {
        requestClose(id, alice);
        _settleEth();
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderStillExecutable.selector, id));
        engine.cancelOrder(id);
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 fees = _idFee() + 2_750_000;
        vm.prank(keeper);
        engine.executeOrder(id);
        _assertPosition(engine.position(id), _emptyPosition());
        assertEq(usd.balanceOf(alice), aliceBefore + 605 * USD - 250 * USD - fees);
    }

    /// @dev Rule 3 holds in settlement: a close on a position liquidatable at the settlement price liquidates it.
    function test_close_ofALiquidatablePosition_inSettlement_liquidatesItInstead() public {
        _settleEth();
        fund(bob, 1 * USD);
        vm.prank(bob);
        engine.requestClose(weak, 0, _deadline(), 1 * USD, bob);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(weak, OrderKind.Close, CancelReason.PositionClosed, keeper, 1 * USD, 0);
        vm.prank(keeper);
        engine.executeOrder(weak);
        _assertPosition(engine.position(weak), _emptyPosition());
        // Keeper reserve + 1 % × 2,750.
        assertEq(usd.balanceOf(keeper), 5 * USD + 27_500_000);
    }

    /// @dev No grace period applies in settlement: the dead feed will not come back.
    function test_liquidate_worksAtTheSettlementPrice() public {
        _settleEth();
        assertEq(engine.liquidationResumesAt(ETH), 0);
        assertEq(engine.indexPrice(ETH), 2_750e18);
        address vault = engine.vaultOf(weak);
        vm.prank(keeper);
        engine.liquidate(weak);
        _assertPosition(engine.position(weak), _emptyPosition());
        assertEq(usd.balanceOf(vault), 0);
        // Keeper reserve + 1 % × 2,750.
        assertEq(usd.balanceOf(keeper), 5 * USD + 27_500_000);
    }

    function test_liquidateBatch_worksAtTheSettlementPrice() public {
        _settleEth();
        vm.prank(keeper);
        assertEq(engine.liquidateBatch(_ids(id, weak)), 1);
        _assertPosition(engine.position(weak), _emptyPosition());
        assertEq(engine.position(id).owner, alice, "healthy at 2,750");
    }

    function test_addMargin_worksInSettlement() public {
        _settleEth();
        fund(alice, 100 * USD);
        vm.prank(alice);
        engine.addMargin(id, 100 * USD);
        assertEq(engine.position(id).collateral, 700 * USD);
        assertEq(vaultBalance(id), 705 * USD);
    }

    /// @dev Margin removal is priced at the settlement price: equity 600 − x − 250 − fees must stay ≥ 10 % × 2,750.
    function test_removeMargin_isPricedAtTheSettlementPrice() public {
        _settleEth();
        uint256 fee = _idFee();
        Snapshot memory before = _snapshot(id);
        vm.expectRevert(
            abi.encodeWithSelector(IMarginEngineBase.InitialMarginBreached.selector, int256(277 * USD - fee), 275 * USD)
        );
        vm.prank(alice);
        engine.removeMargin(id, 73 * USD, alice);
        _assertUnchanged(before, id);

        vm.prank(alice);
        engine.removeMargin(id, 70 * USD, alice);
        assertEq(engine.position(id).collateral, 530 * USD);
    }
}

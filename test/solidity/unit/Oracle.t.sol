// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMockFeed} from "../utils/Artifacts.sol";
import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

import {
    CancelReason,
    IMarginEngineBase,
    Order,
    OrderKind,
    OrderStatus
} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IOracleErrors} from "../../../contracts/interfaces/IOracleErrors.sol";
import {ChainlinkOracle} from "../../../contracts/libraries/ChainlinkOracle.sol";
import {GlobalParams, IRiskConfig, MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {FeedMarkets} from "./mocks/oracle/FeedMarkets.sol";
import {MockAggregatorProxy} from "./mocks/oracle/MockAggregatorProxy.sol";

/// @dev The Chainlink adapter as the engine uses it: normalisation, staleness, non-positive answers and answers on the
/// aggregator's band, the L2 sequencer, the grace period after an outage, and the search for an order's execution
/// round (SPEC rules 1 and 16).
contract OracleTest is FeedMarkets {
    /// @dev alice long 1 ETH at 3,000 with 310 USD; liquidatable from a price of 2,750 down (equity 60 < 137.5).
    function _weakLong() internal returns (uint256 id) {
        id = _open(alice, true, 1e18, 310 * USD);
        fund(alice, 1_000 * USD);
    }

    function _expectLiquidateReverts(uint256 id, bytes memory err) internal {
        Snapshot memory before = _snapshot(id);
        vm.expectRevert(err);
        vm.prank(keeper);
        engine.liquidate(id);
        _assertUnchanged(before, id);
    }

    function _liquidate(uint256 id) internal {
        vm.prank(keeper);
        engine.liquidate(id);
        _assertDeleted(id);
    }

    /// @dev Time passes; BTC keeps reporting every 30 minutes, ETH does not.
    function _ethSilentFor(uint256 duration) internal {
        uint256 end = block.timestamp + duration;
        while (block.timestamp + 1_800 < end) {
            vm.warp(block.timestamp + 1_800);
            setPrice(BTC, BTC_PRICE);
        }
        vm.warp(end);
    }

    function _addMargin(uint256 id, uint256 amount) internal {
        uint96 before = engine.position(id).collateral;
        vm.prank(alice);
        engine.addMargin(id, amount);
        assertEq(engine.position(id).collateral, before + amount);
    }

    // ------------------------------------------------------------ normalisation

    function test_indexPrice_scales8DecimalFeedUp() public view {
        // 3,000 × 1e8 → 3,000 × 1e18.
        assertEq(engine.indexPrice(ETH), 3_000e18);
        assertEq(engine.indexPrice(BTC), 60_000e18);
    }

    function test_indexPrice_takes18DecimalFeedAsIs() public {
        (uint256 marketId, IMockFeed feed) = _listFeed(18, 3_000.123456789012345678e18);
        assertEq(engine.indexPrice(marketId), 3_000.123456789012345678e18);
        uint256 id = _openOn(marketId, address(feed), alice, true, 1e18, 600 * USD);
        assertEq(engine.position(id).entryPrice, 3_000.123456789012345678e18);
        // Fee: 0.1 % × 3,000.123456789012345678 = 3.000123456789… → 3.000124 USD (up).
        assertEq(usd.balanceOf(address(pool)), POOL_LIQUIDITY + 3_000_124);
    }

    function test_indexPrice_scales6DecimalFeedUp() public {
        (uint256 marketId, ) = _listFeed(6, 3_000_123_456);
        assertEq(engine.indexPrice(marketId), 3_000.123456e18);
    }

    function test_indexPrice_scales20DecimalFeedDownRoundingDown() public {
        (uint256 marketId, ) = _listFeed(20, 3_000_12345678901234567899);
        assertEq(engine.indexPrice(marketId), 3_000.123456789012345678e18);
    }

    function test_indexPrice_acceptsA36DecimalFeed() public {
        (uint256 marketId, ) = _listFeed(36, 3_000e36);
        assertEq(engine.indexPrice(marketId), 3_000e18);
    }

    function test_listMarket_revertsWhen_feedHasMoreThan36Decimals() public {
        IMockFeed feed = deployFeed(37, 3_000e36);
        MarketParams memory m = defaultMarketParams(address(feed));
        m.feedDecimals = 37;
        vm.expectRevert(
            abi.encodeWithSelector(IRiskConfig.ParameterOutOfBounds.selector, bytes32("feedDecimals"), 37, 37, 0)
        );
        vm.prank(governance);
        config.listMarket(m);
        assertEq(config.marketCount(), 2);
    }

    function test_listMarket_revertsWhen_declaredDecimalsDifferFromTheFeeds() public {
        IMockFeed feed = deployFeed(18, 3_000e18);
        MarketParams memory m = defaultMarketParams(address(feed)); // declares 8
        vm.expectRevert(
            abi.encodeWithSelector(IRiskConfig.ParameterOutOfBounds.selector, bytes32("feedDecimals"), 8, 18, 18)
        );
        vm.prank(governance);
        config.listMarket(m);
    }

    // ------------------------------------------------------------ staleness and bad answers

    function test_indexPrice_acceptsAnAnswerExactlyOneHeartbeatOld() public {
        vm.warp(block.timestamp + HEARTBEAT);
        assertEq(engine.indexPrice(ETH), ETH_PRICE);
    }

    function test_read_revertsWhen_priceStale_everywhereButAddMargin() public {
        uint256 id = _weakLong();
        (, , , uint256 updatedAt, ) = ethFeed.latestRoundData();
        _ethSilentFor(HEARTBEAT + 1);
        bytes memory err = abi.encodeWithSelector(
            IOracleErrors.StalePrice.selector,
            address(ethFeed),
            updatedAt,
            HEARTBEAT
        );
        Snapshot memory before = _snapshot(id);

        vm.expectRevert(err);
        engine.indexPrice(ETH);
        vm.expectRevert(err);
        vm.prank(alice);
        engine.removeMargin(id, 1, alice);
        vm.expectRevert(err);
        vm.prank(keeper);
        engine.liquidate(id);
        vm.expectRevert(err);
        vm.prank(keeper);
        engine.takeProfit(id);
        vm.expectRevert(err);
        engine.liquidationResumesAt(ETH);
        vm.expectRevert(err);
        lens.equity(id);
        _assertUnchanged(before, id);
        assertFalse(lens.market(ETH).priced);

        // A close can be asked for (it records the round and waits for the next); nothing executes on the stale
        // answer.
        requestClose(id, alice);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderNotReady.selector, id));
        vm.prank(keeper);
        engine.executeOrder(id);
        _addMargin(id, 10 * USD);
        // The BTC market is unaffected.
        assertEq(engine.indexPrice(BTC), BTC_PRICE);

        // The feed comes back: the close executes at the new round (inside the grace period, which holds
        // liquidations, not closes).
        executeAt(id, ETH, 2_750e18);
        _assertDeleted(id);
    }

    /// @dev Rule 1: an order whose execution round answers a bad price is cancelled with a full refund.
    function test_read_revertsWhen_answerIsZero_everywhereButAddMargin() public {
        uint256 id = _weakLong();
        fund(alice, 2 * USD);
        vm.prank(alice);
        engine.requestClose(id, 0, _deadline(), 2 * USD, alice);
        uint256 aliceBefore = usd.balanceOf(alice);
        vm.warp(block.timestamp + 1);
        ethFeed.updateAnswer(0); // the close's execution round
        bytes memory err = abi.encodeWithSelector(IOracleErrors.NonPositivePrice.selector, address(ethFeed), int256(0));
        vm.expectRevert(err);
        engine.indexPrice(ETH);
        _expectLiquidateReverts(id, err);
        _addMargin(id, 10 * USD);

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Close, CancelReason.BadPrice, keeper, 2 * USD, 0);
        vm.prank(keeper);
        engine.executeOrder(id);
        (, Order memory close) = engine.orders(id);
        assertEq(uint8(close.kind), uint8(OrderKind.None));
        assertEq(usd.balanceOf(alice), aliceBefore + 2 * USD - 10 * USD, "execution fee not refunded in full");
        assertEq(usd.balanceOf(keeper), 0);
        assertEq(engine.position(id).size, 1e18);
    }

    function test_read_revertsWhen_answerIsNegative_everywhereButAddMargin() public {
        uint256 id = _weakLong();
        uint256 pending = requestOpen(bob, ETH, true, 1e18, 700 * USD);
        vm.warp(block.timestamp + 1);
        ethFeed.updateAnswer(-1); // the open's execution round
        bytes memory err = abi.encodeWithSelector(
            IOracleErrors.NonPositivePrice.selector,
            address(ethFeed),
            int256(-1)
        );
        vm.expectRevert(err);
        engine.indexPrice(ETH);
        _expectLiquidateReverts(id, err);
        vm.expectRevert(err);
        vm.prank(alice);
        engine.removeMargin(id, 1, alice);
        _addMargin(id, 10 * USD);

        // The pending open is cancelled: collateral and keeper reserve back to bob.
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            pending,
            OrderKind.Open,
            CancelReason.BadPrice,
            keeper,
            700 * USD + KEEPER_RESERVE,
            0
        );
        vm.prank(keeper);
        engine.executeOrder(pending);
        assertEq(usd.balanceOf(bob), 700 * USD + KEEPER_RESERVE);
        assertEq(engine.position(pending).owner, address(0));
    }

    /// @dev An OCR2 aggregator clamps its answers to [minAnswer, maxAnswer]: an answer on the band is not the market's
    /// and is refused like a non-positive one, at both ends; one unit inside is a price.
    function test_read_revertsWhen_answerIsOnTheAggregatorsBand() public {
        (uint256 marketId, MockAggregatorProxy feed) = _listBoundedMarket();
        uint256 id = _openOn(marketId, address(feed), alice, true, 1e18, 310 * USD);
        fund(alice, 1_000 * USD);
        int192[2] memory ends = [BAND_MIN, BAND_MAX];
        for (uint256 i; i < ends.length; ++i) {
            feed.push(ends[i]);
            bytes memory err = abi.encodeWithSelector(IOracleErrors.AnswerAtBound.selector, address(feed), ends[i]);
            Snapshot memory before = _snapshot(id);
            vm.expectRevert(err);
            engine.indexPrice(marketId);
            vm.expectRevert(err);
            vm.prank(keeper);
            engine.liquidate(id);
            vm.expectRevert(err);
            vm.prank(keeper);
            engine.takeProfit(id);
            vm.expectRevert(err);
            vm.prank(alice);
            engine.removeMargin(id, 1, alice);
            _assertUnchanged(before, id);
            _addMargin(id, 1 * USD);
        }
        feed.push(BAND_MIN + 1);
        assertEq(engine.indexPrice(marketId), uint256(int256(BAND_MIN + 1)) * 1e10);
        feed.push(BAND_MAX - 1);
        assertEq(engine.indexPrice(marketId), uint256(int256(BAND_MAX - 1)) * 1e10);
    }

    /// @dev Rule 1: an execution round whose answer is on the band is a bad price: the order is cancelled, full refund.
    function test_executeOrder_cancelsWhen_theRoundAnswersOnTheBand() public {
        (uint256 marketId, MockAggregatorProxy feed) = _listBoundedMarket();
        uint256 id = _openOn(marketId, address(feed), alice, true, 1e18, 310 * USD);
        requestClose(id, alice);
        vm.warp(block.timestamp + 1);
        feed.push(BAND_MIN);
        feed.push(2_900e8); // the latest answer is good again: only the execution round is bad
        assertEq(uint8(lens.executable(_ids(id))[0].status), uint8(OrderStatus.Cancellable));
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Close, CancelReason.BadPrice, keeper, 0, 0);
        vm.prank(keeper);
        engine.executeOrder(id);
        assertEq(engine.position(id).size, 1e18);
    }

    // ------------------------------------------------------------ L2 sequencer

    function test_sequencerUpSince_revertsWhen_sequencerDown_everywhereButAddMargin() public {
        uint256 id = _weakLong();
        setPrice(ETH, 2_750e18);
        _useSequencer(1);
        bytes memory err = abi.encodeWithSelector(IOracleErrors.SequencerDown.selector, address(sequencer));
        Snapshot memory before = _snapshot(id);

        vm.expectRevert(err);
        engine.indexPrice(ETH);
        vm.expectRevert(err);
        engine.indexPrice(BTC);
        vm.expectRevert(err);
        vm.prank(alice);
        engine.removeMargin(id, 1, alice);
        vm.expectRevert(err);
        vm.prank(keeper);
        engine.liquidate(id);
        vm.expectRevert(err);
        vm.prank(keeper);
        engine.liquidateBatch(_ids(id));
        vm.expectRevert(err);
        vm.prank(keeper);
        engine.takeProfit(id);
        _assertUnchanged(before, id);
        _addMargin(id, 10 * USD);

        // The owner can still ask to close; nothing executes until the sequencer is back.
        requestClose(id, alice);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, 2_750e18);
        before = _snapshot(id);
        vm.expectRevert(err);
        vm.prank(keeper);
        engine.executeOrder(id);
        vm.expectRevert(err);
        vm.prank(keeper);
        engine.executeOrders(_ids(id));
        _assertUnchanged(before, id);
    }

    /// @dev An order that can no longer execute is refunded whatever the oracle says: cancelling needs no price.
    function test_cancelOrder_worksWhileTheSequencerIsDown() public {
        uint256 id = _weakLong();
        fund(alice, 2 * USD);
        vm.prank(alice);
        engine.requestClose(id, 0, _deadline(), 2 * USD, alice);
        uint256 aliceBefore = usd.balanceOf(alice);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        _useSequencer(1);
        vm.warp(block.timestamp + MAX_EXECUTION_DELAY + 1);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Close, CancelReason.WindowMissed, carol, 2 * USD, 0);
        vm.prank(carol);
        engine.cancelOrder(id);
        assertEq(usd.balanceOf(alice), aliceBefore + 2 * USD);
    }

    function test_liquidate_revertsWhen_sequencerGracePeriodRunning() public {
        uint256 id = _weakLong();
        _useSequencer(1);
        vm.warp(block.timestamp + 60);
        sequencer.updateAnswer(0); // up since now
        uint256 upSince = block.timestamp;
        setPrice(ETH, 2_750e18);

        assertEq(engine.liquidationResumesAt(ETH), upSince + GRACE);
        assertEq(engine.liquidationResumesAt(BTC), upSince + GRACE, "the sequencer gates every market");
        _expectLiquidateReverts(id, abi.encodeWithSelector(IMarginEngineBase.GracePeriod.selector, upSince + GRACE));
        assertFalse(lens.liquidatable(_ids(id))[0]);
        _addMargin(id, 1 * USD);

        vm.warp(upSince + GRACE - 1);
        _expectLiquidateReverts(id, abi.encodeWithSelector(IMarginEngineBase.GracePeriod.selector, upSince + GRACE));

        vm.warp(upSince + GRACE);
        assertTrue(lens.liquidatable(_ids(id))[0]);
        _liquidate(id);
    }

    /// @dev A close in the grace period executes even though the position is liquidatable at its price: the grace
    /// period holds liquidations (and so the liquidation-first rule), not closes.
    function test_close_worksDuringSequencerGracePeriod() public {
        uint256 id = _weakLong();
        uint256 openedAt = block.timestamp;
        _useSequencer(1);
        vm.warp(block.timestamp + 60);
        sequencer.updateAnswer(0);
        setPrice(ETH, 2_750e18);
        uint256 before = usd.balanceOf(alice);
        closePositionAt(id, 2_750e18);
        _assertDeleted(id);
        // 310 − 250 loss − 2.75 closing fee − the borrow fee, plus the keeper reserve back.
        uint256 fee = _borrowFee(1e18, ETH_PRICE, RATE * (block.timestamp - openedAt));
        assertEq(usd.balanceOf(alice) - before, 60 * USD - 2_750_000 - fee + KEEPER_RESERVE);
    }

    function test_liquidate_worksWhenSequencerUpLongerThanGracePeriod() public {
        uint256 id = _weakLong();
        _useSequencer(0);
        vm.warp(block.timestamp + GRACE);
        setPrice(ETH, 2_750e18);
        _liquidate(id);
    }

    function test_setSequencerFeed_zeroDisablesTheCheck() public {
        uint256 id = _weakLong();
        _useSequencer(1);
        vm.prank(governance);
        config.setSequencerFeed(AggregatorV3Interface(address(0)));
        setPrice(ETH, 2_750e18);
        _liquidate(id);
    }

    // ------------------------------------------------------------ grace period after a price outage

    function test_liquidate_revertsWhen_priceOutageGracePeriodRunning() public {
        uint256 id = _weakLong();
        uint256 lastGood = block.timestamp;
        _ethSilentFor(2 hours);
        // During the outage: no price, no liquidation, but margin can be added.
        _expectLiquidateReverts(
            id,
            abi.encodeWithSelector(IOracleErrors.StalePrice.selector, address(ethFeed), lastGood, HEARTBEAT)
        );
        _addMargin(id, 1 * USD);

        // The feed comes back 2 h after its last round, at a price that makes the position liquidatable.
        setPrice(ETH, 2_740e18);
        uint256 back = block.timestamp;
        assertEq(engine.liquidationResumesAt(ETH), back + GRACE);
        assertLt(engine.liquidationResumesAt(BTC), block.timestamp, "BTC had no outage");
        _expectLiquidateReverts(id, abi.encodeWithSelector(IMarginEngineBase.GracePeriod.selector, back + GRACE));
        assertFalse(lens.previewLiquidation(id).liquidatable);
        assertFalse(lens.liquidatable(_ids(id))[0]);
        _addMargin(id, 1 * USD);

        vm.warp(back + GRACE - 1);
        _expectLiquidateReverts(id, abi.encodeWithSelector(IMarginEngineBase.GracePeriod.selector, back + GRACE));

        vm.warp(back + GRACE);
        assertTrue(lens.previewLiquidation(id).liquidatable);
        _liquidate(id);
    }

    function test_close_worksDuringPriceOutageGracePeriod() public {
        uint256 id = _weakLong();
        vm.warp(block.timestamp + 2 hours);
        setPrice(ETH, 2_750e18);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.GracePeriod.selector, block.timestamp + GRACE));
        vm.prank(keeper);
        engine.liquidate(id);
        closePositionAt(id, 2_750e18);
        _assertDeleted(id);
    }

    function test_addMargin_rescuesDuringPriceOutageGracePeriod() public {
        uint256 id = _weakLong();
        vm.warp(block.timestamp + 2 hours);
        setPrice(ETH, 2_750e18);
        _addMargin(id, 100 * USD); // equity 160 USD ≥ 137.5 USD
        vm.warp(block.timestamp + GRACE);
        // 2 h 10 min of borrow fee: 3,000 × 3,170,979,198 × 7,800 / 1e18 = 0.0742009132332 → 0.074201 USD.
        _expectLiquidateReverts(
            id,
            abi.encodeWithSelector(
                IMarginEngineBase.NotLiquidatable.selector,
                id,
                int256(160 * USD - 74_201),
                137_500_000
            )
        );
        assertEq(_borrowFee(1e18, ETH_PRICE, RATE * (2 hours + GRACE)), 74_201);
    }

    function test_outageEndedAt_gapOfExactlyOneHeartbeatIsNoOutage() public {
        uint256 id = _weakLong();
        vm.warp(block.timestamp + HEARTBEAT);
        setPrice(ETH, 2_750e18);
        assertEq(engine.liquidationResumesAt(ETH), GRACE, "no outage, no sequencer: only the grace period itself");
        _liquidate(id);
    }

    function test_outageEndedAt_gapOneSecondLongerThanHeartbeatIsAnOutage() public {
        uint256 id = _weakLong();
        vm.warp(block.timestamp + HEARTBEAT + 1);
        setPrice(ETH, 2_750e18);
        _expectLiquidateReverts(
            id,
            abi.encodeWithSelector(IMarginEngineBase.GracePeriod.selector, block.timestamp + GRACE)
        );
    }

    function test_outageEndedAt_nonPositiveRoundIsAnOutage() public {
        uint256 id = _weakLong();
        vm.warp(block.timestamp + 100);
        ethFeed.updateAnswer(0);
        vm.warp(block.timestamp + 10);
        setPrice(ETH, 2_750e18);
        uint256 back = block.timestamp;
        _expectLiquidateReverts(id, abi.encodeWithSelector(IMarginEngineBase.GracePeriod.selector, back + GRACE));
        vm.warp(back + GRACE);
        _liquidate(id);
    }

    /// @dev The outage ends at `back`; then `rounds` more rounds come 10 s apart.
    function _outageThenRounds(uint256 rounds) internal returns (uint256 id, uint256 back) {
        id = _weakLong();
        _ethSilentFor(2 hours);
        setPrice(ETH, 2_760e18);
        back = block.timestamp;
        for (uint256 i; i < rounds; ++i) {
            vm.warp(block.timestamp + 10);
            setPrice(ETH, 2_750e18);
        }
        assertLt(block.timestamp, back + GRACE);
    }

    function test_outageEndedAt_findsOutageBehindThreeRounds() public {
        (uint256 id, uint256 back) = _outageThenRounds(3);
        _expectLiquidateReverts(id, abi.encodeWithSelector(IMarginEngineBase.GracePeriod.selector, back + GRACE));
    }

    function test_outageEndedAt_findsOutageBehindTheMostRoundsInspectedLessOne() public {
        (uint256 id, uint256 back) = _outageThenRounds(ChainlinkOracle.MAX_ROUNDS_INSPECTED - 1);
        assertEq(engine.liquidationResumesAt(ETH), back + GRACE);
        _expectLiquidateReverts(id, abi.encodeWithSelector(IMarginEngineBase.GracePeriod.selector, back + GRACE));
    }

    /// @dev Documented limit (`MAX_ROUNDS_INSPECTED`): when a feed publishes that many rounds after an outage within
    /// the grace period, the outage is no longer seen and liquidations resume before the grace period ends.
    function test_outageEndedAt_missesOutageBehindTheMostRoundsInspected_documentedLimit() public {
        (uint256 id, ) = _outageThenRounds(ChainlinkOracle.MAX_ROUNDS_INSPECTED);
        assertEq(engine.liquidationResumesAt(ETH), GRACE);
        _liquidate(id);
    }

    function test_outageEndedAt_unreadableRoundEndsTheSearch() public {
        uint256 id = _weakLong();
        vm.warp(block.timestamp + 2 hours);
        setPrice(ETH, 2_750e18);
        vm.mockCallRevert(address(ethFeed), abi.encodeWithSelector(AggregatorV3Interface.getRoundData.selector), "");
        _liquidate(id);
    }

    function test_outageEndedAt_ignoresOutageOlderThanGracePeriod() public {
        uint256 id = _weakLong();
        vm.warp(block.timestamp + 2 hours);
        setPrice(ETH, 2_800e18);
        uint256 back = block.timestamp;
        vm.warp(back + GRACE + 1);
        setPrice(ETH, 2_750e18);
        assertEq(engine.liquidationResumesAt(ETH), GRACE);
        _liquidate(id);
    }

    function test_liquidationResumesAt_isZeroWithoutGracePeriod() public {
        GlobalParams memory g = defaultGlobalParams();
        g.liquidationGracePeriod = 0;
        _setGlobal(g);
        uint256 id = _weakLong();
        _useSequencer(0);
        vm.warp(block.timestamp + 2 hours);
        sequencer.updateAnswer(0);
        setPrice(ETH, 2_750e18);
        assertEq(engine.liquidationResumesAt(ETH), 0);
        _liquidate(id);
    }

    // ------------------------------------------------------------ the execution round (rules 1 and 2)

    function _requestCloseWithFee(uint256 id, uint256 fee, uint256 deadline) internal {
        fund(alice, fee);
        vm.prank(alice);
        engine.requestClose(id, 0, deadline, fee, alice);
    }

    function _status(uint256 id) internal view returns (OrderStatus) {
        return lens.executable(_ids(id))[0].status;
    }

    /// @dev A round of the request's own second was observed then, not after; later rounds do not matter either.
    function test_executeOrder_atTheFirstRoundObservedAfterTheRequest() public {
        uint256 id = _openStandardLong();
        requestClose(id, alice);
        setPrice(ETH, 3_100e18);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, 3_050e18);
        (uint80 round, , , , ) = ethFeed.latestRoundData();
        vm.warp(block.timestamp + 1);
        setPrice(ETH, 3_200e18);

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderExecuted(id, OrderKind.Close, keeper, round, 3_050e18, 0);
        vm.prank(keeper);
        engine.executeOrder(id);
        _assertDeleted(id);
    }

    /// @dev OCR2's `startedAt` is when the answer was observed: a round updated after the request but observed before
    /// it is an answer the trader could have seen, so it is not the execution round.
    function test_executeOrder_skipsARoundObservedBeforeTheRequest() public {
        uint256 id = _openStandardLong();
        vm.warp(block.timestamp + 10);
        uint256 requestedAt = block.timestamp;
        requestClose(id, alice);
        (uint80 recorded, , , , ) = ethFeed.latestRoundData();
        vm.warp(requestedAt + 1);
        ethFeed.updateRoundData(recorded + 1, 3_100e8, requestedAt + 1, requestedAt - 5);
        ethFeed.updateRoundData(recorded + 2, 3_100e8, requestedAt + 1, requestedAt);
        assertEq(uint8(_status(id)), uint8(OrderStatus.Waiting));
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderNotReady.selector, id));
        vm.prank(keeper);
        engine.executeOrder(id);

        vm.warp(requestedAt + 2);
        setPrice(ETH, 3_050e18);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderExecuted(id, OrderKind.Close, keeper, recorded + 3, 3_050e18, 0);
        vm.prank(keeper);
        engine.executeOrder(id);
    }

    /// @dev Rule 2: an order executes while `now ≤ round.updatedAt + maxExecutionDelay`, and can be cancelled after.
    function test_executeOrder_onlyInsideTheWindowAfterItsRound() public {
        uint256 a = _openStandardLong();
        uint256 b = _open(bob, true, 1e18, 600 * USD);
        vm.prank(alice);
        engine.requestClose(a, 0, _deadline(), 0, alice);
        vm.prank(bob);
        engine.requestClose(b, 0, _deadline(), 0, bob);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        uint256 roundAt = block.timestamp;

        vm.warp(roundAt + MAX_EXECUTION_DELAY);
        assertEq(uint8(_status(a)), uint8(OrderStatus.Executable));
        vm.prank(keeper);
        engine.executeOrder(a);
        _assertDeleted(a);

        vm.warp(roundAt + MAX_EXECUTION_DELAY + 1);
        assertEq(uint8(_status(b)), uint8(OrderStatus.Cancellable));
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(b, OrderKind.Close, CancelReason.WindowMissed, carol, 0, 0);
        vm.prank(carol);
        engine.cancelOrder(b);
        assertEq(engine.position(b).size, 1e18);
    }

    /// @dev No round before the deadline: the order cannot be withdrawn until then, and is cancellable, with a full
    /// refund, from the first second after it. A round observed after the deadline does not revive it.
    function test_cancelOrder_whenNoRoundIsObservedBeforeTheDeadline() public {
        uint256 id = _openStandardLong();
        uint256 deadline = block.timestamp + 100;
        _requestCloseWithFee(id, 2 * USD, deadline);
        uint256 aliceBefore = usd.balanceOf(alice);

        vm.warp(deadline);
        assertEq(uint8(_status(id)), uint8(OrderStatus.Waiting));
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderStillExecutable.selector, id));
        engine.cancelOrder(id);

        vm.warp(deadline + 1);
        setPrice(ETH, ETH_PRICE); // observed after the deadline
        assertEq(uint8(_status(id)), uint8(OrderStatus.Cancellable));
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Close, CancelReason.Expired, carol, 2 * USD, 0);
        vm.prank(carol);
        engine.cancelOrder(id);
        assertEq(usd.balanceOf(alice), aliceBefore + 2 * USD);
        assertEq(engine.position(id).size, 1e18);
    }

    /// @dev Rule 1: once the proxy has moved to a newer phase, the old phase will never get the round: cancellable at
    /// once, full refund.
    function test_cancelOrder_whenTheFeedMovesToANewPhase() public {
        (uint256 marketId, MockAggregatorProxy feed) = _listBoundedMarket();
        uint256 id = _openOn(marketId, address(feed), alice, true, 1e18, 600 * USD);
        _requestCloseWithFee(id, 2 * USD, _deadline());
        uint256 aliceBefore = usd.balanceOf(alice);
        vm.warp(block.timestamp + 1);
        feed.startPhase(2, 3_000e8);
        assertEq(uint8(_status(id)), uint8(OrderStatus.Cancellable));
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Close, CancelReason.PhaseChanged, carol, 2 * USD, 0);
        vm.prank(carol);
        engine.cancelOrder(id);
        assertEq(usd.balanceOf(alice), aliceBefore + 2 * USD);
    }

    /// @dev Rule 1: a `getRoundData` that reverts for a round not yet written (FluxAggregator's "No data present")
    /// means "not yet", not a failure.
    function test_executeOrder_waitsWhen_theNextRoundCannotBeReadYet() public {
        (uint256 marketId, MockAggregatorProxy feed) = _listBoundedMarket();
        feed.setRevertOnMissingRound(true);
        uint256 id = _openOn(marketId, address(feed), alice, true, 1e18, 600 * USD);
        requestClose(id, alice);
        vm.warp(block.timestamp + 1);
        assertEq(uint8(_status(id)), uint8(OrderStatus.Waiting));
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderNotReady.selector, id));
        vm.prank(keeper);
        engine.executeOrder(id);

        uint80 round = feed.push(3_010e8);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderExecuted(id, OrderKind.Close, keeper, round, 3_010e18, 0);
        vm.prank(keeper);
        engine.executeOrder(id);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMockFeed} from "../utils/Artifacts.sol";
import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

import {IMarginEngine} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IOracleErrors} from "../../../contracts/interfaces/IOracleErrors.sol";
import {ChainlinkOracle} from "../../../contracts/libraries/ChainlinkOracle.sol";
import {GlobalParams, IRiskConfig, MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {UnitBase} from "./UnitBase.sol";

/// @dev The Chainlink adapter as the engine uses it: normalisation, staleness, non-positive answers, the L2 sequencer
/// and the grace period after an outage.
contract OracleTest is UnitBase {
    IMockFeed internal sequencer;

    function _listFeed(uint8 decimals, int256 answer) internal returns (uint256 marketId, IMockFeed feed) {
        feed = deployFeed(decimals, answer);
        MarketParams memory m = defaultMarketParams(address(feed));
        m.feedDecimals = decimals;
        vm.prank(governance);
        marketId = config.listMarket(m);
    }

    function _useSequencer(int256 status) internal {
        sequencer = deployFeed(0, status);
        vm.prank(governance);
        config.setSequencerFeed(AggregatorV3Interface(address(sequencer)));
    }

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
        (uint256 marketId, ) = _listFeed(18, 3_000.123456789012345678e18);
        assertEq(engine.indexPrice(marketId), 3_000.123456789012345678e18);
        uint256 id = openPosition(alice, marketId, true, 1e18, 600 * USD);
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
        uint256 updatedAt = block.timestamp;
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
        engine.open(ETH, true, 1e18, 600 * USD, type(uint256).max, block.timestamp);
        vm.expectRevert(err);
        vm.prank(alice);
        engine.increase(id, 0.1e18, 0, type(uint256).max, block.timestamp);
        vm.expectRevert(err);
        vm.prank(alice);
        engine.decrease(id, 0.1e18, 0, block.timestamp);
        vm.expectRevert(err);
        vm.prank(alice);
        engine.close(id, 0, block.timestamp);
        vm.expectRevert(err);
        vm.prank(alice);
        engine.removeMargin(id, 1);
        vm.expectRevert(err);
        vm.prank(keeper);
        engine.liquidate(id);
        vm.expectRevert(err);
        engine.liquidationResumesAt(ETH);
        vm.expectRevert(err);
        lens.equity(id);
        _assertUnchanged(before, id);

        _addMargin(id, 10 * USD);
        // The BTC market is unaffected.
        assertEq(engine.indexPrice(BTC), BTC_PRICE);
    }

    function test_read_revertsWhen_answerIsZero_everywhereButAddMargin() public {
        uint256 id = _weakLong();
        ethFeed.updateAnswer(0);
        bytes memory err = abi.encodeWithSelector(IOracleErrors.NonPositivePrice.selector, address(ethFeed), int256(0));
        vm.expectRevert(err);
        engine.indexPrice(ETH);
        _expectLiquidateReverts(id, err);
        vm.expectRevert(err);
        vm.prank(alice);
        engine.close(id, 0, block.timestamp);
        _addMargin(id, 10 * USD);
    }

    function test_read_revertsWhen_answerIsNegative_everywhereButAddMargin() public {
        uint256 id = _weakLong();
        ethFeed.updateAnswer(-1);
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
        engine.open(ETH, true, 1e18, 600 * USD, type(uint256).max, block.timestamp);
        _addMargin(id, 10 * USD);
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
        engine.open(ETH, true, 1e18, 600 * USD, type(uint256).max, block.timestamp);
        vm.expectRevert(err);
        vm.prank(alice);
        engine.increase(id, 0.1e18, 100 * USD, type(uint256).max, block.timestamp);
        vm.expectRevert(err);
        vm.prank(alice);
        engine.decrease(id, 0.1e18, 0, block.timestamp);
        vm.expectRevert(err);
        vm.prank(alice);
        engine.close(id, 0, block.timestamp);
        vm.expectRevert(err);
        vm.prank(alice);
        engine.removeMargin(id, 1);
        vm.expectRevert(err);
        vm.prank(keeper);
        engine.liquidate(id);
        vm.expectRevert(err);
        vm.prank(keeper);
        engine.liquidateBatch(_ids(id));
        _assertUnchanged(before, id);

        _addMargin(id, 10 * USD);
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
        _expectLiquidateReverts(
            id,
            abi.encodeWithSelector(IMarginEngine.LiquidationGracePeriod.selector, upSince + GRACE)
        );
        assertFalse(lens.liquidatable(_ids(id))[0]);
        _addMargin(id, 1 * USD);

        vm.warp(upSince + GRACE - 1);
        _expectLiquidateReverts(
            id,
            abi.encodeWithSelector(IMarginEngine.LiquidationGracePeriod.selector, upSince + GRACE)
        );

        vm.warp(upSince + GRACE);
        assertTrue(lens.liquidatable(_ids(id))[0]);
        _liquidate(id);
    }

    function test_close_worksDuringSequencerGracePeriod() public {
        uint256 id = _weakLong();
        _useSequencer(1);
        vm.warp(block.timestamp + 60);
        sequencer.updateAnswer(0);
        setPrice(ETH, 2_750e18);
        vm.prank(alice);
        engine.close(id, 0, block.timestamp);
        _assertDeleted(id);
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
        _expectLiquidateReverts(
            id,
            abi.encodeWithSelector(IMarginEngine.LiquidationGracePeriod.selector, back + GRACE)
        );
        assertFalse(lens.previewLiquidation(id).liquidatable);
        assertFalse(lens.liquidatable(_ids(id))[0]);
        _addMargin(id, 1 * USD);

        vm.warp(back + GRACE - 1);
        _expectLiquidateReverts(
            id,
            abi.encodeWithSelector(IMarginEngine.LiquidationGracePeriod.selector, back + GRACE)
        );

        vm.warp(back + GRACE);
        assertTrue(lens.previewLiquidation(id).liquidatable);
        _liquidate(id);
    }

    function test_close_worksDuringPriceOutageGracePeriod() public {
        uint256 id = _weakLong();
        vm.warp(block.timestamp + 2 hours);
        setPrice(ETH, 2_750e18);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.LiquidationGracePeriod.selector, block.timestamp + GRACE));
        vm.prank(keeper);
        engine.liquidate(id);
        vm.prank(alice);
        engine.close(id, 0, block.timestamp);
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
            abi.encodeWithSelector(IMarginEngine.NotLiquidatable.selector, id, int256(160 * USD - 74_201), 137_500_000)
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
            abi.encodeWithSelector(IMarginEngine.LiquidationGracePeriod.selector, block.timestamp + GRACE)
        );
    }

    function test_outageEndedAt_nonPositiveRoundIsAnOutage() public {
        uint256 id = _weakLong();
        vm.warp(block.timestamp + 100);
        ethFeed.updateAnswer(0);
        vm.warp(block.timestamp + 10);
        setPrice(ETH, 2_750e18);
        uint256 back = block.timestamp;
        _expectLiquidateReverts(
            id,
            abi.encodeWithSelector(IMarginEngine.LiquidationGracePeriod.selector, back + GRACE)
        );
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
        _expectLiquidateReverts(
            id,
            abi.encodeWithSelector(IMarginEngine.LiquidationGracePeriod.selector, back + GRACE)
        );
    }

    function test_outageEndedAt_findsOutageBehindTheMostRoundsInspectedLessOne() public {
        (uint256 id, uint256 back) = _outageThenRounds(ChainlinkOracle.MAX_ROUNDS_INSPECTED - 1);
        assertEq(engine.liquidationResumesAt(ETH), back + GRACE);
        _expectLiquidateReverts(
            id,
            abi.encodeWithSelector(IMarginEngine.LiquidationGracePeriod.selector, back + GRACE)
        );
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
}

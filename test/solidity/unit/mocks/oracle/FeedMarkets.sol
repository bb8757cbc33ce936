// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

import {MarketParams} from "../../../../../contracts/interfaces/IRiskConfig.sol";
import {IMockFeed} from "../../../utils/Artifacts.sol";
import {UnitBase} from "../../UnitBase.sol";
import {MockAggregatorProxy, MockBandAggregator} from "./MockAggregatorProxy.sol";

/// @dev Markets on feeds other than the fixture's two: listing them, trading on them (the fixture's helpers know only
/// ETH and BTC), an OCR2-style feed with an answer band, and the L2 sequencer-uptime feed.
abstract contract FeedMarkets is UnitBase {
    /// @dev The band of `_listBoundedMarket`'s aggregator, in 8-decimal answers: 100 to 10,000 USD.
    int192 internal constant BAND_MIN = 100e8;
    int192 internal constant BAND_MAX = 10_000e8;

    IMockFeed internal sequencer;

    /// @dev Lists a market on a new `MockV3Aggregator` of `decimals` answering `answer`.
    function _listFeed(uint8 decimals, int256 answer) internal returns (uint256 marketId, IMockFeed feed) {
        feed = deployFeed(decimals, answer);
        marketId = _listMarket(address(feed), decimals);
    }

    function _listMarket(address feed, uint8 decimals) internal returns (uint256 marketId) {
        MarketParams memory m = defaultMarketParams(feed);
        m.feedDecimals = decimals;
        vm.prank(governance);
        marketId = config.listMarket(m);
    }

    /// @dev Lists a market on a proxy whose aggregator clamps answers to [`BAND_MIN`, `BAND_MAX`], answering 3,000 USD.
    function _listBoundedMarket() internal returns (uint256 marketId, MockAggregatorProxy feed) {
        feed = new MockAggregatorProxy(8, 3_000e8);
        feed.setAggregator(address(new MockBandAggregator(BAND_MIN, BAND_MAX, true)));
        marketId = _listMarket(address(feed), 8);
    }

    /// @dev Opens a position on any market in the two steps: request (escrowing `collateral`, the keeper reserve and no
    /// execution fee), then a keeper executes it at a round one second later at the feed's current answer.
    function _openOn(
        uint256 marketId,
        address feed,
        address who,
        bool isLong,
        uint256 size,
        uint256 collateral
    ) internal returns (uint256 positionId) {
        fund(who, collateral + KEEPER_RESERVE);
        vm.prank(who);
        positionId = engine.requestOpen(
            marketId,
            isLong,
            size,
            collateral,
            isLong ? type(uint128).max : 0,
            block.timestamp + MAX_ORDER_WAIT,
            0
        );
        vm.warp(block.timestamp + 1);
        IMockFeed(feed).updateAnswer(IMockFeed(feed).latestAnswer());
        vm.prank(keeper);
        engine.executeOrder(positionId);
        require(engine.position(positionId).size == size, "FeedMarkets: open did not execute");
    }

    /// @dev Sets an L2 sequencer-uptime feed answering `status` (0 up, 1 down) since now.
    function _useSequencer(int256 status) internal {
        sequencer = deployFeed(0, status);
        vm.prank(governance);
        config.setSequencerFeed(AggregatorV3Interface(address(sequencer)));
    }
}

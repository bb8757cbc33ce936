// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

import {ChainlinkOracle} from "../../../contracts/libraries/ChainlinkOracle.sol";

/// @dev Exposes the internal `ChainlinkOracle` functions the engine uses as external ones, so tests call exactly the
/// code the engine inlines and can expect its reverts.
contract OracleHarness {
    function firstRoundAfter(
        AggregatorV3Interface feed,
        uint80 roundId,
        uint256 time
    ) external view returns (ChainlinkOracle.RoundSearch search, ChainlinkOracle.Round memory round) {
        return ChainlinkOracle.firstRoundAfter(feed, roundId, time);
    }

    function isGoodAnswer(AggregatorV3Interface feed, int256 answer) external view returns (bool) {
        return ChainlinkOracle.isGoodAnswer(feed, answer);
    }

    function answerBounds(AggregatorV3Interface feed) external view returns (bool, int192, int192) {
        return ChainlinkOracle.answerBounds(feed);
    }

    function read(
        AggregatorV3Interface feed,
        uint256 heartbeat,
        uint8 decimals
    ) external view returns (uint256 price, uint80 roundId, uint256 updatedAt) {
        return ChainlinkOracle.read(feed, heartbeat, decimals);
    }

    function tryRead(
        AggregatorV3Interface feed,
        uint256 heartbeat,
        uint8 decimals
    ) external view returns (bool ok, uint256 price, uint80 roundId, uint256 updatedAt) {
        return ChainlinkOracle.tryRead(feed, heartbeat, decimals);
    }
}

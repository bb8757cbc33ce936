// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

import {IOracleErrors} from "../interfaces/IOracleErrors.sol";

/// @title Chainlink oracle adapter
/// @notice Reads `AggregatorV3Interface` feeds and refuses bad prices: stale, non-positive, or read while the L2
/// sequencer is down. Prices are normalised to 18 decimals. Stateless: outages are recognised from the feeds' own
/// round history, so the grace period after one needs no keeper to have been watching.
library ChainlinkOracle {
    /// @dev At most this many past rounds are inspected when looking for a recent outage.
    uint256 internal constant MAX_ROUNDS_INSPECTED = 8;

    /// @notice The feed's latest answer as a WAD price.
    /// @return price USD WAD; positive.
    /// @return roundId The round read.
    /// @return updatedAt Its update time.
    function read(
        AggregatorV3Interface feed,
        uint256 heartbeat,
        uint8 decimals
    ) internal view returns (uint256 price, uint80 roundId, uint256 updatedAt) {
        int256 answer;
        (roundId, answer, , updatedAt, ) = feed.latestRoundData();
        if (answer <= 0) revert IOracleErrors.NonPositivePrice(address(feed), answer);
        if (updatedAt + heartbeat < block.timestamp) {
            revert IOracleErrors.StalePrice(address(feed), updatedAt, heartbeat);
        }
        price = normalize(uint256(answer), decimals);
    }

    /// @notice `read` that reports a bad price instead of reverting: `ok` is false for a non-positive or stale answer
    /// and for a feed that reverts.
    function tryRead(
        AggregatorV3Interface feed,
        uint256 heartbeat,
        uint8 decimals
    ) internal view returns (bool ok, uint256 price, uint80 roundId, uint256 updatedAt) {
        try feed.latestRoundData() returns (uint80 id, int256 answer, uint256, uint256 at, uint80) {
            if (answer <= 0 || at + heartbeat < block.timestamp) return (false, 0, id, at);
            return (true, normalize(uint256(answer), decimals), id, at);
        } catch {
            return (false, 0, 0, 0);
        }
    }

    /// @notice Reverts while the sequencer is down; returns when it last came up (zero without a feed).
    function sequencerUpSince(AggregatorV3Interface sequencerFeed) internal view returns (uint256) {
        if (address(sequencerFeed) == address(0)) return 0;
        (, int256 answer, uint256 startedAt, , ) = sequencerFeed.latestRoundData();
        // Chainlink's uptime feeds answer 0 for up and 1 for down; startedAt is when that status began.
        if (answer != 0) revert IOracleErrors.SequencerDown(address(sequencerFeed));
        return startedAt;
    }

    /// @notice When the most recent price outage ended: the update time of the first good round after a gap longer
    /// than the heartbeat or after a non-positive answer, looking only at rounds newer than `since`. Zero if none.
    /// @dev Inspects at most MAX_ROUNDS_INSPECTED rounds, so a liquidation's gas stays bounded; a round that cannot be
    /// read ends the search. An outage followed by more rounds than that within the window is not seen: this fails
    /// open on purpose, since a feed publishing that often is a fast market, where holding liquidations back would
    /// cost the pool more than the grace period saves owners.
    function outageEndedAt(
        AggregatorV3Interface feed,
        uint256 heartbeat,
        uint80 roundId,
        uint256 updatedAt,
        uint256 since
    ) internal view returns (uint256) {
        for (uint256 i; i < MAX_ROUNDS_INSPECTED && updatedAt > since && roundId > 1; ++i) {
            // roundId > 1, so no underflow.
            unchecked {
                --roundId;
            }
            try feed.getRoundData(roundId) returns (uint80, int256 answer, uint256, uint256 previousUpdatedAt, uint80) {
                if (previousUpdatedAt == 0) return 0;
                if (answer <= 0 || previousUpdatedAt + heartbeat < updatedAt) return updatedAt;
                updatedAt = previousUpdatedAt;
            } catch {
                return 0;
            }
        }
        return 0;
    }

    /// @notice Scales a feed answer to 18 decimals (rounding down when the feed has more than 18).
    function normalize(uint256 answer, uint8 decimals) internal pure returns (uint256) {
        if (decimals <= 18) return answer * 10 ** (18 - decimals);
        return answer / 10 ** (decimals - 18);
    }
}

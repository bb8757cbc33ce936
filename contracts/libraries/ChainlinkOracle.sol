// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

import {IOracleErrors} from "../interfaces/IOracleErrors.sol";

/// @dev The proxy's current aggregator.
interface IAggregatorProxy {
    function aggregator() external view returns (address);
}

/// @dev The answer band of an OCR2 aggregator: answers are clamped to it.
interface IOffchainAggregatorBounds {
    function minAnswer() external view returns (int192);
    function maxAnswer() external view returns (int192);
}

/// @title Chainlink oracle adapter
/// @notice Reads `AggregatorV3Interface` feeds and refuses bad prices: stale, non-positive, or read while the L2
/// sequencer is down. Prices are normalised to 18 decimals. Stateless: outages are recognised from the feeds' own
/// round history, so the grace period after one needs no keeper to have been watching.
library ChainlinkOracle {
    /// @dev At most this many past rounds are inspected when looking for a recent outage.
    uint256 internal constant MAX_ROUNDS_INSPECTED = 8;
    /// @dev At most this many rounds after an order's recorded round are read when looking for its execution round.
    uint256 internal constant MAX_ROUNDS_AHEAD = 8;

    /// @notice What the search for an order's execution round found.
    enum RoundSearch {
        /// @dev No round observed after the request yet (or it cannot be read yet).
        NotYet,
        /// @dev The execution round.
        Found,
        /// @dev The proxy moved to a newer phase first: the order can never execute.
        PhaseChanged
    }

    /// @notice A feed round as an order's execution round.
    struct Round {
        uint80 id;
        int256 answer;
        uint256 startedAt;
        uint256 updatedAt;
    }

    /// @notice The first round whose id is above `roundId` and whose observation time (`startedAt`, OCR2's
    /// observation timestamp) is strictly after `time`: the answer nobody could have seen when an order was requested
    /// at `time` with `roundId` the latest round. A read that reverts or has `updatedAt == 0` means "not yet".
    /// @dev The id is searched within `roundId`'s phase (ids are `phase << 64 | aggregator round`); a newer phase on
    /// the proxy is reported, since the old phase will never get the round.
    function firstRoundAfter(
        AggregatorV3Interface feed,
        uint80 roundId,
        uint256 time
    ) internal view returns (RoundSearch search, Round memory round) {
        uint80 id = roundId;
        for (uint256 i; i < MAX_ROUNDS_AHEAD; ++i) {
            // Round ids are uint80 and grow by one per round: no overflow before 2^80 rounds.
            unchecked {
                ++id;
            }
            try feed.getRoundData(id) returns (uint80, int256 answer, uint256 startedAt, uint256 updatedAt, uint80) {
                if (updatedAt == 0) break;
                if (startedAt > time) return (RoundSearch.Found, Round(id, answer, startedAt, updatedAt));
            } catch {
                break;
            }
        }
        try feed.latestRoundData() returns (uint80 latest, int256, uint256, uint256, uint80) {
            if (latest >> 64 > roundId >> 64) search = RoundSearch.PhaseChanged;
        } catch {}
    }

    /// @notice Whether `answer` is a good price: positive and strictly inside the aggregator's `minAnswer` /
    /// `maxAnswer` band when the feed exposes one (an OCR2 aggregator clamps to the band, so an answer on it is not
    /// the market's).
    function isGoodAnswer(AggregatorV3Interface feed, int256 answer) internal view returns (bool) {
        if (answer <= 0) return false;
        (bool bounded, int192 minAnswer, int192 maxAnswer) = answerBounds(feed);
        return !bounded || (answer > minAnswer && answer < maxAnswer);
    }

    /// @notice The `minAnswer` / `maxAnswer` band of the aggregator behind a proxy, if both can be read.
    function answerBounds(
        AggregatorV3Interface feed
    ) internal view returns (bool bounded, int192 minAnswer, int192 maxAnswer) {
        address aggregator = address(feed);
        try IAggregatorProxy(address(feed)).aggregator() returns (address current) {
            aggregator = current;
        } catch {}
        try IOffchainAggregatorBounds(aggregator).minAnswer() returns (int192 min_) {
            try IOffchainAggregatorBounds(aggregator).maxAnswer() returns (int192 max_) {
                return (true, min_, max_);
            } catch {}
        } catch {}
    }

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
        if (!isGoodAnswer(feed, answer)) revert IOracleErrors.AnswerAtBound(address(feed), answer);
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
            if (at + heartbeat < block.timestamp || !isGoodAnswer(feed, answer)) return (false, 0, id, at);
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

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// @dev The answer band of an OCR2 aggregator (`minAnswer` / `maxAnswer`), as a Chainlink proxy's `aggregator()`
/// exposes it. `maxAnswer` can be switched off to model an aggregator that exposes only half of the band.
contract MockBandAggregator {
    int192 public immutable minAnswer;
    int192 internal immutable _max;
    bool internal immutable _hasMax;

    constructor(int192 min_, int192 max_, bool hasMax) {
        minAnswer = min_;
        _max = max_;
        _hasMax = hasMax;
    }

    function maxAnswer() external view returns (int192) {
        require(_hasMax, "no maxAnswer");
        return _max;
    }
}

/// @dev A Chainlink proxy as the oracle adapter reads it: explicit round history (answer, `startedAt`, `updatedAt`),
/// round ids that carry the phase in their top bits (`phase << 64 | aggregator round`), the aggregator behind it (for
/// the answer band), and switches that make reads revert the way real feeds can.
contract MockAggregatorProxy is AggregatorV3Interface {
    struct Round {
        int256 answer;
        uint256 startedAt;
        uint256 updatedAt;
    }

    uint8 public immutable decimals;
    uint80 public latestId;
    /// @dev Returned by `aggregator()`; zero makes `aggregator()` revert (a feed that is not a proxy).
    address public aggregatorAddress;
    /// @dev `getRoundData` of a round never written reverts (FluxAggregator, "No data present") instead of answering
    /// zeros (OCR2).
    bool public revertOnMissingRound;
    bool public latestReverts;
    mapping(uint80 roundId => Round) internal _rounds;

    constructor(uint8 decimals_, int256 answer) {
        decimals = decimals_;
        latestId = uint80(1) << 64; // phase 1, round 0: the first push is round 1 of phase 1
        push(answer);
    }

    // ------------------------------------------------------------ driving it

    /// @dev Publishes the next round of the current phase, observed and updated now.
    function push(int256 answer) public returns (uint80 id) {
        id = latestId + 1;
        setRound(id, answer, block.timestamp, block.timestamp);
    }

    /// @dev Writes a round; it becomes the latest if its id is above the latest.
    function setRound(uint80 id, int256 answer, uint256 startedAt, uint256 updatedAt) public {
        _rounds[id] = Round(answer, startedAt, updatedAt);
        if (id > latestId) latestId = id;
    }

    /// @dev Moves the proxy to a new phase whose first round answers `answer` now.
    function startPhase(uint16 phase, int256 answer) external returns (uint80 id) {
        id = (uint80(phase) << 64) | 1;
        setRound(id, answer, block.timestamp, block.timestamp);
    }

    /// @dev `IMockFeed.updateAnswer`, so helpers written for `MockV3Aggregator` drive this feed too.
    function updateAnswer(int256 answer) external {
        push(answer);
    }

    function latestAnswer() external view returns (int256) {
        return _rounds[latestId].answer;
    }

    function setAggregator(address aggregator_) external {
        aggregatorAddress = aggregator_;
    }

    function setRevertOnMissingRound(bool on) external {
        revertOnMissingRound = on;
    }

    function setLatestReverts(bool on) external {
        latestReverts = on;
    }

    // ------------------------------------------------------------ AggregatorV3Interface and the proxy's aggregator()

    function aggregator() external view returns (address) {
        require(aggregatorAddress != address(0), "not a proxy");
        return aggregatorAddress;
    }

    function description() external pure returns (string memory) {
        return "MockAggregatorProxy";
    }

    function version() external pure returns (uint256) {
        return 6;
    }

    function getRoundData(uint80 id) external view returns (uint80, int256, uint256, uint256, uint80) {
        Round memory r = _rounds[id];
        if (r.updatedAt == 0 && revertOnMissingRound) revert("No data present");
        return (id, r.answer, r.startedAt, r.updatedAt, id);
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        require(!latestReverts, "feed down");
        Round memory r = _rounds[latestId];
        return (latestId, r.answer, r.startedAt, r.updatedAt, latestId);
    }
}

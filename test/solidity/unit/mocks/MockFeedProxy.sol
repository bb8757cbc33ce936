// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// @dev The answer band of an OCR2 aggregator (`minAnswer` / `maxAnswer`): an answer on it is a clamped one.
contract MockBandAggregator {
    int192 public immutable minAnswer;
    int192 public immutable maxAnswer;

    constructor(int192 minAnswer_, int192 maxAnswer_) {
        minAnswer = minAnswer_;
        maxAnswer = maxAnswer_;
    }
}

/// @dev A Chainlink proxy as the engine sees one: round ids are `phase << 64 | aggregator round`, `aggregator()` names
/// the current aggregator, and reading a round without data reverts (as the real proxy does when its aggregator has
/// none). `newPhase` moves the proxy to a new aggregator, whose rounds start again at 1. `setBroken` makes every read
/// revert (a feed that cannot answer).
contract MockFeedProxy is AggregatorV3Interface {
    struct RoundData {
        int256 answer;
        uint256 startedAt;
        uint256 updatedAt;
        bool exists;
    }

    uint8 public immutable decimals;
    address public aggregator;
    uint16 public phaseId = 1;
    uint64 public aggregatorRound;
    bool public broken;

    mapping(uint80 roundId => RoundData) internal _rounds;

    constructor(uint8 decimals_, int256 answer, address aggregator_) {
        decimals = decimals_;
        aggregator = aggregator_;
        pushRound(answer);
    }

    /// @dev A new round observed and updated now.
    function pushRound(int256 answer) public returns (uint80) {
        return pushRoundAt(answer, block.timestamp, block.timestamp);
    }

    function pushRoundAt(int256 answer, uint256 startedAt, uint256 updatedAt) public returns (uint80 roundId) {
        roundId = (uint80(phaseId) << 64) | ++aggregatorRound;
        _rounds[roundId] = RoundData(answer, startedAt, updatedAt, true);
    }

    /// @dev The proxy switches to a new aggregator (phase); its first round is published now.
    function newPhase(int256 answer, address aggregator_) external returns (uint80) {
        ++phaseId;
        aggregatorRound = 0;
        aggregator = aggregator_;
        return pushRound(answer);
    }

    function setBroken(bool broken_) external {
        broken = broken_;
    }

    function latestRoundId() public view returns (uint80) {
        return (uint80(phaseId) << 64) | aggregatorRound;
    }

    function getRoundData(uint80 roundId) public view returns (uint80, int256, uint256, uint256, uint80) {
        RoundData memory r = _rounds[roundId];
        require(!broken && r.exists, "No data present");
        return (roundId, r.answer, r.startedAt, r.updatedAt, roundId);
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return getRoundData(latestRoundId());
    }

    function description() external pure returns (string memory) {
        return "MockFeedProxy";
    }

    function version() external pure returns (uint256) {
        return 4;
    }
}

/// @dev An aggregator without an answer band (calls to `minAnswer` / `maxAnswer` revert), as behind most test feeds.
contract MockPlainAggregator {}

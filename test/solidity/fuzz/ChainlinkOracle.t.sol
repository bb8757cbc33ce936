// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

import {ChainlinkOracle} from "../../../contracts/libraries/ChainlinkOracle.sol";
import {IMarginEngineBase} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IOracleErrors} from "../../../contracts/interfaces/IOracleErrors.sol";
import {MockAggregatorProxy, MockBandAggregator} from "../unit/mocks/oracle/MockAggregatorProxy.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {OracleHarness} from "./OracleHarness.sol";
import {PositionMathHarness} from "./PositionMathHarness.sol";
import {Wide} from "./utils/Wide.sol";

/// @notice Fuzzes the Chainlink adapter: `normalize` against exact scaling, `read` (through the engine) against the
/// staleness and sign rules, the aggregator's answer band, the search for an order's execution round
/// (`firstRoundAfter`, SPEC rule 1) and the post-outage liquidation grace period.
contract ChainlinkOracleFuzzTest is BaseTest {
    uint256 internal constant HEARTBEAT = 3600;
    uint256 internal constant GRACE = 600;

    PositionMathHarness internal h;
    OracleHarness internal oracle;

    function setUp() public override {
        super.setUp();
        h = new PositionMathHarness();
        oracle = new OracleHarness();
    }

    // ================================================================ normalize

    /// @dev Feeds of at most 18 decimals scale up exactly; reverts rather than wraps when the WAD price overflows.
    function testFuzz_normalize_scalesUpExactly(uint256 answer, uint8 decimals) public {
        decimals = uint8(_bound(decimals, 0, 18));
        answer = _bound(answer, 1, uint256(type(int256).max));
        uint256 factor = 10 ** (18 - decimals);
        (uint256 hi, uint256 lo) = Wide.mul(answer, factor);
        if (hi != 0) {
            vm.expectRevert();
            h.normalize(answer, decimals);
            return;
        }
        assertEq(h.normalize(answer, decimals), lo);
    }

    /// @dev Feeds of more than 18 decimals (up to the 36 the risk bounds allow) scale down, rounding down.
    function testFuzz_normalize_scalesDownRoundingDown(uint256 answer, uint8 decimals) public view {
        decimals = uint8(_bound(decimals, 19, 36));
        answer = _bound(answer, 1, uint256(type(int256).max));
        uint256 price = h.normalize(answer, decimals);
        assertTrue(Wide.isFloorOf(price, answer, 1, 10 ** (decimals - 18)), "normalize not floor");
    }

    function testFuzz_normalize_roundTripsWholePrices(uint256 price, uint8 decimals) public view {
        decimals = uint8(_bound(decimals, 0, 36));
        price = _bound(price, 1, 1e30) * 1e18; // whole USD amounts: exact at every precision
        uint256 answer = decimals <= 18 ? price / 10 ** (18 - decimals) : price * 10 ** (decimals - 18);
        assertEq(h.normalize(answer, decimals), price);
    }

    // ================================================================ read

    /// @dev Non-positive answers and answers older than the heartbeat are refused with the documented errors;
    /// anything else is the answer scaled to WAD.
    function testFuzz_read_refusesNonPositiveAndStaleAnswers(int256 answer, uint256 age) public {
        answer = _bound(answer, -1e30, 1e30);
        age = _bound(age, 0, 3 * HEARTBEAT);
        uint256 updatedAt = block.timestamp - age;
        ethFeed.updateRoundData(2, answer, updatedAt, updatedAt);

        if (answer <= 0) {
            vm.expectRevert(abi.encodeWithSelector(IOracleErrors.NonPositivePrice.selector, address(ethFeed), answer));
        } else if (updatedAt + HEARTBEAT < block.timestamp) {
            vm.expectRevert(
                abi.encodeWithSelector(IOracleErrors.StalePrice.selector, address(ethFeed), updatedAt, HEARTBEAT)
            );
        }
        uint256 price = engine.indexPrice(ETH);
        if (answer > 0 && updatedAt + HEARTBEAT >= block.timestamp) assertEq(price, uint256(answer) * 1e10);
    }

    // ================================================================ answer band

    /// @dev A proxy answering `answer`, with an aggregator clamping to [min, max] behind it when `bounded`.
    function _proxy(int256 answer, bool bounded, int192 min, int192 max) internal returns (MockAggregatorProxy p) {
        p = new MockAggregatorProxy(8, answer);
        if (bounded) p.setAggregator(address(new MockBandAggregator(min, max, true)));
    }

    /// @dev Good iff positive and, when the aggregator exposes a band, strictly inside it.
    function testFuzz_isGoodAnswer_positiveAndStrictlyInsideTheBand(
        int256 answer,
        int192 min,
        int192 max,
        bool bounded
    ) public {
        MockAggregatorProxy p = _proxy(1, bounded, min, max);
        bool expected = answer > 0 && (!bounded || (answer > min && answer < max));
        assertEq(oracle.isGoodAnswer(AggregatorV3Interface(address(p)), answer), expected);
    }

    /// @dev `read` refuses a non-positive answer first, then an answer on or outside the band; `tryRead` agrees.
    function testFuzz_read_refusesAnswersOnTheBand(int256 answer, int192 min, int192 max) public {
        answer = _bound(answer, -1e30, 1e30);
        min = int192(_bound(min, 1, 1e20));
        max = int192(_bound(max, min, 1e21));
        // Often exactly on an end of the band, where the aggregator clamps.
        if (uint256(answer) % 3 == 0) answer = min;
        else if (uint256(answer) % 3 == 1) answer = max;
        MockAggregatorProxy p = _proxy(answer, true, min, max);
        AggregatorV3Interface feed = AggregatorV3Interface(address(p));

        (bool ok, uint256 tried, , ) = oracle.tryRead(feed, HEARTBEAT, 8);
        if (answer <= 0) {
            vm.expectRevert(abi.encodeWithSelector(IOracleErrors.NonPositivePrice.selector, address(p), answer));
        } else if (answer <= min || answer >= max) {
            vm.expectRevert(abi.encodeWithSelector(IOracleErrors.AnswerAtBound.selector, address(p), answer));
        }
        (uint256 price, , ) = oracle.read(feed, HEARTBEAT, 8);
        bool good = answer > min && answer < max;
        assertEq(ok, good, "tryRead disagrees with read");
        if (good) {
            assertEq(price, uint256(answer) * 1e10);
            assertEq(tried, price);
        }
    }

    function test_answerBounds_readsTheAggregatorBehindTheProxy() public {
        MockAggregatorProxy p = _proxy(3_000e8, true, 100e8, 10_000e8);
        (bool bounded, int192 min, int192 max) = oracle.answerBounds(AggregatorV3Interface(address(p)));
        assertTrue(bounded);
        assertEq(min, 100e8);
        assertEq(max, 10_000e8);
    }

    /// @dev A feed that is itself an OCR2 aggregator (no `aggregator()`) is asked directly.
    function test_answerBounds_readsTheFeedItselfWhenItIsNoProxy() public {
        MockBandAggregator a = new MockBandAggregator(100e8, 10_000e8, true);
        (bool bounded, int192 min, int192 max) = oracle.answerBounds(AggregatorV3Interface(address(a)));
        assertTrue(bounded);
        assertEq(min, 100e8);
        assertEq(max, 10_000e8);
    }

    /// @dev Without both ends of a band (a `MockV3Aggregator`, an aggregator with only `minAnswer`) there is no band.
    function test_answerBounds_noneWithoutBothEnds() public {
        (bool bounded, , ) = oracle.answerBounds(AggregatorV3Interface(address(ethFeed)));
        assertFalse(bounded, "MockV3Aggregator");
        MockAggregatorProxy p = new MockAggregatorProxy(8, 3_000e8);
        (bounded, , ) = oracle.answerBounds(AggregatorV3Interface(address(p)));
        assertFalse(bounded, "proxy without aggregator");
        p.setAggregator(address(new MockBandAggregator(100e8, 10_000e8, false)));
        (bounded, , ) = oracle.answerBounds(AggregatorV3Interface(address(p)));
        assertFalse(bounded, "aggregator without maxAnswer");
        assertTrue(oracle.isGoodAnswer(AggregatorV3Interface(address(p)), 1), "an unbounded feed refuses a price");
    }

    // ================================================================ firstRoundAfter

    /// @dev Writes `count` rounds after the proxy's latest, observed at `time − 5 + [0, 10]` each (seeded), leaving
    /// round `hole` (1-based; 0 for none) unwritten. Returns the recorded round and the observation times.
    function _history(
        MockAggregatorProxy p,
        uint256 seed,
        uint256 count,
        uint256 hole,
        uint256 time
    ) internal returns (uint80 recorded, uint256[] memory startedAt) {
        recorded = p.latestId();
        startedAt = new uint256[](count + 1);
        for (uint256 i = 1; i <= count; ++i) {
            startedAt[i] = time - 5 + (uint256(keccak256(abi.encode(seed, i))) % 11);
            if (i == hole) continue;
            p.setRound(recorded + uint80(i), int256(3_000e8 + i), startedAt[i], startedAt[i] + 1);
        }
    }

    /// @dev The search returns the first round above the recorded one observed strictly after `time`, among the next
    /// MAX_ROUNDS_AHEAD; a round not written yet ends it ("not yet").
    function testFuzz_firstRoundAfter_findsTheFirstRoundObservedAfterTheRequest(
        uint256 seed,
        uint256 count,
        uint256 hole
    ) public {
        count = _bound(count, 0, 12);
        hole = _bound(hole, 0, count + 1);
        vm.warp(block.timestamp + 1 hours);
        uint256 time = block.timestamp - 10;
        MockAggregatorProxy p = new MockAggregatorProxy(8, 3_000e8);
        (uint80 recorded, uint256[] memory startedAt) = _history(p, seed, count, hole, time);

        uint256 expected;
        for (uint256 i = 1; i <= count && i <= ChainlinkOracle.MAX_ROUNDS_AHEAD && i != hole; ++i) {
            if (startedAt[i] > time) {
                expected = i;
                break;
            }
        }
        (ChainlinkOracle.RoundSearch search, ChainlinkOracle.Round memory r) = oracle.firstRoundAfter(
            AggregatorV3Interface(address(p)),
            recorded,
            time
        );
        if (expected == 0) {
            assertEq(uint8(search), uint8(ChainlinkOracle.RoundSearch.NotYet));
            return;
        }
        assertEq(uint8(search), uint8(ChainlinkOracle.RoundSearch.Found));
        assertEq(r.id, recorded + expected);
        assertEq(r.answer, int256(3_000e8 + expected));
        assertEq(r.startedAt, startedAt[expected]);
        assertEq(r.updatedAt, startedAt[expected] + 1);
    }

    /// @dev Documented limit: rounds observed in the request's own second count against MAX_ROUNDS_AHEAD; the round
    /// after that many is not seen, and the order waits for its deadline.
    function test_firstRoundAfter_looksAtMostMaxRoundsAhead() public {
        MockAggregatorProxy p = new MockAggregatorProxy(8, 3_000e8);
        uint80 recorded = p.latestId();
        uint256 time = block.timestamp;
        uint256 n = ChainlinkOracle.MAX_ROUNDS_AHEAD;
        for (uint256 i = 1; i < n; ++i) p.setRound(recorded + uint80(i), 3_000e8, time, time);
        p.setRound(recorded + uint80(n), 3_001e8, time + 1, time + 1);
        (ChainlinkOracle.RoundSearch search, ChainlinkOracle.Round memory r) = oracle.firstRoundAfter(
            AggregatorV3Interface(address(p)),
            recorded,
            time
        );
        assertEq(uint8(search), uint8(ChainlinkOracle.RoundSearch.Found));
        assertEq(r.id, recorded + n);

        p.setRound(recorded + uint80(n), 3_000e8, time, time);
        p.setRound(recorded + uint80(n + 1), 3_001e8, time + 1, time + 1);
        (search, ) = oracle.firstRoundAfter(AggregatorV3Interface(address(p)), recorded, time);
        assertEq(uint8(search), uint8(ChainlinkOracle.RoundSearch.NotYet));
    }

    /// @dev The recorded round itself is never the execution round, whatever its times say.
    function test_firstRoundAfter_startsAboveTheRecordedRound() public {
        MockAggregatorProxy p = new MockAggregatorProxy(8, 3_000e8);
        uint80 recorded = p.latestId();
        p.setRound(recorded, 3_000e8, block.timestamp + 10, block.timestamp + 10);
        (ChainlinkOracle.RoundSearch search, ) = oracle.firstRoundAfter(
            AggregatorV3Interface(address(p)),
            recorded,
            block.timestamp
        );
        assertEq(uint8(search), uint8(ChainlinkOracle.RoundSearch.NotYet));
    }

    /// @dev A newer phase on the proxy means the recorded phase will never get the round; a round already found in
    /// the recorded phase still counts.
    function test_firstRoundAfter_reportsAPhaseChange() public {
        MockAggregatorProxy p = new MockAggregatorProxy(8, 3_000e8);
        uint80 recorded = p.latestId();
        uint256 time = block.timestamp;
        vm.warp(time + 1);
        p.startPhase(2, 3_000e8);
        (ChainlinkOracle.RoundSearch search, ) = oracle.firstRoundAfter(
            AggregatorV3Interface(address(p)),
            recorded,
            time
        );
        assertEq(uint8(search), uint8(ChainlinkOracle.RoundSearch.PhaseChanged));

        p.setRound(recorded + 1, 3_001e8, time + 1, time + 1);
        ChainlinkOracle.Round memory r;
        (search, r) = oracle.firstRoundAfter(AggregatorV3Interface(address(p)), recorded, time);
        assertEq(uint8(search), uint8(ChainlinkOracle.RoundSearch.Found));
        assertEq(r.id, recorded + 1);
    }

    /// @dev Reads that revert mean "not yet": a missing round (FluxAggregator) or a latest read that fails.
    function test_firstRoundAfter_revertingReadsAreNotYet() public {
        MockAggregatorProxy p = new MockAggregatorProxy(8, 3_000e8);
        uint80 recorded = p.latestId();
        p.setRevertOnMissingRound(true);
        p.setLatestReverts(true);
        (ChainlinkOracle.RoundSearch search, ) = oracle.firstRoundAfter(
            AggregatorV3Interface(address(p)),
            recorded,
            block.timestamp
        );
        assertEq(uint8(search), uint8(ChainlinkOracle.RoundSearch.NotYet));
    }

    // ================================================================ post-outage grace

    /// @dev Opens a 10× long and lets the ETH feed go silent for longer than its heartbeat, then come back with a price
    /// that makes the position liquidatable. Returns the position id and the time the feed came back.
    function _outageThenLiquidatable() internal returns (uint256 id, uint256 backAt) {
        id = openPosition(alice, ETH, true, 10e18, 3_000 * USD);
        vm.warp(block.timestamp + HEARTBEAT + 1 hours);
        setPrice(ETH, 2_750e18);
        setPrice(BTC, BTC_PRICE);
        backAt = block.timestamp;
    }

    /// @dev Price updates after the outage do not end the grace period early, as long as the look-back reaches the
    /// outage: up to MAX_ROUNDS_INSPECTED − 1 rounds after the first good one.
    function testFuzz_grace_holdsWhileTheLookBackReachesTheOutage(uint256 rounds, uint256 elapsed) public {
        (uint256 id, uint256 backAt) = _outageThenLiquidatable();
        rounds = _bound(rounds, 0, ChainlinkOracle.MAX_ROUNDS_INSPECTED - 1);
        elapsed = _bound(elapsed, rounds, GRACE - 1);
        _roundsAfter(backAt, rounds, elapsed);
        assertEq(engine.liquidationResumesAt(ETH), backAt + GRACE, "grace period cut short");
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.GracePeriod.selector, backAt + GRACE));
        vm.prank(keeper);
        engine.liquidate(id);
    }

    /// @dev The look-back is bounded so a liquidation's gas is: once more rounds than it inspects have been published
    /// since the outage, it no longer sees the outage and liquidations resume. This fails open on purpose: a feed
    /// publishing that often is a fast market, where blocking liquidations would cost the pool more than the grace
    /// period saves owners. Pinned here so that changing it is a decision.
    function testFuzz_grace_endsOnceTheOutageIsBeyondTheLookBack(uint256 rounds, uint256 elapsed) public {
        (uint256 id, uint256 backAt) = _outageThenLiquidatable();
        rounds = _bound(rounds, ChainlinkOracle.MAX_ROUNDS_INSPECTED, 24);
        elapsed = _bound(elapsed, rounds, GRACE - 1);
        _roundsAfter(backAt, rounds, elapsed);
        assertLe(engine.liquidationResumesAt(ETH), block.timestamp, "liquidations still held");
        vm.prank(keeper);
        engine.liquidate(id);
        assertEq(engine.position(id).owner, address(0), "not liquidated");
    }

    /// @dev `rounds` ETH price updates spread over `elapsed` seconds after `backAt`, each still liquidating the
    /// position; ends at `backAt + elapsed`.
    function _roundsAfter(uint256 backAt, uint256 rounds, uint256 elapsed) internal {
        for (uint256 i; i < rounds; ++i) {
            vm.warp(backAt + (elapsed * (i + 1)) / rounds);
            setPrice(ETH, 2_750e18 - (i + 1) * 1e18);
        }
        vm.warp(backAt + elapsed);
    }
}

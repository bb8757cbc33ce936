// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";

import {IMockFeed} from "../utils/Artifacts.sol";
import {IMarginEngine} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IRiskConfig, MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {UnitBase} from "./UnitBase.sol";

/// @notice Rule 17: a market whose feed has been bad (stale or non-positive) for longer than DEAD_FEED_PERIOD can be
/// put into settlement by governance, at its last good answer; the engine then refuses new risk and closes,
/// decreases, liquidates and values positions at that price. (Increase and decrease in settlement: Increase.t.sol,
/// Decrease.t.sol.)
contract SettleMarketTest is UnitBase {
    uint256 internal id; // alice long 1 ETH at 3,000 with 600 USD
    uint256 internal weak; // bob long 1 ETH at 3,000 with 310 USD: liquidatable at 2,750
    uint256 internal t0;

    function setUp() public override {
        super.setUp();
        _governLpAndSettlement();
        id = _openStandardLong();
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

    function test_open_revertsWhen_marketInSettlement() public {
        _settleEth();
        fund(carol, 2_000 * USD);
        uint256 next = engine.nextPositionId();
        Snapshot memory before = _snapshot(next);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.MarketInSettlement.selector, ETH));
        vm.prank(carol);
        engine.open(ETH, true, 1e18, 600 * USD, type(uint256).max, block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.MarketInSettlement.selector, ETH));
        vm.prank(carol);
        engine.open(ETH, false, 1e18, 600 * USD, 0, block.timestamp);
        _assertUnchanged(before, next);
        // Other markets trade on.
        uint256 btcId = openPosition(carol, BTC, true, 0.1e18, 600 * USD);
        assertEq(engine.position(btcId).owner, carol);
    }

    function test_close_worksAtTheSettlementPrice() public {
        _settleEth();
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 poolBefore = usd.balanceOf(address(pool));
        // Loss 250 USD; borrow fee for the 3 days + 1 h the feed took to die; closing fee 0.1 % × 2,750.
        uint256 fees = _borrowFee(1e18, ETH_PRICE, RATE * (HEARTBEAT + DEAD_FEED_PERIOD)) + 2_750_000;
        uint256 payout = 605 * USD - 250 * USD - fees;
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionClosed(id, alice, 2_750e18, -int256(250 * USD), fees, payout, 0);
        vm.prank(alice);
        engine.close(id, 0, block.timestamp);
        _assertDeleted(id);
        assertEq(usd.balanceOf(alice), aliceBefore + payout);
        assertEq(usd.balanceOf(address(pool)), poolBefore + 250 * USD + fees);
    }

    /// @dev No grace period applies in settlement: the dead feed will not come back.
    function test_liquidate_worksAtTheSettlementPrice() public {
        _settleEth();
        assertEq(engine.liquidationResumesAt(ETH), 0);
        assertEq(engine.indexPrice(ETH), 2_750e18);
        vm.prank(keeper);
        engine.liquidate(weak);
        _assertDeleted(weak);
        // Keeper reserve + 1 % × 2,750.
        assertEq(usd.balanceOf(keeper), 5 * USD + 27_500_000);
    }

    function test_addMargin_worksInSettlement() public {
        _settleEth();
        fund(alice, 100 * USD);
        vm.prank(alice);
        engine.addMargin(id, 100 * USD);
        assertEq(engine.position(id).collateral, 700 * USD);
        assertEq(vaultBalance(id), 705 * USD);
    }
}

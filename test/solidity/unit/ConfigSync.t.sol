// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

import {IMockFeed} from "../utils/Artifacts.sol";
import {IMarginEngine, IMarginEngineBase} from "../../../contracts/interfaces/IMarginEngine.sol";
import {GlobalParams, IRiskConfig, MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {UnitBase} from "./UnitBase.sol";

/// @notice The engine reads its own copy of the risk configuration (SPEC §3: parameters cached in the engine). The
/// copy must equal the configuration after every change governance or the guardian can make, before and after the
/// engine is bound, and a sync by anyone can only copy.
contract ConfigSyncTest is UnitBase {
    /// @dev The engine's copy of every listed market equals the configuration's, and so does the market count.
    function _assertCopied(IMarginEngine e, IRiskConfig cfg) internal view {
        assertEq(e.marketCount(), cfg.marketCount(), "market count");
        for (uint256 i; i < cfg.marketCount(); ++i) {
            (
                MarketParams memory m,
                GlobalParams memory g,
                AggregatorV3Interface seq,
                bool paused,
                uint256 settled
            ) = cfg.tradingConfig(i);
            (
                MarketParams memory cm,
                GlobalParams memory cg,
                AggregatorV3Interface cseq,
                bool cpaused,
                uint256 csettled
            ) = e.tradingConfig(i);
            assertEq(keccak256(abi.encode(cm)), keccak256(abi.encode(m)), "market parameters");
            assertEq(keccak256(abi.encode(cg)), keccak256(abi.encode(g)), "global parameters");
            assertEq(address(cseq), address(seq), "sequencer feed");
            assertEq(cpaused, paused, "pause flag");
            assertEq(csettled, settled, "settlement price");
        }
    }

    function test_bindEngine_copiesTheConfiguration() public view {
        _assertCopied(engine, config);
    }

    function test_listMarket_reachesTheEngine() public {
        IMockFeed feed = deployFeed(8, 100e8);
        vm.prank(governance);
        uint256 marketId = config.listMarket(defaultMarketParams(address(feed)));
        assertEq(engine.marketCount(), 3);
        _assertCopied(engine, config);
        assertEq(engine.indexPrice(marketId), 100e18, "the new market trades at once");
    }

    function test_setMarketParams_reachesTheEngine() public {
        MarketParams memory p = _params(ETH);
        p.imr = 0.2e18;
        p.mmr = 0.1e18;
        p.maxOpenInterestLong = 1e24;
        _setMarket(ETH, p);
        _assertCopied(engine, config);
        (MarketParams memory copied, , , , ) = engine.tradingConfig(ETH);
        assertEq(copied.imr, 0.2e18);
    }

    function test_setGlobalParams_reachesTheEngine() public {
        GlobalParams memory g = config.globalParams();
        g.keeperReserve = uint80(7 * USD);
        g.liquidationGracePeriod = 300;
        _setGlobal(g);
        _assertCopied(engine, config);
        (, GlobalParams memory copied, , , ) = engine.tradingConfig(BTC);
        assertEq(copied.keeperReserve, 7 * USD);
    }

    function test_setSequencerFeed_reachesTheEngine() public {
        IMockFeed sequencer = deployFeed(0, 0);
        vm.prank(governance);
        config.setSequencerFeed(AggregatorV3Interface(address(sequencer)));
        _assertCopied(engine, config);
        vm.prank(governance);
        config.setSequencerFeed(AggregatorV3Interface(address(0)));
        _assertCopied(engine, config);
    }

    function test_pauseAndUnpause_reachTheEngine() public {
        _pause();
        _assertCopied(engine, config);
        vm.expectRevert(IMarginEngineBase.Paused.selector);
        vm.prank(alice);
        engine.requestOpen(ETH, true, 1e18, 600 * USD, type(uint256).max, block.timestamp + 1 hours, 1 * USD);

        vm.prank(guardian);
        config.unpause();
        _assertCopied(engine, config);
        _openStandardLong();
    }

    function test_settleMarket_reachesTheEngine() public {
        uint256 price = _settleEth();
        _assertCopied(engine, config);
        (, , , , uint256 settlement) = engine.tradingConfig(ETH);
        assertEq(settlement, price);
        assertEq(engine.indexPrice(ETH), price, "the engine trades at the settlement price");
    }

    /// @dev An engine built on a configuration that already lists markets copies them in its constructor; what the
    /// configuration changes before it is bound reaches the engine when it is bound.
    function test_constructorAndBinding_copyWhatWasSetBefore() public {
        IRiskConfig fresh = deployRiskConfig(address(manager), address(usd), defaultGlobalParams());
        fresh.listMarket(defaultMarketParams(address(ethFeed))); // the admin holds every role nobody was given
        IMarginEngine e = deployEngine(address(usd), address(pool), address(insurance), address(fresh));
        _assertCopied(e, fresh);

        fresh.listMarket(defaultMarketParams(address(btcFeed)));
        MarketParams memory p = defaultMarketParams(address(ethFeed));
        p.imr = 0.2e18;
        fresh.setMarketParams(0, p);
        fresh.pause();
        assertEq(e.marketCount(), 1, "copied before binding");
        vm.expectRevert(abi.encodeWithSelector(IRiskConfig.UnknownMarket.selector, 1));
        e.tradingConfig(1);

        fresh.bindEngine(address(e));
        _assertCopied(e, fresh);
    }

    /// @dev Anyone may sync: it copies the engine's own configuration, whoever calls (a configuration bound to the
    /// engine by mistake included), and changes nothing else.
    function test_sync_byAnyone_onlyCopies() public {
        uint256 id = _openStandardLong();
        vm.warp(block.timestamp + 1 days);
        uint256 indexBefore = engine.borrowIndex(ETH, true);
        bytes32 positionBefore = keccak256(abi.encode(engine.position(id)));

        vm.startPrank(alice);
        engine.syncMarket(ETH);
        engine.syncMarket(BTC);
        engine.syncGlobal();
        vm.stopPrank();
        _assertCopied(engine, config);
        assertEq(engine.borrowIndex(ETH, true), indexBefore, "sync moved the index");
        assertEq(keccak256(abi.encode(engine.position(id))), positionBefore, "sync touched a position");

        IRiskConfig other = deployRiskConfig(address(manager), address(usd), defaultGlobalParams());
        other.pause();
        other.bindEngine(address(engine)); // pushes to an engine that copies from its own configuration only
        _assertCopied(engine, config);
        (, , , bool paused_, ) = engine.tradingConfig(ETH);
        assertFalse(paused_);
    }

    function test_syncMarket_revertsWhen_marketUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IRiskConfig.UnknownMarket.selector, 2));
        engine.syncMarket(2);
        vm.expectRevert(abi.encodeWithSelector(IRiskConfig.UnknownMarket.selector, 2));
        engine.tradingConfig(2);
        assertEq(engine.marketCount(), 2);
    }
}

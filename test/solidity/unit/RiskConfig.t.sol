// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMockFeed} from "../utils/Artifacts.sol";
import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {IEngineBound} from "../../../contracts/interfaces/IEngineBound.sol";
import {IMarginEngineBase, Order} from "../../../contracts/interfaces/IMarginEngine.sol";
import {GlobalParams, IRiskConfig, LpParams, MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {IRiskConfig} from "../../../contracts/interfaces/IRiskConfig.sol";
import {UnitBase} from "./UnitBase.sol";

contract Decimals19 {
    function decimals() external pure returns (uint8) {
        return 19;
    }
}

contract RiskConfigTest is UnitBase {
    /// @dev 1e18 / 31,536,000, rounded down.
    uint256 internal constant MAX_BORROW_RATE = 31_709_791_983;
    /// @dev 0.01e18 / 31,536,000, rounded down: every reservation pays LPs at least 1 % a year (rule 8).
    uint256 internal constant MIN_BORROW_RATE = 317_097_919;

    // ------------------------------------------------------------ helpers

    function _hash(MarketParams memory p) internal pure returns (bytes32) {
        return keccak256(abi.encode(p));
    }

    function _hash(GlobalParams memory p) internal pure returns (bytes32) {
        return keccak256(abi.encode(p));
    }

    /// @dev `p` is accepted by both `setMarketParams` and `listMarket`, stored as given, with its events.
    function _assertMarketAccepted(MarketParams memory p) internal {
        vm.expectEmit(address(config));
        emit IRiskConfig.MarketParamsUpdated(ETH, p);
        _setMarket(ETH, p);
        assertEq(_hash(config.marketParams(ETH)), _hash(p), "stored by setMarketParams");

        uint256 next = config.marketCount();
        vm.expectEmit(address(config));
        emit IRiskConfig.MarketListed(next, p);
        vm.prank(governance);
        uint256 marketId = config.listMarket(p);
        assertEq(marketId, next);
        assertEq(config.marketCount(), next + 1);
        assertEq(_hash(config.marketParams(marketId)), _hash(p), "stored by listMarket");
    }

    /// @dev `p` is refused by both setters with exactly this error, and nothing changes.
    function _assertMarketRejected(
        MarketParams memory p,
        bytes32 name,
        uint256 value,
        uint256 min,
        uint256 max
    ) internal {
        bytes memory err = abi.encodeWithSelector(IRiskConfig.ParameterOutOfBounds.selector, name, value, min, max);
        bytes32 before = _hash(config.marketParams(ETH));
        uint256 count = config.marketCount();

        vm.expectRevert(err);
        vm.prank(governance);
        config.setMarketParams(ETH, p);
        vm.expectRevert(err);
        vm.prank(governance);
        config.listMarket(p);

        assertEq(_hash(config.marketParams(ETH)), before, "params changed");
        assertEq(config.marketCount(), count, "market listed");
    }

    function _assertGlobalAccepted(GlobalParams memory g) internal {
        vm.expectEmit(address(config));
        emit IRiskConfig.GlobalParamsUpdated(g);
        _setGlobal(g);
        assertEq(_hash(config.globalParams()), _hash(g));
    }

    function _assertGlobalRejected(
        GlobalParams memory g,
        bytes32 name,
        uint256 value,
        uint256 min,
        uint256 max
    ) internal {
        bytes32 before = _hash(config.globalParams());
        vm.expectRevert(abi.encodeWithSelector(IRiskConfig.ParameterOutOfBounds.selector, name, value, min, max));
        vm.prank(governance);
        config.setGlobalParams(g);
        assertEq(_hash(config.globalParams()), before, "params changed");
    }

    function _market() internal view returns (MarketParams memory) {
        return defaultMarketParams(address(ethFeed));
    }

    // ------------------------------------------------------------ market parameter bounds

    function test_setMarketParams_feedMustBeAContract() public {
        MarketParams memory p = _market();
        p.feed = IMockFeed(address(0xdead));
        _assertMarketRejected(p, "feed", 0xdead, 1, type(uint160).max);
        p.feed = IMockFeed(address(0));
        _assertMarketRejected(p, "feed", 0, 1, type(uint160).max);
    }

    function test_setMarketParams_heartbeatBounds() public {
        MarketParams memory p = _market();
        // An order must be able to wait a whole heartbeat: the longest wait, so every heartbeat below is allowed.
        p.maxOrderWait = 2 days + 1 hours;
        p.heartbeat = 59;
        _assertMarketRejected(p, "heartbeat", 59, 60, 2 days);
        p.heartbeat = 60;
        _assertMarketAccepted(p);
        p.heartbeat = 2 days;
        _assertMarketAccepted(p);
        p.heartbeat = 2 days + 1;
        _assertMarketRejected(p, "heartbeat", 2 days + 1, 60, 2 days);
    }

    function test_setMarketParams_feedDecimalsMustMatchTheFeed() public {
        MarketParams memory p = _market();
        p.feedDecimals = 7;
        _assertMarketRejected(p, "feedDecimals", 7, 8, 8);
        p.feedDecimals = 8;
        _assertMarketAccepted(p);
        p.feedDecimals = 9;
        _assertMarketRejected(p, "feedDecimals", 9, 8, 8);
    }

    function test_setMarketParams_imrBounds() public {
        MarketParams memory p = _market();
        p.mmr = 0.005e18;
        p.imr = 0.01e18 - 1;
        _assertMarketRejected(p, "imr", 0.01e18 - 1, 0.01e18, 1e18);
        p.imr = 0.01e18; // 100× maximum leverage
        _assertMarketAccepted(p);
        p.imr = 1e18; // 1×
        _assertMarketAccepted(p);
        p.imr = 1e18 + 1;
        _assertMarketRejected(p, "imr", 1e18 + 1, 0.01e18, 1e18);
    }

    function test_setMarketParams_mmrBounds_belowImr() public {
        MarketParams memory p = _market(); // imr 10 %
        p.mmr = 0.005e18 - 1;
        _assertMarketRejected(p, "mmr", 0.005e18 - 1, 0.005e18, 0.1e18 - 1);
        p.mmr = 0.005e18;
        _assertMarketAccepted(p);
        p.mmr = 0.1e18 - 1;
        _assertMarketAccepted(p);
        p.mmr = 0.1e18; // equal to imr: a fresh position could be liquidatable
        _assertMarketRejected(p, "mmr", 0.1e18, 0.005e18, 0.1e18 - 1);
    }

    function test_setMarketParams_mmrBounds_atMost25Percent() public {
        MarketParams memory p = _market();
        p.imr = 1e18;
        p.mmr = 0.25e18;
        _assertMarketAccepted(p);
        p.mmr = 0.25e18 + 1;
        _assertMarketRejected(p, "mmr", 0.25e18 + 1, 0.005e18, 0.25e18);
    }

    function test_setMarketParams_liqFeeRatioBounds() public {
        MarketParams memory p = _market();
        p.liqFeeRatio = 0;
        _assertMarketAccepted(p);
        p.liqFeeRatio = 0.05e18;
        _assertMarketAccepted(p);
        p.liqFeeRatio = 0.05e18 + 1;
        _assertMarketRejected(p, "liqFeeRatio", 0.05e18 + 1, 0, 0.05e18);
    }

    function test_setMarketParams_liqPenaltyRatioBounds() public {
        MarketParams memory p = _market();
        p.liqPenaltyRatio = 0;
        _assertMarketAccepted(p);
        p.liqPenaltyRatio = 0.05e18;
        _assertMarketAccepted(p);
        p.liqPenaltyRatio = 0.05e18 + 1;
        _assertMarketRejected(p, "liqPenaltyRatio", 0.05e18 + 1, 0, 0.05e18);
    }

    function test_setMarketParams_openFeeRatioBounds() public {
        MarketParams memory p = _market();
        p.openFeeRatio = 0;
        _assertMarketAccepted(p);
        p.openFeeRatio = 0.01e18;
        _assertMarketAccepted(p);
        p.openFeeRatio = 0.01e18 + 1;
        _assertMarketRejected(p, "openFeeRatio", 0.01e18 + 1, 0, 0.01e18);
    }

    function test_setMarketParams_closeFeeRatioBounds() public {
        MarketParams memory p = _market();
        p.closeFeeRatio = 0;
        _assertMarketAccepted(p);
        p.closeFeeRatio = 0.01e18;
        _assertMarketAccepted(p);
        p.closeFeeRatio = 0.01e18 + 1;
        _assertMarketRejected(p, "closeFeeRatio", 0.01e18 + 1, 0, 0.01e18);
    }

    function test_setMarketParams_maxProfitRatioBounds() public {
        MarketParams memory p = _market();
        p.maxProfitRatio = 0.1e18 - 1;
        _assertMarketRejected(p, "maxProfitRatio", 0.1e18 - 1, 0.1e18, 10e18);
        p.maxProfitRatio = 0.1e18;
        _assertMarketAccepted(p);
        p.maxProfitRatio = 10e18;
        _assertMarketAccepted(p);
        p.maxProfitRatio = 10e18 + 1;
        _assertMarketRejected(p, "maxProfitRatio", 10e18 + 1, 0.1e18, 10e18);
    }

    /// @dev Rule 8: a cap never exceeds the position's notional.
    function test_setMarketParams_maxProfitNotionalRatioBounds() public {
        MarketParams memory p = _market();
        p.maxProfitNotionalRatio = 0.01e18 - 1;
        _assertMarketRejected(p, "maxProfitNotionalRatio", 0.01e18 - 1, 0.01e18, 1e18);
        p.maxProfitNotionalRatio = 0.01e18;
        _assertMarketAccepted(p);
        p.maxProfitNotionalRatio = 1e18;
        _assertMarketAccepted(p);
        p.maxProfitNotionalRatio = 1e18 + 1;
        _assertMarketRejected(p, "maxProfitNotionalRatio", 1e18 + 1, 0.01e18, 1e18);
    }

    function test_setMarketParams_borrowRateLongBounds() public {
        MarketParams memory p = _market();
        p.borrowRateLong = 0;
        _assertMarketRejected(p, "borrowRateLong", 0, MIN_BORROW_RATE, MAX_BORROW_RATE);
        p.borrowRateLong = uint64(MIN_BORROW_RATE - 1);
        _assertMarketRejected(p, "borrowRateLong", MIN_BORROW_RATE - 1, MIN_BORROW_RATE, MAX_BORROW_RATE);
        p.borrowRateLong = uint64(MIN_BORROW_RATE);
        _assertMarketAccepted(p);
        p.borrowRateLong = uint64(MAX_BORROW_RATE); // 100 % a year
        _assertMarketAccepted(p);
        p.borrowRateLong = uint64(MAX_BORROW_RATE + 1);
        _assertMarketRejected(p, "borrowRateLong", MAX_BORROW_RATE + 1, MIN_BORROW_RATE, MAX_BORROW_RATE);
    }

    function test_setMarketParams_borrowRateShortBounds() public {
        MarketParams memory p = _market();
        p.borrowRateShort = 0;
        _assertMarketRejected(p, "borrowRateShort", 0, MIN_BORROW_RATE, MAX_BORROW_RATE);
        p.borrowRateShort = uint64(MIN_BORROW_RATE - 1);
        _assertMarketRejected(p, "borrowRateShort", MIN_BORROW_RATE - 1, MIN_BORROW_RATE, MAX_BORROW_RATE);
        p.borrowRateShort = uint64(MIN_BORROW_RATE);
        _assertMarketAccepted(p);
        p.borrowRateShort = uint64(MAX_BORROW_RATE);
        _assertMarketAccepted(p);
        p.borrowRateShort = uint64(MAX_BORROW_RATE + 1);
        _assertMarketRejected(p, "borrowRateShort", MAX_BORROW_RATE + 1, MIN_BORROW_RATE, MAX_BORROW_RATE);
    }

    /// @dev An order waits at most `maxOrderWait` for its round: at least the feed's heartbeat (a calm push feed
    /// publishes only then) and at most the longest heartbeat plus an hour.
    function test_setMarketParams_maxOrderWaitBounds() public {
        MarketParams memory p = _market(); // heartbeat 3,600 s
        p.maxOrderWait = 3_600 - 1;
        _assertMarketRejected(p, "maxOrderWait", 3_600 - 1, 3_600, 2 days + 1 hours);
        p.maxOrderWait = 3_600;
        _assertMarketAccepted(p);
        p.maxOrderWait = 2 days + 1 hours;
        _assertMarketAccepted(p);
        p.maxOrderWait = 2 days + 1 hours + 1;
        _assertMarketRejected(p, "maxOrderWait", 2 days + 1 hours + 1, 3_600, 2 days + 1 hours);
        p.maxOrderWait = 0;
        _assertMarketRejected(p, "maxOrderWait", 0, 3_600, 2 days + 1 hours);
    }

    /// @dev The floor follows the heartbeat, and is at least a minute.
    function test_setMarketParams_maxOrderWaitAtLeastTheHeartbeat() public {
        MarketParams memory p = _market();
        p.heartbeat = 60;
        p.maxOrderWait = 59;
        _assertMarketRejected(p, "maxOrderWait", 59, 60, 2 days + 1 hours);
        p.maxOrderWait = 60;
        _assertMarketAccepted(p);
        p.heartbeat = 2 days;
        p.maxOrderWait = 2 days - 1;
        _assertMarketRejected(p, "maxOrderWait", 2 days - 1, 2 days, 2 days + 1 hours);
        p.maxOrderWait = 2 days;
        _assertMarketAccepted(p);
    }

    /// @dev A new `maxOrderWait` caps the deadline of the next request (the engine reads the configuration).
    function test_setMarketParams_maxOrderWaitCapsLaterOrders() public {
        MarketParams memory p = _market();
        p.maxOrderWait = 2 days + 1 hours;
        _setMarket(ETH, p);
        uint256 id = requestOpen(alice, ETH, true, 1e18, 600 * USD); // asks for now + 3,660 s
        (Order memory o, ) = engine.orders(id);
        assertEq(o.deadline, block.timestamp + MAX_ORDER_WAIT, "the caller's deadline is kept below the cap");

        p.maxOrderWait = 3_600;
        _setMarket(ETH, p);
        id = requestOpen(bob, ETH, true, 1e18, 600 * USD);
        (o, ) = engine.orders(id);
        assertEq(o.deadline, block.timestamp + 3_600, "the deadline is not capped at the new wait");
    }

    /// @dev The open-interest caps have no hard-coded bound (the spec asks for one on every parameter).
    function test_setMarketParams_openInterestCapsAreUnbounded() public {
        MarketParams memory p = _market();
        p.maxOpenInterestLong = 0;
        p.maxOpenInterestShort = type(uint128).max;
        _assertMarketAccepted(p);
    }

    function test_setMarketParams_revertsWhen_marketUnknown() public {
        MarketParams memory p = _market();
        vm.expectRevert(abi.encodeWithSelector(IRiskConfig.UnknownMarket.selector, 2));
        vm.prank(governance);
        config.setMarketParams(2, p);
        assertEq(config.marketCount(), 2);
    }

    function test_marketParams_revertsWhen_marketUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IRiskConfig.UnknownMarket.selector, 2));
        config.marketParams(2);
        vm.expectRevert(abi.encodeWithSelector(IRiskConfig.UnknownMarket.selector, 2));
        config.tradingConfig(2);
        vm.expectRevert(abi.encodeWithSelector(IRiskConfig.UnknownMarket.selector, 2));
        engine.indexPrice(2);
        vm.expectRevert(abi.encodeWithSelector(IRiskConfig.UnknownMarket.selector, 2));
        engine.accrue(2);
    }

    function test_setMarketParams_accruesBorrowFeesAtTheOldRateFirst() public {
        _openStandardLong();
        vm.warp(block.timestamp + 1 days);
        MarketParams memory p = _market();
        p.borrowRateLong = uint64(MIN_BORROW_RATE);
        _setMarket(ETH, p);
        vm.warp(block.timestamp + 1 days);
        // Longs: one day at the old rate, then one at the minimum. Shorts: two days at the unchanged rate.
        assertEq(engine.borrowIndex(ETH, true), RATE * 1 days + MIN_BORROW_RATE * 1 days);
        assertEq(engine.borrowIndex(ETH, false), RATE * 2 days);
    }

    function test_setMarketParams_worksBeforeTheEngineIsBound() public {
        IRiskConfig fresh = deployRiskConfig(address(manager), address(usd), defaultGlobalParams());
        fresh.listMarket(_market()); // the admin may call every function no role was given on this target
        MarketParams memory p = _market();
        p.borrowRateLong = uint64(MIN_BORROW_RATE);
        fresh.setMarketParams(0, p);
        assertEq(fresh.marketParams(0).borrowRateLong, MIN_BORROW_RATE);
    }

    function test_listMarket_revertsWhen_tooManyMarkets() public {
        MarketParams memory p = _market();
        vm.startPrank(governance);
        for (uint256 i = 2; i < 32; ++i) assertEq(config.listMarket(p), i);
        vm.expectRevert(IRiskConfig.TooManyMarkets.selector);
        config.listMarket(p);
        vm.stopPrank();
        assertEq(config.marketCount(), 32);
        assertEq(engine.marketCount(), 32);
    }

    // ------------------------------------------------------------ global parameter bounds

    function test_setGlobalParams_minCollateralBounds() public {
        GlobalParams memory g = defaultGlobalParams();
        g.minCollateral = 0;
        _assertGlobalRejected(g, "minCollateral", 0, 1 * USD, 1_000_000 * USD);
        g.minCollateral = uint80(1 * USD - 1);
        _assertGlobalRejected(g, "minCollateral", 1 * USD - 1, 1 * USD, 1_000_000 * USD);
        g.minCollateral = uint80(1 * USD);
        _assertGlobalAccepted(g);
        g.minCollateral = uint80(1_000_000 * USD);
        _assertGlobalAccepted(g);
        g.minCollateral = uint80(1_000_000 * USD + 1);
        _assertGlobalRejected(g, "minCollateral", 1_000_000 * USD + 1, 1 * USD, 1_000_000 * USD);
    }

    function test_setGlobalParams_keeperReserveBounds() public {
        GlobalParams memory g = defaultGlobalParams();
        g.keeperReserve = 0;
        _assertGlobalRejected(g, "keeperReserve", 0, 0.1e6, 1_000 * USD);
        g.keeperReserve = 0.1e6 - 1;
        _assertGlobalRejected(g, "keeperReserve", 0.1e6 - 1, 0.1e6, 1_000 * USD);
        g.keeperReserve = 0.1e6; // 0.1 USD
        _assertGlobalAccepted(g);
        g.keeperReserve = uint80(1_000 * USD);
        _assertGlobalAccepted(g);
        g.keeperReserve = uint80(1_000 * USD + 1);
        _assertGlobalRejected(g, "keeperReserve", 1_000 * USD + 1, 0.1e6, 1_000 * USD);
    }

    function test_setGlobalParams_maxUtilizationBounds() public {
        GlobalParams memory g = defaultGlobalParams();
        g.maxUtilization = 0.01e18 - 1;
        _assertGlobalRejected(g, "maxUtilization", 0.01e18 - 1, 0.01e18, 10e18);
        g.maxUtilization = 0.01e18;
        _assertGlobalAccepted(g);
        g.maxUtilization = 10e18;
        _assertGlobalAccepted(g);
        g.maxUtilization = 10e18 + 1;
        _assertGlobalRejected(g, "maxUtilization", 10e18 + 1, 0.01e18, 10e18);
    }

    function test_setGlobalParams_liquidationGracePeriodBounds() public {
        GlobalParams memory g = defaultGlobalParams();
        g.liquidationGracePeriod = 0;
        _assertGlobalAccepted(g);
        g.liquidationGracePeriod = 1 hours;
        _assertGlobalAccepted(g);
        g.liquidationGracePeriod = 1 hours + 1;
        _assertGlobalRejected(g, "liquidationGracePeriod", 1 hours + 1, 0, 1 hours);
    }

    function test_setGlobalParams_minNotionalBounds() public {
        GlobalParams memory g = defaultGlobalParams();
        g.minNotional = uint80(10 * USD - 1);
        _assertGlobalRejected(g, "minNotional", 10 * USD - 1, 10 * USD, 10_000_000 * USD);
        g.minNotional = uint80(10 * USD);
        _assertGlobalAccepted(g);
        g.minNotional = uint80(10_000_000 * USD);
        _assertGlobalAccepted(g);
        g.minNotional = uint80(10_000_000 * USD + 1);
        _assertGlobalRejected(g, "minNotional", 10_000_000 * USD + 1, 10 * USD, 10_000_000 * USD);
    }

    /// @dev Rule 2: an order executes within 15 s to 5 min of its round's update.
    function test_setGlobalParams_maxExecutionDelayBounds() public {
        GlobalParams memory g = defaultGlobalParams();
        g.maxExecutionDelay = 0;
        _assertGlobalRejected(g, "maxExecutionDelay", 0, 15, 300);
        g.maxExecutionDelay = 14;
        _assertGlobalRejected(g, "maxExecutionDelay", 14, 15, 300);
        g.maxExecutionDelay = 15;
        _assertGlobalAccepted(g);
        g.maxExecutionDelay = 300;
        _assertGlobalAccepted(g);
        g.maxExecutionDelay = 301;
        _assertGlobalRejected(g, "maxExecutionDelay", 301, 15, 300);
    }

    /// @dev Rule 3: a minimum execution fee, at most 100 USD.
    function test_setGlobalParams_minExecutionFeeBounds() public {
        GlobalParams memory g = defaultGlobalParams();
        g.minExecutionFee = 0;
        _assertGlobalAccepted(g);
        g.minExecutionFee = uint80(100 * USD);
        _assertGlobalAccepted(g);
        g.minExecutionFee = uint80(100 * USD + 1);
        _assertGlobalRejected(g, "minExecutionFee", 100 * USD + 1, 0, 100 * USD);
    }

    /// @dev A new minimum execution fee applies to the next request.
    function test_setGlobalParams_minExecutionFeeAppliesToLaterOrders() public {
        uint256 id = _openStandardLong();
        GlobalParams memory g = defaultGlobalParams();
        g.minExecutionFee = uint80(1 * USD);
        _setGlobal(g);
        Snapshot memory before = _snapshot(id);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.ExecutionFeeTooLow.selector, 1 * USD - 1, 1 * USD));
        vm.prank(alice);
        engine.requestClose(id, 0, _deadline(), 1 * USD - 1, alice);
        _assertUnchanged(before, id);

        fund(alice, 1 * USD);
        vm.prank(alice);
        engine.requestClose(id, 0, _deadline(), 1 * USD, alice);
        (, Order memory close) = engine.orders(id);
        assertEq(close.executionFee, 1 * USD);
    }

    // ------------------------------------------------------------ LP parameter bounds

    function _hash(LpParams memory p) internal pure returns (bytes32) {
        return keccak256(abi.encode(p));
    }

    function _assertLpAccepted(LpParams memory p) internal {
        _governLpAndSettlement();
        vm.expectEmit(address(config));
        emit IRiskConfig.LpParamsUpdated(p);
        vm.prank(governance);
        config.setLpParams(p);
        assertEq(_hash(config.lpParams()), _hash(p));
    }

    function _assertLpRejected(LpParams memory p, bytes32 name, uint256 value, uint256 min, uint256 max) internal {
        _governLpAndSettlement();
        bytes32 before = _hash(config.lpParams());
        vm.expectRevert(abi.encodeWithSelector(IRiskConfig.ParameterOutOfBounds.selector, name, value, min, max));
        vm.prank(governance);
        config.setLpParams(p);
        assertEq(_hash(config.lpParams()), before, "params changed");
    }

    function test_setLpParams_lpDelayBounds() public {
        LpParams memory p = defaultLpParams();
        p.lpDelay = 59;
        _assertLpRejected(p, "lpDelay", 59, 1 minutes, 1 days);
        p.lpDelay = 1 minutes;
        _assertLpAccepted(p);
        p.lpDelay = 1 days;
        _assertLpAccepted(p);
        p.lpDelay = 1 days + 1;
        _assertLpRejected(p, "lpDelay", 1 days + 1, 1 minutes, 1 days);
    }

    function test_setLpParams_lpSettleBounds() public {
        LpParams memory p = defaultLpParams();
        p.lpSettle = 0;
        _assertLpRejected(p, "lpSettle", 0, 1, 1 hours);
        p.lpSettle = 1;
        _assertLpAccepted(p);
        p.lpSettle = 1 hours;
        _assertLpAccepted(p);
        p.lpSettle = 1 hours + 1;
        _assertLpRejected(p, "lpSettle", 1 hours + 1, 1, 1 hours);
    }

    function test_setLpParams_lpResumeBounds() public {
        LpParams memory p = defaultLpParams();
        p.lpResume = 0;
        _assertLpAccepted(p);
        p.lpResume = 1 days;
        _assertLpAccepted(p);
        p.lpResume = 1 days + 1;
        _assertLpRejected(p, "lpResume", 1 days + 1, 0, 1 days);
    }

    function test_setLpParams_minRequestBounds() public {
        LpParams memory p = defaultLpParams();
        p.minRequest = uint80(1 * USD - 1);
        _assertLpRejected(p, "minRequest", 1 * USD - 1, 1 * USD, 1_000_000 * USD);
        p.minRequest = uint80(1 * USD);
        _assertLpAccepted(p);
        p.minRequest = uint80(1_000_000 * USD);
        _assertLpAccepted(p);
        p.minRequest = uint80(1_000_000 * USD + 1);
        _assertLpRejected(p, "minRequest", 1_000_000 * USD + 1, 1 * USD, 1_000_000 * USD);
    }

    function test_setLpParams_executionFeeBounds() public {
        LpParams memory p = defaultLpParams();
        p.minRequest = uint80(1_000 * USD);
        p.executionFee = 0;
        _assertLpAccepted(p);
        p.executionFee = uint80(100 * USD);
        _assertLpAccepted(p);
        p.executionFee = uint80(100 * USD + 1);
        _assertLpRejected(p, "executionFee", 100 * USD + 1, 0, 100 * USD);
    }

    /// @dev The fee comes out of the request: it can never exceed the smallest request.
    /// @dev Every request buys something: the fee that comes out of it is below the smallest one.
    function test_setLpParams_executionFeeBelowMinRequest() public {
        LpParams memory p = defaultLpParams(); // minRequest 10 USD
        p.executionFee = uint80(MIN_REQUEST - 1);
        _assertLpAccepted(p);
        p.executionFee = uint80(MIN_REQUEST);
        _assertLpRejected(p, "executionFee", MIN_REQUEST, 0, MIN_REQUEST - 1);
    }

    function test_setLpParams_revertsWhen_callerLacksTheGovernanceRole() public {
        _governLpAndSettlement();
        LpParams memory p = defaultLpParams();
        p.lpDelay = 1 hours;
        bytes32 before = _hash(config.lpParams());
        address[3] memory callers = [guardian, alice, address(this)];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, callers[i]));
            vm.prank(callers[i]);
            config.setLpParams(p);
        }
        assertEq(_hash(config.lpParams()), before);
    }

    function test_constructor_checksTheLpParams() public {
        LpParams memory p = defaultLpParams();
        p.lpSettle = 0;
        vm.expectRevert(
            abi.encodeWithSelector(IRiskConfig.ParameterOutOfBounds.selector, bytes32("lpSettle"), 0, 1, 1 hours)
        );
        deployRiskConfig(address(manager), address(usd), defaultGlobalParams(), p);
    }

    function test_constructor_checksTheGlobalParams() public {
        GlobalParams memory g = defaultGlobalParams();
        g.maxUtilization = 0;
        vm.expectRevert(
            abi.encodeWithSelector(
                IRiskConfig.ParameterOutOfBounds.selector,
                bytes32("maxUtilization"),
                0,
                0.01e18,
                10e18
            )
        );
        deployRiskConfig(address(manager), address(usd), g);
    }

    function test_constructor_checksTheOrderParams() public {
        GlobalParams memory g = defaultGlobalParams();
        g.maxExecutionDelay = 301;
        vm.expectRevert(
            abi.encodeWithSelector(
                IRiskConfig.ParameterOutOfBounds.selector,
                bytes32("maxExecutionDelay"),
                301,
                15,
                300
            )
        );
        deployRiskConfig(address(manager), address(usd), g);
    }

    function test_constructor_revertsWhen_assetHasMoreThan18Decimals() public {
        Decimals19 token = new Decimals19();
        vm.expectRevert(
            abi.encodeWithSelector(IRiskConfig.ParameterOutOfBounds.selector, bytes32("assetDecimals"), 19, 0, 18)
        );
        deployRiskConfig(address(manager), address(token), defaultGlobalParams());
    }

    // ------------------------------------------------------------ sequencer feed

    function test_setSequencerFeed_acceptsAContractOrZero() public {
        IMockFeed feed = deployFeed(0, 0);
        vm.expectEmit(address(config));
        emit IRiskConfig.SequencerFeedUpdated(address(feed));
        vm.prank(governance);
        config.setSequencerFeed(AggregatorV3Interface(address(feed)));
        assertEq(address(config.sequencerFeed()), address(feed));

        vm.expectEmit(address(config));
        emit IRiskConfig.SequencerFeedUpdated(address(0));
        vm.prank(governance);
        config.setSequencerFeed(AggregatorV3Interface(address(0)));
        assertEq(address(config.sequencerFeed()), address(0));
    }

    function test_setSequencerFeed_revertsWhen_notAContract() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IRiskConfig.ParameterOutOfBounds.selector,
                bytes32("sequencerFeed"),
                uint160(alice),
                0,
                0
            )
        );
        vm.prank(governance);
        config.setSequencerFeed(AggregatorV3Interface(alice));
        assertEq(address(config.sequencerFeed()), address(0));
    }

    // ------------------------------------------------------------ roles

    function test_setters_revertWhen_callerLacksTheGovernanceRole() public {
        address[3] memory callers = [guardian, alice, address(this)];
        MarketParams memory p = _market();
        GlobalParams memory g = defaultGlobalParams();
        bytes32 marketsBefore = _hash(config.marketParams(ETH));
        bytes32 globalBefore = _hash(config.globalParams());
        for (uint256 i; i < callers.length; ++i) {
            bytes memory err = abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, callers[i]);
            vm.expectRevert(err);
            vm.prank(callers[i]);
            config.listMarket(p);
            vm.expectRevert(err);
            vm.prank(callers[i]);
            config.setMarketParams(ETH, p);
            vm.expectRevert(err);
            vm.prank(callers[i]);
            config.setGlobalParams(g);
            vm.expectRevert(err);
            vm.prank(callers[i]);
            config.setSequencerFeed(AggregatorV3Interface(address(ethFeed)));
        }
        assertEq(config.marketCount(), 2);
        assertEq(_hash(config.marketParams(ETH)), marketsBefore);
        assertEq(_hash(config.globalParams()), globalBefore);
        assertEq(address(config.sequencerFeed()), address(0));
    }

    function test_pause_byGuardian() public {
        vm.expectEmit(address(config));
        emit Pausable.Paused(guardian);
        vm.prank(guardian);
        config.pause();
        assertTrue(config.paused());
        (, , , bool paused_, ) = config.tradingConfig(ETH);
        assertTrue(paused_);

        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(guardian);
        config.pause();
    }

    function test_unpause_byGuardian() public {
        _pause();
        vm.expectEmit(address(config));
        emit Pausable.Unpaused(guardian);
        vm.prank(guardian);
        config.unpause();
        assertFalse(config.paused());

        vm.expectRevert(Pausable.ExpectedPause.selector);
        vm.prank(guardian);
        config.unpause();
    }

    function test_pause_revertsWhen_callerIsNotTheGuardian() public {
        address[3] memory callers = [governance, alice, address(this)];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, callers[i]));
            vm.prank(callers[i]);
            config.pause();
        }
        assertFalse(config.paused());
        _pause();
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, callers[i]));
            vm.prank(callers[i]);
            config.unpause();
        }
        assertTrue(config.paused());
    }

    // ------------------------------------------------------------ engine binding

    function test_bindEngine_revertsWhen_alreadyBound() public {
        vm.expectRevert(abi.encodeWithSelector(IEngineBound.BindingForbidden.selector, address(this)));
        config.bindEngine(alice);
        vm.expectRevert(abi.encodeWithSelector(IEngineBound.BindingForbidden.selector, alice));
        vm.prank(alice);
        config.bindEngine(alice);
        assertEq(config.engine(), address(engine));
    }

    function test_bindEngine_onceByTheDeployerOnly() public {
        IRiskConfig fresh = deployRiskConfig(address(manager), address(usd), defaultGlobalParams());
        assertEq(fresh.engine(), address(0));

        vm.expectRevert(abi.encodeWithSelector(IEngineBound.BindingForbidden.selector, alice));
        vm.prank(alice);
        fresh.bindEngine(address(engine));

        vm.expectRevert(IEngineBound.ZeroEngine.selector);
        fresh.bindEngine(address(0));

        vm.expectEmit(address(fresh));
        emit IEngineBound.EngineBound(address(engine));
        fresh.bindEngine(address(engine));
        assertEq(fresh.engine(), address(engine));

        vm.expectRevert(abi.encodeWithSelector(IEngineBound.BindingForbidden.selector, address(this)));
        fresh.bindEngine(bob);
        assertEq(fresh.engine(), address(engine));
    }
}

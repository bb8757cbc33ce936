// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Vm} from "forge-std/Vm.sol";
import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

import {LiquidationPreview, MarketStatus, OrderState} from "../../../contracts/interfaces/IBulkheadLens.sol";
import {IMarginEngine, IMarginEngineBase, OrderStatus, Position} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IOracleErrors} from "../../../contracts/interfaces/IOracleErrors.sol";
import {GlobalParams, IRiskConfig, MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {FeedMarkets} from "./mocks/oracle/FeedMarkets.sol";
import {MockAggregatorProxy} from "./mocks/oracle/MockAggregatorProxy.sol";

/// @notice The lens's keeper views, each checked against what the engine then does in the same block.
contract LensTest is FeedMarkets {
    /// @dev What a liquidation paid, read from its event and from balances.
    struct Paid {
        uint256 price;
        uint256 keeperReward;
        uint256 penalty;
        uint256 ownerRefund;
        uint256 badDebt;
        uint256 insuranceCover;
        uint256 closeFee;
        uint256 keeperDelta;
        int256 insuranceDelta;
        uint256 ownerDelta;
        int256 poolDelta;
    }

    /// @dev Liquidates `id` as `keeper`, directly or (`byOrder`) by executing its pending order (rule 3: an execution
    /// on a liquidatable position liquidates it instead), and reads what was paid.
    function _liquidateAndRead(uint256 id, address owner, bool byOrder) internal returns (Paid memory paid) {
        // Balances before, kept in the deltas' slots.
        paid.keeperDelta = usd.balanceOf(keeper);
        paid.insuranceDelta = int256(usd.balanceOf(address(insurance)));
        paid.ownerDelta = usd.balanceOf(owner);
        paid.poolDelta = int256(usd.balanceOf(address(pool)));

        vm.recordLogs();
        vm.prank(keeper);
        if (byOrder) engine.executeOrder(id);
        else engine.liquidate(id);
        _readLiquidationEvent(vm.getRecordedLogs(), id, owner, paid);

        paid.keeperDelta = usd.balanceOf(keeper) - paid.keeperDelta;
        paid.insuranceDelta = int256(usd.balanceOf(address(insurance))) - paid.insuranceDelta;
        paid.ownerDelta = usd.balanceOf(owner) - paid.ownerDelta;
        paid.poolDelta = int256(usd.balanceOf(address(pool))) - paid.poolDelta;
    }

    function _readLiquidationEvent(Vm.Log[] memory logs, uint256 id, address owner, Paid memory paid) internal view {
        uint256 found;
        for (uint256 i; i < logs.length; ++i) {
            if (
                logs[i].emitter != address(engine) || logs[i].topics[0] != IMarginEngineBase.PositionLiquidated.selector
            ) {
                continue;
            }
            assertEq(uint256(logs[i].topics[1]), id, "event id");
            assertEq(address(uint160(uint256(logs[i].topics[2]))), owner, "event owner");
            assertEq(address(uint160(uint256(logs[i].topics[3]))), keeper, "event keeper");
            (
                paid.price,
                paid.keeperReward,
                paid.penalty,
                paid.ownerRefund,
                paid.badDebt,
                paid.insuranceCover,
                paid.closeFee
            ) = abi.decode(logs[i].data, (uint256, uint256, uint256, uint256, uint256, uint256, uint256));
            ++found;
        }
        assertEq(found, 1, "one PositionLiquidated");
    }

    /// @dev The preview must be what the liquidation then pays, to the unit, in its event and in balances. A pending
    /// order's escrow (`escrow`) is refunded to the owner on top; a donation to the vault (`donation`) stays in it.
    function _assertPreviewIsPaid(
        uint256 id,
        address owner,
        uint256 escrow,
        uint256 donation,
        bool byOrder
    ) internal returns (LiquidationPreview memory preview) {
        preview = lens.previewLiquidation(id);
        assertTrue(preview.liquidatable, "preview: liquidatable");
        address vault = engine.vaultOf(id);
        uint256 held = usd.balanceOf(vault);
        Paid memory paid = _liquidateAndRead(id, owner, byOrder);

        assertEq(paid.price, preview.price, "price");
        assertEq(paid.keeperReward, preview.keeperReward, "event keeperReward");
        assertEq(paid.penalty, preview.penalty, "event penalty");
        assertEq(paid.ownerRefund, preview.ownerRefund, "event ownerRefund");
        assertEq(paid.badDebt, preview.badDebt, "event badDebt");
        assertEq(paid.closeFee, preview.closeFee, "event closeFee");
        assertEq(paid.keeperDelta, preview.keeperReward, "keeper paid");
        assertEq(paid.ownerDelta, preview.ownerRefund + escrow, "owner paid");
        assertEq(paid.insuranceDelta, int256(preview.penalty) - int256(paid.insuranceCover), "insurance paid");
        // Whatever left the vault and did not go to keeper, insurance or owner went to the pool, plus the cover.
        assertEq(
            paid.poolDelta,
            int256(held - donation) -
                int256(preview.keeperReward + preview.penalty + preview.ownerRefund + escrow) +
                int256(paid.insuranceCover),
            "pool paid"
        );
        assertEq(usd.balanceOf(vault), donation, "vault not emptied of its records");
        _assertDeleted(id, donation);
    }

    /// @dev Makes the BTC feed revert, as a feed whose aggregator broke.
    function _breakBtcFeed() internal {
        vm.mockCallRevert(address(btcFeed), abi.encodeWithSelector(AggregatorV3Interface.latestRoundData.selector), "");
    }

    function _hash(MarketParams memory p) internal pure returns (bytes32) {
        return keccak256(abi.encode(p));
    }

    function _hash(GlobalParams memory p) internal pure returns (bytes32) {
        return keccak256(abi.encode(p));
    }

    // ------------------------------------------------------------ market

    function test_market_reportsWhatTheEngineUses() public {
        _openStandardLong();
        vm.warp(block.timestamp + 30 minutes);
        (uint80 roundId, , , uint256 updatedAt, ) = ethFeed.latestRoundData();

        MarketStatus memory m = lens.market(ETH);
        assertTrue(m.priced);
        assertEq(m.price, engine.indexPrice(ETH));
        assertEq(m.price, ETH_PRICE);
        assertEq(m.roundId, roundId);
        assertEq(m.updatedAt, updatedAt);
        // The indices grew from the open's execution, 30 minutes ago.
        assertEq(m.longBorrowIndex, engine.borrowIndex(ETH, true));
        assertEq(m.longBorrowIndex, 30 minutes * RATE);
        assertEq(m.shortBorrowIndex, engine.borrowIndex(ETH, false));
        assertEq(m.shortBorrowIndex, 30 minutes * RATE);
        // No outage and no sequencer feed: only the grace period itself, long past.
        assertEq(m.resumesAt, engine.liquidationResumesAt(ETH));
        assertEq(m.resumesAt, GRACE);
        assertFalse(m.paused);
        assertEq(m.settlementPrice, 0);
        assertEq(_hash(m.params), _hash(config.marketParams(ETH)));
        assertEq(m.params.maxOrderWait, MAX_ORDER_WAIT);
        assertEq(_hash(m.global), _hash(config.globalParams()));
        assertEq(m.global.maxExecutionDelay, MAX_EXECUTION_DELAY);

        MarketStatus memory btc = lens.market(BTC);
        assertTrue(btc.priced);
        assertEq(btc.price, BTC_PRICE);
        assertEq(_hash(btc.params), _hash(config.marketParams(BTC)));
    }

    function test_market_reportsThePause() public {
        _pause();
        assertTrue(lens.market(ETH).paused);
        assertTrue(lens.market(ETH).priced, "a pause stops opens only: the market stays priced");
    }

    function test_market_reportsAGracePeriodAfterAnOutage() public {
        vm.warp(block.timestamp + 2 hours);
        setPrice(ETH, ETH_PRICE);
        uint256 back = block.timestamp;
        MarketStatus memory m = lens.market(ETH);
        assertTrue(m.priced);
        assertEq(m.resumesAt, back + GRACE);
        assertEq(m.resumesAt, engine.liquidationResumesAt(ETH));
        assertEq(m.updatedAt, back);
    }

    function test_market_staleFeed_notPricedWithoutReverting() public {
        (uint80 roundId, , , uint256 updatedAt, ) = ethFeed.latestRoundData();
        vm.warp(block.timestamp + HEARTBEAT + 1);
        setPrice(BTC, BTC_PRICE);
        vm.expectRevert(
            abi.encodeWithSelector(IOracleErrors.StalePrice.selector, address(ethFeed), updatedAt, HEARTBEAT)
        );
        engine.indexPrice(ETH);

        MarketStatus memory m = lens.market(ETH);
        assertFalse(m.priced);
        assertEq(m.price, 0);
        // The stale round is still reported: a keeper sees how old it is.
        assertEq(m.roundId, roundId);
        assertEq(m.updatedAt, updatedAt);
        assertEq(m.resumesAt, 0);
        assertEq(m.longBorrowIndex, engine.borrowIndex(ETH, true));
        assertEq(_hash(m.params), _hash(config.marketParams(ETH)));
        assertTrue(lens.market(BTC).priced, "BTC is unaffected");
    }

    function test_market_nonPositiveAnswer_notPricedWithoutReverting() public {
        ethFeed.updateAnswer(0);
        (uint80 roundId, , , , ) = ethFeed.latestRoundData();
        MarketStatus memory m = lens.market(ETH);
        assertFalse(m.priced);
        assertEq(m.price, 0);
        assertEq(m.roundId, roundId);
        assertEq(m.updatedAt, block.timestamp);
    }

    function test_market_answerAtTheBand_notPricedWithoutReverting() public {
        (uint256 marketId, MockAggregatorProxy feed) = _listBoundedMarket();
        assertTrue(lens.market(marketId).priced);
        feed.push(BAND_MAX);
        vm.expectRevert(abi.encodeWithSelector(IOracleErrors.AnswerAtBound.selector, address(feed), BAND_MAX));
        engine.indexPrice(marketId);
        MarketStatus memory m = lens.market(marketId);
        assertFalse(m.priced);
        assertEq(m.roundId, feed.latestId());
        feed.push(BAND_MAX - 1);
        assertEq(lens.market(marketId).price, uint256(int256(BAND_MAX - 1)) * 1e10);
    }

    function test_market_revertingFeed_notPricedWithoutReverting() public {
        _breakBtcFeed();
        MarketStatus memory m = lens.market(BTC);
        assertFalse(m.priced);
        assertEq(m.price, 0);
        assertEq(m.roundId, 0);
        assertEq(m.updatedAt, 0);
        assertEq(m.resumesAt, 0);
        assertEq(m.shortBorrowIndex, engine.borrowIndex(BTC, false));
        assertTrue(lens.market(ETH).priced);
    }

    function test_market_sequencerDown_notPricedWithoutReverting() public {
        _useSequencer(1);
        vm.expectRevert(abi.encodeWithSelector(IOracleErrors.SequencerDown.selector, address(sequencer)));
        engine.indexPrice(ETH);
        (uint80 roundId, , , , ) = ethFeed.latestRoundData();
        MarketStatus memory m = lens.market(ETH);
        assertFalse(m.priced);
        assertEq(m.roundId, roundId, "the feed itself is still read");
        assertFalse(lens.market(BTC).priced);
    }

    /// @dev Rule 17: a market in settlement is priced at its settlement price, whatever its dead feed says.
    function test_market_inSettlement_pricedAtTheSettlementPrice() public {
        uint256 price = _settleEth();
        MarketStatus memory m = lens.market(ETH);
        assertTrue(m.priced);
        assertEq(m.price, price);
        assertEq(m.settlementPrice, price);
        assertEq(m.resumesAt, 0);
        assertEq(m.price, engine.indexPrice(ETH));
    }

    function test_market_revertsWhen_marketUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IRiskConfig.UnknownMarket.selector, 2));
        lens.market(2);
    }

    // ------------------------------------------------------------ equity

    function test_equity_countsCappedPnlAndOwedBorrowFee() public {
        uint256 id = _openStandardLong();
        vm.warp(block.timestamp + 1 hours);
        setPrice(ETH, 3_300e18);
        // 600 + 300 − 0.034247.
        assertEq(lens.equity(id), 899_965_753);
    }

    function test_equity_shortInLoss() public {
        uint256 id = _openStandardShort();
        setPrice(ETH, 3_100e18);
        assertEq(lens.equity(id), 500 * 1e6);
    }

    function test_equity_capsProfit() public {
        MarketParams memory m = _params(ETH);
        m.maxProfitRatio = 0.1e18;
        _setMarket(ETH, m);
        uint256 id = _openStandardLong();
        setPrice(ETH, 3_300e18);
        assertEq(lens.equity(id), 660 * 1e6);
    }

    function test_equity_negativeWhenUnderwater() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        setPrice(ETH, 2_600e18);
        assertEq(lens.equity(id), -90 * 1e6);
    }

    // ------------------------------------------------------------ health

    function test_health_isEquityOverMaintenance() public {
        uint256 id = _openStandardLong();
        assertEq(lens.health(id), 4e18); // 600 / 150
        vm.warp(block.timestamp + 1 hours);
        setPrice(ETH, 3_300e18);
        // 899.965753 / 165 = 5.454337896969696969|69… (rounded down).
        assertEq(lens.health(id), 5.454337896969696969e18);
    }

    function test_health_isOneAtTheMaintenanceBoundaryAndBelowOneWhenLiquidatable() public {
        // `below` executes a second before `atBoundary`: it owes one second of borrow fee.
        uint256 below = _open(bob, true, 1e18, 340 * USD);
        uint256 atBoundary = _open(alice, true, 1e18, 340 * USD);
        setPrice(ETH, 2_800e18);
        uint256 fee = _borrowFee(1e18, ETH_PRICE, RATE);
        assertEq(fee, 10); // 3,000 × 3,170,979,198 / 1e18 = 9.51e-6 USD, rounded up
        assertEq(lens.health(atBoundary), 1e18);
        // 139.999990 / 140 = 0.999999928571428571|42…
        assertEq(lens.health(below), 0.999999928571428571e18);
        assertFalse(lens.previewLiquidation(atBoundary).liquidatable);
        assertTrue(lens.previewLiquidation(below).liquidatable);
        bool[] memory result = lens.liquidatable(_ids(atBoundary, below));
        assertFalse(result[0]);
        assertTrue(result[1]);
    }

    function test_health_isZeroWhenEquityIsNotPositive() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        setPrice(ETH, 2_690e18);
        assertEq(lens.equity(id), 0);
        assertEq(lens.health(id), 0);
        setPrice(ETH, 2_600e18);
        assertEq(lens.health(id), 0);
    }

    // ------------------------------------------------------------ liquidation price

    function test_liquidationPrice_long() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        // (3,000 − 310) / 0.95 = 2,831.578947368421052631|57… → rounded up.
        uint256 liqPrice = lens.liquidationPrice(id);
        assertEq(liqPrice, 2_831.578947368421052632e18);
        setPrice(ETH, 2_831.59e18);
        assertFalse(lens.previewLiquidation(id).liquidatable);
        setPrice(ETH, 2_831.57e18);
        assertTrue(lens.previewLiquidation(id).liquidatable);
    }

    function test_liquidationPrice_short() public {
        uint256 id = _open(alice, false, 1e18, 310 * USD);
        // (3,000 + 310) / 1.05 = 3,152.380952380952380952|38… → rounded down.
        assertEq(lens.liquidationPrice(id), 3_152.380952380952380952e18);
        setPrice(ETH, 3_152.38e18);
        assertFalse(lens.previewLiquidation(id).liquidatable);
        setPrice(ETH, 3_152.39e18);
        assertTrue(lens.previewLiquidation(id).liquidatable);
    }

    function test_liquidationPrice_long_countsOwedBorrowFee() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        _skip(1 days);
        // Fee 0.821918 USD: (3,000 − 309.178082) / 0.95 = 2,832.444124210526315789|47… → rounded up.
        assertEq(lens.liquidationPrice(id), 2_832.444124210526315790e18);
        setPrice(ETH, 2_832.45e18);
        assertFalse(lens.previewLiquidation(id).liquidatable);
        setPrice(ETH, 2_832.44e18);
        assertTrue(lens.previewLiquidation(id).liquidatable);
    }

    function test_liquidationPrice_short_countsOwedBorrowFee() public {
        uint256 id = _open(alice, false, 2.5e18, 800 * USD);
        _skip(1 days);
        // Fee 7,500 × 0.0002739726027072 = 2.054794520… → 2.054795 USD.
        // (7,500 + 797.945205) / 2.625 = 3,161.121982857142857142|85… → rounded down.
        assertEq(lens.liquidationPrice(id), 3_161.121982857142857142e18);
        setPrice(ETH, 3_161.12e18);
        assertFalse(lens.previewLiquidation(id).liquidatable);
        setPrice(ETH, 3_161.13e18);
        assertTrue(lens.previewLiquidation(id).liquidatable);
    }

    function test_liquidationPrice_isZeroForALongBackedBeyondItsNotional() public {
        uint256 id = _open(alice, true, 0.1e18, 400 * USD); // 300 USD notional
        assertEq(lens.liquidationPrice(id), 0);
    }

    /// @dev It needs no price, so a keeper or owner can read it while the feed is down.
    function test_liquidationPrice_answersDuringAnOutage() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        vm.warp(block.timestamp + HEARTBEAT + 1);
        bytes memory stale = abi.encodeWithSelector(
            IOracleErrors.StalePrice.selector,
            address(ethFeed),
            block.timestamp - HEARTBEAT - 1,
            HEARTBEAT
        );
        vm.expectRevert(stale);
        lens.equity(id);
        vm.expectRevert(stale);
        lens.previewLiquidation(id);
        uint256 fee = _borrowFee(1e18, ETH_PRICE, RATE * (HEARTBEAT + 1));
        // (3,000 − (310 − fee)) / 0.95, rounded up.
        uint256 expected = _ceilDiv((3_000 * USD - (310 * USD - fee)) * UNIT_SCALE * WAD, 0.95e18);
        assertEq(lens.liquidationPrice(id), expected);
    }

    // ------------------------------------------------------------ preview

    function test_previewLiquidation_ofAHealthyPosition() public {
        uint256 id = _openStandardLong();
        LiquidationPreview memory p = lens.previewLiquidation(id);
        assertFalse(p.liquidatable);
        assertEq(p.equity, 600 * 1e6);
        assertEq(p.maintenanceMargin, 150 * USD);
        assertEq(p.closeFee, 3 * USD); // 0.1 % × 3,000
        assertEq(p.keeperReward, 35 * USD); // 5 + 1 % × 3,000
        assertEq(p.penalty, 30 * USD);
        assertEq(p.ownerRefund, 537 * USD);
        assertEq(p.badDebt, 0);
        assertEq(p.price, ETH_PRICE);
    }

    function test_previewLiquidation_equalsWhatLiquidatePays_loss() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        vm.warp(block.timestamp + 1 hours);
        setPrice(ETH, 2_750e18);
        LiquidationPreview memory p = _assertPreviewIsPaid(id, alice, 0, 0, false);
        assertEq(p.equity, 59_965_753);
        assertEq(p.maintenanceMargin, 137_500_000);
        assertEq(p.keeperReward, 32_500_000);
        assertEq(p.penalty, 27_500_000);
        assertEq(p.closeFee, 2_750_000);
        assertEq(p.ownerRefund, 2_215_753);
        assertEq(p.badDebt, 0);
    }

    function test_previewLiquidation_equalsWhatLiquidatePays_short() public {
        uint256 id = _open(alice, false, 1e18, 310 * USD);
        setPrice(ETH, 3_250e18);
        LiquidationPreview memory p = _assertPreviewIsPaid(id, alice, 0, 0, false);
        // Equity 60 USD: closing fee 3.25, keeper 5 + 32.5, the penalty capped at the 24.25 left.
        assertEq(p.closeFee, 3_250_000);
        assertEq(p.keeperReward, 37_500_000);
        assertEq(p.penalty, 24_250_000);
        assertEq(p.ownerRefund, 0);
    }

    function test_previewLiquidation_equalsWhatLiquidatePays_badDebtPartlyInsured() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        usd.mint(address(insurance), 40 * USD);
        setPrice(ETH, 2_600e18);
        LiquidationPreview memory p = _assertPreviewIsPaid(id, alice, 0, 0, false);
        assertEq(p.equity, -90 * 1e6);
        assertEq(p.badDebt, 90 * USD);
        assertEq(p.keeperReward, 5 * USD);
        assertEq(usd.balanceOf(address(insurance)), 0);
    }

    function test_previewLiquidation_equalsWhatLiquidatePays_cappedProfitPaidByPool() public {
        MarketParams memory m = _params(ETH);
        m.maxProfitRatio = 0.1e18;
        _setMarket(ETH, m);
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        setPrice(ETH, 9_000e18);
        LiquidationPreview memory p = _assertPreviewIsPaid(id, alice, 0, 0, false);
        assertEq(p.equity, 341 * 1e6);
        assertEq(p.ownerRefund, 152 * USD); // 341 − 9 closing fee − 90 keeper fee − 90 penalty
    }

    /// @dev Payouts use recorded amounts only: a donation to the vault is not the keeper's (it stays in the vault and
    /// is swept to the insurance fund when the vault is reused).
    function test_previewLiquidation_equalsWhatLiquidatePays_withDonationAndFees() public {
        uint256 id = _open(alice, false, 2.5e18, 800 * USD);
        usd.mint(engine.vaultOf(id), 1_234_567);
        _skip(1 days);
        setPrice(ETH, 3_161.13e18);
        LiquidationPreview memory p = _assertPreviewIsPaid(id, alice, 0, 1_234_567, false);
        // Keeper: reserve 5 + 1 % × 7,902.825 = 79.02825 → 84.02825 USD; the donation is not paid out.
        assertEq(p.keeperReward, 84_028_250);
    }

    /// @dev Rule 5: the keeper reserve is recorded per position; a later change of the parameter does not touch it.
    function test_previewLiquidation_paysTheRecordedKeeperReserve() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        GlobalParams memory g = defaultGlobalParams();
        g.keeperReserve = uint80(8 * USD);
        _setGlobal(g);
        setPrice(ETH, 2_750e18);
        LiquidationPreview memory p = _assertPreviewIsPaid(id, alice, 0, 0, false);
        assertEq(p.keeperReward, KEEPER_RESERVE + 27_500_000); // 5 + 1 % × 2,750
    }

    /// @dev Rule 7: a pending order's escrow is refunded in full before the split, which it does not enter.
    function test_previewLiquidation_equalsWhatLiquidatePays_withAPendingOrder() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        fund(alice, 100 * USD);
        vm.prank(alice);
        engine.requestIncrease(id, 0.1e18, 100 * USD, type(uint128).max, _deadline(), 0);
        setPrice(ETH, 2_750e18); // a round of the request's own second: not its execution round
        LiquidationPreview memory p = _assertPreviewIsPaid(id, alice, 100 * USD, 0, false);
        assertEq(p.keeperReward, 32_500_000);
        assertEq(p.ownerRefund, 2_250_000); // 60 − 2.75 closing fee − 27.5 keeper fee − 27.5 penalty
    }

    /// @dev Rule 3: an order executed on a position liquidatable at the latest price liquidates it instead, paying
    /// exactly what the preview said.
    function test_previewLiquidation_equalsWhatAnOrderExecutionPays() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        requestClose(id, alice);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, 2_750e18); // the close's execution round
        assertEq(uint8(lens.executable(_ids(id))[0].status), uint8(OrderStatus.Executable));
        _assertPreviewIsPaid(id, alice, 0, 0, true);
    }

    function test_previewLiquidation_notLiquidatableInGracePeriod() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        vm.warp(block.timestamp + 2 hours);
        setPrice(ETH, 2_750e18);
        setPrice(BTC, BTC_PRICE);
        LiquidationPreview memory p = lens.previewLiquidation(id);
        assertFalse(p.liquidatable);
        assertLt(p.equity, int256(p.maintenanceMargin), "under water, but waiting");
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.GracePeriod.selector, block.timestamp + GRACE));
        vm.prank(keeper);
        engine.liquidate(id);
    }

    // ------------------------------------------------------------ liquidatable

    function test_liquidatable_answersForEveryIdAndAgreesWithLiquidateBatch() public {
        uint256 weak = _open(alice, true, 1e18, 310 * USD);
        uint256 healthy = _open(bob, true, 1e18, 1_000 * USD);
        uint256 closed = _open(bob, false, 1e18, 1_000 * USD);
        uint256 weakBtc = openPosition(carol, BTC, false, 0.1e18, 610 * USD);
        closePosition(closed, bob);
        // A pending open has a size of zero: nothing to liquidate.
        uint256 pending = requestOpen(alice, ETH, true, 1e18, 700 * USD);
        setPrice(ETH, 2_750e18);
        setPrice(BTC, 65_000e18);

        uint256[] memory ids = new uint256[](7);
        ids[0] = weak;
        ids[1] = healthy;
        ids[2] = 99;
        ids[3] = closed;
        ids[4] = weakBtc;
        ids[5] = 0;
        ids[6] = pending;
        bool[] memory result = lens.liquidatable(ids);

        assertEq(result.length, 7);
        assertTrue(result[0]);
        assertFalse(result[1]);
        assertFalse(result[2]);
        assertFalse(result[3]);
        assertTrue(result[4]);
        assertFalse(result[5]);
        assertFalse(result[6]);
        vm.prank(keeper);
        assertEq(engine.liquidateBatch(ids), 2);
        _assertDeleted(weak);
        _assertDeleted(weakBtc);
        assertEq(positionOf(healthy).size, 1e18);
        assertEq(positionOf(pending).owner, alice, "the pending open was touched");
    }

    function test_liquidatable_emptyList() public view {
        assertEq(lens.liquidatable(new uint256[](0)).length, 0);
    }

    /// @dev One market without a price does not make the batch revert: its positions read false, the others are
    /// answered, as `liquidateBatch` skips that market and liquidates the rest.
    function test_liquidatable_skipsOnlyAMarketWhoseFeedReverts() public {
        uint256 weak = _open(alice, true, 1e18, 310 * USD);
        uint256 weakBtc = openPosition(carol, BTC, false, 0.1e18, 610 * USD);
        setPrice(ETH, 2_750e18);
        setPrice(BTC, 65_000e18);
        assertTrue(lens.liquidatable(_ids(weakBtc))[0]);
        _breakBtcFeed();

        bool[] memory result = lens.liquidatable(_ids(weakBtc, weak));
        assertFalse(result[0]);
        assertTrue(result[1]);
        vm.prank(keeper);
        assertEq(engine.liquidateBatch(_ids(weakBtc, weak)), 1);
        _assertDeleted(weak);
        assertEq(positionOf(weakBtc).size, 0.1e18);
    }

    function test_liquidatable_skipsOnlyAMarketWhoseFeedIsStale() public {
        uint256 weak = _open(alice, true, 1e18, 310 * USD);
        uint256 weakBtc = openPosition(carol, BTC, false, 0.1e18, 610 * USD);
        setPrice(BTC, 65_000e18);
        // ETH goes stale; BTC keeps reporting (within its heartbeat, so no grace period).
        vm.warp(block.timestamp + HEARTBEAT / 2);
        setPrice(BTC, 65_000e18);
        vm.warp(block.timestamp + HEARTBEAT / 2 + 1);

        bool[] memory result = lens.liquidatable(_ids(weak, weakBtc));
        assertFalse(result[0]);
        assertTrue(result[1]);
        vm.prank(keeper);
        assertEq(engine.liquidateBatch(_ids(weak, weakBtc)), 1);
        _assertDeleted(weakBtc);
        assertEq(positionOf(weak).size, 1e18);
    }

    function test_liquidatable_falseInAMarketWhoseAnswerIsAtTheBand() public {
        (uint256 marketId, MockAggregatorProxy feed) = _listBoundedMarket();
        uint256 id = _openOn(marketId, address(feed), alice, true, 1e18, 310 * USD);
        feed.push(2_750e8);
        assertTrue(lens.liquidatable(_ids(id))[0]);
        // The market crashes through the band's floor: the aggregator reports the floor, which is no price.
        feed.push(BAND_MIN);
        assertFalse(lens.liquidatable(_ids(id))[0]);
        vm.prank(keeper);
        assertEq(engine.liquidateBatch(_ids(id)), 0);
        vm.expectRevert(abi.encodeWithSelector(IOracleErrors.AnswerAtBound.selector, address(feed), BAND_MIN));
        vm.prank(keeper);
        engine.liquidate(id);
    }

    /// @dev While the sequencer is down nothing can be liquidated (and `liquidateBatch` reverts); the lens says so
    /// without reverting.
    function test_liquidatable_sequencerDown_allFalseWithoutReverting() public {
        uint256 weak = _open(alice, true, 1e18, 310 * USD);
        setPrice(ETH, 2_750e18);
        assertTrue(lens.liquidatable(_ids(weak))[0]);
        _useSequencer(1);
        assertFalse(lens.liquidatable(_ids(weak))[0]);
        vm.expectRevert(abi.encodeWithSelector(IOracleErrors.SequencerDown.selector, address(sequencer)));
        vm.prank(keeper);
        engine.liquidateBatch(_ids(weak));
    }

    function test_liquidatable_falseInGracePeriod_trueWhenItEnds() public {
        uint256 weak = _open(alice, true, 1e18, 310 * USD);
        vm.warp(block.timestamp + 2 hours);
        setPrice(ETH, 2_750e18);
        uint256 back = block.timestamp;
        assertFalse(lens.liquidatable(_ids(weak))[0]);
        vm.prank(keeper);
        assertEq(engine.liquidateBatch(_ids(weak)), 0);
        vm.warp(back + GRACE);
        assertTrue(lens.liquidatable(_ids(weak))[0]);
        vm.prank(keeper);
        assertEq(engine.liquidateBatch(_ids(weak)), 1);
    }

    // ------------------------------------------------------------ atCap

    function test_atCap_answersForEveryIdAndAgreesWithTakeProfitBatch() public {
        MarketParams memory m = _params(ETH);
        m.maxProfitRatio = 0.1e18;
        _setMarket(ETH, m);
        uint256 capped = _openStandardLong(); // cap 60 USD
        uint256 roomy = _open(bob, true, 1e18, 1_000 * USD); // cap 100 USD
        uint256 short = _openStandardShort();
        // A pending open: no size, no cap; it is not at its cap.
        uint256 pending = requestOpen(carol, ETH, true, 1e18, 700 * USD);
        setPrice(ETH, 3_060e18); // +60 USD per ETH

        uint256[] memory ids = new uint256[](5);
        ids[0] = capped;
        ids[1] = roomy;
        ids[2] = short;
        ids[3] = pending;
        ids[4] = 99;
        bool[] memory result = lens.atCap(ids);
        assertTrue(result[0]);
        assertFalse(result[1]);
        assertFalse(result[2]);
        assertFalse(result[3]);
        assertFalse(result[4]);
        vm.prank(keeper);
        assertEq(engine.takeProfitBatch(ids), 1);
        _assertDeleted(capped);
        assertEq(positionOf(pending).owner, carol, "the pending open was touched");
    }

    function test_atCap_skipsOnlyAMarketWithoutAPrice() public {
        MarketParams memory m = _params(BTC);
        m.maxProfitRatio = 0.1e18;
        _setMarket(BTC, m);
        m = _params(ETH);
        m.maxProfitRatio = 0.1e18;
        _setMarket(ETH, m);
        uint256 eth = _openStandardLong(); // cap 60 USD
        uint256 btc = openPosition(bob, BTC, true, 0.1e18, 600 * USD); // cap 60 USD
        setPrice(ETH, 3_060e18);
        setPrice(BTC, 60_600e18);
        assertTrue(lens.atCap(_ids(btc))[0]);
        _breakBtcFeed();

        bool[] memory result = lens.atCap(_ids(btc, eth));
        assertFalse(result[0]);
        assertTrue(result[1]);
        vm.prank(keeper);
        assertEq(engine.takeProfitBatch(_ids(btc, eth)), 1);
        _assertDeleted(eth);
        assertEq(positionOf(btc).size, 0.1e18);
    }

    /// @dev Take-profit ignores grace periods (paying a cap adds no risk), and so does the lens.
    function test_atCap_trueInGracePeriod() public {
        MarketParams memory m = _params(ETH);
        m.maxProfitRatio = 0.1e18;
        _setMarket(ETH, m);
        uint256 id = _openStandardLong();
        vm.warp(block.timestamp + 2 hours);
        setPrice(ETH, 3_060e18);
        assertGt(lens.market(ETH).resumesAt, block.timestamp);
        assertTrue(lens.atCap(_ids(id))[0]);
        vm.prank(keeper);
        engine.takeProfit(id);
        _assertDeleted(id);
    }

    // ------------------------------------------------------------ executable

    function test_executable_reportsEachOrderAndAgreesWithExecuteOrders() public {
        uint256 idle = _openStandardLong();
        // carol's open gets its round, then misses its execution window.
        uint256 missed = requestOpen(carol, ETH, true, 1e18, 700 * USD);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        vm.warp(block.timestamp + MAX_EXECUTION_DELAY + 1);
        // bob's open gets its round, within the window.
        uint256 ready = requestOpen(bob, ETH, true, 1e18, 700 * USD);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        (uint80 round, , , , ) = ethFeed.latestRoundData();
        // alice's close is requested after that round: it waits for the next.
        requestClose(idle, alice);

        uint256[] memory ids = new uint256[](4);
        ids[0] = missed;
        ids[1] = ready;
        ids[2] = idle;
        ids[3] = 99;
        OrderState[] memory states = lens.executable(ids);
        assertEq(states.length, 4);
        assertEq(uint8(states[0].status), uint8(OrderStatus.Cancellable));
        assertEq(uint8(states[1].status), uint8(OrderStatus.Executable));
        assertEq(states[1].roundId, round);
        assertEq(uint8(states[2].status), uint8(OrderStatus.Waiting));
        assertEq(states[2].roundId, 0);
        assertEq(uint8(states[3].status), uint8(OrderStatus.None));
        for (uint256 i; i < ids.length; ++i) {
            (OrderStatus status, uint80 roundId) = engine.orderStatus(ids[i]);
            assertEq(uint8(states[i].status), uint8(status), "not the engine's status");
            assertEq(states[i].roundId, roundId, "not the engine's round");
        }

        // The executable order executes, the cancellable one is cancelled, the waiting one waits.
        vm.prank(keeper);
        assertEq(engine.executeOrders(ids), 2);
        assertEq(positionOf(ready).size, 1e18);
        assertEq(positionOf(missed).owner, address(0));
        assertEq(usd.balanceOf(carol), 700 * USD + KEEPER_RESERVE, "carol not refunded in full");
        states = lens.executable(ids);
        assertEq(uint8(states[0].status), uint8(OrderStatus.None));
        assertEq(uint8(states[1].status), uint8(OrderStatus.None));
        assertEq(uint8(states[2].status), uint8(OrderStatus.Waiting));
    }

    function test_executable_waitsForAGoodLatestPrice() public {
        uint256 id = _openStandardLong();
        requestClose(id, alice);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        (uint80 round, , , , ) = ethFeed.latestRoundData();
        assertEq(uint8(lens.executable(_ids(id))[0].status), uint8(OrderStatus.Executable));
        // A newer round answers zero: the execution round is good, but the position cannot be checked against the
        // latest price, so the order waits.
        ethFeed.updateAnswer(0);
        OrderState memory s = lens.executable(_ids(id))[0];
        assertEq(uint8(s.status), uint8(OrderStatus.Waiting));
        assertEq(s.roundId, round);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.OrderNotReady.selector, id));
        vm.prank(keeper);
        engine.executeOrder(id);
    }

    /// @dev The engine's own status view reverts while the sequencer is down; the batch view answers Waiting.
    function test_executable_sequencerDown_waitingWithoutReverting() public {
        uint256 id = _openStandardLong();
        requestClose(id, alice);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        _useSequencer(1);
        OrderState memory s = lens.executable(_ids(id, 99))[0];
        // The execution round is observed; executing waits for the sequencer.
        assertEq(uint8(s.status), uint8(OrderStatus.Waiting));
        assertEq(s.roundId, ethFeed.latestRound());
        vm.expectRevert(abi.encodeWithSelector(IOracleErrors.SequencerDown.selector, address(sequencer)));
        vm.prank(keeper);
        engine.executeOrders(_ids(id));
    }

    function test_executable_emptyList() public view {
        assertEq(lens.executable(new uint256[](0)).length, 0);
    }

    // ------------------------------------------------------------ ids not in use, pending opens

    function test_lens_revertsWhen_positionUnknown() public {
        bytes memory err = abi.encodeWithSelector(IMarginEngineBase.UnknownPosition.selector, 7);
        vm.expectRevert(err);
        lens.equity(7);
        vm.expectRevert(err);
        lens.health(7);
        vm.expectRevert(err);
        lens.liquidationPrice(7);
        vm.expectRevert(err);
        lens.previewLiquidation(7);
    }

    /// @dev A pending open has no size, entry or cap yet: valuing it would report a health of zero.
    function test_lens_revertsWhen_positionNotOpenYet() public {
        uint256 id = requestOpen(alice, ETH, true, 1e18, 700 * USD);
        Position memory p = positionOf(id);
        assertEq(p.owner, alice);
        assertEq(p.size, 0);
        bytes memory err = abi.encodeWithSelector(IMarginEngineBase.PositionNotOpen.selector, id);
        vm.expectRevert(err);
        lens.equity(id);
        vm.expectRevert(err);
        lens.health(id);
        vm.expectRevert(err);
        lens.liquidationPrice(id);
        vm.expectRevert(err);
        lens.previewLiquidation(id);
    }

    function test_ENGINE_isTheEngine() public view {
        assertEq(address(lens.ENGINE()), address(engine));
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMarginEngine, Position} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IOracleErrors} from "../../../contracts/interfaces/IOracleErrors.sol";
import {GlobalParams, MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {UnitBase} from "./UnitBase.sol";

contract IncreaseTest is UnitBase {
    uint256 internal id;

    function setUp() public override {
        super.setUp();
        id = _openStandardLong(); // alice long 1 ETH at 3,000 with 600 USD
        fund(alice, 200_000 * USD);
        fund(bob, 1_000 * USD);
    }

    function _assertIncreaseReverts(
        address caller,
        uint256 positionId,
        uint256 sizeDelta,
        uint256 collateralDelta,
        uint256 bound,
        uint256 deadline,
        bytes memory err
    ) internal {
        Snapshot memory before = _snapshot(positionId);
        vm.expectRevert(err);
        vm.prank(caller);
        engine.increase(positionId, sizeDelta, collateralDelta, bound, deadline);
        _assertUnchanged(before, positionId);
    }

    // ------------------------------------------------------------ happy paths

    function test_increase_long_settlesBorrowFeeAndAveragesEntry() public {
        _skip(1 days);
        setPrice(ETH, 3_300e18);
        uint256 aliceBefore = usd.balanceOf(alice);

        // Borrow fee: 3,000 USD × 3,170,979,198 × 86,400 / 1e18 = 0.8219178081216 USD → 0.821918 USD (up).
        // Opening fee: 0.1 % × 0.5 × 3,300 = 1.65 USD. Fees 2.471918 USD.
        // Entry: (3,000 + 1,650) / 1.5 = 3,100. Cap: 3,000 at open + what the increase brings,
        // min(9 × 100, 100 % × 0.5 × 3,300) = 900: 3,900 USD.
        uint256 fees = 821_918 + 1_650_000;
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionIncreased(id, 0.5e18, 100 * USD, 3_300e18, 1.5e18, 3_100e18, 700 * USD, fees);
        vm.prank(alice);
        engine.increase(id, 0.5e18, 100 * USD, 3_300e18, block.timestamp);

        _assertPosition(
            engine.position(id),
            Position({
                owner: alice,
                collateral: uint96(700 * USD),
                size: 1.5e18,
                entryPrice: 3_100e18,
                borrowIndex: uint96(RATE * 1 days),
                maxProfit: uint96(3_900 * USD),
                marketId: uint16(ETH),
                isLong: true
            })
        );
        assertEq(vaultBalance(id), 705 * USD, "vault = collateral + reserve");
        assertEq(usd.balanceOf(alice), aliceBefore - 100 * USD - fees);
        assertEq(usd.balanceOf(address(pool)), POOL_LIQUIDITY + 3 * USD + fees);
        _assertSide(engine.sideState(ETH, true), _side(1.5e18, 4_650e18), "eth long");
        _assertSide(engine.sideState(ETH, false), _side(0, 0), "eth short");
        assertEq(engine.totalReserved(), 3_900 * USD);
        assertEq(engine.totalEntryNotional(), 4_650e18);
        assertEq(_borrowFee(1e18, 3_000e18, RATE * 1 days), 821_918);
    }

    function test_increase_short_averagesEntryDown() public {
        uint256 shortId = openPosition(bob, ETH, false, 1e18, 600 * USD);
        uint256 price = 2_900.12345678e18;
        setPrice(ETH, price);
        uint256 bobBefore = usd.balanceOf(bob);
        uint256 poolBefore = usd.balanceOf(address(pool));

        // Entry: (3,000 + 0.3 × 2,900.12345678) / 1.3 = 2,976.951566949230769230|769… → rounded down for a short.
        // Fee: 0.1 % × 870.037037034 = 0.870037037034 USD → 0.870038 USD. No time passed: no borrow fee.
        uint256 newEntry = 2_976.951566949230769230e18;
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionIncreased(shortId, 0.3e18, 0, price, 1.3e18, newEntry, 600 * USD, 870_038);
        vm.prank(bob);
        engine.increase(shortId, 0.3e18, 0, price, block.timestamp);

        Position memory p = engine.position(shortId);
        assertEq(p.entryPrice, newEntry);
        assertEq(p.size, 1.3e18);
        assertEq(p.collateral, 600 * USD);
        // min(9 × 600, 100 % × 3,000) at open; no collateral added brings no cap.
        assertEq(p.maxProfit, 3_000 * USD);
        assertEq(usd.balanceOf(bob), bobBefore - 870_038);
        assertEq(usd.balanceOf(address(pool)), poolBefore + 870_038);
        assertEq(vaultBalance(shortId), 605 * USD, "no collateral pulled");
        // 1.3 × 2,976.951566949230769230 = 3,870.037037033999999999 (exact), the short side's new entry notional.
        _assertSide(engine.sideState(ETH, false), _side(1.3e18, 3_870.037037033999999999e18), "eth short");
        assertEq(engine.totalEntryNotional(), 3_000e18 + 3_870.037037033999999999e18);
    }

    function test_increase_long_averagesEntryUp() public {
        setPrice(ETH, 2_800e18);
        vm.prank(alice);
        engine.increase(id, 0.5e18, 100 * USD, 2_800e18, block.timestamp);
        // (3,000 + 1,400) / 1.5 = 2,933.333…3|33 → rounded up for a long.
        assertEq(engine.position(id).entryPrice, 2_933.333333333333333334e18);
    }

    function test_increase_acceptsEquityEqualToInitialMargin() public {
        // 2 ETH at 3,000 need exactly the 600 USD held.
        vm.prank(alice);
        engine.increase(id, 1e18, 0, ETH_PRICE, block.timestamp);
        assertEq(engine.position(id).size, 2e18);
        assertEq(engine.totalEntryNotional(), 6_000e18);
    }

    function test_increase_acceptsBoundEqualToPriceAndDeadlineEqualToTimestamp() public {
        uint256 shortId = openPosition(bob, ETH, false, 1e18, 600 * USD);
        vm.prank(alice);
        engine.increase(id, 0.1e18, 0, ETH_PRICE, block.timestamp);
        vm.prank(bob);
        engine.increase(shortId, 0.1e18, 0, ETH_PRICE, block.timestamp);
        assertEq(engine.position(id).size, 1.1e18);
        assertEq(engine.position(shortId).size, 1.1e18);
    }

    /// @dev Rule 9 (sticky cap): an increase adds min(maxProfitRatio × its collateral, 100 % × its notional); margin
    /// added earlier never counts (recomputed from all the collateral and size, the cap would be 4,500 USD).
    function test_increase_raisesTheCapOnlyByWhatTheIncreaseBrings() public {
        uint256 small = openPosition(alice, ETH, true, 1e18, 300 * USD); // cap min(9 × 300, 3,000) = 2,700 USD
        vm.prank(alice);
        engine.addMargin(small, 300 * USD);
        assertEq(engine.position(small).maxProfit, 2_700 * USD, "addMargin raised the cap");

        vm.prank(alice);
        engine.increase(small, 0.5e18, 30 * USD, ETH_PRICE, block.timestamp);
        // + min(9 × 30, 100 % × 1,500) = 270 USD.
        assertEq(engine.position(small).maxProfit, 2_970 * USD);
        assertEq(engine.totalReserved(), 3_000 * USD + 2_970 * USD);

        vm.prank(alice);
        engine.increase(small, 0.01e18, 1_000 * USD, ETH_PRICE, block.timestamp);
        // + min(9 × 1,000, 100 % × 30) = 30 USD: the notional it brings bounds it.
        assertEq(engine.position(small).maxProfit, 3_000 * USD);
        assertEq(engine.totalReserved(), 3_000 * USD + 3_000 * USD);
        _assertSideMargin(engine.sideState(ETH, true), 600 * USD + 1_630 * USD, 6_000 * USD, "eth long");
    }

    /// @dev Rule 9: an increase while pnl > cap sets the entry so that pnl at the execution price is the old cap:
    /// e' = P − cap / size', the offset rounded down (a higher entry is worse for a long). Profit beyond the cap
    /// (here 500 USD) is never carried into the larger position.
    function test_increase_long_abovePnlCap_resetsEntrySoPnlEqualsTheOldCap() public {
        setPrice(ETH, 6_500e18); // pnl 3,500 USD > cap 3,000 USD
        uint256 aliceBefore = usd.balanceOf(alice);
        // 3,000 / 1.3 = 2,307.692307692307692307|69… → 2,307.692307692307692307 (down);
        // e' = 6,500 − 2,307.692307692307692307 = 4,192.307692307692307693.
        // Cap: 3,000 + min(9 × 300, 100 % × 0.3 × 6,500) = 4,950 USD. Fee: 0.1 % × 1,950 = 1.95 USD.
        uint256 newEntry = 4_192.307692307692307693e18;
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionIncreased(id, 0.3e18, 300 * USD, 6_500e18, 1.3e18, newEntry, 900 * USD, 1_950_000);
        vm.prank(alice);
        engine.increase(id, 0.3e18, 300 * USD, 6_500e18, block.timestamp);

        Position memory p = engine.position(id);
        assertEq(p.entryPrice, newEntry);
        assertEq(p.maxProfit, 4_950 * USD);
        assertEq(usd.balanceOf(alice), aliceBefore - 300 * USD - 1_950_000);
        // 1.3 × 2,307.692307692307692307 = 2,999.9999999999999999991 USD → 2,999.999999 USD: the old cap, less the
        // rounding, which goes against the trader.
        assertEq(_pnl(true, p.size, p.entryPrice, 6_500e18, p.maxProfit), 2_999_999_999);
        // 1.3 × 4,192.307692307692307693 = 5,450.0000000000000000009 → rounded up.
        _assertSide(engine.sideState(ETH, true), _side(1.3e18, 5_450.000000000000000001e18), "eth long");
        assertEq(engine.totalReserved(), 4_950 * USD);
    }

    /// @dev The same for a short: e' = P + cap / size', the offset rounded down (a higher entry is better for a
    /// short).
    function test_increase_short_abovePnlCap_resetsEntrySoPnlEqualsTheOldCap() public {
        MarketParams memory m = _params(ETH);
        m.maxProfitRatio = 0.1e18;
        _setMarket(ETH, m);
        uint256 shortId = openPosition(bob, ETH, false, 1e18, 600 * USD); // cap min(0.1 × 600, 3,000) = 60 USD
        setPrice(ETH, 2_900e18); // pnl 100 USD > cap 60 USD
        // 60 / 1.3 = 46.153846153846153846|15… → 46.153846153846153846 (down); e' = 2,946.153846153846153846.
        // No collateral added: the cap stays 60 USD. Fee: 0.1 % × 0.3 × 2,900 = 0.87 USD.
        uint256 newEntry = 2_946.153846153846153846e18;
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionIncreased(shortId, 0.3e18, 0, 2_900e18, 1.3e18, newEntry, 600 * USD, 870_000);
        vm.prank(bob);
        engine.increase(shortId, 0.3e18, 0, 2_900e18, block.timestamp);

        Position memory p = engine.position(shortId);
        assertEq(p.entryPrice, newEntry);
        assertEq(p.maxProfit, 60 * USD);
        // 1.3 × 46.153846153846153846 = 59.9999999999999999998 USD → 59.999999 USD.
        assertEq(_pnl(false, p.size, p.entryPrice, 2_900e18, type(uint256).max), 59_999_999);
        // 1.3 × 2,946.153846153846153846 = 3,829.9999999999999999998 → rounded up to 3,830.
        _assertSide(engine.sideState(ETH, false), _side(1.3e18, 3_830e18), "eth short");
    }

    /// @dev At pnl exactly equal to the cap the weighted average applies (nothing is forfeited).
    function test_increase_atPnlEqualToCap_averagesEntry() public {
        setPrice(ETH, 6_000e18); // pnl 3,000 USD = cap
        vm.prank(alice);
        engine.increase(id, 0.5e18, 300 * USD, 6_000e18, block.timestamp);
        // (3,000 + 3,000) / 1.5 = 4,000.
        assertEq(engine.position(id).entryPrice, 4_000e18);
    }

    function test_increase_revertsWhen_notionalBelowMinimum() public {
        uint256 small = openPosition(bob, ETH, true, 0.004e18, MIN_COLLATERAL); // 12 USD
        setPrice(ETH, 2_000e18);
        // 0.0045 ETH at 2,000 = 9 USD < 10 USD.
        _assertIncreaseReverts(
            bob,
            small,
            0.0005e18,
            0,
            2_000e18,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.NotionalBelowMinimum.selector, 9 * USD, MIN_NOTIONAL)
        );
    }

    function test_increase_revertsWhen_marketInSettlement() public {
        _settleEth();
        _assertIncreaseReverts(
            alice,
            id,
            0.1e18,
            0,
            type(uint256).max,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.MarketInSettlement.selector, ETH)
        );
    }

    // ------------------------------------------------------------ reverts

    function test_increase_revertsWhen_sizeDeltaIsZero() public {
        _assertIncreaseReverts(
            alice,
            id,
            0,
            100 * USD,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.ZeroSize.selector)
        );
    }

    function test_increase_revertsWhen_deadlineExpired() public {
        uint256 deadline = block.timestamp - 1;
        _assertIncreaseReverts(
            alice,
            id,
            0.1e18,
            0,
            ETH_PRICE,
            deadline,
            abi.encodeWithSelector(IMarginEngine.DeadlineExpired.selector, deadline, block.timestamp)
        );
    }

    function test_increase_revertsWhen_positionUnknown() public {
        _assertIncreaseReverts(
            alice,
            99,
            0.1e18,
            0,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.UnknownPosition.selector, 99)
        );
    }

    function test_increase_revertsWhen_callerNotOwner() public {
        _assertIncreaseReverts(
            bob,
            id,
            0.1e18,
            0,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.NotPositionOwner.selector, id, bob)
        );
    }

    function test_increase_revertsWhen_paused() public {
        _pause();
        _assertIncreaseReverts(
            alice,
            id,
            0.1e18,
            0,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.Paused.selector)
        );
    }

    function test_increase_revertsWhen_priceAboveBoundForLong() public {
        _assertIncreaseReverts(
            alice,
            id,
            0.1e18,
            0,
            ETH_PRICE - 1,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.PriceOutsideBound.selector, ETH_PRICE, ETH_PRICE - 1)
        );
    }

    function test_increase_revertsWhen_priceBelowBoundForShort() public {
        uint256 shortId = openPosition(bob, ETH, false, 1e18, 600 * USD);
        _assertIncreaseReverts(
            bob,
            shortId,
            0.1e18,
            0,
            ETH_PRICE + 1,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.PriceOutsideBound.selector, ETH_PRICE, ETH_PRICE + 1)
        );
    }

    function test_increase_revertsWhen_leverageAboveMaximum() public {
        // 2.01 ETH at 3,000 need 603 USD; the position holds 600.
        _assertIncreaseReverts(
            alice,
            id,
            1.01e18,
            0,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.InitialMarginBreached.selector, int256(600 * USD), 603 * USD)
        );
    }

    function test_increase_revertsWhen_lossLeavesTooLittleMargin() public {
        setPrice(ETH, 2_800e18);
        // New entry 2,933.333333333333333334; loss of 1.5 × 133.333333333333333334 = 200.000000000000000001 USD
        // → 200.000001 USD (up): equity 399.999999 USD < 10 % × 1.5 × 2,800 = 420 USD.
        _assertIncreaseReverts(
            alice,
            id,
            0.5e18,
            0,
            2_800e18,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.InitialMarginBreached.selector, int256(399_999_999), 420 * USD)
        );
    }

    function test_increase_revertsWhen_onlyUnrealisedProfitWouldCoverMargin() public {
        setPrice(ETH, 3_600e18);
        // 600 USD of unrealised profit is not margin: equity 600 < 10 % × 2 × 3,600 = 720.
        _assertIncreaseReverts(
            alice,
            id,
            1e18,
            0,
            3_600e18,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.InitialMarginBreached.selector, int256(600 * USD), 720 * USD)
        );
    }

    function test_increase_revertsWhen_openInterestCapExceeded() public {
        MarketParams memory p = _params(ETH);
        p.maxOpenInterestLong = 4_000e18;
        _setMarket(ETH, p);
        _assertIncreaseReverts(
            alice,
            id,
            0.5e18,
            0,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.OpenInterestCapExceeded.selector, ETH, true, 4_500e18, 4_000e18)
        );
    }

    function test_increase_revertsWhen_utilizationCapExceeded() public {
        GlobalParams memory g = defaultGlobalParams();
        g.maxUtilization = 0.01e18;
        _setGlobal(g);
        // Cap: 1 % of the pool's 1,000,003 USD = 10,000.03 USD; 4 ETH are 12,000 USD.
        _assertIncreaseReverts(
            alice,
            id,
            3e18,
            1_000 * USD,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.UtilizationCapExceeded.selector, 12_000e18, 10_000.03e18)
        );
    }

    function test_increase_revertsWhen_poolCannotReserveMaxProfit() public {
        // Cap 3,000 + min(9 × 120,000, 100 % × 340 × 3,000) = 1,023,000 USD > the pool's 1,000,003 USD.
        _assertIncreaseReverts(
            alice,
            id,
            340e18,
            120_000 * USD,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(
                IMarginEngine.InsufficientPoolLiquidity.selector,
                POOL_LIQUIDITY + 3 * USD,
                1_023_000 * USD
            )
        );
    }

    function test_increase_revertsWhen_priceStale() public {
        uint256 updatedAt = block.timestamp;
        vm.warp(block.timestamp + HEARTBEAT + 1);
        _assertIncreaseReverts(
            alice,
            id,
            0.1e18,
            0,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IOracleErrors.StalePrice.selector, address(ethFeed), updatedAt, HEARTBEAT)
        );
    }

    function test_increase_revertsWhen_tokenTakesATransferFee() public {
        FeeSystem memory s = _deployFeeSystem();
        vm.prank(alice);
        uint256 feeId = s.engine.open(ETH, true, 1e18, 600 * USD, ETH_PRICE, block.timestamp);
        s.token.setFeeBps(100);
        Position memory before = s.engine.position(feeId);
        uint256 vaultBefore = s.token.balanceOf(s.engine.vaultOf(feeId));
        // 100 USD sent, 99 USD arrive.
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.FeeOnTransferToken.selector, 100 * USD, 99 * USD));
        vm.prank(alice);
        s.engine.increase(feeId, 0.1e18, 100 * USD, ETH_PRICE, block.timestamp);
        _assertPosition(s.engine.position(feeId), before);
        assertEq(s.token.balanceOf(s.engine.vaultOf(feeId)), vaultBefore);
    }
}

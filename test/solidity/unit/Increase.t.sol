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
        // Entry: (3,000 + 1,650) / 1.5 = 3,100. Cap: 9 × 700 = 6,300 USD.
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
                maxProfit: uint96(6_300 * USD),
                marketId: uint16(ETH),
                isLong: true
            })
        );
        assertEq(vaultBalance(id), 705 * USD, "vault = collateral + reserve");
        assertEq(usd.balanceOf(alice), aliceBefore - 100 * USD - fees);
        assertEq(usd.balanceOf(address(pool)), POOL_LIQUIDITY + 3 * USD + fees);
        _assertSide(engine.sideState(ETH, true), _side(1.5e18, 4_650e18), "eth long");
        _assertSide(engine.sideState(ETH, false), _side(0, 0), "eth short");
        assertEq(engine.totalReserved(), 6_300 * USD);
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
        assertEq(p.maxProfit, 5_400 * USD);
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

    function test_increase_raisesProfitCapWithAddedMargin() public {
        vm.prank(alice);
        engine.addMargin(id, 100 * USD); // the cap stays at 5,400
        assertEq(engine.position(id).maxProfit, 5_400 * USD);
        vm.prank(alice);
        engine.increase(id, 0.1e18, 50 * USD, ETH_PRICE, block.timestamp);
        // Recomputed from all the collateral: 9 × 750 = 6,750 USD.
        assertEq(engine.position(id).maxProfit, 6_750 * USD);
        assertEq(engine.totalReserved(), 6_750 * USD);
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
        // Cap 9 × (600 + 111,000) = 1,004,400 USD > the pool's 1,000,003 USD.
        _assertIncreaseReverts(
            alice,
            id,
            0.1e18,
            111_000 * USD,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(
                IMarginEngine.InsufficientPoolLiquidity.selector,
                POOL_LIQUIDITY + 3 * USD,
                1_004_400 * USD
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

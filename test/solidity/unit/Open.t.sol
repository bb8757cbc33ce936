// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IInsuranceFund} from "../../../contracts/interfaces/IInsuranceFund.sol";
import {ILiquidityPool} from "../../../contracts/interfaces/ILiquidityPool.sol";
import {IMarginEngine, Position} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IOracleErrors} from "../../../contracts/interfaces/IOracleErrors.sol";
import {GlobalParams, IRiskConfig, MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {IMarginEngine} from "../../../contracts/interfaces/IMarginEngine.sol";
import {UnitBase} from "./UnitBase.sol";

/// @dev A token whose decimals the engine must refuse.
contract Decimals19Token {
    function decimals() external pure returns (uint8) {
        return 19;
    }
}

contract OpenTest is UnitBase {
    uint256 internal constant SIZE = 1e18;
    uint256 internal constant COLLATERAL = 600 * USD;

    function _openAs(
        address who,
        uint256 marketId,
        bool isLong,
        uint256 size,
        uint256 collateral,
        uint256 bound
    ) internal returns (uint256) {
        vm.prank(who);
        return engine.open(marketId, isLong, size, collateral, bound, block.timestamp);
    }

    /// @dev Expects `open` by alice to revert with `err` and to change nothing.
    function _assertOpenReverts(
        uint256 marketId,
        bool isLong,
        uint256 size,
        uint256 collateral,
        uint256 bound,
        uint256 deadline,
        bytes memory err
    ) internal {
        fund(alice, 2 * collateral + KEEPER_RESERVE);
        uint256 next = engine.nextPositionId();
        Snapshot memory before = _snapshot(next);
        vm.expectRevert(err);
        vm.prank(alice);
        engine.open(marketId, isLong, size, collateral, bound, deadline);
        _assertUnchanged(before, next);
        assertEq(engine.vaultOf(next).code.length, 0, "vault deployed");
    }

    // ------------------------------------------------------------ happy paths

    function test_open_long_recordsPositionAndMovesFunds() public {
        fund(alice, 1_000 * USD);
        address vault = engine.vaultOf(1);
        assertEq(vault.code.length, 0);

        // fee = 0.1 % × 1 × 3,000 = 3 USD; profit cap = min(9 × 600, 100 % × 3,000) = 3,000 USD.
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionOpened(1, alice, ETH, true, vault, SIZE, ETH_PRICE, COLLATERAL, 3 * USD);
        uint256 id = _openAs(alice, ETH, true, SIZE, COLLATERAL, ETH_PRICE);

        assertEq(id, 1);
        _assertPosition(
            engine.position(id),
            Position({
                owner: alice,
                collateral: uint96(COLLATERAL),
                size: uint128(SIZE),
                entryPrice: uint128(ETH_PRICE),
                borrowIndex: 0,
                maxProfit: uint96(3_000 * USD),
                marketId: uint16(ETH),
                isLong: true
            })
        );
        assertGt(vault.code.length, 0, "vault deployed");
        assertEq(usd.balanceOf(vault), 605 * USD, "vault = collateral + keeper reserve");
        assertEq(usd.balanceOf(alice), 1_000 * USD - 608 * USD, "alice paid collateral + reserve + fee");
        assertEq(usd.balanceOf(address(pool)), POOL_LIQUIDITY + 3 * USD, "fee to the pool");
        assertEq(usd.balanceOf(address(insurance)), 0);
        assertEq(usd.balanceOf(address(engine)), 0, "engine holds nothing");
        _assertSide(engine.sideState(ETH, true), _side(1e18, 3_000e18), "eth long");
        _assertSideMargin(engine.sideState(ETH, true), 600 * USD, 3_000 * USD, "eth long");
        _assertSide(engine.sideState(ETH, false), _side(0, 0), "eth short");
        _assertSideMargin(engine.sideState(ETH, false), 0, 0, "eth short");
        _assertSide(engine.sideState(BTC, true), _side(0, 0), "btc long");
        assertEq(engine.totalReserved(), 3_000 * USD);
        assertEq(engine.totalEntryNotional(), 3_000e18);
        assertEq(engine.nextPositionId(), 2);
    }

    function test_open_short_roundsFeeUpAndCapDown() public {
        // Price 3,000.12345678 and size 0.123456789012345678:
        //   notional = 370.385608614677637577652796840 USD → rounded up 370.385608614677637578e18
        //   fee      = 0.1 % → 0.370385608614677637578 USD → 0.370386 USD (up)
        //   IMR      = 10 %  → 37.0385608614677637578 USD → 37.038561 USD (up): the collateral posted exactly.
        //   cap      = min(9 × 37.038561 = 333.347049, 100 % × notional = 370.385608 (down)) = 333.347049 USD.
        uint256 price = 3_000.12345678e18;
        uint256 size = 0.123456789012345678e18;
        uint256 collateral = 37_038_561;
        setPrice(ETH, price);
        fund(bob, 100 * USD);

        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionOpened(1, bob, ETH, false, engine.vaultOf(1), size, price, collateral, 370_386);
        uint256 id = _openAs(bob, ETH, false, size, collateral, price);

        _assertPosition(
            engine.position(id),
            Position({
                owner: bob,
                collateral: uint96(collateral),
                size: uint128(size),
                entryPrice: uint128(price),
                borrowIndex: 0,
                maxProfit: 333_347_049,
                marketId: uint16(ETH),
                isLong: false
            })
        );
        assertEq(vaultBalance(id), collateral + KEEPER_RESERVE);
        assertEq(usd.balanceOf(bob), 100 * USD - collateral - KEEPER_RESERVE - 370_386);
        assertEq(usd.balanceOf(address(pool)), POOL_LIQUIDITY + 370_386);
        _assertSide(engine.sideState(ETH, false), _side(size, 370.385608614677637578e18), "eth short");
        _assertSide(engine.sideState(ETH, true), _side(0, 0), "eth long");
        assertEq(engine.totalReserved(), 333_347_049);
        assertEq(engine.totalEntryNotional(), 370.385608614677637578e18);
        // The reference model agrees with the figures above.
        assertEq(_ratioUp(size, price, 0.001e18), 370_386);
        assertEq(_ratioUp(size, price, 0.1e18), collateral);
    }

    function test_open_secondPosition_getsNextIdAndItsOwnVault() public {
        uint256 first = _openStandardLong();
        Snapshot memory before = _snapshot(first);
        uint256 second = openPosition(bob, BTC, false, 0.5e18, 4_000 * USD);

        assertEq(second, 2);
        assertTrue(engine.vaultOf(second) != engine.vaultOf(first));
        _assertPositionAndVaultUnchanged(before, first);
        // 0.5 BTC at 60,000 = 30,000 USD notional; fee 30 USD; cap min(9 × 4,000, 30,000) = 30,000 USD.
        assertEq(vaultBalance(second), 4_005 * USD);
        _assertSide(engine.sideState(BTC, false), _side(0.5e18, 30_000e18), "btc short");
        _assertSide(engine.sideState(ETH, true), _side(1e18, 3_000e18), "eth long untouched");
        assertEq(engine.totalReserved(), 3_000 * USD + 30_000 * USD);
        assertEq(engine.totalEntryNotional(), 33_000e18);
        assertEq(usd.balanceOf(address(pool)), POOL_LIQUIDITY + 3 * USD + 30 * USD);
    }

    function _assertPositionAndVaultUnchanged(Snapshot memory before, uint256 id) internal view {
        _assertPosition(engine.position(id), before.position);
        assertEq(vaultBalance(id), before.vault);
    }

    function test_open_recordsTheSideBorrowIndexOfNow() public {
        uint256 first = _openStandardLong();
        _skip(1 days);
        uint256 second = openPosition(bob, ETH, true, 1e18, 600 * USD);
        uint256 third = openPosition(bob, ETH, false, 1e18, 600 * USD);
        // 3,170,979,198 per second × 86,400 s.
        assertEq(engine.position(second).borrowIndex, 273_972_602_707_200);
        assertEq(engine.position(third).borrowIndex, 273_972_602_707_200);
        assertEq(engine.position(first).borrowIndex, 0);
        assertEq(engine.borrowIndex(ETH, true), RATE * 1 days);
    }

    function test_open_acceptsCollateralEqualToMinimum() public {
        // 0.01 ETH: 30 USD notional, 3 USD initial margin, 10 USD minimum collateral.
        uint256 id = openPosition(alice, ETH, true, 0.01e18, MIN_COLLATERAL);
        assertEq(engine.position(id).collateral, MIN_COLLATERAL);
    }

    function test_open_acceptsCollateralEqualToInitialMargin() public {
        // 1 ETH at 3,000 and 10 % IMR: exactly 300 USD.
        uint256 id = openPosition(alice, ETH, true, 1e18, 300 * USD);
        assertEq(engine.position(id).collateral, 300 * USD);
    }

    function test_open_acceptsBoundEqualToPrice() public {
        fund(alice, 2_000 * USD);
        uint256 longId = _openAs(alice, ETH, true, SIZE, COLLATERAL, ETH_PRICE);
        uint256 shortId = _openAs(alice, ETH, false, SIZE, COLLATERAL, ETH_PRICE);
        assertEq(engine.position(longId).entryPrice, ETH_PRICE);
        assertEq(engine.position(shortId).entryPrice, ETH_PRICE);
    }

    function test_open_acceptsDeadlineEqualToTimestamp() public {
        fund(alice, 1_000 * USD);
        vm.prank(alice);
        uint256 id = engine.open(ETH, true, SIZE, COLLATERAL, ETH_PRICE, block.timestamp);
        assertEq(engine.position(id).owner, alice);
    }

    function test_open_acceptsOpenInterestEqualToCap() public {
        MarketParams memory p = _params(ETH);
        p.maxOpenInterestLong = 99_000e18;
        _setMarket(ETH, p);
        openPosition(alice, ETH, true, 30e18, 9_000 * USD); // 90,000 USD
        openPosition(bob, ETH, true, 3e18, 900 * USD); // 99,000 USD: at the cap
        assertEq(engine.sideState(ETH, true).entryNotional, 99_000e18);
    }

    function test_open_acceptsNotionalEqualToUtilizationCap() public {
        GlobalParams memory g = defaultGlobalParams();
        g.maxUtilization = 0.6e18; // 0.6 × 1,000,000 USD = 600,000 USD
        _setGlobal(g);
        uint256 id = openPosition(alice, ETH, true, 200e18, 60_000 * USD); // 600,000 USD notional
        assertEq(engine.totalEntryNotional(), 600_000e18);
        assertEq(engine.position(id).size, 200e18);
    }

    function test_open_acceptsReservationEqualToPoolAssets() public {
        setPrice(ETH, 2_500e18);
        // 400 ETH at 2,500: cap min(9 × 200,000, 100 % × 1,000,000) = 1,000,000 USD = every asset of the pool.
        uint256 id = openPosition(alice, ETH, true, 400e18, 200_000 * USD);
        assertEq(engine.position(id).maxProfit, POOL_LIQUIDITY);
        assertEq(engine.totalReserved(), POOL_LIQUIDITY);
    }

    function test_open_worksWhenKeeperReserveIsTheMinimum() public {
        GlobalParams memory g = defaultGlobalParams();
        g.keeperReserve = 0.1e6; // 0.1 USD, the lowest bound
        _setGlobal(g);
        uint256 id = openPosition(alice, ETH, true, SIZE, COLLATERAL);
        assertEq(vaultBalance(id), COLLATERAL + 0.1e6);
    }

    // ------------------------------------------------------------ reverts

    function test_open_revertsWhen_sizeIsZero() public {
        _assertOpenReverts(
            ETH,
            true,
            0,
            COLLATERAL,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.ZeroSize.selector)
        );
    }

    function test_open_revertsWhen_deadlineExpired() public {
        uint256 deadline = block.timestamp - 1;
        _assertOpenReverts(
            ETH,
            true,
            SIZE,
            COLLATERAL,
            ETH_PRICE,
            deadline,
            abi.encodeWithSelector(IMarginEngine.DeadlineExpired.selector, deadline, block.timestamp)
        );
    }

    function test_open_revertsWhen_collateralBelowMinimum() public {
        _assertOpenReverts(
            ETH,
            true,
            0.001e18,
            MIN_COLLATERAL - 1,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.CollateralBelowMinimum.selector, MIN_COLLATERAL - 1, MIN_COLLATERAL)
        );
    }

    function test_open_revertsWhen_collateralIsZero() public {
        _assertOpenReverts(
            ETH,
            true,
            SIZE,
            0,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.CollateralBelowMinimum.selector, 0, MIN_COLLATERAL)
        );
    }

    function test_open_revertsWhen_leverageAboveMaximum() public {
        // 1 ETH at 3,000 needs 300 USD at 10× maximum leverage.
        _assertOpenReverts(
            ETH,
            true,
            SIZE,
            300 * USD - 1,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.InitialMarginBreached.selector, int256(300 * USD - 1), 300 * USD)
        );
    }

    function test_open_revertsWhen_leverageAboveMaximum_roundedRequirement() public {
        // The requirement of 37.0385608… USD rounds up to 37.038561 USD, so one unit less is refused.
        setPrice(ETH, 3_000.12345678e18);
        _assertOpenReverts(
            ETH,
            false,
            0.123456789012345678e18,
            37_038_560,
            0,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.InitialMarginBreached.selector, int256(37_038_560), 37_038_561)
        );
    }

    function test_open_revertsWhen_priceAboveBoundForLong() public {
        _assertOpenReverts(
            ETH,
            true,
            SIZE,
            COLLATERAL,
            ETH_PRICE - 1,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.PriceOutsideBound.selector, ETH_PRICE, ETH_PRICE - 1)
        );
    }

    function test_open_revertsWhen_priceBelowBoundForShort() public {
        _assertOpenReverts(
            ETH,
            false,
            SIZE,
            COLLATERAL,
            ETH_PRICE + 1,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.PriceOutsideBound.selector, ETH_PRICE, ETH_PRICE + 1)
        );
    }

    function test_open_revertsWhen_paused() public {
        _pause();
        _assertOpenReverts(
            ETH,
            true,
            SIZE,
            COLLATERAL,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.Paused.selector)
        );
        _assertOpenReverts(
            ETH,
            false,
            SIZE,
            COLLATERAL,
            0,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.Paused.selector)
        );
    }

    function test_open_worksAgainAfterUnpause() public {
        _pause();
        vm.prank(guardian);
        config.unpause();
        uint256 id = _openStandardLong();
        assertEq(engine.position(id).owner, alice);
    }

    function test_open_revertsWhen_marketUnknown() public {
        _assertOpenReverts(
            2,
            true,
            SIZE,
            COLLATERAL,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IRiskConfig.UnknownMarket.selector, 2)
        );
    }

    function test_open_revertsWhen_longOpenInterestCapExceeded() public {
        MarketParams memory p = _params(ETH);
        p.maxOpenInterestLong = 99_000e18;
        _setMarket(ETH, p);
        openPosition(bob, ETH, true, 33e18, 9_900 * USD); // 99,000 USD: at the cap
        // 0.01 ETH more (the smallest step above the minimum notional of 10 USD is 30 USD here) is above the cap.
        _assertOpenReverts(
            ETH,
            true,
            0.01e18,
            MIN_COLLATERAL,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.OpenInterestCapExceeded.selector, ETH, true, 99_030e18, 99_000e18)
        );
        // Shorts have their own cap.
        openPosition(alice, ETH, false, 40e18, 12_000 * USD);
    }

    function test_open_revertsWhen_shortOpenInterestCapExceeded() public {
        MarketParams memory p = _params(ETH);
        p.maxOpenInterestShort = 99_000e18;
        _setMarket(ETH, p);
        openPosition(bob, ETH, false, 33e18, 9_900 * USD);
        _assertOpenReverts(
            ETH,
            false,
            0.01e18,
            MIN_COLLATERAL,
            0,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.OpenInterestCapExceeded.selector, ETH, false, 99_030e18, 99_000e18)
        );
        openPosition(alice, ETH, true, 40e18, 12_000 * USD);
    }

    function test_open_revertsWhen_utilizationCapExceeded() public {
        GlobalParams memory g = defaultGlobalParams();
        g.maxUtilization = 0.5e18; // 500,000 USD of the pool's 1,000,000
        _setGlobal(g);
        // 200 ETH at 3,000 = 600,000 USD notional; its 540,000 USD cap fits in the pool.
        _assertOpenReverts(
            ETH,
            true,
            200e18,
            60_000 * USD,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.UtilizationCapExceeded.selector, 600_000e18, 500_000e18)
        );
    }

    function test_open_revertsWhen_poolCannotReserveMaxProfit() public {
        // Collateral 120,000 USD: cap 9 × 120,000 = 1,080,000 USD > the pool's 1,000,000 USD.
        _assertOpenReverts(
            ETH,
            true,
            400e18,
            120_000 * USD,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.InsufficientPoolLiquidity.selector, POOL_LIQUIDITY, 1_080_000 * USD)
        );
    }

    function test_open_revertsWhen_reservationOneUnitAbovePoolAssets() public {
        setPrice(ETH, 2_500e18);
        // 400.0000000004 ETH at 2,500 = 1,000,000.000001 USD of notional: a cap of 1,000,000 USD + 1 unit.
        _assertOpenReverts(
            ETH,
            true,
            400e18 + 4e8,
            200_000 * USD,
            type(uint256).max,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.InsufficientPoolLiquidity.selector, POOL_LIQUIDITY, POOL_LIQUIDITY + 1)
        );
    }

    /// @dev Pending LP deposits are not the pool's to risk (rule 11): the reservation is checked against pool equity.
    /// An open that would fit only if carol's pending deposit counted is refused; once it is executed, it fits.
    function test_open_revertsWhen_reservationFitsOnlyWithAPendingDeposit() public {
        requestDeposit(carol, 100_000 * USD);
        assertEq(usd.balanceOf(address(pool)), POOL_LIQUIDITY + 100_000 * USD);
        assertEq(pool.equityAssets(), POOL_LIQUIDITY);
        setPrice(ETH, 2_500e18);
        // 440 ETH at 2,500: cap min(9 × 200,000, 100 % × 1,100,000) = 1,100,000 USD = balance, > equity.
        _assertOpenReverts(
            ETH,
            true,
            440e18,
            200_000 * USD,
            type(uint256).max,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.InsufficientPoolLiquidity.selector, POOL_LIQUIDITY, 1_100_000 * USD)
        );

        vm.warp(block.timestamp + LP_DELAY);
        setPrice(ETH, 2_500e18);
        executeDeposit(carol);
        assertEq(pool.equityAssets(), POOL_LIQUIDITY + 100_000 * USD);
        uint256 id = openPosition(alice, ETH, true, 440e18, 200_000 * USD);
        assertEq(engine.position(id).maxProfit, 1_100_000 * USD);
    }

    function test_open_revertsWhen_notionalBelowMinimum() public {
        // 0.003333333333333333 ETH at 3,000 = 9.999999999999999 USD → 9.999999 USD (down) < 10 USD.
        _assertOpenReverts(
            ETH,
            true,
            0.003333333333333333e18,
            MIN_COLLATERAL,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.NotionalBelowMinimum.selector, 9_999_999, MIN_NOTIONAL)
        );
        _assertOpenReverts(
            ETH,
            false,
            0.003333333333333333e18,
            MIN_COLLATERAL,
            0,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.NotionalBelowMinimum.selector, 9_999_999, MIN_NOTIONAL)
        );
    }

    function test_open_acceptsNotionalEqualToMinimum() public {
        // 0.003333333333333334 ETH at 3,000 = 10.000000000000002 USD → 10 USD.
        uint256 id = openPosition(alice, ETH, true, 0.003333333333333334e18, MIN_COLLATERAL);
        assertEq(engine.position(id).size, 0.003333333333333334e18);
        // cap min(9 × 10, 100 % × 10.000000000000002 → 10 USD, down) = 10 USD.
        assertEq(engine.position(id).maxProfit, 10 * USD);
    }

    function test_open_revertsWhen_priceStale() public {
        uint256 updatedAt = block.timestamp;
        vm.warp(block.timestamp + HEARTBEAT + 1);
        _assertOpenReverts(
            ETH,
            true,
            SIZE,
            COLLATERAL,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IOracleErrors.StalePrice.selector, address(ethFeed), updatedAt, HEARTBEAT)
        );
    }

    function test_open_revertsWhen_priceNotPositive() public {
        ethFeed.updateAnswer(0);
        _assertOpenReverts(
            ETH,
            true,
            SIZE,
            COLLATERAL,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IOracleErrors.NonPositivePrice.selector, address(ethFeed), int256(0))
        );
    }

    function test_open_revertsWhen_allowanceMissing() public {
        usd.mint(carol, 1_000 * USD);
        Snapshot memory before = _snapshot(1);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(engine), 0, 605 * USD)
        );
        vm.prank(carol);
        engine.open(ETH, true, SIZE, COLLATERAL, ETH_PRICE, block.timestamp);
        _assertUnchanged(before, 1);
    }

    function test_open_revertsWhen_tokenTakesATransferFee() public {
        FeeSystem memory s = _deployFeeSystem();
        s.token.setFeeBps(100); // 1 %
        uint256 poolBefore = s.token.balanceOf(address(s.pool));
        uint256 aliceBefore = s.token.balanceOf(alice);
        // 605 USD sent to the vault, 1 % burnt on the way: 598.95 USD arrive.
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.FeeOnTransferToken.selector, 605 * USD, 598_950_000));
        vm.prank(alice);
        s.engine.open(ETH, true, SIZE, COLLATERAL, ETH_PRICE, block.timestamp);
        assertEq(s.engine.nextPositionId(), 1);
        assertEq(s.token.balanceOf(s.engine.vaultOf(1)), 0);
        assertEq(s.token.balanceOf(address(s.pool)), poolBefore);
        assertEq(s.token.balanceOf(alice), aliceBefore);
        assertEq(s.engine.totalReserved(), 0);
    }

    function test_constructor_revertsWhen_assetHasMoreThan18Decimals() public {
        Decimals19Token token = new Decimals19Token();
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.UnsupportedDecimals.selector, uint8(19)));
        deployEngine(address(token), address(pool), address(insurance), address(config));
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMarginEngine, Position} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IOracleErrors} from "../../../contracts/interfaces/IOracleErrors.sol";
import {MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {UnitBase} from "./UnitBase.sol";

contract DecreaseTest is UnitBase {
    function _decrease(address who, uint256 positionId, uint256 sizeDelta, uint256 bound) internal {
        vm.prank(who);
        engine.decrease(positionId, sizeDelta, bound, block.timestamp);
    }

    function _assertDecreaseReverts(
        address caller,
        uint256 positionId,
        uint256 sizeDelta,
        uint256 bound,
        uint256 deadline,
        bytes memory err
    ) internal {
        Snapshot memory before = _snapshot(positionId);
        vm.expectRevert(err);
        vm.prank(caller);
        engine.decrease(positionId, sizeDelta, bound, deadline);
        _assertUnchanged(before, positionId);
    }

    // ------------------------------------------------------------ happy paths

    function test_decrease_inProfit_poolPaysPnlAndVaultReturnsCollateralShare() public {
        uint256 id = _openStandardLong();
        vm.warp(block.timestamp + 1 hours);
        setPrice(ETH, 3_300e18);
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 poolBefore = usd.balanceOf(address(pool));

        // Closing 0.4 of 1 ETH at 3,300:
        //   kept cap     = 3,000 × 0.6 = 1,800 USD; the closed part's cap 1,200 USD
        //   pnl          = 0.4 × 300 = 120 USD
        //   fees         = borrow fee of the whole position for 1 h (3,000 × 11,415,525,112,800 / 1e18
        //                  = 0.0342465753384 → 0.034247 USD) + 0.1 % × 0.4 × 3,300 (1.32 USD) = 1.354247 USD
        //   collateral out = 600 × 0.4 = 240 USD; payout = 240 + 120 − 1.354247 = 358.645753 USD
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionDecreased(id, 0.4e18, 3_300e18, 120e6, 1_354_247, 358_645_753, 0.6e18, 360 * USD);
        _decrease(alice, id, 0.4e18, 3_300e18);

        _assertPosition(
            engine.position(id),
            Position({
                owner: alice,
                collateral: uint96(360 * USD),
                size: 0.6e18,
                entryPrice: uint128(ETH_PRICE),
                borrowIndex: uint96(RATE * 1 hours),
                maxProfit: uint96(1_800 * USD),
                marketId: uint16(ETH),
                isLong: true
            })
        );
        assertEq(usd.balanceOf(alice), aliceBefore + 358_645_753);
        assertEq(usd.balanceOf(address(pool)), poolBefore - 118_645_753, "pool paid pnl less fees");
        assertEq(vaultBalance(id), 365 * USD, "vault = remaining collateral + reserve");
        _assertSide(engine.sideState(ETH, true), _side(0.6e18, 1_800e18), "eth long");
        _assertSideMargin(engine.sideState(ETH, true), 360 * USD, 1_800 * USD, "eth long");
        assertEq(engine.totalReserved(), 1_800 * USD);
        assertEq(engine.totalEntryNotional(), 1_800e18);
        assertEq(_borrowFee(1e18, ETH_PRICE, RATE * 1 hours), 34_247);
    }

    function test_decrease_inLoss_vaultPaysLossAndFeesToPool() public {
        uint256 id = _openStandardLong();
        setPrice(ETH, 2_900e18);
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 poolBefore = usd.balanceOf(address(pool));

        // Closing 0.25 at 2,900: pnl −25 USD, fee 0.725 USD, collateral out 150 USD → payout 124.275 USD.
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionDecreased(id, 0.25e18, 2_900e18, -25e6, 725_000, 124_275_000, 0.75e18, 450 * USD);
        _decrease(alice, id, 0.25e18, 2_900e18);

        Position memory p = engine.position(id);
        assertEq(p.collateral, 450 * USD);
        assertEq(p.size, 0.75e18);
        assertEq(p.maxProfit, 2_250 * USD); // 3,000 × 0.75
        assertEq(usd.balanceOf(alice), aliceBefore + 124_275_000);
        assertEq(usd.balanceOf(address(pool)), poolBefore + 25_725_000);
        assertEq(vaultBalance(id), 455 * USD);
        _assertSide(engine.sideState(ETH, true), _side(0.75e18, 2_250e18), "eth long");
        assertEq(engine.totalReserved(), 2_250 * USD);
    }

    function test_decrease_short_roundsEveryShareAgainstTheOwner() public {
        uint256 id = _openStandardShort();
        setPrice(ETH, 2_899.99999999e18);
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 poolBefore = usd.balanceOf(address(pool));

        // Closing 0.333333333333333333 of 1 ETH short at 2,899.99999999:
        //   kept cap       = 3,000 × 0.666666666666666667 = 2,000.000000000000001 → 2,000.000001 USD (up)
        //   pnl            = 0.333333333333333333 × 100.00000001 = 33.3333333366… → 33.333333 USD (down)
        //   fee            = 0.1 % × 966.666666663333… = 0.96666666666… → 0.966667 USD (up)
        //   collateral out = 600 × 0.333333333333333333 = 199.9999998 → 199.999999 USD (down)
        //   payout         = 199.999999 + 33.333333 − 0.966667 = 232.366665 USD
        uint256 sizeDelta = 0.333333333333333333e18;
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionDecreased(
            id,
            sizeDelta,
            2_899.99999999e18,
            33_333_333,
            966_667,
            232_366_665,
            1e18 - sizeDelta,
            400_000_001
        );
        _decrease(alice, id, sizeDelta, 2_899.99999999e18);

        Position memory p = engine.position(id);
        assertEq(p.maxProfit, 2_000_000_001);
        assertEq(p.collateral, 400_000_001);
        assertEq(usd.balanceOf(alice), aliceBefore + 232_366_665);
        assertEq(usd.balanceOf(address(pool)), poolBefore - 32_366_666);
        assertEq(vaultBalance(id), 400_000_001 + KEEPER_RESERVE);
        // 0.666666666666666667 × 3,000 = 2,000.000000000000001 USD.
        _assertSide(engine.sideState(ETH, false), _side(1e18 - sizeDelta, 2_000.000000000000001e18), "eth short");
        assertEq(engine.totalReserved(), 2_000_000_001);
        assertEq(engine.totalEntryNotional(), 2_000.000000000000001e18);
    }

    function test_decrease_capsTheClosedPartsProfitAtItsShareOfTheCap() public {
        MarketParams memory m = _params(ETH);
        m.maxProfitRatio = 0.1e18;
        _setMarket(ETH, m);
        uint256 id = _openStandardLong(); // cap 60 USD
        setPrice(ETH, 3_300e18);
        // Closing half: 150 USD of profit, capped at 60 − 30 = 30 USD. Fee 1.65 USD.
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionDecreased(id, 0.5e18, 3_300e18, 30e6, 1_650_000, 328_350_000, 0.5e18, 300 * USD);
        _decrease(alice, id, 0.5e18, 3_300e18);
        assertEq(engine.position(id).maxProfit, 30 * USD);
        assertEq(engine.totalReserved(), 30 * USD);
    }

    /// @dev Rule 9: the closed part takes floor(cap × Δsize / size) of the cap, the rest keeps the remainder (rounded
    /// up), so the two never add up to more than the cap.
    function test_decrease_closedPartTakesTheFlooredShareOfTheCap() public {
        MarketParams memory m = _params(ETH);
        m.maxProfitRatio = 0.1e18;
        _setMarket(ETH, m);
        uint256 id = _openStandardLong(); // cap min(0.1 × 600, 3,000) = 60 USD
        setPrice(ETH, 3_300e18);
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 poolBefore = usd.balanceOf(address(pool));
        uint256 sizeDelta = 0.333333333333333333e18;

        // Closed share: 60 × 0.333333333333333333 = 19.99999999999999998 → 19.999999 USD (down), far below the
        // closed part's 99.99… USD of pnl; the rest keeps 40.000001 USD.
        // Fee: 0.1 % × 1,099.9999999999999989 → 1.1 USD (up). Collateral out: 199.999999 USD (down).
        // Payout: 199.999999 + 19.999999 − 1.1 = 218.899998 USD.
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionDecreased(
            id,
            sizeDelta,
            3_300e18,
            19_999_999,
            1_100_000,
            218_899_998,
            1e18 - sizeDelta,
            400_000_001
        );
        _decrease(alice, id, sizeDelta, 3_300e18);

        assertEq(engine.position(id).maxProfit, 40_000_001);
        assertEq(engine.totalReserved(), 40_000_001);
        assertEq(usd.balanceOf(alice), aliceBefore + 218_899_998);
        assertEq(usd.balanceOf(address(pool)), poolBefore - 18_899_999, "pool paid the capped pnl less the fee");
    }

    function test_decrease_acceptsRestEqualToMinimumNotional() public {
        uint256 id = _open(alice, true, 0.01e18, 100 * USD); // 30 USD
        setPrice(ETH, 2_500e18);
        _decrease(alice, id, 0.006e18, 0); // 0.004 ETH at 2,500 = 10 USD stay
        assertEq(engine.position(id).size, 0.004e18);
    }

    function test_decrease_revertsWhen_restBelowMinimumNotional() public {
        uint256 id = _open(alice, true, 0.01e18, 100 * USD); // 30 USD
        // 0.003 ETH at 3,000 = 9 USD would stay.
        _assertDecreaseReverts(
            alice,
            id,
            0.007e18,
            0,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.NotionalBelowMinimum.selector, 9 * USD, MIN_NOTIONAL)
        );
    }

    function test_decrease_worksInSettlementAtTheSettlementPrice() public {
        uint256 id = _openStandardLong();
        uint256 price = _settleEth();
        assertEq(price, ETH_PRICE);
        uint256 aliceBefore = usd.balanceOf(alice);
        // The feed is long dead; the settlement price (3,000) is used. Borrow fee of the whole position for the
        // 3 days + 1 h the feed was dying, plus 0.1 % × 1,500 = 1.5 USD closing fee; collateral out 300 USD.
        uint256 fee = _borrowFee(1e18, ETH_PRICE, RATE * (HEARTBEAT + DEAD_FEED_PERIOD));
        _decrease(alice, id, 0.5e18, 0);
        assertEq(engine.position(id).size, 0.5e18);
        assertEq(usd.balanceOf(alice), aliceBefore + 300 * USD - fee - 1_500_000);
    }

    function test_decrease_takesFeesBeyondTheClosedCollateralFromTheRest() public {
        uint256 id = _openStandardLong();
        _skip(100 days);
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 poolBefore = usd.balanceOf(address(pool));

        // Borrow fee for 100 days: 3,000 × 0.02739726027072 = 82.19178081216 → 82.191781 USD; closing fee 0.03 USD.
        // The closed 0.01 ETH frees 6 USD of collateral: 76.221781 USD more come out of the rest.
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionDecreased(id, 0.01e18, ETH_PRICE, 0, 82_221_781, 0, 0.99e18, 517_778_219);
        _decrease(alice, id, 0.01e18, ETH_PRICE);

        Position memory p = engine.position(id);
        assertEq(p.collateral, 517_778_219);
        assertEq(p.borrowIndex, RATE * 100 days);
        assertEq(usd.balanceOf(alice), aliceBefore, "nothing paid out");
        assertEq(usd.balanceOf(address(pool)), poolBefore + 82_221_781);
        assertEq(vaultBalance(id), 517_778_219 + KEEPER_RESERVE);
        assertEq(_borrowFee(1e18, ETH_PRICE, RATE * 100 days), 82_191_781);
    }

    function test_decrease_worksWhilePaused() public {
        uint256 id = _openStandardLong();
        _pause();
        _decrease(alice, id, 0.5e18, ETH_PRICE);
        assertEq(engine.position(id).size, 0.5e18);
    }

    function test_decrease_acceptsBoundEqualToPrice() public {
        uint256 longId = _openStandardLong();
        uint256 shortId = openPosition(bob, ETH, false, 1e18, 600 * USD);
        _decrease(alice, longId, 0.5e18, ETH_PRICE);
        _decrease(bob, shortId, 0.5e18, ETH_PRICE);
        assertEq(engine.position(longId).size, 0.5e18);
        assertEq(engine.position(shortId).size, 0.5e18);
    }

    function test_decrease_leavesOtherPositionsUntouched() public {
        uint256 id = _openStandardLong();
        uint256 other = openPosition(bob, ETH, true, 2e18, 1_000 * USD);
        Position memory otherBefore = engine.position(other);
        uint256 otherVault = vaultBalance(other);
        _decrease(alice, id, 0.5e18, ETH_PRICE);
        _assertPosition(engine.position(other), otherBefore);
        assertEq(vaultBalance(other), otherVault);
    }

    /// @dev Regression: `_decreaseAmounts` once built the remaining position with `Position memory rest = p;`, which
    /// aliased the caller's `p` and made `decrease` take the size delta twice, keep the closed part's profit cap
    /// reserved and, in profit, never pay out the closed collateral (fixed in 0112c24).
    function test_decrease_takesTheSizeDeltaOnceAndReleasesItsReservation() public {
        uint256 id = _openStandardLong();
        setPrice(ETH, 3_300e18);
        uint256 aliceBefore = usd.balanceOf(alice);
        _decrease(alice, id, 0.25e18, 3_300e18);

        // Closing 0.25: pnl 75 USD, fee 0.825 USD, collateral out 150 USD → payout 224.175 USD; 0.75 ETH remain.
        Position memory p = engine.position(id);
        assertEq(p.size, 0.75e18, "remaining size");
        assertEq(engine.sideState(ETH, true).openInterest, 0.75e18, "open interest");
        assertEq(engine.totalReserved(), p.maxProfit, "reservation released with the closed part's cap");
        assertEq(vaultBalance(id), uint256(p.collateral) + KEEPER_RESERVE, "vault = collateral + reserve");
        assertEq(usd.balanceOf(alice), aliceBefore + 224_175_000, "owner paid the closed collateral and pnl");
    }

    /// @dev Regression (same cause): closing more than half of a position used to underflow and revert.
    function test_decrease_moreThanHalfOfThePosition() public {
        uint256 id = _openStandardLong();
        _decrease(alice, id, 0.6e18, ETH_PRICE);
        assertEq(engine.position(id).size, 0.4e18);
    }

    // ------------------------------------------------------------ reverts

    function test_decrease_revertsWhen_sizeDeltaIsZero() public {
        uint256 id = _openStandardLong();
        _assertDecreaseReverts(
            alice,
            id,
            0,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.ZeroSize.selector)
        );
    }

    function test_decrease_revertsWhen_sizeDeltaEqualsSize() public {
        uint256 id = _openStandardLong();
        _assertDecreaseReverts(
            alice,
            id,
            1e18,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.SizeDeltaTooLarge.selector, 1e18, 1e18)
        );
    }

    function test_decrease_revertsWhen_sizeDeltaAboveSize() public {
        uint256 id = _openStandardLong();
        _assertDecreaseReverts(
            alice,
            id,
            2e18,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.SizeDeltaTooLarge.selector, 2e18, 1e18)
        );
    }

    function test_decrease_revertsWhen_deadlineExpired() public {
        uint256 id = _openStandardLong();
        uint256 deadline = block.timestamp - 1;
        _assertDecreaseReverts(
            alice,
            id,
            0.5e18,
            ETH_PRICE,
            deadline,
            abi.encodeWithSelector(IMarginEngine.DeadlineExpired.selector, deadline, block.timestamp)
        );
    }

    function test_decrease_revertsWhen_positionUnknown() public {
        _assertDecreaseReverts(
            alice,
            99,
            0.5e18,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.UnknownPosition.selector, 99)
        );
    }

    function test_decrease_revertsWhen_callerNotOwner() public {
        uint256 id = _openStandardLong();
        _assertDecreaseReverts(
            bob,
            id,
            0.5e18,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.NotPositionOwner.selector, id, bob)
        );
    }

    function test_decrease_revertsWhen_priceBelowBoundForLong() public {
        uint256 id = _openStandardLong();
        _assertDecreaseReverts(
            alice,
            id,
            0.5e18,
            ETH_PRICE + 1,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.PriceOutsideBound.selector, ETH_PRICE, ETH_PRICE + 1)
        );
    }

    function test_decrease_revertsWhen_priceAboveBoundForShort() public {
        uint256 id = _openStandardShort();
        _assertDecreaseReverts(
            alice,
            id,
            0.5e18,
            ETH_PRICE - 1,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.PriceOutsideBound.selector, ETH_PRICE, ETH_PRICE - 1)
        );
    }

    function test_decrease_revertsWhen_restWouldBeLiquidatable() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        setPrice(ETH, 2_750e18);
        // Closing half: collateral out 155 USD, pnl −125 USD, fee 1.375 USD → 155 USD stay.
        // The rest: equity 155 − 125 = 30 USD < 5 % × 0.5 × 2,750 = 68.75 USD.
        _assertDecreaseReverts(
            alice,
            id,
            0.5e18,
            2_750e18,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.MaintenanceMarginBreached.selector, int256(30 * USD), 68_750_000)
        );
    }

    function test_decrease_revertsWhen_restBelowMinimumCollateral() public {
        uint256 id = _open(alice, true, 0.05e18, 20 * USD);
        // Closing 0.03 of 0.05 takes 12 of the 20 USD: 8 USD stay, below the 10 USD minimum.
        _assertDecreaseReverts(
            alice,
            id,
            0.03e18,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.CollateralBelowMinimum.selector, 8 * USD, MIN_COLLATERAL)
        );
    }

    function test_decrease_revertsWhen_closedPartUnderwater() public {
        uint256 id = _openStandardLong();
        _skip(3 * 365 days);
        // Borrow fee for 3 years: 3,000 × 0.299999999964384 = 899.999999893 → 900 USD. Closing half frees 300 USD
        // but owes 901.5 USD: 601.5 USD more than the 300 USD that would stay.
        _assertDecreaseReverts(
            alice,
            id,
            0.5e18,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.DecreaseUnderwater.selector, id)
        );
        assertEq(_borrowFee(1e18, ETH_PRICE, RATE * 3 * 365 days), 900 * USD);
    }

    function test_decrease_revertsWhen_priceStale() public {
        uint256 id = _openStandardLong();
        uint256 updatedAt = block.timestamp;
        vm.warp(block.timestamp + HEARTBEAT + 1);
        _assertDecreaseReverts(
            alice,
            id,
            0.5e18,
            ETH_PRICE,
            block.timestamp,
            abi.encodeWithSelector(IOracleErrors.StalePrice.selector, address(ethFeed), updatedAt, HEARTBEAT)
        );
    }
}

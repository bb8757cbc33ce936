// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IInsuranceFund} from "../../../contracts/interfaces/IInsuranceFund.sol";
import {IMarginEngine, Position} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IOracleErrors} from "../../../contracts/interfaces/IOracleErrors.sol";
import {MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {UnitBase} from "./UnitBase.sol";

contract CloseTest is UnitBase {
    function _close(address who, uint256 positionId, uint256 bound) internal {
        vm.prank(who);
        engine.close(positionId, bound, block.timestamp);
    }

    function _assertCloseReverts(
        address caller,
        uint256 positionId,
        uint256 bound,
        uint256 deadline,
        bytes memory err
    ) internal {
        Snapshot memory before = _snapshot(positionId);
        vm.expectRevert(err);
        vm.prank(caller);
        engine.close(positionId, bound, deadline);
        _assertUnchanged(before, positionId);
    }

    function _assertNothingOpen() internal view {
        _assertSide(engine.sideState(ETH, true), _side(0, 0), "eth long");
        _assertSide(engine.sideState(ETH, false), _side(0, 0), "eth short");
        assertEq(engine.totalReserved(), 0, "totalReserved");
        assertEq(engine.totalEntryNotional(), 0, "totalEntryNotional");
    }

    // ------------------------------------------------------------ happy paths

    function test_close_inProfit_paysCollateralReserveAndPnl() public {
        uint256 id = _openStandardLong();
        vm.warp(block.timestamp + 1 hours);
        setPrice(ETH, 3_300e18);
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 poolBefore = usd.balanceOf(address(pool));

        // pnl 300 USD; fees: 1 h of borrow fee 0.034247 USD + 0.1 % × 3,300 = 3.3 USD → 3.334247 USD.
        // Payout: the vault's 605 USD + 296.665753 USD from the pool.
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionClosed(id, alice, 3_300e18, 300e6, 3_334_247, 901_665_753, 0);
        _close(alice, id, 3_300e18);

        _assertDeleted(id);
        assertEq(usd.balanceOf(alice), aliceBefore + 901_665_753);
        assertEq(usd.balanceOf(address(pool)), poolBefore - 296_665_753);
        assertEq(usd.balanceOf(address(insurance)), 0);
        _assertNothingOpen();
    }

    function test_close_inLoss_vaultPaysLossAndFeesToPool() public {
        uint256 id = _openStandardShort();
        setPrice(ETH, 3_100e18);
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 poolBefore = usd.balanceOf(address(pool));

        // pnl −100 USD, fee 3.1 USD: 103.1 USD to the pool, 605 − 103.1 = 501.9 USD to alice.
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionClosed(id, alice, 3_100e18, -100e6, 3_100_000, 501_900_000, 0);
        _close(alice, id, 3_100e18);

        _assertDeleted(id);
        assertEq(usd.balanceOf(alice), aliceBefore + 501_900_000);
        assertEq(usd.balanceOf(address(pool)), poolBefore + 103_100_000);
        _assertNothingOpen();
    }

    function test_close_roundsLossUpAndGainDown() public {
        uint256 longId = _openStandardLong();
        uint256 shortId = openPosition(bob, ETH, false, 1e18, 600 * USD);
        setPrice(ETH, 3_000.00000001e18);
        // Long gains 0.00000001 USD → 0 (down); short loses 0.00000001 USD → 0.000001 USD (up).
        // Fee 0.1 % × 3,000.00000001 = 3.00000000001 USD → 3.000001 USD (up).
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionClosed(longId, alice, 3_000.00000001e18, 0, 3_000_001, 601_999_999, 0);
        _close(alice, longId, 0);
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionClosed(shortId, bob, 3_000.00000001e18, -1, 3_000_001, 601_999_998, 0);
        _close(bob, shortId, type(uint256).max);
    }

    function test_close_capsProfitAtMaxProfit() public {
        MarketParams memory m = _params(ETH);
        m.maxProfitRatio = 0.1e18;
        _setMarket(ETH, m);
        uint256 id = _openStandardLong(); // cap 60 USD
        setPrice(ETH, 3_300e18);
        uint256 poolBefore = usd.balanceOf(address(pool));
        // 300 USD of profit capped at 60; fee 3.3 USD.
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionClosed(id, alice, 3_300e18, 60e6, 3_300_000, 661_700_000, 0);
        _close(alice, id, 3_300e18);
        assertEq(usd.balanceOf(address(pool)), poolBefore - 56_700_000);
    }

    function test_close_badDebt_coveredByInsurance() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        usd.mint(address(insurance), 100 * USD);
        setPrice(ETH, 2_600e18);
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 poolBefore = usd.balanceOf(address(pool));

        // Owes 400 + 2.6 = 402.6 USD, holds 310: bad debt 92.6 USD, all paid by the insurance fund.
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionClosed(id, alice, 2_600e18, -400e6, 2_600_000, 5 * USD, 92_600_000);
        vm.expectEmit(address(insurance));
        emit IInsuranceFund.BadDebtCovered(92_600_000, 92_600_000);
        _close(alice, id, 0);

        _assertDeleted(id);
        assertEq(usd.balanceOf(alice), aliceBefore + KEEPER_RESERVE, "only the keeper reserve comes back");
        assertEq(usd.balanceOf(address(pool)), poolBefore + 402_600_000, "pool made whole");
        assertEq(usd.balanceOf(address(insurance)), 7_400_000);
        _assertNothingOpen();
    }

    function test_close_badDebt_partlyCoveredByInsurance_poolAbsorbsTheRest() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        usd.mint(address(insurance), 50 * USD);
        setPrice(ETH, 2_600e18);
        uint256 poolBefore = usd.balanceOf(address(pool));

        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionClosed(id, alice, 2_600e18, -400e6, 2_600_000, 5 * USD, 92_600_000);
        vm.expectEmit(address(insurance));
        emit IInsuranceFund.BadDebtCovered(50 * USD, 50 * USD);
        _close(alice, id, 0);

        assertEq(usd.balanceOf(address(pool)), poolBefore + 360 * USD, "42.6 USD absorbed by the pool");
        assertEq(usd.balanceOf(address(insurance)), 0);
    }

    function test_close_badDebt_withEmptyInsurance_poolAbsorbsAll() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        setPrice(ETH, 2_600e18);
        uint256 poolBefore = usd.balanceOf(address(pool));
        uint256 aliceBefore = usd.balanceOf(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionClosed(id, alice, 2_600e18, -400e6, 2_600_000, 5 * USD, 92_600_000);
        _close(alice, id, 0);
        assertEq(usd.balanceOf(address(pool)), poolBefore + 310 * USD);
        assertEq(usd.balanceOf(alice), aliceBefore + KEEPER_RESERVE);
        _assertDeleted(id);
    }

    function test_close_worksWhileLiquidatable() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        setPrice(ETH, 2_750e18);
        uint256 aliceBefore = usd.balanceOf(alice);
        // Loss 250 + fee 2.75 = 252.75 USD out of 315 USD held: 62.25 USD back.
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionClosed(id, alice, 2_750e18, -250e6, 2_750_000, 62_250_000, 0);
        _close(alice, id, 0);
        assertEq(usd.balanceOf(alice), aliceBefore + 62_250_000);
    }

    function test_close_worksWhilePaused() public {
        uint256 id = _openStandardLong();
        _pause();
        _close(alice, id, 0);
        _assertDeleted(id);
    }

    function test_close_returnsADonationToTheVaultToTheOwner() public {
        uint256 id = _openStandardLong();
        usd.mint(engine.vaultOf(id), 7 * USD);
        uint256 aliceBefore = usd.balanceOf(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngine.PositionClosed(id, alice, ETH_PRICE, 0, 3 * USD, 609 * USD, 0);
        _close(alice, id, ETH_PRICE);
        assertEq(usd.balanceOf(alice), aliceBefore + 609 * USD);
        assertEq(vaultBalance(id), 0);
    }

    function test_close_acceptsBoundEqualToPrice() public {
        uint256 longId = _openStandardLong();
        uint256 shortId = openPosition(bob, ETH, false, 1e18, 600 * USD);
        _close(alice, longId, ETH_PRICE);
        _close(bob, shortId, ETH_PRICE);
        _assertDeleted(longId);
        _assertDeleted(shortId);
    }

    function test_close_leavesOtherPositionsUntouched() public {
        uint256 id = _openStandardLong();
        uint256 other = openPosition(bob, ETH, true, 2e18, 1_000 * USD);
        Position memory otherBefore = engine.position(other);
        _close(alice, id, 0);
        _assertPosition(engine.position(other), otherBefore);
        assertEq(vaultBalance(other), 1_005 * USD);
        _assertSide(engine.sideState(ETH, true), _side(2e18, 6_000e18), "eth long");
        // bob's cap: min(9 × 1,000, 100 % × 6,000) = 6,000 USD.
        assertEq(engine.totalReserved(), 6_000 * USD);
    }

    // ------------------------------------------------------------ reverts

    function test_close_revertsWhen_deadlineExpired() public {
        uint256 id = _openStandardLong();
        uint256 deadline = block.timestamp - 1;
        _assertCloseReverts(
            alice,
            id,
            0,
            deadline,
            abi.encodeWithSelector(IMarginEngine.DeadlineExpired.selector, deadline, block.timestamp)
        );
    }

    function test_close_revertsWhen_positionUnknown() public {
        _assertCloseReverts(
            alice,
            99,
            0,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.UnknownPosition.selector, 99)
        );
    }

    function test_close_revertsWhen_alreadyClosed() public {
        uint256 id = _openStandardLong();
        _close(alice, id, 0);
        _assertCloseReverts(
            alice,
            id,
            0,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.UnknownPosition.selector, id)
        );
    }

    function test_close_revertsWhen_callerNotOwner() public {
        uint256 id = _openStandardLong();
        _assertCloseReverts(
            bob,
            id,
            0,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.NotPositionOwner.selector, id, bob)
        );
    }

    function test_close_revertsWhen_priceBelowBoundForLong() public {
        uint256 id = _openStandardLong();
        _assertCloseReverts(
            alice,
            id,
            ETH_PRICE + 1,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.PriceOutsideBound.selector, ETH_PRICE, ETH_PRICE + 1)
        );
    }

    function test_close_revertsWhen_priceAboveBoundForShort() public {
        uint256 id = _openStandardShort();
        _assertCloseReverts(
            alice,
            id,
            ETH_PRICE - 1,
            block.timestamp,
            abi.encodeWithSelector(IMarginEngine.PriceOutsideBound.selector, ETH_PRICE, ETH_PRICE - 1)
        );
    }

    function test_close_revertsWhen_priceStale() public {
        uint256 id = _openStandardLong();
        uint256 updatedAt = block.timestamp;
        vm.warp(block.timestamp + HEARTBEAT + 1);
        _assertCloseReverts(
            alice,
            id,
            0,
            block.timestamp,
            abi.encodeWithSelector(IOracleErrors.StalePrice.selector, address(ethFeed), updatedAt, HEARTBEAT)
        );
    }

    function test_close_revertsWhen_priceNegative() public {
        uint256 id = _openStandardLong();
        ethFeed.updateAnswer(-1);
        _assertCloseReverts(
            alice,
            id,
            0,
            block.timestamp,
            abi.encodeWithSelector(IOracleErrors.NonPositivePrice.selector, address(ethFeed), int256(-1))
        );
    }
}

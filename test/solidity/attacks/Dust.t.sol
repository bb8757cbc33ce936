// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMarginEngine, Position} from "../../../contracts/interfaces/IMarginEngine.sol";
import {MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {AttackBase} from "./utils/AttackBase.sol";

/// @dev Dust: positions too small to be worth liquidating cannot be opened or left behind by a decrease or a margin
/// withdrawal, and tiny sizes, where every amount rounds, cannot be used to extract value.
contract DustAttackTest is AttackBase {
    /// @dev The smallest ETH size whose notional at 3,000 USD reaches the 10 USD minimum: ⌈10 USD / 3,000⌉.
    uint256 internal constant MIN_SIZE = 3_333_333_333_333_334;

    /// @dev Below the minimum notional nothing opens, whatever the collateral: positions too small to be worth
    /// liquidating (or to use as a cheap lever on the pool's valuation) do not exist.
    function testFuzz_openBelowMinimumNotional_reverts(uint256 size, bool isLong) public {
        size = bound(size, 1, MIN_SIZE - 1);
        fund(alice, 100 * USD);
        // Rounded down, as the engine rounds it: the bound is a limit on the caller.
        uint256 notional = (size * ETH_PRICE) / 1e18 / 1e12;
        Snapshot memory before = _snapshot();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.NotionalBelowMinimum.selector, notional, MIN_NOTIONAL));
        engine.open(ETH, isLong, size, MIN_COLLATERAL, isLong ? type(uint256).max : 0, block.timestamp);
        _assertUnchanged(before, _snapshot());
    }

    /// @dev A small position backed by a large collateral cannot reserve (and so lock, or lever the valuation with)
    /// more of the pool than its notional: 0.01 ETH at 3,000 with 100,000 USD reserves 30 USD, not 9 × 100,000. Margin
    /// added later, or an increase that brings no collateral, never raises it (the cap is sticky).
    function test_largeCollateralSmallPosition_capBoundedByNotional() public {
        uint256 reservedBefore = engine.totalReserved();
        uint256 id = openPosition(alice, ETH, true, 0.01e18, 100_000 * USD);
        assertEq(engine.position(id).maxProfit, 30 * USD, "cap above the notional");
        assertEq(engine.totalReserved() - reservedBefore, 30 * USD, "reserved above the notional");

        fund(alice, 200_000 * USD);
        vm.startPrank(alice);
        engine.addMargin(id, 100_000 * USD);
        assertEq(engine.position(id).maxProfit, 30 * USD, "margin raised the cap");
        engine.increase(id, 0.01e18, 0, type(uint256).max, block.timestamp);
        vm.stopPrank();
        // min(9 × 0 collateral, 100 % × 30 USD) = 0 more.
        assertEq(engine.position(id).maxProfit, 30 * USD, "an increase without collateral raised the cap");
        assertEq(engine.totalReserved() - reservedBefore, 30 * USD, "reserved");
    }

    /// @dev Nor can a decrease leave a remainder below it.
    function test_decreaseBelowMinimumNotional_reverts() public {
        uint256 id = openPosition(alice, ETH, true, 0.01e18, 300 * USD);
        Snapshot memory before = _snapshot();
        vm.prank(alice);
        // 0.0005 ETH left: 1.5 USD of notional.
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.NotionalBelowMinimum.selector, 1_500_000, MIN_NOTIONAL));
        engine.decrease(id, 0.0095e18, 0, block.timestamp);
        _assertUnchanged(before, _snapshot());
    }
    function test_openBelowMinimumCollateral_reverts() public {
        fund(alice, 100 * USD);
        Snapshot memory before = _snapshot();
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IMarginEngineBase.CollateralBelowMinimum.selector, MIN_COLLATERAL - 1, MIN_COLLATERAL)
        );
        engine.open(ETH, true, 1, MIN_COLLATERAL - 1, type(uint256).max, block.timestamp);
        _assertUnchanged(before, _snapshot());
    }

    function testFuzz_openBelowMinimumCollateral_reverts(uint256 collateral, uint256 size, bool isLong) public {
        collateral = bound(collateral, 0, MIN_COLLATERAL - 1);
        size = bound(size, 1, 1e15);
        fund(alice, 100 * USD);
        Snapshot memory before = _snapshot();
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IMarginEngineBase.CollateralBelowMinimum.selector, collateral, MIN_COLLATERAL)
        );
        engine.open(ETH, isLong, size, collateral, isLong ? type(uint256).max : 0, block.timestamp);
        _assertUnchanged(before, _snapshot());
    }

    /// @dev 0.01 ETH with 12 USD: closing 90 % of it would pay out 10.8 USD and leave 1.2 USD.
    function test_decreaseLeavingDust_reverts() public {
        uint256 id = openPosition(alice, ETH, true, 0.01e18, 12 * USD);
        Snapshot memory before = _snapshot();
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IMarginEngineBase.CollateralBelowMinimum.selector, 1_200_000, MIN_COLLATERAL)
        );
        engine.decrease(id, 0.009e18, 0, block.timestamp);
        _assertUnchanged(before, _snapshot());
    }

    /// @dev Every decrease at an unchanged price either leaves at least the minimum collateral, with the exact size and
    /// collateral the maths gives, or reverts with CollateralBelowMinimum naming what would have been left.
    function testFuzz_decrease_neverLeavesDust(uint256 sizeDelta) public {
        uint256 id = openPosition(alice, ETH, true, 1e18, 310 * USD);
        sizeDelta = bound(sizeDelta, 1, 1e18 - 1);
        // Collateral released rounds down; the 0.1 % close fee rounds up.
        uint256 released = (310 * USD * sizeDelta) / 1e18;
        uint256 fee = _ceilDiv(_ceilDiv(sizeDelta * 3_000, 1_000), 1e12);
        uint256 left = released >= fee ? 310 * USD - released : 310 * USD - fee;

        if (left < MIN_COLLATERAL) {
            Snapshot memory before = _snapshot();
            vm.prank(alice);
            vm.expectRevert(
                abi.encodeWithSelector(IMarginEngineBase.CollateralBelowMinimum.selector, left, MIN_COLLATERAL)
            );
            engine.decrease(id, sizeDelta, 0, block.timestamp);
            _assertUnchanged(before, _snapshot());
        } else {
            vm.prank(alice);
            engine.decrease(id, sizeDelta, 0, block.timestamp);
            Position memory p = engine.position(id);
            assertEq(p.size, 1e18 - sizeDelta, "size left");
            assertEq(p.collateral, left, "collateral left");
            assertEq(vaultBalance(id), left + KEEPER_RESERVE, "vault holds the collateral and reserve");
        }
    }

    /// @dev 0.01 ETH (30 USD notional) with 310 USD: initial margin is no constraint, the minimum collateral is.
    function test_removeMarginLeavingDust_reverts() public {
        uint256 id = openPosition(alice, ETH, true, 0.01e18, 310 * USD);
        Snapshot memory before = _snapshot();
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IMarginEngineBase.CollateralBelowMinimum.selector, MIN_COLLATERAL - 1, MIN_COLLATERAL)
        );
        engine.removeMargin(id, 300 * USD + 1);
        _assertUnchanged(before, _snapshot());
    }

    /// @dev Round trips of tiny sizes, the price swinging back and forth between them: each opening and closing fee
    /// rounds up to at least one unit, gains round down and losses up, so the trader ends with strictly less; with
    /// fees set to zero, never with more.
    function testFuzz_tinyRoundTrips_neverExtractValue(
        uint256 size,
        uint256 moveBps,
        bool isLong,
        bool zeroFees
    ) public {
        // The smallest positions allowed: notional 10 USD (the minimum) to a few cents more, where every amount rounds.
        size = bound(size, MIN_SIZE, MIN_SIZE + 1e13);
        moveBps = bound(moveBps, 0, 1_000);
        if (zeroFees) {
            MarketParams memory params = defaultMarketParams(address(ethFeed));
            params.openFeeRatio = 0;
            params.closeFeeRatio = 0;
            vm.prank(governance);
            config.setMarketParams(ETH, params);
        }
        uint256[2] memory prices = [ETH_PRICE, (ETH_PRICE * (10_000 + moveBps)) / 10_000];
        fund(alice, 1_000 * USD);
        uint256 start = usd.balanceOf(alice);
        uint256 poolStart = usd.balanceOf(address(pool));

        vm.startPrank(alice);
        for (uint256 i; i < 10; ++i) {
            uint256 id = engine.open(
                ETH,
                isLong,
                size,
                MIN_COLLATERAL,
                isLong ? type(uint256).max : 0,
                block.timestamp
            );
            setPrice(ETH, prices[(i + 1) % 2]);
            engine.close(id, isLong ? 0 : type(uint256).max, block.timestamp);
        }
        vm.stopPrank();

        uint256 end = usd.balanceOf(alice);
        if (zeroFees) assertLe(end, start, "round trips paid the trader");
        else assertLt(end, start, "round trips did not cost the trader");
        assertEq(usd.balanceOf(address(pool)) - poolStart, start - end, "conservation");
    }

    /// @dev Closing a position one wei at a time pays no more than closing it at once.
    function test_manyTinyDecreases_payNoMoreThanOneClose() public {
        uint256 id = openPosition(alice, ETH, true, 1e18, 600 * USD);
        setPrice(ETH, 3_100e18);
        uint256 before = usd.balanceOf(alice);
        uint256 snapshotId = vm.snapshotState();
        vm.prank(alice);
        engine.close(id, 0, block.timestamp);
        uint256 oneClose = usd.balanceOf(alice) - before;
        vm.revertToState(snapshotId);

        vm.startPrank(alice);
        for (uint256 i; i < 20; ++i) engine.decrease(id, 1, 0, block.timestamp);
        engine.close(id, 0, block.timestamp);
        vm.stopPrank();
        assertLe(usd.balanceOf(alice) - before, oneClose, "tiny decreases paid more than one close");
        assertEq(vaultBalance(id), 0, "vault not emptied");
    }

    function _ceilDiv(uint256 a, uint256 b) internal pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }
}

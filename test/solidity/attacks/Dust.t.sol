// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {
    CancelReason,
    IMarginEngineBase,
    OrderKind,
    Position,
    SideState
} from "../../../contracts/interfaces/IMarginEngine.sol";
import {MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {AttackBase} from "./utils/AttackBase.sol";

/// @dev Dust: positions too small to be worth liquidating cannot be opened or left behind by a decrease or a margin
/// withdrawal, and tiny sizes, where every amount rounds, cannot be used to extract value. Whether an order leaves dust
/// depends on its execution price, so an order that would is cancelled at execution (rule 6: a margin failure; the
/// executor keeps the execution fee) and changes no position.
contract DustAttackTest is AttackBase {
    /// @dev The smallest ETH size whose notional at 3,000 USD reaches the 10 USD minimum: ⌈10 USD / 3,000⌉.
    uint256 internal constant MIN_SIZE = 3_333_333_333_333_334;
    uint256 internal constant ORDER_FEE = 1 * USD;

    /// @dev Below the minimum notional nothing opens, whatever the collateral: the order is cancelled at execution,
    /// the trader gets collateral and keeper reserve back, the executor the execution fee, and no position exists.
    function testFuzz_openBelowMinimumNotional_cancelledAtExecution(uint256 size, bool isLong) public {
        size = bound(size, 1, MIN_SIZE - 1);
        fund(alice, 100 * USD + KEEPER_RESERVE + ORDER_FEE);
        vm.prank(alice);
        uint256 id = engine.requestOpen(
            ETH,
            isLong,
            size,
            100 * USD,
            isLong ? type(uint128).max : 0,
            _deadline(),
            ORDER_FEE
        );
        SideState memory side = engine.sideState(ETH, isLong);
        uint256 reserved = engine.totalReserved();

        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            id,
            OrderKind.Open,
            CancelReason.Margin,
            keeper,
            100 * USD + KEEPER_RESERVE,
            ORDER_FEE
        );
        vm.prank(keeper);
        engine.executeOrder(id);
        assertEq(engine.position(id).owner, address(0), "a dust position exists");
        assertEq(usd.balanceOf(alice), 100 * USD + KEEPER_RESERVE, "trader refund");
        assertEq(usd.balanceOf(keeper), ORDER_FEE, "executor fee");
        assertEq(keccak256(abi.encode(engine.sideState(ETH, isLong))), keccak256(abi.encode(side)), "side changed");
        assertEq(engine.totalReserved(), reserved, "reserved");
    }

    /// @dev A small position backed by a large collateral cannot reserve (and so lock, or lever the valuation with)
    /// more of the pool than its notional: 0.01 ETH at 3,000 with 100,000 USD reserves 30 USD, not 9 × 100,000. Margin
    /// added later, or an increase that brings no collateral, never raises it (the cap is sticky).
    function test_largeCollateralSmallPosition_capBoundedByNotional() public {
        uint256 reservedBefore = engine.totalReserved();
        uint256 id = openPosition(alice, ETH, true, 0.01e18, 100_000 * USD);
        assertEq(engine.position(id).maxProfit, 30 * USD, "cap above the notional");
        assertEq(engine.totalReserved() - reservedBefore, 30 * USD, "reserved above the notional");

        fund(alice, 100_000 * USD);
        vm.prank(alice);
        engine.addMargin(id, 100_000 * USD);
        assertEq(engine.position(id).maxProfit, 30 * USD, "margin raised the cap");
        increasePosition(id, 0.01e18, 0);
        assertEq(engine.position(id).size, 0.02e18, "increase did not execute");
        // min(9 × 0 collateral, 100 % × 30 USD) = 0 more.
        assertEq(engine.position(id).maxProfit, 30 * USD, "an increase without collateral raised the cap");
        assertEq(engine.totalReserved() - reservedBefore, 30 * USD, "reserved");
    }

    /// @dev Nor can a decrease leave a remainder below it: 0.0005 ETH left would be 1.5 USD of notional.
    function test_decreaseBelowMinimumNotional_cancelled() public {
        uint256 id = openPosition(alice, ETH, true, 0.01e18, 300 * USD);
        _assertDecreaseCancelled(id, 0.0095e18);
    }

    function test_requestOpenBelowMinimumCollateral_reverts() public {
        fund(alice, 100 * USD);
        Snapshot memory before = _snapshot();
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IMarginEngineBase.CollateralBelowMinimum.selector,
                MIN_COLLATERAL - 1,
                MIN_COLLATERAL
            )
        );
        engine.requestOpen(ETH, true, 1e18, MIN_COLLATERAL - 1, type(uint128).max, _deadline(), 0);
        _assertUnchanged(before, _snapshot());
    }

    function testFuzz_requestOpenBelowMinimumCollateral_reverts(uint256 collateral, uint256 size, bool isLong) public {
        collateral = bound(collateral, 0, MIN_COLLATERAL - 1);
        size = bound(size, 1, 1e15);
        fund(alice, 100 * USD);
        Snapshot memory before = _snapshot();
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IMarginEngineBase.CollateralBelowMinimum.selector, collateral, MIN_COLLATERAL)
        );
        engine.requestOpen(ETH, isLong, size, collateral, isLong ? type(uint128).max : 0, _deadline(), 0);
        _assertUnchanged(before, _snapshot());
    }

    /// @dev The opening fee comes out of the escrowed collateral at execution: an open of 0.004 ETH (12 USD, initial
    /// margin 1.2 USD) whose collateral is the minimum exactly would keep 10 − 0.012 USD, and is cancelled.
    function test_openCollateralBelowMinimumAfterFee_cancelled() public {
        uint256 id = requestOpen(alice, ETH, true, 0.004e18, MIN_COLLATERAL);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            id,
            OrderKind.Open,
            CancelReason.Margin,
            keeper,
            MIN_COLLATERAL + KEEPER_RESERVE,
            0
        );
        vm.prank(keeper);
        engine.executeOrder(id);
        assertEq(engine.position(id).owner, address(0), "a dust position exists");
    }

    /// @dev 0.01 ETH with 12 USD: closing 90 % of it would pay out 10.8 USD and leave 1.2 USD.
    function test_decreaseLeavingDust_cancelled() public {
        uint256 id = openPosition(alice, ETH, true, 0.01e18, 12 * USD);
        _assertDecreaseCancelled(id, 0.009e18);
    }

    /// @dev Every decrease at an unchanged price either leaves at least the minimum collateral, with the exact size and
    /// collateral the maths gives, or is cancelled without touching the position.
    function testFuzz_decrease_neverLeavesDust(uint256 sizeDelta) public {
        uint256 id = openPosition(alice, ETH, true, 1e18, 310 * USD);
        address vault = engine.vaultOf(id);
        sizeDelta = bound(sizeDelta, 1, 1e18 - 1);
        // Collateral released rounds down; the 0.1 % close fee and the borrow fee of the second between the open and
        // the execution round up.
        uint256 released = (310 * USD * sizeDelta) / 1e18;
        uint256 fees = _ceilDiv(_ceilDiv(sizeDelta * 3_000, 1_000), 1e12) + _borrowFee(3_000e18, 1);
        uint256 left = released >= fees ? 310 * USD - released : 310 * USD - fees;

        if (left < MIN_COLLATERAL) {
            _assertDecreaseCancelled(id, sizeDelta);
        } else {
            decreasePosition(id, sizeDelta);
            Position memory p = engine.position(id);
            assertEq(p.size, 1e18 - sizeDelta, "size left");
            assertEq(p.collateral, left, "collateral left");
            assertEq(usd.balanceOf(vault), left + KEEPER_RESERVE, "vault holds the collateral and reserve");
        }
    }

    /// @dev 0.01 ETH (30 USD notional) with 310 USD: initial margin is no constraint, the minimum collateral is.
    function test_removeMarginLeavingDust_reverts() public {
        uint256 id = openPosition(alice, ETH, true, 0.01e18, 310 * USD);
        Snapshot memory before = _snapshot();
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IMarginEngineBase.CollateralBelowMinimum.selector,
                MIN_COLLATERAL - 1,
                MIN_COLLATERAL
            )
        );
        engine.removeMargin(id, 300 * USD + 1, alice);
        _assertUnchanged(before, _snapshot());
    }

    /// @dev Round trips of tiny sizes, the price swinging back and forth between the executions: each opening and
    /// closing fee rounds up to at least one unit, gains round down and losses up, borrow fees accrue, so the trader
    /// ends with strictly less; with trading fees set to zero, never with more.
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

        for (uint256 i; i < 10; ++i) {
            // One USD above the minimum, so that the opening fee at either price leaves at least the minimum.
            vm.prank(alice);
            uint256 id = engine.requestOpen(
                ETH,
                isLong,
                size,
                MIN_COLLATERAL + USD,
                isLong ? type(uint128).max : 0,
                _deadline(),
                0
            );
            executeAt(id, ETH, prices[i % 2]);
            assertEq(engine.position(id).size, size, "open did not execute");
            vm.prank(alice);
            engine.requestClose(id, isLong ? 0 : type(uint128).max, _deadline(), 0, alice);
            executeAt(id, ETH, prices[(i + 1) % 2]);
            assertEq(engine.position(id).owner, address(0), "close did not execute");
        }

        uint256 end = usd.balanceOf(alice);
        if (zeroFees) assertLe(end, start, "round trips paid the trader");
        else assertLt(end, start, "round trips did not cost the trader");
        assertEq(usd.balanceOf(address(pool)) - poolStart, start - end, "conservation");
    }

    /// @dev Closing a position one wei at a time pays no more than closing it at once.
    function test_manyTinyDecreases_payNoMoreThanOneClose() public {
        uint256 id = openPosition(alice, ETH, true, 1e18, 600 * USD);
        address vault = engine.vaultOf(id);
        setPrice(ETH, 3_100e18);
        uint256 before = usd.balanceOf(alice);
        uint256 snapshotId = vm.snapshotState();
        closePosition(id, alice);
        uint256 oneClose = usd.balanceOf(alice) - before;
        vm.revertToState(snapshotId);

        for (uint256 i; i < 20; ++i) decreasePosition(id, 1);
        assertEq(engine.position(id).size, 1e18 - 20, "tiny decreases did not execute");
        closePosition(id, alice);
        assertLe(usd.balanceOf(alice) - before, oneClose, "tiny decreases paid more than one close");
        assertEq(usd.balanceOf(vault), 0, "vault not emptied");
    }

    /// @dev Alice asks to decrease by `sizeDelta` with an execution fee; at the next round (same price) the order is
    /// cancelled for margin: the executor keeps the fee, and the position, its vault's recorded amounts and the
    /// market's aggregates are as before.
    function _assertDecreaseCancelled(uint256 id, uint256 sizeDelta) internal {
        fund(alice, ORDER_FEE);
        vm.prank(alice);
        engine.requestDecrease(id, sizeDelta, 0, _deadline(), ORDER_FEE, alice);
        Position memory record = engine.position(id);
        SideState memory side = engine.sideState(ETH, true);
        uint256 vault = vaultBalance(id);
        uint256 aliceBefore = usd.balanceOf(alice);

        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Decrease, CancelReason.Margin, keeper, 0, ORDER_FEE);
        vm.prank(keeper);
        engine.executeOrder(id);
        assertEq(keccak256(abi.encode(engine.position(id))), keccak256(abi.encode(record)), "position changed");
        assertEq(keccak256(abi.encode(engine.sideState(ETH, true))), keccak256(abi.encode(side)), "side changed");
        assertEq(vaultBalance(id), vault - ORDER_FEE, "vault");
        assertEq(usd.balanceOf(alice), aliceBefore, "the trader was paid");
        assertEq(usd.balanceOf(keeper), ORDER_FEE, "executor fee");
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMarginEngine, Position} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IOracleErrors} from "../../../contracts/interfaces/IOracleErrors.sol";
import {MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {UnitBase} from "./UnitBase.sol";

contract RemoveMarginTest is UnitBase {
    uint256 internal id;

    function setUp() public override {
        super.setUp();
        id = _openStandardLong(); // alice long 1 ETH at 3,000 with 600 USD: 300 USD initial margin
    }

    function _remove(uint256 positionId, uint256 amount) internal {
        vm.prank(alice);
        engine.removeMargin(positionId, amount);
    }

    function _assertRemoveReverts(address caller, uint256 positionId, uint256 amount, bytes memory err) internal {
        Snapshot memory before = _snapshot(positionId);
        vm.expectRevert(err);
        vm.prank(caller);
        engine.removeMargin(positionId, amount);
        _assertUnchanged(before, positionId);
    }

    // ------------------------------------------------------------ happy paths

    /// @dev Rule 9: cap = min(cap, maxProfitRatio × new collateral), and the pool's reservation shrinks with it.
    function test_removeMargin_paysOwnerAndLowersTheCap() public {
        Position memory before = engine.position(id);
        assertEq(before.maxProfit, 3_000 * USD); // min(9 × 600, 100 % × 3,000)
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 poolBefore = usd.balanceOf(address(pool));

        vm.expectEmit(address(engine));
        emit IMarginEngine.MarginRemoved(id, 300 * USD, 300 * USD);
        _remove(id, 300 * USD);

        Position memory expected = before;
        expected.collateral = uint96(300 * USD);
        expected.maxProfit = uint96(2_700 * USD); // min(3,000, 9 × 300)
        _assertPosition(engine.position(id), expected);
        assertEq(vaultBalance(id), 305 * USD, "vault = collateral + reserve");
        assertEq(usd.balanceOf(alice), aliceBefore + 300 * USD);
        assertEq(usd.balanceOf(address(pool)), poolBefore);
        assertEq(engine.totalReserved(), 2_700 * USD, "reservation released");
        _assertSide(engine.sideState(ETH, true), _side(1e18, 3_000e18), "eth long");
        _assertSideMargin(engine.sideState(ETH, true), 300 * USD, 2_700 * USD, "eth long");
    }

    /// @dev While 9 × the new collateral stays above the cap, the cap (and the reservation) does not move.
    function test_removeMargin_keepsACapBelowTheRatioOfTheNewCollateral() public {
        _remove(id, 200 * USD); // 9 × 400 = 3,600 > 3,000
        assertEq(engine.position(id).maxProfit, 3_000 * USD);
        assertEq(engine.totalReserved(), 3_000 * USD);
    }

    function test_removeMargin_acceptsEquityEqualToInitialMargin() public {
        _remove(id, 300 * USD);
        assertEq(engine.position(id).collateral, 300 * USD);
        assertEq(vaultBalance(id), 305 * USD);
    }

    function test_removeMargin_acceptsLossLeavingExactlyInitialMargin() public {
        setPrice(ETH, 2_900e18);
        // Equity (600 − 210) − 100 = 290 USD = 10 % × 2,900.
        _remove(id, 210 * USD);
        assertEq(engine.position(id).collateral, 390 * USD);
    }

    function test_removeMargin_keepsTheCapWhenTheRatioWouldRaiseIt() public {
        uint256 small = _open(alice, true, 1e18, 320 * USD); // cap min(9 × 320, 3,000) = 2,880 USD
        MarketParams memory m = _params(ETH);
        m.maxProfitRatio = 10e18;
        _setMarket(ETH, m);
        _remove(small, 10 * USD);
        // 10 × 310 = 3,100 USD would exceed the 2,880 USD recorded: the cap stays.
        assertEq(engine.position(small).maxProfit, 2_880 * USD);
        assertEq(engine.totalReserved(), 3_000 * USD + 2_880 * USD);
    }

    function test_removeMargin_acceptsCollateralEqualToMinimum() public {
        uint256 small = _open(alice, true, 0.02e18, 20 * USD); // 60 USD notional, 6 USD initial margin
        _remove(small, 10 * USD);
        assertEq(engine.position(small).collateral, MIN_COLLATERAL);
        // min(9 × 20, 100 % × 60) = 60 at open; 9 × 10 = 90 does not raise it.
        assertEq(engine.position(small).maxProfit, 60 * USD);
    }

    function test_removeMargin_worksWhilePaused() public {
        _pause();
        _remove(id, 100 * USD);
        assertEq(engine.position(id).collateral, 500 * USD);
    }

    function test_removeMargin_doesNotSettleBorrowFees() public {
        vm.warp(block.timestamp + 1 hours);
        setPrice(ETH, ETH_PRICE);
        _remove(id, 100 * USD);
        assertEq(engine.position(id).borrowIndex, 0);
        assertEq(vaultBalance(id), 505 * USD);
    }

    // ------------------------------------------------------------ reverts

    function test_removeMargin_revertsWhen_amountIsZero() public {
        _assertRemoveReverts(alice, id, 0, abi.encodeWithSelector(IMarginEngine.ZeroAmount.selector));
    }

    function test_removeMargin_revertsWhen_positionUnknown() public {
        _assertRemoveReverts(alice, 99, 1, abi.encodeWithSelector(IMarginEngine.UnknownPosition.selector, 99));
    }

    function test_removeMargin_revertsWhen_callerNotOwner() public {
        _assertRemoveReverts(bob, id, 1, abi.encodeWithSelector(IMarginEngine.NotPositionOwner.selector, id, bob));
    }

    function test_removeMargin_revertsWhen_initialMarginBreached() public {
        // One unit more than the 300 USD of slack.
        _assertRemoveReverts(
            alice,
            id,
            300 * USD + 1,
            abi.encodeWithSelector(IMarginEngine.InitialMarginBreached.selector, int256(300 * USD - 1), 300 * USD)
        );
    }

    function test_removeMargin_revertsWhen_lossBreachesInitialMargin() public {
        setPrice(ETH, 2_900e18);
        // (600 − 211) − 100 = 289 USD < 290 USD.
        _assertRemoveReverts(
            alice,
            id,
            211 * USD,
            abi.encodeWithSelector(IMarginEngine.InitialMarginBreached.selector, int256(289 * USD), 290 * USD)
        );
    }

    function test_removeMargin_revertsWhen_onlyUnrealisedProfitWouldCoverMargin() public {
        setPrice(ETH, 3_600e18);
        // 600 USD of profit do not count: 300 USD left < 10 % × 3,600 = 360 USD.
        _assertRemoveReverts(
            alice,
            id,
            300 * USD,
            abi.encodeWithSelector(IMarginEngine.InitialMarginBreached.selector, int256(300 * USD), 360 * USD)
        );
    }

    function test_removeMargin_revertsWhen_owedBorrowFeeBreachesInitialMargin() public {
        vm.warp(block.timestamp + 1 hours);
        setPrice(ETH, ETH_PRICE);
        // 300 USD left less 0.034247 USD of owed borrow fee.
        _assertRemoveReverts(
            alice,
            id,
            300 * USD,
            abi.encodeWithSelector(IMarginEngine.InitialMarginBreached.selector, int256(299_965_753), 300 * USD)
        );
    }

    function test_removeMargin_revertsWhen_collateralBelowMinimum() public {
        uint256 small = _open(alice, true, 0.02e18, 20 * USD);
        _assertRemoveReverts(
            alice,
            small,
            10 * USD + 1,
            abi.encodeWithSelector(IMarginEngine.CollateralBelowMinimum.selector, MIN_COLLATERAL - 1, MIN_COLLATERAL)
        );
    }

    function test_removeMargin_revertsWhen_amountAboveCollateral() public {
        _assertRemoveReverts(
            alice,
            id,
            600 * USD + 1,
            abi.encodeWithSelector(IMarginEngine.CollateralBelowMinimum.selector, 0, MIN_COLLATERAL)
        );
    }

    function test_removeMargin_revertsWhen_amountEqualsCollateral() public {
        _assertRemoveReverts(
            alice,
            id,
            600 * USD,
            abi.encodeWithSelector(IMarginEngine.CollateralBelowMinimum.selector, 0, MIN_COLLATERAL)
        );
    }

    function test_removeMargin_revertsWhen_priceStale() public {
        uint256 updatedAt = block.timestamp;
        vm.warp(block.timestamp + HEARTBEAT + 1);
        _assertRemoveReverts(
            alice,
            id,
            1,
            abi.encodeWithSelector(IOracleErrors.StalePrice.selector, address(ethFeed), updatedAt, HEARTBEAT)
        );
    }
}

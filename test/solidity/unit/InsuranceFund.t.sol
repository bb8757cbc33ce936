// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IEngineBound} from "../../../contracts/interfaces/IEngineBound.sol";
import {IInsuranceFund} from "../../../contracts/interfaces/IInsuranceFund.sol";
import {IMarginEngineBase} from "../../../contracts/interfaces/IMarginEngine.sol";
import {UnitBase} from "./UnitBase.sol";

/// @notice The insurance fund: pays the pool what it can of a bad debt, on the engine's word only; receives
/// liquidation penalties and the donations swept from reused vaults.
contract InsuranceFundTest is UnitBase {
    function _cover(uint256 amount) internal returns (uint256 paid) {
        vm.prank(address(engine));
        paid = insurance.cover(address(pool), amount);
    }

    function test_cover_paysTheRequestedAmount() public {
        usd.mint(address(insurance), 100 * USD);
        vm.expectEmit(address(insurance));
        emit IInsuranceFund.BadDebtCovered(60 * USD, 60 * USD);
        assertEq(_cover(60 * USD), 60 * USD);
        assertEq(usd.balanceOf(address(insurance)), 40 * USD);
        assertEq(usd.balanceOf(address(pool)), POOL_LIQUIDITY + 60 * USD);
    }

    function test_cover_paysTheWholeBalanceWhenShort() public {
        usd.mint(address(insurance), 100 * USD);
        vm.expectEmit(address(insurance));
        emit IInsuranceFund.BadDebtCovered(250 * USD, 100 * USD);
        assertEq(_cover(250 * USD), 100 * USD);
        assertEq(usd.balanceOf(address(insurance)), 0);
        assertEq(usd.balanceOf(address(pool)), POOL_LIQUIDITY + 100 * USD);
    }

    function test_cover_paysNothingWhenEmpty() public {
        vm.expectEmit(address(insurance));
        emit IInsuranceFund.BadDebtCovered(5 * USD, 0);
        assertEq(_cover(5 * USD), 0);
        assertEq(usd.balanceOf(address(pool)), POOL_LIQUIDITY);
    }

    function test_cover_revertsWhen_callerIsNotTheEngine() public {
        usd.mint(address(insurance), 100 * USD);
        address[4] memory callers = [alice, address(pool), governance, address(this)];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IEngineBound.OnlyEngine.selector, callers[i]));
            vm.prank(callers[i]);
            insurance.cover(callers[i], 1);
        }
        assertEq(usd.balanceOf(address(insurance)), 100 * USD);
    }

    function test_liquidate_paysThePenaltyToTheInsuranceFund() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        setPrice(ETH, 2_750e18);
        vm.prank(keeper);
        engine.liquidate(id);
        assertEq(usd.balanceOf(address(insurance)), 27_500_000); // 1 % × 2,750
    }

    /// @dev Rule 15: what a reused vault holds beyond its records goes to the fund.
    function test_requestOpen_sweepsAReusedVaultsDonationToTheInsuranceFund() public {
        uint256 id = _openStandardLong();
        address vault = engine.vaultOf(id);
        closePosition(id, alice);
        usd.mint(vault, 4 * USD);
        uint256 next = requestOpen(bob, ETH, true, 1e18, 600 * USD);
        assertEq(engine.vaultOf(next), vault);
        assertEq(usd.balanceOf(address(insurance)), 4 * USD);
    }

    /// @dev Rule 7: a close with bad debt takes the liquidation split without keeper fee or penalty; the fund covers
    /// the deficit. The close executes at its round's price (2,600) while the latest price (3,000) shows the position
    /// healthy, so it is not liquidated instead.
    function test_close_withBadDebt_drawsOnTheInsuranceFund() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        usd.mint(address(insurance), 100 * USD);
        requestClose(id, alice);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, 2_600e18); // the close's round
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE); // the latest price
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 poolBefore = usd.balanceOf(address(pool));

        // Equity 310 − 400 − two seconds of borrow fee < 0: the collateral goes to the pool, the rest is bad debt;
        // no closing fee is paid from nothing. The owner gets the keeper reserve back, as on every close.
        uint256 fee = _borrowFee(1e18, ETH_PRICE, RATE * 2);
        uint256 badDebt = 90 * USD + fee;
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionClosed(
            id,
            alice,
            2_600e18,
            -int256(400 * USD),
            fee,
            KEEPER_RESERVE,
            badDebt,
            alice
        );
        vm.expectEmit(address(insurance));
        emit IInsuranceFund.BadDebtCovered(badDebt, badDebt);
        vm.prank(keeper);
        engine.executeOrder(id);

        assertEq(usd.balanceOf(address(insurance)), 100 * USD - badDebt);
        assertEq(usd.balanceOf(address(pool)), poolBefore + 310 * USD + badDebt);
        assertEq(usd.balanceOf(alice), aliceBefore + KEEPER_RESERVE);
        assertEq(usd.balanceOf(keeper), 0, "no keeper fee on a close");
        assertEq(engine.position(id).owner, address(0));
    }

    /// @dev Rule 7: an unpaid closing fee is not bad debt. Equity is positive but below the closing fee: the fee
    /// takes what is left and the fund pays nothing.
    function test_close_withAnUnpaidClosingFee_doesNotDrawOnTheInsuranceFund() public {
        uint256 id = _open(alice, true, 1e18, 310 * USD);
        usd.mint(address(insurance), 100 * USD);
        requestClose(id, alice);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, 2_691e18); // pnl −309 USD: equity about 1 USD < the 2.691 USD closing fee
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        uint256 poolBefore = usd.balanceOf(address(pool));

        uint256 fee = _borrowFee(1e18, ETH_PRICE, RATE * 2);
        uint256 closeFee = 1 * USD - fee; // all the equity left
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionClosed(
            id,
            alice,
            2_691e18,
            -int256(309 * USD),
            fee + closeFee,
            KEEPER_RESERVE,
            0,
            alice
        );
        vm.prank(keeper);
        engine.executeOrder(id);
        assertEq(usd.balanceOf(address(insurance)), 100 * USD, "nothing drawn");
        assertEq(usd.balanceOf(address(pool)), poolBefore + 310 * USD, "the whole collateral");
    }

    function test_ASSET_isTheSettlementAsset() public view {
        assertEq(address(insurance.ASSET()), address(usd));
        assertEq(insurance.engine(), address(engine));
    }

    function test_bindEngine_revertsWhen_alreadyBound() public {
        vm.expectRevert(abi.encodeWithSelector(IEngineBound.BindingForbidden.selector, address(this)));
        insurance.bindEngine(alice);
        vm.expectRevert(abi.encodeWithSelector(IEngineBound.BindingForbidden.selector, alice));
        vm.prank(alice);
        insurance.bindEngine(alice);
        assertEq(insurance.engine(), address(engine));
    }

    function test_bindEngine_onceByTheDeployerOnly() public {
        IInsuranceFund fresh = deployInsuranceFund(address(usd));
        vm.expectRevert(abi.encodeWithSelector(IEngineBound.OnlyEngine.selector, address(engine)));
        vm.prank(address(engine));
        fresh.cover(alice, 0); // unbound: nobody is the engine yet

        vm.expectRevert(abi.encodeWithSelector(IEngineBound.BindingForbidden.selector, alice));
        vm.prank(alice);
        fresh.bindEngine(alice);
        vm.expectRevert(IEngineBound.ZeroEngine.selector);
        fresh.bindEngine(address(0));

        vm.expectEmit(address(fresh));
        emit IEngineBound.EngineBound(address(engine));
        fresh.bindEngine(address(engine));
        assertEq(fresh.engine(), address(engine));

        vm.expectRevert(abi.encodeWithSelector(IEngineBound.BindingForbidden.selector, address(this)));
        fresh.bindEngine(bob);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IEngineBound} from "../../../contracts/interfaces/IEngineBound.sol";
import {IInsuranceFund} from "../../../contracts/interfaces/IInsuranceFund.sol";
import {IInsuranceFund} from "../../../contracts/interfaces/IInsuranceFund.sol";
import {UnitBase} from "./UnitBase.sol";

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

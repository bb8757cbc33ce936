// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPositionVault} from "../../../contracts/interfaces/IPositionVault.sol";
import {IPositionVault} from "../../../contracts/interfaces/IPositionVault.sol";
import {UnitBase} from "./UnitBase.sol";

contract VaultTest is UnitBase {
    /// @dev The EIP-1167 creation code of a clone of `implementation`.
    function _cloneInitCode(address implementation) internal pure returns (bytes memory) {
        return
            abi.encodePacked(
                hex"3d602d80600a3d3981f3363d3d373d3d3d363d73",
                implementation,
                hex"5af43d82803e903d91602b57fd5bf3"
            );
    }

    /// @dev The CREATE2 address the engine deploys the clone of position `id` to, salt = id.
    function _expectedVault(uint256 id) internal view returns (address) {
        bytes32 h = keccak256(
            abi.encodePacked(
                bytes1(0xff),
                address(engine),
                bytes32(id),
                keccak256(_cloneInitCode(engine.VAULT_IMPLEMENTATION()))
            )
        );
        return address(uint160(uint256(h)));
    }

    // ------------------------------------------------------------ address

    function test_vaultOf_isTheCreate2AddressOfTheIdsClone() public view {
        uint256[5] memory ids = [uint256(0), 1, 2, 1 << 64, type(uint256).max];
        for (uint256 i; i < ids.length; ++i) assertEq(engine.vaultOf(ids[i]), _expectedVault(ids[i]));
        assertTrue(engine.vaultOf(1) != engine.vaultOf(2));
    }

    function test_vaultOf_isKnownBeforeOpenAndUnchangedAfterClose() public {
        address predicted = engine.vaultOf(1);
        assertEq(predicted.code.length, 0);
        uint256 id = _openStandardLong();
        assertEq(engine.vaultOf(id), predicted);
        vm.prank(alice);
        engine.close(id, 0, block.timestamp);
        assertEq(engine.vaultOf(id), predicted);
        // A later position gets a new id, hence a new vault.
        uint256 next = _openStandardLong();
        assertEq(next, 2);
        assertEq(engine.vaultOf(next), _expectedVault(2));
    }

    function test_open_deploysAMinimalProxyToTheImplementation() public {
        uint256 id = _openStandardLong();
        address implementation = engine.VAULT_IMPLEMENTATION();
        assertEq(
            engine.vaultOf(id).code,
            abi.encodePacked(hex"363d3d373d3d3d363d73", implementation, hex"5af43d82803e903d91602b57fd5bf3")
        );
        assertEq(IPositionVault(engine.vaultOf(id)).ENGINE(), address(engine));
        assertEq(address(IPositionVault(engine.vaultOf(id)).ASSET()), address(usd));
    }

    // ------------------------------------------------------------ pay

    function test_pay_revertsWhen_callerIsNotTheEngine() public {
        uint256 id = _openStandardLong();
        IPositionVault vault = IPositionVault(engine.vaultOf(id));
        address[5] memory callers = [alice, keeper, address(pool), address(insurance), address(this)];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IPositionVault.OnlyEngine.selector, callers[i]));
            vm.prank(callers[i]);
            vault.pay(callers[i], 1);
        }
        assertEq(vaultBalance(id), 605 * USD);
    }

    function test_pay_implementationRevertsWhen_callerIsNotTheEngine() public {
        IPositionVault implementation = IPositionVault(engine.VAULT_IMPLEMENTATION());
        vm.expectRevert(abi.encodeWithSelector(IPositionVault.OnlyEngine.selector, alice));
        vm.prank(alice);
        implementation.pay(alice, 0);
    }

    function test_pay_byTheEngineMovesTheAsset() public {
        uint256 id = _openStandardLong();
        IPositionVault vault = IPositionVault(engine.vaultOf(id));
        vm.prank(address(engine));
        vault.pay(bob, 7 * USD);
        assertEq(usd.balanceOf(bob), 7 * USD);
        assertEq(vaultBalance(id), 598 * USD);
    }

    // ------------------------------------------------------------ isolation

    function test_vaultOf_holdsOnlyItsOwnPositionsFunds() public {
        uint256 a = _openStandardLong();
        uint256 b = openPosition(bob, BTC, false, 0.1e18, 1_000 * USD);
        assertEq(vaultBalance(a), 605 * USD);
        assertEq(vaultBalance(b), 1_005 * USD);
        vm.prank(alice);
        engine.addMargin(a, 10 * USD);
        assertEq(vaultBalance(a), 615 * USD);
        assertEq(vaultBalance(b), 1_005 * USD);
        assertEq(usd.balanceOf(address(engine)), 0, "the engine never holds funds");
    }

    function test_open_worksWhenTheVaultAddressWasFundedBeforehand() public {
        usd.mint(engine.vaultOf(1), 2 * USD);
        uint256 id = _openStandardLong();
        assertEq(engine.position(id).collateral, 600 * USD, "the donation is not collateral");
        assertEq(vaultBalance(id), 607 * USD);
    }
}

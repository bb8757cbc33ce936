// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";

import {ILiquidityPool} from "../../../contracts/interfaces/ILiquidityPool.sol";
import {IMarginEngineBase} from "../../../contracts/interfaces/IMarginEngine.sol";
import {FeeTakingToken} from "./mocks/FeeTakingToken.sol";
import {AttackBase} from "./utils/AttackBase.sol";

/// @dev A settlement token that delivers less than was sent. Every pull into the protocol (an order's escrow, added
/// margin, an LP deposit) must notice and revert with FeeOnTransferToken(expected, received), changing nothing;
/// positions opened before the token started charging (USDT can switch a fee on) must still be able to leave.
contract FeeOnTransferAttackTest is AttackBase {
    uint256 internal constant FEE_BPS = 100;
    uint256 internal constant ORDER_FEE = 1 * USD;

    FeeTakingToken internal token;
    System internal f;
    /// @dev Opened before the fee was switched on: long 1 ETH, 600 USD.
    uint256 internal aliceId;

    function setUp() public override {
        super.setUp();
        token = new FeeTakingToken();
        f = _deploySystem(IERC20Metadata(address(token)));
        _deposit(f, lp, POOL_LIQUIDITY);
        aliceId = _open(f, alice, ETH, true, 1e18, 600 * USD);
        token.mint(alice, 10_000 * USD);
        token.setFeeBps(FEE_BPS);
    }

    /// @dev The open's escrow (collateral, keeper reserve, execution fee) arrives in one transfer; it must arrive whole.
    function test_requestOpen_feeOnTransfer_revertsFeeOnTransferToken() public {
        uint256 expected = 600 * USD + KEEPER_RESERVE + ORDER_FEE;
        _expectPullRefused(
            abi.encodeCall(
                f.engine.requestOpen,
                (ETH, true, 1e18, 600 * USD, type(uint128).max, _deadline(), ORDER_FEE)
            ),
            expected
        );
    }

    function testFuzz_requestOpen_anyFee_revertsFeeOnTransferToken(
        uint256 feeBps,
        uint256 collateral,
        uint256 executionFee,
        bool isLong
    ) public {
        feeBps = bound(feeBps, 1, 9_999);
        collateral = bound(collateral, MIN_COLLATERAL, 10_000 * USD);
        executionFee = bound(executionFee, 0, 100 * USD);
        token.setFeeBps(feeBps);
        uint256 expected = collateral + KEEPER_RESERVE + executionFee;
        token.mint(alice, expected);
        _expectPullRefused(
            abi.encodeCall(
                f.engine.requestOpen,
                (ETH, isLong, 0.01e18, collateral, isLong ? type(uint128).max : 0, _deadline(), executionFee)
            ),
            expected
        );
    }

    function test_addMargin_feeOnTransfer_revertsFeeOnTransferToken() public {
        _expectPullRefused(abi.encodeCall(f.engine.addMargin, (aliceId, 100 * USD)), 100 * USD);
    }

    function test_requestIncreaseWithCollateral_feeOnTransfer_revertsFeeOnTransferToken() public {
        _expectPullRefused(
            abi.encodeCall(f.engine.requestIncrease, (aliceId, 0.1e18, 50 * USD, type(uint128).max, _deadline(), 0)),
            50 * USD
        );
    }

    /// @dev An execution fee escrowed with a close or a decrease is a pull like any other.
    function test_requestCloseOrDecreaseFee_feeOnTransfer_revertsFeeOnTransferToken() public {
        _expectPullRefused(
            abi.encodeCall(f.engine.requestClose, (aliceId, 0, _deadline(), ORDER_FEE, alice)),
            ORDER_FEE
        );
        _expectPullRefused(
            abi.encodeCall(f.engine.requestDecrease, (aliceId, 0.5e18, 0, _deadline(), ORDER_FEE, alice)),
            ORDER_FEE
        );
    }

    /// @dev An increase without new collateral or execution fee pulls nothing: its fees (the opening fee on 0.1 ETH at
    /// 3,000, 0.3 USD, and the borrow fee) come out of the recorded collateral at execution, and the vault still holds
    /// exactly what the engine records.
    function test_increaseWithoutCollateral_feeOnTransfer_feesFromRecordedCollateral() public {
        uint256 before = token.balanceOf(alice);
        vm.prank(alice);
        f.engine.requestIncrease(aliceId, 0.1e18, 0, type(uint128).max, _deadline(), 0);
        assertEq(token.balanceOf(alice), before, "the request pulled tokens");
        _execute(f, aliceId, ETH, ETH_PRICE);
        assertEq(f.engine.position(aliceId).size, 1.1e18, "increase did not execute");
        uint256 collateral = f.engine.position(aliceId).collateral;
        assertEq(collateral, 600 * USD - 300_000 - _borrowFee(3_000e18, 1), "fees taken from the collateral");
        assertEq(_vaultBalance(f, aliceId), collateral + KEEPER_RESERVE, "vault differs from the records");
    }

    /// @dev The pool is the other way in. A deposit request whose transfer delivers less is refused, so nobody is
    /// credited for what was not delivered at the existing LPs' expense, and nothing changes.
    function test_poolRequestDeposit_feeOnTransfer_revertsFeeOnTransferToken() public {
        uint256 assets = 100_000 * USD;
        token.mint(mallory, assets);
        vm.prank(mallory);
        token.approve(address(f.pool), type(uint256).max);
        bytes memory err = abi.encodeWithSelector(
            ILiquidityPool.FeeOnTransferToken.selector,
            assets,
            token.received(assets)
        );
        Snapshot memory before = _snapshot(f);
        vm.prank(mallory);
        vm.expectRevert(err);
        f.pool.requestDeposit(assets, mallory, mallory);
        _assertUnchanged(before, _snapshot(f));
    }

    /// @dev Nobody is trapped once the token charges: the owner can remove margin, decrease and close (requests with no
    /// execution fee pull nothing); keepers can liquidate. Every vault still sends exactly what the engine accounts (the
    /// token's fee is the recipient's loss).
    function test_feeSwitchedOn_ownersAndKeepersStillExit() public {
        token.setFeeBps(0);
        uint256 bobId = _open(f, bob, ETH, true, 1e18, 310 * USD);
        token.setFeeBps(FEE_BPS);
        address aliceVault = f.engine.vaultOf(aliceId);
        address bobVault = f.engine.vaultOf(bobId);

        vm.prank(alice);
        f.engine.removeMargin(aliceId, 100 * USD, alice);
        assertEq(token.balanceOf(aliceVault), 500 * USD + KEEPER_RESERVE, "vault after removeMargin");
        vm.prank(alice);
        f.engine.requestDecrease(aliceId, 0.5e18, 0, _deadline(), 0, alice);
        _execute(f, aliceId, ETH, ETH_PRICE);
        assertEq(f.engine.position(aliceId).size, 0.5e18, "decrease did not execute");
        assertEq(token.balanceOf(aliceVault), f.engine.position(aliceId).collateral + KEEPER_RESERVE, "after decrease");
        _close(f, aliceId);
        assertEq(token.balanceOf(aliceVault), 0, "alice's vault not emptied");
        assertEq(f.engine.position(aliceId).owner, address(0), "alice's position still open");

        setPrice(ETH, 2_750e18);
        vm.prank(keeper);
        f.engine.liquidate(bobId);
        assertEq(token.balanceOf(bobVault), 0, "bob's vault not emptied");
        assertEq(f.engine.position(bobId).owner, address(0), "bob's position still open");
    }

    /// @dev Alice's `call` reverts with FeeOnTransferToken(expected, what the token delivers) and changes nothing.
    function _expectPullRefused(bytes memory call, uint256 expected) internal {
        Snapshot memory before = _snapshot(f);
        vm.prank(alice);
        (bool ok, bytes memory result) = address(f.engine).call(call);
        assertFalse(ok, "the pull went through");
        assertEq(
            result,
            abi.encodeWithSelector(IMarginEngineBase.FeeOnTransferToken.selector, expected, token.received(expected)),
            "wrong error"
        );
        _assertUnchanged(before, _snapshot(f));
    }
}

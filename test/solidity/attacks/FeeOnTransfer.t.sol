// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";

import {ILiquidityPool} from "../../../contracts/interfaces/ILiquidityPool.sol";
import {IMarginEngine} from "../../../contracts/interfaces/IMarginEngine.sol";
import {FeeTakingToken} from "./mocks/FeeTakingToken.sol";
import {AttackBase} from "./utils/AttackBase.sol";

/// @dev A settlement token that delivers less than was sent. Every pull into the protocol must notice and revert with
/// FeeOnTransferToken(expected, received), changing nothing; positions opened before the token started charging
/// (USDT can switch a fee on) must still be able to leave.
contract FeeOnTransferAttackTest is AttackBase {
    uint256 internal constant FEE_BPS = 100;

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

    function test_open_feeOnTransfer_revertsFeeOnTransferToken() public {
        uint256 expected = 600 * USD + KEEPER_RESERVE;
        bytes memory err = abi.encodeWithSelector(
            IMarginEngineBase.FeeOnTransferToken.selector,
            expected,
            token.received(expected)
        );
        Snapshot memory before = _snapshot(f);
        vm.prank(alice);
        vm.expectRevert(err);
        f.engine.open(ETH, true, 1e18, 600 * USD, type(uint256).max, block.timestamp);
        _assertUnchanged(before, _snapshot(f));
    }

    function testFuzz_open_anyFee_revertsFeeOnTransferToken(uint256 feeBps, uint256 collateral, bool isLong) public {
        feeBps = bound(feeBps, 1, 9_999);
        collateral = bound(collateral, MIN_COLLATERAL, 10_000 * USD);
        token.setFeeBps(feeBps);
        uint256 expected = collateral + KEEPER_RESERVE;
        token.mint(alice, 2 * collateral);
        bytes memory err = abi.encodeWithSelector(
            IMarginEngineBase.FeeOnTransferToken.selector,
            expected,
            token.received(expected)
        );
        Snapshot memory before = _snapshot(f);
        vm.prank(alice);
        vm.expectRevert(err);
        f.engine.open(ETH, isLong, 0.01e18, collateral, isLong ? type(uint256).max : 0, block.timestamp);
        _assertUnchanged(before, _snapshot(f));
    }

    function test_addMargin_feeOnTransfer_revertsFeeOnTransferToken() public {
        bytes memory err = abi.encodeWithSelector(
            IMarginEngineBase.FeeOnTransferToken.selector,
            100 * USD,
            token.received(100 * USD)
        );
        Snapshot memory before = _snapshot(f);
        vm.prank(alice);
        vm.expectRevert(err);
        f.engine.addMargin(aliceId, 100 * USD);
        _assertUnchanged(before, _snapshot(f));
    }

    function test_increaseWithCollateral_feeOnTransfer_revertsFeeOnTransferToken() public {
        bytes memory err = abi.encodeWithSelector(
            IMarginEngineBase.FeeOnTransferToken.selector,
            50 * USD,
            token.received(50 * USD)
        );
        Snapshot memory before = _snapshot(f);
        vm.prank(alice);
        vm.expectRevert(err);
        f.engine.increase(aliceId, 0.1e18, 50 * USD, type(uint256).max, block.timestamp);
        _assertUnchanged(before, _snapshot(f));
    }

    /// @dev An increase without new collateral still pulls its fees (the opening fee on 0.1 ETH at 3,000: 0.3 USD; no
    /// time has passed, so no borrow fee) into the pool; the pool must not be credited less than it is owed.
    function test_increaseFeesOnly_feeOnTransfer_revertsFeeOnTransferToken() public {
        uint256 fees = 300_000;
        bytes memory err = abi.encodeWithSelector(
            IMarginEngineBase.FeeOnTransferToken.selector,
            fees,
            token.received(fees)
        );
        Snapshot memory before = _snapshot(f);
        vm.prank(alice);
        vm.expectRevert(err);
        f.engine.increase(aliceId, 0.1e18, 0, type(uint256).max, block.timestamp);
        _assertUnchanged(before, _snapshot(f));
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

    /// @dev Nobody is trapped once the token charges: the owner can remove margin, decrease and close; keepers can
    /// liquidate. Every vault still sends exactly what the engine accounts (the token's fee is the recipient's loss).
    function test_feeSwitchedOn_ownersAndKeepersStillExit() public {
        uint256 bobId;
        token.setFeeBps(0);
        bobId = _open(f, bob, ETH, true, 1e18, 310 * USD);
        token.setFeeBps(FEE_BPS);

        vm.startPrank(alice);
        f.engine.removeMargin(aliceId, 100 * USD);
        assertEq(_vaultBalance(f, aliceId), 500 * USD + KEEPER_RESERVE, "vault after removeMargin");
        f.engine.decrease(aliceId, 0.5e18, 0, block.timestamp);
        assertEq(_vaultBalance(f, aliceId), f.engine.position(aliceId).collateral + KEEPER_RESERVE, "after decrease");
        f.engine.close(aliceId, 0, block.timestamp);
        vm.stopPrank();
        assertEq(_vaultBalance(f, aliceId), 0, "alice's vault not emptied");
        assertEq(f.engine.position(aliceId).owner, address(0), "alice's position still open");

        setPrice(ETH, 2_750e18);
        vm.prank(keeper);
        f.engine.liquidate(bobId);
        assertEq(_vaultBalance(f, bobId), 0, "bob's vault not emptied");
        assertEq(f.engine.position(bobId).owner, address(0), "bob's position still open");
    }
}

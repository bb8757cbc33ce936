// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";

import {IERC7540Deposit, IERC7540Redeem} from "../../../contracts/interfaces/IERC7540.sol";
import {ILiquidityPool} from "../../../contracts/interfaces/ILiquidityPool.sol";
import {IMarginEngine} from "../../../contracts/interfaces/IMarginEngine.sol";
import {HookToken} from "./mocks/HookToken.sol";
import {ReentrantActor} from "./mocks/ReentrantActor.sol";
import {AttackBase} from "./utils/AttackBase.sol";

/// @dev A settlement token with ERC-777 style hooks hands control to the sender before and to the recipient after
/// every transfer. Every engine entry point is `nonReentrant`; these tests re-enter each of them from a hook and check
/// the re-entry is rejected with ReentrancyGuardReentrantCall and moves nothing. The LP side of the pool (ERC-7540
/// claims and request executions from inside an engine operation) and recipients that refuse tokens are attacked as
/// well.
contract ReentrancyAttackTest is AttackBase {
    bytes4 internal constant REENTRANT_CALL = bytes4(keccak256("ReentrancyGuardReentrantCall()"));

    HookToken internal token;
    System internal h;
    ReentrantActor internal attacker;

    /// @dev The attacker's healthy position: long 1 ETH, 600 USD.
    uint256 internal attackerId;
    /// @dev Positions that a drop to 2,750 makes liquidatable: long 1 ETH, 310 USD each.
    uint256 internal bobId;
    uint256 internal aliceId;

    function setUp() public override {
        super.setUp();
        token = new HookToken();
        h = _deploySystem(IERC20Metadata(address(token)));
        _deposit(h, lp, POOL_LIQUIDITY);

        attacker = new ReentrantActor(IERC20(address(token)));
        token.mint(address(attacker), 3_000_000 * USD);
        _asAttacker(address(token), abi.encodeCall(IERC20.approve, (address(h.engine), type(uint256).max)));
        _asAttacker(address(token), abi.encodeCall(IERC20.approve, (address(h.pool), type(uint256).max)));
        _asAttacker(address(token), abi.encodeCall(HookToken.registerHooks, (true)));

        attackerId = _attackerOpen(1e18, 600 * USD);
        bobId = _open(h, bob, ETH, true, 1e18, 310 * USD);
        aliceId = _open(h, alice, ETH, true, 1e18, 310 * USD);
        vm.warp(block.timestamp + 60);
    }

    // ------------------------------------------------------------ engine entry points, re-entered

    function test_reenterOpen_fromAddMarginHook_reverts() public {
        _arm(ReentrantActor.Trigger.OnSend, address(h.engine), _openCall(1e18, 600 * USD));
        _expectRejected(abi.encodeCall(IMarginEngine.addMargin, (attackerId, 100 * USD)));
    }

    function test_reenterIncrease_fromOpenHook_reverts() public {
        _arm(
            ReentrantActor.Trigger.OnSend,
            address(h.engine),
            abi.encodeCall(IMarginEngine.increase, (attackerId, 0.1e18, 0, type(uint256).max, block.timestamp))
        );
        _expectRejected(_openCall(1e18, 600 * USD));
    }

    function test_reenterClose_fromCloseHook_reverts() public {
        _arm(
            ReentrantActor.Trigger.OnReceive,
            address(h.engine),
            abi.encodeCall(IMarginEngine.close, (attackerId, 0, block.timestamp))
        );
        _expectRejected(abi.encodeCall(IMarginEngine.close, (attackerId, 0, block.timestamp)));
    }

    function test_reenterDecrease_fromRemoveMarginHook_reverts() public {
        _arm(
            ReentrantActor.Trigger.OnReceive,
            address(h.engine),
            abi.encodeCall(IMarginEngine.decrease, (attackerId, 0.5e18, 0, block.timestamp))
        );
        _expectRejected(abi.encodeCall(IMarginEngine.removeMargin, (attackerId, 100 * USD)));
    }

    function test_reenterAddMargin_fromCloseHook_reverts() public {
        _arm(
            ReentrantActor.Trigger.OnReceive,
            address(h.engine),
            abi.encodeCall(IMarginEngine.addMargin, (attackerId, 100 * USD))
        );
        _expectRejected(abi.encodeCall(IMarginEngine.close, (attackerId, 0, block.timestamp)));
    }

    function test_reenterRemoveMargin_fromDecreaseHook_reverts() public {
        _arm(
            ReentrantActor.Trigger.OnReceive,
            address(h.engine),
            abi.encodeCall(IMarginEngine.removeMargin, (attackerId, 100 * USD))
        );
        _expectRejected(abi.encodeCall(IMarginEngine.decrease, (attackerId, 0.5e18, 0, block.timestamp)));
    }

    function test_reenterLiquidate_fromKeeperRewardHook_reverts() public {
        setPrice(ETH, 2_750e18);
        // A second liquidation of the same position, then (bob's being gone) a liquidation of another one.
        _arm(ReentrantActor.Trigger.OnReceive, address(h.engine), abi.encodeCall(IMarginEngineLiquidation.liquidate, (bobId)));
        _expectRejected(abi.encodeCall(IMarginEngineLiquidation.liquidate, (bobId)));
        _arm(ReentrantActor.Trigger.OnReceive, address(h.engine), abi.encodeCall(IMarginEngineLiquidation.liquidate, (bobId)));
        _expectRejected(abi.encodeCall(IMarginEngineLiquidation.liquidate, (aliceId)));
    }

    function test_reenterLiquidateBatch_fromKeeperRewardHook_reverts() public {
        setPrice(ETH, 2_750e18);
        _arm(
            ReentrantActor.Trigger.OnReceive,
            address(h.engine),
            abi.encodeCall(IMarginEngineLiquidation.liquidateBatch, (_ids(bobId, aliceId)))
        );
        _expectRejected(abi.encodeCall(IMarginEngineLiquidation.liquidateBatch, (_ids(bobId, aliceId))));
    }

    function test_reenterOpen_fromLiquidationBatchHook_reverts() public {
        setPrice(ETH, 2_750e18);
        _arm(ReentrantActor.Trigger.OnReceive, address(h.engine), _openCall(0.1e18, 600 * USD));
        _expectRejected(abi.encodeCall(IMarginEngineLiquidation.liquidateBatch, (_ids(bobId))));
    }

    /// @dev With the revert swallowed by the hook, the outer close goes on and pays exactly what a plain close pays.
    function test_reentrySwallowed_closeSettlesExactlyOnce() public {
        setPrice(ETH, 3_150e18);
        uint256 snapshotId = vm.snapshotState();
        _asAttacker(address(h.engine), abi.encodeCall(IMarginEngine.close, (attackerId, 0, block.timestamp)));
        uint256 plainBalance = token.balanceOf(address(attacker));
        uint256 plainPool = token.balanceOf(address(h.pool));
        vm.revertToState(snapshotId);

        attacker.arm(
            ReentrantActor.Trigger.OnReceive,
            address(h.engine),
            abi.encodeCall(IMarginEngine.close, (attackerId, 0, block.timestamp)),
            true
        );
        _asAttacker(address(h.engine), abi.encodeCall(IMarginEngine.close, (attackerId, 0, block.timestamp)));
        assertTrue(attacker.reentered(), "hook fired");
        assertFalse(attacker.reentrySucceeded(), "re-entry succeeded");
        assertEq(attacker.reentryRevertData(), abi.encodePacked(REENTRANT_CALL), "re-entry error");
        assertEq(token.balanceOf(address(attacker)), plainBalance, "attacker paid more than one close");
        assertEq(token.balanceOf(address(h.pool)), plainPool, "pool");
        assertEq(_vaultBalance(h, attackerId), 0, "vault not emptied");
        assertEq(h.engine.position(attackerId).owner, address(0), "position still open");
    }

    // ------------------------------------------------------------ the pool (ERC-7540), re-entered

    /// @dev A claim from the owner's hook in the middle of a close pays exactly the fixed claimable amount it pays
    /// after the close: claims are set aside at execution and never revalued.
    function test_reenterPoolClaim_fromCloseHook_paysTheSame() public {
        uint256 shares = _attackerDeposit(10_000 * USD);
        _asAttacker(address(h.pool), abi.encodeCall(IERC7540Redeem.requestRedeem, (shares, _a(), _a())));
        vm.warp(block.timestamp + LP_DELAY);
        vm.prank(keeper);
        h.pool.executeRedeems(type(uint256).max);
        uint256 claimable = h.pool.maxRedeem(_a());
        bytes memory claim = abi.encodeCall(IERC4626.redeem, (claimable, _a(), _a()));

        uint256 snapshotId = vm.snapshotState();
        _asAttacker(address(h.engine), abi.encodeCall(IMarginEngine.close, (attackerId, 0, block.timestamp)));
        _asAttacker(address(h.pool), claim);
        uint256 fairBalance = token.balanceOf(_a());
        vm.revertToState(snapshotId);

        attacker.arm(ReentrantActor.Trigger.OnReceive, address(h.pool), claim, true);
        _asAttacker(address(h.engine), abi.encodeCall(IMarginEngine.close, (attackerId, 0, block.timestamp)));
        assertTrue(attacker.reentered(), "hook never fired");
        if (!attacker.reentrySucceeded()) _asAttacker(address(h.pool), claim);
        assertEq(token.balanceOf(_a()), fairBalance, "the claim paid differently inside the close");
        assertEq(h.pool.maxRedeem(_a()), 0, "claim left");
    }

    /// @dev During a profitable close the position has already left the pool's valuation, but its profit has not been
    /// paid yet: a redemption executed from the owner's hook would see a share price that counts that profit as the
    /// pool's. The attacker (trader, LP and executor) must not end with more than closing and then executing gives,
    /// and the other LP must not lose.
    function test_reenterExecuteRedeems_fromProfitableCloseHook_cannotDrain() public {
        uint256 shares = _attackerDeposit(POOL_LIQUIDITY);
        uint256 id = _attackerOpen(100e18, 30_000 * USD);
        _asAttacker(address(h.pool), abi.encodeCall(IERC7540Redeem.requestRedeem, (shares, _a(), _a())));
        vm.warp(block.timestamp + LP_DELAY);
        setPrice(ETH, 3_300e18);
        vm.warp(block.timestamp + 60);
        uint256 lpShares = h.pool.balanceOf(lp);
        bytes memory execute = abi.encodeCall(ILiquidityPool.executeRedeems, (type(uint256).max));
        bytes memory claim = abi.encodeCall(IERC4626.redeem, (shares, _a(), _a()));

        uint256 snapshotId = vm.snapshotState();
        _asAttacker(address(h.engine), abi.encodeCall(IMarginEngine.close, (id, 0, block.timestamp)));
        _asAttacker(address(h.pool), execute);
        _asAttacker(address(h.pool), claim);
        uint256 fairBalance = token.balanceOf(_a());
        uint256 fairLpValue = h.pool.convertToAssets(lpShares);
        vm.revertToState(snapshotId);

        attacker.arm(ReentrantActor.Trigger.OnReceive, address(h.pool), execute, true);
        _asAttacker(address(h.engine), abi.encodeCall(IMarginEngine.close, (id, 0, block.timestamp)));
        assertTrue(attacker.reentered(), "hook never fired");
        if (!attacker.reentrySucceeded()) _asAttacker(address(h.pool), execute);
        _asAttacker(address(h.pool), claim);
        assertLe(token.balanceOf(_a()), fairBalance, "attacker drained the other LPs");
        assertGe(h.pool.convertToAssets(lpShares), fairLpValue, "the other LP lost value");
    }

    /// @dev During a bad-debt liquidation the collateral has reached the pool but the insurance fund's cover has not:
    /// a keeper whose deposit executes from the reward hook would buy shares below the price they have a moment later.
    function test_reenterExecuteDeposits_fromBadDebtLiquidationHook_cannotProfit() public {
        token.mint(address(h.insurance), 50_000 * USD);
        uint256 id = _open(h, mallory, ETH, true, 100e18, 30_000 * USD);
        _asAttacker(address(h.pool), abi.encodeCall(IERC7540Deposit.requestDeposit, (1_000_000 * USD, _a(), _a())));
        vm.warp(block.timestamp + LP_DELAY);
        setPrice(ETH, 2_000e18);
        vm.warp(block.timestamp + 60);
        bytes memory execute = abi.encodeCall(ILiquidityPool.executeDeposits, (_one(_a())));

        uint256 snapshotId = vm.snapshotState();
        _asAttacker(address(h.engine), abi.encodeCall(IMarginEngineLiquidation.liquidate, (id)));
        _asAttacker(address(h.pool), execute);
        uint256 fairShares = h.pool.maxMint(_a());
        vm.revertToState(snapshotId);

        attacker.arm(ReentrantActor.Trigger.OnReceive, address(h.pool), execute, true);
        _asAttacker(address(h.engine), abi.encodeCall(IMarginEngineLiquidation.liquidate, (id)));
        assertTrue(attacker.reentered(), "hook never fired");
        if (!attacker.reentrySucceeded()) _asAttacker(address(h.pool), execute);
        assertGt(fairShares, 0, "nothing executed");
        assertLe(h.pool.maxMint(_a()), fairShares, "keeper bought LP shares below their value");
    }

    // ------------------------------------------------------------ recipients that refuse tokens

    /// @dev A position's owner whose hook reverts (an ERC-777 recipient refusing tokens, or a USDC-blacklisted
    /// address) must not make their position unliquidatable: the liquidation pays the owner's refund last.
    function test_ownerRefusingRefund_cannotBlockOwnLiquidation() public {
        uint256 id = _attackerOpen(1e18, 310 * USD);
        setPrice(ETH, 2_800e18);
        assertTrue(h.lens.previewLiquidation(id).liquidatable, "position liquidatable");
        assertGt(h.lens.previewLiquidation(id).ownerRefund, 0, "owner has a refund");
        // Any revert in the hook will do; this one is a re-entry.
        _arm(ReentrantActor.Trigger.OnReceive, address(h.engine), abi.encodeCall(IMarginEngineLiquidation.liquidate, (id)));

        vm.prank(keeper);
        h.engine.liquidate(id);
        assertEq(h.engine.position(id).owner, address(0), "owner kept an unliquidatable position");
    }

    /// @dev Nor can such an owner make a keeper's batch revert and so shield every other position in it.
    function test_ownerRefusingRefund_cannotBlockLiquidationBatch() public {
        uint256 id = _attackerOpen(1e18, 310 * USD);
        setPrice(ETH, 2_800e18);
        _arm(ReentrantActor.Trigger.OnReceive, address(h.engine), abi.encodeCall(IMarginEngineLiquidation.liquidate, (id)));
        uint256[] memory ids = new uint256[](3);
        (ids[0], ids[1], ids[2]) = (bobId, id, aliceId);

        vm.prank(keeper);
        uint256 liquidated = h.engine.liquidateBatch(ids);
        assertGe(liquidated, 2, "batch shielded the other positions");
        assertEq(h.engine.position(bobId).owner, address(0), "bob not liquidated");
        assertEq(h.engine.position(aliceId).owner, address(0), "alice not liquidated");
    }

    // ------------------------------------------------------------ helpers

    function _asAttacker(address target, bytes memory data) internal returns (bytes memory) {
        return attacker.execute(target, data);
    }

    function _a() internal view returns (address) {
        return address(attacker);
    }

    /// @dev The attacker's whole LP deposit: request, `lpDelay`, the keeper executes, the attacker claims.
    function _attackerDeposit(uint256 assets) internal returns (uint256 shares) {
        _asAttacker(address(h.pool), abi.encodeCall(IERC7540Deposit.requestDeposit, (assets, _a(), _a())));
        vm.warp(block.timestamp + LP_DELAY);
        vm.prank(keeper);
        h.pool.executeDeposits(_one(_a()));
        uint256 claimable = h.pool.maxDeposit(_a());
        shares = abi.decode(
            _asAttacker(address(h.pool), abi.encodeCall(IERC7540Deposit.deposit, (claimable, _a(), _a()))),
            (uint256)
        );
    }

    function _attackerOpen(uint256 size, uint256 collateral) internal returns (uint256) {
        return abi.decode(_asAttacker(address(h.engine), _openCall(size, collateral)), (uint256));
    }

    function _openCall(uint256 size, uint256 collateral) internal view returns (bytes memory) {
        return abi.encodeCall(IMarginEngine.open, (ETH, true, size, collateral, type(uint256).max, block.timestamp));
    }

    /// @dev Re-entries bubble their revert: the outer call fails with it.
    function _arm(ReentrantActor.Trigger trigger, address target, bytes memory data) internal {
        attacker.arm(trigger, target, data, false);
    }

    /// @dev The attacker's call fails with ReentrancyGuardReentrantCall, its hook having fired, and nothing changed.
    function _expectRejected(bytes memory outerCall) internal {
        Snapshot memory before = _snapshot(h, _one(address(attacker)));
        vm.expectRevert(REENTRANT_CALL);
        attacker.execute(address(h.engine), outerCall);
        _assertUnchanged(before, _snapshot(h, _one(address(attacker))));
        // The hook really runs in the outer call: with the re-entry swallowed, the same call goes through.
        attacker.arm(attacker.trigger(), attacker.reentryTarget(), attacker.reentryCall(), true);
        attacker.execute(address(h.engine), outerCall);
        assertTrue(attacker.reentered(), "hook never fired");
        assertFalse(attacker.reentrySucceeded(), "re-entry succeeded");
        assertEq(attacker.reentryRevertData(), abi.encodePacked(REENTRANT_CALL), "re-entry error");
    }
}

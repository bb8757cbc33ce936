// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";

import {IERC7540Deposit, IERC7540Redeem} from "../../../contracts/interfaces/IERC7540.sol";
import {ILiquidityPool} from "../../../contracts/interfaces/ILiquidityPool.sol";
import {
    IMarginEngine,
    IMarginEngineBase,
    IMarginEngineLiquidation,
    IMarginEngineOrders
} from "../../../contracts/interfaces/IMarginEngine.sol";
import {LiquidationPreview} from "../../../contracts/interfaces/IBulkheadLens.sol";
import {HookToken} from "./mocks/HookToken.sol";
import {ReentrantActor} from "./mocks/ReentrantActor.sol";
import {AttackBase} from "./utils/AttackBase.sol";

/// @dev A settlement token with ERC-777 style hooks hands control to the sender before and to the recipient after
/// every transfer. Every engine entry point (requests, executions, cancels, margin, liquidation, take-profit, claims) is
/// `nonReentrant`; these tests re-enter them from hooks on each kind of transfer and check the re-entry is rejected
/// with ReentrancyGuardReentrantCall and moves nothing. A re-entry from a pull, from a keeper's or executor's reward or
/// from a claim makes the whole call revert; a re-entry from an owner's or receiver's payout makes that payout a claim
/// (rule 6), so the operation itself goes through exactly once. The LP side of the pool re-entered from inside an
/// engine operation, and recipients that refuse tokens, are attacked as well.
contract ReentrancyAttackTest is AttackBase {
    bytes4 internal constant REENTRANT_CALL = bytes4(keccak256("ReentrancyGuardReentrantCall()"));
    uint256 internal constant ORDER_FEE = 1 * USD;

    HookToken internal token;
    System internal h;
    ReentrantActor internal attacker;
    /// @dev The attacker's second address: a plain account, without hooks.
    address internal wallet = makeAddr("wallet");

    /// @dev The attacker's healthy position: long 1 ETH, 600 USD, opened at `attackerOpenedAt`.
    uint256 internal attackerId;
    uint256 internal attackerOpenedAt;
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
        attackerOpenedAt = block.timestamp;
        bobId = _open(h, bob, ETH, true, 1e18, 310 * USD);
        aliceId = _open(h, alice, ETH, true, 1e18, 310 * USD);
        _mint(h, bob, 100 * USD);
        _mint(h, alice, 100 * USD);
        vm.warp(block.timestamp + 60);
        setPrice(ETH, ETH_PRICE);
    }

    // ------------------------------------------------------------ from pulls (the attacker's tokens going in)

    function test_reenterRequestOpen_fromAddMarginHook_reverts() public {
        _arm(ReentrantActor.Trigger.OnSend, address(h.engine), _requestOpenCall(1e18, 600 * USD));
        _expectRejected(abi.encodeCall(IMarginEngine.addMargin, (attackerId, 100 * USD)));
    }

    function test_reenterRequestIncrease_fromRequestOpenHook_reverts() public {
        _arm(
            ReentrantActor.Trigger.OnSend,
            address(h.engine),
            abi.encodeCall(
                IMarginEngineOrders.requestIncrease,
                (attackerId, 0.1e18, 0, type(uint128).max, _deadline(), 0)
            )
        );
        _expectRejected(_requestOpenCall(1e18, 600 * USD));
    }

    function test_reenterRequestDecrease_fromRequestCloseHook_reverts() public {
        _arm(
            ReentrantActor.Trigger.OnSend,
            address(h.engine),
            abi.encodeCall(IMarginEngineOrders.requestDecrease, (attackerId, 0.5e18, 0, _deadline(), 0, _a()))
        );
        _expectRejected(_requestCloseCall(attackerId, ORDER_FEE, _a()));
    }

    function test_reenterRequestClose_fromRequestIncreaseHook_reverts() public {
        _arm(ReentrantActor.Trigger.OnSend, address(h.engine), _requestCloseCall(attackerId, 0, _a()));
        _expectRejected(
            abi.encodeCall(
                IMarginEngineOrders.requestIncrease,
                (attackerId, 0.1e18, 50 * USD, type(uint128).max, _deadline(), ORDER_FEE)
            )
        );
    }

    function test_reenterRemoveMargin_fromRequestDecreaseHook_reverts() public {
        _arm(
            ReentrantActor.Trigger.OnSend,
            address(h.engine),
            abi.encodeCall(IMarginEngine.removeMargin, (attackerId, 100 * USD, _a()))
        );
        _expectRejected(
            abi.encodeCall(IMarginEngineOrders.requestDecrease, (attackerId, 0.5e18, 0, _deadline(), ORDER_FEE, _a()))
        );
    }

    // ------------------------------------------------------------ from payouts the engine does not guard

    /// @dev removeMargin pays the owner's own receiver directly: a failing hook fails the withdrawal.
    function test_reenterAddMargin_fromRemoveMarginHook_reverts() public {
        _arm(
            ReentrantActor.Trigger.OnReceive,
            address(h.engine),
            abi.encodeCall(IMarginEngine.addMargin, (attackerId, 100 * USD))
        );
        _expectRejected(abi.encodeCall(IMarginEngine.removeMargin, (attackerId, 100 * USD, _a())));
    }

    /// @dev The attacker executes bob's close and, from the hook on its execution fee, tries to execute alice's.
    function test_reenterExecuteOrder_fromExecutionFeeHook_reverts() public {
        _requestCloseAs(bob, bobId);
        _requestCloseAs(alice, aliceId);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        _arm(
            ReentrantActor.Trigger.OnReceive,
            address(h.engine),
            abi.encodeCall(IMarginEngineOrders.executeOrder, (aliceId))
        );
        _expectRejected(abi.encodeCall(IMarginEngineOrders.executeOrder, (bobId)));
    }

    function test_reenterExecuteOrders_fromExecutionFeeHook_reverts() public {
        _requestCloseAs(bob, bobId);
        _requestCloseAs(alice, aliceId);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        _arm(
            ReentrantActor.Trigger.OnReceive,
            address(h.engine),
            abi.encodeCall(IMarginEngineOrders.executeOrders, (_ids(aliceId)))
        );
        _expectRejected(abi.encodeCall(IMarginEngineOrders.executeOrders, (_ids(bobId))));
    }

    /// @dev Alice's close missed its window (cancellable); bob's is executable. From the hook on bob's execution fee the
    /// attacker tries to cancel alice's.
    function test_reenterCancelOrder_fromExecutionFeeHook_reverts() public {
        _requestCloseAs(alice, aliceId);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        _requestCloseAs(bob, bobId);
        vm.warp(block.timestamp + MAX_EXECUTION_DELAY + 1);
        setPrice(ETH, ETH_PRICE);
        _arm(
            ReentrantActor.Trigger.OnReceive,
            address(h.engine),
            abi.encodeCall(IMarginEngineOrders.cancelOrder, (aliceId))
        );
        _expectRejected(abi.encodeCall(IMarginEngineOrders.executeOrder, (bobId)));
    }

    function test_reenterLiquidate_fromKeeperRewardHook_reverts() public {
        setPrice(ETH, 2_750e18);
        // A second liquidation of the same position, then (bob's being gone) a liquidation of another one.
        _arm(
            ReentrantActor.Trigger.OnReceive,
            address(h.engine),
            abi.encodeCall(IMarginEngineLiquidation.liquidate, (bobId))
        );
        _expectRejected(abi.encodeCall(IMarginEngineLiquidation.liquidate, (bobId)));
        _arm(
            ReentrantActor.Trigger.OnReceive,
            address(h.engine),
            abi.encodeCall(IMarginEngineLiquidation.liquidate, (bobId))
        );
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

    function test_reenterRequestOpen_fromLiquidationBatchHook_reverts() public {
        setPrice(ETH, 2_750e18);
        _arm(ReentrantActor.Trigger.OnReceive, address(h.engine), _requestOpenCall(0.1e18, 600 * USD));
        _expectRejected(abi.encodeCall(IMarginEngineLiquidation.liquidateBatch, (_ids(bobId))));
    }

    /// @dev At 6,000 every position is at its cap; from the keeper reserve the take-profit pays it, the attacker tries
    /// to take another.
    function test_reenterTakeProfit_fromKeeperRewardHook_reverts() public {
        setPrice(ETH, 6_000e18);
        _arm(
            ReentrantActor.Trigger.OnReceive,
            address(h.engine),
            abi.encodeCall(IMarginEngineLiquidation.takeProfit, (aliceId))
        );
        _expectRejected(abi.encodeCall(IMarginEngineLiquidation.takeProfit, (bobId)));
    }

    function test_reenterTakeProfitBatch_fromKeeperRewardHook_reverts() public {
        setPrice(ETH, 6_000e18);
        _arm(
            ReentrantActor.Trigger.OnReceive,
            address(h.engine),
            abi.encodeCall(IMarginEngineLiquidation.takeProfitBatch, (_ids(aliceId)))
        );
        _expectRejected(abi.encodeCall(IMarginEngineLiquidation.takeProfitBatch, (_ids(bobId))));
    }

    /// @dev `accrue` writes the market's borrow indices, which the operation being re-entered has loaded: like every
    /// other state-changing entry point it must refuse to run inside another one.
    function test_reenterAccrue_fromKeeperRewardHook_reverts() public {
        setPrice(ETH, 2_750e18);
        _arm(ReentrantActor.Trigger.OnReceive, address(h.engine), abi.encodeCall(IMarginEngine.accrue, (ETH)));
        _expectRejected(abi.encodeCall(IMarginEngineLiquidation.liquidate, (bobId)));
    }

    /// @dev The attacker holds a claim; from its keeper reward it tries to collect it in the middle of a liquidation.
    function test_reenterClaim_fromKeeperRewardHook_reverts() public {
        _recordAttackerClaim();
        setPrice(ETH, 2_750e18);
        _arm(
            ReentrantActor.Trigger.OnReceive,
            address(h.engine),
            abi.encodeCall(IMarginEngine.claim, (attackerId, _a()))
        );
        _expectRejected(abi.encodeCall(IMarginEngineLiquidation.liquidate, (bobId)));
    }

    /// @dev A claim re-entered from its own transfer is refused: a claim is paid once.
    function test_reenterClaim_fromClaimHook_reverts() public {
        uint256 amount = _recordAttackerClaim();
        bytes memory claim = abi.encodeCall(IMarginEngine.claim, (attackerId, _a()));
        _arm(ReentrantActor.Trigger.OnReceive, address(h.engine), claim);
        uint256 before = token.balanceOf(_a());
        _expectRejected(claim);
        assertEq(token.balanceOf(_a()) - before, amount, "claim paid more than once");
        (, uint256 left) = h.engine.claimOf(attackerId);
        assertEq(left, 0, "claim left");
    }

    // ------------------------------------------------------------ from payouts the engine guards

    /// @dev With the re-entry's revert swallowed by the hook, the close pays the owner directly, exactly once, and
    /// exactly what a plain close pays.
    function test_reentrySwallowed_closeSettlesExactlyOnce() public {
        setPrice(ETH, 3_150e18);
        uint256 snapshotId = vm.snapshotState();
        (uint256 plainBalance, ) = _closeAttacker();
        vm.revertToState(snapshotId);

        attacker.arm(
            ReentrantActor.Trigger.OnReceive,
            address(h.engine),
            abi.encodeCall(IMarginEngineOrders.executeOrder, (attackerId)),
            true
        );
        (uint256 balance, uint256 claimed) = _closeAttacker();
        assertEq(claimed, 0, "the payout became a claim");
        assertTrue(attacker.reentered(), "hook never fired");
        assertFalse(attacker.reentrySucceeded(), "re-entry succeeded");
        assertEq(attacker.reentryRevertData(), abi.encodePacked(REENTRANT_CALL), "re-entry error");
        assertEq(balance, plainBalance, "attacker paid more than one close");
        assertEq(h.engine.position(attackerId).owner, address(0), "position still open");
    }

    /// @dev With the re-entry's revert bubbling, the receiver refuses the payout: the close still goes through and the
    /// payout waits as the owner's claim, which pays exactly what a plain close pays.
    function test_reentryBubbling_closeGoesThrough_payoutBecomesClaim() public {
        setPrice(ETH, 3_150e18);
        uint256 snapshotId = vm.snapshotState();
        (uint256 plainBalance, ) = _closeAttacker();
        vm.revertToState(snapshotId);

        _arm(
            ReentrantActor.Trigger.OnReceive,
            address(h.engine),
            abi.encodeCall(IMarginEngineOrders.requestClose, (attackerId, 0, _deadline(), 0, _a()))
        );
        (uint256 balance, uint256 claimed) = _closeAttacker();
        assertGt(claimed, 0, "the refused payout was not recorded as a claim");
        assertEq(balance, plainBalance, "the claim paid differently");
        assertEq(h.engine.position(attackerId).owner, address(0), "position still open");
    }

    // ------------------------------------------------------------ the pool (ERC-7540), re-entered

    /// @dev A pool claim from the hook on the attacker's execution fee, in the middle of its own close, pays exactly
    /// the fixed claimable amount it pays after the close: claims are set aside at execution and never revalued.
    function test_reenterPoolClaim_fromExecutionFeeHook_paysTheSame() public {
        uint256 shares = _attackerDeposit(10_000 * USD);
        _asAttacker(address(h.pool), abi.encodeCall(IERC7540Redeem.requestRedeem, (shares, _a(), _a())));
        vm.warp(block.timestamp + LP_DELAY);
        vm.prank(keeper);
        h.pool.executeRedeems(type(uint256).max);
        uint256 claimable = h.pool.maxRedeem(_a());
        bytes memory claim = abi.encodeCall(IERC4626.redeem, (claimable, _a(), _a()));
        _asAttacker(address(h.engine), _requestCloseCall(attackerId, ORDER_FEE, wallet));
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        bytes memory execute = abi.encodeCall(IMarginEngineOrders.executeOrder, (attackerId));

        uint256 snapshotId = vm.snapshotState();
        _asAttacker(address(h.engine), execute);
        _asAttacker(address(h.pool), claim);
        uint256 fairBalance = token.balanceOf(_a()) + token.balanceOf(wallet);
        vm.revertToState(snapshotId);

        attacker.arm(ReentrantActor.Trigger.OnReceive, address(h.pool), claim, true);
        _asAttacker(address(h.engine), execute);
        assertTrue(attacker.reentered(), "hook never fired");
        if (!attacker.reentrySucceeded()) _asAttacker(address(h.pool), claim);
        assertEq(token.balanceOf(_a()) + token.balanceOf(wallet), fairBalance, "the claim paid differently");
        assertEq(h.pool.maxRedeem(_a()), 0, "claim left");
    }

    /// @dev The attacker (trader, LP and executor) executes its own profitable close and, from the hook on the
    /// execution fee, executes its pending redemption while the engine is mid-operation. It must not end with more than
    /// closing and then executing gives, and the other LP must not lose.
    function test_reenterExecuteRedeems_fromProfitableCloseHook_cannotDrain() public {
        uint256 shares = _attackerDeposit(POOL_LIQUIDITY);
        uint256 id = _attackerOpen(100e18, 30_000 * USD);
        _asAttacker(address(h.pool), abi.encodeCall(IERC7540Redeem.requestRedeem, (shares, _a(), _a())));
        vm.warp(block.timestamp + LP_DELAY);
        _asAttacker(address(h.engine), _requestCloseCall(id, ORDER_FEE, wallet));
        vm.warp(block.timestamp + 1);
        setPrice(ETH, 3_300e18);
        // LP executions wait `lpSettle` after a round; the close's window is still open.
        vm.warp(block.timestamp + LP_SETTLE);
        uint256 lpShares = h.pool.balanceOf(lp);
        bytes memory closeExecution = abi.encodeCall(IMarginEngineOrders.executeOrder, (id));
        bytes memory execute = abi.encodeCall(ILiquidityPool.executeRedeems, (type(uint256).max));
        bytes memory claim = abi.encodeCall(IERC4626.redeem, (shares, _a(), _a()));

        uint256 snapshotId = vm.snapshotState();
        _asAttacker(address(h.engine), closeExecution);
        _asAttacker(address(h.pool), execute);
        _asAttacker(address(h.pool), claim);
        uint256 fairBalance = token.balanceOf(_a()) + token.balanceOf(wallet);
        uint256 fairLpValue = h.pool.convertToAssets(lpShares);
        vm.revertToState(snapshotId);

        attacker.arm(ReentrantActor.Trigger.OnReceive, address(h.pool), execute, true);
        _asAttacker(address(h.engine), closeExecution);
        assertTrue(attacker.reentered(), "hook never fired");
        assertEq(h.engine.position(id).owner, address(0), "close did not execute");
        if (!attacker.reentrySucceeded()) _asAttacker(address(h.pool), execute);
        _asAttacker(address(h.pool), claim);
        assertLe(token.balanceOf(_a()) + token.balanceOf(wallet), fairBalance, "attacker drained the other LPs");
        assertGe(h.pool.convertToAssets(lpShares), fairLpValue, "the other LP lost value");
    }

    /// @dev During a bad-debt liquidation the collateral has reached the pool but the insurance fund's cover may not
    /// have: a keeper whose deposit executes from the reward hook would buy shares below the price they have a moment
    /// later.
    function test_reenterExecuteDeposits_fromBadDebtLiquidationHook_cannotProfit() public {
        token.mint(address(h.insurance), 50_000 * USD);
        uint256 id = _open(h, mallory, ETH, true, 100e18, 30_000 * USD);
        _asAttacker(address(h.pool), abi.encodeCall(IERC7540Deposit.requestDeposit, (1_000_000 * USD, _a(), _a())));
        vm.warp(block.timestamp + LP_DELAY);
        setPrice(ETH, 2_000e18);
        vm.warp(block.timestamp + 60);
        // The fixture's other longs are under water too; keepers liquidate them (LP requests wait until then).
        uint256[] memory others = new uint256[](3);
        (others[0], others[1], others[2]) = (attackerId, bobId, aliceId);
        vm.prank(keeper);
        assertEq(h.engine.liquidateBatch(others), 3, "setup: the other longs liquidated");
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

    /// @dev A position's owner who refuses tokens (an ERC-777 recipient rejecting them, a USDC-blocklisted address)
    /// cannot make their position unliquidatable: the refund becomes their claim, which they collect to an address
    /// they name.
    function test_ownerRefusingRefund_cannotBlockOwnLiquidation() public {
        uint256 id = _attackerOpen(1e18, 310 * USD);
        setPrice(ETH, 2_800e18);
        LiquidationPreview memory preview = h.lens.previewLiquidation(id);
        assertTrue(preview.liquidatable, "setup: liquidatable");
        assertGt(preview.ownerRefund, 0, "setup: owner has a refund");
        attacker.setRefusing(true);

        vm.expectEmit(address(h.engine));
        emit IMarginEngineBase.ClaimRecorded(id, _a(), _a(), preview.ownerRefund);
        vm.prank(keeper);
        h.engine.liquidate(id);
        assertEq(h.engine.position(id).owner, address(0), "owner kept an unliquidatable position");
        assertEq(token.balanceOf(keeper), preview.keeperReward, "keeper reward");
        _assertClaimCollected(id, preview.ownerRefund);
    }

    /// @dev Nor can such an owner make a keeper's batch revert and so shield every other position in it.
    function test_ownerRefusingRefund_cannotBlockLiquidationBatch() public {
        uint256 id = _attackerOpen(1e18, 310 * USD);
        setPrice(ETH, 2_800e18);
        attacker.setRefusing(true);
        uint256[] memory ids = new uint256[](3);
        (ids[0], ids[1], ids[2]) = (bobId, id, aliceId);

        vm.prank(keeper);
        assertEq(h.engine.liquidateBatch(ids), 3, "batch shielded a position");
        assertEq(h.engine.position(bobId).owner, address(0), "bob not liquidated");
        assertEq(h.engine.position(id).owner, address(0), "attacker not liquidated");
        assertEq(h.engine.position(aliceId).owner, address(0), "alice not liquidated");
    }

    /// @dev Take-profit is the keeper's job in the block where the cap is reached: a refusing owner cannot block it.
    function test_ownerRefusingPayout_cannotBlockTakeProfit() public {
        setPrice(ETH, 6_000e18);
        attacker.setRefusing(true);
        uint256 claimed = _claimRecordedBy(
            attackerId,
            abi.encodeCall(IMarginEngineLiquidation.takeProfit, (attackerId))
        );
        assertEq(h.engine.position(attackerId).owner, address(0), "not taken");
        assertEq(token.balanceOf(keeper), KEEPER_RESERVE, "keeper reward");
        // 600 USD of collateral and the 3,000 USD cap, less the 6 USD close fee and the borrow fee.
        uint256 borrowFee = _borrowFee(3_000e18, block.timestamp - attackerOpenedAt);
        assertEq(claimed, 3_594 * USD - borrowFee, "claim");
        _assertClaimCollected(attackerId, claimed);
    }

    /// @dev A receiver that refuses the payout cannot block the execution of the close that pays it, nor cost the
    /// executor its fee.
    function test_receiverRefusingPayout_cannotBlockExecution() public {
        _asAttacker(address(h.engine), _requestCloseCall(attackerId, ORDER_FEE, _a()));
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        attacker.setRefusing(true);
        uint256 claimed = _claimRecordedBy(attackerId, abi.encodeCall(IMarginEngineOrders.executeOrder, (attackerId)));
        assertEq(h.engine.position(attackerId).owner, address(0), "not closed");
        assertEq(token.balanceOf(keeper), ORDER_FEE, "executor fee");
        // 600 USD and the 5 USD reserve, less the 3 USD close fee and the borrow fee.
        assertEq(claimed, 602 * USD - _borrowFee(3_000e18, block.timestamp - attackerOpenedAt), "claim");
        _assertClaimCollected(attackerId, claimed);
    }

    /// @dev An owner who refuses the refund cannot keep an order that can no longer execute alive (and its vault
    /// taken): anyone cancels it, and the refund becomes a claim.
    function test_ownerRefusingRefund_cannotBlockCancel() public {
        bytes memory request = abi.encodeCall(
            IMarginEngineOrders.requestOpen,
            (ETH, true, 1e18, 600 * USD, type(uint128).max, _deadline(), ORDER_FEE)
        );
        uint256 id = abi.decode(_asAttacker(address(h.engine), request), (uint256));
        attacker.setRefusing(true);
        vm.warp(block.timestamp + MAX_ORDER_WAIT + 1);
        uint256 freeVaults = h.engine.freeVaultCount();
        uint256 claimed = _claimRecordedBy(id, abi.encodeCall(IMarginEngineOrders.cancelOrder, (id)));
        assertEq(claimed, 600 * USD + KEEPER_RESERVE + ORDER_FEE, "refund");
        assertEq(h.engine.position(id).owner, address(0), "position kept");
        assertEq(h.engine.freeVaultCount(), freeVaults + 1, "vault not freed");
        _assertClaimCollected(id, claimed);
    }

    /// @dev A liquidation refunds a pending order's escrow before the split; both payouts to a refusing owner add up in
    /// one claim.
    function test_ownerRefusing_pendingEscrowAndRefund_bothClaimed() public {
        uint256 id = _attackerOpen(1e18, 310 * USD);
        _asAttacker(
            address(h.engine),
            abi.encodeCall(
                IMarginEngineOrders.requestIncrease,
                (id, 0.1e18, 1_000 * USD, type(uint128).max, _deadline(), ORDER_FEE)
            )
        );
        setPrice(ETH, 2_800e18);
        LiquidationPreview memory preview = h.lens.previewLiquidation(id);
        attacker.setRefusing(true);
        uint256 claimed = _claimRecordedBy(id, abi.encodeCall(IMarginEngineLiquidation.liquidate, (id)));
        assertEq(claimed, 1_000 * USD + ORDER_FEE + preview.ownerRefund, "claim");
        _assertClaimCollected(id, claimed);
    }

    /// @dev Only the owner the claim was recorded for may collect it, and not to the zero address.
    function test_claim_byAnotherAccountOrToZero_reverts() public {
        _recordAttackerClaim();
        Snapshot memory before = _snapshot(h, _one(_a()));
        vm.prank(mallory);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.NotPositionOwner.selector, attackerId, mallory));
        h.engine.claim(attackerId, mallory);
        vm.expectRevert(IMarginEngineBase.ZeroReceiver.selector);
        _asAttacker(address(h.engine), abi.encodeCall(IMarginEngine.claim, (attackerId, address(0))));
        vm.prank(mallory);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.NothingToClaim.selector, bobId));
        h.engine.claim(bobId, mallory);
        _assertUnchanged(before, _snapshot(h, _one(_a())));
    }

    /// @dev A deferred payout is held by the engine, not left in the vault: the vault's next occupant opens, trades and
    /// closes exactly as in an empty vault, and the claim is still whole for its owner.
    function test_deferredPayout_neverLeaksToTheVaultsNextOccupant() public {
        address vault = h.engine.vaultOf(attackerId);
        uint256 amount = _recordAttackerClaim();
        assertEq(token.balanceOf(vault), 0, "the deferred payout stayed in the vault");
        uint256 insuranceBefore = token.balanceOf(address(h.insurance));

        uint256 next = _open(h, mallory, ETH, false, 1e18, 600 * USD);
        assertEq(h.engine.vaultOf(next), vault, "setup: vault not reused");
        assertEq(token.balanceOf(vault), 600 * USD + KEEPER_RESERVE, "vault");
        assertEq(token.balanceOf(address(h.insurance)), insuranceBefore, "something was swept");
        uint256 malloryBefore = token.balanceOf(mallory);
        _close(h, next);
        // 600 USD and the reserve, less the 3 USD close fee and a second of borrow fee.
        assertEq(
            token.balanceOf(mallory) - malloryBefore,
            602 * USD - _borrowFee(3_000e18, 1),
            "next occupant's payout"
        );

        (address owner, uint256 left) = h.engine.claimOf(attackerId);
        assertEq(owner, _a(), "claim owner");
        assertEq(left, amount, "claim");
        _assertClaimCollected(attackerId, amount);
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

    /// @dev The attacker requests a long of `size` with `collateral` (plus the opening fee) and the keeper executes it
    /// at the current price.
    function _attackerOpen(uint256 size, uint256 collateral) internal returns (uint256 id) {
        id = abi.decode(_asAttacker(address(h.engine), _requestOpenCall(size, collateral)), (uint256));
        _execute(h, id, ETH, currentPrice(ETH));
        require(h.engine.position(id).collateral == collateral, "attacker's open did not execute");
    }

    function _requestOpenCall(uint256 size, uint256 collateral) internal view returns (bytes memory) {
        return
            abi.encodeCall(
                IMarginEngineOrders.requestOpen,
                (ETH, true, size, collateral + openFeeOf(ETH, size), type(uint128).max, _deadline(), 0)
            );
    }

    function _requestCloseCall(uint256 id, uint256 fee, address receiver) internal view returns (bytes memory) {
        return abi.encodeCall(IMarginEngineOrders.requestClose, (id, 0, _deadline(), fee, receiver));
    }

    /// @dev `who` asks to close `id` with an execution fee.
    function _requestCloseAs(address who, uint256 id) internal {
        vm.prank(who);
        h.engine.requestClose(id, 0, _deadline(), ORDER_FEE, who);
    }

    /// @dev The attacker closes its position (request, a round a second later, the keeper executes) and, if its payout
    /// became a claim, collects it to its wallet (its own hook may still be armed); returns what the attacker's two
    /// addresses hold, and the amount that was claimable.
    function _closeAttacker() internal returns (uint256 balance, uint256 claimed) {
        _asAttacker(address(h.engine), _requestCloseCall(attackerId, 0, _a()));
        vm.warp(block.timestamp + 1);
        setPrice(ETH, currentPrice(ETH));
        vm.prank(keeper);
        h.engine.executeOrder(attackerId);
        (, claimed) = h.engine.claimOf(attackerId);
        if (claimed != 0) _asAttacker(address(h.engine), abi.encodeCall(IMarginEngine.claim, (attackerId, wallet)));
        balance = token.balanceOf(_a()) + token.balanceOf(wallet);
    }

    /// @dev The attacker closes its position while refusing tokens, so that its payout is recorded as its claim.
    function _recordAttackerClaim() internal returns (uint256 amount) {
        _asAttacker(address(h.engine), _requestCloseCall(attackerId, 0, _a()));
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE);
        attacker.setRefusing(true);
        amount = _claimRecordedBy(attackerId, abi.encodeCall(IMarginEngineOrders.executeOrder, (attackerId)));
        attacker.setRefusing(false);
        assertGt(amount, 0, "setup: no claim");
    }

    /// @dev The keeper makes `call`, which must go through and leave the attacker a claim on position `id`, held by the
    /// engine; returns its amount.
    function _claimRecordedBy(uint256 id, bytes memory call) internal returns (uint256 amount) {
        uint256 engineBefore = token.balanceOf(address(h.engine));
        uint256 attackerBefore = token.balanceOf(_a());
        vm.prank(keeper);
        (bool ok, ) = address(h.engine).call(call);
        assertTrue(ok, "the refusing recipient blocked the call");
        address owner;
        (owner, amount) = h.engine.claimOf(id);
        assertEq(owner, _a(), "claim owner");
        assertEq(token.balanceOf(address(h.engine)) - engineBefore, amount, "the engine does not hold the claim");
        assertEq(token.balanceOf(_a()), attackerBefore, "the refusing owner was paid");
    }

    /// @dev The attacker, still refusing tokens, collects its claim of `amount` to its plain wallet.
    function _assertClaimCollected(uint256 id, uint256 amount) internal {
        uint256 before = token.balanceOf(wallet);
        vm.expectEmit(address(h.engine));
        emit IMarginEngineBase.Claimed(id, _a(), wallet, amount);
        _asAttacker(address(h.engine), abi.encodeCall(IMarginEngine.claim, (id, wallet)));
        assertEq(token.balanceOf(wallet) - before, amount, "claim not paid");
        (, uint256 left) = h.engine.claimOf(id);
        assertEq(left, 0, "claim left");
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

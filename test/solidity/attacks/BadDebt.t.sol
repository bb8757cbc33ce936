// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ILiquidityPool} from "../../../contracts/interfaces/ILiquidityPool.sol";
import {
    CancelReason,
    IMarginEngineBase,
    IMarginEngineLiquidation,
    IMarginEngineOrders,
    OrderKind
} from "../../../contracts/interfaces/IMarginEngine.sol";
import {AttackBase} from "./utils/AttackBase.sol";

/// @dev A crash that leaves a position owing more than its collateral. Its liquidation sends the whole collateral to
/// the pool, the insurance fund covers the deficit first and the pool absorbs only the rest; the keeper still gets the
/// keeper reserve; what a pending order escrowed goes back to the owner first and never covers the deficit (rule 7);
/// no other position's vault or record moves.
contract BadDebtAttackTest is AttackBase {
    uint256 internal constant CRASH_PRICE = 2_000e18;
    /// @dev Alice's loss at the crash (100 ETH × 1,000 USD) less her 30,000 USD collateral; no time passes, so no
    /// borrow fee.
    uint256 internal constant BAD_DEBT = 70_000 * USD;

    address internal lp2 = makeAddr("lp2");

    /// @dev Long 100 ETH at 3,000 with 30,000 USD: the position that goes under.
    uint256 internal aliceId;
    /// @dev Short 10 ETH with 3,000 USD, same market, other side: in profit after the crash.
    uint256 internal bobId;
    /// @dev Long 0.1 BTC with 1,000 USD: another market.
    uint256 internal malloryId;

    /// @dev Alice opens last, so that her position has owed no borrow fee when the crash comes in the same block.
    function setUp() public override {
        super.setUp();
        bobId = openPosition(bob, ETH, false, 10e18, 3_000 * USD);
        malloryId = openPosition(mallory, BTC, true, 0.1e18, 1_000 * USD);
        aliceId = openPosition(alice, ETH, true, 100e18, 30_000 * USD);
        setPrice(ETH, CRASH_PRICE);
    }

    function test_badDebt_insuranceCoversFirst_poolAbsorbsRest() public {
        _fundInsurance(50_000 * USD);
        _assertLiquidationSplit(50_000 * USD);
    }

    function test_badDebt_insuranceCoversAll_poolWhole() public {
        _fundInsurance(100_000 * USD);
        _assertLiquidationSplit(BAD_DEBT);
    }

    function test_badDebt_noInsurance_poolAbsorbsAll() public {
        _assertLiquidationSplit(0);
    }

    /// @dev In a batch with healthy positions of both markets, only the bad-debt position goes, with the same split.
    function test_badDebt_batch_sameAsSingleLiquidation() public {
        _fundInsurance(50_000 * USD);
        uint256[] memory ids = new uint256[](3);
        (ids[0], ids[1], ids[2]) = (bobId, aliceId, malloryId);
        uint256 snapshotId = vm.snapshotState();
        vm.prank(keeper);
        engine.liquidate(aliceId);
        Snapshot memory single = _snapshot();
        vm.revertToState(snapshotId);

        vm.prank(keeper);
        assertEq(engine.liquidateBatch(ids), 1, "liquidated");
        _assertUnchanged(single, _snapshot());
    }

    /// @dev The owner asking to close the under-water position cannot shift the deficit either: at execution the
    /// position is liquidatable at the latest price, so it is liquidated instead (rule 3), with the same split.
    function test_badDebt_ownerCloseRequest_liquidatedInstead() public {
        _fundInsurance(50_000 * USD);
        requestClose(aliceId, alice);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, CRASH_PRICE);
        _assertLiquidationSplit(
            abi.encodeCall(IMarginEngineOrders.executeOrder, (aliceId)),
            50_000 * USD,
            BAD_DEBT + _borrowFee(300_000e18, 1),
            0
        );
    }

    /// @dev Inside the grace period after a price outage liquidations wait, but a close executes (rule 16), at the
    /// crash: the liquidation split without keeper fee or penalty (rule 7). The owner gets the keeper reserve back and
    /// nothing else, the pool the whole collateral, and the insurance fund pays before the pool absorbs anything; the
    /// unpaid closing fee (200 USD) is not counted as bad debt.
    function test_badDebt_ownerCloseInGrace_insuranceStillCoversFirst() public {
        _fundInsurance(50_000 * USD);
        uint256 openedAt = block.timestamp;
        vm.warp(openedAt + HEARTBEAT + 1);
        setPrice(ETH, CRASH_PRICE);
        uint256 resumesAt = block.timestamp + GRACE;
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.GracePeriod.selector, resumesAt));
        engine.liquidate(aliceId);

        requestClose(aliceId, alice);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, CRASH_PRICE);
        uint256 borrowFee = _borrowFee(300_000e18, block.timestamp - openedAt);
        (bytes32 othersBefore, uint256 total) = (_others(), _total(_snapshot()));
        address vault = engine.vaultOf(aliceId);
        uint256 poolBefore = usd.balanceOf(address(pool));
        uint256 aliceBefore = usd.balanceOf(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionClosed(
            aliceId,
            alice,
            CRASH_PRICE,
            -int256(100_000 * USD),
            borrowFee,
            KEEPER_RESERVE,
            BAD_DEBT + borrowFee,
            alice
        );
        vm.prank(keeper);
        engine.executeOrder(aliceId);
        assertEq(usd.balanceOf(alice) - aliceBefore, KEEPER_RESERVE, "owner payout");
        assertEq(usd.balanceOf(address(insurance)), 0, "insurance did not pay first");
        assertEq(usd.balanceOf(address(pool)) - poolBefore, 30_000 * USD + 50_000 * USD, "pool");
        assertEq(usd.balanceOf(vault), 0, "vault not emptied");
        assertEq(_others(), othersBefore, "another position moved");
        assertEq(_total(_snapshot()), total, "conservation");
    }

    // ------------------------------------------------------------ escrow is refunded, never seized

    /// @dev Alice's increase, pending when the keeper liquidates, escrows 10,000 USD and a 1 USD execution fee: both
    /// go back to her in full before the split, which is exactly the split without the order.
    function test_badDebt_pendingOrderEscrow_refundedNotSeized() public {
        _fundInsurance(50_000 * USD);
        _requestIncrease(10_000 * USD, 1 * USD);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            aliceId,
            OrderKind.Increase,
            CancelReason.PositionClosed,
            keeper,
            10_001 * USD,
            0
        );
        _assertLiquidationSplit(
            abi.encodeCall(IMarginEngineLiquidation.liquidate, (aliceId)),
            50_000 * USD,
            BAD_DEBT,
            10_001 * USD
        );
    }

    /// @dev The same when the keeper executes the pending increase itself: liquidation first, the escrow refunded in
    /// full, the executor paid as a liquidator and not with the order's execution fee.
    function test_badDebt_pendingOrderExecuted_liquidatedEscrowRefunded() public {
        _fundInsurance(100_000 * USD);
        _requestIncrease(10_000 * USD, 1 * USD);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, CRASH_PRICE);
        uint256 badDebt = BAD_DEBT + _borrowFee(300_000e18, 1);
        _assertLiquidationSplit(
            abi.encodeCall(IMarginEngineOrders.executeOrder, (aliceId)),
            badDebt,
            badDebt,
            10_001 * USD
        );
    }

    /// @dev With a borrow fee owed as well (an hour passes), the split still adds up: every unit the vault held is
    /// paid out, and the insurance fund pays min(bad debt, its balance).
    function test_badDebt_withBorrowFees_conserved() public {
        _fundInsurance(50_000 * USD);
        vm.warp(block.timestamp + 1 hours);
        setPrice(ETH, CRASH_PRICE);
        setPrice(BTC, BTC_PRICE);
        (bytes32 othersBefore, uint256 total) = (_others(), _total(_snapshot()));
        int256 equity = lens.equity(aliceId);
        assertLt(equity, -int256(BAD_DEBT), "borrow fee not owed");
        uint256 poolBefore = usd.balanceOf(address(pool));

        address vault = engine.vaultOf(aliceId);

        vm.prank(keeper);
        engine.liquidate(aliceId);
        assertEq(usd.balanceOf(keeper), KEEPER_RESERVE, "keeper reward");
        assertEq(usd.balanceOf(address(insurance)), 0, "insurance");
        assertEq(usd.balanceOf(address(pool)) - poolBefore, 80_000 * USD, "pool");
        assertEq(usd.balanceOf(vault), 0, "vault not emptied");
        assertEq(_others(), othersBefore, "another position moved");
        assertEq(_total(_snapshot()), total, "conservation");
    }

    /// @dev Alice is under water by 70,000 USD beyond her collateral, which the pool absorbs at her liquidation. An LP
    /// who asks to leave on the crash cannot leave before it: LP requests wait while a position is under water (the
    /// per-side floor would count her loss up to the side's whole collateral), so the redemption executes after the
    /// liquidation, with the loss shared, exactly as it would had the keeper been prompt.
    function test_badDebt_lpExitBeforeLiquidation_cannotDodgeLoss() public {
        setPrice(ETH, ETH_PRICE);
        uint256 shares = deposit(lp2, POOL_LIQUIDITY);
        setPrice(ETH, CRASH_PRICE);
        vm.prank(lp2);
        pool.requestRedeem(shares, lp2, lp2);
        vm.warp(block.timestamp + LP_DELAY);
        uint256 snapshotId = vm.snapshotState();
        vm.prank(keeper);
        engine.liquidate(aliceId);
        uint256 fair = _executeAndClaim(lp2);
        vm.revertToState(snapshotId);

        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.LpExecutionPaused.selector, 0));
        vm.prank(keeper);
        pool.executeRedeems(type(uint256).max);
        vm.prank(keeper);
        engine.liquidate(aliceId);
        uint256 late = _executeAndClaim(lp2);
        assertGt(late, 0, "nothing executed");
        assertEq(late, fair, "the LP's exit depends on when the keeper came");
    }

    function _executeAndClaim(address who) internal returns (uint256 assets) {
        vm.prank(keeper);
        pool.executeRedeems(type(uint256).max);
        uint256 claimable = pool.maxRedeem(who);
        vm.prank(who);
        assets = pool.redeem(claimable, who, who);
    }

    // ------------------------------------------------------------ helpers

    function _fundInsurance(uint256 amount) internal {
        usd.mint(address(insurance), amount);
    }

    /// @dev Alice asks to add 10 ETH with `collateral` more, paying `fee` to its executor.
    function _requestIncrease(uint256 collateral, uint256 fee) internal {
        fund(alice, collateral + fee);
        vm.prank(alice);
        engine.requestIncrease(aliceId, 10e18, collateral, type(uint128).max, _deadline(), fee);
    }

    function _assertLiquidationSplit(uint256 cover) internal {
        _assertLiquidationSplit(abi.encodeCall(IMarginEngineLiquidation.liquidate, (aliceId)), cover, BAD_DEBT, 0);
    }

    /// @dev The keeper makes `call`, which must liquidate alice's position, and the split is checked: the keeper gets
    /// exactly the reserve, the pool the collateral plus the insurance cover, the insurance fund pays `cover`, the owner
    /// only `ownerGets` (a pending order's escrow); the LPs' assets rise by the cover alone, since the pool's valuation
    /// already counted no more of the loss than the collateral; every other position is untouched; every unit is
    /// accounted for.
    function _assertLiquidationSplit(bytes memory call, uint256 cover, uint256 badDebt, uint256 ownerGets) internal {
        Balances memory before = _balances();
        (bytes32 othersBefore, uint256 total) = (_others(), _total(_snapshot()));
        address vault = engine.vaultOf(aliceId);

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionLiquidated(
            aliceId,
            alice,
            keeper,
            CRASH_PRICE,
            KEEPER_RESERVE,
            0,
            0,
            badDebt,
            cover,
            0
        );
        vm.prank(keeper);
        (bool ok, ) = address(engine).call(call);
        assertTrue(ok, "liquidation failed");

        Balances memory afterwards = _balances();
        assertEq(usd.balanceOf(keeper), KEEPER_RESERVE, "keeper reward");
        assertEq(afterwards.alice - before.alice, ownerGets, "owner paid");
        assertEq(before.insurance - afterwards.insurance, cover, "insurance cover");
        assertEq(afterwards.pool - before.pool, 30_000 * USD + cover, "pool");
        assertEq(afterwards.lpAssets - before.lpAssets, cover, "LP assets moved by more than the insurance cover");
        assertEq(usd.balanceOf(vault), 0, "vault not emptied");
        assertEq(engine.position(aliceId).owner, address(0), "position still open");
        assertEq(_others(), othersBefore, "another position moved");
        assertEq(_total(_snapshot()), total, "conservation");
    }

    struct Balances {
        uint256 alice;
        uint256 insurance;
        uint256 pool;
        uint256 lpAssets;
    }

    function _balances() internal view returns (Balances memory b) {
        b.alice = usd.balanceOf(alice);
        b.insurance = usd.balanceOf(address(insurance));
        b.pool = usd.balanceOf(address(pool));
        b.lpAssets = pool.totalAssets();
    }

    /// @dev Records and vault balances of the positions that did not go under.
    function _others() internal view returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    engine.position(bobId),
                    engine.position(malloryId),
                    vaultBalance(bobId),
                    vaultBalance(malloryId)
                )
            );
    }
}

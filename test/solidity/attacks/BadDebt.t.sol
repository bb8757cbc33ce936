// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMarginEngine} from "../../../contracts/interfaces/IMarginEngine.sol";
import {AttackBase} from "./utils/AttackBase.sol";

/// @dev A crash that leaves a position owing more than its collateral. Its liquidation sends the whole collateral to
/// the pool, the insurance fund covers the deficit first and the pool absorbs only the rest; the keeper still gets the
/// keeper reserve; no other position's vault or record moves.
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

    function setUp() public override {
        super.setUp();
        aliceId = openPosition(alice, ETH, true, 100e18, 30_000 * USD);
        bobId = openPosition(bob, ETH, false, 10e18, 3_000 * USD);
        malloryId = openPosition(mallory, BTC, true, 0.1e18, 1_000 * USD);
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

    /// @dev The owner closing the under-water position themselves cannot shift the deficit either: they get the keeper
    /// reserve back, the pool the collateral, and the insurance fund pays before the pool absorbs anything.
    function test_badDebt_ownerClose_insuranceStillCoversFirst() public {
        _fundInsurance(50_000 * USD);
        (bytes32 othersBefore, uint256 total) = (_others(), _total(_snapshot()));
        uint256 poolBefore = usd.balanceOf(address(pool));
        uint256 aliceBefore = usd.balanceOf(alice);
        vm.prank(alice);
        engine.close(aliceId, 0, block.timestamp);
        assertEq(usd.balanceOf(alice) - aliceBefore, KEEPER_RESERVE, "owner payout");
        assertEq(usd.balanceOf(address(insurance)), 0, "insurance did not pay first");
        assertEq(usd.balanceOf(address(pool)) - poolBefore, 30_000 * USD + 50_000 * USD, "pool");
        assertEq(vaultBalance(aliceId), 0, "vault not emptied");
        assertEq(_others(), othersBefore, "another position moved");
        assertEq(_total(_snapshot()), total, "conservation");
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

        vm.prank(keeper);
        engine.liquidate(aliceId);
        assertEq(usd.balanceOf(keeper), KEEPER_RESERVE, "keeper reward");
        assertEq(usd.balanceOf(address(insurance)), 0, "insurance");
        assertEq(usd.balanceOf(address(pool)) - poolBefore, 80_000 * USD, "pool");
        assertEq(vaultBalance(aliceId), 0, "vault not emptied");
        assertEq(_others(), othersBefore, "another position moved");
        assertEq(_total(_snapshot()), total, "conservation");
    }

    /// @dev The pool values positions through per-side aggregates, each side's loss bounded by its collateral: before
    /// the liquidation it counts only the 30,000 USD it can collect, not alice's whole 100,000 USD loss. An LP who
    /// asks to leave on the crash and whose redemption executes before the liquidation must not escape their share of
    /// the 70,000 USD the pool then absorbs: they get no more than executing after it gives.
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

        uint256 early = _executeAndClaim(lp2);
        vm.prank(keeper);
        engine.liquidate(aliceId);
        assertGt(early, 0, "nothing executed");
        assertLe(early, fair, "LP dodged the bad debt by leaving before the liquidation");
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

    /// @dev Liquidates alice's position and checks the split: the keeper gets exactly the reserve, the pool the
    /// collateral plus the insurance cover, the insurance fund pays `cover`, the owner nothing; the LPs' assets rise by
    /// the cover alone, since the pool's valuation already counted no more of the loss than the collateral; every
    /// other position is untouched.
    function _assertLiquidationSplit(uint256 cover) internal {
        uint256 insuranceBefore = usd.balanceOf(address(insurance));
        uint256 poolBefore = usd.balanceOf(address(pool));
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 lpAssetsBefore = pool.totalAssets();
        (bytes32 othersBefore, uint256 total) = (_others(), _total(_snapshot()));

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionLiquidated(
            aliceId,
            alice,
            keeper,
            CRASH_PRICE,
            KEEPER_RESERVE,
            0,
            0,
            BAD_DEBT,
            cover,
            0
        );
        vm.prank(keeper);
        engine.liquidate(aliceId);

        assertEq(usd.balanceOf(keeper), KEEPER_RESERVE, "keeper reward");
        assertEq(usd.balanceOf(alice), aliceBefore, "owner paid");
        assertEq(insuranceBefore - usd.balanceOf(address(insurance)), cover, "insurance cover");
        assertEq(usd.balanceOf(address(pool)) - poolBefore, 30_000 * USD + cover, "pool");
        assertEq(pool.totalAssets() - lpAssetsBefore, cover, "LP assets moved by more than the insurance cover");
        assertEq(vaultBalance(aliceId), 0, "vault not emptied");
        assertEq(engine.position(aliceId).owner, address(0), "position still open");
        assertEq(_others(), othersBefore, "another position moved");
        assertEq(_total(_snapshot()), total, "conservation");
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

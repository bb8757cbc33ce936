// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {
    CancelReason,
    IMarginEngineBase,
    Order,
    OrderKind,
    Position
} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IOracleErrors} from "../../../contracts/interfaces/IOracleErrors.sol";
import {MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {IMockFeed} from "../utils/Artifacts.sol";
import {UnitBase} from "./UnitBase.sol";

/// @notice takeProfit / takeProfitBatch: anyone closes a position whose uncapped pnl has reached its cap, at the cap;
/// the executor earns the recorded keeper reserve. It runs during grace periods and while paused, cancels pending
/// orders with a full refund first, and turns an owner's undeliverable payout into a claim, so nothing can block it.
contract TakeProfitTest is UnitBase {
    uint256 internal id;
    address internal vault;

    function setUp() public override {
        super.setUp();
        id = _openStandardLong(); // alice long 1 ETH at 3,000 with 600 USD: cap min(9 × 600, 100 % × 3,000) = 3,000
        vault = engine.vaultOf(id);
    }

    function _take(uint256 positionId) internal {
        vm.prank(keeper);
        engine.takeProfit(positionId);
    }

    function _batch(uint256[] memory ids) internal returns (uint256 n) {
        vm.prank(keeper);
        n = engine.takeProfitBatch(ids);
    }

    function _assertTakeReverts(uint256 positionId, bytes memory err) internal {
        Snapshot memory before = _snapshot(positionId);
        vm.expectRevert(err);
        vm.prank(keeper);
        engine.takeProfit(positionId);
        _assertUnchanged(before, positionId);
    }

    function _blockAlice() internal {
        vm.mockCallRevert(address(usd), abi.encodeWithSelector(IERC20.transfer.selector, alice), "blocklisted");
    }

    /// @dev The position is gone, its vault (captured before, since `vaultOf` forgets it) emptied and its orders
    /// gone.
    function _assertGone(uint256 positionId, address vault_) internal view {
        _assertPosition(engine.position(positionId), _emptyPosition());
        assertEq(engine.vaultOf(positionId), address(0), "vaultOf a gone position");
        assertEq(usd.balanceOf(vault_), 0, "vault not emptied");
        (Order memory order, Order memory close) = engine.orders(positionId);
        assertEq(uint8(order.kind), uint8(OrderKind.None), "order left");
        assertEq(uint8(close.kind), uint8(OrderKind.None), "close left");
    }

    function _assertNoClaim(uint256 positionId) internal view {
        (address owner, uint256 amount) = engine.claimOf(positionId);
        assertEq(owner, address(0), "claim owner");
        assertEq(amount, 0, "claim");
    }

    // ------------------------------------------------------------ happy paths

    function test_takeProfit_long_paysTheCapLessFeesAndTheReserveToTheExecutor() public {
        _skip(1 days);
        setPrice(ETH, 6_000e18); // pnl 3,000 USD: exactly the cap
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 poolBefore = usd.balanceOf(address(pool));

        // Fees: borrow fee for a day (0.821918 USD, see the reference model) + 0.1 % × 6,000 = 6 USD.
        // The pool pays 3,000 − 6.821918 = 2,993.178082 USD; the owner gets 600 + 2,993.178082 USD.
        uint256 fees = 821_918 + 6 * USD;
        assertEq(_borrowFee(1e18, ETH_PRICE, RATE * 1 days), 821_918);
        uint256 payout = 600 * USD + 3_000 * USD - fees;
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.ProfitTaken(id, alice, keeper, 6_000e18, 3_000 * USD, fees, payout, KEEPER_RESERVE, 0);
        _take(id);

        _assertGone(id, vault);
        assertEq(engine.freeVaultCount(), 1, "vault freed");
        assertEq(usd.balanceOf(alice), aliceBefore + payout, "owner payout");
        assertEq(usd.balanceOf(keeper), KEEPER_RESERVE, "executor reward");
        assertEq(usd.balanceOf(address(pool)), poolBefore - (3_000 * USD - fees), "pool paid the cap less fees");
        assertEq(usd.balanceOf(address(insurance)), 0);
        assertEq(engine.totalReserved(), 0, "reservation released");
        assertEq(engine.totalEntryNotional(), 0);
        _assertSide(engine.sideState(ETH, true), _side(0, 0), "eth long");
        _assertSideMargin(engine.sideState(ETH, true), 0, 0, "eth long");
        _assertNoClaim(id);
    }

    function test_takeProfit_short_paysOnlyTheCapWhenPnlIsBeyondIt() public {
        uint256 shortId = openPosition(bob, ETH, false, 1e18, 300 * USD); // cap min(9 × 300, 3,000) = 2,700 USD
        address shortVault = engine.vaultOf(shortId);
        setPrice(ETH, 250e18); // pnl 2,750 USD > cap
        uint256 bobBefore = usd.balanceOf(bob);
        uint256 poolBefore = usd.balanceOf(address(pool));

        // Closing fee 0.1 % × 250 = 0.25 USD; no time passed, no borrow fee. The 50 USD beyond the cap are not paid.
        uint256 payout = 300 * USD + 2_700 * USD - 250_000;
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.ProfitTaken(
            shortId,
            bob,
            keeper,
            250e18,
            2_700 * USD,
            250_000,
            payout,
            KEEPER_RESERVE,
            0
        );
        _take(shortId);

        _assertGone(shortId, shortVault);
        assertEq(usd.balanceOf(bob), bobBefore + payout);
        assertEq(usd.balanceOf(keeper), KEEPER_RESERVE);
        assertEq(usd.balanceOf(address(pool)), poolBefore - (2_700 * USD - 250_000));
        _assertSide(engine.sideState(ETH, false), _side(0, 0), "eth short");
        // alice's long stays, with its reservation.
        assertEq(engine.totalReserved(), 3_000 * USD);
        assertEq(engine.position(id).owner, alice);
    }

    function test_takeProfit_anyoneMayCall() public {
        setPrice(ETH, 6_000e18);
        vm.prank(carol);
        engine.takeProfit(id);
        _assertGone(id, vault);
        assertEq(usd.balanceOf(carol), KEEPER_RESERVE, "the executor, whoever it is, earns the reserve");
    }

    /// @dev Rule 16: take-profit only pays a cap, so it runs inside the post-outage grace period, when liquidations
    /// wait.
    function test_takeProfit_runsDuringThePostOutageGracePeriod() public {
        vm.warp(block.timestamp + HEARTBEAT + 100); // the feed goes stale…
        setPrice(ETH, 6_000e18); // …and comes back: a grace period starts
        uint256 resumesAt = engine.liquidationResumesAt(ETH);
        assertEq(resumesAt, block.timestamp + GRACE, "grace period running");
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.GracePeriod.selector, resumesAt));
        engine.liquidate(id);

        _take(id);
        _assertGone(id, vault);
        assertEq(usd.balanceOf(keeper), KEEPER_RESERVE);
    }

    /// @dev While the L2 sequencer is down there is no good price to pay a cap at; from the second it is back up,
    /// take-profit runs, although liquidations wait out the sequencer's grace period.
    function test_takeProfit_waitsForTheSequencerButNotItsGracePeriod() public {
        IMockFeed sequencer = deployFeed(0, 1); // Chainlink's uptime feed: 1 = down
        vm.prank(governance);
        config.setSequencerFeed(AggregatorV3Interface(address(sequencer)));
        setPrice(ETH, 6_000e18);
        _assertTakeReverts(id, abi.encodeWithSelector(IOracleErrors.SequencerDown.selector, address(sequencer)));

        sequencer.updateAnswer(0); // up since now
        assertEq(engine.liquidationResumesAt(ETH), block.timestamp + GRACE, "sequencer grace running");
        _take(id);
        _assertGone(id, vault);
    }

    function test_takeProfit_worksWhilePaused() public {
        _pause();
        setPrice(ETH, 6_000e18);
        _take(id);
        _assertGone(id, vault);
    }

    /// @dev Rule 7: a pending increase and the close queued behind it are cancelled with a full refund before the
    /// position is closed at its cap; the executor earns the reserve, not the execution fees.
    function test_takeProfit_cancelsPendingOrdersWithAFullRefund() public {
        fund(alice, 50 * USD + 2 * USD);
        vm.prank(alice);
        engine.requestIncrease(id, 0.1e18, 50 * USD, type(uint128).max, _deadline(), 1 * USD);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, ETH_PRICE); // the increase's round exists, so the close queues behind it
        vm.prank(alice);
        engine.requestClose(id, 0, _deadline(), 1 * USD, bob);
        setPrice(ETH, 6_000e18);
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 bobBefore = usd.balanceOf(bob);

        uint256 fees = _borrowFee(1e18, ETH_PRICE, RATE * 1) + 6 * USD;
        uint256 payout = 600 * USD + 3_000 * USD - fees;
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Increase, CancelReason.PositionClosed, keeper, 51 * USD, 0);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Close, CancelReason.PositionClosed, keeper, 1 * USD, 0);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.ProfitTaken(id, alice, keeper, 6_000e18, 3_000 * USD, fees, payout, KEEPER_RESERVE, 0);
        _take(id);

        // The payout goes to the owner: a pending close's receiver has no say once the position is taken.
        assertEq(usd.balanceOf(alice), aliceBefore + 52 * USD + payout, "refunds and payout");
        assertEq(usd.balanceOf(bob), bobBefore, "close receiver");
        assertEq(usd.balanceOf(keeper), KEEPER_RESERVE, "executor: the reserve only");
        _assertGone(id, vault);
        _assertNoClaim(id);
    }

    /// @dev Take-profit during grace with an order pending: the order is refunded, the cap paid.
    function test_takeProfit_cancelsAPendingOrderDuringTheGracePeriod() public {
        fund(alice, 1 * USD);
        vm.prank(alice);
        engine.requestDecrease(id, 0.5e18, 0, _deadline(), 1 * USD, alice);
        vm.warp(block.timestamp + HEARTBEAT + 1);
        setPrice(ETH, 6_000e18); // after an outage: grace
        assertGt(engine.liquidationResumesAt(ETH), block.timestamp);
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 fees = _borrowFee(1e18, ETH_PRICE, RATE * (HEARTBEAT + 1)) + 6 * USD;
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Decrease, CancelReason.PositionClosed, keeper, 1 * USD, 0);
        _take(id);
        assertEq(usd.balanceOf(alice), aliceBefore + 1 * USD + 3_600 * USD - fees);
        _assertGone(id, vault);
    }

    /// @dev A donation to the vault is not paid to the executor or the owner: both get recorded amounts; the
    /// donation stays in the emptied vault until it is reused and swept.
    function test_takeProfit_neverPaysADonationToTheVault() public {
        usd.mint(vault, 4 * USD);
        setPrice(ETH, 6_000e18);
        uint256 aliceBefore = usd.balanceOf(alice);
        _take(id);
        assertEq(usd.balanceOf(keeper), KEEPER_RESERVE);
        assertEq(usd.balanceOf(alice), aliceBefore + 3_594 * USD);
        assertEq(usd.balanceOf(vault), 4 * USD, "the donation stays for the sweep");
    }

    /// @dev An owner who cannot receive (a blocklisted address) cannot block a take-profit: the payout moves to the
    /// engine as a claim, and the owner claims it to an address of their choosing.
    function test_takeProfit_turnsAnUndeliverablePayoutIntoAClaim() public {
        setPrice(ETH, 6_000e18);
        uint256 aliceBefore = usd.balanceOf(alice);
        uint256 payout = 600 * USD + 3_000 * USD - 6 * USD;
        _blockAlice();
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.ProfitTaken(
            id,
            alice,
            keeper,
            6_000e18,
            3_000 * USD,
            6 * USD,
            payout,
            KEEPER_RESERVE,
            0
        );
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.ClaimRecorded(id, alice, alice, payout);
        _take(id);
        vm.clearMockedCalls();

        _assertGone(id, vault);
        assertEq(usd.balanceOf(keeper), KEEPER_RESERVE, "executor paid");
        assertEq(usd.balanceOf(alice), aliceBefore, "alice paid");
        (address owner, uint256 waiting) = engine.claimOf(id);
        assertEq(owner, alice);
        assertEq(waiting, payout);
        assertEq(usd.balanceOf(address(engine)), payout, "the claim waits in the engine, not the vault");
        assertEq(engine.freeVaultCount(), 1, "the emptied vault is free");
        assertEq(engine.totalReserved(), 0);

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.Claimed(id, alice, carol, payout);
        vm.prank(alice);
        engine.claim(id, carol);
        assertEq(usd.balanceOf(carol), payout);
        assertEq(usd.balanceOf(address(engine)), 0);
        _assertNoClaim(id);
    }

    /// @dev Reachable when nobody liquidated the position in time: its fees exceed cap + collateral. The collateral
    /// goes to the pool, the insurance fund covers what it can of the rest, the executor still gets the reserve.
    function test_takeProfit_feesBeyondCapAndCollateralAreBadDebt() public {
        MarketParams memory m = _params(ETH);
        m.maxProfitRatio = 0.1e18;
        m.borrowRateLong = 31_709_791_983; // the maximum, 100 % a year
        _setMarket(ETH, m);
        uint256 costly = openPosition(bob, ETH, true, 1e18, 600 * USD); // cap 0.1 × 600 = 60 USD
        address costlyVault = engine.vaultOf(costly);
        usd.mint(address(insurance), 100 * USD);
        _skip(365 days);
        setPrice(ETH, 3_060e18); // pnl 60 USD: at the cap
        uint256 bobBefore = usd.balanceOf(bob);
        uint256 poolBefore = usd.balanceOf(address(pool));

        // Borrow fee for a year: 3,000 × 0.999999999975888 = 2,999.999999927664 → 3,000 USD (up); closing fee
        // 3.06 USD. Owed beyond the cap: 2,943.06 USD; the 600 USD of collateral pay part, 2,343.06 USD are bad debt.
        uint256 borrowFee = _borrowFee(1e18, ETH_PRICE, 31_709_791_983 * 365 days);
        assertEq(borrowFee, 3_000 * USD);
        uint256 fees = borrowFee + 3_060_000;
        uint256 badDebt = fees - 60 * USD - 600 * USD;
        assertEq(badDebt, 2_343_060_000);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.ProfitTaken(costly, bob, keeper, 3_060e18, 60 * USD, fees, 0, KEEPER_RESERVE, badDebt);
        _take(costly);

        _assertGone(costly, costlyVault);
        assertEq(usd.balanceOf(bob), bobBefore, "nothing for the owner");
        assertEq(usd.balanceOf(keeper), KEEPER_RESERVE, "the reserve still goes to the executor");
        assertEq(usd.balanceOf(address(insurance)), 0, "insurance covered what it could");
        assertEq(usd.balanceOf(address(pool)), poolBefore + 600 * USD + 100 * USD);
    }

    // ------------------------------------------------------------ reverts

    function test_takeProfit_revertsWhen_pnlOneUnitBelowTheCap() public {
        setPrice(ETH, 5_999.999999e18); // pnl 2,999.999999 USD
        _assertTakeReverts(
            id,
            abi.encodeWithSelector(IMarginEngineBase.NotAtCap.selector, id, int256(2_999_999_999), 3_000 * USD)
        );
    }

    function test_takeProfit_revertsWhen_positionInLoss() public {
        setPrice(ETH, 2_900e18);
        _assertTakeReverts(
            id,
            abi.encodeWithSelector(IMarginEngineBase.NotAtCap.selector, id, -int256(100 * USD), 3_000 * USD)
        );
    }

    /// @dev A position below its cap keeps its pending order.
    function test_takeProfit_revertsWhen_belowTheCap_leavingThePendingOrder() public {
        requestClose(id, alice);
        setPrice(ETH, 5_000e18);
        _assertTakeReverts(
            id,
            abi.encodeWithSelector(IMarginEngineBase.NotAtCap.selector, id, int256(2_000 * USD), 3_000 * USD)
        );
    }

    function test_takeProfit_revertsWhen_positionUnknown() public {
        _assertTakeReverts(99, abi.encodeWithSelector(IMarginEngineBase.UnknownPosition.selector, 99));
        setPrice(ETH, 6_000e18);
        _take(id);
        _assertTakeReverts(id, abi.encodeWithSelector(IMarginEngineBase.UnknownPosition.selector, id));
    }

    function test_takeProfit_revertsWhen_theOpenIsStillPending() public {
        uint256 pending = requestOpen(bob, ETH, true, 1e18, 600 * USD);
        setPrice(ETH, 9_000e18);
        _assertTakeReverts(pending, abi.encodeWithSelector(IMarginEngineBase.PositionNotOpen.selector, pending));
    }

    function test_takeProfit_revertsWhen_priceStale() public {
        setPrice(ETH, 6_000e18);
        uint256 updatedAt = block.timestamp;
        vm.warp(block.timestamp + HEARTBEAT + 1);
        _assertTakeReverts(
            id,
            abi.encodeWithSelector(IOracleErrors.StalePrice.selector, address(ethFeed), updatedAt, HEARTBEAT)
        );
    }

    // ------------------------------------------------------------ batch

    /// @dev The batch takes what is at its cap and skips the rest: positions below their cap, pending opens, unknown
    /// ids, and markets without a good price (here BTC, whose answer is stale), without reverting.
    function test_takeProfitBatch_takesWhatIsAtCapAndSkipsTheRest() public {
        uint256 ethShort = openPosition(carol, ETH, false, 1e18, 600 * USD); // in loss once ETH rises
        uint256 btcLong = openPosition(bob, BTC, true, 0.1e18, 600 * USD); // cap min(5,400, 6,000): at 114,000
        uint256 pending = requestOpen(bob, ETH, true, 1e18, 600 * USD);
        MarketParams memory m = _params(BTC);
        m.heartbeat = 60;
        _setMarket(BTC, m);
        setPrice(BTC, 114_000e18);
        vm.warp(block.timestamp + 61); // BTC's answer is now stale
        setPrice(ETH, 6_000e18);
        Snapshot memory btcBefore = _snapshot(btcLong);
        Snapshot memory pendingBefore = _snapshot(pending);
        Position memory shortBefore = engine.position(ethShort);

        uint256[] memory ids = new uint256[](6);
        ids[0] = ethShort;
        ids[1] = btcLong;
        ids[2] = id;
        ids[3] = 99;
        ids[4] = id; // duplicate: already gone
        ids[5] = pending;
        assertEq(_batch(ids), 1, "taken");

        _assertGone(id, vault);
        assertEq(usd.balanceOf(keeper), KEEPER_RESERVE);
        _assertPosition(engine.position(ethShort), shortBefore);
        _assertPosition(engine.position(btcLong), btcBefore.position);
        assertEq(vaultBalance(btcLong), btcBefore.vault);
        _assertPosition(engine.position(pending), pendingBefore.position);
        _assertOrder(_orderOf(pending), pendingBefore.order, "pending open");
        assertEq(vaultBalance(pending), pendingBefore.vault);

        // Once BTC has a good price again, its position goes too.
        address btcVault = engine.vaultOf(btcLong);
        setPrice(BTC, 114_000e18);
        assertEq(_batch(_ids(btcLong)), 1);
        _assertGone(btcLong, btcVault);
        assertEq(usd.balanceOf(keeper), 2 * KEEPER_RESERVE);
    }

    function _orderOf(uint256 positionId) internal view returns (Order memory order) {
        (order, ) = engine.orders(positionId);
    }

    function test_takeProfitBatch_returnsZeroAndChangesNothingWhenNothingIsAtCap() public {
        setPrice(ETH, 5_999.999999e18);
        Snapshot memory before = _snapshot(id);
        assertEq(_batch(_ids(id, 99)), 0);
        assertEq(_batch(new uint256[](0)), 0);
        _assertUnchanged(before, id);
    }

    /// @dev Rule 16: the batch runs inside a grace period too.
    function test_takeProfitBatch_runsDuringThePostOutageGracePeriod() public {
        vm.warp(block.timestamp + HEARTBEAT + 1);
        setPrice(ETH, 6_000e18);
        assertGt(engine.liquidationResumesAt(ETH), block.timestamp);
        assertEq(_batch(_ids(id)), 1);
        _assertGone(id, vault);
    }

    function test_takeProfitBatch_turnsAnUndeliverablePayoutIntoAClaim() public {
        uint256 other = openPosition(bob, ETH, true, 1e18, 600 * USD);
        setPrice(ETH, 6_000e18);
        uint256 bobBefore = usd.balanceOf(bob);
        _blockAlice();
        assertEq(_batch(_ids(id, other)), 2);
        vm.clearMockedCalls();
        // alice's long, opened a second before bob's, owes a second of borrow fee.
        uint256 alicePayout = 3_594 * USD - _borrowFee(1e18, ETH_PRICE, RATE * 1);
        (address owner, uint256 waiting) = engine.claimOf(id);
        assertEq(owner, alice);
        assertEq(waiting, alicePayout);
        _assertNoClaim(other);
        assertEq(usd.balanceOf(bob), bobBefore + 3_594 * USD, "the rest of the batch is paid");
        assertEq(usd.balanceOf(keeper), 2 * KEEPER_RESERVE);
        assertEq(usd.balanceOf(address(engine)), alicePayout);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

import {
    CancelReason,
    IMarginEngineBase,
    Order,
    OrderKind,
    OrderStatus,
    Position
} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IOracleErrors} from "../../../contracts/interfaces/IOracleErrors.sol";
import {GlobalParams, IRiskConfig, MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {Artifacts} from "../utils/Artifacts.sol";
import {MockFeedProxy, MockPlainAggregator} from "./mocks/MockFeedProxy.sol";
import {UnitBase} from "./UnitBase.sol";

/// @dev A token whose decimals the engine must refuse.
contract Decimals19Token {
    function decimals() external pure returns (uint8) {
        return 19;
    }
}

/// @dev `requestOpen` and the execution of open orders. A request escrows collateral, keeper reserve and execution
/// fee and opens nothing; the execution opens at the round's answer and takes the opening fee from the collateral. A
/// check that fails at the execution price cancels the order: price and margin failures pay the executor, capacity
/// and pause failures refund the trader in full.
contract OpenTest is UnitBase {
    uint256 internal constant SIZE = 1e18;
    uint256 internal constant COLLATERAL = 600 * USD;
    uint256 internal constant FEE = 1 * USD;
    /// @dev The fixture's ETH round when the tests start: every request records it.
    uint80 internal constant ROUND = 2;

    /// @dev Funds `who` for the request and requests an open with the longest deadline and `FEE`.
    function _request(
        address who,
        bool isLong,
        uint256 size,
        uint256 collateral,
        uint256 acceptablePrice
    ) internal returns (uint256 id) {
        fund(who, collateral + KEEPER_RESERVE + FEE);
        vm.prank(who);
        id = engine.requestOpen(ETH, isLong, size, collateral, acceptablePrice, _deadline(), FEE);
    }

    /// @dev Expects `requestOpen` by alice to revert with `err` and to change nothing (no id, no vault, no order).
    function _assertRequestReverts(
        uint256 marketId,
        uint256 size,
        uint256 collateral,
        uint256 deadline,
        uint256 fee,
        bytes memory err
    ) internal {
        fund(alice, collateral + KEEPER_RESERVE + fee);
        uint256 next = engine.nextPositionId();
        Snapshot memory before = _snapshot(next);
        vm.expectRevert(err);
        vm.prank(alice);
        engine.requestOpen(marketId, true, size, collateral, type(uint128).max, deadline, fee);
        _assertUnchanged(before, next);
        assertEq(engine.vaultOf(next), address(0), "vault taken");
    }

    /// @dev Executes the open order of `id` at a new round at `price` and expects it cancelled for `reason`: the
    /// position and its order are gone, the vault is empty and free again, `refund` went to the owner and
    /// `executorFee` to the keeper, and no aggregate moved.
    function _assertOpenCancelled(
        uint256 id,
        uint256 price,
        CancelReason reason,
        uint256 refund,
        uint256 executorFee
    ) internal {
        Position memory p = engine.position(id);
        Snapshot memory before = _snapshot(id);
        uint256 ownerBefore = usd.balanceOf(p.owner);
        _publish(price);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(id, OrderKind.Open, reason, keeper, refund, executorFee);
        _execute(id);

        _assertDeleted(id);
        assertEq(usd.balanceOf(p.vault), 0, "vault emptied");
        assertEq(usd.balanceOf(p.owner), ownerBefore + refund, "owner refund");
        assertEq(usd.balanceOf(keeper), before.keeper + executorFee, "executor fee");
        assertEq(usd.balanceOf(address(pool)), before.pool, "pool untouched");
        assertEq(engine.freeVaultCount(), before.freeVaults + 1, "vault freed");
        (Order memory o, Order memory c) = engine.orders(id);
        assertEq(uint8(o.kind), uint8(OrderKind.None), "order left");
        assertEq(uint8(c.kind), uint8(OrderKind.None), "close left");
        _assertSide(engine.sideState(ETH, true), before.ethLong, "eth long");
        _assertSide(engine.sideState(ETH, false), before.ethShort, "eth short");
        _assertSideMargin(engine.sideState(ETH, true), before.ethLong.collateral, before.ethLong.maxProfit, "long");
        assertEq(engine.totalReserved(), before.totalReserved, "totalReserved");
        assertEq(engine.totalEntryNotional(), before.totalEntryNotional, "totalEntryNotional");
    }

    // ------------------------------------------------------------ request

    function test_requestOpen_escrowsCollateralReserveAndFeeAndOpensNothing() public {
        fund(alice, 1_000 * USD);
        uint256 deadline = block.timestamp + 600;
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderRequested(
            1,
            alice,
            ETH,
            OrderKind.Open,
            true,
            SIZE,
            603 * USD,
            3_100e18,
            deadline,
            FEE,
            ROUND,
            alice
        );
        vm.prank(alice);
        uint256 id = engine.requestOpen(ETH, true, SIZE, 603 * USD, 3_100e18, deadline, FEE);

        assertEq(id, 1);
        address vault = engine.vaultOf(id);
        assertGt(vault.code.length, 0, "vault deployed");
        // The position exists with a size of zero: no price, no collateral, no cap yet.
        _assertPosition(
            engine.position(id),
            Position({
                owner: alice,
                collateral: 0,
                size: 0,
                entryPrice: 0,
                borrowIndex: 0,
                maxProfit: 0,
                marketId: uint16(ETH),
                isLong: true,
                vault: vault,
                keeperReserve: uint96(KEEPER_RESERVE)
            })
        );
        (Order memory o, Order memory c) = engine.orders(id);
        _assertOrder(
            o,
            Order({
                kind: OrderKind.Open,
                roundId: ROUND,
                requestedAt: uint40(block.timestamp),
                deadline: uint40(deadline),
                executionFee: uint88(FEE),
                sizeDelta: uint128(SIZE),
                acceptablePrice: 3_100e18,
                receiver: alice,
                collateralDelta: uint96(603 * USD)
            }),
            "order"
        );
        assertEq(uint8(c.kind), uint8(OrderKind.None), "no close");
        // Escrow: collateral + keeper reserve + execution fee; nothing reaches the pool, nothing is counted.
        assertEq(usd.balanceOf(vault), 603 * USD + KEEPER_RESERVE + FEE);
        assertEq(usd.balanceOf(alice), 1_000 * USD - 609 * USD);
        assertEq(usd.balanceOf(address(pool)), POOL_LIQUIDITY);
        assertEq(usd.balanceOf(address(engine)), 0);
        _assertSide(engine.sideState(ETH, true), _side(0, 0), "eth long");
        _assertSideMargin(engine.sideState(ETH, true), 0, 0, "eth long");
        assertEq(engine.totalReserved(), 0);
        assertEq(engine.totalEntryNotional(), 0);
        assertEq(engine.nextPositionId(), 2);
        (OrderStatus status, ) = engine.orderStatus(id);
        assertEq(uint8(status), uint8(OrderStatus.Waiting));
    }

    /// @dev A long's "any price" may be written `type(uint256).max`: anything above the stored width is no bound.
    function test_requestOpen_acceptsAnUnboundedPrice() public {
        fund(alice, 1_000 * USD);
        vm.prank(alice);
        uint256 id = engine.requestOpen(ETH, true, SIZE, 603 * USD, type(uint256).max, _deadline(), FEE);
        (Order memory o, ) = engine.orders(id);
        assertEq(o.acceptablePrice, type(uint128).max);
        _publish(3_050e18);
        _execute(id);
        assertEq(engine.position(id).entryPrice, 3_050e18);
    }

    /// @dev A request needs no good price (the order waits for the next round); it records the latest round id.
    function test_requestOpen_worksWhileThePriceIsStale() public {
        uint256 updatedAt = block.timestamp;
        vm.warp(block.timestamp + HEARTBEAT + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IOracleErrors.StalePrice.selector, address(ethFeed), updatedAt, HEARTBEAT)
        );
        engine.indexPrice(ETH);
        uint256 id = _request(alice, true, SIZE, 603 * USD, type(uint128).max);
        (Order memory o, ) = engine.orders(id);
        assertEq(o.roundId, ROUND);
        assertEq(uint8(o.kind), uint8(OrderKind.Open));
    }

    /// @dev An emptied vault is reused; what was donated to it meanwhile goes to the insurance fund, not to the next
    /// position (rule 15).
    function test_requestOpen_reusesAnEmptiedVaultAndSweepsItsDonation() public {
        uint256 first = _openStandardLong();
        address vault = engine.vaultOf(first);
        closePosition(first, alice);
        assertEq(engine.freeVaultCount(), 1);
        usd.mint(vault, 7 * USD);

        fund(bob, 1_000 * USD);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.VaultSwept(vault, 7 * USD);
        vm.prank(bob);
        uint256 second = engine.requestOpen(ETH, false, SIZE, 603 * USD, 0, _deadline(), FEE);

        assertEq(engine.vaultOf(second), vault, "vault reused");
        assertEq(engine.freeVaultCount(), 0);
        assertEq(usd.balanceOf(address(insurance)), 7 * USD, "donation swept");
        assertEq(usd.balanceOf(vault), 603 * USD + KEEPER_RESERVE + FEE, "vault = bob's escrow only");
    }

    // ------------------------------------------------------------ request rejections

    function test_requestOpen_revertsWhen_sizeIsZero() public {
        _assertRequestReverts(
            ETH,
            0,
            COLLATERAL,
            _deadline(),
            FEE,
            abi.encodeWithSelector(IMarginEngineBase.ZeroSize.selector)
        );
    }

    function test_requestOpen_revertsWhen_deadlineIsNow() public {
        _assertRequestReverts(
            ETH,
            SIZE,
            COLLATERAL,
            block.timestamp,
            FEE,
            abi.encodeWithSelector(IMarginEngineBase.DeadlineExpired.selector, block.timestamp, block.timestamp)
        );
    }

    function test_requestOpen_revertsWhen_deadlinePassed() public {
        uint256 deadline = block.timestamp - 1;
        _assertRequestReverts(
            ETH,
            SIZE,
            COLLATERAL,
            deadline,
            FEE,
            abi.encodeWithSelector(IMarginEngineBase.DeadlineExpired.selector, deadline, block.timestamp)
        );
    }

    function test_requestOpen_revertsWhen_executionFeeBelowMinimum() public {
        GlobalParams memory g = defaultGlobalParams();
        g.minExecutionFee = uint80(2 * USD);
        _setGlobal(g);
        _assertRequestReverts(
            ETH,
            SIZE,
            COLLATERAL,
            _deadline(),
            2 * USD - 1,
            abi.encodeWithSelector(IMarginEngineBase.ExecutionFeeTooLow.selector, 2 * USD - 1, 2 * USD)
        );
        // At the minimum it is taken.
        fund(alice, COLLATERAL + KEEPER_RESERVE + 2 * USD);
        vm.prank(alice);
        uint256 id = engine.requestOpen(ETH, true, SIZE, COLLATERAL, type(uint128).max, _deadline(), 2 * USD);
        (Order memory o, ) = engine.orders(id);
        assertEq(o.executionFee, 2 * USD);
    }

    function test_requestOpen_revertsWhen_collateralBelowMinimum() public {
        _assertRequestReverts(
            ETH,
            0.001e18,
            MIN_COLLATERAL - 1,
            _deadline(),
            FEE,
            abi.encodeWithSelector(
                IMarginEngineBase.CollateralBelowMinimum.selector,
                MIN_COLLATERAL - 1,
                MIN_COLLATERAL
            )
        );
    }

    function test_requestOpen_revertsWhen_collateralIsZero() public {
        _assertRequestReverts(
            ETH,
            SIZE,
            0,
            _deadline(),
            FEE,
            abi.encodeWithSelector(IMarginEngineBase.CollateralBelowMinimum.selector, 0, MIN_COLLATERAL)
        );
    }

    function test_requestOpen_revertsWhen_paused() public {
        _pause();
        _assertRequestReverts(
            ETH,
            SIZE,
            COLLATERAL,
            _deadline(),
            FEE,
            abi.encodeWithSelector(IMarginEngineBase.Paused.selector)
        );
        // Shorts too.
        fund(alice, COLLATERAL + KEEPER_RESERVE + FEE);
        vm.expectRevert(IMarginEngineBase.Paused.selector);
        vm.prank(alice);
        engine.requestOpen(ETH, false, SIZE, COLLATERAL, 0, _deadline(), FEE);
    }

    function test_requestOpen_worksAgainAfterUnpause() public {
        _pause();
        vm.prank(guardian);
        config.unpause();
        uint256 id = _openStandardLong();
        assertEq(engine.position(id).size, SIZE);
    }

    function test_requestOpen_revertsWhen_marketInSettlement() public {
        _settleEth();
        _assertRequestReverts(
            ETH,
            SIZE,
            COLLATERAL,
            _deadline(),
            FEE,
            abi.encodeWithSelector(IMarginEngineBase.MarketInSettlement.selector, ETH)
        );
    }

    function test_requestOpen_revertsWhen_marketUnknown() public {
        _assertRequestReverts(
            2,
            SIZE,
            COLLATERAL,
            _deadline(),
            FEE,
            abi.encodeWithSelector(IRiskConfig.UnknownMarket.selector, 2)
        );
    }

    /// @dev A feed that cannot name its latest round takes no orders: the order would have no round to wait for.
    function test_requestOpen_revertsWhen_feedCannotAnswer() public {
        MockFeedProxy feed = new MockFeedProxy(8, 3_000e8, address(new MockPlainAggregator()));
        vm.prank(governance);
        uint256 marketId = config.listMarket(defaultMarketParams(address(feed)));
        feed.setBroken(true);
        _assertRequestReverts(
            marketId,
            SIZE,
            COLLATERAL,
            _deadline(),
            FEE,
            abi.encodeWithSelector(IOracleErrors.NoPrice.selector, address(feed))
        );
    }

    function test_requestOpen_revertsWhen_allowanceMissing() public {
        usd.mint(carol, 1_000 * USD);
        Snapshot memory before = _snapshot(1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientAllowance.selector,
                address(engine),
                0,
                COLLATERAL + KEEPER_RESERVE + FEE
            )
        );
        vm.prank(carol);
        engine.requestOpen(ETH, true, SIZE, COLLATERAL, type(uint128).max, _deadline(), FEE);
        _assertUnchanged(before, 1);
    }

    function test_requestOpen_revertsWhen_tokenTakesATransferFee() public {
        FeeSystem memory s = _deployFeeSystem();
        s.token.setFeeBps(100); // 1 %
        uint256 poolBefore = s.token.balanceOf(address(s.pool));
        uint256 aliceBefore = s.token.balanceOf(alice);
        // 606 USD sent to the vault, 1 % burnt on the way: 599.94 USD arrive.
        vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.FeeOnTransferToken.selector, 606 * USD, 599_940_000));
        vm.prank(alice);
        s.engine.requestOpen(ETH, true, SIZE, COLLATERAL, type(uint128).max, block.timestamp + 60, FEE);
        assertEq(s.engine.nextPositionId(), 1);
        assertEq(s.engine.vaultOf(1), address(0));
        assertEq(s.engine.freeVaultCount(), 0);
        assertEq(s.token.balanceOf(address(s.pool)), poolBefore);
        assertEq(s.token.balanceOf(alice), aliceBefore);
    }

    /// @dev The engine and each of its modules refuse the token (they share the storage contract that checks it).
    function test_constructor_revertsWhen_assetHasMoreThan18Decimals() public {
        Decimals19Token token = new Decimals19Token();
        bytes memory args = abi.encode(address(token), address(pool), address(insurance), address(config));
        bytes memory err = abi.encodeWithSelector(IMarginEngineBase.UnsupportedDecimals.selector, uint8(19));
        vm.expectRevert(err);
        Artifacts.deploy(Artifacts.ORDER_MODULE, args);
        vm.expectRevert(err);
        Artifacts.deploy(Artifacts.LIQUIDATION_MODULE, args);
        // The modules' addresses are checked after the token: any will do.
        vm.expectRevert(err);
        Artifacts.deploy(Artifacts.MARGIN_ENGINE, bytes.concat(args, abi.encode(address(pool), address(pool))));
    }

    // ------------------------------------------------------------ execution

    /// @dev The order trades at the round's answer (3,050), not at the answer seen when it was requested (3,000); the
    /// opening fee comes out of the escrowed collateral; the executor earns the execution fee.
    function test_executeOpen_long_tradesAtTheRoundAnswerAndTakesTheFeeFromCollateral() public {
        uint256 id = _request(alice, true, SIZE, 603 * USD, 3_050e18);
        address vault = engine.vaultOf(id);
        uint256 aliceBefore = usd.balanceOf(alice);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, 3_050e18);

        // Fee 0.1 % × 3,050 = 3.05 USD: collateral 603 − 3.05 = 599.95 USD.
        // Cap min(9 × 599.95, 100 % × 3,050) = 3,050 USD.
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionOpened(
            id,
            alice,
            ETH,
            true,
            vault,
            SIZE,
            3_050e18,
            599_950_000,
            3_050_000,
            3_050 * USD,
            KEEPER_RESERVE
        );
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderExecuted(id, OrderKind.Open, keeper, ROUND + 1, 3_050e18, FEE);
        vm.prank(keeper);
        engine.executeOrder(id);

        _assertPosition(
            engine.position(id),
            Position({
                owner: alice,
                collateral: 599_950_000,
                size: uint128(SIZE),
                entryPrice: 3_050e18,
                borrowIndex: uint96(engine.borrowIndex(ETH, true)),
                maxProfit: uint96(3_050 * USD),
                marketId: uint16(ETH),
                isLong: true,
                vault: vault,
                keeperReserve: uint96(KEEPER_RESERVE)
            })
        );
        assertEq(usd.balanceOf(vault), 599_950_000 + KEEPER_RESERVE, "vault = collateral + keeper reserve");
        assertEq(usd.balanceOf(keeper), FEE, "executor paid");
        assertEq(usd.balanceOf(address(pool)), POOL_LIQUIDITY + 3_050_000, "opening fee to the pool");
        assertEq(usd.balanceOf(alice), aliceBefore, "nothing more asked of the trader");
        assertEq(usd.balanceOf(address(engine)), 0);
        _assertSide(engine.sideState(ETH, true), _side(1e18, 3_050e18), "eth long");
        _assertSideMargin(engine.sideState(ETH, true), 599_950_000, 3_050 * USD, "eth long");
        _assertSide(engine.sideState(ETH, false), _side(0, 0), "eth short");
        assertEq(engine.totalReserved(), 3_050 * USD);
        assertEq(engine.totalEntryNotional(), 3_050e18);
        (Order memory o, ) = engine.orders(id);
        assertEq(uint8(o.kind), uint8(OrderKind.None), "order consumed");
        (OrderStatus status, ) = engine.orderStatus(id);
        assertEq(uint8(status), uint8(OrderStatus.None));
        assertEq(_ratioUp(SIZE, 3_050e18, 0.001e18), 3_050_000);
    }

    function test_executeOpen_short_roundsFeeUpAndCapDown() public {
        // At 3,000.12345678 with size 0.123456789012345678:
        //   notional = 370.385608614677637577652796840 USD → rounded up 370.385608614677637578e18
        //   fee      = 0.1 % → 0.370385608614677637578 USD → 0.370386 USD (up)
        //   IMR      = 10 %  → 37.0385608614677637578 USD → 37.038561 USD (up): the collateral left exactly.
        //   cap      = min(9 × 37.038561 = 333.347049, 100 % × notional = 370.385608 (down)) = 333.347049 USD.
        uint256 price = 3_000.12345678e18;
        uint256 size = 0.123456789012345678e18;
        uint256 collateral = 37_038_561;
        fund(bob, 100 * USD);
        vm.prank(bob);
        uint256 id = engine.requestOpen(ETH, false, size, collateral + 370_386, price, _deadline(), FEE);
        vm.warp(block.timestamp + 1);
        setPrice(ETH, price);

        vm.expectEmit(address(engine));
        emit IMarginEngineBase.PositionOpened(
            id,
            bob,
            ETH,
            false,
            engine.vaultOf(id),
            size,
            price,
            collateral,
            370_386,
            333_347_049,
            KEEPER_RESERVE
        );
        vm.prank(keeper);
        engine.executeOrder(id);

        Position memory p = engine.position(id);
        assertEq(p.collateral, collateral);
        assertEq(p.size, size);
        assertEq(p.entryPrice, price);
        assertEq(p.maxProfit, 333_347_049);
        assertEq(vaultBalance(id), collateral + KEEPER_RESERVE);
        assertEq(usd.balanceOf(bob), 100 * USD - collateral - 370_386 - KEEPER_RESERVE - FEE);
        assertEq(usd.balanceOf(address(pool)), POOL_LIQUIDITY + 370_386);
        _assertSide(engine.sideState(ETH, false), _side(size, 370.385608614677637578e18), "eth short");
        _assertSide(engine.sideState(ETH, true), _side(0, 0), "eth long");
        assertEq(engine.totalReserved(), 333_347_049);
        assertEq(engine.totalEntryNotional(), 370.385608614677637578e18);
        // The reference model agrees with the figures above.
        assertEq(_ratioUp(size, price, 0.001e18), 370_386);
        assertEq(_ratioUp(size, price, 0.1e18), collateral);
    }

    function test_executeOpen_secondPosition_getsNextIdAndItsOwnVault() public {
        uint256 first = _openStandardLong();
        Snapshot memory before = _snapshot(first);
        uint256 second = openPosition(bob, BTC, false, 0.5e18, 4_000 * USD);

        assertEq(second, 2);
        assertTrue(engine.vaultOf(second) != engine.vaultOf(first));
        _assertPosition(engine.position(first), before.position);
        assertEq(vaultBalance(first), before.vault);
        // 0.5 BTC at 60,000 = 30,000 USD notional; fee 30 USD; cap min(9 × 4,000, 30,000) = 30,000 USD.
        assertEq(engine.position(second).maxProfit, 30_000 * USD);
        assertEq(vaultBalance(second), 4_005 * USD);
        _assertSide(engine.sideState(BTC, false), _side(0.5e18, 30_000e18), "btc short");
        _assertSide(engine.sideState(ETH, true), _side(1e18, 3_000e18), "eth long untouched");
        assertEq(engine.totalReserved(), 3_000 * USD + 30_000 * USD);
        assertEq(engine.totalEntryNotional(), 33_000e18);
        assertEq(usd.balanceOf(address(pool)), POOL_LIQUIDITY + 3 * USD + 30 * USD);
    }

    /// @dev The position starts paying borrow fees when it opens, at the execution block, not at the request.
    function test_executeOpen_recordsTheBorrowIndexOfTheExecutionBlock() public {
        uint256 first = _openStandardLong();
        uint256 second = _request(bob, true, SIZE, 603 * USD, type(uint128).max);
        uint256 third = _request(bob, false, SIZE, 603 * USD, 0);
        vm.warp(block.timestamp + 1_799);
        executeAt(second, ETH, ETH_PRICE);
        vm.prank(keeper);
        engine.executeOrder(third);
        // 3,170,979,198 per second × 1,800 s.
        assertEq(engine.position(second).borrowIndex - engine.position(first).borrowIndex, 5_707_762_556_400);
        assertEq(engine.position(second).borrowIndex, engine.borrowIndex(ETH, true));
        assertEq(engine.position(third).borrowIndex, engine.borrowIndex(ETH, false));
    }

    function test_executeOpen_acceptsCollateralEqualToMinimumAfterTheFee() public {
        // 0.01 ETH: 30 USD notional, 0.03 USD fee, 3 USD initial margin, 10 USD minimum collateral.
        uint256 id = openPosition(alice, ETH, true, 0.01e18, MIN_COLLATERAL);
        assertEq(engine.position(id).collateral, MIN_COLLATERAL);
    }

    /// @dev The request only checks the gross collateral; the opening fee taken at execution leaves 9.97 USD.
    function test_executeOpen_collateralBelowMinimumAfterTheFee_cancelsAndPaysTheExecutor() public {
        uint256 id = _request(alice, true, 0.01e18, MIN_COLLATERAL, type(uint128).max);
        _assertOpenCancelled(id, ETH_PRICE, CancelReason.Margin, MIN_COLLATERAL + KEEPER_RESERVE, FEE);
    }

    function test_executeOpen_acceptsCollateralEqualToInitialMargin() public {
        // 1 ETH at 3,000 and 10 % IMR: exactly 300 USD after the fee.
        uint256 id = openPosition(alice, ETH, true, SIZE, 300 * USD);
        assertEq(engine.position(id).collateral, 300 * USD);
    }

    function test_executeOpen_leverageAboveMaximum_cancelsAndPaysTheExecutor() public {
        // 303 USD − 1 unit less the 3 USD fee is one unit short of the 300 USD initial margin.
        uint256 id = _request(alice, true, SIZE, 303 * USD - 1, type(uint128).max);
        _assertOpenCancelled(id, ETH_PRICE, CancelReason.Margin, 303 * USD - 1 + KEEPER_RESERVE, FEE);
    }

    function test_executeOpen_leverageAboveMaximum_roundedRequirement() public {
        // The requirement of 37.0385608… USD rounds up to 37.038561 USD, so one unit less is refused.
        uint256 price = 3_000.12345678e18;
        fund(alice, 100 * USD);
        vm.prank(alice);
        uint256 id = engine.requestOpen(ETH, false, 0.123456789012345678e18, 37_038_560 + 370_386, 0, _deadline(), FEE);
        _assertOpenCancelled(id, price, CancelReason.Margin, 37_038_560 + 370_386 + KEEPER_RESERVE, FEE);
    }

    function test_executeOpen_acceptsBoundEqualToRoundPrice() public {
        uint256 longId = _request(alice, true, SIZE, 604 * USD, 3_050e18);
        uint256 shortId = _request(bob, false, SIZE, 604 * USD, 3_050e18);
        executeAt(longId, ETH, 3_050e18);
        vm.prank(keeper);
        engine.executeOrder(shortId);
        assertEq(engine.position(longId).entryPrice, 3_050e18);
        assertEq(engine.position(shortId).entryPrice, 3_050e18);
    }

    function test_executeOpen_priceAboveBoundForLong_cancelsAndPaysTheExecutor() public {
        uint256 id = _request(alice, true, SIZE, 603 * USD, ETH_PRICE);
        _assertOpenCancelled(id, ETH_PRICE + 1e10, CancelReason.PriceBound, 603 * USD + KEEPER_RESERVE, FEE);
    }

    function test_executeOpen_priceBelowBoundForShort_cancelsAndPaysTheExecutor() public {
        uint256 id = _request(alice, false, SIZE, 603 * USD, ETH_PRICE);
        _assertOpenCancelled(id, ETH_PRICE - 1e10, CancelReason.PriceBound, 603 * USD + KEEPER_RESERVE, FEE);
    }

    function test_executeOpen_acceptsOpenInterestEqualToCap() public {
        MarketParams memory p = _params(ETH);
        p.maxOpenInterestLong = 99_000e18;
        _setMarket(ETH, p);
        openPosition(alice, ETH, true, 30e18, 9_000 * USD); // 90,000 USD
        openPosition(bob, ETH, true, 3e18, 900 * USD); // 99,000 USD: at the cap
        assertEq(engine.sideState(ETH, true).entryNotional, 99_000e18);
    }

    /// @dev Capacity is the market's and the pool's state, which an executor could fill first: the trader gets
    /// everything back and the executor nothing.
    function test_executeOpen_longOpenInterestCapExceeded_cancelsWithAFullRefund() public {
        MarketParams memory p = _params(ETH);
        p.maxOpenInterestLong = 99_000e18;
        _setMarket(ETH, p);
        openPosition(bob, ETH, true, 33e18, 9_900 * USD); // 99,000 USD: at the cap
        // 0.01 ETH more (30 USD) is above it.
        uint256 id = _request(alice, true, 0.01e18, 10_030_000, type(uint128).max);
        _assertOpenCancelled(id, ETH_PRICE, CancelReason.Capacity, 10_030_000 + KEEPER_RESERVE + FEE, 0);
        // Shorts have their own cap.
        openPosition(alice, ETH, false, 40e18, 12_000 * USD);
    }

    function test_executeOpen_shortOpenInterestCapExceeded_cancelsWithAFullRefund() public {
        MarketParams memory p = _params(ETH);
        p.maxOpenInterestShort = 99_000e18;
        _setMarket(ETH, p);
        openPosition(bob, ETH, false, 33e18, 9_900 * USD);
        uint256 id = _request(alice, false, 0.01e18, 10_030_000, 0);
        _assertOpenCancelled(id, ETH_PRICE, CancelReason.Capacity, 10_030_000 + KEEPER_RESERVE + FEE, 0);
        openPosition(alice, ETH, true, 40e18, 12_000 * USD);
    }

    function test_executeOpen_acceptsNotionalEqualToUtilizationCap() public {
        GlobalParams memory g = defaultGlobalParams();
        g.maxUtilization = 0.6e18; // 0.6 × 1,000,000 USD = 600,000 USD
        _setGlobal(g);
        uint256 id = openPosition(alice, ETH, true, 200e18, 60_000 * USD); // 600,000 USD notional
        assertEq(engine.totalEntryNotional(), 600_000e18);
        assertEq(engine.position(id).size, 200e18);
    }

    function test_executeOpen_utilizationCapExceeded_cancelsWithAFullRefund() public {
        GlobalParams memory g = defaultGlobalParams();
        g.maxUtilization = 0.5e18; // 500,000 USD of the pool's 1,000,000
        _setGlobal(g);
        // 200 ETH at 3,000 = 600,000 USD notional; its 540,000 USD cap fits in the pool.
        uint256 id = _request(alice, true, 200e18, 60_600 * USD, type(uint128).max);
        _assertOpenCancelled(id, ETH_PRICE, CancelReason.Capacity, 60_600 * USD + KEEPER_RESERVE + FEE, 0);
    }

    function test_executeOpen_acceptsReservationEqualToPoolAssets() public {
        setPrice(ETH, 2_500e18);
        // 400 ETH at 2,500: cap min(9 × 200,000, 100 % × 1,000,000) = 1,000,000 USD = every asset of the pool.
        uint256 id = openPosition(alice, ETH, true, 400e18, 200_000 * USD);
        assertEq(engine.position(id).maxProfit, POOL_LIQUIDITY);
        assertEq(engine.totalReserved(), POOL_LIQUIDITY);
    }

    function test_executeOpen_poolCannotReserveMaxProfit_cancelsWithAFullRefund() public {
        // Collateral 120,000 USD after the fee: cap 9 × 120,000 = 1,080,000 USD > the pool's 1,000,000 USD.
        uint256 id = _request(alice, true, 400e18, 121_200 * USD, type(uint128).max);
        _assertOpenCancelled(id, ETH_PRICE, CancelReason.Capacity, 121_200 * USD + KEEPER_RESERVE + FEE, 0);
    }

    function test_executeOpen_reservationOneUnitAbovePoolAssets_cancelsWithAFullRefund() public {
        setPrice(ETH, 2_500e18);
        // 400.0000000004 ETH at 2,500 = 1,000,000.000001 USD of notional: a cap of 1,000,000 USD + 1 unit.
        uint256 id = _request(alice, true, 400e18 + 4e8, 201_001 * USD, type(uint128).max);
        _assertOpenCancelled(id, 2_500e18, CancelReason.Capacity, 201_001 * USD + KEEPER_RESERVE + FEE, 0);
        assertEq(_ratioDown(400e18 + 4e8, 2_500e18, 1e18), POOL_LIQUIDITY + 1);
    }

    /// @dev Pending LP deposits are not the pool's to risk (rule 11): the reservation is checked against pool equity.
    /// An open that would fit only if carol's pending deposit counted is refused; once it is executed, it fits.
    function test_executeOpen_reservationFitsOnlyWithAPendingDeposit_cancelsWithAFullRefund() public {
        requestDeposit(carol, 100_000 * USD);
        assertEq(pool.equityAssets(), POOL_LIQUIDITY);
        setPrice(ETH, 2_500e18);
        // 440 ETH at 2,500: cap min(9 × 200,000, 100 % × 1,100,000) = 1,100,000 USD > equity.
        uint256 id = _request(alice, true, 440e18, 201_100 * USD, type(uint128).max);
        _assertOpenCancelled(id, 2_500e18, CancelReason.Capacity, 201_100 * USD + KEEPER_RESERVE + FEE, 0);

        vm.warp(block.timestamp + LP_DELAY);
        setPrice(ETH, 2_500e18);
        executeDeposit(carol);
        assertEq(pool.equityAssets(), POOL_LIQUIDITY + 100_000 * USD);
        uint256 again = openPosition(alice, ETH, true, 440e18, 200_000 * USD);
        assertEq(engine.position(again).maxProfit, 1_100_000 * USD);
    }

    function test_executeOpen_notionalBelowMinimum_cancelsAndPaysTheExecutor() public {
        // 0.003333333333333333 ETH at 3,000 = 9.999999999999999 USD → 9.999999 USD (down) < 10 USD. Fee 0.01 USD.
        uint256 longId = _request(alice, true, 0.003333333333333333e18, 10_010_000, type(uint128).max);
        _assertOpenCancelled(longId, ETH_PRICE, CancelReason.Margin, 10_010_000 + KEEPER_RESERVE, FEE);
        uint256 shortId = _request(alice, false, 0.003333333333333333e18, 10_010_000, 0);
        _assertOpenCancelled(shortId, ETH_PRICE, CancelReason.Margin, 10_010_000 + KEEPER_RESERVE, FEE);
    }

    function test_executeOpen_acceptsNotionalEqualToMinimum() public {
        // 0.003333333333333334 ETH at 3,000 = 10.000000000000002 USD → 10 USD.
        uint256 id = openPosition(alice, ETH, true, 0.003333333333333334e18, MIN_COLLATERAL);
        assertEq(engine.position(id).size, 0.003333333333333334e18);
        // cap min(9 × 10, 100 % × 10.000000000000002 → 10 USD, down) = 10 USD.
        assertEq(engine.position(id).maxProfit, 10 * USD);
    }

    /// @dev A pause after the request stops the execution: full refund (an executor cannot profit from a pause).
    function test_executeOpen_pausedAfterTheRequest_cancelsWithAFullRefund() public {
        uint256 id = _request(alice, true, SIZE, 603 * USD, type(uint128).max);
        _pause();
        _assertOpenCancelled(id, ETH_PRICE, CancelReason.Paused, 603 * USD + KEEPER_RESERVE + FEE, 0);
    }

    /// @dev A market put into settlement after the request takes no new position: full refund.
    function test_executeOpen_marketSettledAfterTheRequest_cancelsWithAFullRefund() public {
        uint256 id = _request(alice, true, SIZE, 603 * USD, type(uint128).max);
        _settleEth();
        uint256 aliceBefore = usd.balanceOf(alice);
        vm.expectEmit(address(engine));
        emit IMarginEngineBase.OrderCancelled(
            id,
            OrderKind.Open,
            CancelReason.Paused,
            keeper,
            603 * USD + KEEPER_RESERVE + FEE,
            0
        );
        vm.prank(keeper);
        engine.executeOrder(id);
        _assertDeleted(id);
        assertEq(usd.balanceOf(alice), aliceBefore + 603 * USD + KEEPER_RESERVE + FEE);
        assertEq(usd.balanceOf(keeper), 0);
    }

    function test_executeOpen_worksWhenKeeperReserveIsTheMinimum() public {
        GlobalParams memory g = defaultGlobalParams();
        g.keeperReserve = 0.1e6; // 0.1 USD, the lowest bound
        _setGlobal(g);
        fund(alice, 1_000 * USD);
        vm.prank(alice);
        uint256 id = engine.requestOpen(ETH, true, SIZE, 603 * USD, type(uint128).max, _deadline(), FEE);
        assertEq(engine.position(id).keeperReserve, 0.1e6);
        executeAt(id, ETH, ETH_PRICE);
        assertEq(vaultBalance(id), COLLATERAL + 0.1e6);
    }
}

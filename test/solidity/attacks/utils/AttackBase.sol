// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";

import {IBulkheadLens} from "../../../../contracts/interfaces/IBulkheadLens.sol";
import {IInsuranceFund} from "../../../../contracts/interfaces/IInsuranceFund.sol";
import {Order, Position, SideState} from "../../../../contracts/interfaces/IMarginEngine.sol";
import {ILiquidityPool} from "../../../../contracts/interfaces/ILiquidityPool.sol";
import {IMarginEngine} from "../../../../contracts/interfaces/IMarginEngine.sol";
import {IRiskConfig} from "../../../../contracts/interfaces/IRiskConfig.sol";
import {BaseTest} from "../../utils/BaseTest.sol";

interface IMintable {
    function mint(address to, uint256 amount) external;
}

/// @dev The base fixture plus what attack tests share: deploying a second system on another settlement token, the two
/// steps of an order on any system, and snapshots of every balance and record an operation could touch, to prove that
/// a rejected call changed nothing.
abstract contract AttackBase is BaseTest {
    struct System {
        IERC20 token;
        IRiskConfig config;
        ILiquidityPool pool;
        IInsuranceFund insurance;
        IMarginEngine engine;
        IBulkheadLens lens;
    }

    /// @dev Token balances of actors and system contracts, and hashes of every record and aggregate.
    struct Snapshot {
        address[] accounts;
        uint256[] balances;
        uint256 poolSupply;
        /// @dev Every tracked account's LP shares, requests, claimable and cancelled amounts; the pool's cached share
        /// price, equity and redemption queue.
        bytes32 lp;
        /// @dev Every position record, pending order and close, and claim.
        bytes32 positions;
        bytes32 aggregates;
        bytes32 configuration;
    }

    /// @dev A 6-decimal USD token's unit, WAD per asset unit.
    uint256 internal constant UNIT_SCALE = 1e12;
    /// @dev The fixture's borrow rate, 10 % a year: 0.1e18 / 31,536,000 = 3,170,979,198 per second (rounded down).
    uint256 internal constant RATE = 3_170_979_198;
    uint256 internal constant HEARTBEAT = 3600;
    uint256 internal constant GRACE = 600;

    address internal mallory = makeAddr("mallory");

    /// @dev The system BaseTest deployed.
    function _defaultSystem() internal view returns (System memory) {
        return System(usd, config, pool, insurance, engine, lens);
    }

    /// @dev The same deployment as BaseTest's, on another settlement token, sharing the ETH and BTC feeds and the
    /// access manager. No LP liquidity.
    function _deploySystem(IERC20Metadata token) internal returns (System memory s) {
        s.token = token;
        s.config = deployRiskConfig(address(manager), address(token), defaultGlobalParams());
        s.pool = deployPool(address(token), address(s.config), "Bulkhead LP", "bhLP");
        s.insurance = deployInsuranceFund(address(token));
        s.engine = deployEngine(address(token), address(s.pool), address(s.insurance), address(s.config));
        s.lens = deployLens(address(s.engine), address(token));
        s.pool.bindEngine(address(s.engine));
        s.insurance.bindEngine(address(s.engine));
        s.config.bindEngine(address(s.engine));

        bytes4[] memory gov = new bytes4[](4);
        gov[0] = IRiskConfig.listMarket.selector;
        gov[1] = IRiskConfig.setMarketParams.selector;
        gov[2] = IRiskConfig.setGlobalParams.selector;
        gov[3] = IRiskConfig.setSequencerFeed.selector;
        manager.setTargetFunctionRole(address(s.config), gov, GOVERNANCE_ROLE);
        bytes4[] memory guard = new bytes4[](2);
        guard[0] = IRiskConfig.pause.selector;
        guard[1] = IRiskConfig.unpause.selector;
        manager.setTargetFunctionRole(address(s.config), guard, GUARDIAN_ROLE);

        vm.startPrank(governance);
        s.config.listMarket(defaultMarketParams(address(ethFeed)));
        s.config.listMarket(defaultMarketParams(address(btcFeed)));
        vm.stopPrank();
    }

    // ------------------------------------------------------------ actions on any system

    function _mint(System memory s, address to, uint256 amount) internal {
        IMintable(address(s.token)).mint(to, amount);
    }

    /// @dev The whole life of an LP deposit on `s`: request, wait `lpDelay`, execution by the keeper, claim.
    function _deposit(System memory s, address who, uint256 assets) internal returns (uint256 shares) {
        _requestDeposit(s, who, assets);
        vm.warp(block.timestamp + LP_DELAY);
        _executeDeposit(s, who);
        uint256 claimable = s.pool.maxDeposit(who);
        vm.prank(who);
        shares = s.pool.deposit(claimable, who, who);
    }

    function _requestDeposit(System memory s, address who, uint256 assets) internal {
        _mint(s, who, assets);
        vm.startPrank(who);
        s.token.approve(address(s.pool), assets);
        s.pool.requestDeposit(assets, who, who);
        vm.stopPrank();
    }

    function _executeDeposit(System memory s, address who) internal {
        vm.prank(keeper);
        s.pool.executeDeposits(_one(who));
    }

    /// @dev The whole life of an LP redemption on `s`: request, wait `lpDelay`, execution by the keeper, claim.
    function _redeem(System memory s, address who, uint256 shares) internal returns (uint256 assets) {
        vm.prank(who);
        s.pool.requestRedeem(shares, who, who);
        vm.warp(block.timestamp + LP_DELAY);
        vm.prank(keeper);
        s.pool.executeRedeems(type(uint256).max);
        uint256 claimable = s.pool.maxRedeem(who);
        vm.prank(who);
        assets = s.pool.redeem(claimable, who, who);
    }

    /// @dev Opens on `s` through both steps at the current price: mints `who` what the request escrows (collateral
    /// plus the opening fee, so that the recorded collateral is `collateral`, and the keeper reserve), requests, and
    /// lets the keeper execute at a round one second later.
    function _open(
        System memory s,
        address who,
        uint256 marketId,
        bool isLong,
        uint256 size,
        uint256 collateral
    ) internal returns (uint256 positionId) {
        uint256 escrow = collateral + openFeeOf(marketId, size);
        _mint(s, who, escrow + KEEPER_RESERVE);
        vm.startPrank(who);
        s.token.approve(address(s.engine), type(uint256).max);
        positionId = s.engine.requestOpen(
            marketId,
            isLong,
            size,
            escrow,
            isLong ? type(uint128).max : 0,
            _deadline(),
            0
        );
        vm.stopPrank();
        _execute(s, positionId, marketId, currentPrice(marketId));
        require(s.engine.position(positionId).collateral == collateral, "AttackBase: open did not execute");
    }

    /// @dev The owner requests a close on `s` (any price, no execution fee), paying `receiver`.
    function _requestClose(System memory s, uint256 positionId, address receiver) internal {
        Position memory p = s.engine.position(positionId);
        vm.prank(p.owner);
        s.engine.requestClose(positionId, p.isLong ? 0 : type(uint128).max, _deadline(), 0, receiver);
    }

    /// @dev Closes on `s` through both steps at the current price, paying the owner.
    function _close(System memory s, uint256 positionId) internal {
        Position memory p = s.engine.position(positionId);
        _requestClose(s, positionId, p.owner);
        _execute(s, positionId, p.marketId, currentPrice(p.marketId));
    }

    /// @dev Publishes a round at `price` one second later and lets the keeper execute the position's orders on `s`.
    function _execute(System memory s, uint256 positionId, uint256 marketId, uint256 price) internal {
        vm.warp(block.timestamp + 1);
        setPrice(marketId, price);
        vm.prank(keeper);
        s.engine.executeOrder(positionId);
    }

    /// @dev The latest deadline an order may carry.
    function _deadline() internal view returns (uint256) {
        return block.timestamp + MAX_ORDER_WAIT;
    }

    /// @dev Mints `amount` to `from`, who sends it to `to` unasked.
    function _donate(System memory s, address from, address to, uint256 amount) internal {
        _mint(s, from, amount);
        vm.prank(from);
        s.token.transfer(to, amount);
    }

    function _donate(address from, address to, uint256 amount) internal {
        _donate(_defaultSystem(), from, to, amount);
    }

    function _vaultBalance(System memory s, uint256 positionId) internal view returns (uint256) {
        return s.token.balanceOf(s.engine.vaultOf(positionId));
    }

    /// @dev The borrow fee a position of entry notional `notional` (USD WAD) owes after `elapsed` seconds at the
    /// fixture's rate, asset units, rounded up as the engine rounds it.
    function _borrowFee(uint256 notional, uint256 elapsed) internal pure returns (uint256) {
        return _ceilDiv(_ceilDiv(notional * RATE * elapsed, 1e18), UNIT_SCALE);
    }

    function _ceilDiv(uint256 a, uint256 b) internal pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }

    // ------------------------------------------------------------ snapshots

    /// @dev Balances of the standard actors, `extra`, the engine (claims), the pool, the insurance fund and the vault
    /// of every position in use; every position record, order and claim; every aggregate; the whole configuration.
    function _snapshot(System memory s, address[] memory extra) internal view returns (Snapshot memory snap) {
        uint256 next = s.engine.nextPositionId();
        address[7] memory actors = [alice, bob, keeper, lp, mallory, governance, guardian];
        snap.accounts = new address[](actors.length + extra.length + 3 + next);
        uint256 n;
        for (uint256 i; i < actors.length; ++i) snap.accounts[n++] = actors[i];
        for (uint256 i; i < extra.length; ++i) snap.accounts[n++] = extra[i];
        snap.accounts[n++] = address(s.pool);
        snap.accounts[n++] = address(s.insurance);
        snap.accounts[n++] = address(s.engine);
        for (uint256 id = 1; id <= next; ++id) snap.accounts[n++] = s.engine.vaultOf(id);
        snap.balances = new uint256[](n);
        for (uint256 i; i < n; ++i) snap.balances[i] = s.token.balanceOf(snap.accounts[i]);
        snap.poolSupply = s.pool.totalSupply();
        snap.lp = _lpState(s, snap.accounts, n);
        snap.positions = _records(s, next);

        uint256 markets = s.engine.marketCount();
        SideState[] memory sides = new SideState[](2 * markets);
        for (uint256 m; m < markets; ++m) {
            sides[2 * m] = s.engine.sideState(m, true);
            sides[2 * m + 1] = s.engine.sideState(m, false);
        }
        snap.aggregates = keccak256(
            abi.encode(sides, next, s.engine.totalReserved(), s.engine.totalEntryNotional(), s.engine.freeVaultCount())
        );

        bytes memory markets_;
        for (uint256 m; m < markets; ++m) markets_ = abi.encode(markets_, s.config.marketParams(m));
        snap.configuration = keccak256(
            abi.encode(
                markets_,
                s.config.globalParams(),
                s.config.lpParams(),
                s.config.sequencerFeed(),
                s.config.paused()
            )
        );
    }

    /// @dev Every position, its pending order and close, and its claim, for ids up to `next`.
    function _records(System memory s, uint256 next) internal view returns (bytes32 h) {
        for (uint256 id = 1; id <= next; ++id) {
            Position memory p = s.engine.position(id);
            (Order memory order, Order memory close) = s.engine.orders(id);
            (address claimOwner, uint256 claimAmount) = s.engine.claimOf(id);
            h = keccak256(abi.encode(h, p, order, close, claimOwner, claimAmount));
        }
    }

    function _lpState(System memory s, address[] memory accounts, uint256 n) internal view returns (bytes32 h) {
        ILiquidityPool p = s.pool;
        h = keccak256(abi.encode(p.cachedSharePrice(), p.equityAssets(), p.redeemQueue()));
        for (uint256 i; i < n; ++i) {
            address a = accounts[i];
            h = keccak256(
                abi.encode(
                    h,
                    p.balanceOf(a),
                    p.pendingDepositRequest(0, a),
                    p.pendingRedeemRequest(0, a),
                    p.maxDeposit(a),
                    p.maxMint(a),
                    p.maxWithdraw(a),
                    p.maxRedeem(a),
                    p.claimableCancelDepositRequest(0, a),
                    p.claimableCancelRedeemRequest(0, a)
                )
            );
        }
    }

    function _snapshot(System memory s) internal view returns (Snapshot memory) {
        return _snapshot(s, new address[](0));
    }

    function _snapshot() internal view returns (Snapshot memory) {
        return _snapshot(_defaultSystem(), new address[](0));
    }

    function _assertUnchanged(Snapshot memory before, Snapshot memory afterwards) internal pure {
        assertEq(afterwards.accounts.length, before.accounts.length, "accounts tracked");
        for (uint256 i; i < before.accounts.length; ++i) {
            assertEq(afterwards.accounts[i], before.accounts[i], "account order");
            assertEq(afterwards.balances[i], before.balances[i], "balance changed");
        }
        assertEq(afterwards.poolSupply, before.poolSupply, "LP share supply changed");
        assertEq(afterwards.lp, before.lp, "an LP request, claim or share balance changed");
        assertEq(afterwards.positions, before.positions, "a position record, order or claim changed");
        assertEq(afterwards.aggregates, before.aggregates, "an aggregate changed");
        assertEq(afterwards.configuration, before.configuration, "the configuration changed");
    }

    /// @dev The sum of every tracked balance: conserved by any operation among the tracked accounts.
    function _total(Snapshot memory snap) internal pure returns (uint256 total) {
        for (uint256 i; i < snap.balances.length; ++i) total += snap.balances[i];
    }

    function _one(address a) internal pure returns (address[] memory list) {
        list = new address[](1);
        list[0] = a;
    }

    function _ids(uint256 a) internal pure returns (uint256[] memory list) {
        list = new uint256[](1);
        list[0] = a;
    }

    function _ids(uint256 a, uint256 b) internal pure returns (uint256[] memory list) {
        list = new uint256[](2);
        list[0] = a;
        list[1] = b;
    }
}

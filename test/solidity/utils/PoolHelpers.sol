// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ILiquidityPool} from "../../../contracts/interfaces/ILiquidityPool.sol";
import {IRiskConfig, LpParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {UnitBase} from "../unit/UnitBase.sol";

/// @dev What the LP pool's tests share: LP parameters set through governance, each step of the asynchronous flow on
/// its own, the documented share-price formula written out, and a snapshot of everything a pool entry point may touch.
abstract contract PoolHelpers is UnitBase {
    /// @dev Shares carry 6 decimals more than the asset: 10^6 virtual shares against 1 virtual asset unit.
    uint256 internal constant VIRTUAL_SHARES = 1e6;
    /// @dev The share price of the fixture's pool (1M USD for 1e18 shares), and of an empty one: assets per share, WAD.
    uint256 internal constant PAR = 1e12;
    /// @dev The fixture LP's shares: 1,000,000 USD × 1e6.
    uint256 internal constant LP_SHARES = 1e18;

    address internal mallory = makeAddr("mallory");
    address internal dave = makeAddr("dave");

    // ------------------------------------------------------------ governance

    /// @dev Replaces the LP parameters as governance (the fixture gives governance every setter but this one).
    function _setLpParams(LpParams memory params) internal {
        bytes4[] memory selectors = new bytes4[](1);
        selectors[0] = IRiskConfig.setLpParams.selector;
        manager.setTargetFunctionRole(address(config), selectors, GOVERNANCE_ROLE);
        vm.prank(governance);
        config.setLpParams(params);
    }

    function _setExecutionFee(uint256 fee) internal {
        LpParams memory params = defaultLpParams();
        params.executionFee = uint80(fee);
        _setLpParams(params);
    }

    // ------------------------------------------------------------ keepers

    /// @dev What prompt keepers do after a price move: take at its cap or liquidate each of `ids` that is past one of
    /// its edges at the market's current price (LP requests wait until none is).
    function _keepersClearEdges(uint256 marketId, uint256[] memory ids) internal {
        (bool beyondCap, bool underWater) = engine.pastEdges(marketId, currentPrice(marketId));
        if (!beyondCap && !underWater) return;
        bool[] memory atCap = lens.atCap(ids);
        bool[] memory liquidatable = lens.liquidatable(ids);
        vm.startPrank(keeper);
        for (uint256 i; i < ids.length; ++i) {
            if (atCap[i]) engine.takeProfit(ids[i]);
            else if (underWater && liquidatable[i]) engine.liquidate(ids[i]);
        }
        vm.stopPrank();
        (beyondCap, underWater) = engine.pastEdges(marketId, currentPrice(marketId));
        require(!beyondCap && !underWater, "PoolHelpers: a position is still past an edge");
    }

    /// @dev LP requests cannot execute now: a position is past its cap or under water, and the pool waits until
    /// someone takes it at its cap or liquidates it (SPEC rule 10); the refused executions (by `executor`, of
    /// `controller`'s deposit and of the redemption queue) change nothing.
    function _assertLpWaitsForKeepers(address executor, address controller) internal {
        (bool open, uint256 retryAt) = pool.lpExecutionStatus();
        assertFalse(open, "LP executions open while a position is past its edge");
        assertEq(retryAt, 0, "LP executions: a retry time although a keeper must act");
        PoolSnapshot memory before = _poolSnapshot();
        address[] memory controllers = new address[](1);
        controllers[0] = controller;
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.LpExecutionPaused.selector, 0));
        vm.prank(executor);
        pool.executeDeposits(controllers);
        vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.LpExecutionPaused.selector, 0));
        vm.prank(executor);
        pool.executeRedeems(type(uint256).max);
        _assertPoolUnchanged(before);
    }

    // ------------------------------------------------------------ steps of the flow

    function _requestRedeem(address who, uint256 shares) internal {
        vm.prank(who);
        pool.requestRedeem(shares, who, who);
    }

    function _executeDeposits(address a) internal returns (uint256) {
        address[] memory controllers = new address[](1);
        controllers[0] = a;
        vm.prank(keeper);
        return pool.executeDeposits(controllers);
    }

    function _executeDeposits(address a, address b) internal returns (uint256) {
        address[] memory controllers = new address[](2);
        controllers[0] = a;
        controllers[1] = b;
        vm.prank(keeper);
        return pool.executeDeposits(controllers);
    }

    function _executeRedeems() internal returns (uint256) {
        vm.prank(keeper);
        return pool.executeRedeems(type(uint256).max);
    }

    function _claimShares(address who) internal returns (uint256 shares) {
        uint256 assets = pool.maxDeposit(who);
        vm.prank(who);
        shares = pool.deposit(assets, who, who);
    }

    function _claimAssets(address who) internal returns (uint256 assets) {
        uint256 shares = pool.maxRedeem(who);
        vm.prank(who);
        assets = pool.redeem(shares, who, who);
    }

    /// @dev Donates `amount` to the pool: minted to `from`, then sent unasked.
    function _donate(address from, uint256 amount) internal {
        usd.mint(from, amount);
        vm.prank(from);
        usd.transfer(address(pool), amount);
    }

    // ------------------------------------------------------------ the documented share price

    /// @dev (assets + 1) × WAD / (supply + 10^6), rounded down.
    function _priceDown(uint256 assets, uint256 supply) internal pure returns (uint256) {
        return ((assets + 1) * WAD) / (supply + VIRTUAL_SHARES);
    }

    /// @dev (assets + 1) × WAD / (supply + 10^6), rounded up.
    function _priceUp(uint256 assets, uint256 supply) internal pure returns (uint256) {
        return _ceilDiv((assets + 1) * WAD, supply + VIRTUAL_SHARES);
    }

    /// @dev The pool's share price now, rounded down, from its own totalAssets and supply.
    function _sharePrice() internal view returns (uint256) {
        return _priceDown(pool.totalAssets(), pool.totalSupply());
    }

    /// @dev What `shares` are worth at the share price now (rounded down).
    function _valueOf(uint256 shares) internal view returns (uint256) {
        return (shares * (pool.totalAssets() + 1)) / (pool.totalSupply() + VIRTUAL_SHARES);
    }

    // ------------------------------------------------------------ snapshots

    struct PoolSnapshot {
        uint256[] tokens;
        uint256[] shares;
        uint256 supply;
        uint256 equity;
        uint256 totalAssets;
        uint256 cachedPrice;
        uint256 reserved;
        bytes32 accounts;
        bytes32 queue;
    }

    function _actors() internal view returns (address[8] memory) {
        return [lp, alice, bob, carol, dave, mallory, keeper, address(pool)];
    }

    /// @dev Token and share balances of every actor and of the pool, the pool's aggregates, every actor's requests and
    /// claims, and the redemption queue.
    function _poolSnapshot() internal view returns (PoolSnapshot memory s) {
        address[8] memory actors = _actors();
        s.tokens = new uint256[](actors.length);
        s.shares = new uint256[](actors.length);
        bytes memory accounts;
        for (uint256 i; i < actors.length; ++i) {
            address a = actors[i];
            s.tokens[i] = usd.balanceOf(a);
            s.shares[i] = pool.balanceOf(a);
            (uint256 d, uint256 r) = pool.executableAt(a);
            accounts = bytes.concat(
                accounts,
                abi.encode(
                    pool.pendingDepositRequest(0, a),
                    pool.pendingRedeemRequest(0, a),
                    pool.maxDeposit(a),
                    pool.maxMint(a),
                    pool.maxWithdraw(a),
                    pool.maxRedeem(a),
                    pool.claimableCancelDepositRequest(0, a),
                    pool.claimableCancelRedeemRequest(0, a),
                    d,
                    r
                )
            );
        }
        s.accounts = keccak256(accounts);
        s.queue = keccak256(abi.encode(pool.redeemQueue()));
        s.supply = pool.totalSupply();
        s.equity = pool.equityAssets();
        s.totalAssets = pool.totalAssets();
        s.cachedPrice = pool.cachedSharePrice();
        s.reserved = engine.totalReserved();
    }

    function _assertPoolUnchanged(PoolSnapshot memory before) internal view {
        PoolSnapshot memory a = _poolSnapshot();
        for (uint256 i; i < a.tokens.length; ++i) {
            assertEq(a.tokens[i], before.tokens[i], "token balance changed");
            assertEq(a.shares[i], before.shares[i], "share balance changed");
        }
        assertEq(a.supply, before.supply, "supply changed");
        assertEq(a.equity, before.equity, "equity changed");
        assertEq(a.totalAssets, before.totalAssets, "totalAssets changed");
        assertEq(a.cachedPrice, before.cachedPrice, "cached share price changed");
        assertEq(a.reserved, before.reserved, "reservations changed");
        assertEq(a.accounts, before.accounts, "a request or claim changed");
        assertEq(a.queue, before.queue, "redemption queue changed");
    }
}

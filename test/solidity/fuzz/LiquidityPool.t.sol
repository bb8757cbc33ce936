// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SideState} from "../../../contracts/interfaces/IMarginEngine.sol";
import {PositionMath} from "../../../contracts/libraries/PositionMath.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {Wide} from "./utils/Wide.sol";

/// @notice Fuzzes the pool's ERC-4626 share conversions in every state the engine can put it in (traders up, traders
/// down, donations): each conversion rounds in the pool's favour against the exact value, and no round trip gives
/// back more than went in.
contract LiquidityPoolFuzzTest is BaseTest {
    /// @dev 10^_decimalsOffset(): the pool's virtual shares.
    uint256 internal constant VIRTUAL_SHARES = 1e6;

    address internal depositor = makeAddr("depositor");

    /// @dev Opens a long and a short of random sizes, moves the price by up to ±60 % and donates to the pool, so
    /// totalAssets differs from the pool's balance and the share price is not one.
    function _shapePool(uint256 seed) internal {
        uint256 longCollateral = _bound(uint256(keccak256(abi.encode(seed, 1))), MIN_COLLATERAL, 20_000 * USD);
        uint256 shortCollateral = _bound(uint256(keccak256(abi.encode(seed, 2))), MIN_COLLATERAL, 20_000 * USD);
        uint256 leverage = _bound(uint256(keccak256(abi.encode(seed, 3))), 1, 10);
        openPosition(alice, ETH, true, (longCollateral * 1e12 * leverage * 1e18) / ETH_PRICE, longCollateral);
        openPosition(bob, ETH, false, (shortCollateral * 1e12 * leverage * 1e18) / ETH_PRICE, shortCollateral);
        uint256 moveBps = _bound(uint256(keccak256(abi.encode(seed, 4))), 4_000, 16_000);
        vm.warp(block.timestamp + 60);
        setPrice(ETH, ((ETH_PRICE * moveBps) / 10_000 / 1e10) * 1e10);
        setPrice(BTC, BTC_PRICE);
        uint256 donation = _bound(uint256(keccak256(abi.encode(seed, 5))), 0, 100_000 * USD);
        usd.mint(address(pool), donation);
    }

    function _fundDepositor(uint256 assets) internal {
        usd.mint(depositor, assets);
        vm.prank(depositor);
        usd.approve(address(pool), type(uint256).max);
    }

    // ================================================================ conversions

    /// @dev previewDeposit/previewRedeem round down and previewMint/previewWithdraw round up, against the exact
    /// assets·(supply + virtual shares) / (totalAssets + 1).
    function testFuzz_conversions_roundInThePoolsFavour(uint256 seed, uint256 assets, uint256 shares) public {
        _shapePool(seed);
        assets = _bound(assets, 0, 1e9 * USD);
        shares = _bound(shares, 0, 1e9 * USD * VIRTUAL_SHARES);
        uint256 totalAssets = pool.totalAssets() + 1;
        uint256 supply = pool.totalSupply() + VIRTUAL_SHARES;

        assertTrue(Wide.isFloorOf(pool.previewDeposit(assets), assets, supply, totalAssets), "previewDeposit");
        assertTrue(Wide.isCeilOf(pool.previewWithdraw(assets), assets, supply, totalAssets), "previewWithdraw");
        assertTrue(Wide.isCeilOf(pool.previewMint(shares), shares, totalAssets, supply), "previewMint");
        assertTrue(Wide.isFloorOf(pool.previewRedeem(shares), shares, totalAssets, supply), "previewRedeem");
    }

    /// @dev totalAssets is the balance less the traders' net unrealised pnl, floored at zero; the pnl is rounded so the
    /// pool is never valued above the exact figure.
    function testFuzz_totalAssets_neverAboveExactValuation(uint256 seed) public {
        _shapePool(seed);
        uint256 price = engine.indexPrice(ETH);
        int256 exactNetPnlUsd; // USD WAD × WAD, exact
        for (uint256 side; side < 2; ++side) {
            bool isLong = side == 0;
            (uint128 openInterest, uint128 entryNotional) = _side(ETH, isLong);
            int256 valueNow = int256(uint256(openInterest) * price);
            int256 valueAtEntry = int256(uint256(entryNotional) * 1e18);
            exactNetPnlUsd += isLong ? valueNow - valueAtEntry : valueAtEntry - valueNow;
        }
        uint256 balance = usd.balanceOf(address(pool));
        // totalAssets·1e30 ≤ balance·1e30 − exact pnl (USD WAD·WAD → asset units: / 1e12 / 1e18).
        int256 exactValue = int256(balance) * 1e30 - exactNetPnlUsd;
        uint256 totalAssets = pool.totalAssets();
        if (exactValue <= 0) assertEq(totalAssets, 0, "pool valued above zero when traders' pnl exceeds it");
        else assertLe(int256(totalAssets) * 1e30, exactValue, "pool valued above the exact figure");
    }

    function _side(uint256 marketId, bool isLong) internal view returns (uint128, uint128) {
        SideState memory side = engine.sideState(marketId, isLong);
        return (side.openInterest, side.entryNotional);
    }

    // ================================================================ round trips

    function testFuzz_depositRedeem_neverGivesBackMore(uint256 seed, uint256 assets) public {
        _shapePool(seed);
        assets = _bound(assets, 1, 10_000_000 * USD);
        _fundDepositor(assets);
        vm.startPrank(depositor);
        uint256 shares = pool.deposit(assets, depositor);
        uint256 out = pool.redeem(shares, depositor, depositor);
        vm.stopPrank();
        assertLe(out, assets, "deposit then redeem gained");
        assertEq(usd.balanceOf(depositor), out);
    }

    function testFuzz_mintRedeem_neverGivesBackMore(uint256 seed, uint256 shares) public {
        _shapePool(seed);
        shares = _bound(shares, 1, 10_000_000 * USD * VIRTUAL_SHARES);
        uint256 cost = pool.previewMint(shares);
        _fundDepositor(cost);
        vm.startPrank(depositor);
        assertEq(pool.mint(shares, depositor), cost, "mint cost != previewMint");
        uint256 out = pool.redeem(shares, depositor, depositor);
        vm.stopPrank();
        assertLe(out, cost, "mint then redeem gained");
    }

    /// @dev Withdrawing what one deposited burns at least the shares the deposit minted.
    function testFuzz_depositWithdraw_burnsAtLeastTheSharesMinted(uint256 seed, uint256 assets) public {
        _shapePool(seed);
        assets = _bound(assets, 1, 10_000_000 * USD);
        _fundDepositor(assets);
        vm.startPrank(depositor);
        uint256 minted = pool.deposit(assets, depositor);
        uint256 withdrawable = pool.maxWithdraw(depositor);
        assertLe(withdrawable, assets, "more withdrawable than deposited");
        if (withdrawable != 0) {
            uint256 burned = pool.withdraw(withdrawable, depositor, depositor);
            assertLe(burned, minted, "burned more than held");
        }
        vm.stopPrank();
    }
}

/// @notice The share price is meant to stop LPs from dodging losses by withdrawing first (SPEC, "LP deposit /
/// withdraw"). It counts the traders' net unrealised pnl *uncapped* both ways: losses beyond a position's collateral
/// (which the pool can never collect) and profits beyond a position's cap (which the pool will never pay). These two
/// tests show the value that moves between LPs because of it; both fail until the valuation is bounded by what the
/// pool can actually collect or owe.
contract LiquidityPoolValuationTest is BaseTest {
    address internal lp2 = makeAddr("lp2");
    address internal newcomer = makeAddr("newcomer");

    /// @dev Two LPs with equal stakes; a 10× long goes under water by more than its collateral. The LP who withdraws
    /// before the liquidation must not leave with more than the LP who stays ends up with.
    function testFuzz_withdrawBeforeBadDebt_cannotDodgeTheLoss(uint256 crashBps) public {
        crashBps = _bound(crashBps, 1_200, 6_000); // −12 % to −60 %: beyond the 10× long's collateral
        deposit(lp2, POOL_LIQUIDITY);
        uint256 collateral = 10_000 * USD;
        uint256 id = openPosition(alice, ETH, true, (collateral * 1e12 * 10 * 1e18) / ETH_PRICE, collateral);

        vm.warp(block.timestamp + 60);
        setPrice(ETH, ((ETH_PRICE * (10_000 - crashBps)) / 10_000 / 1e10) * 1e10);
        assertLt(lens.equity(id), 0, "position not under water");

        uint256 shares = pool.balanceOf(lp);
        vm.prank(lp);
        uint256 left = pool.redeem(shares, lp, lp);

        vm.prank(keeper);
        engine.liquidate(id);
        uint256 stayed = pool.previewRedeem(pool.balanceOf(lp2));
        assertLe(left, stayed + 1, "the LP who left first dodged the bad debt at the other LP's expense");
    }

    /// @dev A 10× long rallies past its profit cap. Someone who deposits then, and redeems once the long has closed
    /// (paid its capped profit), must not leave with more than they put in plus their share of the closing fee.
    function testFuzz_depositWhileProfitsExceedTheirCap_cannotTakeOtherLpsValue(uint256 rallyBps) public {
        rallyBps = _bound(rallyBps, 10_000, 50_000); // +100 % to +500 %: beyond the 9× collateral cap
        uint256 collateral = 10_000 * USD;
        uint256 size = (collateral * 1e12 * 10 * 1e18) / ETH_PRICE;
        uint256 id = openPosition(alice, ETH, true, size, collateral);

        vm.warp(block.timestamp + 60);
        uint256 price = ((ETH_PRICE * (10_000 + rallyBps)) / 10_000 / 1e10) * 1e10;
        setPrice(ETH, price);

        uint256 assets = POOL_LIQUIDITY;
        uint256 shares = deposit(newcomer, assets);

        vm.prank(alice);
        engine.close(id, 0, block.timestamp);
        uint256 closeFee = PositionMath.ratioOfNotionalUp(size, price, 0.001e18, 1e12);

        vm.prank(newcomer);
        uint256 out = pool.redeem(shares, newcomer, newcomer);
        assertLe(out, assets + closeFee, "depositor captured value from the existing LP");
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PoolHelpers} from "../utils/PoolHelpers.sol";

/// @notice Fuzzes the pool's share maths in states the engine can put it in (traders up or down, fees accrued,
/// donations): execution at the worse-for-the-requester of the request's and the live price, and claims that round
/// against the caller, never pay more than the exact arithmetic (invariant 6).
contract LiquidityPoolFuzzTest is PoolHelpers {
    address internal depositor = makeAddr("depositor");

    /// @dev A long and a short of random sizes, a price move of −40 % to +60 % (after which keepers liquidate or take
    /// profit on what is past its edge), and a donation, then time for the round to settle: totalAssets differs from the balance and the live price from the cached one.
    function _shapePool(uint256 seed) internal {
        uint256 longCollateral = _bound(uint256(keccak256(abi.encode(seed, 1))), MIN_COLLATERAL, 20_000 * USD);
        uint256 shortCollateral = _bound(uint256(keccak256(abi.encode(seed, 2))), MIN_COLLATERAL, 20_000 * USD);
        uint256 leverage = _bound(uint256(keccak256(abi.encode(seed, 3))), 1, 9);
        uint256 long = openPosition(
            alice,
            ETH,
            true,
            (longCollateral * UNIT_SCALE * leverage * WAD) / ETH_PRICE,
            longCollateral
        );
        uint256 short = openPosition(
            bob,
            ETH,
            false,
            (shortCollateral * UNIT_SCALE * leverage * WAD) / ETH_PRICE,
            shortCollateral
        );
        uint256 moveBps = _bound(uint256(keccak256(abi.encode(seed, 4))), 6_000, 16_000);
        vm.warp(block.timestamp + 60);
        setPrice(ETH, ((ETH_PRICE * moveBps) / 10_000 / 1e10) * 1e10);
        _keepersClearEdges(ETH, _ids(long, short));
        uint256 donation = _bound(uint256(keccak256(abi.encode(seed, 5))), 0, 100_000 * USD);
        if (donation != 0) _donate(carol, donation);
        vm.warp(block.timestamp + LP_SETTLE);
    }

    function _requestDepositAsDepositor(uint256 assets) internal {
        requestDeposit(depositor, assets);
    }

    // ================================================================ execution

    /// @dev Shares minted never exceed the net assets at the live price (exact: net × (supply + 10^6) / (totalAssets +
    /// 1)) nor at the price recorded at request.
    function testFuzz_executeDeposits_neverMintsMoreThanEitherPriceGives(
        uint256 seed,
        uint256 assets,
        uint256 fee,
        bool shapeFirst
    ) public {
        assets = _bound(assets, MIN_REQUEST, 10_000_000 * USD);
        fee = _bound(fee, 0, MIN_REQUEST - 1);
        _setExecutionFee(fee);
        // Either the pool moves after the request (request at par) or before it (request at a refreshed price).
        if (shapeFirst) {
            _shapePool(seed);
            requestDeposit(dave, MIN_REQUEST);
            vm.warp(block.timestamp + LP_DELAY);
            _executeDeposits(dave);
        }
        uint256 requestPrice = pool.cachedSharePrice();
        _requestDepositAsDepositor(assets);
        vm.warp(block.timestamp + LP_DELAY);
        if (!shapeFirst) _shapePool(seed);
        uint256 totalAssets = pool.totalAssets();
        uint256 supply = pool.totalSupply();
        uint256 keeperBefore = usd.balanceOf(keeper);

        _executeDeposits(depositor);
        uint256 net = assets - fee;
        uint256 shares = pool.maxMint(depositor);
        assertEq(pool.maxDeposit(depositor), net);
        assertGt(shares, 0);
        assertLe(shares * (totalAssets + 1), net * (supply + VIRTUAL_SHARES), "more than the live price gives");
        assertLe(shares * requestPrice, net * WAD, "more than the request price gives");
        assertEq(usd.balanceOf(keeper) - keeperBefore, fee);
    }

    /// @dev Assets set aside never exceed the shares' value at the live price nor at the price recorded at request.
    function testFuzz_executeRedeems_neverPaysMoreThanEitherPriceGives(
        uint256 seed,
        uint256 shares,
        bool shapeFirst
    ) public {
        shares = _bound(shares, MIN_REQUEST * VIRTUAL_SHARES * 2, LP_SHARES / 20);
        if (shapeFirst) {
            _shapePool(seed);
            requestDeposit(dave, MIN_REQUEST);
            vm.warp(block.timestamp + LP_DELAY);
            _executeDeposits(dave);
        }
        uint256 requestPrice = pool.cachedSharePrice();
        _requestRedeem(lp, shares);
        vm.warp(block.timestamp + LP_DELAY);
        if (!shapeFirst) _shapePool(seed);
        uint256 totalAssets = pool.totalAssets();
        uint256 supply = pool.totalSupply();

        _executeRedeems();
        uint256 assets = pool.maxWithdraw(lp);
        assertEq(pool.maxRedeem(lp), shares, "a twentieth of the pool not redeemed in full");
        assertLe(assets * (supply + VIRTUAL_SHARES), shares * (totalAssets + 1), "more than the live price gives");
        assertLe(assets * WAD, shares * requestPrice, "more than the request price gives");
    }

    // ================================================================ claims

    /// @dev A claim split in two by deposit then mint: each part rounds against the caller, and together they never
    /// take more shares than were executed.
    function testFuzz_depositThenMint_roundAgainstTheCaller(uint256 seed, uint256 assets, uint256 part) public {
        _shapePool(seed);
        assets = _bound(assets, MIN_REQUEST, 10_000_000 * USD);
        requestDeposit(depositor, assets);
        vm.warp(block.timestamp + LP_DELAY);
        _executeDeposits(depositor);
        uint256 claimAssets = pool.maxDeposit(depositor);
        uint256 claimShares = pool.maxMint(depositor);
        part = _bound(part, 1, claimAssets);

        vm.prank(depositor);
        uint256 got = pool.deposit(part, depositor, depositor);
        assertLe(got * claimAssets, part * claimShares, "deposit rounded up");
        uint256 left = pool.maxMint(depositor);
        assertEq(left, claimShares - got);
        if (left != 0) {
            vm.prank(depositor);
            uint256 paid = pool.mint(left, depositor, depositor);
            assertEq(paid, claimAssets - part, "the rest of the claim did not cost the rest of the assets");
        }
        assertEq(pool.balanceOf(depositor), claimShares);
        assertEq(pool.maxDeposit(depositor), 0);
    }

    function testFuzz_mint_costsAtLeastTheExactAssets(uint256 seed, uint256 assets, uint256 part) public {
        _shapePool(seed);
        assets = _bound(assets, MIN_REQUEST, 10_000_000 * USD);
        requestDeposit(depositor, assets);
        vm.warp(block.timestamp + LP_DELAY);
        _executeDeposits(depositor);
        uint256 claimAssets = pool.maxDeposit(depositor);
        uint256 claimShares = pool.maxMint(depositor);
        part = _bound(part, 1, claimShares);

        vm.prank(depositor);
        uint256 cost = pool.mint(part, depositor, depositor);
        assertGe(cost * claimShares, part * claimAssets, "mint rounded down");
        assertLe(cost, claimAssets);
        assertEq(pool.maxDeposit(depositor), claimAssets - cost);
    }

    function testFuzz_redeemThenWithdraw_roundAgainstTheCaller(uint256 seed, uint256 shares, uint256 part) public {
        _shapePool(seed);
        shares = _bound(shares, MIN_REQUEST * VIRTUAL_SHARES * 2, LP_SHARES / 20);
        _requestRedeem(lp, shares);
        vm.warp(block.timestamp + LP_DELAY);
        _executeRedeems();
        uint256 claimAssets = pool.maxWithdraw(lp);
        uint256 claimShares = pool.maxRedeem(lp);
        part = _bound(part, 1, claimShares);

        uint256 before = usd.balanceOf(lp);
        vm.prank(lp);
        uint256 got = pool.redeem(part, lp, lp);
        assertLe(got * claimShares, part * claimAssets, "redeem rounded up");
        uint256 left = pool.maxWithdraw(lp);
        assertEq(left, claimAssets - got);
        if (left != 0) {
            vm.prank(lp);
            uint256 burnt = pool.withdraw(left, lp, lp);
            assertEq(burnt, claimShares - part, "the rest of the claim did not burn the rest of the shares");
        }
        assertEq(usd.balanceOf(lp) - before, claimAssets);
        assertEq(pool.maxRedeem(lp), 0);
    }

    function testFuzz_withdraw_burnsAtLeastTheExactShares(uint256 seed, uint256 shares, uint256 part) public {
        _shapePool(seed);
        shares = _bound(shares, MIN_REQUEST * VIRTUAL_SHARES * 2, LP_SHARES / 20);
        _requestRedeem(lp, shares);
        vm.warp(block.timestamp + LP_DELAY);
        _executeRedeems();
        uint256 claimAssets = pool.maxWithdraw(lp);
        uint256 claimShares = pool.maxRedeem(lp);
        part = _bound(part, 1, claimAssets);

        vm.prank(lp);
        uint256 burnt = pool.withdraw(part, lp, lp);
        assertGe(burnt * claimAssets, part * claimShares, "withdraw rounded down");
        assertLe(burnt, claimShares);
    }

    // ================================================================ round trips

    /// @dev At constant prices, a deposit followed by a redemption of every share it bought never returns more.
    function testFuzz_depositThenRedeem_neverGivesBackMore(uint256 seed, uint256 assets) public {
        _shapePool(seed);
        assets = _bound(assets, 2 * MIN_REQUEST, 10_000_000 * USD);
        uint256 shares = deposit(depositor, assets);
        // The long's borrow fees keep accruing to LPs; the price stays where _shapePool moved it.
        vm.prank(depositor);
        pool.requestRedeem(shares, depositor, depositor);
        vm.warp(block.timestamp + LP_DELAY);
        _executeRedeems();
        uint256 out = _claimAssets(depositor);
        assertLe(out, assets, "deposit then redeem gained");
    }
}

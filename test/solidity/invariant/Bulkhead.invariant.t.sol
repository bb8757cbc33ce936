// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMockFeed} from "../utils/Artifacts.sol";
import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {IBulkheadLens} from "../../../contracts/interfaces/IBulkheadLens.sol";
import {IInsuranceFund} from "../../../contracts/interfaces/IInsuranceFund.sol";
import {LiquidationPreview} from "../../../contracts/interfaces/IBulkheadLens.sol";
import {IMarginEngine, Position, SideState} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {GlobalParams, LpParams, MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {PositionMath} from "../../../contracts/libraries/PositionMath.sol";
import {ILiquidityPool} from "../../../contracts/interfaces/ILiquidityPool.sol";
import {IMarginEngine} from "../../../contracts/interfaces/IMarginEngine.sol";
import {ITestStablecoin} from "../utils/Artifacts.sol";
import {IRiskConfig} from "../../../contracts/interfaces/IRiskConfig.sol";
import {BaseTest} from "../utils/BaseTest.sol";

// The handler lives in this file: the test runner can target only contracts whose artifacts it was given, and running
// this file alone builds this file's artifacts only.

/// @notice The deployed system a handler drives.
struct System {
    ITestStablecoin usd;
    IMarginEngine engine;
    ILiquidityPool pool;
    IInsuranceFund insurance;
    IBulkheadLens lens;
    IRiskConfig config;
    IMockFeed ethFeed;
    IMockFeed btcFeed;
    address guardian;
}

/// @notice Drives the real Bulkhead system with bounded, mostly valid calls: trading, margin, liquidations (single and
/// batched), LP flows, oracle moves, time and donations. Before every call it predicts whether the call must revert
/// and with which custom error (data included), and what every party must receive; after it, it checks both, and that
/// no other position's record or vault moved.
///
/// Ghost state: asset that entered (`ghostIn`) and left (`ghostOut`) the system, the open ids, the collateral each
/// position should hold, donations sitting in each vault, and what exact (unrounded) arithmetic would have left in
/// the pool and paid to callers.
///
/// Violations are recorded, never thrown: the runner ignores handler reverts (`failOnRevert = false`), so the
/// invariant contract asserts that no violation was recorded, under the invariant id that names it.
contract BulkheadHandler is CommonBase, StdCheats, StdUtils {
    /// @notice A position owner outside the handler's traders (cannot happen: only they open positions).
    error NotATrader(address who);

    uint256 internal constant WAD = 1e18;
    /// @dev USD WAD per asset unit (6-decimal asset).
    uint256 internal constant SCALE = 1e12;
    /// @dev One asset unit in the exact ghost accounting: amounts × W²·SCALE are whole for every product the engine
    /// rounds (size·price·ratio, size·entry·index growth, size·diff·W).
    uint256 internal constant DEN = WAD * WAD * SCALE;
    uint256 internal constant USD = 1e6;
    uint256 internal constant MAX_OPEN = 12;
    /// @dev Oracle rounds are pushed well within the 1-hour heartbeat, so no outage (and no grace period) ever shows.
    uint256 internal constant REFRESH_AFTER = 30 minutes;
    /// @dev Handler calls a pause lasts.
    uint256 internal constant PAUSE_CALLS = 4;

    System internal s;
    /// @dev traders[3] is the attacker, who also provides liquidity; generic trading handlers pick among the first three.
    address[4] internal traders;
    address[2] internal lps;
    address public attacker;
    /// @notice Prices never move (INV-7's mode): price handlers do nothing, rounds keep the opening answers.
    bool public constantPrices;
    uint256 internal minRequest;
    uint256 internal lpDelay;
    /// @notice Asset minted to each actor from outside: what INV-7 compares an actor's wealth with.
    mapping(address actor => uint256) public minted;
    /// @notice Donations the donor made to the vaults of an owner's positions (paid to the owner on close).
    mapping(address owner => uint256) public gifted;
    mapping(uint256 positionId => uint256) internal _giftBeforeOpen;
    /// @notice Whether any liquidation, close or take-profit ran into bad debt (INV-3 holds either way; this says which
    /// case a run exercised).
    bool public badDebtSeen;
    /// @notice The passive LP's share price at the previous call: (totalAssets + 1, totalSupply + virtual shares).
    uint256 public lastPriceAssets;
    uint256 public lastPriceShares;
    address internal keeper = makeAddr("handler.keeper");
    address internal donor = makeAddr("handler.donor");
    uint256 internal keeperReserve;
    uint256 internal minCollateral;
    uint256 internal minNotional;
    uint256[2] internal initialPrice;

    // ---------------------------------------------------------------- ghost state

    /// @notice Asset that entered the system (vaults, pool, insurance fund) from outside, and that left it.
    uint256 public ghostIn;
    uint256 public ghostOut;
    /// @notice Highest position id opened so far.
    uint256 public lastId;
    uint256[] internal _openIds;
    mapping(uint256 positionId => uint256 indexPlusOne) internal _openIndex;
    /// @notice Collateral each open position must record and its vault must hold (on top of reserve and donations).
    mapping(uint256 positionId => uint256) public expectedCollateral;
    /// @notice Asset donated straight to a position's vault and still sitting there.
    mapping(uint256 positionId => uint256) public donationOf;
    /// @notice The pool balance exact arithmetic would have left, × DEN.
    int256 public exactPoolNum;
    /// @notice What callers (closing owners, decreasing owners, keepers, margin removers) were paid, and an upper bound
    /// of what exact arithmetic would have paid them (× DEN).
    uint256 public callerPaid;
    uint256 public callerPaidExactNum;
    bool public ghostPaused;
    uint256 internal _pausedCalls;

    /// @dev First violation seen per invariant id ("INV-1" … "INV-6", "REVERT" for a call that did not behave as
    /// predicted).
    mapping(bytes32 invariantId => string) internal _violation;
    /// @notice How often each action succeeded ("open.ok"), reverted as predicted ("open.reverted") or was skipped, to
    /// check what a campaign covers.
    mapping(bytes32 action => uint256) public callCount;

    constructor(
        System memory system,
        address[3] memory traders_,
        address[2] memory lps_,
        address attacker_,
        bool constantPrices_
    ) {
        s = system;
        traders = [traders_[0], traders_[1], traders_[2], attacker_];
        lps = lps_;
        attacker = attacker_;
        constantPrices = constantPrices_;
        LpParams memory lpParams = s.config.lpParams();
        minRequest = lpParams.minRequest;
        lpDelay = lpParams.lpDelay;
        GlobalParams memory g = s.config.globalParams();
        keeperReserve = g.keeperReserve;
        minCollateral = g.minCollateral;
        minNotional = g.minNotional;
        initialPrice[0] = s.engine.indexPrice(0);
        initialPrice[1] = s.engine.indexPrice(1);
        for (uint256 i; i < 4; ++i) _approveAll(traders[i]);
        for (uint256 i; i < 2; ++i) _approveAll(lps[i]);
        ghostIn = _bal(address(s.pool)) + _bal(address(s.insurance));
        exactPoolNum = int256(_bal(address(s.pool)) * DEN);
        (lastPriceAssets, lastPriceShares) = _sharePrice();
    }

    // ================================================================ INV-7 views

    /// @notice The pool's share price as a fraction: (totalAssets + 1) / (totalSupply + virtual shares).
    function _sharePrice() internal view returns (uint256 assets, uint256 shares) {
        return (s.pool.totalAssets() + 1, s.pool.totalSupply() + 1e6);
    }

    /// @notice Everything `who` holds or is owed, valued generously (an upper bound of what it could take out): tokens;
    /// LP shares held, escrowed for it (claimable deposits, pending and cancelled redemptions) at the share price;
    /// pending, claimable and cancelled assets; each open position's vault plus its capped pnl less owed fees, never
    /// below minus its collateral.
    function wealth(address who) public view returns (uint256 total) {
        total = _bal(who);
        uint256 shares =
            s.pool.balanceOf(who) +
                s.pool.maxMint(who) +
                s.pool.pendingRedeemRequest(0, who) +
                s.pool.claimableCancelRedeemRequest(0, who);
        total += s.pool.convertToAssets(shares);
        total +=
            s.pool.pendingDepositRequest(0, who) +
            s.pool.maxWithdraw(who) +
            s.pool.claimableCancelDepositRequest(0, who);
        for (uint256 i; i < _openIds.length; ++i) {
            Position memory p = s.engine.position(_openIds[i]);
            if (p.owner != who) continue;
            Valuation memory v = value(_openIds[i]);
            int256 claim = v.pnl - int256(v.fees);
            if (claim < -int256(uint256(p.collateral))) claim = -int256(uint256(p.collateral));
            total = uint256(int256(total) + int256(v.vaultBalance) + claim);
        }
    }

    /// @notice Every actor but the passive LP: traders, attacker, keeper, donor and the active LPs.
    function group() public view returns (address[] memory g) {
        g = new address[](8);
        (g[0], g[1], g[2], g[3]) = (traders[0], traders[1], traders[2], attacker);
        (g[4], g[5], g[6], g[7]) = (keeper, donor, lps[0], lps[1]);
    }

    function _sawBadDebt() internal {
        badDebtSeen = true;
        _count("badDebt");
    }

    function _mintTo(address who, uint256 amount) internal {
        s.usd.mint(who, amount);
        minted[who] += amount;
    }

    // ================================================================ views for the invariants

    function violation(string memory invariantId) external view returns (string memory) {
        return _violation[keccak256(bytes(invariantId))];
    }

    function openIds() external view returns (uint256[] memory) {
        return _openIds;
    }

    function isOpen(uint256 positionId) public view returns (bool) {
        return _openIndex[positionId] != 0;
    }

    // ================================================================ trading

    struct OpenCase {
        address trader;
        uint256 marketId;
        bool isLong;
        uint256 collateral;
        uint256 size;
        uint256 price;
        uint256 fee;
        uint256 maxProfit;
        uint256 notional;
        uint256 index;
        bytes expected;
    }

    function open(
        uint256 actorSeed,
        uint256 marketSeed,
        bool isLong,
        uint256 collateralSeed,
        uint256 leverageSeed
    ) external {
        _tick();
        uint256 collateral;
        if (collateralSeed % 16 == 0) collateral = _bound(collateralSeed, 1, minCollateral - 1);
        else if (collateralSeed % 8 == 1) collateral = _bound(collateralSeed, minCollateral, 120_000 * USD);
        else collateral = _bound(collateralSeed, minCollateral, 5_000 * USD);
        // 0.5× to 11× leverage: the top of the range breaches the 10× initial margin; the bottom, with little
        // collateral, the minimum notional.
        _open(traders[actorSeed % 3], marketSeed % 2, isLong, collateral, _bound(leverageSeed, 5_000, 110_000));
    }

    function _open(address trader, uint256 marketId, bool isLong, uint256 collateral, uint256 leverageBps) internal {
        if (_openIds.length >= MAX_OPEN) return _count("open.skipped");
        OpenCase memory o;
        o.trader = trader;
        o.marketId = marketId;
        o.isLong = isLong;
        o.collateral = collateral;
        o.price = s.engine.indexPrice(o.marketId);
        o.size = (o.collateral * SCALE * leverageBps * WAD) / 10_000 / o.price;
        if (o.size == 0) o.size = 1;
        MarketParams memory m = s.config.marketParams(o.marketId);
        o.fee = PositionMath.ratioOfNotionalUp(o.size, o.price, m.openFeeRatio, SCALE);
        o.maxProfit = _capOf(o.collateral, o.size, o.price, m);
        o.notional = PositionMath.notionalUp(o.size, o.price);
        o.index = s.engine.borrowIndex(o.marketId, o.isLong);
        o.expected = _predictOpen(o, m);

        uint256 paid = o.collateral + keeperReserve + o.fee;
        _mintTo(o.trader, paid);
        Snapshot memory snap = _snapshot(0);
        Balances memory b = _balances(o.trader, 0);
        uint256 id = s.engine.nextPositionId();

        vm.prank(o.trader);
        try
            s.engine.open(o.marketId, o.isLong, o.size, o.collateral, o.isLong ? type(uint256).max : 0, block.timestamp)
        returns (uint256 returnedId) {
            if (!_succeeded("open", o.expected)) return;
            _check(returnedId == id && id == lastId + 1, "REVERT", "open: unexpected position id");
            lastId = id;
            _addOpen(id, o.collateral);
            gifted[o.trader] += _giftBeforeOpen[id];
            delete _giftBeforeOpen[id];
            _checkRecord(
                id,
                Position({
                    owner: o.trader,
                    collateral: uint96(o.collateral),
                    size: uint128(o.size),
                    entryPrice: uint128(o.price),
                    borrowIndex: uint96(o.index),
                    maxProfit: uint96(o.maxProfit),
                    marketId: uint16(o.marketId),
                    isLong: o.isLong
                }),
                "open"
            );
            Balances memory a = _balances(o.trader, 0);
            _check(b.actor - a.actor == paid, "INV-2", "open: trader paid != collateral + reserve + fee");
            _check(a.pool - b.pool == o.fee, "INV-2", "open: pool did not receive exactly the fee");
            _checkVault(id, "open");
            ghostIn += paid;
            // INV-6: the fee charged is at least the exact fee.
            uint256 feeExact = o.size * o.price * m.openFeeRatio;
            _check(o.fee * DEN >= feeExact, "INV-6", "open: fee below the exact fee");
            exactPoolNum += int256(feeExact);
            _checkOthers(snap, "open");
        } catch (bytes memory err) {
            _reverted("open", o.expected, err);
        }
    }

    function _predictOpen(OpenCase memory o, MarketParams memory m) internal view returns (bytes memory) {
        if (ghostPaused) return abi.encodeWithSelector(IMarginEngine.Paused.selector);
        if (o.collateral < minCollateral) {
            return abi.encodeWithSelector(IMarginEngine.CollateralBelowMinimum.selector, o.collateral, minCollateral);
        }
        uint256 required = PositionMath.ratioOfNotionalUp(o.size, o.price, m.imr, SCALE);
        if (o.collateral < required) {
            return abi.encodeWithSelector(IMarginEngine.InitialMarginBreached.selector, int256(o.collateral), required);
        }
        bytes memory small = _predictNotional(o.size, o.price);
        if (small.length != 0) return small;
        uint256 sideNotional = s.engine.sideState(o.marketId, o.isLong).entryNotional + o.notional;
        uint256 cap = o.isLong ? m.maxOpenInterestLong : m.maxOpenInterestShort;
        if (sideNotional > cap) {
            return
                abi.encodeWithSelector(
                    IMarginEngine.OpenInterestCapExceeded.selector,
                    o.marketId,
                    o.isLong,
                    sideNotional,
                    cap
                );
        }
        return _predictReserve(o.maxProfit, 0, o.notional, 0);
    }

    /// @dev The engine's `_reserve` check: reserved profit within the pool's balance, entry notional within the
    /// utilisation bound.
    function _predictReserve(
        uint256 maxProfitAdded,
        uint256 maxProfitReleased,
        uint256 notionalAdded,
        uint256 notionalReleased
    ) internal view returns (bytes memory) {
        uint256 reserved = s.engine.totalReserved() + maxProfitAdded - maxProfitReleased;
        // Pool equity, never the balance: pending deposits and set-aside claims are not the pool's to risk.
        uint256 poolAssets = s.pool.equityAssets();
        if (reserved > poolAssets) {
            return abi.encodeWithSelector(IMarginEngine.InsufficientPoolLiquidity.selector, poolAssets, reserved);
        }
        uint256 totalNotional = s.engine.totalEntryNotional() + notionalAdded - notionalReleased;
        uint256 cap = (poolAssets * SCALE * s.config.globalParams().maxUtilization) / WAD;
        if (totalNotional > cap) {
            return abi.encodeWithSelector(IMarginEngine.UtilizationCapExceeded.selector, totalNotional, cap);
        }
        return "";
    }

    /// @dev The engine's cap: min(maxProfitRatio × collateral, maxProfitNotionalRatio × notional), rounded down.
    function _capOf(
        uint256 collateral,
        uint256 size,
        uint256 price,
        MarketParams memory m
    ) internal pure returns (uint256) {
        return
            _min(
                (collateral * m.maxProfitRatio) / WAD,
                PositionMath.ratioOfNotionalDown(size, price, m.maxProfitNotionalRatio, SCALE)
            );
    }

    /// @dev NotionalBelowMinimum when `size` at `price` (rounded down to asset units) is below the minimum notional.
    function _predictNotional(uint256 size, uint256 price) internal view returns (bytes memory) {
        uint256 notional = PositionMath.toAssetsDown(PositionMath.notionalDown(size, price), SCALE);
        if (notional < minNotional) {
            return abi.encodeWithSelector(IMarginEngine.NotionalBelowMinimum.selector, notional, minNotional);
        }
        return "";
    }

    struct IncreaseCase {
        uint256 id;
        address caller;
        Position p;
        Position n;
        uint256 sizeDelta;
        uint256 collateralDelta;
        uint256 price;
        uint256 indexDelta;
        uint256 fees;
        bytes expected;
    }

    function increase(uint256 idSeed, uint256 sizeSeed, uint256 collateralSeed, uint256 callerSeed) external {
        _tick();
        if (_openIds.length == 0) return _count("increase.skipped");
        IncreaseCase memory c;
        c.id = _openIds[idSeed % _openIds.length];
        c.p = s.engine.position(c.id);
        c.caller = _callerFor(c.p.owner, callerSeed);
        c.sizeDelta = (uint256(c.p.size) * _bound(sizeSeed, 100, 30_000)) / 10_000 + 1;
        c.collateralDelta = collateralSeed % 3 == 0 ? 0 : _bound(collateralSeed, 1, 5_000 * USD);
        c.price = s.engine.indexPrice(c.p.marketId);
        uint256 index = s.engine.borrowIndex(c.p.marketId, c.p.isLong);
        c.indexDelta = index - c.p.borrowIndex;
        MarketParams memory m = s.config.marketParams(c.p.marketId);
        c.fees =
            PositionMath.borrowFee(c.p.size, c.p.entryPrice, c.indexDelta, SCALE) +
            PositionMath.ratioOfNotionalUp(c.sizeDelta, c.price, m.openFeeRatio, SCALE);
        c.n = Position({
            owner: c.p.owner,
            collateral: uint96(c.p.collateral + c.collateralDelta),
            size: uint128(c.p.size + c.sizeDelta),
            entryPrice: uint128(
                PositionMath.entryAfterIncrease(
                    c.p.isLong,
                    c.p.size,
                    c.p.entryPrice,
                    c.sizeDelta,
                    c.price,
                    c.p.maxProfit,
                    SCALE
                )
            ),
            borrowIndex: uint96(index),
            // Sticky: the cap grows only by what the increase itself brings.
            maxProfit: uint96(c.p.maxProfit + _capOf(c.collateralDelta, c.sizeDelta, c.price, m)),
            marketId: c.p.marketId,
            isLong: c.p.isLong
        });
        c.expected = _predictIncrease(c, m);

        _mintTo(c.caller, c.collateralDelta + c.fees);
        Snapshot memory snap = _snapshot(c.id);
        Balances memory b = _balances(c.caller, c.id);
        vm.prank(c.caller);
        try
            s.engine.increase(c.id, c.sizeDelta, c.collateralDelta, c.p.isLong ? type(uint256).max : 0, block.timestamp)
        {
            if (!_succeeded("increase", c.expected)) return;
            Balances memory a = _balances(c.caller, c.id);
            _checkRecord(c.id, c.n, "increase");
            expectedCollateral[c.id] = c.n.collateral;
            _checkVault(c.id, "increase");
            _check(b.actor - a.actor == c.collateralDelta + c.fees, "INV-2", "increase: owner paid != delta + fees");
            _check(a.pool - b.pool == c.fees, "INV-2", "increase: pool did not receive exactly the fees");
            _check(a.vault - b.vault == c.collateralDelta, "INV-1", "increase: vault did not receive the delta");
            ghostIn += c.collateralDelta + c.fees;
            uint256 feesExact =
                uint256(c.p.size) * c.p.entryPrice * c.indexDelta + c.sizeDelta * c.price * m.openFeeRatio;
            _check(c.fees * DEN >= feesExact, "INV-6", "increase: fees below the exact fees");
            exactPoolNum += int256(feesExact);
            _checkOthers(snap, "increase");
        } catch (bytes memory err) {
            _reverted("increase", c.expected, err);
        }
    }

    function _predictIncrease(IncreaseCase memory c, MarketParams memory m) internal view returns (bytes memory) {
        if (c.caller != c.p.owner) {
            return abi.encodeWithSelector(IMarginEngine.NotPositionOwner.selector, c.id, c.caller);
        }
        if (ghostPaused) return abi.encodeWithSelector(IMarginEngine.Paused.selector);
        // Only losses count towards margin.
        int256 equity = PositionMath.equity(
            c.n.collateral,
            PositionMath.pnl(c.n.isLong, c.n.size, c.n.entryPrice, c.price, 0, SCALE),
            0
        );
        uint256 required = PositionMath.ratioOfNotionalUp(c.n.size, c.price, m.imr, SCALE);
        if (equity < int256(required)) {
            return abi.encodeWithSelector(IMarginEngine.InitialMarginBreached.selector, equity, required);
        }
        bytes memory small = _predictNotional(c.n.size, c.price);
        if (small.length != 0) return small;
        uint256 oldNotional = PositionMath.notionalUp(c.p.size, c.p.entryPrice);
        uint256 newNotional = PositionMath.notionalUp(c.n.size, c.n.entryPrice);
        uint256 sideNotional = s.engine.sideState(c.p.marketId, c.p.isLong).entryNotional - oldNotional + newNotional;
        uint256 cap = c.p.isLong ? m.maxOpenInterestLong : m.maxOpenInterestShort;
        if (sideNotional > cap) {
            return
                abi.encodeWithSelector(
                    IMarginEngine.OpenInterestCapExceeded.selector,
                    uint256(c.p.marketId),
                    c.p.isLong,
                    sideNotional,
                    cap
                );
        }
        return _predictReserve(c.n.maxProfit, c.p.maxProfit, newNotional, oldNotional);
    }

    struct DecreaseCase {
        uint256 id;
        address caller;
        Position p;
        uint256 sizeDelta;
        uint256 price;
        uint256 index;
        uint256 keptMaxProfit;
        int256 pnl;
        uint256 fees;
        int256 settlement;
        uint256 payout;
        uint256 newCollateral;
        bytes expected;
    }

    function decrease(uint256 idSeed, uint256 sizeSeed, uint256 callerSeed) external {
        _tick();
        if (_openIds.length == 0) return _count("decrease.skipped");
        DecreaseCase memory c;
        c.id = _openIds[idSeed % _openIds.length];
        c.p = s.engine.position(c.id);
        c.caller = _callerFor(c.p.owner, callerSeed);
        c.sizeDelta = c.p.size == 1 ? 1 : _bound(sizeSeed, 1, c.p.size - 1);
        c.price = s.engine.indexPrice(c.p.marketId);
        c.index = s.engine.borrowIndex(c.p.marketId, c.p.isLong);
        MarketParams memory m = s.config.marketParams(c.p.marketId);
        c.expected = _predictDecrease(c, m);

        Snapshot memory snap = _snapshot(c.id);
        Balances memory b = _balances(c.caller, c.id);
        vm.prank(c.caller);
        try s.engine.decrease(c.id, c.sizeDelta, c.p.isLong ? 0 : type(uint256).max, block.timestamp) {
            if (!_succeeded("decrease", c.expected)) return;
            Balances memory a = _balances(c.caller, c.id);
            Position memory n = c.p;
            n.collateral = uint96(c.newCollateral);
            n.size = uint128(c.p.size - c.sizeDelta);
            n.borrowIndex = uint96(c.index);
            n.maxProfit = uint96(c.keptMaxProfit);
            _checkRecord(c.id, n, "decrease");
            expectedCollateral[c.id] = c.newCollateral;
            _checkVault(c.id, "decrease");
            _check(a.actor - b.actor == c.payout, "INV-2", "decrease: owner payout");
            _check(int256(a.pool) - int256(b.pool) == -c.settlement, "INV-2", "decrease: pool flow != -settlement");
            ghostOut += c.payout;
            _checkDecreaseExact(c, m, int256(a.pool) - int256(b.pool));
            _checkOthers(snap, "decrease");
        } catch (bytes memory err) {
            _reverted("decrease", c.expected, err);
        }
    }

    function _predictDecrease(DecreaseCase memory c, MarketParams memory m) internal view returns (bytes memory) {
        if (c.caller != c.p.owner) {
            return abi.encodeWithSelector(IMarginEngine.NotPositionOwner.selector, c.id, c.caller);
        }
        if (c.sizeDelta >= c.p.size) {
            return abi.encodeWithSelector(IMarginEngine.SizeDeltaTooLarge.selector, c.sizeDelta, uint256(c.p.size));
        }
        uint256 remaining = c.p.size - c.sizeDelta;
        c.keptMaxProfit = _divUp(uint256(c.p.maxProfit) * remaining, c.p.size);
        c.pnl = PositionMath.pnl(
            c.p.isLong,
            c.sizeDelta,
            c.p.entryPrice,
            c.price,
            c.p.maxProfit - c.keptMaxProfit,
            SCALE
        );
        c.fees =
            PositionMath.borrowFee(c.p.size, c.p.entryPrice, c.index - c.p.borrowIndex, SCALE) +
            PositionMath.ratioOfNotionalUp(c.sizeDelta, c.price, m.closeFeeRatio, SCALE);
        uint256 collateralOut = (uint256(c.p.collateral) * c.sizeDelta) / c.p.size;
        c.settlement = c.pnl - int256(c.fees);
        int256 payoutSigned = int256(collateralOut) + c.settlement;
        c.newCollateral = c.p.collateral - collateralOut;
        if (payoutSigned < 0) {
            if (uint256(-payoutSigned) > c.newCollateral) {
                return abi.encodeWithSelector(IMarginEngine.DecreaseUnderwater.selector, c.id);
            }
            c.newCollateral -= uint256(-payoutSigned);
        } else {
            c.payout = uint256(payoutSigned);
        }
        if (c.newCollateral < minCollateral) {
            return
                abi.encodeWithSelector(IMarginEngine.CollateralBelowMinimum.selector, c.newCollateral, minCollateral);
        }
        bytes memory small = _predictNotional(remaining, c.price);
        if (small.length != 0) return small;
        int256 equity =
            int256(c.newCollateral) +
                PositionMath.pnl(c.p.isLong, remaining, c.p.entryPrice, c.price, c.keptMaxProfit, SCALE);
        uint256 maintenance = PositionMath.ratioOfNotionalUp(remaining, c.price, m.mmr, SCALE);
        if (equity < int256(maintenance)) {
            return abi.encodeWithSelector(IMarginEngine.MaintenanceMarginBreached.selector, equity, maintenance);
        }
        return "";
    }

    /// @dev INV-6 for a decrease: the pool's flow is at least, and the owner's payout at most, what exact arithmetic
    /// gives. The closed part's exact profit cap (maxProfit·sizeDelta/size) is bounded above by its ceiling, which
    /// only loosens the check.
    function _checkDecreaseExact(DecreaseCase memory c, MarketParams memory m, int256 poolFlow) internal {
        uint256 capUpper = _divUp(uint256(c.p.maxProfit) * c.sizeDelta, c.p.size);
        int256 settlementExact =
            _exactPnl(c.p.isLong, c.sizeDelta, c.p.entryPrice, c.price, capUpper) -
                int256(
                    uint256(c.p.size) * c.p.entryPrice * (c.index - c.p.borrowIndex) +
                        c.sizeDelta * c.price * m.closeFeeRatio
                );
        _check(poolFlow * int256(DEN) >= -settlementExact, "INV-6", "decrease: pool got less than exact");
        exactPoolNum -= settlementExact;
        int256 payoutExact = int256(_divUp(uint256(c.p.collateral) * c.sizeDelta, c.p.size) * DEN) + settlementExact;
        uint256 payoutExactPos = payoutExact > 0 ? uint256(payoutExact) : 0;
        _check(c.payout * DEN <= payoutExactPos, "INV-6", "decrease: owner paid more than exact");
        callerPaid += c.payout;
        callerPaidExactNum += payoutExactPos;
    }

    struct CloseCase {
        uint256 id;
        address caller;
        Position p;
        uint256 price;
        uint256 indexDelta;
        int256 settlement;
        uint256 vaultBalance;
        uint256 toPool;
        uint256 fromPool;
        uint256 cover;
        uint256 payout;
        uint256 badDebt;
        bytes expected;
    }

    function close(uint256 idSeed, uint256 callerSeed) external {
        _tick();
        if (_openIds.length == 0) return _count("close.skipped");
        CloseCase memory c;
        c.id = _openIds[idSeed % _openIds.length];
        c.p = s.engine.position(c.id);
        c.caller = _callerFor(c.p.owner, callerSeed);
        c.price = s.engine.indexPrice(c.p.marketId);
        c.indexDelta = s.engine.borrowIndex(c.p.marketId, c.p.isLong) - c.p.borrowIndex;
        MarketParams memory m = s.config.marketParams(c.p.marketId);
        _predictClose(c, m);

        Snapshot memory snap = _snapshot(c.id);
        Balances memory b = _balances(c.caller, c.id);
        vm.prank(c.caller);
        try s.engine.close(c.id, c.p.isLong ? 0 : type(uint256).max, block.timestamp) {
            if (!_succeeded("close", c.expected)) return;
            Balances memory a = _balances(c.caller, c.id);
            _checkGone(c.id, "close");
            _check(a.actor - b.actor == c.payout, "INV-2", "close: owner payout");
            _check(
                a.pool + c.fromPool == b.pool + c.toPool + c.cover,
                "INV-2",
                "close: pool flow != toPool - fromPool + cover"
            );
            _check(b.insurance - a.insurance == c.cover, "INV-2", "close: insurance cover");
            ghostOut += c.payout;
            _closeExact(c, m, int256(a.pool) - int256(b.pool), b.insurance);
            if (c.badDebt != 0) _sawBadDebt();
            _removeOpen(c.id);
            _checkOthers(snap, "close");
        } catch (bytes memory err) {
            _reverted("close", c.expected, err);
        }
    }

    function _predictClose(CloseCase memory c, MarketParams memory m) internal view {
        if (c.caller != c.p.owner) {
            c.expected = abi.encodeWithSelector(IMarginEngine.NotPositionOwner.selector, c.id, c.caller);
            return;
        }
        int256 pnl = PositionMath.pnl(c.p.isLong, c.p.size, c.p.entryPrice, c.price, c.p.maxProfit, SCALE);
        uint256 fees =
            PositionMath.borrowFee(c.p.size, c.p.entryPrice, c.indexDelta, SCALE) +
                PositionMath.ratioOfNotionalUp(c.p.size, c.price, m.closeFeeRatio, SCALE);
        c.settlement = pnl - int256(fees);
        c.vaultBalance = _bal(s.engine.vaultOf(c.id));
        uint256 badDebt;
        if (c.settlement < 0) {
            c.toPool = uint256(-c.settlement);
            if (c.toPool > c.p.collateral) {
                badDebt = c.toPool - c.p.collateral;
                c.toPool = c.p.collateral;
            }
        } else {
            c.fromPool = uint256(c.settlement);
        }
        c.cover = _min(badDebt, _bal(address(s.insurance)));
        c.payout = c.vaultBalance - c.toPool + c.fromPool;
        c.badDebt = badDebt;
    }

    /// @dev INV-6 for a close: pool flow at least, owner payout at most, the exact figures.
    function _closeExact(CloseCase memory c, MarketParams memory m, int256 poolFlow, uint256 insuranceBefore) internal {
        int256 settlementExact =
            _exactPnl(c.p.isLong, c.p.size, c.p.entryPrice, c.price, c.p.maxProfit) -
                int256(
                    uint256(c.p.size) * c.p.entryPrice * c.indexDelta + uint256(c.p.size) * c.price * m.closeFeeRatio
                );
        int256 toPoolExact;
        int256 coverExact;
        int256 fromPoolExact;
        if (settlementExact < 0) {
            toPoolExact = _minInt(-settlementExact, int256(uint256(c.p.collateral) * DEN));
            coverExact = _minInt(-settlementExact - toPoolExact, int256(insuranceBefore * DEN));
        } else {
            fromPoolExact = settlementExact;
        }
        int256 poolFlowExact = toPoolExact + coverExact - fromPoolExact;
        _check(poolFlow * int256(DEN) >= poolFlowExact, "INV-6", "close: pool got less than exact");
        exactPoolNum += poolFlowExact;
        uint256 payoutExact = uint256(int256(c.vaultBalance * DEN) - toPoolExact + fromPoolExact);
        _check(c.payout * DEN <= payoutExact, "INV-6", "close: owner paid more than exact");
        callerPaid += c.payout;
        callerPaidExactNum += payoutExact;
    }

    // ================================================================ margin

    function addMargin(uint256 idSeed, uint256 amountSeed, uint256 callerSeed) external {
        _tick();
        if (_openIds.length == 0) return _count("addMargin.skipped");
        uint256 id = _openIds[idSeed % _openIds.length];
        Position memory p = s.engine.position(id);
        address caller = _callerFor(p.owner, callerSeed);
        uint256 amount = _bound(amountSeed, 1, 10_000 * USD);
        bytes memory expected =
            caller == p.owner ? bytes("") : abi.encodeWithSelector(IMarginEngine.NotPositionOwner.selector, id, caller);

        _mintTo(caller, amount);
        Snapshot memory snap = _snapshot(id);
        Balances memory b = _balances(caller, id);
        vm.prank(caller);
        try s.engine.addMargin(id, amount) {
            if (!_succeeded("addMargin", expected)) return;
            Balances memory a = _balances(caller, id);
            p.collateral += uint96(amount);
            _checkRecord(id, p, "addMargin");
            expectedCollateral[id] = p.collateral;
            _checkVault(id, "addMargin");
            _check(b.actor - a.actor == amount && a.vault - b.vault == amount, "INV-2", "addMargin: flows");
            _check(a.pool == b.pool && a.insurance == b.insurance, "INV-2", "addMargin: pool or fund moved");
            ghostIn += amount;
            _checkOthers(snap, "addMargin");
        } catch (bytes memory err) {
            _reverted("addMargin", expected, err);
        }
    }

    function removeMargin(uint256 idSeed, uint256 amountSeed, uint256 callerSeed) external {
        _tick();
        if (_openIds.length == 0) return _count("removeMargin.skipped");
        uint256 id = _openIds[idSeed % _openIds.length];
        Position memory p = s.engine.position(id);
        address caller = _callerFor(p.owner, callerSeed);
        // Mostly within the collateral; sometimes all of it or more.
        uint256 amount =
            amountSeed % 8 == 0
                ? _bound(amountSeed, p.collateral, uint256(p.collateral) * 2)
                : _bound(amountSeed, 1, p.collateral);
        (bytes memory expected, Position memory n) = _predictRemoveMargin(id, p, caller, amount);

        Snapshot memory snap = _snapshot(id);
        Balances memory b = _balances(caller, id);
        vm.prank(caller);
        try s.engine.removeMargin(id, amount) {
            if (!_succeeded("removeMargin", expected)) return;
            Balances memory a = _balances(caller, id);
            _checkRecord(id, n, "removeMargin");
            expectedCollateral[id] = n.collateral;
            _checkVault(id, "removeMargin");
            _check(a.actor - b.actor == amount && b.vault - a.vault == amount, "INV-2", "removeMargin: flows");
            _check(a.pool == b.pool && a.insurance == b.insurance, "INV-2", "removeMargin: pool or fund moved");
            ghostOut += amount;
            callerPaid += amount;
            callerPaidExactNum += amount * DEN;
            _checkOthers(snap, "removeMargin");
        } catch (bytes memory err) {
            _reverted("removeMargin", expected, err);
        }
    }

    function _predictRemoveMargin(
        uint256 id,
        Position memory p,
        address caller,
        uint256 amount
    ) internal view returns (bytes memory, Position memory n) {
        if (caller != p.owner) return (abi.encodeWithSelector(IMarginEngine.NotPositionOwner.selector, id, caller), n);
        if (amount > p.collateral || p.collateral - amount < minCollateral) {
            return (
                abi.encodeWithSelector(
                    IMarginEngine.CollateralBelowMinimum.selector,
                    p.collateral > amount ? p.collateral - amount : 0,
                    minCollateral
                ),
                n
            );
        }
        MarketParams memory m = s.config.marketParams(p.marketId);
        n = p;
        n.collateral = uint96(p.collateral - amount);
        n.maxProfit = uint96(_min((uint256(n.collateral) * m.maxProfitRatio) / WAD, p.maxProfit));
        // Unrealised profit is not margin: only losses count, net of the owed borrow fee.
        (int256 equity, uint256 required) = _marginAfterRemoval(n, m.imr);
        if (equity < int256(required)) {
            return (abi.encodeWithSelector(IMarginEngine.InitialMarginBreached.selector, equity, required), n);
        }
        return ("", n);
    }

    function _marginAfterRemoval(
        Position memory n,
        uint256 imr
    ) internal view returns (int256 equity, uint256 required) {
        uint256 price = s.engine.indexPrice(n.marketId);
        uint256 fees = PositionMath.borrowFee(
            n.size,
            n.entryPrice,
            s.engine.borrowIndex(n.marketId, n.isLong) - n.borrowIndex,
            SCALE
        );
        equity = PositionMath.equity(
            n.collateral,
            PositionMath.pnl(n.isLong, n.size, n.entryPrice, price, 0, SCALE),
            fees
        );
        required = PositionMath.ratioOfNotionalUp(n.size, price, imr, SCALE);
    }

    // ================================================================ liquidation

    /// @notice Everything a liquidation of a position would do at the current price, by the engine's maths.
    struct Valuation {
        uint256 price;
        uint256 indexDelta;
        int256 pnl;
        uint256 fees;
        int256 equity;
        uint256 maintenance;
        bool liquidatable;
        uint256 closeFee;
        uint256 keeperFee;
        uint256 penalty;
        PositionMath.LiquidationSplit split;
        uint256 vaultBalance;
        uint256 keeperReward;
    }

    function value(uint256 id) public view returns (Valuation memory) {
        return _valueAt(id, s.engine.indexPrice(s.engine.position(id).marketId));
    }

    /// @dev `value` at a given price.
    function _valueAt(uint256 id, uint256 price) internal view returns (Valuation memory v) {
        Position memory p = s.engine.position(id);
        MarketParams memory m = s.config.marketParams(p.marketId);
        v.price = price;
        v.indexDelta = s.engine.borrowIndex(p.marketId, p.isLong) - p.borrowIndex;
        v.pnl = PositionMath.pnl(p.isLong, p.size, p.entryPrice, v.price, p.maxProfit, SCALE);
        v.fees = PositionMath.borrowFee(p.size, p.entryPrice, v.indexDelta, SCALE);
        v.equity = PositionMath.equity(p.collateral, v.pnl, v.fees);
        v.maintenance = PositionMath.ratioOfNotionalUp(p.size, v.price, m.mmr, SCALE);
        v.liquidatable = v.equity < int256(v.maintenance);
        v.keeperFee = PositionMath.ratioOfNotionalDown(p.size, v.price, m.liqFeeRatio, SCALE);
        v.penalty = PositionMath.ratioOfNotionalUp(p.size, v.price, m.liqPenaltyRatio, SCALE);
        v.closeFee = PositionMath.ratioOfNotionalUp(p.size, v.price, m.closeFeeRatio, SCALE);
        v.split = PositionMath.liquidationSplit(p.collateral, v.pnl, v.fees, v.closeFee, v.keeperFee, v.penalty);
        v.vaultBalance = _bal(s.engine.vaultOf(id));
        v.keeperReward = v.vaultBalance - p.collateral + v.split.keeperFee;
    }

    function liquidate(uint256 idSeed) external {
        _tick();
        // Half the calls go for a liquidatable position if there is one; the rest pick any id, open or not.
        uint256 id = idSeed % 2 == 0 ? _findLiquidatable(idSeed) : 0;
        if (id == 0) {
            id =
                idSeed % 4 != 1 && _openIds.length != 0
                    ? _openIds[idSeed % _openIds.length]
                    : _bound(idSeed, 1, lastId + 1);
        }
        Position memory p = s.engine.position(id);
        bytes memory expected;
        Valuation memory v;
        if (p.owner == address(0)) {
            expected = abi.encodeWithSelector(IMarginEngine.UnknownPosition.selector, id);
        } else {
            v = value(id);
            _checkLensAgrees(id, v);
            if (!v.liquidatable) {
                expected = abi.encodeWithSelector(IMarginEngine.NotLiquidatable.selector, id, v.equity, v.maintenance);
            }
        }

        Snapshot memory snap = _snapshot(id);
        Balances memory b = _balances(keeper, id);
        uint256 ownerBefore = _bal(p.owner);
        vm.prank(keeper);
        try s.engine.liquidate(id) {
            if (!_succeeded("liquidate", expected)) return;
            Balances memory a = _balances(keeper, id);
            _checkGone(id, "liquidate");
            _checkLiquidationFlows(v, b, a, _bal(p.owner) - ownerBefore, "liquidate");
            _liquidationExact(
                p,
                v,
                int256(a.pool) - int256(b.pool),
                a.actor - b.actor,
                _bal(p.owner) - ownerBefore,
                b.insurance
            );
            ghostOut += v.keeperReward + v.split.ownerRefund;
            if (v.split.badDebt != 0) _sawBadDebt();
            _removeOpen(id);
            _checkOthers(snap, "liquidate");
        } catch (bytes memory err) {
            _reverted("liquidate", expected, err);
        }
    }

    /// @dev The first liquidatable open position, searching from a seeded offset; zero if none.
    function _findLiquidatable(uint256 seed) internal view returns (uint256) {
        uint256 n = _openIds.length;
        for (uint256 i; i < n; ++i) {
            uint256 id = _openIds[(seed + i) % n];
            if (value(id).liquidatable) return id;
        }
        return 0;
    }

    function _checkLiquidationFlows(
        Valuation memory v,
        Balances memory b,
        Balances memory a,
        uint256 ownerGot,
        string memory op
    ) internal {
        uint256 cover = _min(v.split.badDebt, b.insurance);
        _check(a.actor - b.actor == v.keeperReward, "INV-4", string.concat(op, ": keeper reward"));
        _check(ownerGot == v.split.ownerRefund, "INV-4", string.concat(op, ": owner refund"));
        _check(a.insurance + cover == b.insurance + v.split.penalty, "INV-4", string.concat(op, ": insurance flow"));
        _check(a.pool + v.split.fromPool == b.pool + v.split.toPool + cover, "INV-4", string.concat(op, ": pool flow"));
    }

    /// @dev INV-6 for a liquidation: the keeper (the caller) gets at most, and the pool at least, the exact figures.
    /// The owner keeps the residual; it can exceed the exact residual by the keeper fee's downward rounding (< 2
    /// units), which comes out of the keeper's share, never the pool's.
    function _liquidationExact(
        Position memory p,
        Valuation memory v,
        int256 poolFlow,
        uint256 keeperGot,
        uint256 ownerGot,
        uint256 insuranceBefore
    ) internal {
        MarketParams memory m = s.config.marketParams(p.marketId);
        int256 settlementExact =
            _exactPnl(p.isLong, p.size, p.entryPrice, v.price, p.maxProfit) -
                int256(uint256(p.size) * p.entryPrice * v.indexDelta);
        int256 equityExact = int256(uint256(p.collateral) * DEN) + settlementExact;
        int256 poolFlowExact;
        int256 keeperExact = int256((v.vaultBalance - p.collateral) * DEN);
        int256 ownerExact;
        if (equityExact < 0) {
            poolFlowExact = int256(uint256(p.collateral) * DEN) + _minInt(-equityExact, int256(insuranceBefore * DEN));
        } else {
            poolFlowExact = -settlementExact;
            int256 keeperFeeExact = _minInt(int256(uint256(p.size) * v.price * m.liqFeeRatio), equityExact);
            keeperExact += keeperFeeExact;
            int256 penaltyExact = int256(uint256(p.size) * v.price * m.liqPenaltyRatio);
            ownerExact = equityExact - keeperFeeExact - penaltyExact;
            if (ownerExact < 0) ownerExact = 0;
        }
        _check(poolFlow * int256(DEN) >= poolFlowExact, "INV-6", "liquidate: pool got less than exact");
        _check(int256(keeperGot * DEN) <= keeperExact, "INV-6", "liquidate: keeper paid more than exact");
        _check(int256(ownerGot * DEN) <= ownerExact + int256(2 * DEN), "INV-6", "liquidate: owner refund above exact");
        exactPoolNum += poolFlowExact;
        callerPaid += keeperGot;
        callerPaidExactNum += uint256(keeperExact);
    }

    struct BatchCase {
        uint256[] ids;
        bool[] willLiquidate;
        Valuation[] values;
        Position[] positions;
        uint256 expectedCount;
        uint256 keeperReward;
        uint256 penalty;
        uint256 cover;
        int256 poolFlow;
        uint256[4] ownerRefunds;
        uint256[4] ownersBefore;
        uint256[] insuranceBefore;
    }

    /// @notice Liquidates a batch mixing liquidatable, healthy, closed, unknown and repeated ids.
    function liquidateBatch(uint256 seed, uint256 lengthSeed) external {
        _tick();
        BatchCase memory c;
        uint256 length = _bound(lengthSeed, 1, 6);
        c.ids = new uint256[](length);
        c.willLiquidate = new bool[](length);
        c.values = new Valuation[](length);
        c.positions = new Position[](length);
        c.insuranceBefore = new uint256[](length);
        for (uint256 i; i < length; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            c.ids[i] = r % 3 != 0 && _openIds.length != 0 ? _openIds[r % _openIds.length] : _bound(r, 1, lastId + 2);
        }
        _predictBatch(c);

        Snapshot memory snap = _snapshot(0);
        Balances memory b = _balances(keeper, 0);
        for (uint256 t; t < 4; ++t) c.ownersBefore[t] = _bal(traders[t]);
        vm.prank(keeper);
        try s.engine.liquidateBatch(c.ids) returns (uint256 liquidated) {
            _count("liquidateBatch.ok");
            callCount[keccak256("liquidateBatch.liquidated")] += c.expectedCount;
            _check(liquidated == c.expectedCount, "INV-4", "liquidateBatch: count != liquidatable ids");
            Balances memory a = _balances(keeper, 0);
            _check(a.actor - b.actor == c.keeperReward, "INV-4", "liquidateBatch: keeper reward");
            _check(a.insurance + c.cover == b.insurance + c.penalty, "INV-4", "liquidateBatch: insurance flow");
            _check(int256(a.pool) - int256(b.pool) == c.poolFlow, "INV-4", "liquidateBatch: pool flow");
            for (uint256 t; t < 4; ++t) {
                _check(
                    _bal(traders[t]) - c.ownersBefore[t] == c.ownerRefunds[t],
                    "INV-4",
                    "liquidateBatch: owner refund"
                );
            }
            for (uint256 i; i < length; ++i) {
                if (!c.willLiquidate[i]) continue;
                _checkGone(c.ids[i], "liquidateBatch");
                _removeOpen(c.ids[i]);
                // The batch's total flows matched the per-position predictions above; check each against exact.
                Valuation memory v = c.values[i];
                uint256 cover = _min(v.split.badDebt, c.insuranceBefore[i]);
                _liquidationExact(
                    c.positions[i],
                    v,
                    int256(v.split.toPool + cover) - int256(v.split.fromPool),
                    v.keeperReward,
                    v.split.ownerRefund,
                    c.insuranceBefore[i]
                );
            }
            ghostOut += c.keeperReward;
            for (uint256 i; i < length; ++i) {
                if (c.willLiquidate[i] && c.values[i].split.badDebt != 0) _sawBadDebt();
            }
            for (uint256 t; t < 4; ++t) ghostOut += c.ownerRefunds[t];
            _checkOthers(snap, "liquidateBatch");
        } catch (bytes memory err) {
            _reverted("liquidateBatch", "", err);
        }
    }

    /// @dev Walks the batch in order, as the engine does: an id liquidated earlier in the batch is gone by the time it
    /// repeats; the insurance fund's balance evolves liquidation by liquidation.
    function _predictBatch(BatchCase memory c) internal view {
        uint256 insurance = _bal(address(s.insurance));
        for (uint256 i; i < c.ids.length; ++i) {
            Position memory p = s.engine.position(c.ids[i]);
            if (p.owner == address(0)) continue;
            bool seen;
            for (uint256 j; j < i; ++j) if (c.ids[j] == c.ids[i] && c.willLiquidate[j]) seen = true;
            if (seen) continue;
            Valuation memory v = value(c.ids[i]);
            if (!v.liquidatable) continue;
            c.willLiquidate[i] = true;
            c.values[i] = v;
            c.positions[i] = p;
            c.insuranceBefore[i] = insurance;
            ++c.expectedCount;
            uint256 cover = _min(v.split.badDebt, insurance);
            insurance = insurance + v.split.penalty - cover;
            c.keeperReward += v.keeperReward;
            c.penalty += v.split.penalty;
            c.cover += cover;
            c.poolFlow += int256(v.split.toPool + cover) - int256(v.split.fromPool);
            c.ownerRefunds[_traderIndex(p.owner)] += v.split.ownerRefund;
        }
    }

    /// @dev INV-4: the lens and the engine's maths agree on every figure a keeper reads.
    function _checkLensAgrees(uint256 id, Valuation memory v) internal {
        uint256[] memory ids = new uint256[](1);
        ids[0] = id;
        bool lensSays = s.lens.liquidatable(ids)[0];
        LiquidationPreview memory preview = s.lens.previewLiquidation(id);
        _check(lensSays == v.liquidatable && preview.liquidatable == v.liquidatable, "INV-4", "lens: liquidatable");
        _check(
            preview.equity == v.equity &&
                preview.maintenanceMargin == v.maintenance &&
                preview.keeperReward == v.keeperReward &&
                preview.penalty == v.split.penalty &&
                preview.ownerRefund == v.split.ownerRefund &&
                preview.badDebt == v.split.badDebt &&
                preview.closeFee == v.split.closeFee &&
                preview.price == v.price,
            "INV-4",
            "lens: preview differs from the engine's split"
        );
        _check(s.lens.equity(id) == v.equity, "INV-4", "lens: equity");
        _check(s.lens.health(id) == PositionMath.health(v.equity, v.maintenance), "INV-4", "lens: health");
    }

    // ================================================================ liquidity providers (ERC-7540)

    /// @dev The LP actors: two plain LPs and the attacker. The fixture's LP (`passiveLp`) never acts.
    function _lpActor(uint256 seed) internal view returns (address) {
        uint256 i = seed % 3;
        return i == 2 ? attacker : lps[i];
    }

    function requestDeposit(uint256 actorSeed, uint256 assetsSeed) external {
        _tick();
        _requestDeposit(_lpActor(actorSeed), assetsSeed);
    }

    function _requestDeposit(address who, uint256 assetsSeed) internal {
        uint256 assets =
            assetsSeed % 8 == 0 ? _bound(assetsSeed, 1, minRequest - 1) : _bound(assetsSeed, minRequest, 400_000 * USD);
        bytes memory expected;
        if (assets < minRequest) {
            expected = abi.encodeWithSelector(ILiquidityPool.RequestTooSmall.selector, assets, minRequest);
        } else if (s.pool.pendingDepositRequest(0, who) != 0) {
            expected = abi.encodeWithSelector(ILiquidityPool.RequestPending.selector, who);
        }
        _mintTo(who, assets);
        uint256 equity = s.pool.equityAssets();
        Balances memory b = _balances(who, 0);
        vm.prank(who);
        try s.pool.requestDeposit(assets, who, who) returns (uint256 requestId) {
            if (!_succeeded("requestDeposit", expected)) return;
            Balances memory a = _balances(who, 0);
            (uint256 executableAt_, ) = s.pool.executableAt(who);
            _check(requestId == 0, "REVERT", "requestDeposit: request id");
            _check(s.pool.pendingDepositRequest(0, who) == assets, "INV-2", "requestDeposit: pending != assets");
            _check(executableAt_ == block.timestamp + lpDelay, "REVERT", "requestDeposit: executable time");
            _check(b.actor - a.actor == assets && a.pool - b.pool == assets, "INV-2", "requestDeposit: flows");
            // Rule 11: a pending deposit is outside equity.
            _check(s.pool.equityAssets() == equity, "INV-3", "requestDeposit: pending deposit counted as equity");
            ghostIn += assets;
            exactPoolNum += int256(assets * DEN);
        } catch (bytes memory err) {
            _reverted("requestDeposit", expected, err);
        }
    }

    function requestRedeem(uint256 actorSeed, uint256 sharesSeed) external {
        _tick();
        _requestRedeem(_lpActor(actorSeed), sharesSeed);
    }

    function _requestRedeem(address who, uint256 sharesSeed) internal {
        uint256 balance = s.pool.balanceOf(who);
        // Mostly within the balance; sometimes all of it, a dust amount, or more than it holds.
        uint256 shares;
        if (balance == 0 || sharesSeed % 8 == 0) shares = balance + _bound(sharesSeed, 1, 1e18);
        else if (sharesSeed % 8 == 1) shares = balance;
        else if (sharesSeed % 8 == 2) shares = _bound(sharesSeed, 1, 1e12);
        else shares = _bound(sharesSeed, 1, balance);
        uint256 value = (shares * s.pool.cachedSharePrice()) / WAD;
        bytes memory expected;
        if (value < minRequest) {
            expected = abi.encodeWithSelector(ILiquidityPool.RequestTooSmall.selector, value, minRequest);
        } else if (s.pool.pendingRedeemRequest(0, who) != 0) {
            expected = abi.encodeWithSelector(ILiquidityPool.RequestPending.selector, who);
        } else if (shares > balance) {
            expected = abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, who, balance, shares);
        }
        uint256 equity = s.pool.equityAssets();
        vm.prank(who);
        try s.pool.requestRedeem(shares, who, who) returns (uint256 requestId) {
            if (!_succeeded("requestRedeem", expected)) return;
            (, uint256 executableAt_) = s.pool.executableAt(who);
            _check(requestId == 0, "REVERT", "requestRedeem: request id");
            _check(s.pool.pendingRedeemRequest(0, who) == shares, "INV-2", "requestRedeem: pending != shares");
            _check(s.pool.balanceOf(who) == balance - shares, "INV-2", "requestRedeem: shares not locked");
            _check(executableAt_ == block.timestamp + lpDelay, "REVERT", "requestRedeem: executable time");
            _check(s.pool.equityAssets() == equity, "INV-3", "requestRedeem: equity moved");
        } catch (bytes memory err) {
            _reverted("requestRedeem", expected, err);
        }
    }

    /// @notice ERC-7887 cancellation of a deposit or redemption request: only inside its `lpDelay`.
    function cancelRequest(uint256 actorSeed, bool isDeposit) external {
        _tick();
        _cancel(_lpActor(actorSeed), isDeposit);
    }

    function _cancel(address who, bool isDeposit) internal {
        bytes memory expected = _predictCancel(who, isDeposit);
        string memory op = isDeposit ? "cancelDeposit" : "cancelRedeem";
        uint256 pending = _pendingOf(who, isDeposit);
        uint256 cancelledBefore = _cancelledOf(who, isDeposit);
        bytes32 poolState = _poolState();
        try this.cancelAs(who, isDeposit) {
            if (!_succeeded(op, expected)) return;
            _check(
                _cancelledOf(who, isDeposit) == cancelledBefore + pending,
                "INV-2",
                string.concat(op, ": cancelled amount")
            );
            _check(_pendingOf(who, isDeposit) == 0, "INV-2", string.concat(op, ": still pending"));
            _check(_poolState() == poolState, "INV-3", string.concat(op, ": equity or balance moved"));
        } catch (bytes memory err) {
            _reverted(op, expected, err);
        }
    }

    function _predictCancel(address who, bool isDeposit) internal view returns (bytes memory) {
        (uint256 depositAt, uint256 redeemAt) = s.pool.executableAt(who);
        uint256 executableAt_ = isDeposit ? depositAt : redeemAt;
        if (_pendingOf(who, isDeposit) == 0) {
            return abi.encodeWithSelector(ILiquidityPool.NoPendingRequest.selector, who);
        }
        if (block.timestamp >= executableAt_) {
            return abi.encodeWithSelector(ILiquidityPool.CancelWindowClosed.selector, who, executableAt_);
        }
        return "";
    }

    function _pendingOf(address who, bool isDeposit) internal view returns (uint256) {
        return isDeposit ? s.pool.pendingDepositRequest(0, who) : s.pool.pendingRedeemRequest(0, who);
    }

    function _cancelledOf(address who, bool isDeposit) internal view returns (uint256) {
        return isDeposit ? s.pool.claimableCancelDepositRequest(0, who) : s.pool.claimableCancelRedeemRequest(0, who);
    }

    /// @dev The pool's equity and token balance.
    function _poolState() internal view returns (bytes32) {
        return keccak256(abi.encode(s.pool.equityAssets(), _bal(address(s.pool))));
    }

    /// @dev The cancellation itself, called through `this` so that its revert data can be caught (the prank carries
    /// the controller).
    function cancelAs(address who, bool isDeposit) external {
        if (msg.sender != address(this)) revert NotATrader(msg.sender);
        vm.prank(who);
        if (isDeposit) s.pool.cancelDepositRequest(0, who);
        else s.pool.cancelRedeemRequest(0, who);
    }

    struct Execution {
        bool open;
        uint256 retryAt;
        uint256 totalAssets;
        uint256 supply;
        uint256 equity;
        uint256 free;
        address[] controllers;
        uint256[] assetsBefore;
        uint256[] sharesBefore;
        uint256[] pendingBefore;
        bool[] due;
        uint256 expectedCount;
    }

    function _execution() internal view returns (Execution memory e) {
        (e.open, e.retryAt) = s.pool.lpExecutionStatus();
        e.totalAssets = s.pool.totalAssets();
        e.supply = s.pool.totalSupply();
        e.equity = s.pool.equityAssets();
        e.free = s.pool.freeLiquidity();
        e.controllers = new address[](3);
        e.assetsBefore = new uint256[](3);
        e.sharesBefore = new uint256[](3);
        e.pendingBefore = new uint256[](3);
        e.due = new bool[](3);
        for (uint256 i; i < 3; ++i) e.controllers[i] = _lpActor(i);
    }

    /// @notice Executes every LP actor's due deposit request (anyone may; here the keeper).
    function executeDeposits() external {
        _tick();
        Execution memory e = _execution();
        for (uint256 i; i < 3; ++i) {
            address who = e.controllers[i];
            (uint256 at, ) = s.pool.executableAt(who);
            e.pendingBefore[i] = s.pool.pendingDepositRequest(0, who);
            e.assetsBefore[i] = s.pool.claimableDepositRequest(0, who);
            e.sharesBefore[i] = s.pool.maxMint(who);
            e.due[i] = e.pendingBefore[i] != 0 && block.timestamp >= at;
            if (e.due[i]) ++e.expectedCount;
        }
        bytes memory expected =
            e.open ? bytes("") : abi.encodeWithSelector(ILiquidityPool.LpExecutionPaused.selector, e.retryAt);
        vm.prank(keeper);
        try s.pool.executeDeposits(e.controllers) returns (uint256 executed) {
            if (!_succeeded("executeDeposits", expected)) return;
            callCount[keccak256("executeDeposits.executed")] += executed;
            _check(executed == e.expectedCount, "REVERT", "executeDeposits: count != due requests");
            uint256 netIn;
            for (uint256 i; i < 3; ++i) {
                if (!e.due[i]) continue;
                address who = e.controllers[i];
                uint256 dAssets = s.pool.claimableDepositRequest(0, who) - e.assetsBefore[i];
                uint256 dShares = s.pool.maxMint(who) - e.sharesBefore[i];
                // No execution fee in this fixture: the whole request joins equity.
                _check(dAssets == e.pendingBefore[i], "INV-2", "executeDeposits: claimable != request");
                _check(s.pool.pendingDepositRequest(0, who) == 0, "INV-2", "executeDeposits: still pending");
                // INV-7 (moving prices): never more shares than the fair price at execution gives.
                _check(
                    dShares * (e.totalAssets + 1) <= dAssets * (e.supply + 1e6),
                    "INV-7",
                    "executeDeposits: shares above the fair price at execution"
                );
                netIn += dAssets;
            }
            _check(s.pool.equityAssets() == e.equity + netIn, "INV-3", "executeDeposits: equity != + executed");
        } catch (bytes memory err) {
            _reverted("executeDeposits", expected, err);
        }
    }

    /// @notice Executes up to 1–4 redemption requests in queue order, against free liquidity only.
    function executeRedeems(uint256 maxSeed) external {
        _tick();
        uint256 maxRequests = _bound(maxSeed, 1, 4);
        Execution memory e = _execution();
        for (uint256 i; i < 3; ++i) {
            address who = e.controllers[i];
            e.pendingBefore[i] = s.pool.pendingRedeemRequest(0, who);
            e.assetsBefore[i] = s.pool.maxWithdraw(who);
            e.sharesBefore[i] = s.pool.maxRedeem(who);
        }
        bytes memory expected =
            e.open ? bytes("") : abi.encodeWithSelector(ILiquidityPool.LpExecutionPaused.selector, e.retryAt);
        vm.prank(keeper);
        try s.pool.executeRedeems(maxRequests) returns (uint256 executed) {
            if (!_succeeded("executeRedeems", expected)) return;
            callCount[keccak256("executeRedeems.executed")] += executed;
            _check(executed <= maxRequests, "REVERT", "executeRedeems: more than asked");
            uint256 setAside;
            for (uint256 i; i < 3; ++i) {
                address who = e.controllers[i];
                uint256 dAssets = s.pool.maxWithdraw(who) - e.assetsBefore[i];
                uint256 dShares = s.pool.maxRedeem(who) - e.sharesBefore[i];
                _check(
                    e.pendingBefore[i] - s.pool.pendingRedeemRequest(0, who) == dShares,
                    "INV-2",
                    "executeRedeems: executed shares != claimable shares"
                );
                // INV-7 (moving prices): never more assets than the fair price at execution gives.
                _check(
                    dAssets * (e.supply + 1e6) <= dShares * (e.totalAssets + 1),
                    "INV-7",
                    "executeRedeems: assets above the fair price at execution"
                );
                setAside += dAssets;
            }
            // Rule 11: redemptions take free liquidity only.
            _check(setAside <= e.free, "INV-3", "executeRedeems: took reserved liquidity");
            _check(s.pool.equityAssets() == e.equity - setAside, "INV-3", "executeRedeems: equity != - set aside");
        } catch (bytes memory err) {
            _reverted("executeRedeems", expected, err);
        }
    }

    /// @notice Claims executed requests: 0 deposit (assets), 1 mint (shares), 2 redeem (shares), 3 withdraw (assets).
    function claim(uint256 actorSeed, uint256 kindSeed, uint256 amountSeed) external {
        _tick();
        _claim(_lpActor(actorSeed), kindSeed % 4, amountSeed);
    }

    struct ClaimCase {
        address who;
        uint256 kind;
        uint256 claimAssets;
        uint256 claimShares;
        uint256 amount;
        uint256 max;
        uint256 out;
        uint256 tokensBefore;
        uint256 sharesBefore;
        uint256 equity;
        uint256 assets;
        uint256 shares;
        bytes expected;
        string op;
    }

    function _claim(address who, uint256 kind, uint256 amountSeed) internal {
        ClaimCase memory c;
        c.who = who;
        c.kind = kind;
        bool isDeposit = kind < 2;
        // (isDeposit picks the deposit claim's amounts; redemptions otherwise.)
        c.claimAssets = isDeposit ? s.pool.maxDeposit(who) : s.pool.maxWithdraw(who);
        c.claimShares = isDeposit ? s.pool.maxMint(who) : s.pool.maxRedeem(who);
        bool inShares = kind == 1 || kind == 2;
        c.max = inShares ? c.claimShares : c.claimAssets;
        c.op = ["claimDeposit", "claimMint", "claimRedeem", "claimWithdraw"][kind];
        // Mostly all or part of what is claimable; sometimes zero or more.
        if (amountSeed % 16 == 0) c.amount = 0;
        else if (amountSeed % 8 == 1 || c.max == 0) c.amount = c.max + _bound(amountSeed, 1, 1e12);
        else if (amountSeed % 2 == 0) c.amount = c.max;
        else c.amount = _bound(amountSeed, 1, c.max);
        if (c.amount == 0) c.expected = abi.encodeWithSelector(ILiquidityPool.ZeroAmount.selector);
        else if (c.amount > c.max) {
            c.expected = abi.encodeWithSelector(ILiquidityPool.ExceedsClaimable.selector, who, c.amount, c.max);
        } else if (kind == 0) c.out = (c.amount * c.claimShares) / c.claimAssets;
        else if (kind == 1) c.out = _divUp(c.amount * c.claimAssets, c.claimShares);
        else if (kind == 2) c.out = (c.amount * c.claimAssets) / c.claimShares;
        else c.out = _divUp(c.amount * c.claimShares, c.claimAssets);

        c.tokensBefore = _bal(who);
        c.sharesBefore = s.pool.balanceOf(who);
        c.equity = s.pool.equityAssets();
        try this.claimAs(who, kind, c.amount) returns (uint256 out) {
            if (!_succeeded(c.op, c.expected)) return;
            _check(out == c.out, "REVERT", string.concat(c.op, ": returned amount"));
            (c.assets, c.shares) = kind == 0 || kind == 3 ? (c.amount, out) : (out, c.amount);
            _checkClaim(c);
        } catch (bytes memory err) {
            _reverted(c.op, c.expected, err);
        }
    }

    function _checkClaim(ClaimCase memory c) internal {
        if (c.kind < 2) {
            _check(s.pool.balanceOf(c.who) - c.sharesBefore == c.shares, "INV-2", string.concat(c.op, ": shares"));
            // INV-6: never more shares per asset than the claim's own ratio.
            _check(c.assets * c.claimShares >= c.shares * c.claimAssets, "INV-6", string.concat(c.op, ": rounding"));
        } else {
            _check(_bal(c.who) - c.tokensBefore == c.assets, "INV-2", string.concat(c.op, ": assets paid"));
            _check(c.assets * c.claimShares <= c.shares * c.claimAssets, "INV-6", string.concat(c.op, ": rounding"));
            ghostOut += c.assets;
            exactPoolNum -= int256(c.assets * DEN);
        }
        // Claims move nothing in or out of equity.
        _check(s.pool.equityAssets() == c.equity, "INV-3", string.concat(c.op, ": equity moved"));
    }

    function claimAs(address who, uint256 kind, uint256 amount) external returns (uint256) {
        if (msg.sender != address(this)) revert NotATrader(msg.sender);
        vm.prank(who);
        if (kind == 0) return s.pool.deposit(amount, who, who);
        else if (kind == 1) return s.pool.mint(amount, who, who);
        else if (kind == 2) return s.pool.redeem(amount, who, who);
        else return s.pool.withdraw(amount, who, who);
    }

    /// @notice Claims a cancelled deposit (assets) or redemption (shares) back.
    function claimCancelled(uint256 actorSeed, bool isDeposit) external {
        _tick();
        _claimCancelled(_lpActor(actorSeed), isDeposit);
    }

    function _claimCancelled(address who, bool isDeposit) internal {
        uint256 cancelled =
            isDeposit ? s.pool.claimableCancelDepositRequest(0, who) : s.pool.claimableCancelRedeemRequest(0, who);
        bytes memory expected =
            cancelled == 0 ? abi.encodeWithSelector(ILiquidityPool.ExceedsClaimable.selector, who, 0, 0) : bytes("");
        string memory op = isDeposit ? "claimCancelDeposit" : "claimCancelRedeem";
        uint256 tokensBefore = _bal(who);
        uint256 sharesBefore = s.pool.balanceOf(who);
        uint256 equity = s.pool.equityAssets();
        try this.claimCancelledAs(who, isDeposit) returns (uint256 out) {
            if (!_succeeded(op, expected)) return;
            _check(out == cancelled, "INV-2", string.concat(op, ": amount"));
            if (isDeposit) {
                _check(_bal(who) - tokensBefore == cancelled, "INV-2", string.concat(op, ": assets paid"));
                ghostOut += cancelled;
                exactPoolNum -= int256(cancelled * DEN);
            } else {
                _check(s.pool.balanceOf(who) - sharesBefore == cancelled, "INV-2", string.concat(op, ": shares"));
            }
            _check(s.pool.equityAssets() == equity, "INV-3", string.concat(op, ": equity moved"));
        } catch (bytes memory err) {
            _reverted(op, expected, err);
        }
    }

    function claimCancelledAs(address who, bool isDeposit) external returns (uint256) {
        if (msg.sender != address(this)) revert NotATrader(msg.sender);
        vm.prank(who);
        if (isDeposit) return s.pool.claimCancelDepositRequest(0, who, who);
        else return s.pool.claimCancelRedeemRequest(0, who, who);
    }

    // ================================================================ take profit at the cap

    /// @notice Takes profit on one position (an open one at its cap when there is one, else any id).
    function takeProfit(uint256 idSeed) external {
        _tick();
        uint256 id = _findAtCap(idSeed);
        if (id == 0) {
            id =
                _openIds.length != 0 && idSeed % 4 != 1
                    ? _openIds[idSeed % _openIds.length]
                    : _bound(idSeed, 1, lastId + 1);
        }
        Position memory p = s.engine.position(id);
        CloseCase memory c;
        bytes memory expected;
        uint256 keeperReward;
        if (p.owner == address(0)) {
            expected = abi.encodeWithSelector(IMarginEngine.UnknownPosition.selector, id);
        } else {
            c = _predictTakeProfit(id, p);
            keeperReward = c.vaultBalance - p.collateral;
            expected = c.expected;
        }
        Snapshot memory snap = _snapshot(id);
        Balances memory b = _balances(keeper, id);
        uint256 ownerBefore = _bal(p.owner);
        vm.prank(keeper);
        try s.engine.takeProfit(id) {
            if (!_succeeded("takeProfit", expected)) return;
            Balances memory a = _balances(keeper, id);
            _checkGone(id, "takeProfit");
            _check(a.actor - b.actor == keeperReward, "INV-2", "takeProfit: keeper reward");
            _check(_bal(p.owner) - ownerBefore == c.payout - keeperReward, "INV-2", "takeProfit: owner payout");
            _check(
                a.pool + c.fromPool == b.pool + c.toPool + c.cover,
                "INV-2",
                "takeProfit: pool flow != toPool - fromPool + cover"
            );
            _check(b.insurance - a.insurance == c.cover, "INV-2", "takeProfit: insurance cover");
            ghostOut += c.payout;
            _closeExact(c, s.config.marketParams(p.marketId), int256(a.pool) - int256(b.pool), b.insurance);
            if (c.badDebt != 0) _sawBadDebt();
            _removeOpen(id);
            _checkOthers(snap, "takeProfit");
        } catch (bytes memory err) {
            _reverted("takeProfit", expected, err);
        }
    }

    /// @dev A take-profit is a close at the cap whose vault extras (reserve, donations) go to the executor: `payout`
    /// here is everything the vault pays out (owner and executor), as `_closeExact` expects.
    function _predictTakeProfit(uint256 id, Position memory p) internal view returns (CloseCase memory c) {
        c.id = id;
        c.p = p;
        c.price = s.engine.indexPrice(p.marketId);
        c.indexDelta = s.engine.borrowIndex(p.marketId, p.isLong) - p.borrowIndex;
        int256 uncapped = PositionMath.pnl(p.isLong, p.size, p.entryPrice, c.price, type(uint256).max, SCALE);
        if (uncapped < int256(uint256(p.maxProfit))) {
            c.expected = abi.encodeWithSelector(IMarginEngine.NotAtCap.selector, id, uncapped, uint256(p.maxProfit));
            return c;
        }
        MarketParams memory m = s.config.marketParams(p.marketId);
        uint256 fees =
            PositionMath.borrowFee(p.size, p.entryPrice, c.indexDelta, SCALE) +
                PositionMath.ratioOfNotionalUp(p.size, c.price, m.closeFeeRatio, SCALE);
        uint256 badDebt;
        if (fees > p.maxProfit) {
            uint256 owed = fees - p.maxProfit;
            c.toPool = _min(owed, p.collateral);
            badDebt = owed - c.toPool;
        } else {
            c.fromPool = p.maxProfit - fees;
        }
        c.cover = _min(badDebt, _bal(address(s.insurance)));
        c.vaultBalance = _bal(s.engine.vaultOf(id));
        c.payout = c.vaultBalance - c.toPool + c.fromPool;
        c.badDebt = badDebt;
    }

    function _findAtCap(uint256 seed) internal view returns (uint256) {
        uint256 n = _openIds.length;
        if (seed % 2 == 1) return 0;
        for (uint256 i; i < n; ++i) {
            uint256 id = _openIds[(seed + i) % n];
            Position memory p = s.engine.position(id);
            int256 uncapped = PositionMath.pnl(
                p.isLong,
                p.size,
                p.entryPrice,
                s.engine.indexPrice(p.marketId),
                type(uint256).max,
                SCALE
            );
            if (uncapped >= int256(uint256(p.maxProfit))) return id;
        }
        return 0;
    }

    /// @notice Takes profit on a batch mixing positions at their cap, below it, closed and unknown ids.
    function takeProfitBatch(uint256 seed, uint256 lengthSeed) external {
        _tick();
        uint256 length = _bound(lengthSeed, 1, 5);
        uint256[] memory ids = new uint256[](length);
        for (uint256 i; i < length; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            ids[i] = r % 3 != 0 && _openIds.length != 0 ? _openIds[r % _openIds.length] : _bound(r, 1, lastId + 2);
        }
        // Walk the batch as the engine does: a position taken earlier in the batch is gone when it repeats.
        bool[] memory taken = new bool[](length);
        CloseCase[] memory cases = new CloseCase[](length);
        uint256[] memory insuranceBefore = new uint256[](length);
        uint256 expectedCount;
        uint256 keeperReward;
        uint256 paidOut;
        int256 poolFlow;
        uint256 insurance = _bal(address(s.insurance));
        for (uint256 i; i < length; ++i) {
            Position memory p = s.engine.position(ids[i]);
            if (p.owner == address(0)) continue;
            bool seen;
            for (uint256 j; j < i; ++j) if (ids[j] == ids[i] && taken[j]) seen = true;
            if (seen) continue;
            CloseCase memory c = _predictTakeProfit(ids[i], p);
            if (c.expected.length != 0) continue;
            c.cover = _min(c.badDebt, insurance);
            insuranceBefore[i] = insurance;
            insurance -= c.cover;
            cases[i] = c;
            taken[i] = true;
            ++expectedCount;
            keeperReward += c.vaultBalance - p.collateral;
            paidOut += c.payout;
            poolFlow += int256(c.toPool + c.cover) - int256(c.fromPool);
        }
        Snapshot memory snap = _snapshot(0);
        Balances memory b = _balances(keeper, 0);
        vm.prank(keeper);
        try s.engine.takeProfitBatch(ids) returns (uint256 count) {
            _count("takeProfitBatch.ok");
            callCount[keccak256("takeProfitBatch.taken")] += count;
            _check(count == expectedCount, "REVERT", "takeProfitBatch: count != positions at cap");
            Balances memory a = _balances(keeper, 0);
            _check(a.actor - b.actor == keeperReward, "INV-2", "takeProfitBatch: keeper reward");
            _check(int256(a.pool) - int256(b.pool) == poolFlow, "INV-2", "takeProfitBatch: pool flow");
            for (uint256 i; i < length; ++i) {
                if (!taken[i]) continue;
                _checkGone(ids[i], "takeProfitBatch");
                _removeOpen(ids[i]);
                // The batch's total flows matched the per-position predictions; check each against exact.
                CloseCase memory c = cases[i];
                _closeExact(
                    c,
                    s.config.marketParams(c.p.marketId),
                    int256(c.toPool + c.cover) - int256(c.fromPool),
                    insuranceBefore[i]
                );
                if (c.badDebt != 0) _sawBadDebt();
            }
            ghostOut += paidOut;
            _checkOthers(snap, "takeProfitBatch");
        } catch (bytes memory err) {
            _reverted("takeProfitBatch", "", err);
        }
    }

    /// @notice Moves a position's market to just past the price where its pnl reaches its cap (longs always can;
    /// shorts only when the cap is below their notional), within the simulated range.
    function pushToCap(uint256 idSeed, uint256 bpsSeed) external {
        if (constantPrices || _openIds.length == 0) return _count("pushToCap.skipped");
        _warp(_bound(bpsSeed, 1, 60));
        uint256 id = _openIds[idSeed % _openIds.length];
        Position memory p = s.engine.position(id);
        // pnl = size × (P − entry) reaches cap at P = entry ± cap / size; 0–2 % further.
        uint256 offset = (uint256(p.maxProfit) * SCALE * WAD) / p.size + 1;
        uint256 bps = _bound(bpsSeed, 0, 200);
        uint256 target;
        // Rounded to the feed's 8 decimals past the cap price.
        if (p.isLong) target = _divUp(((p.entryPrice + offset) * (10_000 + bps)) / 10_000, 1e10) * 1e10;
        else if (offset < p.entryPrice) target = (((p.entryPrice - offset) * (10_000 - bps)) / 10_000 / 1e10) * 1e10;
        if (target < initialPrice[p.marketId] / 20 || target > initialPrice[p.marketId] * 20) {
            return _count("pushToCap.skipped");
        }
        (p.marketId == 0 ? s.ethFeed : s.btcFeed).updateAnswer(int256(target / 1e10));
        _count("pushToCap.ok");
    }

    // ================================================================ the attacker

    /// @notice The attacker opens a dummy position (the smallest allowed: minimum collateral, about minimum notional)
    /// to sit in the pool's valuation.
    function attackerDummy(uint256 marketSeed, bool isLong) external {
        _tick();
        uint256 marketId = marketSeed % 2;
        // 2× the minimum notional at 2× leverage: well inside initial margin.
        uint256 notionalWad = 2 * minNotional * SCALE;
        uint256 leverageBps = (notionalWad * 10_000) / (minCollateral * SCALE);
        _open(attacker, marketId, isLong, minCollateral, leverageBps);
    }

    /// @notice The attacker adds margin to one of its positions and takes it back.
    function attackerMarginToggle(uint256 idSeed, uint256 amountSeed) external {
        uint256 n = _openIds.length;
        for (uint256 i; i < n; ++i) {
            uint256 index = (idSeed + i) % n;
            if (s.engine.position(_openIds[index]).owner != attacker) continue;
            // Odd, so that removeMargin's seed takes the same amount back.
            uint256 amount = _bound(amountSeed, 1, 10_000 * USD) | 1;
            this.addMargin(index, amount, 1);
            this.removeMargin(index, amount, 1);
            return;
        }
        _count("attackerMarginToggle.skipped");
    }

    /// @notice The attacker asks to deposit or redeem, and the market moves right after (before anything executes).
    function attackerTimedRequest(uint256 seed, uint256 marketSeed, uint256 bpsSeed) external {
        _tick();
        if (seed % 2 == 0) _requestDeposit(attacker, seed / 2);
        else _requestRedeem(attacker, seed / 2);
        if (!constantPrices) _movePrice(marketSeed % 2, int256(_bound(bpsSeed, 0, 4_000)) - 2_000);
        _count("attackerTimedRequest.ok");
    }

    /// @notice The attacker donates to the pool or to the vault of one of its own positions.
    function attackerDonate(uint256 targetSeed, uint256 amountSeed) external {
        _tick();
        uint256 amount = _bound(amountSeed, 1, 10_000 * USD);
        uint256 id;
        for (uint256 i; i < _openIds.length && targetSeed % 2 == 1; ++i) {
            uint256 candidate = _openIds[(targetSeed + i) % _openIds.length];
            if (s.engine.position(candidate).owner == attacker) id = candidate;
        }
        _mintTo(attacker, amount);
        vm.prank(attacker);
        s.usd.transfer(id == 0 ? address(s.pool) : s.engine.vaultOf(id), amount);
        ghostIn += amount;
        if (id == 0) exactPoolNum += int256(amount * DEN);
        else donationOf[id] += amount;
        _count("attackerDonate.ok");
    }

    // ================================================================ donations

    function donateToVault(uint256 idSeed, uint256 amountSeed) external {
        _tick();
        uint256 id = _bound(idSeed, 1, lastId + 1);
        uint256 amount = _bound(amountSeed, 1, 1_000 * USD);
        Snapshot memory snap = _snapshot(id);
        address vault = s.engine.vaultOf(id);
        _mintTo(donor, amount);
        vm.prank(donor);
        s.usd.transfer(vault, amount);
        donationOf[id] += amount;
        ghostIn += amount;
        if (isOpen(id)) gifted[s.engine.position(id).owner] += amount;
        else if (id > lastId) _giftBeforeOpen[id] += amount;
        _count("donateToVault.ok");
        // A donation is not collateral: the record does not move.
        if (isOpen(id)) _checkVault(id, "donateToVault");
        _checkOthers(snap, "donateToVault");
    }

    function donateToPool(uint256 amountSeed) external {
        _tick();
        uint256 amount = _bound(amountSeed, 1, 50_000 * USD);
        _mintTo(donor, amount);
        vm.prank(donor);
        s.usd.transfer(address(s.pool), amount);
        ghostIn += amount;
        exactPoolNum += int256(amount * DEN);
        _count("donateToPool.ok");
    }

    function donateToInsurance(uint256 amountSeed) external {
        _tick();
        uint256 amount = _bound(amountSeed, 1, 20_000 * USD);
        _mintTo(donor, amount);
        vm.prank(donor);
        s.usd.transfer(address(s.insurance), amount);
        ghostIn += amount;
        _count("donateToInsurance.ok");
    }

    // ================================================================ oracle, time, pause

    /// @notice Moves a market by −20 % to +20 %.
    function movePrice(uint256 marketSeed, uint256 bpsSeed) external {
        if (constantPrices) return _count("movePrice.skipped");
        _movePrice(marketSeed % 2, int256(_bound(bpsSeed, 0, 4_000)) - 2_000);
        _count("movePrice.ok");
    }

    /// @notice Crashes a market by 30 % to 70 %.
    function crash(uint256 marketSeed, uint256 bpsSeed) external {
        if (constantPrices) return _count("crash.skipped");
        _movePrice(marketSeed % 2, -int256(_bound(bpsSeed, 3_000, 7_000)));
        _count("crash.ok");
    }

    /// @notice Rallies a market by 30 % to 150 % (shorts under water, longs into their profit cap).
    function rally(uint256 marketSeed, uint256 bpsSeed) external {
        if (constantPrices) return _count("rally.skipped");
        _movePrice(marketSeed % 2, int256(_bound(bpsSeed, 3_000, 15_000)));
        _count("rally.ok");
    }

    /// @notice Moves a position's market 0.1 % to 3 % past the lens's liquidation price, so that liquidations with
    /// equity left (keeper fee, penalty, owner refund all paid) happen often, and checks the lens: past its liquidation
    /// price a position is liquidatable. (The price ignores the profit cap, which only lowers equity further.)
    function pushToLiquidation(uint256 idSeed, uint256 bpsSeed) external {
        if (constantPrices || _openIds.length == 0) return _count("pushToLiquidation.skipped");
        _warp(_bound(bpsSeed, 1, 60));
        uint256 id = _openIds[idSeed % _openIds.length];
        Position memory p = s.engine.position(id);
        uint256 liquidationPrice = s.lens.liquidationPrice(id);
        uint256 bps = _bound(bpsSeed, 10, 300);
        // Rounded to the feed's 8 decimals away from the boundary.
        uint256 target =
            p.isLong
                ? ((liquidationPrice * (10_000 - bps)) / 10_000 / 1e10) * 1e10
                : _divUp((liquidationPrice * (10_000 + bps)) / 10_000, 1e10) * 1e10;
        if (target < initialPrice[p.marketId] / 20 || target > initialPrice[p.marketId] * 20) {
            return _count("pushToLiquidation.skipped");
        }
        (p.marketId == 0 ? s.ethFeed : s.btcFeed).updateAnswer(int256(target / 1e10));
        _check(value(id).liquidatable, "INV-4", "lens: healthy past its liquidation price");
        _count("pushToLiquidation.ok");
    }

    /// @notice Moves a position's market to the last feed price (8 decimals) at which it is still healthy by the
    /// engine's maths: right on the maintenance boundary, where rounding decides and INV-4 matters most.
    function pushToBoundary(uint256 idSeed) external {
        _tick();
        if (constantPrices || _openIds.length == 0) return _count("pushToBoundary.skipped");
        uint256 id = _openIds[idSeed % _openIds.length];
        Position memory p = s.engine.position(id);
        // Feed ticks (1e10 wei of price) around the lens's liquidation price, within the simulated price range.
        uint256 guess = s.lens.liquidationPrice(id) / 1e10;
        uint256 lo = _max((guess * 95) / 100, initialPrice[p.marketId] / 20 / 1e10);
        uint256 hi = _min((guess * 105) / 100 + 1, (initialPrice[p.marketId] * 20) / 1e10);
        // A long is healthy above the boundary, a short below it: the bracket must straddle it.
        if (lo >= hi || _healthyAt(id, p.isLong ? lo : hi) || !_healthyAt(id, p.isLong ? hi : lo)) {
            return _count("pushToBoundary.skipped");
        }
        // Keep `healthy(good)` and `!healthy(bad)`, and close in.
        (uint256 good, uint256 bad) = p.isLong ? (hi, lo) : (lo, hi);
        while (good > bad ? good - bad > 1 : bad - good > 1) {
            uint256 mid = (good + bad) / 2;
            if (_healthyAt(id, mid)) good = mid;
            else bad = mid;
        }
        (p.marketId == 0 ? s.ethFeed : s.btcFeed).updateAnswer(int256(good));
        _check(!value(id).liquidatable, "INV-4", "pushToBoundary: boundary search");
        _count("pushToBoundary.ok");
    }

    function _healthyAt(uint256 id, uint256 tick) internal view returns (bool) {
        return !_valueAt(id, tick * 1e10).liquidatable;
    }

    /// @notice Lets 1 minute to 45 days pass, with the feeds kept fresh (a round half an hour before the end and one at
    /// the end, so the gap never shows as an outage inside the grace window).
    function passTime(uint256 secondsSeed) external {
        uint256 dt = _bound(secondsSeed, 1 minutes, 45 days);
        if (dt <= REFRESH_AFTER) {
            _warp(dt);
        } else {
            vm.warp(block.timestamp + dt - REFRESH_AFTER);
            _pushRound(0);
            _pushRound(1);
            vm.warp(block.timestamp + REFRESH_AFTER);
            _pushRound(0);
            _pushRound(1);
        }
        _count("passTime.ok");
    }

    /// @notice Pauses for a few calls (the guardian unpauses after PAUSE_CALLS handler calls), or unpauses early.
    function togglePause() external {
        _tick();
        _setPaused(!ghostPaused);
        _count("togglePause.ok");
    }

    function _setPaused(bool paused) internal {
        vm.prank(s.guardian);
        if (paused) s.config.pause();
        else s.config.unpause();
        ghostPaused = paused;
        _pausedCalls = 0;
    }

    function _movePrice(uint256 marketId, int256 bps) internal {
        _warp(_bound(uint256(keccak256(abi.encode(block.timestamp, bps))), 1, 120));
        uint256 price = s.engine.indexPrice(marketId);
        uint256 next = (price * uint256(10_000 + bps)) / 10_000;
        uint256 lo = initialPrice[marketId] / 20;
        uint256 hi = initialPrice[marketId] * 20;
        next =
            next < lo
                ? lo
                : next > hi
                    ? hi
                    : next;
        (marketId == 0 ? s.ethFeed : s.btcFeed).updateAnswer(int256(next / 1e10));
    }

    // ================================================================ internals: time and oracle

    /// @dev A few seconds pass before every call, so borrow fees accrue between operations; a pause is lifted after a
    /// few calls.
    function _tick() internal {
        _checkSharePrice();
        if (ghostPaused && ++_pausedCalls > PAUSE_CALLS) _setPaused(false);
        _warp((uint256(keccak256(abi.encode(block.timestamp, lastId, _openIds.length))) % 30) + 1);
    }

    /// @dev INV-7 at constant prices: the passive LP's share price never fell since the previous call.
    function _checkSharePrice() internal {
        (uint256 assets, uint256 shares) = _sharePrice();
        if (constantPrices) {
            _check(
                assets * lastPriceShares >= lastPriceAssets * shares,
                "INV-7",
                "the passive LP's share price fell at constant prices"
            );
        }
        (lastPriceAssets, lastPriceShares) = (assets, shares);
    }

    function _warp(uint256 dt) internal {
        vm.warp(block.timestamp + dt);
        for (uint256 m; m < 2; ++m) {
            IMockFeed feed = m == 0 ? s.ethFeed : s.btcFeed;
            if (block.timestamp - feed.latestTimestamp() > REFRESH_AFTER) _pushRound(m);
        }
    }

    /// @dev A new round at the current time with the latest answer.
    function _pushRound(uint256 marketId) internal {
        IMockFeed feed = marketId == 0 ? s.ethFeed : s.btcFeed;
        feed.updateAnswer(feed.latestAnswer());
    }

    // ================================================================ internals: outcome checks

    function _succeeded(string memory op, bytes memory expected) internal returns (bool) {
        if (expected.length != 0) {
            _fail("REVERT", string.concat(op, ": succeeded, expected revert ", vm.toString(expected)));
            return false;
        }
        _count(string.concat(op, ".ok"));
        return true;
    }

    function _reverted(string memory op, bytes memory expected, bytes memory err) internal {
        if (keccak256(err) != keccak256(expected)) {
            _fail(
                "REVERT",
                string.concat(op, ": reverted with ", vm.toString(err), ", expected ", vm.toString(expected))
            );
            return;
        }
        _count(string.concat(op, ".reverted"));
        bytes4 selector;
        if (err.length >= 4) {
            // The first word of the revert data starts with the error's selector.
            assembly ("memory-safe") {
                selector := mload(add(err, 32))
            }
        }
        _count(string.concat(op, ".reverted.", vm.toString(abi.encodePacked(selector))));
    }

    function _check(bool ok, string memory invariantId, string memory message) internal {
        if (!ok) _fail(invariantId, message);
    }

    function _fail(string memory invariantId, string memory message) internal {
        bytes32 key = keccak256(bytes(invariantId));
        if (bytes(_violation[key]).length == 0) _violation[key] = string.concat(invariantId, " ", message);
    }

    function _count(string memory what) internal {
        ++callCount[keccak256(bytes(what))];
    }

    // ================================================================ internals: positions

    function _addOpen(uint256 id, uint256 collateral) internal {
        _openIds.push(id);
        _openIndex[id] = _openIds.length;
        expectedCollateral[id] = collateral;
    }

    function _removeOpen(uint256 id) internal {
        uint256 index = _openIndex[id] - 1;
        uint256 last = _openIds[_openIds.length - 1];
        _openIds[index] = last;
        _openIndex[last] = index + 1;
        _openIds.pop();
        delete _openIndex[id];
        delete expectedCollateral[id];
        // A close or liquidation pays out everything the vault held, donations included.
        delete donationOf[id];
    }

    function _checkRecord(uint256 id, Position memory expected, string memory op) internal {
        _check(
            keccak256(abi.encode(s.engine.position(id))) == keccak256(abi.encode(expected)),
            "INV-1",
            string.concat(op, ": position record differs from prediction")
        );
    }

    /// @dev INV-1 for one position: its vault holds its collateral, the keeper reserve and its donations, nothing else.
    function _checkVault(uint256 id, string memory op) internal {
        Position memory p = s.engine.position(id);
        _check(
            _bal(s.engine.vaultOf(id)) == uint256(p.collateral) + keeperReserve + donationOf[id],
            "INV-1",
            string.concat(op, ": vault != collateral + reserve + donations")
        );
        _check(p.collateral == expectedCollateral[id], "INV-1", string.concat(op, ": collateral != ghost"));
    }

    /// @dev INV-4: after a liquidation (or a close) the record is deleted and the vault empty.
    function _checkGone(uint256 id, string memory op) internal {
        _check(s.engine.position(id).owner == address(0), "INV-4", string.concat(op, ": record not deleted"));
        _check(_bal(s.engine.vaultOf(id)) == 0, "INV-4", string.concat(op, ": vault not empty"));
    }

    struct Snapshot {
        uint256[] ids;
        bytes32[] states;
    }

    /// @dev Every other open position's record and vault balance, to prove an operation left them alone.
    function _snapshot(uint256 excluded) internal view returns (Snapshot memory snap) {
        snap.ids = _openIds;
        snap.states = new bytes32[](snap.ids.length);
        for (uint256 i; i < snap.ids.length; ++i) {
            if (snap.ids[i] == excluded) continue;
            snap.states[i] = _state(snap.ids[i]);
        }
    }

    /// @dev INV-1: positions not operated on (and, in a batch, not liquidated) are untouched.
    function _checkOthers(Snapshot memory snap, string memory op) internal {
        for (uint256 i; i < snap.ids.length; ++i) {
            if (snap.states[i] == bytes32(0) || !isOpen(snap.ids[i])) continue;
            _check(
                _state(snap.ids[i]) == snap.states[i],
                "INV-1",
                string.concat(op, ": changed another position's record or vault")
            );
        }
    }

    function _state(uint256 id) internal view returns (bytes32) {
        return keccak256(abi.encode(s.engine.position(id), _bal(s.engine.vaultOf(id))));
    }

    struct Balances {
        uint256 actor;
        uint256 pool;
        uint256 insurance;
        uint256 vault;
    }

    function _balances(address actor, uint256 id) internal view returns (Balances memory b) {
        b.actor = _bal(actor);
        b.pool = _bal(address(s.pool));
        b.insurance = _bal(address(s.insurance));
        if (id != 0) b.vault = _bal(s.engine.vaultOf(id));
    }

    // ================================================================ internals: helpers

    /// @dev The owner, or (one call in sixteen) another trader, to exercise NotPositionOwner.
    function _callerFor(address owner, uint256 seed) internal view returns (address) {
        if (seed % 16 != 0) return owner;
        address other = traders[(seed / 16) % 3];
        return other == owner ? traders[((seed / 16) + 1) % 3] : other;
    }

    function _traderIndex(address who) internal view returns (uint256) {
        for (uint256 t; t < 4; ++t) if (traders[t] == who) return t;
        revert NotATrader(who);
    }

    /// @dev Exact pnl × DEN: size·(price − entry)·W for a long, the negative for a short; gains capped at `cap` units.
    function _exactPnl(
        bool isLong,
        uint256 size,
        uint256 entryPrice,
        uint256 price,
        uint256 cap
    ) internal pure returns (int256 pnl) {
        pnl = (int256(size * price) - int256(size * entryPrice)) * int256(WAD);
        if (!isLong) pnl = -pnl;
        if (pnl > int256(cap * DEN)) pnl = int256(cap * DEN);
    }

    function _approveAll(address who) internal {
        vm.startPrank(who);
        s.usd.approve(address(s.engine), type(uint256).max);
        s.usd.approve(address(s.pool), type(uint256).max);
        vm.stopPrank();
    }

    function _bal(address who) internal view returns (uint256) {
        return s.usd.balanceOf(who);
    }

    function _divUp(uint256 a, uint256 b) internal pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }

    function _max(uint256 a, uint256 b) internal pure returns (uint256) {
        return a > b ? a : b;
    }

    function _minInt(int256 a, int256 b) internal pure returns (int256) {
        return a < b ? a : b;
    }
}

/// @notice The SPEC's invariants (section 1, "Invariants" 1–6) and the engine's open-interest aggregates, checked after
/// every handler call. Each assertion's message starts with the invariant id. Checks that need a call per operation
/// (isolation of the other positions, predicted reverts, exact-arithmetic bounds per payout) run in the handler and
/// are reported here under the same ids.
contract BulkheadInvariantTest is BaseTest {
    uint256 internal constant DEN = 1e18 * 1e18 * 1e12;

    BulkheadHandler internal handler;
    address internal carol = makeAddr("carol");
    address internal lp2 = makeAddr("lp2");
    address internal lp3 = makeAddr("lp3");
    address internal mallory = makeAddr("mallory");

    /// @dev Whether prices stay where they start (INV-7's mode).
    function _constantPrices() internal pure virtual returns (bool) {
        return false;
    }

    function setUp() public override {
        super.setUp();
        handler = new BulkheadHandler(
            System({
                usd: usd,
                engine: engine,
                pool: pool,
                insurance: insurance,
                lens: lens,
                config: config,
                ethFeed: ethFeed,
                btcFeed: btcFeed,
                guardian: guardian
            }),
            [alice, bob, carol],
            [lp2, lp3],
            mallory,
            _constantPrices()
        );
        vm.label(address(handler), "handler");
        // Every run starts with a position on each side of each market, so even short runs act on several positions.
        handler.open(0, 0, true, 2, 60_000); // alice, ETH long, 6×
        handler.open(1, 0, false, 3, 40_000); // bob, ETH short, 4×
        handler.open(2, 1, true, 4, 90_000); // carol, BTC long, 9×
        handler.open(0, 1, false, 5, 20_000); // alice, BTC short, 2×
        assertEq(handler.openIds().length, 4, "setUp: seed positions");
        assertEq(bytes(handler.violation("REVERT")).length, 0, handler.violation("REVERT"));

        bytes4[] memory selectors = new bytes4[](42);
        selectors[0] = BulkheadHandler.open.selector;
        selectors[1] = BulkheadHandler.open.selector; // opens weigh double: positions are what everything else acts on
        selectors[2] = BulkheadHandler.increase.selector;
        selectors[3] = BulkheadHandler.decrease.selector;
        selectors[4] = BulkheadHandler.close.selector;
        selectors[5] = BulkheadHandler.addMargin.selector;
        selectors[6] = BulkheadHandler.removeMargin.selector;
        selectors[7] = BulkheadHandler.liquidate.selector;
        selectors[8] = BulkheadHandler.liquidateBatch.selector;
        selectors[9] = BulkheadHandler.requestDeposit.selector;
        selectors[10] = BulkheadHandler.requestRedeem.selector;
        selectors[11] = BulkheadHandler.cancelRequest.selector;
        selectors[12] = BulkheadHandler.donateToVault.selector;
        selectors[13] = BulkheadHandler.donateToPool.selector;
        selectors[14] = BulkheadHandler.donateToInsurance.selector;
        selectors[15] = BulkheadHandler.movePrice.selector;
        selectors[16] = BulkheadHandler.movePrice.selector;
        selectors[17] = BulkheadHandler.crash.selector;
        selectors[18] = BulkheadHandler.rally.selector;
        selectors[19] = BulkheadHandler.passTime.selector;
        selectors[20] = BulkheadHandler.togglePause.selector;
        selectors[21] = BulkheadHandler.open.selector;
        selectors[22] = BulkheadHandler.pushToLiquidation.selector;
        selectors[23] = BulkheadHandler.pushToLiquidation.selector;
        selectors[24] = BulkheadHandler.liquidate.selector;
        selectors[25] = BulkheadHandler.liquidateBatch.selector;
        selectors[26] = BulkheadHandler.pushToBoundary.selector;
        selectors[27] = BulkheadHandler.pushToBoundary.selector;
        selectors[28] = BulkheadHandler.executeDeposits.selector;
        selectors[29] = BulkheadHandler.executeRedeems.selector;
        selectors[30] = BulkheadHandler.claim.selector;
        selectors[31] = BulkheadHandler.claim.selector;
        selectors[32] = BulkheadHandler.claimCancelled.selector;
        selectors[33] = BulkheadHandler.takeProfit.selector;
        selectors[34] = BulkheadHandler.takeProfitBatch.selector;
        selectors[35] = BulkheadHandler.pushToCap.selector;
        selectors[36] = BulkheadHandler.attackerDummy.selector;
        selectors[37] = BulkheadHandler.attackerMarginToggle.selector;
        selectors[38] = BulkheadHandler.attackerTimedRequest.selector;
        selectors[39] = BulkheadHandler.attackerDonate.selector;
        selectors[40] = BulkheadHandler.requestDeposit.selector;
        selectors[41] = BulkheadHandler.executeRedeems.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    // ================================================================ handler coverage

    /// @notice A scripted pass through every new handler's success path, so that a campaign's silence means the
    /// predictions held, not that the handlers only ever reverted: deposit and redemption from request to claim, a
    /// cancellation and its claim, a take-profit at the cap, and each attacker action.
    function test_handler_lpFlowsTakeProfitAndAttacker_succeedAsPredicted() public {
        uint256 assets = 50_000 * USD + 1; // not ≡ 0 mod 8: a valid request size
        handler.requestDeposit(0, assets);
        handler.passTime(LP_DELAY + 60);
        handler.executeDeposits();
        handler.claim(0, 0, 2); // deposit, everything claimable
        handler.requestRedeem(0, 9); // every share
        handler.passTime(LP_DELAY + 60);
        handler.executeRedeems(1);
        handler.claim(0, 2, 2); // redeem, everything claimable
        handler.requestDeposit(1, assets);
        handler.cancelRequest(1, true);
        handler.claimCancelled(1, true);
        handler.attackerDummy(0, true);
        handler.attackerMarginToggle(0, 100 * USD);
        handler.attackerTimedRequest(2 * assets, 0, 2_000);
        handler.attackerDonate(0, 100 * USD);
        if (!_constantPrices()) {
            handler.pushToCap(0, 100);
            handler.takeProfit(0);
            assertEq(handler.callCount(keccak256("takeProfit.ok")), 1, "takeProfit");
        }
        string[12] memory ops = [
            "requestDeposit.ok",
            "executeDeposits.ok",
            "claimDeposit.ok",
            "requestRedeem.ok",
            "executeRedeems.ok",
            "claimRedeem.ok",
            "cancelDeposit.ok",
            "claimCancelDeposit.ok",
            "open.ok",
            "addMargin.ok",
            "removeMargin.ok",
            "attackerDonate.ok"
        ];
        for (uint256 i; i < ops.length; ++i) assertGt(handler.callCount(keccak256(bytes(ops[i]))), 0, ops[i]);
        assertEq(handler.callCount(keccak256("executeDeposits.executed")), 1, "deposit executed");
        assertEq(handler.callCount(keccak256("executeRedeems.executed")), 1, "redemption executed");
        _assertNoViolation("REVERT");
    }

    // ================================================================ INV-1 isolation

    /// @notice Each open position's vault holds exactly its recorded collateral, the keeper reserve and what was
    /// donated to it; the recorded collateral is what the handler's ghost says it must be; a closed id's vault holds
    /// only donations made after it closed. (The handler also checks that every operation left every other position's
    /// record and vault untouched.)
    function invariant_INV1_isolation() public view {
        _assertNoViolation("INV-1");
        uint256 lastId = handler.lastId();
        for (uint256 id = 1; id <= lastId + 1; ++id) {
            Position memory p = engine.position(id);
            uint256 held = vaultBalance(id);
            if (handler.isOpen(id)) {
                assertEq(held, uint256(p.collateral) + KEEPER_RESERVE + handler.donationOf(id), "INV-1 vault balance");
                assertEq(p.collateral, handler.expectedCollateral(id), "INV-1 recorded collateral");
                assertEq(engine.vaultOf(id).code.length > 0, true, "INV-1 open position without a vault");
            } else {
                assertEq(p.owner, address(0), "INV-1 record of a closed id");
                assertEq(held, handler.donationOf(id), "INV-1 closed vault holds more than later donations");
            }
        }
    }

    // ================================================================ INV-2 conservation

    /// @notice Vaults + pool + insurance fund hold exactly what came in minus what went out; the engine (there is no
    /// separate fee recipient: fees go to the pool) and the lens hold nothing.
    function invariant_INV2_conservation() public view {
        _assertNoViolation("INV-2");
        uint256 held = usd.balanceOf(address(pool)) + usd.balanceOf(address(insurance));
        uint256 lastId = handler.lastId();
        for (uint256 id = 1; id <= lastId + 1; ++id) held += vaultBalance(id);
        assertEq(held, handler.ghostIn() - handler.ghostOut(), "INV-2 system balance != in - out");
        assertEq(usd.balanceOf(address(engine)), 0, "INV-2 engine holds asset");
        assertEq(usd.balanceOf(address(lens)), 0, "INV-2 lens holds asset");
        assertEq(usd.balanceOf(engine.VAULT_IMPLEMENTATION()), 0, "INV-2 vault implementation holds asset");

        // The pool's balance is its equity plus what belongs to LPs' requests: pending deposits, executed redemptions
        // and cancelled deposits not claimed yet. Its own share balance is what it escrows: claimable deposits'
        // shares, pending and cancelled redemptions.
        address[] memory lpActors = _lpActors();
        uint256 outside;
        uint256 escrowed;
        for (uint256 i; i < lpActors.length; ++i) {
            address a = lpActors[i];
            outside +=
                pool.pendingDepositRequest(0, a) +
                pool.maxWithdraw(a) +
                pool.claimableCancelDepositRequest(0, a);
            escrowed += pool.maxMint(a) + pool.pendingRedeemRequest(0, a) + pool.claimableCancelRedeemRequest(0, a);
        }
        assertEq(
            usd.balanceOf(address(pool)),
            pool.equityAssets() + outside,
            "INV-2 pool balance != equity + LP claims"
        );
        assertEq(pool.balanceOf(address(pool)), escrowed, "INV-2 pool's shares != escrowed for LPs");
        uint256 held_;
        for (uint256 i; i < lpActors.length; ++i) held_ += pool.balanceOf(lpActors[i]);
        assertEq(pool.totalSupply(), held_ + escrowed, "INV-2 share supply != held + escrowed");
    }

    /// @dev Every account that can hold LP shares or requests: the fixture's passive LP and the handler's LP actors.
    function _lpActors() internal view returns (address[] memory a) {
        a = new address[](4);
        (a[0], a[1], a[2], a[3]) = (lp, lp2, lp3, mallory);
    }

    // ================================================================ INV-3 solvency

    /// @notice Pool equity (the balance less pending deposits, executed redemptions and cancelled deposits waiting to
    /// be claimed) covers every reserved profit cap, `totalReserved ≤ equityAssets`, and so what closing every position
    /// at once at the current price would take. When it must hold: after every operation, bad debt included.
    /// Reservations grow only through the engine's capacity check against equity (open, increase); equity falls only by
    /// a profit payout, never more than the cap it releases (close, decrease, take-profit, liquidation), or by a
    /// redemption's execution, never more than free liquidity; deposits' execution raises it; requests, claims and
    /// cancellations move nothing in or out of it. Bad debt is where the pool receives less than a position lost, never
    /// where it pays: the spec's "no bad debt" proviso is not needed here. The handler records whether a run saw bad
    /// debt (`badDebtSeen`), so campaigns exercise the statement with and without it.
    function invariant_INV3_solvency() public view {
        _assertNoViolation("INV-3");
        uint256 equity = pool.equityAssets();
        uint256 reserved = engine.totalReserved();
        assertLe(reserved, equity, "INV-3 total reserved > pool equity");
        assertEq(pool.freeLiquidity(), equity - reserved, "INV-3 free liquidity");
        uint256[] memory ids = handler.openIds();
        uint256 owedNow;
        for (uint256 i; i < ids.length; ++i) {
            BulkheadHandler.Valuation memory v = handler.value(ids[i]);
            int256 settlement = v.pnl - int256(v.fees);
            if (settlement > 0) owedNow += uint256(settlement);
        }
        assertGe(equity, owedNow, "INV-3 pool equity cannot pay every position now");
    }

    // ================================================================ INV-4 liquidation

    /// @notice On a state snapshot, for every open position: if the engine's maths (and the lens, checked equal by the
    /// handler) say it is liquidatable, liquidating it succeeds and leaves its vault empty and its record deleted;
    /// otherwise liquidating reverts with NotLiquidatable carrying its equity and maintenance margin.
    function invariant_INV4_liquidatableIffLiquidation() public {
        _assertNoViolation("INV-4");
        uint256[] memory ids = handler.openIds();
        uint256 snapshot = vm.snapshotState();
        for (uint256 i; i < ids.length; ++i) {
            BulkheadHandler.Valuation memory v = handler.value(ids[i]);
            uint256[] memory one = new uint256[](1);
            one[0] = ids[i];
            assertEq(lens.liquidatable(one)[0], v.liquidatable, "INV-4 lens.liquidatable != engine maths");
            vm.prank(keeper);
            try engine.liquidate(ids[i]) {
                assertTrue(v.liquidatable, "INV-4 a healthy position was liquidated");
                assertEq(engine.position(ids[i]).owner, address(0), "INV-4 record not deleted");
                assertEq(vaultBalance(ids[i]), 0, "INV-4 vault not empty");
            } catch (bytes memory err) {
                assertFalse(
                    v.liquidatable,
                    string.concat("INV-4 a liquidatable position could not be liquidated: ", vm.toString(err))
                );
                assertEq(
                    err,
                    abi.encodeWithSelector(IMarginEngine.NotLiquidatable.selector, ids[i], v.equity, v.maintenance),
                    "INV-4 wrong revert for a healthy position"
                );
            }
        }
        vm.revertToState(snapshot);
    }

    // ================================================================ INV-5 owner's exits

    /// @notice On a state snapshot, every owner can add margin and then close (the price is fresh), paused or not,
    /// liquidatable or not; once every position is closed nothing is reserved and no open interest is left.
    function invariant_INV5_ownerCanAlwaysAddMarginAndClose() public {
        _assertNoViolation("INV-5");
        uint256[] memory ids = handler.openIds();
        uint256 snapshot = vm.snapshotState();
        for (uint256 i; i < ids.length; ++i) {
            address owner = engine.position(ids[i]).owner;
            usd.mint(owner, USD);
            vm.prank(owner);
            try engine.addMargin(ids[i], USD) {} catch (bytes memory err) {
                assertTrue(false, string.concat("INV-5 owner could not add margin: ", vm.toString(err)));
            }
            bool isLong = engine.position(ids[i]).isLong;
            vm.prank(owner);
            try engine.close(ids[i], isLong ? 0 : type(uint256).max, block.timestamp) {} catch (bytes memory err) {
                assertTrue(false, string.concat("INV-5 owner could not close: ", vm.toString(err)));
            }
            assertEq(vaultBalance(ids[i]), 0, "INV-5 vault not empty after close");
            assertEq(engine.position(ids[i]).owner, address(0), "INV-5 record not deleted after close");
        }
        assertEq(engine.totalReserved(), 0, "INV-5 reserved left after closing everything");
        assertEq(engine.totalEntryNotional(), 0, "INV-5 entry notional left after closing everything");
        for (uint256 m; m < 2; ++m) {
            assertEq(engine.sideState(m, true).openInterest, 0, "INV-5 long open interest left");
            assertEq(engine.sideState(m, false).openInterest, 0, "INV-5 short open interest left");
        }
        vm.revertToState(snapshot);
    }

    // ================================================================ INV-6 rounding

    /// @notice The pool holds at least what exact arithmetic would have left it with, and callers (closing and
    /// decreasing owners, keepers, margin removers) were paid at most what exact arithmetic would have paid them.
    /// (The handler checks the same per operation, and the LP share conversions against their exact values.)
    function invariant_INV6_noRoundingPaysMoreThanExact() public view {
        _assertNoViolation("INV-6");
        int256 poolExact = handler.exactPoolNum();
        assertGe(int256(usd.balanceOf(address(pool)) * DEN), poolExact, "INV-6 pool below exact arithmetic");
        assertLe(handler.callerPaid() * DEN, handler.callerPaidExactNum(), "INV-6 callers paid above exact");
    }

    // ================================================================ open-interest aggregates

    /// @notice Per market side, open interest and entry notional are the sums over the open positions; total reserved
    /// is the sum of profit caps; total entry notional is the sum of rounded-up entry notionals; every stored record
    /// is one the handler opened and has not seen closed.
    function invariant_aggregatesMatchOpenPositions() public view {
        _assertNoViolation("AGG");
        uint256[] memory ids = handler.openIds();
        uint256[4] memory openInterest;
        uint256[4] memory entryNotional;
        uint256[4] memory collateral;
        uint256[4] memory maxProfit;
        uint256 reserved;
        uint256 totalNotional;
        for (uint256 i; i < ids.length; ++i) {
            Position memory p = engine.position(ids[i]);
            assertTrue(p.owner != address(0), "AGG open id without a record");
            uint256 side = uint256(p.marketId) * 2 + (p.isLong ? 0 : 1);
            uint256 notional = PositionMath.notionalUp(p.size, p.entryPrice);
            openInterest[side] += p.size;
            entryNotional[side] += notional;
            collateral[side] += p.collateral;
            maxProfit[side] += p.maxProfit;
            reserved += p.maxProfit;
            totalNotional += notional;
        }
        for (uint256 side; side < 4; ++side) {
            SideState memory state = engine.sideState(side / 2, side % 2 == 0);
            assertEq(state.openInterest, openInterest[side], "AGG side open interest != sum of sizes");
            assertEq(state.entryNotional, entryNotional[side], "AGG side entry notional != sum of notionalUp");
            assertEq(state.collateral, collateral[side], "AGG side collateral != sum of collateral");
            assertEq(state.maxProfit, maxProfit[side], "AGG side maxProfit != sum of maxProfit");
        }
        assertEq(engine.totalReserved(), reserved, "AGG totalReserved != sum of maxProfit");
        assertEq(engine.totalEntryNotional(), totalNotional, "AGG totalEntryNotional != sum of notionalUp");
        assertEq(engine.nextPositionId(), handler.lastId() + 1, "AGG position ids");
        uint256 stored;
        for (uint256 id = 1; id <= handler.lastId(); ++id) if (engine.position(id).owner != address(0)) ++stored;
        assertEq(stored, ids.length, "AGG stored records != open ids");
    }

    // ================================================================ INV-7 no free value

    /// @notice At constant prices (the derived campaign): no trader ends richer than the asset minted to it, nor does
    /// the group of every actor but the passive LP (traders, the attacker with its dummy positions, margin toggles,
    /// timed LP requests and donations, the keeper, the donor, the active LPs), counting tokens, LP shares at the
    /// share price, pending, claimable and cancelled amounts and position equity; and the passive LP's share price
    /// never falls (checked by the handler at every call). With moving prices the handler checks that every executed
    /// LP request got no more than the fair share price at its execution.
    function invariant_INV7_noFreeValue() public view {
        _assertNoViolation("INV-7");
        if (!handler.constantPrices()) return;
        address[] memory g = handler.group();
        uint256 wealth;
        uint256 minted;
        for (uint256 i; i < g.length; ++i) {
            uint256 w = handler.wealth(g[i]);
            wealth += w;
            minted += handler.minted(g[i]);
            // A trader may only have gained what the donor gave its vaults.
            if (i < 3) {
                assertLe(
                    w,
                    handler.minted(g[i]) + handler.gifted(g[i]),
                    "INV-7 a trader ended richer at constant prices"
                );
            }
        }
        assertLe(wealth, minted, "INV-7 the actors ended richer than they started at constant prices");
        (uint256 assets, uint256 shares) = (pool.totalAssets() + 1, pool.totalSupply() + 1e6);
        assertGe(
            assets * handler.lastPriceShares(),
            handler.lastPriceAssets() * shares,
            "INV-7 the passive LP's share price fell"
        );
    }

    // ================================================================ predicted reverts

    /// @notice Every handler call reverted exactly when predicted, with the predicted custom error and arguments, and
    /// returned what was predicted when it succeeded.
    function invariant_callsBehaveAsPredicted() public view {
        _assertNoViolation("REVERT");
    }

    /// @dev The handler's record for `invariantId` first (so the failure names it), then every other record: each
    /// invariant's campaign also reports what the handler saw break elsewhere.
    function _assertNoViolation(string memory invariantId) internal view {
        _assertNoRecord(invariantId);
        string[8] memory all = ["INV-1", "INV-2", "INV-3", "INV-4", "INV-5", "INV-6", "INV-7", "REVERT"];
        for (uint256 i; i < all.length; ++i) _assertNoRecord(all[i]);
    }

    function _assertNoRecord(string memory invariantId) internal view {
        string memory found = handler.violation(invariantId);
        assertEq(bytes(found).length, 0, found);
    }
}

/// @notice The same campaign with prices that never move: INV-7's setting.
contract BulkheadConstantPriceInvariantTest is BulkheadInvariantTest {
    function _constantPrices() internal pure override returns (bool) {
        return true;
    }
}

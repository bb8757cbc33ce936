// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMockFeed} from "../utils/Artifacts.sol";
import {IAccessManager} from "@openzeppelin/contracts/access/manager/IAccessManager.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";

import {IInsuranceFund} from "../../../contracts/interfaces/IInsuranceFund.sol";
import {Order, Position, SideState} from "../../../contracts/interfaces/IMarginEngine.sol";
import {GlobalParams, MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {ILiquidityPool} from "../../../contracts/interfaces/ILiquidityPool.sol";
import {IMarginEngine} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IRiskConfig} from "../../../contracts/interfaces/IRiskConfig.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @dev A 6-decimal token that burns `feeBps` of every transfer between two accounts once switched on.
contract FeeToken is ERC20 {
    uint256 public feeBps;

    constructor() ERC20("Fee USD", "fUSD") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setFeeBps(uint256 bps) external {
        feeBps = bps;
    }

    function _update(address from, address to, uint256 value) internal override {
        uint256 fee = from != address(0) && to != address(0) ? (value * feeBps) / 10_000 : 0;
        super._update(from, to, value - fee);
        if (fee != 0) super._update(from, address(0), fee);
    }
}

/// @dev Shared helpers of the unit suite: a snapshot of everything an entry point may touch (to prove a rejected call
/// changed nothing), a reference model of the documented maths written out independently of `PositionMath`, and
/// governance / clock helpers.
abstract contract UnitBase is BaseTest {
    uint256 internal constant WAD = 1e18;
    /// @dev USD WAD per asset unit of the 6-decimal stablecoin.
    uint256 internal constant UNIT_SCALE = 1e12;
    /// @dev The fixture's borrow rate, 10 % a year: 0.1e18 / 31_536_000 = 3_170_979_198 (rounded down) per second.
    uint256 internal constant RATE = 3_170_979_198;
    uint256 internal constant GRACE = 600;
    uint256 internal constant HEARTBEAT = 3600;

    address internal carol = makeAddr("carol");

    /// @dev The fixture's LP deposit waits `lpDelay`; both feeds then publish their answer again, so every test starts
    /// with answers of the current block (as live feeds that keep reporting).
    function setUp() public virtual override {
        super.setUp();
        ethFeed.updateAnswer(ethFeed.latestAnswer());
        btcFeed.updateAnswer(btcFeed.latestAnswer());
    }

    /// @dev Gives `setLpParams` and `settleMarket` to the governance role, like the other setters (the fixture leaves
    /// them to the AccessManager's admin). Idempotent.
    function _governLpAndSettlement() internal {
        bytes4[] memory gov = new bytes4[](2);
        gov[0] = IRiskConfig.setLpParams.selector;
        gov[1] = IRiskConfig.settleMarket.selector;
        manager.setTargetFunctionRole(address(config), gov, GOVERNANCE_ROLE);
    }

    /// @dev `RiskBounds.DEAD_FEED_PERIOD`: how long a feed must have been bad before its market may be settled.
    uint256 internal constant DEAD_FEED_PERIOD = 3 days;

    /// @dev Lets the ETH feed go stale for good (BTC keeps reporting) and puts ETH into settlement at its last answer.
    function _settleEth() internal returns (uint256 price) {
        (, , , uint256 updatedAt, ) = ethFeed.latestRoundData();
        vm.warp(updatedAt + HEARTBEAT + DEAD_FEED_PERIOD);
        btcFeed.updateAnswer(btcFeed.latestAnswer());
        _governLpAndSettlement();
        vm.prank(governance);
        config.settleMarket(ETH);
        price = config.settlementPrice(ETH);
    }

    struct Snapshot {
        Position position;
        uint256 vault;
        uint256 pool;
        uint256 insurance;
        uint256 alice;
        uint256 bob;
        uint256 carol;
        uint256 keeper;
        uint256 engineBalance;
        SideState ethLong;
        SideState ethShort;
        SideState btcLong;
        SideState btcShort;
        uint256 totalReserved;
        uint256 totalEntryNotional;
        uint256 nextPositionId;
        uint256 poolShares;
        uint256 longIndex;
        uint256 shortIndex;
        Order order;
        Order close;
        address claimOwner;
        uint256 claimAmount;
        uint256 freeVaults;
    }

    // ------------------------------------------------------------ snapshots

    function _snapshot(uint256 positionId) internal view returns (Snapshot memory s) {
        s.position = engine.position(positionId);
        s.vault = vaultBalance(positionId);
        s.pool = usd.balanceOf(address(pool));
        s.insurance = usd.balanceOf(address(insurance));
        s.alice = usd.balanceOf(alice);
        s.bob = usd.balanceOf(bob);
        s.carol = usd.balanceOf(carol);
        s.keeper = usd.balanceOf(keeper);
        s.engineBalance = usd.balanceOf(address(engine));
        s.ethLong = engine.sideState(ETH, true);
        s.ethShort = engine.sideState(ETH, false);
        s.btcLong = engine.sideState(BTC, true);
        s.btcShort = engine.sideState(BTC, false);
        s.totalReserved = engine.totalReserved();
        s.totalEntryNotional = engine.totalEntryNotional();
        s.nextPositionId = engine.nextPositionId();
        s.poolShares = pool.totalSupply();
        s.longIndex = engine.borrowIndex(ETH, true);
        s.shortIndex = engine.borrowIndex(ETH, false);
        (s.order, s.close) = engine.orders(positionId);
        (s.claimOwner, s.claimAmount) = engine.claimOf(positionId);
        s.freeVaults = engine.freeVaultCount();
    }

    /// @dev Asserts that nothing in `before` changed.
    function _assertUnchanged(Snapshot memory before, uint256 positionId) internal view {
        Snapshot memory a = _snapshot(positionId);
        _assertPosition(a.position, before.position);
        assertEq(a.vault, before.vault, "vault balance changed");
        assertEq(a.pool, before.pool, "pool balance changed");
        assertEq(a.insurance, before.insurance, "insurance balance changed");
        assertEq(a.alice, before.alice, "alice balance changed");
        assertEq(a.bob, before.bob, "bob balance changed");
        assertEq(a.carol, before.carol, "carol balance changed");
        assertEq(a.keeper, before.keeper, "keeper balance changed");
        assertEq(a.engineBalance, before.engineBalance, "engine balance changed");
        _assertSide(a.ethLong, before.ethLong, "eth long");
        _assertSide(a.ethShort, before.ethShort, "eth short");
        _assertSide(a.btcLong, before.btcLong, "btc long");
        _assertSide(a.btcShort, before.btcShort, "btc short");
        assertEq(a.totalReserved, before.totalReserved, "totalReserved changed");
        assertEq(a.totalEntryNotional, before.totalEntryNotional, "totalEntryNotional changed");
        assertEq(a.nextPositionId, before.nextPositionId, "nextPositionId changed");
        assertEq(a.poolShares, before.poolShares, "pool shares changed");
        assertEq(a.longIndex, before.longIndex, "long index changed");
        assertEq(a.shortIndex, before.shortIndex, "short index changed");
        _assertOrder(a.order, before.order, "order");
        _assertOrder(a.close, before.close, "close");
        assertEq(a.claimOwner, before.claimOwner, "claim owner changed");
        assertEq(a.claimAmount, before.claimAmount, "claim changed");
        assertEq(a.freeVaults, before.freeVaults, "free vaults changed");
    }

    function _assertOrder(Order memory a, Order memory b, string memory what) internal pure {
        assertEq(uint8(a.kind), uint8(b.kind), what);
        assertEq(a.roundId, b.roundId, what);
        assertEq(a.requestedAt, b.requestedAt, what);
        assertEq(a.deadline, b.deadline, what);
        assertEq(a.executionFee, b.executionFee, what);
        assertEq(a.sizeDelta, b.sizeDelta, what);
        assertEq(a.acceptablePrice, b.acceptablePrice, what);
        assertEq(a.receiver, b.receiver, what);
        assertEq(a.collateralDelta, b.collateralDelta, what);
    }

    function _assertPosition(Position memory a, Position memory b) internal pure {
        assertEq(a.owner, b.owner, "position.owner");
        assertEq(a.collateral, b.collateral, "position.collateral");
        assertEq(a.size, b.size, "position.size");
        assertEq(a.entryPrice, b.entryPrice, "position.entryPrice");
        assertEq(a.borrowIndex, b.borrowIndex, "position.borrowIndex");
        assertEq(a.maxProfit, b.maxProfit, "position.maxProfit");
        assertEq(a.marketId, b.marketId, "position.marketId");
        assertEq(a.isLong, b.isLong, "position.isLong");
        assertEq(a.vault, b.vault, "position.vault");
        assertEq(a.keeperReserve, b.keeperReserve, "position.keeperReserve");
    }

    /// @dev The position's record is gone and its vault, like every vault no position uses, holds nothing.
    function _assertDeleted(uint256 positionId) internal view {
        _assertDeleted(positionId, 0);
    }

    /// @dev The position's record is gone, and the vaults no position uses hold `donations` in all: what was sent to
    /// vaults beside the engine (the position's own vault is free now, so its records were paid out in full).
    function _assertDeleted(uint256 positionId, uint256 donations) internal view {
        _assertPosition(engine.position(positionId), _emptyPosition());
        assertEq(engine.vaultOf(positionId), address(0), "vault still assigned");
        assertEq(_freeVaultsBalance(), donations, "a free vault holds more than its donations");
    }

    /// @dev The asset held by every vault the engine has cloned that no position (open or pending) uses. Clones are
    /// the engine's creations after its vault implementation (nonce 1).
    function _freeVaultsBalance() internal view returns (uint256 total) {
        uint256 lastId = engine.nextPositionId() - 1;
        uint256 nonce = vm.getNonce(address(engine));
        for (uint256 n = 2; n < nonce; ++n) {
            address vault = vm.computeCreateAddress(address(engine), n);
            bool used;
            for (uint256 id = 1; id <= lastId && !used; ++id) used = engine.vaultOf(id) == vault;
            if (!used) total += usd.balanceOf(vault);
        }
    }

    function _emptyPosition() internal pure returns (Position memory p) {}

    function _assertSide(SideState memory a, SideState memory b, string memory what) internal pure {
        assertEq(a.openInterest, b.openInterest, string.concat(what, ": openInterest"));
        assertEq(a.entryNotional, b.entryNotional, string.concat(what, ": entryNotional"));
    }

    /// @dev The side's margin sums: recorded collateral and profit caps, asset units.
    function _assertSideMargin(
        SideState memory side,
        uint256 collateral,
        uint256 maxProfit,
        string memory what
    ) internal pure {
        assertEq(side.collateral, collateral, string.concat(what, ": collateral"));
        assertEq(side.maxProfit, maxProfit, string.concat(what, ": maxProfit"));
    }

    function _side(uint256 oi, uint256 notional) internal pure returns (SideState memory) {
        return
            SideState({
                openInterest: uint128(oi),
                entryNotional: uint128(notional),
                collateral: 0,
                maxProfit: 0,
                feeDebt: 0
            });
    }

    // ------------------------------------------------------------ reference maths (independent of PositionMath)

    function _ceilDiv(uint256 a, uint256 b) internal pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }

    /// @dev size × price, USD WAD, rounded up.
    function _notionalUp(uint256 size, uint256 price) internal pure returns (uint256) {
        return _ceilDiv(size * price, WAD);
    }

    /// @dev ratio × notional in asset units, every step rounded up (fees owed, margin required).
    function _ratioUp(uint256 size, uint256 price, uint256 ratio) internal pure returns (uint256) {
        return _ceilDiv(_ceilDiv(_notionalUp(size, price) * ratio, WAD), UNIT_SCALE);
    }

    /// @dev ratio × notional in asset units, every step rounded down (rewards paid).
    function _ratioDown(uint256 size, uint256 price, uint256 ratio) internal pure returns (uint256) {
        return (((size * price) / WAD) * ratio) / WAD / UNIT_SCALE;
    }

    /// @dev Borrow fee owed, asset units, rounded up.
    function _borrowFee(uint256 size, uint256 entryPrice, uint256 indexDelta) internal pure returns (uint256) {
        return _ceilDiv(_ceilDiv(_notionalUp(size, entryPrice) * indexDelta, WAD), UNIT_SCALE);
    }

    /// @dev pnl in asset units: gains rounded down and capped, losses rounded up.
    function _pnl(bool isLong, uint256 size, uint256 entry, uint256 price, uint256 cap) internal pure returns (int256) {
        bool gain = isLong ? price > entry : price < entry;
        uint256 diff = price > entry ? price - entry : entry - price;
        if (gain) {
            uint256 g = (size * diff) / WAD / UNIT_SCALE;
            return int256(g < cap ? g : cap);
        }
        return -int256(_ceilDiv(_ceilDiv(size * diff, WAD), UNIT_SCALE));
    }

    // ------------------------------------------------------------ governance

    function _setGlobal(GlobalParams memory params) internal {
        vm.prank(governance);
        config.setGlobalParams(params);
    }

    function _setMarket(uint256 marketId, MarketParams memory params) internal {
        vm.prank(governance);
        config.setMarketParams(marketId, params);
    }

    function _params(uint256 marketId) internal view returns (MarketParams memory) {
        return config.marketParams(marketId);
    }

    function _pause() internal {
        vm.prank(guardian);
        config.pause();
    }

    // ------------------------------------------------------------ clock and prices

    /// @dev The ETH feed's next round, a second later, at `price`: the execution round of every order requested before.
    function _publish(uint256 price) internal {
        vm.warp(block.timestamp + 1);
        setPrice(ETH, price);
    }

    /// @dev The keeper executes the position's next pending order.
    function _execute(uint256 positionId) internal {
        vm.prank(keeper);
        engine.executeOrder(positionId);
    }

    function _feed(uint256 marketId) internal view returns (IMockFeed) {
        return marketId == ETH ? ethFeed : btcFeed;
    }

    /// @dev Moves time forward by `duration` while both feeds keep reporting, as live feeds do: for a jump longer than
    /// the heartbeat, each feed publishes its current answer `GRACE` seconds before the end, so prices are fresh and
    /// no post-outage grace period is running at the end.
    function _skip(uint256 duration) internal {
        if (duration > HEARTBEAT) {
            vm.warp(block.timestamp + duration - GRACE);
            ethFeed.updateAnswer(ethFeed.latestAnswer());
            btcFeed.updateAnswer(btcFeed.latestAnswer());
            vm.warp(block.timestamp + GRACE);
        } else {
            vm.warp(block.timestamp + duration);
        }
    }

    // ------------------------------------------------------------ trading shortcuts

    function _open(address who, bool isLong, uint256 size, uint256 collateral) internal returns (uint256) {
        return openPosition(who, ETH, isLong, size, collateral);
    }

    /// @dev The standard position of the suite: alice long 1 ETH at 3,000 with 600 USD (5× leverage).
    function _openStandardLong() internal returns (uint256) {
        return openPosition(alice, ETH, true, 1e18, 600 * USD);
    }

    /// @dev alice short 1 ETH at 3,000 with 600 USD.
    function _openStandardShort() internal returns (uint256) {
        return openPosition(alice, ETH, false, 1e18, 600 * USD);
    }

    /// @dev The latest deadline an order may carry (the market's `maxOrderWait` from now).
    function _deadline() internal view returns (uint256) {
        return block.timestamp + MAX_ORDER_WAIT;
    }

    function _ids(uint256 a) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](1);
        ids[0] = a;
    }

    function _ids(uint256 a, uint256 b) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](2);
        ids[0] = a;
        ids[1] = b;
    }

    function _ids(uint256 a, uint256 b, uint256 c) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](3);
        ids[0] = a;
        ids[1] = b;
        ids[2] = c;
    }

    // ------------------------------------------------------------ a second system on a fee-on-transfer token

    struct FeeSystem {
        FeeToken token;
        IMarginEngine engine;
        ILiquidityPool pool;
    }

    /// @dev A full system on `FeeToken` (fee off), the ETH market listed, 1M of LP liquidity, alice funded and
    /// approved. The test contract is the IAccessManager admin, which may call every unconfigured (admin) function.
    function _deployFeeSystem() internal returns (FeeSystem memory s) {
        s.token = new FeeToken();
        IAccessManager m = deployAccessManager(address(this));
        IRiskConfig c = deployRiskConfig(address(m), address(s.token), defaultGlobalParams());
        s.pool = deployPool(address(s.token), address(c), "fee LP", "fLP");
        IInsuranceFund f = deployInsuranceFund(address(s.token));
        s.engine = deployEngine(address(s.token), address(s.pool), address(f), address(c));
        s.pool.bindEngine(address(s.engine));
        f.bindEngine(address(s.engine));
        c.bindEngine(address(s.engine));
        c.listMarket(defaultMarketParams(address(ethFeed)));

        // The LP's deposit goes through the asynchronous flow: request, `lpDelay`, execution, claim.
        s.token.mint(lp, POOL_LIQUIDITY);
        vm.startPrank(lp);
        s.token.approve(address(s.pool), POOL_LIQUIDITY);
        s.pool.requestDeposit(POOL_LIQUIDITY, lp, lp);
        vm.stopPrank();
        vm.warp(block.timestamp + LP_DELAY);
        ethFeed.updateAnswer(ethFeed.latestAnswer());
        btcFeed.updateAnswer(btcFeed.latestAnswer());
        address[] memory controllers = new address[](1);
        controllers[0] = lp;
        s.pool.executeDeposits(controllers);
        vm.prank(lp);
        s.pool.deposit(POOL_LIQUIDITY, lp, lp);

        s.token.mint(alice, 10_000 * USD);
        vm.prank(alice);
        s.token.approve(address(s.engine), type(uint256).max);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IAccessManager} from "@openzeppelin/contracts/access/manager/IAccessManager.sol";
import {Test} from "./LeanTest.sol";

import {IBulkheadLens} from "../../../contracts/interfaces/IBulkheadLens.sol";
import {IInsuranceFund} from "../../../contracts/interfaces/IInsuranceFund.sol";
import {ILiquidityPool} from "../../../contracts/interfaces/ILiquidityPool.sol";
import {IMarginEngine, Position} from "../../../contracts/interfaces/IMarginEngine.sol";
import {GlobalParams, IRiskConfig, LpParams, MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {Artifacts, IMockFeed, ITestStablecoin} from "./Artifacts.sol";

/// @dev Deploys a full Bulkhead system: 6-decimal stablecoin, ETH and BTC Chainlink mocks, 1M USD of LP liquidity.
abstract contract BaseTest is Test {
    uint64 internal constant GOVERNANCE_ROLE = 1;
    uint64 internal constant GUARDIAN_ROLE = 2;

    uint256 internal constant USD = 1e6;
    uint256 internal constant ETH_PRICE = 3_000e18;
    uint256 internal constant BTC_PRICE = 60_000e18;
    uint256 internal constant ETH = 0;
    uint256 internal constant BTC = 1;
    uint256 internal constant MIN_COLLATERAL = 10 * USD;
    uint256 internal constant KEEPER_RESERVE = 5 * USD;
    uint256 internal constant POOL_LIQUIDITY = 1_000_000 * USD;
    uint256 internal constant MIN_NOTIONAL = 10 * USD;
    /// @dev LP requests wait 5 minutes; executions wait 12 s after a round and 5 minutes after a grace period.
    uint256 internal constant LP_DELAY = 300;
    uint256 internal constant LP_SETTLE = 12;
    uint256 internal constant LP_RESUME = 300;
    uint256 internal constant MIN_REQUEST = 10 * USD;
    /// @dev Orders execute within a minute of their round and wait at most the heartbeat plus a minute for it.
    uint256 internal constant MAX_EXECUTION_DELAY = 60;
    uint256 internal constant MAX_ORDER_WAIT = 3600 + 60;
    /// @dev No order execution fee by default (round balances); order tests set their own.
    uint256 internal constant EXECUTION_FEE = 0;

    address internal governance = makeAddr("governance");
    address internal guardian = makeAddr("guardian");
    address internal lp = makeAddr("lp");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal keeper = makeAddr("keeper");

    IAccessManager internal manager;
    ITestStablecoin internal usd;
    IMockFeed internal ethFeed;
    IMockFeed internal btcFeed;
    IRiskConfig internal config;
    ILiquidityPool internal pool;
    IInsuranceFund internal insurance;
    IMarginEngine internal engine;
    IBulkheadLens internal lens;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        manager = deployAccessManager(address(this));
        usd = ITestStablecoin(Artifacts.deploy(Artifacts.TEST_STABLECOIN, ""));
        ethFeed = deployFeed(8, int256(ETH_PRICE / 1e10));
        btcFeed = deployFeed(8, int256(BTC_PRICE / 1e10));
        config = deployRiskConfig(address(manager), address(usd), defaultGlobalParams());
        pool = deployPool(address(usd), address(config), "Bulkhead LP tUSD", "bhLP");
        insurance = deployInsuranceFund(address(usd));
        engine = deployEngine(address(usd), address(pool), address(insurance), address(config));
        lens = deployLens(address(engine), address(usd));
        pool.bindEngine(address(engine));
        insurance.bindEngine(address(engine));
        config.bindEngine(address(engine));
        _setRoles();

        vm.startPrank(governance);
        config.listMarket(defaultMarketParams(address(ethFeed)));
        config.listMarket(defaultMarketParams(address(btcFeed)));
        vm.stopPrank();

        deposit(lp, POOL_LIQUIDITY);
        vm.label(address(engine), "engine");
        vm.label(address(pool), "pool");
        vm.label(address(insurance), "insurance");
        vm.label(address(usd), "tUSD");
    }

    function _setRoles() internal {
        bytes4[] memory gov = new bytes4[](6);
        gov[0] = IRiskConfig.listMarket.selector;
        gov[1] = IRiskConfig.setMarketParams.selector;
        gov[2] = IRiskConfig.setGlobalParams.selector;
        gov[3] = IRiskConfig.setSequencerFeed.selector;
        gov[4] = IRiskConfig.setLpParams.selector;
        gov[5] = IRiskConfig.settleMarket.selector;
        manager.setTargetFunctionRole(address(config), gov, GOVERNANCE_ROLE);
        bytes4[] memory guard = new bytes4[](2);
        guard[0] = IRiskConfig.pause.selector;
        guard[1] = IRiskConfig.unpause.selector;
        manager.setTargetFunctionRole(address(config), guard, GUARDIAN_ROLE);
        manager.grantRole(GOVERNANCE_ROLE, governance, 0);
        manager.grantRole(GUARDIAN_ROLE, guardian, 0);
    }

    function defaultGlobalParams() internal pure returns (GlobalParams memory) {
        return
            GlobalParams({
                minCollateral: uint80(MIN_COLLATERAL),
                keeperReserve: uint80(KEEPER_RESERVE),
                maxUtilization: 5e18,
                liquidationGracePeriod: 600,
                minNotional: uint80(MIN_NOTIONAL),
                maxExecutionDelay: uint32(MAX_EXECUTION_DELAY),
                minExecutionFee: 0
            });
    }

    /// @dev No execution fee by default, so that pool balances in tests are round numbers.
    function defaultLpParams() internal pure returns (LpParams memory) {
        return
            LpParams({
                lpDelay: uint32(LP_DELAY),
                lpSettle: uint32(LP_SETTLE),
                lpResume: uint32(LP_RESUME),
                minRequest: uint80(MIN_REQUEST),
                executionFee: 0
            });
    }

    function defaultMarketParams(address feed) internal pure returns (MarketParams memory) {
        return
            MarketParams({
                feed: AggregatorV3Interface(feed),
                heartbeat: 3600,
                feedDecimals: 8,
                imr: 0.1e18,
                mmr: 0.05e18,
                liqFeeRatio: 0.01e18,
                liqPenaltyRatio: 0.01e18,
                openFeeRatio: 0.001e18,
                closeFeeRatio: 0.001e18,
                maxProfitRatio: 9e18,
                maxProfitNotionalRatio: 1e18,
                borrowRateLong: uint64(uint256(0.1e18) / 365 days),
                borrowRateShort: uint64(uint256(0.1e18) / 365 days),
                maxOpenInterestLong: 50_000_000e18,
                maxOpenInterestShort: 50_000_000e18,
                maxOrderWait: uint32(MAX_ORDER_WAIT)
            });
    }

    // ------------------------------------------------------------ deployment (from the compiled artifacts)

    function deployAccessManager(address admin) internal returns (IAccessManager) {
        return IAccessManager(Artifacts.deploy(Artifacts.ACCESS_MANAGER, abi.encode(admin)));
    }

    function deployFeed(uint8 decimals, int256 answer) internal returns (IMockFeed) {
        return IMockFeed(Artifacts.deploy(Artifacts.MOCK_FEED, abi.encode(decimals, answer)));
    }

    function deployRiskConfig(
        address authority,
        address asset,
        GlobalParams memory global
    ) internal returns (IRiskConfig) {
        return deployRiskConfig(authority, asset, global, defaultLpParams());
    }

    function deployRiskConfig(
        address authority,
        address asset,
        GlobalParams memory global,
        LpParams memory lp
    ) internal returns (IRiskConfig) {
        return IRiskConfig(Artifacts.deploy(Artifacts.RISK_CONFIG, abi.encode(authority, asset, global, lp)));
    }

    function deployPool(
        address asset,
        address config_,
        string memory name,
        string memory symbol
    ) internal returns (ILiquidityPool) {
        return ILiquidityPool(Artifacts.deploy(Artifacts.LIQUIDITY_POOL, abi.encode(asset, config_, name, symbol)));
    }

    function deployInsuranceFund(address asset) internal returns (IInsuranceFund) {
        return IInsuranceFund(Artifacts.deploy(Artifacts.INSURANCE_FUND, abi.encode(asset)));
    }

    function deployEngine(
        address asset,
        address pool_,
        address insurance_,
        address config_
    ) internal returns (IMarginEngine) {
        bytes memory args = abi.encode(asset, pool_, insurance_, config_);
        address orders = Artifacts.deploy(Artifacts.ORDER_MODULE, args);
        address liquidations = Artifacts.deploy(Artifacts.LIQUIDATION_MODULE, args);
        return
            IMarginEngine(
                Artifacts.deploy(Artifacts.MARGIN_ENGINE, bytes.concat(args, abi.encode(orders, liquidations)))
            );
    }

    function deployLens(address engine_, address asset) internal returns (IBulkheadLens) {
        return IBulkheadLens(Artifacts.deploy(Artifacts.LENS, abi.encode(engine_, asset)));
    }

    // ------------------------------------------------------------ actions

    /// @dev The whole life of an LP deposit: request, wait `lpDelay`, execution by a keeper, claim.
    function deposit(address who, uint256 assets) internal returns (uint256 shares) {
        requestDeposit(who, assets);
        vm.warp(block.timestamp + LP_DELAY);
        executeDeposit(who);
        uint256 claimable = pool.maxDeposit(who);
        vm.prank(who);
        shares = pool.deposit(claimable, who, who);
    }

    function requestDeposit(address who, uint256 assets) internal {
        usd.mint(who, assets);
        vm.startPrank(who);
        usd.approve(address(pool), assets);
        pool.requestDeposit(assets, who, who);
        vm.stopPrank();
    }

    function executeDeposit(address who) internal {
        address[] memory controllers = new address[](1);
        controllers[0] = who;
        vm.prank(keeper);
        pool.executeDeposits(controllers);
    }

    /// @dev The whole life of an LP redemption: request, wait `lpDelay`, execution by a keeper, claim.
    function redeem(address who, uint256 shares) internal returns (uint256 assets) {
        vm.prank(who);
        pool.requestRedeem(shares, who, who);
        vm.warp(block.timestamp + LP_DELAY);
        vm.prank(keeper);
        pool.executeRedeems(type(uint256).max);
        uint256 claimable = pool.maxRedeem(who);
        vm.prank(who);
        assets = pool.redeem(claimable, who, who);
    }

    /// @dev Opens a position through the two steps: mints and approves what the request escrows (collateral plus the
    /// opening fee at the current price, so that the recorded collateral is `collateral`; keeper reserve), requests,
    /// then lets a keeper execute it at a new round one second later at the same price.
    function openPosition(
        address who,
        uint256 marketId,
        bool isLong,
        uint256 size,
        uint256 collateral
    ) internal returns (uint256 positionId) {
        positionId = requestOpen(who, marketId, isLong, size, collateral + openFeeOf(marketId, size));
        executeAt(positionId, marketId, currentPrice(marketId));
        require(positionOf(positionId).size == size, "BaseTest: open did not execute");
    }

    /// @dev Requests an open (any price, the longest deadline, `EXECUTION_FEE`), funding `who` for it.
    function requestOpen(
        address who,
        uint256 marketId,
        bool isLong,
        uint256 size,
        uint256 collateral
    ) internal returns (uint256 positionId) {
        fund(who, collateral + KEEPER_RESERVE + EXECUTION_FEE);
        vm.prank(who);
        positionId = engine.requestOpen(
            marketId,
            isLong,
            size,
            collateral,
            isLong ? type(uint128).max : 0,
            block.timestamp + MAX_ORDER_WAIT,
            EXECUTION_FEE
        );
    }

    /// @dev Closes through the two steps at the current price (a new round one second later); pays `receiver`.
    function closePosition(uint256 positionId, address receiver) internal {
        Position memory p = positionOf(positionId);
        requestClose(positionId, receiver);
        executeAt(positionId, p.marketId, currentPrice(p.marketId));
    }

    /// @dev Closes through the two steps at `price`.
    function closePositionAt(uint256 positionId, uint256 price) internal {
        Position memory p = positionOf(positionId);
        requestClose(positionId, p.owner);
        executeAt(positionId, p.marketId, price);
    }

    function requestClose(uint256 positionId, address receiver) internal {
        Position memory p = positionOf(positionId);
        fund(p.owner, EXECUTION_FEE);
        vm.prank(p.owner);
        engine.requestClose(
            positionId,
            p.isLong ? 0 : type(uint128).max,
            block.timestamp + MAX_ORDER_WAIT,
            EXECUTION_FEE,
            receiver
        );
    }

    /// @dev Adds size (and collateral) through the two steps at the current price.
    function increasePosition(uint256 positionId, uint256 sizeDelta, uint256 collateralDelta) internal {
        Position memory p = positionOf(positionId);
        fund(p.owner, collateralDelta + EXECUTION_FEE);
        vm.prank(p.owner);
        engine.requestIncrease(
            positionId,
            sizeDelta,
            collateralDelta,
            p.isLong ? type(uint128).max : 0,
            block.timestamp + MAX_ORDER_WAIT,
            EXECUTION_FEE
        );
        executeAt(positionId, p.marketId, currentPrice(p.marketId));
    }

    /// @dev Removes size through the two steps at the current price; pays the owner.
    function decreasePosition(uint256 positionId, uint256 sizeDelta) internal {
        Position memory p = positionOf(positionId);
        fund(p.owner, EXECUTION_FEE);
        vm.prank(p.owner);
        engine.requestDecrease(
            positionId,
            sizeDelta,
            p.isLong ? 0 : type(uint128).max,
            block.timestamp + MAX_ORDER_WAIT,
            EXECUTION_FEE,
            p.owner
        );
        executeAt(positionId, p.marketId, currentPrice(p.marketId));
    }

    /// @dev Publishes a round at `price` one second later (so it is observed after any request made now), then a
    /// keeper executes the position's pending orders.
    function executeAt(uint256 positionId, uint256 marketId, uint256 price) internal {
        vm.warp(block.timestamp + 1);
        setPrice(marketId, price);
        vm.prank(keeper);
        engine.executeOrder(positionId);
    }

    /// @dev The opening fee of `size` at the market's current price, asset units (rounded up like the engine).
    function openFeeOf(uint256 marketId, uint256 size) internal view returns (uint256) {
        uint256 notional = size * currentPrice(marketId);
        uint256 scaled = 1e18 * 1e18 * 1e12;
        return (notional * 0.001e18 + scaled - 1) / scaled;
    }

    /// @dev The market's latest answer as a USD WAD price.
    function currentPrice(uint256 marketId) internal view returns (uint256) {
        return uint256((marketId == ETH ? ethFeed : btcFeed).latestAnswer()) * 1e10;
    }

    function fund(address who, uint256 amount) internal {
        usd.mint(who, amount);
        vm.prank(who);
        usd.approve(address(engine), type(uint256).max);
    }

    /// @dev Sets a market's price (USD WAD), as a new Chainlink round at the current time.
    function setPrice(uint256 marketId, uint256 price) internal {
        (marketId == ETH ? ethFeed : btcFeed).updateAnswer(int256(price / 1e10));
    }

    function positionOf(uint256 positionId) internal view returns (Position memory) {
        return engine.position(positionId);
    }

    function vaultBalance(uint256 positionId) internal view returns (uint256) {
        return usd.balanceOf(engine.vaultOf(positionId));
    }

    /// @dev Asset held by every part of the system: vaults of the given ids, pool, insurance fund.
    function systemBalance(uint256[] memory positionIds) internal view returns (uint256 total) {
        total = usd.balanceOf(address(pool)) + usd.balanceOf(address(insurance));
        for (uint256 i; i < positionIds.length; ++i) total += vaultBalance(positionIds[i]);
    }
}

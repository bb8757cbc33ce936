// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

import {IEngineBound} from "./IEngineBound.sol";

/// @notice Per-market risk parameters. Ratios are WAD (1e18 = 100 %); rates are WAD per second.
struct MarketParams {
    /// @dev Chainlink feed quoting USD per index token.
    AggregatorV3Interface feed;
    /// @dev Seconds after which the feed's answer is stale.
    uint32 heartbeat;
    /// @dev The feed's `decimals()`; checked against the feed when set.
    uint8 feedDecimals;
    /// @dev Initial margin ratio, 1 / max leverage.
    uint64 imr;
    /// @dev Maintenance margin ratio; liquidatable iff equity < mmr × notional.
    uint64 mmr;
    /// @dev Share of notional paid to the liquidator, on top of the keeper reserve.
    uint64 liqFeeRatio;
    /// @dev Share of notional paid to the insurance fund on liquidation.
    uint64 liqPenaltyRatio;
    /// @dev Fee on notional opened (open, increase), paid to the pool.
    uint64 openFeeRatio;
    /// @dev Fee on notional closed (decrease, close), paid to the pool.
    uint64 closeFeeRatio;
    /// @dev A position's profit is capped at maxProfitRatio × collateral ...
    uint64 maxProfitRatio;
    /// @dev ... and at maxProfitNotionalRatio × entry notional (at most 100 %), so a tiny position with a large
    /// collateral cannot reserve the pool.
    uint64 maxProfitNotionalRatio;
    /// @dev Borrow fee rate of longs, WAD per second of entry notional.
    uint64 borrowRateLong;
    /// @dev Borrow fee rate of shorts, WAD per second of entry notional.
    uint64 borrowRateShort;
    /// @dev Cap on the longs' entry notional, USD WAD.
    uint128 maxOpenInterestLong;
    /// @dev Cap on the shorts' entry notional, USD WAD.
    uint128 maxOpenInterestShort;
    /// @dev Longest an order may wait for its execution round, seconds (the feed's heartbeat plus a margin): an order
    /// whose round has not been observed by then is cancelled with a full refund.
    uint32 maxOrderWait;
}

/// @notice Engine-wide parameters.
struct GlobalParams {
    /// @dev Smallest collateral a position may hold, in asset units.
    uint80 minCollateral;
    /// @dev Fixed deposit paid with every open; returned on close, paid to the liquidator otherwise. Asset units.
    uint80 keeperReserve;
    /// @dev Bound on the entry notional of all positions, as a WAD share of the pool's assets.
    uint64 maxUtilization;
    /// @dev Seconds after an oracle or sequencer outage during which liquidations wait.
    uint32 liquidationGracePeriod;
    /// @dev Smallest notional a position may have, in asset units (USD), so that no position is too small to be worth
    /// liquidating or cheap to use as a lever on the pool's valuation.
    uint80 minNotional;
    /// @dev Seconds after its execution round's update during which an order may execute; later it is cancelled.
    uint32 maxExecutionDelay;
    /// @dev Smallest execution fee an order must carry, asset units.
    uint80 minExecutionFee;
}

/// @notice Parameters of the LP pool's asynchronous requests.
struct LpParams {
    /// @dev Seconds a request waits before anyone may execute it; it may be cancelled only during this time.
    uint32 lpDelay;
    /// @dev No request executes within this many seconds of a new round in any market with open interest.
    uint32 lpSettle;
    /// @dev No request executes within this many seconds after a post-outage grace period ends.
    uint32 lpResume;
    /// @dev Smallest request, asset units (a redemption is measured by its shares' value at the cached price).
    uint80 minRequest;
    /// @dev Paid by the requester with each request, to whoever executes it; asset units.
    uint80 executionFee;
}

/// @title Bulkhead risk configuration
/// @notice Per-market and engine-wide parameters, each within bounds hard-coded in {RiskBounds}; the pause flag; the
/// optional L2 sequencer-uptime feed. Setters are `restricted` through an OpenZeppelin AccessManager: the governance
/// role (a timelock, or an execution delay, in deployments) sets parameters; the guardian role pauses and unpauses.
interface IRiskConfig is IEngineBound {
    /// @notice The market id is not listed.
    error UnknownMarket(uint256 marketId);
    /// @notice A parameter lies outside its hard-coded bounds.
    error ParameterOutOfBounds(bytes32 name, uint256 value, uint256 min, uint256 max);
    /// @notice No more markets can be listed.
    error TooManyMarkets();
    /// @notice The market's feed has not been bad for long enough to settle the market.
    error FeedNotDead(uint256 marketId, uint256 badSince, uint256 settleableAt);
    /// @notice The market is in settlement: no new positions or increases, parameters frozen.
    error MarketSettled(uint256 marketId);
    /// @notice No good answer could be found in the feed's recent history.
    error NoGoodAnswer(uint256 marketId);

    event MarketListed(uint256 indexed marketId, MarketParams params);
    event MarketParamsUpdated(uint256 indexed marketId, MarketParams params);
    event GlobalParamsUpdated(GlobalParams params);
    event SequencerFeedUpdated(address feed);
    event LpParamsUpdated(LpParams params);
    /// @notice The market's dead feed was replaced by its last good answer, for good.
    event MarketSettlementStarted(uint256 indexed marketId, uint256 price, uint80 roundId);

    /// @notice Lists a market; every parameter within bounds. Governance role.
    function listMarket(MarketParams calldata params) external returns (uint256 marketId);

    /// @notice Replaces a market's parameters, after accruing its borrow fees at the old rates. Governance role.
    function setMarketParams(uint256 marketId, MarketParams calldata params) external;

    /// @notice Replaces the engine-wide parameters. Governance role.
    function setGlobalParams(GlobalParams calldata params) external;

    /// @notice Sets the L2 sequencer-uptime feed, or zero for none. Governance role.
    function setSequencerFeed(AggregatorV3Interface feed) external;

    /// @notice Replaces the LP pool's request parameters. Governance role.
    function setLpParams(LpParams calldata params) external;

    /// @notice Puts a market whose feed has been bad (stale, non-positive) for longer than
    /// `RiskBounds.DEAD_FEED_PERIOD` into settlement, at the last good answer in the feed's recent history: no new
    /// positions or increases; closes, liquidations and the LP valuation use that answer from then on. Irreversible.
    /// Governance role (a timelock in deployments).
    function settleMarket(uint256 marketId) external;

    /// @notice Stops opens and increases. Guardian role.
    function pause() external;

    /// @notice Resumes opens and increases. Guardian role.
    function unpause() external;

    function paused() external view returns (bool);

    function marketParams(uint256 marketId) external view returns (MarketParams memory);

    function globalParams() external view returns (GlobalParams memory);

    function sequencerFeed() external view returns (AggregatorV3Interface);

    function lpParams() external view returns (LpParams memory);

    /// @notice The settlement price of a market in settlement (USD WAD), zero otherwise.
    function settlementPrice(uint256 marketId) external view returns (uint256);

    function marketCount() external view returns (uint256);

    /// @notice Everything the engine needs for one operation on a market, in one call. Reverts for an unknown market.
    /// The last value is the market's settlement price (USD WAD) if it is in settlement, else zero.
    function tradingConfig(
        uint256 marketId
    )
        external
        view
        returns (
            MarketParams memory market,
            GlobalParams memory global,
            AggregatorV3Interface sequencer,
            bool paused_,
            uint256 settlement
        );
}

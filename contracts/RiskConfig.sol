// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {EngineBound} from "./EngineBound.sol";
import {IMarginEngine} from "./interfaces/IMarginEngine.sol";
import {GlobalParams, IRiskConfig, LpParams, MarketParams} from "./interfaces/IRiskConfig.sol";
import {ChainlinkOracle} from "./libraries/ChainlinkOracle.sol";
import {RiskBounds} from "./libraries/RiskBounds.sol";

/// @title Bulkhead risk configuration
/// @notice See {IRiskConfig}.
contract RiskConfig is IRiskConfig, AccessManaged, Pausable, EngineBound {
    /// @dev Markets are few: the pool values every one of them on each LP action.
    uint256 public constant MAX_MARKETS = 32;

    /// @dev 10^(18 − asset decimals), to state USD bounds in asset units.
    uint256 internal immutable SCALE;

    mapping(uint256 marketId => MarketParams) internal _markets;
    GlobalParams internal _global;
    AggregatorV3Interface internal _sequencerFeed;
    uint16 internal _marketCount;
    LpParams internal _lp;
    mapping(uint256 marketId => uint256 price) internal _settlementPrices;

    /// @dev At most this many rounds back are searched for a market's last good answer.
    uint256 internal constant MAX_ROUNDS_SEARCHED = 8;

    constructor(
        address authority,
        IERC20Metadata asset,
        GlobalParams memory global,
        LpParams memory lp
    ) AccessManaged(authority) {
        uint8 decimals = asset.decimals();
        if (decimals > 18) revert ParameterOutOfBounds("assetDecimals", decimals, 0, 18);
        SCALE = 10 ** (18 - decimals);
        _setGlobalParams(global);
        _setLpParams(lp);
    }

    // ================================================================ governance

    /// @inheritdoc IRiskConfig
    function listMarket(MarketParams calldata params) external restricted returns (uint256 marketId) {
        marketId = _marketCount;
        if (marketId == MAX_MARKETS) revert TooManyMarkets();
        RiskBounds.checkMarket(params);
        _marketCount = uint16(marketId + 1);
        _markets[marketId] = params;
        emit MarketListed(marketId, params);
        _pushMarket(marketId);
    }

    /// @inheritdoc IRiskConfig
    function setMarketParams(uint256 marketId, MarketParams calldata params) external restricted {
        if (marketId >= _marketCount) revert UnknownMarket(marketId);
        if (_settlementPrices[marketId] != 0) revert MarketSettled(marketId);
        RiskBounds.checkMarket(params);
        _markets[marketId] = params;
        emit MarketParamsUpdated(marketId, params);
        // The engine charges time so far at the old rates before it copies the new ones.
        _pushMarket(marketId);
    }

    /// @inheritdoc IRiskConfig
    function setGlobalParams(GlobalParams calldata params) external restricted {
        _setGlobalParams(params);
        _pushGlobal();
    }

    /// @inheritdoc IRiskConfig
    function setSequencerFeed(AggregatorV3Interface feed) external restricted {
        if (address(feed) != address(0) && address(feed).code.length == 0) {
            revert ParameterOutOfBounds("sequencerFeed", uint160(address(feed)), 0, 0);
        }
        _sequencerFeed = feed;
        emit SequencerFeedUpdated(address(feed));
        _pushGlobal();
    }

    /// @inheritdoc IRiskConfig
    function setLpParams(LpParams calldata params) external restricted {
        _setLpParams(params);
    }

    /// @inheritdoc IRiskConfig
    function settleMarket(uint256 marketId) external restricted {
        if (marketId >= _marketCount) revert UnknownMarket(marketId);
        if (_settlementPrices[marketId] != 0) revert MarketSettled(marketId);
        MarketParams memory m = _markets[marketId];
        (uint80 roundId, int256 answer, , uint256 updatedAt, ) = m.feed.latestRoundData();
        // A positive answer is bad from when it went stale; a run of non-positive answers from the first of them (a
        // feed that keeps publishing bad answers is as dead as a silent one).
        uint256 badSince = updatedAt + m.heartbeat;
        if (answer > 0 && badSince >= block.timestamp) revert FeedNotDead(marketId, 0, 0);
        // The last good answer: the latest one if positive, else the newest positive one a few rounds back.
        for (uint256 i; answer <= 0; ++i) {
            badSince = updatedAt;
            if (i == MAX_ROUNDS_SEARCHED || roundId <= 1) revert NoGoodAnswer(marketId);
            // roundId > 1: no underflow.
            unchecked {
                --roundId;
            }
            (, answer, , updatedAt, ) = m.feed.getRoundData(roundId);
        }
        uint256 settleableAt = badSince + RiskBounds.DEAD_FEED_PERIOD;
        if (block.timestamp < settleableAt) revert FeedNotDead(marketId, badSince, settleableAt);
        uint256 price = ChainlinkOracle.normalize(uint256(answer), m.feedDecimals);
        _settlementPrices[marketId] = price;
        emit MarketSettlementStarted(marketId, price, roundId);
        _pushMarket(marketId);
    }

    /// @inheritdoc IRiskConfig
    function pause() external restricted {
        _pause();
        _pushGlobal();
    }

    /// @inheritdoc IRiskConfig
    function unpause() external restricted {
        _unpause();
        _pushGlobal();
    }

    // ================================================================ views

    /// @inheritdoc IRiskConfig
    function paused() public view override(IRiskConfig, Pausable) returns (bool) {
        return super.paused();
    }

    /// @inheritdoc IRiskConfig
    function marketParams(uint256 marketId) external view returns (MarketParams memory) {
        if (marketId >= _marketCount) revert UnknownMarket(marketId);
        return _markets[marketId];
    }

    /// @inheritdoc IRiskConfig
    function globalParams() external view returns (GlobalParams memory) {
        return _global;
    }

    /// @inheritdoc IRiskConfig
    function sequencerFeed() external view returns (AggregatorV3Interface) {
        return _sequencerFeed;
    }

    /// @inheritdoc IRiskConfig
    function lpParams() external view returns (LpParams memory) {
        return _lp;
    }

    /// @inheritdoc IRiskConfig
    function settlementPrice(uint256 marketId) external view returns (uint256) {
        return _settlementPrices[marketId];
    }

    /// @inheritdoc IRiskConfig
    function marketCount() external view returns (uint256) {
        return _marketCount;
    }

    /// @inheritdoc IRiskConfig
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
        )
    {
        if (marketId >= _marketCount) revert UnknownMarket(marketId);
        return (_markets[marketId], _global, _sequencerFeed, paused(), _settlementPrices[marketId]);
    }

    // ================================================================ the engine's copy

    /// @dev The engine reads its own copy of what it needs (SPEC §3: parameters cached in the engine): every change
    /// is pushed to it, and binding pushes everything.
    function _afterBind() internal override {
        _pushGlobal();
        for (uint256 i; i < _marketCount; ++i) _pushMarket(i);
    }

    function _pushMarket(uint256 marketId) internal {
        address engine_ = engine();
        if (engine_ != address(0)) IMarginEngine(engine_).syncMarket(marketId);
    }

    function _pushGlobal() internal {
        address engine_ = engine();
        if (engine_ != address(0)) IMarginEngine(engine_).syncGlobal();
    }

    function _setGlobalParams(GlobalParams memory params) internal {
        RiskBounds.checkGlobal(params, SCALE);
        _global = params;
        emit GlobalParamsUpdated(params);
    }

    function _setLpParams(LpParams memory params) internal {
        RiskBounds.checkLp(params, SCALE);
        _lp = params;
        emit LpParamsUpdated(params);
    }
}

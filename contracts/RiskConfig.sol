// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {EngineBound} from "./EngineBound.sol";
import {IMarginEngine} from "./interfaces/IMarginEngine.sol";
import {GlobalParams, IRiskConfig, MarketParams} from "./interfaces/IRiskConfig.sol";
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

    constructor(address authority, IERC20Metadata asset, GlobalParams memory global) AccessManaged(authority) {
        uint8 decimals = asset.decimals();
        if (decimals > 18) revert ParameterOutOfBounds("assetDecimals", decimals, 0, 18);
        SCALE = 10 ** (18 - decimals);
        _setGlobalParams(global);
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
    }

    /// @inheritdoc IRiskConfig
    function setMarketParams(uint256 marketId, MarketParams calldata params) external restricted {
        if (marketId >= _marketCount) revert UnknownMarket(marketId);
        RiskBounds.checkMarket(params);
        address engine_ = engine();
        // Time so far is charged at the old rates.
        if (engine_ != address(0)) IMarginEngine(engine_).accrue(marketId);
        _markets[marketId] = params;
        emit MarketParamsUpdated(marketId, params);
    }

    /// @inheritdoc IRiskConfig
    function setGlobalParams(GlobalParams calldata params) external restricted {
        _setGlobalParams(params);
    }

    /// @inheritdoc IRiskConfig
    function setSequencerFeed(AggregatorV3Interface feed) external restricted {
        if (address(feed) != address(0) && address(feed).code.length == 0) {
            revert ParameterOutOfBounds("sequencerFeed", uint160(address(feed)), 0, 0);
        }
        _sequencerFeed = feed;
        emit SequencerFeedUpdated(address(feed));
    }

    /// @inheritdoc IRiskConfig
    function pause() external restricted {
        _pause();
    }

    /// @inheritdoc IRiskConfig
    function unpause() external restricted {
        _unpause();
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
    function marketCount() external view returns (uint256) {
        return _marketCount;
    }

    /// @inheritdoc IRiskConfig
    function tradingConfig(
        uint256 marketId
    )
        external
        view
        returns (MarketParams memory market, GlobalParams memory global, AggregatorV3Interface sequencer, bool paused_)
    {
        if (marketId >= _marketCount) revert UnknownMarket(marketId);
        return (_markets[marketId], _global, _sequencerFeed, paused());
    }

    function _setGlobalParams(GlobalParams memory params) internal {
        RiskBounds.checkGlobal(params, SCALE);
        _global = params;
        emit GlobalParamsUpdated(params);
    }
}

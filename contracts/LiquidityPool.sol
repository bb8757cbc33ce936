// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {EngineBound} from "./EngineBound.sol";
import {ILiquidityPool} from "./interfaces/ILiquidityPool.sol";
import {IMarginEngine, SideState} from "./interfaces/IMarginEngine.sol";
import {PositionMath} from "./libraries/PositionMath.sol";

/// @title Bulkhead liquidity pool
/// @notice See {ILiquidityPool}. Shares carry 6 more decimals than the asset (virtual shares and assets), which makes
/// the first-depositor inflation attack cost the attacker a million times what it could take.
contract LiquidityPool is ILiquidityPool, ERC4626, EngineBound {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @dev 10^(18 − asset decimals): USD WAD per asset unit.
    uint256 internal immutable SCALE;

    constructor(IERC20 asset_, string memory name_, string memory symbol_) ERC20(name_, symbol_) ERC4626(asset_) {
        SCALE = 10 ** (18 - IERC20Metadata(address(asset_)).decimals());
    }

    /// @inheritdoc ILiquidityPool
    function pay(address to, uint256 amount) external onlyEngine {
        IERC20(asset()).safeTransfer(to, amount);
    }

    /// @notice Tokens held, less the traders' net unrealised pnl at oracle prices (floored at zero). Reverts while
    /// any market with open interest has a bad price: LPs neither enter nor leave on a price nobody can trade on.
    function totalAssets() public view override(ERC4626, IERC4626) returns (uint256) {
        uint256 balance = IERC20(asset()).balanceOf(address(this));
        address engine_ = engine();
        if (engine_ == address(0)) return balance;
        int256 traderPnl = netTraderPnl();
        if (traderPnl <= 0) return balance + uint256(-traderPnl);
        return balance > uint256(traderPnl) ? balance - uint256(traderPnl) : 0;
    }

    /// @inheritdoc ILiquidityPool
    function netTraderPnl() public view returns (int256 net) {
        IMarginEngine engine_ = IMarginEngine(engine());
        if (address(engine_) == address(0)) return 0;
        uint256 count = engine_.marketCount();
        for (uint256 marketId; marketId < count; ++marketId) {
            SideState memory longs = engine_.sideState(marketId, true);
            SideState memory shorts = engine_.sideState(marketId, false);
            if (longs.openInterest == 0 && shorts.openInterest == 0) continue;
            uint256 price = engine_.indexPrice(marketId);
            // Traders' gains round up and losses down, so the pool is never valued above what it holds.
            net +=
                _bounded(_signedDiff(PositionMath.notionalUp(longs.openInterest, price), longs.entryNotional), longs) +
                _bounded(
                    _signedDiff(shorts.entryNotional, PositionMath.notionalDown(shorts.openInterest, price)),
                    shorts
                );
        }
        net = net >= 0 ? Math.ceilDiv(uint256(net), SCALE).toInt256() : -(uint256(-net) / SCALE).toInt256();
    }

    /// @inheritdoc ILiquidityPool
    function freeLiquidity() public view returns (uint256) {
        uint256 balance = IERC20(asset()).balanceOf(address(this));
        address engine_ = engine();
        uint256 reserved = engine_ == address(0) ? 0 : IMarginEngine(engine_).totalReserved();
        return balance > reserved ? balance - reserved : 0;
    }

    /// @notice Capped by the liquidity not reserved for open positions.
    function maxWithdraw(address owner) public view override(ERC4626, IERC4626) returns (uint256) {
        return Math.min(super.maxWithdraw(owner), freeLiquidity());
    }

    /// @notice Capped by the liquidity not reserved for open positions.
    function maxRedeem(address owner) public view override(ERC4626, IERC4626) returns (uint256) {
        return Math.min(super.maxRedeem(owner), _convertToShares(freeLiquidity(), Math.Rounding.Floor));
    }

    /// @dev Rejects tokens that deliver less than asked: shares are minted only for assets actually received.
    function _deposit(address caller, address receiver, uint256 assets, uint256 shares) internal override {
        uint256 before = IERC20(asset()).balanceOf(address(this));
        super._deposit(caller, receiver, assets, shares);
        uint256 received = IERC20(asset()).balanceOf(address(this)) - before;
        if (received != assets) revert IMarginEngine.FeeOnTransferToken(assets, received);
    }

    /// @dev A side's pnl (USD WAD) within what can change hands in aggregate: its losses pay the pool at most its
    /// collateral, and the pool owes its gains at most the sum of its profit caps. A bound per side, not per
    /// position: one position's unrecoverable loss can still hide behind another's profit on the same side.
    function _bounded(int256 pnl, SideState memory side) internal view returns (int256) {
        int256 lowest = -(uint256(side.collateral) * SCALE).toInt256();
        int256 highest = (uint256(side.maxProfit) * SCALE).toInt256();
        return
            pnl < lowest
                ? lowest
                : pnl > highest
                    ? highest
                    : pnl;
    }

    function _signedDiff(uint256 a, uint256 b) internal pure returns (int256) {
        return a >= b ? (a - b).toInt256() : -(b - a).toInt256();
    }

    function _decimalsOffset() internal pure override returns (uint8) {
        return 6;
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Position, SideState} from "../../../contracts/interfaces/IMarginEngine.sol";
import {AttackBase} from "./utils/AttackBase.sol";

/// @dev A partial decrease must settle exactly the closed part: the remaining size, collateral, profit cap and the
/// market aggregates must be what is left, and the released collateral must reach the owner. Otherwise a trader can
/// shed a losing position's size without paying its loss, and the pool's books drift from the positions.
contract DecreaseLossEscapeAttackTest is AttackBase {
    function test_decrease_recordsRemainingSize() public {
        uint256 id = openPosition(alice, ETH, true, 1e18, 600 * USD);
        uint96 maxProfit = engine.position(id).maxProfit;
        decreasePosition(id, 0.25e18);
        Position memory p = engine.position(id);
        assertEq(p.size, 0.75e18, "size");
        // A quarter of the collateral is released; the close fee (0.75 USD) and the borrow fee of the second since
        // the open come out of what is paid, not of what stays.
        assertEq(p.collateral, 450 * USD, "collateral");
        // The closed part takes floor(cap / 4); the rest stays.
        assertEq(p.maxProfit, maxProfit - maxProfit / 4, "profit cap");
    }

    function test_decreaseMoreThanHalf_succeeds() public {
        uint256 id = openPosition(alice, ETH, true, 1e18, 600 * USD);
        decreasePosition(id, 0.75e18);
        assertEq(engine.position(id).size, 0.25e18, "size");
    }

    /// @dev At 3,100, closing half pays 300 USD of collateral, 50 USD of profit less the 1.55 USD close fee and the
    /// borrow fee of the whole position for the second between the open and the execution.
    function test_decreaseInProfit_paysReleasedCollateral() public {
        uint256 id = openPosition(alice, ETH, true, 1e18, 600 * USD);
        setPrice(ETH, 3_100e18);
        uint256 before = usd.balanceOf(alice);
        decreasePosition(id, 0.5e18);
        assertEq(usd.balanceOf(alice) - before, 348_450_000 - _borrowFee(3_000e18, 1), "payout");
        assertEq(vaultBalance(id), 300 * USD + KEEPER_RESERVE, "vault holds more than the recorded collateral");
    }

    /// @dev Long 100 ETH at 3,000 with 40,000 USD, the price at 2,850: the position is 15,000 USD down (healthy:
    /// 25,000 USD of equity against 14,250 of maintenance). Decreasing half and then closing must cost the trader at
    /// least what closing at once does.
    function test_decreaseInLoss_cannotEscapeLossOnRemainingSize() public {
        uint256 id = openPosition(alice, ETH, true, 100e18, 40_000 * USD);
        setPrice(ETH, 2_850e18);
        uint256 before = usd.balanceOf(alice);
        uint256 snapshotId = vm.snapshotState();
        closePosition(id, alice);
        uint256 oneClose = usd.balanceOf(alice) - before;
        vm.revertToState(snapshotId);

        decreasePosition(id, 50e18);
        assertEq(engine.position(id).size, 50e18, "decrease did not execute");
        closePosition(id, alice);
        assertEq(engine.position(id).owner, address(0), "close did not execute");
        assertLe(usd.balanceOf(alice) - before, oneClose, "decrease-then-close escaped part of the loss");
    }

    /// @dev Once every position is gone, so is every aggregate: no phantom open interest or reservation is left.
    function test_decreaseThenClose_aggregatesReturnToZero() public {
        uint256 id = openPosition(alice, ETH, true, 1e18, 600 * USD);
        address vault = engine.vaultOf(id);
        decreasePosition(id, 0.25e18);
        closePosition(id, alice);
        SideState memory longs = engine.sideState(ETH, true);
        assertEq(longs.openInterest, 0, "phantom open interest");
        assertEq(longs.entryNotional, 0, "phantom entry notional");
        assertEq(longs.collateral, 0, "phantom collateral");
        assertEq(longs.maxProfit, 0, "phantom cap");
        assertEq(engine.totalReserved(), 0, "reservation leaked");
        assertEq(engine.totalEntryNotional(), 0, "total entry notional leaked");
        assertEq(usd.balanceOf(vault), 0, "vault not emptied");
    }
}

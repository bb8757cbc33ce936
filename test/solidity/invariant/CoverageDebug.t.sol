// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {console2} from "forge-std/console2.sol";
import {BulkheadInvariantTest, BulkheadConstantPriceInvariantTest, BulkheadHandler} from "./Bulkhead.invariant.t.sol";

contract CoverageDebug is BulkheadInvariantTest {
    function _names() internal pure returns (string[86] memory n) {
        n = [
            "requestOpen.ok",
            "requestOpen.reverted",
            "requestOpen.skipped",
            "requestOpen.reusedVault",
            "requestIncrease.ok",
            "requestIncrease.reverted",
            "requestDecrease.ok",
            "requestDecrease.reverted",
            "requestClose.ok",
            "requestClose.reverted",
            "executeOrder.ok",
            "executeOrder.reverted",
            "executeOrder.acted",
            "executeOrders.ok",
            "executeOrders.acted",
            "keeperSweep.ok",
            "keeperSweep.acted",
            "keeperSweep.skipped",
            "cancelOrder.ok",
            "cancelOrder.reverted",
            "claim.ok",
            "claim.reverted",
            "claimRecorded",
            "addMargin.ok",
            "addMargin.reverted",
            "removeMargin.ok",
            "removeMargin.reverted",
            "liquidate.ok",
            "liquidate.reverted",
            "liquidateBatch.ok",
            "liquidateBatch.liquidated",
            "takeProfit.ok",
            "takeProfit.reverted",
            "takeProfitBatch.ok",
            "takeProfitBatch.taken",
            "executed",
            "cancelled.0",
            "cancelled.1",
            "cancelled.2",
            "cancelled.3",
            "cancelled.4",
            "cancelled.5",
            "cancelled.6",
            "cancelled.7",
            "cancelled.8",
            "cancelled.9",
            "cancelled.10",
            "execute.liquidatedInstead",
            "badDebt",
            "attackerExecute.ok",
            "attackerExecute.reverted",
            "attackerExecute.skipped",
            "attackerGift.skipped",
            "attackerMarginToggle.skipped",
            "attackerDonate.ok",
            "donateToVault.ok",
            "requestDeposit.ok",
            "requestDeposit.reverted",
            "executeDeposits.ok",
            "executeDeposits.reverted",
            "executeDeposits.executed",
            "executeRedeems.ok",
            "executeRedeems.reverted",
            "executeRedeems.executed",
            "claimDeposit.ok",
            "claimRedeem.ok",
            "claimWithdraw.ok",
            "claimMint.ok",
            "cancelDeposit.ok",
            "cancelRedeem.ok",
            "pushToLiquidation.ok",
            "pushToBoundary.ok",
            "pushToCap.ok",
            "pushToCap.skipped",
            "movePrice.ok",
            "publishRound.ok",
            "toggleBlocklist.ok",
            "togglePause.ok",
            "passTime.ok",
            "requestRedeem.ok",
            "requestRedeem.reverted",
            "claimCancelDeposit.ok",
            "claimCancelRedeem.ok",
            "cancelDeposit.reverted",
            "attackerTimedRequest.ok",
            "outage.ok"
        ];
    }

    bytes4[] internal sels;
    mapping(bytes4 => uint256) internal gasBySel;
    mapping(bytes4 => uint256) internal callsBySel;
    mapping(bytes4 => bool) internal seenSel;

    function test_debug_coverage() public {
        bytes4[] memory sels_ = targetSelectors()[0].selectors;
        uint256 seed = vm.envOr("DEBUG_SEED", uint256(1));
        uint256 steps = vm.envOr("DEBUG_STEPS", uint256(400));
        for (uint256 i; i < steps; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            bytes4 sel = sels_[r % sels_.length];
            uint256[6] memory w;
            for (uint256 k; k < 6; ++k) {
                uint256 x = uint256(keccak256(abi.encode(r, k)));
                w[k] =
                    x % 3 == 0
                        ? x % 1000
                        : x % 3 == 1
                            ? x % 1e12
                            : x;
            }
            uint256 boolAt = 99;
            if (sel == BulkheadHandler.requestOpen.selector) boolAt = 2;
            if (sel == BulkheadHandler.executeOrders.selector) boolAt = 3;
            if (sel == BulkheadHandler.keeperSweep.selector || sel == BulkheadHandler.attackerDummy.selector)
                boolAt = 1;
            if (
                sel == bytes4(keccak256("cancelRequest(uint256,bool)")) ||
                sel == bytes4(keccak256("claimCancelled(uint256,bool)"))
            ) boolAt = 1;
            if (boolAt < 6) w[boolAt] %= 2;
            uint256 g0 = gasleft();
            (bool ok, ) = address(handler).call(bytes.concat(sel, abi.encode(w[0], w[1], w[2], w[3], w[4], w[5])));
            ok;
            gasBySel[sel] += g0 - gasleft();
            callsBySel[sel] += 1;
        }
        for (uint256 k; k < sels_.length; ++k) {
            if (callsBySel[sels_[k]] == 0 || seenSel[sels_[k]]) continue;
            seenSel[sels_[k]] = true;
            console2.log(
                vm.toString(abi.encodePacked(sels_[k])),
                callsBySel[sels_[k]],
                gasBySel[sels_[k]] / callsBySel[sels_[k]]
            );
        }
        string[86] memory n = _names();
        for (uint256 i; i < n.length; ++i) console2.log(n[i], handler.callCount(keccak256(bytes(n[i]))));

        string[23] memory es = [
            "0xc459d23f",
            "0x1f2a2005",
            "0x6ba9ecd8",
            "0xa2016c11",
            "0x02adcd55",
            "0x606840e0",
            "0x1503f5f8",
            "0x4dac79c5",
            "0x5a95ce8f",
            "0xc8739f8e",
            "0x241dcf65",
            "0x7c85c9aa",
            "0x90c46570",
            "0x8450e364",
            "0xd709d934",
            "0x07c41824",
            "0xe5921c74",
            "0xa099a04f",
            "0x9e87fac8",
            "0xf9489585",
            "0xe83c021d",
            "0x917c251b",
            "0x91b46fd2"
        ];
        string[23] memory en = [
            "ZeroSize",
            "ZeroAmount",
            "ZeroReceiver",
            "UnknownPosition",
            "PositionNotOpen",
            "NotPositionOwner",
            "DeadlineExpired",
            "ExecutionFeeTooLow",
            "CollateralBelowMinimum",
            "InitialMarginBreached",
            "SizeDeltaTooLarge",
            "OrderPending",
            "ClosePending",
            "NoPendingOrder",
            "OrderNotReady",
            "OrderStillExecutable",
            "NotLiquidatable",
            "GracePeriod",
            "Paused",
            "NothingToClaim",
            "NotAtCap",
            "Blocklisted",
            "StalePrice"
        ];
        string[12] memory ops = [
            "requestOpen",
            "requestIncrease",
            "requestDecrease",
            "requestClose",
            "executeOrder",
            "cancelOrder",
            "claim",
            "addMargin",
            "removeMargin",
            "liquidate",
            "takeProfit",
            "attackerExecute"
        ];
        for (uint256 o; o < ops.length; ++o)
            for (uint256 e; e < es.length; ++e) {
                uint256 c = handler.callCount(keccak256(bytes(string.concat(ops[o], ".reverted.", es[e]))));
                if (c != 0) console2.log(string.concat(ops[o], " ", en[e]), c);
            }
        string[10] memory ids = [
            "INV-1",
            "INV-2",
            "INV-3",
            "INV-4",
            "INV-5",
            "INV-6",
            "INV-7",
            "INV-8",
            "REVERT",
            "LENS"
        ];
        for (uint256 i; i < ids.length; ++i) console2.log(ids[i], handler.violation(ids[i]));
        console2.log("lastId", handler.lastId(), "live", handler.liveIds().length);
    }
}

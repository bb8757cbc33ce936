// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";
import {IAccessManager} from "@openzeppelin/contracts/access/manager/IAccessManager.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

import {IEngineBound} from "../../../contracts/interfaces/IEngineBound.sol";
import {ILiquidityPool} from "../../../contracts/interfaces/ILiquidityPool.sol";
import {IMarginEngineBase} from "../../../contracts/interfaces/IMarginEngine.sol";
import {IPositionVault} from "../../../contracts/interfaces/IPositionVault.sol";
import {GlobalParams, IRiskConfig, MarketParams} from "../../../contracts/interfaces/IRiskConfig.sol";
import {AttackBase} from "./utils/AttackBase.sol";

/// @dev Governance as an attacker, or a stolen governance key: every parameter is held inside hard-coded bounds,
/// every setter is restricted to its role, the guardian can only pause, and no privileged account can move anyone's
/// funds.
contract GovernanceAttackTest is AttackBase {
    uint256 internal constant MAX_BORROW_RATE = 1e18 / uint256(365 days);
    /// @dev 1 % a year (rule 8).
    uint256 internal constant MIN_BORROW_RATE = 0.01e18 / uint256(365 days);

    uint256 internal id;

    function setUp() public override {
        super.setUp();
        id = openPosition(alice, ETH, true, 1e18, 600 * USD);
    }

    // ------------------------------------------------------------ bounds

    function test_marketParamsOutOfBounds_revertParameterOutOfBounds() public {
        MarketParams memory p = _market();
        p.feed = AggregatorV3Interface(address(0xdead));
        _expectMarketOutOfBounds(p, "feed", 0xdead, 1, type(uint160).max);

        p = _market();
        p.heartbeat = 59;
        _expectMarketOutOfBounds(p, "heartbeat", 59, 60, 2 days);
        p.heartbeat = 2 days + 1;
        _expectMarketOutOfBounds(p, "heartbeat", 2 days + 1, 60, 2 days);

        p = _market();
        p.feedDecimals = 18;
        _expectMarketOutOfBounds(p, "feedDecimals", 18, 8, 8);

        p = _market();
        p.imr = 0.01e18 - 1;
        _expectMarketOutOfBounds(p, "imr", 0.01e18 - 1, 0.01e18, 1e18);
        p.imr = 1e18 + 1;
        _expectMarketOutOfBounds(p, "imr", 1e18 + 1, 0.01e18, 1e18);

        p = _market();
        p.mmr = 0.005e18 - 1;
        _expectMarketOutOfBounds(p, "mmr", 0.005e18 - 1, 0.005e18, 0.1e18 - 1);
        // mmr must stay below imr...
        p.mmr = 0.1e18;
        _expectMarketOutOfBounds(p, "mmr", 0.1e18, 0.005e18, 0.1e18 - 1);
        // ...and at most 25 %.
        p.imr = 0.5e18;
        p.mmr = 0.25e18 + 1;
        _expectMarketOutOfBounds(p, "mmr", 0.25e18 + 1, 0.005e18, 0.25e18);

        p = _market();
        p.liqFeeRatio = 0.05e18 + 1;
        _expectMarketOutOfBounds(p, "liqFeeRatio", 0.05e18 + 1, 0, 0.05e18);
        p = _market();
        p.liqPenaltyRatio = 0.05e18 + 1;
        _expectMarketOutOfBounds(p, "liqPenaltyRatio", 0.05e18 + 1, 0, 0.05e18);
        p = _market();
        p.openFeeRatio = 0.01e18 + 1;
        _expectMarketOutOfBounds(p, "openFeeRatio", 0.01e18 + 1, 0, 0.01e18);
        p = _market();
        p.closeFeeRatio = 0.01e18 + 1;
        _expectMarketOutOfBounds(p, "closeFeeRatio", 0.01e18 + 1, 0, 0.01e18);

        p = _market();
        p.maxProfitRatio = 0.1e18 - 1;
        _expectMarketOutOfBounds(p, "maxProfitRatio", 0.1e18 - 1, 0.1e18, 10e18);
        p.maxProfitRatio = 10e18 + 1;
        _expectMarketOutOfBounds(p, "maxProfitRatio", 10e18 + 1, 0.1e18, 10e18);

        p = _market();
        p.borrowRateLong = uint64(MAX_BORROW_RATE + 1);
        _expectMarketOutOfBounds(p, "borrowRateLong", MAX_BORROW_RATE + 1, MIN_BORROW_RATE, MAX_BORROW_RATE);
        // Rule 8: a zero rate would let a position reserve the pool for free.
        p.borrowRateLong = uint64(MIN_BORROW_RATE - 1);
        _expectMarketOutOfBounds(p, "borrowRateLong", MIN_BORROW_RATE - 1, MIN_BORROW_RATE, MAX_BORROW_RATE);
        p = _market();
        p.borrowRateShort = uint64(MAX_BORROW_RATE + 1);
        _expectMarketOutOfBounds(p, "borrowRateShort", MAX_BORROW_RATE + 1, MIN_BORROW_RATE, MAX_BORROW_RATE);
        p.borrowRateShort = 0;
        _expectMarketOutOfBounds(p, "borrowRateShort", 0, MIN_BORROW_RATE, MAX_BORROW_RATE);

        // Rule 8: a cap never exceeds the position's notional.
        p = _market();
        p.maxProfitNotionalRatio = 1e18 + 1;
        _expectMarketOutOfBounds(p, "maxProfitNotionalRatio", 1e18 + 1, 0.01e18, 1e18);
        p.maxProfitNotionalRatio = 0.01e18 - 1;
        _expectMarketOutOfBounds(p, "maxProfitNotionalRatio", 0.01e18 - 1, 0.01e18, 1e18);

        // An order may wait at least for the feed's next heartbeat round (here 3,600 s) and at most 2 days and an hour.
        p = _market();
        p.maxOrderWait = 3_599;
        _expectMarketOutOfBounds(p, "maxOrderWait", 3_599, 3_600, 2 days + 1 hours);
        p.maxOrderWait = 2 days + 1 hours + 1;
        _expectMarketOutOfBounds(p, "maxOrderWait", 2 days + 1 hours + 1, 3_600, 2 days + 1 hours);
        p.heartbeat = 60;
        p.maxOrderWait = 59;
        _expectMarketOutOfBounds(p, "maxOrderWait", 59, 60, 2 days + 1 hours);
    }

    /// @dev Any value of a ratio or rate: accepted inside its bounds, refused with the bounds named outside them.
    function testFuzz_marketRatio_acceptedIffWithinBounds(uint256 field, uint64 value) public {
        field = bound(field, 0, 8);
        MarketParams memory p = _market();
        bytes32 name;
        uint256 min;
        uint256 max;
        if (field == 0) {
            (name, min, max, p.imr, p.mmr) = ("imr", 0.01e18, 1e18, value, 0.005e18);
        } else if (field == 1) {
            (name, min, max, p.liqFeeRatio) = ("liqFeeRatio", 0, 0.05e18, value);
        } else if (field == 2) {
            (name, min, max, p.liqPenaltyRatio) = ("liqPenaltyRatio", 0, 0.05e18, value);
        } else if (field == 3) {
            (name, min, max, p.openFeeRatio) = ("openFeeRatio", 0, 0.01e18, value);
        } else if (field == 4) {
            (name, min, max, p.closeFeeRatio) = ("closeFeeRatio", 0, 0.01e18, value);
        } else if (field == 5) {
            (name, min, max, p.maxProfitRatio) = ("maxProfitRatio", 0.1e18, 10e18, value);
        } else if (field == 6) {
            (name, min, max, p.borrowRateLong) = ("borrowRateLong", MIN_BORROW_RATE, MAX_BORROW_RATE, value);
        } else if (field == 7) {
            (name, min, max, p.borrowRateShort) = ("borrowRateShort", MIN_BORROW_RATE, MAX_BORROW_RATE, value);
        } else {
            (name, min, max, p.maxProfitNotionalRatio) = ("maxProfitNotionalRatio", 0.01e18, 1e18, value);
        }
        if (value < min || value > max) {
            _expectMarketOutOfBounds(p, name, value, min, max);
        } else {
            vm.prank(governance);
            config.setMarketParams(ETH, p);
            assertEq(keccak256(abi.encode(config.marketParams(ETH))), keccak256(abi.encode(p)), "not stored");
        }
    }

    function test_globalParamsOutOfBounds_revertParameterOutOfBounds() public {
        GlobalParams memory g = defaultGlobalParams();
        // At least 1 USD of collateral, 0.1 USD of keeper reserve and 10 USD of notional: no position too small to be
        // worth liquidating.
        g.minCollateral = uint80(USD - 1);
        _expectGlobalOutOfBounds(g, "minCollateral", USD - 1, USD, 1_000_000 * USD);
        g.minCollateral = uint80(1_000_000 * USD + 1);
        _expectGlobalOutOfBounds(g, "minCollateral", 1_000_000 * USD + 1, USD, 1_000_000 * USD);

        g = defaultGlobalParams();
        g.keeperReserve = uint80(USD / 10 - 1);
        _expectGlobalOutOfBounds(g, "keeperReserve", USD / 10 - 1, USD / 10, 1_000 * USD);
        g.keeperReserve = uint80(1_000 * USD + 1);
        _expectGlobalOutOfBounds(g, "keeperReserve", 1_000 * USD + 1, USD / 10, 1_000 * USD);

        g = defaultGlobalParams();
        g.minNotional = uint80(10 * USD - 1);
        _expectGlobalOutOfBounds(g, "minNotional", 10 * USD - 1, 10 * USD, 10_000_000 * USD);
        g.minNotional = uint80(10_000_000 * USD + 1);
        _expectGlobalOutOfBounds(g, "minNotional", 10_000_000 * USD + 1, 10 * USD, 10_000_000 * USD);

        g = defaultGlobalParams();
        g.maxUtilization = 0.01e18 - 1;
        _expectGlobalOutOfBounds(g, "maxUtilization", 0.01e18 - 1, 0.01e18, 10e18);
        g.maxUtilization = 10e18 + 1;
        _expectGlobalOutOfBounds(g, "maxUtilization", 10e18 + 1, 0.01e18, 10e18);

        g = defaultGlobalParams();
        g.liquidationGracePeriod = 1 hours + 1;
        _expectGlobalOutOfBounds(g, "liquidationGracePeriod", 1 hours + 1, 0, 1 hours);

        // Rule 2: an order executes within 15 s to 5 minutes of its round; a longer window is a free option.
        g = defaultGlobalParams();
        g.maxExecutionDelay = 14;
        _expectGlobalOutOfBounds(g, "maxExecutionDelay", 14, 15, 5 minutes);
        g.maxExecutionDelay = 5 minutes + 1;
        _expectGlobalOutOfBounds(g, "maxExecutionDelay", 5 minutes + 1, 15, 5 minutes);

        // The execution fee floor: at most 100 USD, so governance cannot price traders out of closing.
        g = defaultGlobalParams();
        g.minExecutionFee = uint80(100 * USD + 1);
        _expectGlobalOutOfBounds(g, "minExecutionFee", 100 * USD + 1, 0, 100 * USD);
    }

    function test_sequencerFeedWithoutCode_revertsParameterOutOfBounds() public {
        Snapshot memory before = _snapshot();
        vm.prank(governance);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRiskConfig.ParameterOutOfBounds.selector,
                bytes32("sequencerFeed"),
                uint160(mallory),
                0,
                0
            )
        );
        config.setSequencerFeed(AggregatorV3Interface(mallory));
        _assertUnchanged(before, _snapshot());
    }

    // ------------------------------------------------------------ roles

    function test_settersByWrongAccount_revertAccessManagedUnauthorized() public {
        address[3] memory outsiders = [alice, keeper, address(engine)];
        for (uint256 i; i < outsiders.length; ++i) {
            _expectUnauthorized(outsiders[i], _governanceCalls());
            _expectUnauthorized(outsiders[i], _guardianCalls());
        }
        // Each role is confined to its own functions.
        _expectUnauthorized(guardian, _governanceCalls());
        _expectUnauthorized(governance, _guardianCalls());
    }

    function test_guardian_canPauseAndUnpause_butNotSetParameters() public {
        vm.prank(guardian);
        config.pause();
        assertTrue(config.paused(), "not paused");
        vm.prank(guardian);
        config.unpause();
        assertFalse(config.paused(), "still paused");
        _expectUnauthorized(guardian, _governanceCalls());
    }

    function test_governance_cannotGrantItselfRoles() public {
        vm.prank(governance);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessManager.AccessManagerUnauthorizedAccount.selector, governance, uint64(0))
        );
        manager.grantRole(GUARDIAN_ROLE, governance, 0);
        vm.prank(guardian);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessManager.AccessManagerUnauthorizedAccount.selector, guardian, uint64(0))
        );
        manager.grantRole(GOVERNANCE_ROLE, guardian, 0);
    }

    // ------------------------------------------------------------ funds

    /// @dev The only functions that move funds out of the pool, the insurance fund and the vaults answer to the engine
    /// alone; the engine binding cannot be changed; positions answer to their owners.
    function test_privilegedAccounts_cannotMoveFunds() public {
        address[3] memory privileged = [governance, guardian, address(this)];
        address vault = engine.vaultOf(id);
        Snapshot memory before = _snapshot();
        for (uint256 i; i < privileged.length; ++i) {
            address who = privileged[i];
            vm.startPrank(who);
            vm.expectRevert(abi.encodeWithSelector(IEngineBound.OnlyEngine.selector, who));
            pool.pay(who, 1);
            vm.expectRevert(abi.encodeWithSelector(IEngineBound.OnlyEngine.selector, who));
            insurance.cover(who, 1);
            vm.expectRevert(abi.encodeWithSelector(IPositionVault.OnlyEngine.selector, who));
            IPositionVault(vault).pay(who, 1);
            vm.expectRevert(abi.encodeWithSelector(IEngineBound.BindingForbidden.selector, who));
            pool.bindEngine(who);
            vm.expectRevert(abi.encodeWithSelector(IEngineBound.BindingForbidden.selector, who));
            insurance.bindEngine(who);
            vm.expectRevert(abi.encodeWithSelector(IEngineBound.BindingForbidden.selector, who));
            config.bindEngine(who);
            vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.NotPositionOwner.selector, id, who));
            engine.requestClose(id, 0, _deadline(), 0, who);
            vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.NotPositionOwner.selector, id, who));
            engine.removeMargin(id, 1, who);
            vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.NotPositionOwner.selector, id, who));
            engine.requestDecrease(id, 1, 0, _deadline(), 0, who);
            vm.expectRevert(abi.encodeWithSelector(IMarginEngineBase.NotPositionOwner.selector, id, who));
            engine.requestIncrease(id, 1, 0, type(uint128).max, _deadline(), 0);
            // Nor the LP's shares or claims: neither a redemption request nor a claim in the LP's name.
            vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, who, 0, 1e18));
            pool.requestRedeem(1e18, who, lp);
            vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.NotOperator.selector, lp, who));
            pool.redeem(1, who, lp);
            vm.expectRevert(abi.encodeWithSelector(ILiquidityPool.NotOperator.selector, lp, who));
            pool.cancelRedeemRequest(0, lp);
            vm.stopPrank();
        }
        _assertUnchanged(before, _snapshot());
    }

    /// @dev Setting every parameter to a bound, listing a market, switching the sequencer feed and pausing move no
    /// token; the owner can still close and take the position's funds, with the keeper reserve recorded when the
    /// position was opened (rule 5), not the new one.
    function test_everyPrivilegedCall_movesNoFunds() public {
        uint256[] memory balances = _snapshot().balances;
        MarketParams memory p = _market();
        // Maintenance at its lower bound: at its upper bound (25 %) this 5× position would be liquidatable, and its close
        // would execute as a liquidation (rule 3).
        p.imr = 1e18;
        p.mmr = 0.005e18;
        (p.liqFeeRatio, p.liqPenaltyRatio, p.openFeeRatio, p.closeFeeRatio) = (0.05e18, 0.05e18, 0.01e18, 0.01e18);
        (p.maxProfitRatio, p.borrowRateLong, p.borrowRateShort) = (
            0.1e18,
            uint64(MAX_BORROW_RATE),
            uint64(MAX_BORROW_RATE)
        );
        (p.maxOpenInterestLong, p.maxOpenInterestShort, p.maxOrderWait) = (0, 0, 2 days + 1 hours);
        GlobalParams memory g = GlobalParams(
            uint80(1_000_000 * USD),
            uint80(1_000 * USD),
            0.01e18,
            1 hours,
            uint80(10_000_000 * USD),
            15,
            uint80(100 * USD)
        );

        vm.startPrank(governance);
        config.setMarketParams(ETH, p);
        config.listMarket(p);
        config.setGlobalParams(g);
        config.setSequencerFeed(ethFeed);
        config.setSequencerFeed(AggregatorV3Interface(address(0)));
        vm.stopPrank();
        vm.prank(guardian);
        config.pause();

        uint256[] memory afterwards = _snapshot().balances;
        for (uint256 i; i < balances.length; ++i) assertEq(afterwards[i], balances[i], "a governance call moved funds");

        // The close pays the new minimum execution fee to its executor.
        fund(alice, 100 * USD);
        vm.prank(alice);
        engine.requestClose(id, 0, _deadline(), 100 * USD, alice);
        uint256 before = usd.balanceOf(alice);
        executeAt(id, ETH, ETH_PRICE);
        assertEq(engine.position(id).owner, address(0), "close did not execute");
        // 600 USD and the 5 USD reserve, less the 1 % close fee and one second of borrow fee at the rate now in force.
        uint256 borrowFee = _ceilDiv(3_000 * MAX_BORROW_RATE, UNIT_SCALE);
        assertEq(usd.balanceOf(alice) - before, 600 * USD + KEEPER_RESERVE - 30 * USD - borrowFee, "owner's funds");
        assertEq(usd.balanceOf(keeper), 100 * USD, "execution fee");
    }

    // ------------------------------------------------------------ helpers

    function _market() internal view returns (MarketParams memory) {
        return defaultMarketParams(address(ethFeed));
    }

    /// @dev Both setMarketParams and listMarket refuse `p` with the named bound; nothing changes.
    function _expectMarketOutOfBounds(
        MarketParams memory p,
        bytes32 name,
        uint256 value,
        uint256 min,
        uint256 max
    ) internal {
        bytes memory err = abi.encodeWithSelector(IRiskConfig.ParameterOutOfBounds.selector, name, value, min, max);
        Snapshot memory before = _snapshot();
        vm.startPrank(governance);
        vm.expectRevert(err);
        config.setMarketParams(ETH, p);
        vm.expectRevert(err);
        config.listMarket(p);
        vm.stopPrank();
        _assertUnchanged(before, _snapshot());
        assertEq(config.marketCount(), 2, "market listed");
    }

    function _expectGlobalOutOfBounds(
        GlobalParams memory g,
        bytes32 name,
        uint256 value,
        uint256 min,
        uint256 max
    ) internal {
        Snapshot memory before = _snapshot();
        vm.prank(governance);
        vm.expectRevert(abi.encodeWithSelector(IRiskConfig.ParameterOutOfBounds.selector, name, value, min, max));
        config.setGlobalParams(g);
        _assertUnchanged(before, _snapshot());
    }

    function _governanceCalls() internal view returns (bytes[] memory calls) {
        calls = new bytes[](4);
        calls[0] = abi.encodeCall(IRiskConfig.listMarket, (_market()));
        calls[1] = abi.encodeCall(IRiskConfig.setMarketParams, (ETH, _market()));
        calls[2] = abi.encodeCall(IRiskConfig.setGlobalParams, (defaultGlobalParams()));
        calls[3] = abi.encodeCall(IRiskConfig.setSequencerFeed, (ethFeed));
    }

    function _guardianCalls() internal pure returns (bytes[] memory calls) {
        calls = new bytes[](2);
        calls[0] = abi.encodeCall(IRiskConfig.pause, ());
        calls[1] = abi.encodeCall(IRiskConfig.unpause, ());
    }

    function _expectUnauthorized(address caller, bytes[] memory calls) internal {
        for (uint256 i; i < calls.length; ++i) {
            Snapshot memory before = _snapshot();
            vm.prank(caller);
            (bool ok, bytes memory result) = address(config).call(calls[i]);
            assertFalse(ok, "restricted call went through");
            assertEq(
                result,
                abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, caller),
                "wrong error"
            );
            _assertUnchanged(before, _snapshot());
        }
    }
}

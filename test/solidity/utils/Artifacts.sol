// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {Vm} from "forge-std/Vm.sol";

/// @dev The local-chain stablecoin (contracts/mocks/TestStablecoin.sol): a 6-decimal ERC-20 anyone can mint.
interface ITestStablecoin is IERC20Metadata {
    function mint(address to, uint256 amount) external;
}

/// @dev Chainlink's MockV3Aggregator, as the tests drive it.
interface IMockFeed is AggregatorV3Interface {
    function latestAnswer() external view returns (int256);

    function latestRound() external view returns (uint256);

    function latestTimestamp() external view returns (uint256);

    function updateAnswer(int256 answer) external;

    function updateRoundData(uint80 roundId, int256 answer, uint256 timestamp, uint256 startedAt) external;
}

/// @dev Deploys contracts from the project's compiled artifacts. Tests import interfaces only, so compiling them never
/// recompiles the system, and the bytecode they exercise is the one that is deployed (same compiler settings).
library Artifacts {
    Vm private constant VM = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    string internal constant MARGIN_ENGINE = "MarginEngine.sol:MarginEngine";
    string internal constant ORDER_MODULE = "OrderModule.sol:OrderModule";
    string internal constant LIQUIDATION_MODULE = "LiquidationModule.sol:LiquidationModule";
    string internal constant LIQUIDITY_POOL = "LiquidityPool.sol:LiquidityPool";
    string internal constant INSURANCE_FUND = "InsuranceFund.sol:InsuranceFund";
    string internal constant RISK_CONFIG = "RiskConfig.sol:RiskConfig";
    string internal constant LENS = "BulkheadLens.sol:BulkheadLens";
    string internal constant POSITION_VAULT = "PositionVault.sol:PositionVault";
    string internal constant TEST_STABLECOIN = "TestStablecoin.sol:TestStablecoin";
    string internal constant MOCK_FEED = "MockV3Aggregator.sol:MockV3Aggregator";
    string internal constant ACCESS_MANAGER = "AccessManager.sol:AccessManager";

    /// @dev CREATEs `artifact` with ABI-encoded constructor `args`; a constructor revert is re-raised as is, so
    /// `vm.expectRevert` sees the contract's own error.
    function deploy(string memory artifact, bytes memory args) internal returns (address deployed) {
        bytes memory init = bytes.concat(VM.getCode(artifact), args);
        assembly ("memory-safe") {
            deployed := create(0, add(init, 0x20), mload(init))
            if iszero(deployed) {
                let size := returndatasize()
                let ptr := mload(0x40)
                returndatacopy(ptr, 0, size)
                revert(ptr, size)
            }
        }
    }
}

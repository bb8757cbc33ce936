/**
 * The contracts the SDK binds to: every deployable public contract and the interfaces integrators import. One list,
 * read by wagmi.config.ts (viem ABIs), the errors generator and the typechain sync, so the three never disagree.
 */
export const PUBLIC_CONTRACTS = [
  "MarginEngine",
  "OrderModule",
  "LiquidationModule",
  "LiquidityPool",
  "InsuranceFund",
  "RiskConfig",
  "BulkheadLens",
  "PositionVault",
  "TestStablecoin",
] as const;

export const INTERFACES = [
  "IMarginEngine",
  "ILiquidityPool",
  "IInsuranceFund",
  "IRiskConfig",
  "IBulkheadLens",
  "IPositionVault",
  "IEngineBound",
  "IOracleErrors",
] as const;

export const SDK_CONTRACTS = [...PUBLIC_CONTRACTS, ...INTERFACES] as const;

/** Contracts for local chains only: their bindings go to the `mocks` entry points, never the main ones. */
export const MOCK_CONTRACTS: readonly string[] = ["TestStablecoin", "MockV3Aggregator"];

/**
 * Typechain bindings of contracts built from npm packages (`solidity.npmFilesToBuild` in hardhat.config.ts), by
 * source: the settlement token's interface for ethers users, and the mock feed.
 */
export const NPM_TYPECHAIN = [
  { name: "IERC20Metadata", source: "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol" },
  { name: "MockV3Aggregator", source: "@chainlink/contracts/src/v0.8/tests/MockV3Aggregator.sol" },
] as const;
export type SdkContractName = (typeof SDK_CONTRACTS)[number];

/** Where the generated sources go, relative to the repository root. */
export const GENERATED_DIR = "sdk/src/generated";
export const ABIS_OUT = `${GENERATED_DIR}/abis.ts`;
export const ERRORS_OUT = `${GENERATED_DIR}/errors.ts`;
export const TYPECHAIN_OUT = `${GENERATED_DIR}/typechain`;
/** Index of the typechain bindings of MOCK_CONTRACTS (the rest are in `${TYPECHAIN_OUT}/index.ts`). */
export const TYPECHAIN_MOCKS_INDEX = "mocks.ts";

/**
 * Standard interfaces the SDK binds to contracts it does not own, from the ABIs their packages publish (the pinned
 * versions; no compile needed): the settlement token (any ERC-20 with metadata, EIP-2612 permit and the ERC-5267
 * domain) and, for local chains only, Chainlink's mock feed.
 */
export const EXTERNAL_ABIS = [
  { name: "IERC20Metadata", file: "@openzeppelin/contracts/build/contracts/IERC20Metadata.json" },
  { name: "IERC20Permit", file: "@openzeppelin/contracts/build/contracts/IERC20Permit.json" },
  { name: "IERC5267", file: "@openzeppelin/contracts/build/contracts/IERC5267.json" },
  { name: "MockV3Aggregator", file: "@chainlink/contracts/abi/v0.8/MockV3Aggregator.json" },
] as const;

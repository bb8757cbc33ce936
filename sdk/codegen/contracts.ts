/**
 * The contracts the SDK binds to: every deployable public contract and the interfaces integrators import. One list,
 * read by wagmi.config.ts (viem ABIs), the errors generator and the typechain sync, so the three never disagree.
 */
export const PUBLIC_CONTRACTS = [
  "MarginEngine",
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
export type SdkContractName = (typeof SDK_CONTRACTS)[number];

/** Where the generated sources go, relative to the repository root. */
export const GENERATED_DIR = "sdk/src/generated";
export const ABIS_OUT = `${GENERATED_DIR}/abis.ts`;
export const ERRORS_OUT = `${GENERATED_DIR}/errors.ts`;
export const TYPECHAIN_OUT = `${GENERATED_DIR}/typechain`;

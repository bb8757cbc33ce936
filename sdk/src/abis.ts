/**
 * `as const` ABIs of every public contract and interface, generated from the artifacts by the wagmi CLI, so viem
 * infers argument, return, event and error types. `bulkheadErrorsAbi` holds every custom error any of them can
 * revert with (including OpenZeppelin's), for decoding a revert whichever contract it came from.
 */
export {
  bulkheadErrorsAbi,
  bulkheadLensAbi,
  iBulkheadLensAbi,
  iEngineBoundAbi,
  iInsuranceFundAbi,
  iLiquidityPoolAbi,
  iMarginEngineAbi,
  iOracleErrorsAbi,
  iPositionVaultAbi,
  iRiskConfigAbi,
  insuranceFundAbi,
  liquidityPoolAbi,
  marginEngineAbi,
  positionVaultAbi,
  riskConfigAbi,
  testStablecoinAbi,
} from "./generated/abis.js";

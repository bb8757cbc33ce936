/**
 * `as const` ABIs of every public contract and interface, generated from the artifacts by the wagmi CLI, so viem
 * infers argument, return, event and error types. `bulkheadErrorsAbi` holds every custom error any of them can
 * revert with (including OpenZeppelin's), for decoding a revert whichever contract it came from. The settlement token
 * is typed with OpenZeppelin's standard interfaces (`settlementTokenAbi`); the demo's test stablecoin and the mock
 * feed are for local chains only and live in `@bulkhead/sdk/mocks`.
 */
import { ierc20MetadataAbi, ierc20PermitAbi, ierc5267Abi } from "./generated/abis.js";

export {
  bulkheadErrorsAbi,
  bulkheadLensAbi,
  iBulkheadLensAbi,
  iEngineBoundAbi,
  ierc20MetadataAbi,
  ierc20PermitAbi,
  ierc5267Abi,
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
} from "./generated/abis.js";

/**
 * The settlement token as the SDK uses it: an ERC-20 with metadata (OpenZeppelin's `IERC20Metadata`), EIP-2612
 * permit (`IERC20Permit`) and the ERC-5267 EIP-712 domain (`IERC5267`), which the permit signer reads. Tokens
 * without permit work too, with `approval: "approve"`.
 */
export const settlementTokenAbi = [...ierc20MetadataAbi, ...ierc20PermitAbi, ...ierc5267Abi] as const;

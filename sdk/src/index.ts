/**
 * @bulkhead/sdk — typed bindings and maths for the Bulkhead isolated-margin protocol.
 *
 * - viem: `as const` ABIs (`marginEngineAbi`, …), a client (`createBulkheadClient`) and one action per operation
 *   (`openPosition(walletClient, …)`, `getPositionSummary(publicClient, …)`, …);
 * - maths: the contracts' `PositionMath`, name for name, in bigint, plus position-level helpers;
 * - errors: every custom error of the contracts as a named class (`NotLiquidatableError`, …), decoded from viem or
 *   ethers errors by `decodeBulkheadError`;
 * - events: `decodePositionEvents` for viem or ethers logs.
 * ethers v6 users: `@bulkhead/sdk/ethers` (typechain factories); Node.js file loading: `@bulkhead/sdk/node`.
 */
export * from "./abis.js";
export { version } from "./version.js";

// ---------------------------------------------------------------- deployment and client
export {
  parseAddresses,
  parseDeployment,
  type BulkheadAddresses,
  type BulkheadDeployment,
  type DeploymentMarket,
} from "./deployment.js";
export * from "./record.js";
export * from "./params.js";
export * from "./parameters.js";
export { parseInteger, parseRatePerSecond, parseRatio, parseUsd, scaleExact, SECONDS_PER_YEAR } from "./units.js";
export { createBulkheadClient, type BulkheadClient, type CreateBulkheadClientParameters } from "./client.js";
export type { ReadClient, WriteClient, WriteParameters } from "./internal/client.js";
export type { Approval } from "./internal/approval.js";
export { boundPrice, DEFAULT_DEADLINE_SECONDS, DEFAULT_SLIPPAGE_BPS, type TradeOptions } from "./internal/trade.js";

// ---------------------------------------------------------------- actions
export * from "./actions/addMargin.js";
export * from "./actions/closePosition.js";
export * from "./actions/decreasePosition.js";
export * from "./actions/depositLiquidity.js";
export * from "./actions/getGlobalParams.js";
export * from "./actions/getLiquidityBalance.js";
export * from "./actions/getMarket.js";
export * from "./actions/getMarkets.js";
export * from "./actions/getPoolState.js";
export * from "./actions/getPosition.js";
export * from "./actions/getPositionEvents.js";
export * from "./actions/getPositionSummary.js";
export * from "./actions/increasePosition.js";
export * from "./actions/claimRefund.js";
export * from "./actions/liquidate.js";
export * from "./actions/liquidateBatch.js";
export * from "./actions/openPosition.js";
export * from "./actions/removeMargin.js";
export * from "./actions/resolveAddresses.js";
export * from "./actions/signPermit.js";
export * from "./actions/waitForBulkheadReceipt.js";
export * from "./actions/withdrawLiquidity.js";

// ---------------------------------------------------------------- maths
export * from "./math/positionMath.js";
export * from "./math/position.js";
export type * from "./types.js";

// ---------------------------------------------------------------- errors
export { BaseError, type BaseErrorParameters, type BaseErrorType } from "./errors/base.js";
export * from "./errors/contract.js";
export * from "./errors/decode.js";
export * from "./errors/sdk.js";
export * from "./generated/errors.js";

// ---------------------------------------------------------------- events
export * from "./events.js";

/**
 * @bulkhead/sdk — typed bindings and maths for the Bulkhead isolated-margin protocol.
 *
 * - viem: `as const` ABIs (`marginEngineAbi`, …, `settlementTokenAbi`), one action per operation, client first
 *   (`openPosition(walletClient, …)`, `getPositionSummary(publicClient, …)`, …), a `simulate…` variant of every write
 *   returning viem's `{ result, request }`, `client.extend(bulkheadActions({ deployment }))`, and a client
 *   (`createBulkheadClient`);
 * - maths: the contracts' `PositionMath`, name for name, in bigint, plus position-level helpers;
 * - errors: every custom error of the contracts as a named class (`NotLiquidatableError`, …), decoded from viem or
 *   ethers errors by `decodeBulkheadError`; all extend `BulkheadError`, a viem `BaseError`;
 * - events: `decodePositionEvents` for viem or ethers logs.
 * ethers v6 users: `@bulkhead/sdk/ethers` (typechain factories); Node.js file loading: `@bulkhead/sdk/node`; local
 * chains' test stablecoin and mock feed: `@bulkhead/sdk/mocks` (and `@bulkhead/sdk/mocks/ethers`).
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
export * from "./decorators/bulkhead.js";
export type { ReadClient, WriteClient, WriteParameters } from "./internal/client.js";
export type { SimulatedWrite } from "./internal/write.js";
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
export * from "./actions/openPositionAndWait.js";
export * from "./actions/removeMargin.js";
export * from "./actions/resolveAddresses.js";
export * from "./actions/signPermit.js";
export * from "./actions/simulateAddMargin.js";
export * from "./actions/simulateClaimRefund.js";
export * from "./actions/simulateClosePosition.js";
export * from "./actions/simulateDecreasePosition.js";
export * from "./actions/simulateDepositLiquidity.js";
export * from "./actions/simulateIncreasePosition.js";
export * from "./actions/simulateLiquidate.js";
export * from "./actions/simulateLiquidateBatch.js";
export * from "./actions/simulateOpenPosition.js";
export * from "./actions/simulateRemoveMargin.js";
export * from "./actions/simulateWithdrawLiquidity.js";
export * from "./actions/waitForBulkheadReceipt.js";
export * from "./actions/waitForPositionOpened.js";
export * from "./actions/withdrawLiquidity.js";

// ---------------------------------------------------------------- maths
export * from "./math/positionMath.js";
export * from "./math/position.js";
export type * from "./types.js";

// ---------------------------------------------------------------- errors
export { BulkheadError, type BulkheadErrorParameters, type BulkheadErrorType } from "./errors/base.js";
export * from "./errors/contract.js";
export * from "./errors/decode.js";
export * from "./errors/sdk.js";
export * from "./generated/errors.js";

// ---------------------------------------------------------------- events
export * from "./events.js";

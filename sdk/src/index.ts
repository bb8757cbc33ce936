/**
 * @bulkhead/sdk — typed bindings and maths for the Bulkhead isolated-margin protocol.
 *
 * - viem: `as const` ABIs (`marginEngineAbi`, …, `settlementTokenAbi`), one action per operation, client first
 *   (`requestOpen(walletClient, …)`, `getPositionSummary(publicClient, …)`, …), a `simulate…` variant of every write
 *   returning viem's `{ result, request }`, order tracking (`waitForOrderRequested`, `waitForOrder`,
 *   `requestOpenAndWait`), `client.extend(bulkheadActions({ deployment }))`, and a client (`createBulkheadClient`);
 * - maths: the contracts' `PositionMath` and `PoolValuation` (with the pool's share pricing and claim rounding), name
 *   for name, in bigint, plus position-level helpers, what each order's execution would do (`previewOpen`,
 *   `previewIncrease`, `previewDecrease`, `previewClose`, `previewRemoveMargin`) and the engine's profit caps;
 * - errors: every custom error of the contracts as a named class (`NotLiquidatableError`, …), decoded from viem or
 *   ethers errors by `decodeBulkheadError`; all extend `BulkheadError`, a viem `BaseError`;
 * - events: `decodePositionEvents` for viem or ethers logs, and the engine's enums by name (`ORDER_KINDS`, …).
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
// Orders (two steps: a request, then anyone's execution at the feed's next round) and their tracking.
export * from "./actions/requestOpen.js";
export * from "./actions/simulateRequestOpen.js";
export * from "./actions/requestOpenAndWait.js";
export * from "./actions/requestIncrease.js";
export * from "./actions/simulateRequestIncrease.js";
export * from "./actions/requestDecrease.js";
export * from "./actions/simulateRequestDecrease.js";
export * from "./actions/requestClose.js";
export * from "./actions/simulateRequestClose.js";
export * from "./actions/executeOrder.js";
export * from "./actions/simulateExecuteOrder.js";
export * from "./actions/executeOrders.js";
export * from "./actions/simulateExecuteOrders.js";
export * from "./actions/cancelOrder.js";
export * from "./actions/simulateCancelOrder.js";
export * from "./actions/getOrders.js";
export * from "./actions/getOrderStatus.js";
export * from "./actions/getExecutable.js";
export * from "./actions/waitForOrderRequested.js";
export * from "./actions/waitForOrder.js";
// Margin and claims.
export * from "./actions/addMargin.js";
export * from "./actions/simulateAddMargin.js";
export * from "./actions/removeMargin.js";
export * from "./actions/simulateRemoveMargin.js";
export * from "./actions/claim.js";
export * from "./actions/simulateClaim.js";
export * from "./actions/getClaim.js";
// Keepers: liquidation and take-profit.
export * from "./actions/liquidate.js";
export * from "./actions/simulateLiquidate.js";
export * from "./actions/liquidateBatch.js";
export * from "./actions/simulateLiquidateBatch.js";
export * from "./actions/takeProfit.js";
export * from "./actions/simulateTakeProfit.js";
export * from "./actions/takeProfitBatch.js";
export * from "./actions/simulateTakeProfitBatch.js";
export * from "./actions/getAtCap.js";
export * from "./actions/getPastEdges.js";
// Reads.
export * from "./actions/getGlobalParams.js";
export * from "./actions/getLiquidityBalance.js";
export * from "./actions/getMarket.js";
export * from "./actions/getMarkets.js";
export * from "./actions/getPoolState.js";
export * from "./actions/getPosition.js";
export * from "./actions/getPositionEvents.js";
export * from "./actions/getPositionSummary.js";
export * from "./actions/resolveAddresses.js";
export * from "./actions/signPermit.js";
export * from "./actions/waitForBulkheadReceipt.js";
// Liquidity (ERC-7540 requests).
export * from "./actions/requestDeposit.js";
export * from "./actions/simulateRequestDeposit.js";
export * from "./actions/requestRedeem.js";
export * from "./actions/simulateRequestRedeem.js";
export * from "./actions/cancelDepositRequest.js";
export * from "./actions/simulateCancelDepositRequest.js";
export * from "./actions/cancelRedeemRequest.js";
export * from "./actions/simulateCancelRedeemRequest.js";
export * from "./actions/claimCancelDepositRequest.js";
export * from "./actions/simulateClaimCancelDepositRequest.js";
export * from "./actions/claimCancelRedeemRequest.js";
export * from "./actions/simulateClaimCancelRedeemRequest.js";
export * from "./actions/claimDeposit.js";
export * from "./actions/simulateClaimDeposit.js";
export * from "./actions/claimRedeem.js";
export * from "./actions/simulateClaimRedeem.js";
export * from "./actions/executeDeposits.js";
export * from "./actions/simulateExecuteDeposits.js";
export * from "./actions/executeRedeems.js";
export * from "./actions/simulateExecuteRedeems.js";
export * from "./actions/setOperator.js";
export * from "./actions/simulateSetOperator.js";
export * from "./actions/getLpRequests.js";

// ---------------------------------------------------------------- maths
export * from "./math/positionMath.js";
export * from "./math/position.js";
export * from "./math/cap.js";
export * from "./math/orders.js";
export * from "./math/poolValuation.js";
export type * from "./types.js";

// ---------------------------------------------------------------- errors
export { BulkheadError, type BulkheadErrorParameters, type BulkheadErrorType } from "./errors/base.js";
export * from "./errors/contract.js";
export * from "./errors/decode.js";
export * from "./errors/sdk.js";
export * from "./generated/errors.js";

// ---------------------------------------------------------------- events
export * from "./events.js";

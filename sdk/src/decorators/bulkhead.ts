/**
 * viem client decorators: `client.extend(bulkheadActions({ deployment }))` adds the SDK's actions to any viem client
 * as methods, bound to one deployment's addresses. `bulkheadPublicActions` adds the reads and the `simulate…` variants
 * (a public client), `bulkheadWalletActions` the writes (a wallet client), `bulkheadActions` both. Extending a client
 * whose chain is not the deployment's throws `ChainMismatchError`.
 */
import type { Account, Chain, Client, Hash, Transport } from "viem";

import { addMargin, type AddMarginParameters } from "../actions/addMargin.js";
import { cancelOrder, type CancelOrderParameters } from "../actions/cancelOrder.js";
import { claim, type ClaimParameters } from "../actions/claim.js";
import { executeOrder, type ExecuteOrderParameters } from "../actions/executeOrder.js";
import { executeOrders, type ExecuteOrdersParameters } from "../actions/executeOrders.js";
import { getClaim, type GetClaimParameters, type GetClaimReturnType } from "../actions/getClaim.js";
import { getExecutable, type GetExecutableParameters, type GetExecutableReturnType } from "../actions/getExecutable.js";
import { getOrders, type GetOrdersParameters, type GetOrdersReturnType } from "../actions/getOrders.js";
import {
  getOrderStatus,
  type GetOrderStatusParameters,
  type GetOrderStatusReturnType,
} from "../actions/getOrderStatus.js";
import { requestClose, type RequestCloseParameters } from "../actions/requestClose.js";
import { requestDecrease, type RequestDecreaseParameters } from "../actions/requestDecrease.js";
import { requestIncrease, type RequestIncreaseParameters } from "../actions/requestIncrease.js";
import { requestOpen, type RequestOpenParameters } from "../actions/requestOpen.js";
import {
  requestOpenAndWait,
  type RequestOpenAndWaitParameters,
  type RequestOpenAndWaitReturnType,
} from "../actions/requestOpenAndWait.js";
import {
  simulateCancelOrder,
  type SimulateCancelOrderParameters,
  type SimulateCancelOrderReturnType,
} from "../actions/simulateCancelOrder.js";
import { simulateClaim, type SimulateClaimParameters, type SimulateClaimReturnType } from "../actions/simulateClaim.js";
import {
  simulateExecuteOrder,
  type SimulateExecuteOrderParameters,
  type SimulateExecuteOrderReturnType,
} from "../actions/simulateExecuteOrder.js";
import {
  simulateExecuteOrders,
  type SimulateExecuteOrdersParameters,
  type SimulateExecuteOrdersReturnType,
} from "../actions/simulateExecuteOrders.js";
import {
  simulateRequestClose,
  type SimulateRequestCloseParameters,
  type SimulateRequestCloseReturnType,
} from "../actions/simulateRequestClose.js";
import {
  simulateRequestDecrease,
  type SimulateRequestDecreaseParameters,
  type SimulateRequestDecreaseReturnType,
} from "../actions/simulateRequestDecrease.js";
import {
  simulateRequestIncrease,
  type SimulateRequestIncreaseParameters,
  type SimulateRequestIncreaseReturnType,
} from "../actions/simulateRequestIncrease.js";
import {
  simulateRequestOpen,
  type SimulateRequestOpenParameters,
  type SimulateRequestOpenReturnType,
} from "../actions/simulateRequestOpen.js";
import { waitForOrder, type WaitForOrderParameters, type WaitForOrderReturnType } from "../actions/waitForOrder.js";
import { waitForOrderRequested, type WaitForOrderRequestedReturnType } from "../actions/waitForOrderRequested.js";
import { getGlobalParams, type GetGlobalParamsReturnType } from "../actions/getGlobalParams.js";
import {
  getLiquidityBalance,
  type GetLiquidityBalanceParameters,
  type GetLiquidityBalanceReturnType,
} from "../actions/getLiquidityBalance.js";
import { getMarket, type GetMarketParameters, type GetMarketReturnType } from "../actions/getMarket.js";
import { getMarkets, type GetMarketsReturnType } from "../actions/getMarkets.js";
import { getPoolState, type GetPoolStateReturnType } from "../actions/getPoolState.js";
import { getPosition, type GetPositionParameters, type GetPositionReturnType } from "../actions/getPosition.js";
import {
  getPositionEvents,
  type GetPositionEventsParameters,
  type GetPositionEventsReturnType,
} from "../actions/getPositionEvents.js";
import {
  getPositionSummary,
  type GetPositionSummaryParameters,
  type GetPositionSummaryReturnType,
} from "../actions/getPositionSummary.js";
import { liquidate, type LiquidateParameters } from "../actions/liquidate.js";
import { liquidateBatch, type LiquidateBatchParameters } from "../actions/liquidateBatch.js";
import { removeMargin, type RemoveMarginParameters } from "../actions/removeMargin.js";
import { signPermit, type SignPermitParameters, type SignPermitReturnType } from "../actions/signPermit.js";
import {
  simulateAddMargin,
  type SimulateAddMarginParameters,
  type SimulateAddMarginReturnType,
} from "../actions/simulateAddMargin.js";
import {
  simulateLiquidate,
  type SimulateLiquidateParameters,
  type SimulateLiquidateReturnType,
} from "../actions/simulateLiquidate.js";
import {
  simulateLiquidateBatch,
  type SimulateLiquidateBatchParameters,
  type SimulateLiquidateBatchReturnType,
} from "../actions/simulateLiquidateBatch.js";
import {
  simulateRemoveMargin,
  type SimulateRemoveMarginParameters,
  type SimulateRemoveMarginReturnType,
} from "../actions/simulateRemoveMargin.js";
import { waitForBulkheadReceipt, type WaitForBulkheadReceiptReturnType } from "../actions/waitForBulkheadReceipt.js";
import { requestDeposit, type RequestDepositParameters } from "../actions/requestDeposit.js";
import {
  simulateRequestDeposit,
  type SimulateRequestDepositParameters,
  type SimulateRequestDepositReturnType,
} from "../actions/simulateRequestDeposit.js";
import { requestRedeem, type RequestRedeemParameters } from "../actions/requestRedeem.js";
import {
  simulateRequestRedeem,
  type SimulateRequestRedeemParameters,
  type SimulateRequestRedeemReturnType,
} from "../actions/simulateRequestRedeem.js";
import { cancelDepositRequest, type CancelDepositRequestParameters } from "../actions/cancelDepositRequest.js";
import {
  simulateCancelDepositRequest,
  type SimulateCancelDepositRequestParameters,
  type SimulateCancelDepositRequestReturnType,
} from "../actions/simulateCancelDepositRequest.js";
import { cancelRedeemRequest, type CancelRedeemRequestParameters } from "../actions/cancelRedeemRequest.js";
import {
  simulateCancelRedeemRequest,
  type SimulateCancelRedeemRequestParameters,
  type SimulateCancelRedeemRequestReturnType,
} from "../actions/simulateCancelRedeemRequest.js";
import {
  claimCancelDepositRequest,
  type ClaimCancelDepositRequestParameters,
} from "../actions/claimCancelDepositRequest.js";
import {
  simulateClaimCancelDepositRequest,
  type SimulateClaimCancelDepositRequestParameters,
  type SimulateClaimCancelDepositRequestReturnType,
} from "../actions/simulateClaimCancelDepositRequest.js";
import {
  claimCancelRedeemRequest,
  type ClaimCancelRedeemRequestParameters,
} from "../actions/claimCancelRedeemRequest.js";
import {
  simulateClaimCancelRedeemRequest,
  type SimulateClaimCancelRedeemRequestParameters,
  type SimulateClaimCancelRedeemRequestReturnType,
} from "../actions/simulateClaimCancelRedeemRequest.js";
import { claimDeposit, type ClaimDepositParameters } from "../actions/claimDeposit.js";
import {
  simulateClaimDeposit,
  type SimulateClaimDepositParameters,
  type SimulateClaimDepositReturnType,
} from "../actions/simulateClaimDeposit.js";
import { claimRedeem, type ClaimRedeemParameters } from "../actions/claimRedeem.js";
import {
  simulateClaimRedeem,
  type SimulateClaimRedeemParameters,
  type SimulateClaimRedeemReturnType,
} from "../actions/simulateClaimRedeem.js";
import { executeDeposits, type ExecuteDepositsParameters } from "../actions/executeDeposits.js";
import {
  simulateExecuteDeposits,
  type SimulateExecuteDepositsParameters,
  type SimulateExecuteDepositsReturnType,
} from "../actions/simulateExecuteDeposits.js";
import { executeRedeems, type ExecuteRedeemsParameters } from "../actions/executeRedeems.js";
import {
  simulateExecuteRedeems,
  type SimulateExecuteRedeemsParameters,
  type SimulateExecuteRedeemsReturnType,
} from "../actions/simulateExecuteRedeems.js";
import { setOperator, type SetOperatorParameters } from "../actions/setOperator.js";
import {
  simulateSetOperator,
  type SimulateSetOperatorParameters,
  type SimulateSetOperatorReturnType,
} from "../actions/simulateSetOperator.js";
import { takeProfit, type TakeProfitParameters } from "../actions/takeProfit.js";
import {
  simulateTakeProfit,
  type SimulateTakeProfitParameters,
  type SimulateTakeProfitReturnType,
} from "../actions/simulateTakeProfit.js";
import { takeProfitBatch, type TakeProfitBatchParameters } from "../actions/takeProfitBatch.js";
import {
  simulateTakeProfitBatch,
  type SimulateTakeProfitBatchParameters,
  type SimulateTakeProfitBatchReturnType,
} from "../actions/simulateTakeProfitBatch.js";
import { getAtCap, type GetAtCapParameters, type GetAtCapReturnType } from "../actions/getAtCap.js";
import { getPastEdges, type GetPastEdgesParameters, type GetPastEdgesReturnType } from "../actions/getPastEdges.js";
import { getLpRequests, type GetLpRequestsParameters, type GetLpRequestsReturnType } from "../actions/getLpRequests.js";
import { parseAddresses, type BulkheadAddresses, type BulkheadDeployment } from "../deployment.js";
import { ChainMismatchError, InvalidDeploymentError } from "../errors/sdk.js";

/** An action's parameters without the addresses the decorator supplies (distributed over unions). */
export type BoundParameters<parameters> = parameters extends unknown ? Omit<parameters, "addresses"> : never;

/** The deployment the actions are bound to: a parsed deployment file or explicit addresses. */
export type BulkheadActionsConfig = { deployment: BulkheadDeployment } | { addresses: BulkheadAddresses };

// Type aliases, not interfaces: `client.extend` wants an index signature, which only aliases have implicitly.
export type BulkheadPublicActions<chain extends Chain | undefined = Chain | undefined> = {
  getPosition(parameters: BoundParameters<GetPositionParameters>): Promise<GetPositionReturnType>;
  getPositionSummary(parameters: BoundParameters<GetPositionSummaryParameters>): Promise<GetPositionSummaryReturnType>;
  getMarket(parameters: BoundParameters<GetMarketParameters>): Promise<GetMarketReturnType>;
  getMarkets(parameters?: { blockNumber?: bigint | undefined }): Promise<GetMarketsReturnType>;
  getGlobalParams(parameters?: { blockNumber?: bigint | undefined }): Promise<GetGlobalParamsReturnType>;
  getPoolState(parameters?: { blockNumber?: bigint | undefined }): Promise<GetPoolStateReturnType>;
  getLiquidityBalance(
    parameters: BoundParameters<GetLiquidityBalanceParameters>,
  ): Promise<GetLiquidityBalanceReturnType>;
  getPositionEvents(parameters?: BoundParameters<GetPositionEventsParameters>): Promise<GetPositionEventsReturnType>;
  getLpRequests(parameters: BoundParameters<GetLpRequestsParameters>): Promise<GetLpRequestsReturnType>;
  getAtCap(parameters: BoundParameters<GetAtCapParameters>): Promise<GetAtCapReturnType>;
  getPastEdges(parameters: BoundParameters<GetPastEdgesParameters>): Promise<GetPastEdgesReturnType>;
  getOrders(parameters: BoundParameters<GetOrdersParameters>): Promise<GetOrdersReturnType>;
  getOrderStatus(parameters: BoundParameters<GetOrderStatusParameters>): Promise<GetOrderStatusReturnType>;
  getClaim(parameters: BoundParameters<GetClaimParameters>): Promise<GetClaimReturnType>;
  getExecutable(parameters: BoundParameters<GetExecutableParameters>): Promise<GetExecutableReturnType>;
  waitForBulkheadReceipt(parameters: { hash: Hash }): Promise<WaitForBulkheadReceiptReturnType>;
  waitForOrderRequested(parameters: { hash: Hash }): Promise<WaitForOrderRequestedReturnType>;
  /** The outcome of an order; with `execute`, the client (with an account) executes or cancels it itself. */
  waitForOrder(parameters: BoundParameters<WaitForOrderParameters>): Promise<WaitForOrderReturnType>;

  simulateRequestOpen(
    parameters: BoundParameters<SimulateRequestOpenParameters>,
  ): Promise<SimulateRequestOpenReturnType<chain>>;
  simulateRequestIncrease(
    parameters: BoundParameters<SimulateRequestIncreaseParameters>,
  ): Promise<SimulateRequestIncreaseReturnType<chain>>;
  simulateRequestDecrease(
    parameters: BoundParameters<SimulateRequestDecreaseParameters>,
  ): Promise<SimulateRequestDecreaseReturnType<chain>>;
  simulateRequestClose(
    parameters: BoundParameters<SimulateRequestCloseParameters>,
  ): Promise<SimulateRequestCloseReturnType<chain>>;
  simulateExecuteOrder(
    parameters: BoundParameters<SimulateExecuteOrderParameters>,
  ): Promise<SimulateExecuteOrderReturnType<chain>>;
  simulateExecuteOrders(
    parameters: BoundParameters<SimulateExecuteOrdersParameters>,
  ): Promise<SimulateExecuteOrdersReturnType<chain>>;
  simulateCancelOrder(
    parameters: BoundParameters<SimulateCancelOrderParameters>,
  ): Promise<SimulateCancelOrderReturnType<chain>>;
  simulateClaim(parameters: BoundParameters<SimulateClaimParameters>): Promise<SimulateClaimReturnType<chain>>;
  simulateAddMargin(
    parameters: BoundParameters<SimulateAddMarginParameters>,
  ): Promise<SimulateAddMarginReturnType<chain>>;
  simulateRemoveMargin(
    parameters: BoundParameters<SimulateRemoveMarginParameters>,
  ): Promise<SimulateRemoveMarginReturnType<chain>>;
  simulateLiquidate(
    parameters: BoundParameters<SimulateLiquidateParameters>,
  ): Promise<SimulateLiquidateReturnType<chain>>;
  simulateLiquidateBatch(
    parameters: BoundParameters<SimulateLiquidateBatchParameters>,
  ): Promise<SimulateLiquidateBatchReturnType<chain>>;
  simulateRequestDeposit(
    parameters: BoundParameters<SimulateRequestDepositParameters>,
  ): Promise<SimulateRequestDepositReturnType<chain>>;
  simulateRequestRedeem(
    parameters: BoundParameters<SimulateRequestRedeemParameters>,
  ): Promise<SimulateRequestRedeemReturnType<chain>>;
  simulateCancelDepositRequest(
    parameters: BoundParameters<SimulateCancelDepositRequestParameters>,
  ): Promise<SimulateCancelDepositRequestReturnType<chain>>;
  simulateCancelRedeemRequest(
    parameters: BoundParameters<SimulateCancelRedeemRequestParameters>,
  ): Promise<SimulateCancelRedeemRequestReturnType<chain>>;
  simulateClaimCancelDepositRequest(
    parameters: BoundParameters<SimulateClaimCancelDepositRequestParameters>,
  ): Promise<SimulateClaimCancelDepositRequestReturnType<chain>>;
  simulateClaimCancelRedeemRequest(
    parameters: BoundParameters<SimulateClaimCancelRedeemRequestParameters>,
  ): Promise<SimulateClaimCancelRedeemRequestReturnType<chain>>;
  simulateClaimDeposit(
    parameters: BoundParameters<SimulateClaimDepositParameters>,
  ): Promise<SimulateClaimDepositReturnType<chain>>;
  simulateClaimRedeem(
    parameters: BoundParameters<SimulateClaimRedeemParameters>,
  ): Promise<SimulateClaimRedeemReturnType<chain>>;
  simulateExecuteDeposits(
    parameters: BoundParameters<SimulateExecuteDepositsParameters>,
  ): Promise<SimulateExecuteDepositsReturnType<chain>>;
  simulateExecuteRedeems(
    parameters: BoundParameters<SimulateExecuteRedeemsParameters>,
  ): Promise<SimulateExecuteRedeemsReturnType<chain>>;
  simulateSetOperator(
    parameters: BoundParameters<SimulateSetOperatorParameters>,
  ): Promise<SimulateSetOperatorReturnType<chain>>;
  simulateTakeProfit(
    parameters: BoundParameters<SimulateTakeProfitParameters>,
  ): Promise<SimulateTakeProfitReturnType<chain>>;
  simulateTakeProfitBatch(
    parameters: BoundParameters<SimulateTakeProfitBatchParameters>,
  ): Promise<SimulateTakeProfitBatchReturnType<chain>>;
};

export type BulkheadWalletActions = {
  requestOpen(parameters: BoundParameters<RequestOpenParameters>): Promise<Hash>;
  /** Requests an open, waits until it executed, and returns the new position (`OrderCancelledError` if it did not). */
  requestOpenAndWait(parameters: BoundParameters<RequestOpenAndWaitParameters>): Promise<RequestOpenAndWaitReturnType>;
  requestIncrease(parameters: BoundParameters<RequestIncreaseParameters>): Promise<Hash>;
  requestDecrease(parameters: BoundParameters<RequestDecreaseParameters>): Promise<Hash>;
  requestClose(parameters: BoundParameters<RequestCloseParameters>): Promise<Hash>;
  executeOrder(parameters: BoundParameters<ExecuteOrderParameters>): Promise<Hash>;
  executeOrders(parameters: BoundParameters<ExecuteOrdersParameters>): Promise<Hash>;
  cancelOrder(parameters: BoundParameters<CancelOrderParameters>): Promise<Hash>;
  addMargin(parameters: BoundParameters<AddMarginParameters>): Promise<Hash>;
  removeMargin(parameters: BoundParameters<RemoveMarginParameters>): Promise<Hash>;
  claim(parameters: BoundParameters<ClaimParameters>): Promise<Hash>;
  liquidate(parameters: BoundParameters<LiquidateParameters>): Promise<Hash>;
  liquidateBatch(parameters: BoundParameters<LiquidateBatchParameters>): Promise<Hash>;
  requestDeposit(parameters: BoundParameters<RequestDepositParameters>): Promise<Hash>;
  requestRedeem(parameters: BoundParameters<RequestRedeemParameters>): Promise<Hash>;
  cancelDepositRequest(parameters: BoundParameters<CancelDepositRequestParameters>): Promise<Hash>;
  cancelRedeemRequest(parameters: BoundParameters<CancelRedeemRequestParameters>): Promise<Hash>;
  claimCancelDepositRequest(parameters: BoundParameters<ClaimCancelDepositRequestParameters>): Promise<Hash>;
  claimCancelRedeemRequest(parameters: BoundParameters<ClaimCancelRedeemRequestParameters>): Promise<Hash>;
  claimDeposit(parameters: BoundParameters<ClaimDepositParameters>): Promise<Hash>;
  claimRedeem(parameters: BoundParameters<ClaimRedeemParameters>): Promise<Hash>;
  executeDeposits(parameters: BoundParameters<ExecuteDepositsParameters>): Promise<Hash>;
  executeRedeems(parameters: BoundParameters<ExecuteRedeemsParameters>): Promise<Hash>;
  setOperator(parameters: BoundParameters<SetOperatorParameters>): Promise<Hash>;
  takeProfit(parameters: BoundParameters<TakeProfitParameters>): Promise<Hash>;
  takeProfitBatch(parameters: BoundParameters<TakeProfitBatchParameters>): Promise<Hash>;
  /** An EIP-2612 permit of the settlement token for the engine, unless told otherwise. */
  signPermit(
    parameters: Omit<SignPermitParameters, "token" | "spender"> &
      Partial<Pick<SignPermitParameters, "token" | "spender">>,
  ): Promise<SignPermitReturnType>;
};

export type BulkheadActions<chain extends Chain | undefined = Chain | undefined> = BulkheadPublicActions<chain> &
  BulkheadWalletActions;

function addressesOf(config: BulkheadActionsConfig): BulkheadAddresses {
  const addresses = "deployment" in config ? config.deployment.addresses : config.addresses;
  if (addresses === undefined) throw new InvalidDeploymentError("pass a deployment or addresses");
  return parseAddresses(addresses);
}

/** A deployment file is for one chain: a client on another is refused when it is extended (when its chain is known). */
function checkChain(config: BulkheadActionsConfig, client: Client): void {
  if (!("deployment" in config) || client.chain === undefined) return;
  if (client.chain.id !== config.deployment.chainId) {
    throw new ChainMismatchError(config.deployment.chainId, client.chain.id);
  }
}

/** Reads, receipts and `simulate…` variants, bound to a deployment: `publicClient.extend(bulkheadPublicActions(…))`. */
export function bulkheadPublicActions(config: BulkheadActionsConfig) {
  const addresses = addressesOf(config);
  const fromBlock = "deployment" in config ? config.deployment.deploymentBlock : undefined;
  return <transport extends Transport, chain extends Chain | undefined, account extends Account | undefined>(
    client: Client<transport, chain, account>,
  ): BulkheadPublicActions<chain> => {
    checkChain(config, client);
    return {
      getPosition: (parameters) => getPosition(client, { ...parameters, addresses }),
      getPositionSummary: (parameters) => getPositionSummary(client, { ...parameters, addresses }),
      getMarket: (parameters) => getMarket(client, { ...parameters, addresses }),
      getMarkets: (parameters) => getMarkets(client, { ...parameters, addresses }),
      getGlobalParams: (parameters) => getGlobalParams(client, { ...parameters, addresses }),
      getPoolState: (parameters) => getPoolState(client, { ...parameters, addresses }),
      getLiquidityBalance: (parameters) => getLiquidityBalance(client, { ...parameters, addresses }),
      getPositionEvents: (parameters) => getPositionEvents(client, { fromBlock, ...parameters, addresses }),
      getLpRequests: (parameters) => getLpRequests(client, { ...parameters, addresses }),
      getAtCap: (parameters) => getAtCap(client, { ...parameters, addresses }),
      getPastEdges: (parameters) => getPastEdges(client, { ...parameters, addresses }),
      getOrders: (parameters) => getOrders(client, { ...parameters, addresses }),
      getOrderStatus: (parameters) => getOrderStatus(client, { ...parameters, addresses }),
      getClaim: (parameters) => getClaim(client, { ...parameters, addresses }),
      getExecutable: (parameters) => getExecutable(client, { ...parameters, addresses }),
      waitForBulkheadReceipt: ({ hash }) => waitForBulkheadReceipt(client, { hash, addresses }),
      waitForOrderRequested: ({ hash }) => waitForOrderRequested(client, { hash, addresses }),
      waitForOrder: (parameters) => waitForOrder(client, { ...parameters, addresses }),
      simulateRequestOpen: (parameters) => simulateRequestOpen(client, { ...parameters, addresses }),
      simulateRequestIncrease: (parameters) => simulateRequestIncrease(client, { ...parameters, addresses }),
      simulateRequestDecrease: (parameters) => simulateRequestDecrease(client, { ...parameters, addresses }),
      simulateRequestClose: (parameters) => simulateRequestClose(client, { ...parameters, addresses }),
      simulateExecuteOrder: (parameters) => simulateExecuteOrder(client, { ...parameters, addresses }),
      simulateExecuteOrders: (parameters) => simulateExecuteOrders(client, { ...parameters, addresses }),
      simulateCancelOrder: (parameters) => simulateCancelOrder(client, { ...parameters, addresses }),
      simulateClaim: (parameters) => simulateClaim(client, { ...parameters, addresses }),
      simulateAddMargin: (parameters) => simulateAddMargin(client, { ...parameters, addresses }),
      simulateRemoveMargin: (parameters) => simulateRemoveMargin(client, { ...parameters, addresses }),
      simulateLiquidate: (parameters) => simulateLiquidate(client, { ...parameters, addresses }),
      simulateLiquidateBatch: (parameters) => simulateLiquidateBatch(client, { ...parameters, addresses }),
      simulateRequestDeposit: (parameters) => simulateRequestDeposit(client, { ...parameters, addresses }),
      simulateRequestRedeem: (parameters) => simulateRequestRedeem(client, { ...parameters, addresses }),
      simulateCancelDepositRequest: (parameters) => simulateCancelDepositRequest(client, { ...parameters, addresses }),
      simulateCancelRedeemRequest: (parameters) => simulateCancelRedeemRequest(client, { ...parameters, addresses }),
      simulateClaimCancelDepositRequest: (parameters) =>
        simulateClaimCancelDepositRequest(client, { ...parameters, addresses }),
      simulateClaimCancelRedeemRequest: (parameters) =>
        simulateClaimCancelRedeemRequest(client, { ...parameters, addresses }),
      simulateClaimDeposit: (parameters) =>
        simulateClaimDeposit(client, { ...parameters, addresses } as SimulateClaimDepositParameters),
      simulateClaimRedeem: (parameters) =>
        simulateClaimRedeem(client, { ...parameters, addresses } as SimulateClaimRedeemParameters),
      simulateExecuteDeposits: (parameters) => simulateExecuteDeposits(client, { ...parameters, addresses }),
      simulateExecuteRedeems: (parameters) => simulateExecuteRedeems(client, { ...parameters, addresses }),
      simulateSetOperator: (parameters) => simulateSetOperator(client, { ...parameters, addresses }),
      simulateTakeProfit: (parameters) => simulateTakeProfit(client, { ...parameters, addresses }),
      simulateTakeProfitBatch: (parameters) => simulateTakeProfitBatch(client, { ...parameters, addresses }),
    };
  };
}

/** The writes (approvals or permits included), bound to a deployment: `walletClient.extend(bulkheadWalletActions(…))`. */
export function bulkheadWalletActions(config: BulkheadActionsConfig) {
  const addresses = addressesOf(config);
  return <transport extends Transport, chain extends Chain | undefined, account extends Account | undefined>(
    client: Client<transport, chain, account>,
  ): BulkheadWalletActions => {
    checkChain(config, client);
    return {
      requestOpen: (parameters) => requestOpen(client, { ...parameters, addresses }),
      requestOpenAndWait: (parameters) => requestOpenAndWait(client, { ...parameters, addresses }),
      requestIncrease: (parameters) => requestIncrease(client, { ...parameters, addresses }),
      requestDecrease: (parameters) => requestDecrease(client, { ...parameters, addresses }),
      requestClose: (parameters) => requestClose(client, { ...parameters, addresses }),
      executeOrder: (parameters) => executeOrder(client, { ...parameters, addresses }),
      executeOrders: (parameters) => executeOrders(client, { ...parameters, addresses }),
      cancelOrder: (parameters) => cancelOrder(client, { ...parameters, addresses }),
      addMargin: (parameters) => addMargin(client, { ...parameters, addresses }),
      removeMargin: (parameters) => removeMargin(client, { ...parameters, addresses }),
      claim: (parameters) => claim(client, { ...parameters, addresses }),
      liquidate: (parameters) => liquidate(client, { ...parameters, addresses }),
      liquidateBatch: (parameters) => liquidateBatch(client, { ...parameters, addresses }),
      requestDeposit: (parameters) => requestDeposit(client, { ...parameters, addresses }),
      requestRedeem: (parameters) => requestRedeem(client, { ...parameters, addresses }),
      cancelDepositRequest: (parameters) => cancelDepositRequest(client, { ...parameters, addresses }),
      cancelRedeemRequest: (parameters) => cancelRedeemRequest(client, { ...parameters, addresses }),
      claimCancelDepositRequest: (parameters) => claimCancelDepositRequest(client, { ...parameters, addresses }),
      claimCancelRedeemRequest: (parameters) => claimCancelRedeemRequest(client, { ...parameters, addresses }),
      claimDeposit: (parameters) => claimDeposit(client, { ...parameters, addresses } as ClaimDepositParameters),
      claimRedeem: (parameters) => claimRedeem(client, { ...parameters, addresses } as ClaimRedeemParameters),
      executeDeposits: (parameters) => executeDeposits(client, { ...parameters, addresses }),
      executeRedeems: (parameters) => executeRedeems(client, { ...parameters, addresses }),
      setOperator: (parameters) => setOperator(client, { ...parameters, addresses }),
      takeProfit: (parameters) => takeProfit(client, { ...parameters, addresses }),
      takeProfitBatch: (parameters) => takeProfitBatch(client, { ...parameters, addresses }),
      signPermit: (parameters) =>
        signPermit(client, { token: addresses.asset, spender: addresses.marginEngine, ...parameters }),
    };
  };
}

/**
 * Every action, bound to a deployment: `client.extend(bulkheadActions({ deployment }))`. The writes need a client
 * with an account (or an `account` per call); the `simulate…` variants return a `request` for `writeContract`.
 */
export function bulkheadActions(config: BulkheadActionsConfig) {
  const publicActions = bulkheadPublicActions(config);
  const walletActions = bulkheadWalletActions(config);
  return <transport extends Transport, chain extends Chain | undefined, account extends Account | undefined>(
    client: Client<transport, chain, account>,
  ): BulkheadActions<chain> => ({ ...publicActions(client), ...walletActions(client) });
}

/**
 * A Bulkhead client: the SDK's actions bound to a viem public client (reads), an optional wallet client (writes) and
 * one deployment. The viem-style alternative, with the `simulate…` variants too, is
 * `client.extend(bulkheadActions({ deployment }))` (decorators/bulkhead.ts).
 */
import type { Address, Hash } from "viem";

import { addMargin, type AddMarginParameters } from "./actions/addMargin.js";
import { cancelOrder, type CancelOrderParameters } from "./actions/cancelOrder.js";
import { claim, type ClaimParameters } from "./actions/claim.js";
import { executeOrder, type ExecuteOrderParameters } from "./actions/executeOrder.js";
import { executeOrders, type ExecuteOrdersParameters } from "./actions/executeOrders.js";
import { getClaim, type GetClaimReturnType } from "./actions/getClaim.js";
import { getExecutable, type GetExecutableReturnType } from "./actions/getExecutable.js";
import { getOrders, type GetOrdersReturnType } from "./actions/getOrders.js";
import { getOrderStatus, type GetOrderStatusReturnType } from "./actions/getOrderStatus.js";
import { requestClose, type RequestCloseParameters } from "./actions/requestClose.js";
import { requestDecrease, type RequestDecreaseParameters } from "./actions/requestDecrease.js";
import { requestIncrease, type RequestIncreaseParameters } from "./actions/requestIncrease.js";
import { requestOpen, type RequestOpenParameters } from "./actions/requestOpen.js";
import {
  requestOpenAndWait,
  type RequestOpenAndWaitParameters,
  type RequestOpenAndWaitReturnType,
} from "./actions/requestOpenAndWait.js";
import { waitForOrder, type WaitForOrderParameters, type WaitForOrderReturnType } from "./actions/waitForOrder.js";
import { waitForOrderRequested, type WaitForOrderRequestedReturnType } from "./actions/waitForOrderRequested.js";
import { getGlobalParams, type GetGlobalParamsReturnType } from "./actions/getGlobalParams.js";
import {
  getLiquidityBalance,
  type GetLiquidityBalanceParameters,
  type GetLiquidityBalanceReturnType,
} from "./actions/getLiquidityBalance.js";
import { getMarket, type GetMarketReturnType } from "./actions/getMarket.js";
import { getMarkets, type GetMarketsReturnType } from "./actions/getMarkets.js";
import { getPoolState, type GetPoolStateReturnType } from "./actions/getPoolState.js";
import { getPosition, type GetPositionReturnType } from "./actions/getPosition.js";
import {
  getPositionEvents,
  type GetPositionEventsParameters,
  type GetPositionEventsReturnType,
} from "./actions/getPositionEvents.js";
import { getPositionSummary, type GetPositionSummaryReturnType } from "./actions/getPositionSummary.js";
import { liquidate, type LiquidateParameters } from "./actions/liquidate.js";
import { liquidateBatch, type LiquidateBatchParameters } from "./actions/liquidateBatch.js";
import { removeMargin, type RemoveMarginParameters } from "./actions/removeMargin.js";
import { signPermit, type SignPermitParameters, type SignPermitReturnType } from "./actions/signPermit.js";
import { waitForBulkheadReceipt, type WaitForBulkheadReceiptReturnType } from "./actions/waitForBulkheadReceipt.js";
import { requestDeposit, type RequestDepositParameters } from "./actions/requestDeposit.js";
import { requestRedeem, type RequestRedeemParameters } from "./actions/requestRedeem.js";
import { cancelDepositRequest, type CancelDepositRequestParameters } from "./actions/cancelDepositRequest.js";
import { cancelRedeemRequest, type CancelRedeemRequestParameters } from "./actions/cancelRedeemRequest.js";
import {
  claimCancelDepositRequest,
  type ClaimCancelDepositRequestParameters,
} from "./actions/claimCancelDepositRequest.js";
import {
  claimCancelRedeemRequest,
  type ClaimCancelRedeemRequestParameters,
} from "./actions/claimCancelRedeemRequest.js";
import { claimDeposit, type ClaimDepositParameters } from "./actions/claimDeposit.js";
import { claimRedeem, type ClaimRedeemParameters } from "./actions/claimRedeem.js";
import { executeDeposits, type ExecuteDepositsParameters } from "./actions/executeDeposits.js";
import { executeRedeems, type ExecuteRedeemsParameters } from "./actions/executeRedeems.js";
import { setOperator, type SetOperatorParameters } from "./actions/setOperator.js";
import { takeProfit, type TakeProfitParameters } from "./actions/takeProfit.js";
import { takeProfitBatch, type TakeProfitBatchParameters } from "./actions/takeProfitBatch.js";
import { getAtCap, type GetAtCapReturnType } from "./actions/getAtCap.js";
import { getPastEdges, type GetPastEdgesReturnType } from "./actions/getPastEdges.js";
import { getLpRequests, type GetLpRequestsReturnType } from "./actions/getLpRequests.js";
import { parseAddresses, type BulkheadAddresses, type BulkheadDeployment } from "./deployment.js";
import { ChainMismatchError, InvalidDeploymentError, WalletClientRequiredError } from "./errors/sdk.js";
import type { ReadClient, WriteClient } from "./internal/client.js";

/** An action's parameters without the addresses the client supplies (distributed over unions). */
type Bound<parameters> = parameters extends unknown ? Omit<parameters, "addresses"> : never;

export interface CreateBulkheadClientParameters {
  /** Reads, simulations and receipts. */
  publicClient: ReadClient;
  /** Signs and sends; required for the write methods only. */
  walletClient?: WriteClient | undefined;
  /** A parsed deployment (`loadDeployment` / `parseDeployment`) or explicit addresses. */
  deployment?: BulkheadDeployment | undefined;
  addresses?: BulkheadAddresses | undefined;
}

export interface BulkheadClient {
  readonly addresses: BulkheadAddresses;
  readonly deployment: BulkheadDeployment | undefined;
  readonly publicClient: ReadClient;
  readonly walletClient: WriteClient | undefined;

  getPosition(positionId: bigint, options?: { blockNumber?: bigint }): Promise<GetPositionReturnType>;
  getPositionSummary(positionId: bigint, options?: { blockNumber?: bigint }): Promise<GetPositionSummaryReturnType>;
  getMarket(marketId: bigint, options?: { blockNumber?: bigint }): Promise<GetMarketReturnType>;
  getMarkets(options?: { blockNumber?: bigint }): Promise<GetMarketsReturnType>;
  getGlobalParams(options?: { blockNumber?: bigint }): Promise<GetGlobalParamsReturnType>;
  getPoolState(options?: { blockNumber?: bigint }): Promise<GetPoolStateReturnType>;
  getLiquidityBalance(parameters: Bound<GetLiquidityBalanceParameters>): Promise<GetLiquidityBalanceReturnType>;
  getPositionEvents(parameters?: Bound<GetPositionEventsParameters>): Promise<GetPositionEventsReturnType>;
  getLpRequests(controller: Address, options?: { blockNumber?: bigint }): Promise<GetLpRequestsReturnType>;
  getAtCap(positionIds: readonly bigint[], options?: { blockNumber?: bigint }): Promise<GetAtCapReturnType>;
  /** Whether a position of the market is past its cap or bankruptcy price at `price` (LP requests wait while so). */
  getPastEdges(marketId: bigint, price: bigint, options?: { blockNumber?: bigint }): Promise<GetPastEdgesReturnType>;
  getOrders(positionId: bigint, options?: { blockNumber?: bigint }): Promise<GetOrdersReturnType>;
  getOrderStatus(positionId: bigint, options?: { blockNumber?: bigint }): Promise<GetOrderStatusReturnType>;
  getClaim(positionId: bigint, options?: { blockNumber?: bigint }): Promise<GetClaimReturnType>;
  getExecutable(positionIds: readonly bigint[], options?: { blockNumber?: bigint }): Promise<GetExecutableReturnType>;
  waitForTransaction(hash: Hash): Promise<WaitForBulkheadReceiptReturnType>;
  /** The order a request's transaction made (for an open, the new position's id). */
  waitForOrderRequested(hash: Hash): Promise<WaitForOrderRequestedReturnType>;
  /** The outcome of an order (executed or cancelled); with `execute`, the wallet client executes it itself. */
  waitForOrder(parameters: Bound<WaitForOrderParameters>): Promise<WaitForOrderReturnType>;

  requestOpen(parameters: Bound<RequestOpenParameters>): Promise<Hash>;
  /** Requests an open, waits until it executed, and returns the new position (`OrderCancelledError` if it did not). */
  requestOpenAndWait(parameters: Bound<RequestOpenAndWaitParameters>): Promise<RequestOpenAndWaitReturnType>;
  requestIncrease(parameters: Bound<RequestIncreaseParameters>): Promise<Hash>;
  requestDecrease(parameters: Bound<RequestDecreaseParameters>): Promise<Hash>;
  requestClose(parameters: Bound<RequestCloseParameters>): Promise<Hash>;
  executeOrder(parameters: Bound<ExecuteOrderParameters>): Promise<Hash>;
  executeOrders(parameters: Bound<ExecuteOrdersParameters>): Promise<Hash>;
  cancelOrder(parameters: Bound<CancelOrderParameters>): Promise<Hash>;
  addMargin(parameters: Bound<AddMarginParameters>): Promise<Hash>;
  removeMargin(parameters: Bound<RemoveMarginParameters>): Promise<Hash>;
  claim(parameters: Bound<ClaimParameters>): Promise<Hash>;
  liquidate(parameters: Bound<LiquidateParameters>): Promise<Hash>;
  liquidateBatch(parameters: Bound<LiquidateBatchParameters>): Promise<Hash>;
  requestDeposit(parameters: Bound<RequestDepositParameters>): Promise<Hash>;
  requestRedeem(parameters: Bound<RequestRedeemParameters>): Promise<Hash>;
  cancelDepositRequest(parameters: Bound<CancelDepositRequestParameters>): Promise<Hash>;
  cancelRedeemRequest(parameters: Bound<CancelRedeemRequestParameters>): Promise<Hash>;
  claimCancelDepositRequest(parameters: Bound<ClaimCancelDepositRequestParameters>): Promise<Hash>;
  claimCancelRedeemRequest(parameters: Bound<ClaimCancelRedeemRequestParameters>): Promise<Hash>;
  claimDeposit(parameters: Bound<ClaimDepositParameters>): Promise<Hash>;
  claimRedeem(parameters: Bound<ClaimRedeemParameters>): Promise<Hash>;
  executeDeposits(parameters: Bound<ExecuteDepositsParameters>): Promise<Hash>;
  executeRedeems(parameters: Bound<ExecuteRedeemsParameters>): Promise<Hash>;
  setOperator(parameters: Bound<SetOperatorParameters>): Promise<Hash>;
  takeProfit(parameters: Bound<TakeProfitParameters>): Promise<Hash>;
  takeProfitBatch(parameters: Bound<TakeProfitBatchParameters>): Promise<Hash>;
  signPermit(
    parameters: Omit<SignPermitParameters, "token" | "spender"> &
      Partial<Pick<SignPermitParameters, "token" | "spender">>,
  ): Promise<SignPermitReturnType>;
}

/**
 * Binds the SDK's actions to clients and a deployment. With a deployment file, the client's chain is checked against
 * it on the first call.
 */
export function createBulkheadClient({
  publicClient,
  walletClient,
  deployment,
  addresses: explicit,
}: CreateBulkheadClientParameters): BulkheadClient {
  const addresses = explicit ?? deployment?.addresses;
  if (addresses === undefined) throw new InvalidDeploymentError("pass a deployment or addresses");
  const checked = parseAddresses(addresses);
  let chainChecked: Promise<void> | undefined;
  const checkChain = (): Promise<void> => {
    chainChecked ??= (async () => {
      if (deployment === undefined) return;
      const chainId = publicClient.chain?.id ?? Number(await publicClient.request({ method: "eth_chainId" }));
      if (chainId !== deployment.chainId) throw new ChainMismatchError(deployment.chainId, chainId);
    })();
    return chainChecked;
  };
  const read = <T>(run: () => Promise<T>): Promise<T> => checkChain().then(run);
  const write = <T>(method: string, run: (client: WriteClient) => Promise<T>): Promise<T> => {
    if (walletClient === undefined) return Promise.reject(new WalletClientRequiredError(method));
    return checkChain().then(() => run(walletClient));
  };
  const base = { addresses: checked };
  return {
    addresses: checked,
    deployment,
    publicClient,
    walletClient,
    getPosition: (positionId, options) => read(() => getPosition(publicClient, { ...base, positionId, ...options })),
    getPositionSummary: (positionId, options) =>
      read(() => getPositionSummary(publicClient, { ...base, positionId, ...options })),
    getMarket: (marketId, options) => read(() => getMarket(publicClient, { ...base, marketId, ...options })),
    getMarkets: (options) => read(() => getMarkets(publicClient, { ...base, ...options })),
    getGlobalParams: (options) => read(() => getGlobalParams(publicClient, { ...base, ...options })),
    getPoolState: (options) => read(() => getPoolState(publicClient, { ...base, ...options })),
    getLiquidityBalance: (parameters) => read(() => getLiquidityBalance(publicClient, { ...base, ...parameters })),
    getPositionEvents: (parameters) =>
      read(() => getPositionEvents(publicClient, { fromBlock: deployment?.deploymentBlock, ...base, ...parameters })),
    getLpRequests: (controller, options) =>
      read(() => getLpRequests(publicClient, { ...base, controller, ...options })),
    getAtCap: (positionIds, options) => read(() => getAtCap(publicClient, { ...base, positionIds, ...options })),
    getPastEdges: (marketId, price, options) =>
      read(() => getPastEdges(publicClient, { ...base, marketId, price, ...options })),
    getOrders: (positionId, options) => read(() => getOrders(publicClient, { ...base, positionId, ...options })),
    getOrderStatus: (positionId, options) =>
      read(() => getOrderStatus(publicClient, { ...base, positionId, ...options })),
    getClaim: (positionId, options) => read(() => getClaim(publicClient, { ...base, positionId, ...options })),
    getExecutable: (positionIds, options) =>
      read(() => getExecutable(publicClient, { ...base, positionIds, ...options })),
    waitForTransaction: (hash) => waitForBulkheadReceipt(publicClient, { hash, addresses: checked }),
    waitForOrderRequested: (hash) => waitForOrderRequested(publicClient, { hash, addresses: checked }),
    // Executing needs the wallet client; waiting alone reads through the public client.
    waitForOrder: (parameters) =>
      parameters.execute === true
        ? write("waitForOrder", (client) => waitForOrder(client, { ...base, ...parameters }))
        : read(() => waitForOrder(publicClient, { ...base, ...parameters })),
    requestOpen: (parameters) => write("requestOpen", (client) => requestOpen(client, { ...base, ...parameters })),
    requestOpenAndWait: (parameters) =>
      write("requestOpenAndWait", (client) => requestOpenAndWait(client, { ...base, ...parameters })),
    requestIncrease: (parameters) =>
      write("requestIncrease", (client) => requestIncrease(client, { ...base, ...parameters })),
    requestDecrease: (parameters) =>
      write("requestDecrease", (client) => requestDecrease(client, { ...base, ...parameters })),
    requestClose: (parameters) => write("requestClose", (client) => requestClose(client, { ...base, ...parameters })),
    executeOrder: (parameters) => write("executeOrder", (client) => executeOrder(client, { ...base, ...parameters })),
    executeOrders: (parameters) =>
      write("executeOrders", (client) => executeOrders(client, { ...base, ...parameters })),
    cancelOrder: (parameters) => write("cancelOrder", (client) => cancelOrder(client, { ...base, ...parameters })),
    addMargin: (parameters) => write("addMargin", (client) => addMargin(client, { ...base, ...parameters })),
    removeMargin: (parameters) => write("removeMargin", (client) => removeMargin(client, { ...base, ...parameters })),
    claim: (parameters) => write("claim", (client) => claim(client, { ...base, ...parameters })),
    liquidate: (parameters) => write("liquidate", (client) => liquidate(client, { ...base, ...parameters })),
    liquidateBatch: (parameters) =>
      write("liquidateBatch", (client) => liquidateBatch(client, { ...base, ...parameters })),
    requestDeposit: (parameters) =>
      write("requestDeposit", (client) => requestDeposit(client, { ...base, ...parameters })),
    requestRedeem: (parameters) =>
      write("requestRedeem", (client) => requestRedeem(client, { ...base, ...parameters })),
    cancelDepositRequest: (parameters) =>
      write("cancelDepositRequest", (client) => cancelDepositRequest(client, { ...base, ...parameters })),
    cancelRedeemRequest: (parameters) =>
      write("cancelRedeemRequest", (client) => cancelRedeemRequest(client, { ...base, ...parameters })),
    claimCancelDepositRequest: (parameters) =>
      write("claimCancelDepositRequest", (client) => claimCancelDepositRequest(client, { ...base, ...parameters })),
    claimCancelRedeemRequest: (parameters) =>
      write("claimCancelRedeemRequest", (client) => claimCancelRedeemRequest(client, { ...base, ...parameters })),
    claimDeposit: (parameters) =>
      write("claimDeposit", (client) => claimDeposit(client, { ...base, ...parameters } as ClaimDepositParameters)),
    claimRedeem: (parameters) =>
      write("claimRedeem", (client) => claimRedeem(client, { ...base, ...parameters } as ClaimRedeemParameters)),
    executeDeposits: (parameters) =>
      write("executeDeposits", (client) => executeDeposits(client, { ...base, ...parameters })),
    executeRedeems: (parameters) =>
      write("executeRedeems", (client) => executeRedeems(client, { ...base, ...parameters })),
    setOperator: (parameters) => write("setOperator", (client) => setOperator(client, { ...base, ...parameters })),
    takeProfit: (parameters) => write("takeProfit", (client) => takeProfit(client, { ...base, ...parameters })),
    takeProfitBatch: (parameters) =>
      write("takeProfitBatch", (client) => takeProfitBatch(client, { ...base, ...parameters })),
    signPermit: (parameters) =>
      write("signPermit", (client) =>
        signPermit(client, { token: checked.asset, spender: checked.marginEngine, ...parameters }),
      ),
  };
}

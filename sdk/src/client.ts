/**
 * A Bulkhead client: the SDK's actions bound to a viem public client (reads), an optional wallet client (writes) and
 * one deployment. The viem-style alternative, with the `simulate…` variants too, is
 * `client.extend(bulkheadActions({ deployment }))` (decorators/bulkhead.ts).
 */
import type { Address, Hash } from "viem";

import { addMargin, type AddMarginParameters } from "./actions/addMargin.js";
import { closePosition, type ClosePositionParameters } from "./actions/closePosition.js";
import { decreasePosition, type DecreasePositionParameters } from "./actions/decreasePosition.js";
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
import { increasePosition, type IncreasePositionParameters } from "./actions/increasePosition.js";
import { claimRefund, type ClaimRefundParameters } from "./actions/claimRefund.js";
import { liquidate, type LiquidateParameters } from "./actions/liquidate.js";
import { liquidateBatch, type LiquidateBatchParameters } from "./actions/liquidateBatch.js";
import { openPosition, type OpenPositionParameters } from "./actions/openPosition.js";
import { openPositionAndWait, type OpenPositionAndWaitReturnType } from "./actions/openPositionAndWait.js";
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
  waitForTransaction(hash: Hash): Promise<WaitForBulkheadReceiptReturnType>;

  openPosition(parameters: Bound<OpenPositionParameters>): Promise<Hash>;
  /** Opens, waits, and returns the new position's id. */
  openPositionAndWait(parameters: Bound<OpenPositionParameters>): Promise<OpenPositionAndWaitReturnType>;
  increasePosition(parameters: Bound<IncreasePositionParameters>): Promise<Hash>;
  decreasePosition(parameters: Bound<DecreasePositionParameters>): Promise<Hash>;
  closePosition(parameters: Bound<ClosePositionParameters>): Promise<Hash>;
  addMargin(parameters: Bound<AddMarginParameters>): Promise<Hash>;
  removeMargin(parameters: Bound<RemoveMarginParameters>): Promise<Hash>;
  liquidate(parameters: Bound<LiquidateParameters>): Promise<Hash>;
  liquidateBatch(parameters: Bound<LiquidateBatchParameters>): Promise<Hash>;
  claimRefund(parameters: Bound<ClaimRefundParameters>): Promise<Hash>;
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
    waitForTransaction: (hash) => waitForBulkheadReceipt(publicClient, { hash, addresses: checked }),
    openPosition: (parameters) => write("openPosition", (client) => openPosition(client, { ...base, ...parameters })),
    openPositionAndWait: (parameters) =>
      write("openPositionAndWait", (client) => openPositionAndWait(client, { ...base, ...parameters })),
    increasePosition: (parameters) =>
      write("increasePosition", (client) => increasePosition(client, { ...base, ...parameters })),
    decreasePosition: (parameters) =>
      write("decreasePosition", (client) => decreasePosition(client, { ...base, ...parameters })),
    closePosition: (parameters) =>
      write("closePosition", (client) => closePosition(client, { ...base, ...parameters })),
    addMargin: (parameters) => write("addMargin", (client) => addMargin(client, { ...base, ...parameters })),
    removeMargin: (parameters) => write("removeMargin", (client) => removeMargin(client, { ...base, ...parameters })),
    liquidate: (parameters) => write("liquidate", (client) => liquidate(client, { ...base, ...parameters })),
    liquidateBatch: (parameters) =>
      write("liquidateBatch", (client) => liquidateBatch(client, { ...base, ...parameters })),
    claimRefund: (parameters) => write("claimRefund", (client) => claimRefund(client, { ...base, ...parameters })),
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

/**
 * A Bulkhead client: the SDK's actions bound to a viem public client (reads), an optional wallet client (writes) and
 * one deployment. The viem-style alternative, with the `simulate…` variants too, is
 * `client.extend(bulkheadActions({ deployment }))` (decorators/bulkhead.ts).
 */
import type { Hash } from "viem";

import { addMargin, type AddMarginParameters } from "./actions/addMargin.js";
import { closePosition, type ClosePositionParameters } from "./actions/closePosition.js";
import { decreasePosition, type DecreasePositionParameters } from "./actions/decreasePosition.js";
import { depositLiquidity, type DepositLiquidityParameters } from "./actions/depositLiquidity.js";
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
import { withdrawLiquidity, type WithdrawLiquidityParameters } from "./actions/withdrawLiquidity.js";
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
  depositLiquidity(parameters: Bound<DepositLiquidityParameters>): Promise<Hash>;
  withdrawLiquidity(parameters: Bound<WithdrawLiquidityParameters>): Promise<Hash>;
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
    depositLiquidity: (parameters) =>
      write("depositLiquidity", (client) => depositLiquidity(client, { ...base, ...parameters })),
    withdrawLiquidity: (parameters) =>
      write("withdrawLiquidity", (client) =>
        withdrawLiquidity(client, { ...base, ...parameters } as WithdrawLiquidityParameters),
      ),
    signPermit: (parameters) =>
      write("signPermit", (client) =>
        signPermit(client, { token: checked.asset, spender: checked.marginEngine, ...parameters }),
      ),
  };
}

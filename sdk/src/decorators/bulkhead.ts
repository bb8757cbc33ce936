/**
 * viem client decorators: `client.extend(bulkheadActions({ deployment }))` adds the SDK's actions to any viem client
 * as methods, bound to one deployment's addresses. `bulkheadPublicActions` adds the reads and the `simulate…` variants
 * (a public client), `bulkheadWalletActions` the writes (a wallet client), `bulkheadActions` both. Extending a client
 * whose chain is not the deployment's throws `ChainMismatchError`.
 */
import type { Account, Chain, Client, Hash, Transport } from "viem";

import { addMargin, type AddMarginParameters } from "../actions/addMargin.js";
import { claimRefund, type ClaimRefundParameters } from "../actions/claimRefund.js";
import { closePosition, type ClosePositionParameters } from "../actions/closePosition.js";
import { decreasePosition, type DecreasePositionParameters } from "../actions/decreasePosition.js";
import { depositLiquidity, type DepositLiquidityParameters } from "../actions/depositLiquidity.js";
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
import { increasePosition, type IncreasePositionParameters } from "../actions/increasePosition.js";
import { liquidate, type LiquidateParameters } from "../actions/liquidate.js";
import { liquidateBatch, type LiquidateBatchParameters } from "../actions/liquidateBatch.js";
import { openPosition, type OpenPositionParameters } from "../actions/openPosition.js";
import { openPositionAndWait, type OpenPositionAndWaitReturnType } from "../actions/openPositionAndWait.js";
import { removeMargin, type RemoveMarginParameters } from "../actions/removeMargin.js";
import { signPermit, type SignPermitParameters, type SignPermitReturnType } from "../actions/signPermit.js";
import {
  simulateAddMargin,
  type SimulateAddMarginParameters,
  type SimulateAddMarginReturnType,
} from "../actions/simulateAddMargin.js";
import {
  simulateClaimRefund,
  type SimulateClaimRefundParameters,
  type SimulateClaimRefundReturnType,
} from "../actions/simulateClaimRefund.js";
import {
  simulateClosePosition,
  type SimulateClosePositionParameters,
  type SimulateClosePositionReturnType,
} from "../actions/simulateClosePosition.js";
import {
  simulateDecreasePosition,
  type SimulateDecreasePositionParameters,
  type SimulateDecreasePositionReturnType,
} from "../actions/simulateDecreasePosition.js";
import {
  simulateDepositLiquidity,
  type SimulateDepositLiquidityParameters,
  type SimulateDepositLiquidityReturnType,
} from "../actions/simulateDepositLiquidity.js";
import {
  simulateIncreasePosition,
  type SimulateIncreasePositionParameters,
  type SimulateIncreasePositionReturnType,
} from "../actions/simulateIncreasePosition.js";
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
  simulateOpenPosition,
  type SimulateOpenPositionParameters,
  type SimulateOpenPositionReturnType,
} from "../actions/simulateOpenPosition.js";
import {
  simulateRemoveMargin,
  type SimulateRemoveMarginParameters,
  type SimulateRemoveMarginReturnType,
} from "../actions/simulateRemoveMargin.js";
import {
  simulateWithdrawLiquidity,
  type SimulateWithdrawLiquidityParameters,
  type SimulateWithdrawLiquidityReturnType,
} from "../actions/simulateWithdrawLiquidity.js";
import { waitForBulkheadReceipt, type WaitForBulkheadReceiptReturnType } from "../actions/waitForBulkheadReceipt.js";
import { waitForPositionOpened, type WaitForPositionOpenedReturnType } from "../actions/waitForPositionOpened.js";
import { withdrawLiquidity, type WithdrawLiquidityParameters } from "../actions/withdrawLiquidity.js";
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
  waitForBulkheadReceipt(parameters: { hash: Hash }): Promise<WaitForBulkheadReceiptReturnType>;
  waitForPositionOpened(parameters: { hash: Hash }): Promise<WaitForPositionOpenedReturnType>;

  simulateOpenPosition(
    parameters: BoundParameters<SimulateOpenPositionParameters>,
  ): Promise<SimulateOpenPositionReturnType<chain>>;
  simulateIncreasePosition(
    parameters: BoundParameters<SimulateIncreasePositionParameters>,
  ): Promise<SimulateIncreasePositionReturnType<chain>>;
  simulateDecreasePosition(
    parameters: BoundParameters<SimulateDecreasePositionParameters>,
  ): Promise<SimulateDecreasePositionReturnType<chain>>;
  simulateClosePosition(
    parameters: BoundParameters<SimulateClosePositionParameters>,
  ): Promise<SimulateClosePositionReturnType<chain>>;
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
  simulateClaimRefund(
    parameters: BoundParameters<SimulateClaimRefundParameters>,
  ): Promise<SimulateClaimRefundReturnType<chain>>;
  simulateDepositLiquidity(
    parameters: BoundParameters<SimulateDepositLiquidityParameters>,
  ): Promise<SimulateDepositLiquidityReturnType<chain>>;
  simulateWithdrawLiquidity(
    parameters: BoundParameters<SimulateWithdrawLiquidityParameters>,
  ): Promise<SimulateWithdrawLiquidityReturnType<chain>>;
};

export type BulkheadWalletActions = {
  openPosition(parameters: BoundParameters<OpenPositionParameters>): Promise<Hash>;
  /** Opens, waits, and returns the new position's id. */
  openPositionAndWait(parameters: BoundParameters<OpenPositionParameters>): Promise<OpenPositionAndWaitReturnType>;
  increasePosition(parameters: BoundParameters<IncreasePositionParameters>): Promise<Hash>;
  decreasePosition(parameters: BoundParameters<DecreasePositionParameters>): Promise<Hash>;
  closePosition(parameters: BoundParameters<ClosePositionParameters>): Promise<Hash>;
  addMargin(parameters: BoundParameters<AddMarginParameters>): Promise<Hash>;
  removeMargin(parameters: BoundParameters<RemoveMarginParameters>): Promise<Hash>;
  liquidate(parameters: BoundParameters<LiquidateParameters>): Promise<Hash>;
  liquidateBatch(parameters: BoundParameters<LiquidateBatchParameters>): Promise<Hash>;
  claimRefund(parameters: BoundParameters<ClaimRefundParameters>): Promise<Hash>;
  depositLiquidity(parameters: BoundParameters<DepositLiquidityParameters>): Promise<Hash>;
  withdrawLiquidity(parameters: BoundParameters<WithdrawLiquidityParameters>): Promise<Hash>;
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
      waitForBulkheadReceipt: ({ hash }) => waitForBulkheadReceipt(client, { hash, addresses }),
      waitForPositionOpened: ({ hash }) => waitForPositionOpened(client, { hash, addresses }),
      simulateOpenPosition: (parameters) => simulateOpenPosition(client, { ...parameters, addresses }),
      simulateIncreasePosition: (parameters) => simulateIncreasePosition(client, { ...parameters, addresses }),
      simulateDecreasePosition: (parameters) => simulateDecreasePosition(client, { ...parameters, addresses }),
      simulateClosePosition: (parameters) => simulateClosePosition(client, { ...parameters, addresses }),
      simulateAddMargin: (parameters) => simulateAddMargin(client, { ...parameters, addresses }),
      simulateRemoveMargin: (parameters) => simulateRemoveMargin(client, { ...parameters, addresses }),
      simulateLiquidate: (parameters) => simulateLiquidate(client, { ...parameters, addresses }),
      simulateLiquidateBatch: (parameters) => simulateLiquidateBatch(client, { ...parameters, addresses }),
      simulateClaimRefund: (parameters) => simulateClaimRefund(client, { ...parameters, addresses }),
      simulateDepositLiquidity: (parameters) => simulateDepositLiquidity(client, { ...parameters, addresses }),
      simulateWithdrawLiquidity: (parameters) =>
        simulateWithdrawLiquidity(client, { ...parameters, addresses } as SimulateWithdrawLiquidityParameters),
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
      openPosition: (parameters) => openPosition(client, { ...parameters, addresses }),
      openPositionAndWait: (parameters) => openPositionAndWait(client, { ...parameters, addresses }),
      increasePosition: (parameters) => increasePosition(client, { ...parameters, addresses }),
      decreasePosition: (parameters) => decreasePosition(client, { ...parameters, addresses }),
      closePosition: (parameters) => closePosition(client, { ...parameters, addresses }),
      addMargin: (parameters) => addMargin(client, { ...parameters, addresses }),
      removeMargin: (parameters) => removeMargin(client, { ...parameters, addresses }),
      liquidate: (parameters) => liquidate(client, { ...parameters, addresses }),
      liquidateBatch: (parameters) => liquidateBatch(client, { ...parameters, addresses }),
      claimRefund: (parameters) => claimRefund(client, { ...parameters, addresses }),
      depositLiquidity: (parameters) => depositLiquidity(client, { ...parameters, addresses }),
      withdrawLiquidity: (parameters) =>
        withdrawLiquidity(client, { ...parameters, addresses } as WithdrawLiquidityParameters),
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

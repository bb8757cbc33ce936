import type { Account, Address, GetLogsErrorType, Hash, Log } from "viem";
import { getBlockNumber, getLogs, getTransactionReceipt } from "viem/actions";

import type { BulkheadAddresses } from "../deployment.js";
import { BulkheadContractError } from "../errors/contract.js";
import type { DecodedRevert } from "../errors/decode.js";
import { OrderNotPendingError, WaitForOrderTimeoutError, type AccountRequiredError } from "../errors/sdk.js";
import {
  cancelReasonName,
  decodePositionEvent,
  decodePositionEvents,
  orderKindName,
  orderKindValue,
  positionEventsAbi,
  positionIdOf,
  type PositionEvent,
  type PositionEventArgs,
} from "../events.js";
import { accountOf, type WriteClient } from "../internal/client.js";
import { waitForSuccess } from "../internal/write.js";
import type { CancelReasonName, OrderKindName } from "../types.js";
import { cancelOrder } from "./cancelOrder.js";
import { executeOrder } from "./executeOrder.js";
import { getOrders } from "./getOrders.js";
import { getOrderStatus } from "./getOrderStatus.js";
import { waitForOrderRequested, type WaitForOrderRequestedErrorType } from "./waitForOrderRequested.js";

type PendingKind = Exclude<OrderKindName, "None">;

interface WaitForOrderOptions {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  /** How often to look for the outcome, ms (default: the client's `pollingInterval`). */
  pollingInterval?: number | undefined;
  /** Give up with `WaitForOrderTimeoutError` after this many ms (default: wait as long as it takes). */
  timeout?: number | undefined;
  /**
   * Drive the order to its outcome yourself instead of waiting for a keeper: send `executeOrder` once it can execute
   * (earning its execution fee), or `cancelOrder` once it can no longer (a full refund). Needs an account.
   */
  execute?: boolean | undefined;
  /** Sends the `execute` transactions (default: the client's account). */
  account?: Account | Address | undefined;
}

export type WaitForOrderParameters = WaitForOrderOptions &
  (
    | {
        /** The request's transaction: its `OrderRequested` event says which order to wait for. */
        hash: Hash;
      }
    | {
        positionId: bigint;
        /** The kind of order (default: the position's next pending order). */
        kind?: PendingKind | undefined;
        /**
         * Look for the outcome from this block on (an order requested then). Default: the order pending now, whose
         * outcome is after the latest block.
         */
        fromBlock?: bigint | undefined;
      }
  );

interface OutcomeBase {
  positionId: bigint;
  kind: PendingKind;
  /** The transaction that executed or cancelled the order (an execution, a cancel, a close replacing it, …). */
  transactionHash: Hash;
  blockNumber: bigint;
  /**
   * The position's events in that transaction, decoded: `PositionOpened`, `PositionClosed`, `PositionLiquidated` (an
   * execution on a liquidatable position liquidates it), `ClaimRecorded`, …
   */
  events: PositionEvent[];
}

/** How an order ended: it traded (`OrderExecuted`), or it did not (`OrderCancelled`, with the reason). */
export type OrderOutcome =
  | (OutcomeBase & { status: "executed"; event: PositionEventArgs<"OrderExecuted"> })
  | (OutcomeBase & { status: "cancelled"; reason: CancelReasonName; event: PositionEventArgs<"OrderCancelled"> });

export type WaitForOrderReturnType = OrderOutcome;

export type WaitForOrderErrorType =
  | WaitForOrderTimeoutError
  | OrderNotPendingError
  | AccountRequiredError
  | WaitForOrderRequestedErrorType
  | GetLogsErrorType
  | DecodedRevert;

const outcomeEvents = positionEventsAbi.filter(
  (item) => item.name === "OrderExecuted" || item.name === "OrderCancelled",
);

/**
 * Waits for the outcome of a position's order, from the engine's logs: resolves with its `OrderExecuted` or
 * `OrderCancelled` event and the position's other events of that transaction. A cancellation resolves too (see
 * `status`); it is not an error here. Orders execute at the feed's first round after the request, once a keeper (or
 * anyone, or this action with `execute`) sends the execution.
 */
export async function waitForOrder(
  client: WriteClient,
  parameters: WaitForOrderParameters,
): Promise<WaitForOrderReturnType> {
  const { addresses, execute = false } = parameters;
  const engine = addresses.marginEngine;
  const pollingInterval = parameters.pollingInterval ?? client.pollingInterval;
  const account = execute ? accountOf(client, parameters.account, "waitForOrder") : undefined;

  // Which order: its position and kind, and where its outcome can start (after the request's log).
  let positionId: bigint;
  let kind: PendingKind | undefined;
  let after: { blockNumber: bigint; logIndex: number };
  if ("hash" in parameters) {
    const requested = await waitForOrderRequested(client, { hash: parameters.hash, addresses });
    ({ positionId, kind } = requested);
    after = { blockNumber: requested.blockNumber, logIndex: requested.logIndex };
  } else {
    positionId = parameters.positionId;
    kind = parameters.kind;
    if (parameters.fromBlock !== undefined) after = { blockNumber: parameters.fromBlock, logIndex: -1 };
    else {
      const blockNumber = await getBlockNumber(client, { cacheTime: 0 });
      const { order, close } = await getOrders(client, { addresses, positionId, blockNumber });
      const pending = kind === undefined ? (order ?? close) : [order, close].find((o) => o?.kind === kind);
      if (pending === null || pending === undefined) throw new OrderNotPendingError(positionId, kind);
      kind = pending.kind;
      // Still pending at this block: the outcome is in a later one.
      after = { blockNumber, logIndex: Number.MAX_SAFE_INTEGER };
    }
  }

  const start = Date.now();
  let from = after.blockNumber;
  for (;;) {
    const latest = await getBlockNumber(client, { cacheTime: 0 });
    if (latest >= from) {
      const logs = (
        await Promise.all(
          outcomeEvents.map((event) =>
            getLogs(client, { address: engine, event, args: { positionId }, fromBlock: from, toBlock: latest }),
          ),
        )
      ).flat() as Log[];
      const outcome = logs
        .map((log) => decodePositionEvent(log, { engine }))
        .filter((event): event is Extract<PositionEvent, { eventName: "OrderExecuted" | "OrderCancelled" }> => {
          if (event?.eventName !== "OrderExecuted" && event?.eventName !== "OrderCancelled") return false;
          if (kind !== undefined && event.args.kind !== orderKindValue(kind)) return false;
          const block = event.blockNumber!;
          return block > after.blockNumber || (block === after.blockNumber && event.logIndex! > after.logIndex);
        })
        .sort((a, b) =>
          a.blockNumber === b.blockNumber ? a.logIndex! - b.logIndex! : a.blockNumber! < b.blockNumber! ? -1 : 1,
        )[0];
      if (outcome !== undefined) return outcomeOf(client, engine, positionId, outcome);
      from = latest + 1n;
    }
    if (account !== undefined && (await settle(client, addresses, account, positionId))) continue;
    if (parameters.timeout !== undefined && Date.now() - start > parameters.timeout) {
      throw new WaitForOrderTimeoutError(positionId, parameters.timeout);
    }
    await new Promise((resolve) => setTimeout(resolve, pollingInterval));
  }
}

/**
 * Executes the position's next order if it can execute, cancels it if it can no longer; returns whether a transaction
 * went through (its logs are read on the next turn). Losing a race to a keeper is not an error: the keeper's
 * transaction has the outcome.
 */
async function settle(
  client: WriteClient,
  addresses: Pick<BulkheadAddresses, "marginEngine">,
  account: Account | Address,
  positionId: bigint,
): Promise<boolean> {
  const { status } = await getOrderStatus(client, { addresses, positionId });
  if (status !== "Executable" && status !== "Cancellable") return false;
  const send = status === "Executable" ? executeOrder : cancelOrder;
  try {
    await waitForSuccess(client, await send(client, { addresses, account, positionId }));
    return true;
  } catch (error) {
    if (error instanceof BulkheadContractError) return false;
    throw error;
  }
}

async function outcomeOf(
  client: WriteClient,
  engine: Address,
  positionId: bigint,
  outcome: Extract<PositionEvent, { eventName: "OrderExecuted" | "OrderCancelled" }>,
): Promise<OrderOutcome> {
  const transactionHash = outcome.transactionHash!;
  const receipt = await getTransactionReceipt(client, { hash: transactionHash });
  const events = decodePositionEvents(receipt.logs, { engine }).filter((event) => positionIdOf(event) === positionId);
  const kind = orderKindName(outcome.args.kind) as PendingKind;
  const base = { positionId, kind, transactionHash, blockNumber: receipt.blockNumber, events };
  if (outcome.eventName === "OrderExecuted") return { ...base, status: "executed", event: outcome.args };
  return { ...base, status: "cancelled", reason: cancelReasonName(outcome.args.reason), event: outcome.args };
}

import type { Address, Hash, TransactionReceipt, WaitForTransactionReceiptErrorType } from "viem";

import { OrderRequestedEventNotFoundError, type TransactionRevertedError } from "../errors/sdk.js";
import { decodePositionEvents, eventsNamed, orderKindName, type PositionEventArgs } from "../events.js";
import type { ReadClient } from "../internal/client.js";
import { waitForSuccess } from "../internal/write.js";
import type { OrderKindName } from "../types.js";

export interface WaitForOrderRequestedParameters {
  /** A request's transaction (`requestOpen`, `requestIncrease`, `requestDecrease`, `requestClose`). */
  hash: Hash;
  /** Only count events emitted by this engine (recommended). */
  addresses?: { marginEngine: Address } | undefined;
}

/** The order a transaction requested: enough to wait for its outcome (`waitForOrder({ hash })`). */
export interface WaitForOrderRequestedReturnType {
  /** The position the order is for: a new one for an open. */
  positionId: bigint;
  kind: Exclude<OrderKindName, "None">;
  /** The `OrderRequested` event's arguments: the effective deadline, the round it waits after, what it escrows, … */
  event: PositionEventArgs<"OrderRequested">;
  /** Where the request was logged: its outcome comes later. */
  blockNumber: bigint;
  logIndex: number;
  receipt: TransactionReceipt;
}

export type WaitForOrderRequestedErrorType =
  OrderRequestedEventNotFoundError | TransactionRevertedError | WaitForTransactionReceiptErrorType;

/**
 * Waits for a request's transaction and returns the order it requested (from its `OrderRequested` event; the first
 * one if a contract requested several in one transaction). For an open, `positionId` is the new position's id.
 */
export async function waitForOrderRequested(
  client: ReadClient,
  { hash, addresses }: WaitForOrderRequestedParameters,
): Promise<WaitForOrderRequestedReturnType> {
  const receipt = await waitForSuccess(client, hash);
  const [requested] = eventsNamed(
    decodePositionEvents(receipt.logs, { engine: addresses?.marginEngine }),
    "OrderRequested",
  );
  if (requested === undefined) throw new OrderRequestedEventNotFoundError(hash);
  const kind = orderKindName(requested.args.kind);
  if (kind === "None") throw new OrderRequestedEventNotFoundError(hash);
  return {
    positionId: requested.args.positionId,
    kind,
    event: requested.args,
    blockNumber: receipt.blockNumber,
    logIndex: requested.logIndex!,
    receipt,
  };
}

import type { Address, Hash, TransactionReceipt, WaitForTransactionReceiptErrorType } from "viem";

import type { TransactionRevertedError } from "../errors/sdk.js";
import { decodePositionEvents, type PositionEvent } from "../events.js";
import type { ReadClient } from "../internal/client.js";
import { waitForSuccess } from "../internal/write.js";

export interface WaitForBulkheadReceiptParameters {
  hash: Hash;
  /** Only decode events emitted by this engine (recommended). */
  addresses?: { marginEngine: Address } | undefined;
}

export interface WaitForBulkheadReceiptReturnType {
  receipt: TransactionReceipt;
  /** The transaction's position events, decoded. */
  events: PositionEvent[];
}

export type WaitForBulkheadReceiptErrorType = TransactionRevertedError | WaitForTransactionReceiptErrorType;

/** Waits for a transaction, throws if it reverted, and decodes its position events. */
export async function waitForBulkheadReceipt(
  client: ReadClient,
  { hash, addresses }: WaitForBulkheadReceiptParameters,
): Promise<WaitForBulkheadReceiptReturnType> {
  const receipt = await waitForSuccess(client, hash);
  return { receipt, events: decodePositionEvents(receipt.logs, { engine: addresses?.marginEngine }) };
}

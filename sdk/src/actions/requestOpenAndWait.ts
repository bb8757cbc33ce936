import type { Hash } from "viem";

import { BulkheadError } from "../errors/base.js";
import { OrderCancelledError } from "../errors/sdk.js";
import { eventsNamed, type PositionEventArgs } from "../events.js";
import type { WriteClient } from "../internal/client.js";
import { requestOpen, type RequestOpenErrorType, type RequestOpenParameters } from "./requestOpen.js";
import {
  waitForOrder,
  type OrderOutcome,
  type WaitForOrderErrorType,
  type WaitForOrderParameters,
} from "./waitForOrder.js";

export type RequestOpenAndWaitParameters = RequestOpenParameters &
  Pick<WaitForOrderParameters, "pollingInterval" | "timeout" | "execute">;

export interface RequestOpenAndWaitReturnType {
  /** The new position's id. */
  positionId: bigint;
  /** The request's transaction. */
  hash: Hash;
  /** The `PositionOpened` event's arguments: size, execution price, collateral after the opening fee, fee, vault. */
  event: PositionEventArgs<"PositionOpened">;
  /** The execution: its transaction, the `OrderExecuted` event (round, price, executor, fee). */
  outcome: Extract<OrderOutcome, { status: "executed" }>;
}

export type RequestOpenAndWaitErrorType = RequestOpenErrorType | WaitForOrderErrorType | OrderCancelledError;

/**
 * `requestOpen`, then waits until the order has executed (a keeper's job, or this action's with `execute`) and returns
 * the new position. An order that ends without trading (its price beyond the bound, margin, capacity, no round in
 * time, …) throws `OrderCancelledError`, with the reason and the refund.
 */
export async function requestOpenAndWait(
  client: WriteClient,
  parameters: RequestOpenAndWaitParameters,
): Promise<RequestOpenAndWaitReturnType> {
  const { pollingInterval, timeout, execute, ...request } = parameters;
  const hash = await requestOpen(client, request);
  const outcome = await waitForOrder(client, {
    addresses: parameters.addresses,
    hash,
    pollingInterval,
    timeout,
    execute,
    account: parameters.account,
  });
  if (outcome.status === "cancelled") {
    throw new OrderCancelledError({
      positionId: outcome.positionId,
      kind: outcome.kind,
      reason: outcome.reason,
      refund: outcome.event.refund,
      executorFee: outcome.event.executorFee,
      hash: outcome.transactionHash,
    });
  }
  const [opened] = eventsNamed(outcome.events, "PositionOpened");
  // An executed open always opens the position.
  if (opened === undefined) throw new BulkheadError(`Execution ${outcome.transactionHash} emitted no PositionOpened.`);
  return { positionId: outcome.positionId, hash, event: opened.args, outcome };
}

import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { sendRequest } from "../internal/write.js";
import { simulateExecuteOrder, type SimulateExecuteOrderParameters } from "./simulateExecuteOrder.js";

export type ExecuteOrderParameters = SimulateExecuteOrderParameters;
export type ExecuteOrderReturnType = Hash;
/** `OrderNotReadyError` (no round after the request yet, or no good latest price), … */
export type ExecuteOrderErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/**
 * Executes the position's pending orders that can execute now, in request order, at their execution round (the first
 * feed round observed after the request); the sender earns the execution fee. A position liquidatable at the latest
 * price is liquidated instead. An order that fails its checks at its price, or can no longer execute, is cancelled.
 */
export async function executeOrder(
  client: WriteClient,
  parameters: ExecuteOrderParameters,
): Promise<ExecuteOrderReturnType> {
  const { request } = await simulateExecuteOrder(client, parameters);
  return sendRequest(client, request);
}

import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { sendRequest } from "../internal/write.js";
import { simulateExecuteOrders, type SimulateExecuteOrdersParameters } from "./simulateExecuteOrders.js";

export type ExecuteOrdersParameters = SimulateExecuteOrdersParameters;
export type ExecuteOrdersReturnType = Hash;
/** `SequencerDownError` while the L2 sequencer is down, … */
export type ExecuteOrdersErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/** `executeOrder` for every listed position; skips those with nothing to do without reverting. */
export async function executeOrders(
  client: WriteClient,
  parameters: ExecuteOrdersParameters,
): Promise<ExecuteOrdersReturnType> {
  const { request } = await simulateExecuteOrders(client, parameters);
  return sendRequest(client, request);
}

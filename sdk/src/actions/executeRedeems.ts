import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { sendRequest } from "../internal/write.js";
import { simulateExecuteRedeems, type SimulateExecuteRedeemsParameters } from "./simulateExecuteRedeems.js";

export type ExecuteRedeemsParameters = SimulateExecuteRedeemsParameters;
export type ExecuteRedeemsReturnType = Hash;
/** `LpExecutionPausedError`. */
export type ExecuteRedeemsErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/** Executes redemption requests in request order, at the lower of the price cached at request and the price now, partially where the free liquidity runs out; stops at the first request still in its `lpDelay`. The sender earns each request's execution fee. Anyone may call. */
export async function executeRedeems(
  client: WriteClient,
  parameters: ExecuteRedeemsParameters,
): Promise<ExecuteRedeemsReturnType> {
  const { request } = await simulateExecuteRedeems(client, parameters);
  return sendRequest(client, request);
}

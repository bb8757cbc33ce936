import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { sendRequest } from "../internal/write.js";
import { simulateExecuteDeposits, type SimulateExecuteDepositsParameters } from "./simulateExecuteDeposits.js";

export type ExecuteDepositsParameters = SimulateExecuteDepositsParameters;
export type ExecuteDepositsReturnType = Hash;
/** `LpExecutionPausedError` (a market with open interest has a bad, unsettled or just-recovered price, or a position past its cap or bankruptcy price; `retryAt` says when to retry, zero if unknown or up to a keeper). */
export type ExecuteDepositsErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/** Executes the listed controllers' deposit requests whose `lpDelay` has passed, at the higher of the price cached at request and the price now; the sender earns each request's execution fee. Anyone may call. */
export async function executeDeposits(
  client: WriteClient,
  parameters: ExecuteDepositsParameters,
): Promise<ExecuteDepositsReturnType> {
  const { request } = await simulateExecuteDeposits(client, parameters);
  return sendRequest(client, request);
}

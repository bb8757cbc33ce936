import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { sendRequest } from "../internal/write.js";
import { simulateSetOperator, type SimulateSetOperatorParameters } from "./simulateSetOperator.js";

export type SetOperatorParameters = SimulateSetOperatorParameters;
export type SetOperatorReturnType = Hash;
/** No contract error. */
export type SetOperatorErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/** Approves or revokes an operator (ERC-7540 `setOperator`) that may request, cancel and claim on the sender's behalf. */
export async function setOperator(
  client: WriteClient,
  parameters: SetOperatorParameters,
): Promise<SetOperatorReturnType> {
  const { request } = await simulateSetOperator(client, parameters);
  return sendRequest(client, request);
}

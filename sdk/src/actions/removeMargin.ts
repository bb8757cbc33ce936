import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { sendRequest } from "../internal/write.js";
import { simulateRemoveMargin, type SimulateRemoveMarginParameters } from "./simulateRemoveMargin.js";

export type RemoveMarginParameters = SimulateRemoveMarginParameters;
export type RemoveMarginReturnType = Hash;
export type RemoveMarginErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/** Withdraws collateral to the owner, keeping initial margin (unrealised profit does not count) and the minimum. */
export async function removeMargin(
  client: WriteClient,
  parameters: RemoveMarginParameters,
): Promise<RemoveMarginReturnType> {
  const { request } = await simulateRemoveMargin(client, parameters);
  return sendRequest(client, request);
}

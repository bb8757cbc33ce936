import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { sendRequest } from "../internal/write.js";
import { simulateTakeProfitBatch, type SimulateTakeProfitBatchParameters } from "./simulateTakeProfitBatch.js";

export type TakeProfitBatchParameters = SimulateTakeProfitBatchParameters;
export type TakeProfitBatchReturnType = Hash;
/** None for skipped ids. */
export type TakeProfitBatchErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/** `takeProfit` for every listed position at its cap; skips the others (and markets without a good price) without reverting. See `getAtCap` for which ids to pass. */
export async function takeProfitBatch(
  client: WriteClient,
  parameters: TakeProfitBatchParameters,
): Promise<TakeProfitBatchReturnType> {
  const { request } = await simulateTakeProfitBatch(client, parameters);
  return sendRequest(client, request);
}

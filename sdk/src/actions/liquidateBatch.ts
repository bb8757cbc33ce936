import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { sendRequest } from "../internal/write.js";
import { simulateLiquidateBatch, type SimulateLiquidateBatchParameters } from "./simulateLiquidateBatch.js";

export type LiquidateBatchParameters = SimulateLiquidateBatchParameters;
export type LiquidateBatchReturnType = Hash;
export type LiquidateBatchErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/** Liquidates every listed position that is liquidatable and skips the others without reverting. */
export async function liquidateBatch(
  client: WriteClient,
  parameters: LiquidateBatchParameters,
): Promise<LiquidateBatchReturnType> {
  const { request } = await simulateLiquidateBatch(client, parameters);
  return sendRequest(client, request);
}

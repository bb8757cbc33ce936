import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { sendRequest } from "../internal/write.js";
import { simulateLiquidate, type SimulateLiquidateParameters } from "./simulateLiquidate.js";

export type LiquidateParameters = SimulateLiquidateParameters;
export type LiquidateReturnType = Hash;

/** `NotLiquidatableError` (with the equity and the requirement), `GracePeriodError`, … */
export type LiquidateErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/**
 * Liquidates one position at the oracle price; the sender receives the keeper reward (the position's recorded keeper
 * reserve plus the liquidation fee). Pending orders are refunded in full first.
 */
export async function liquidate(client: WriteClient, parameters: LiquidateParameters): Promise<LiquidateReturnType> {
  const { request } = await simulateLiquidate(client, parameters);
  return sendRequest(client, request);
}

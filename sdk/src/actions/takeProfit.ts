import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { sendRequest } from "../internal/write.js";
import { simulateTakeProfit, type SimulateTakeProfitParameters } from "./simulateTakeProfit.js";

export type TakeProfitParameters = SimulateTakeProfitParameters;
export type TakeProfitReturnType = Hash;
/** `NotAtCapError` (the uncapped pnl is below the cap), `UnknownPositionError`, the oracle's errors on a bad price. */
export type TakeProfitErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/**
 * Closes a position whose pnl has reached its profit cap, at the cap (`takeProfit`). Anyone may call; the sender earns
 * the position's recorded keeper reserve; pending orders are refunded first; the owner's payout becomes a claim (see
 * `claim`) if it cannot be received. Grace periods do not apply.
 */
export async function takeProfit(client: WriteClient, parameters: TakeProfitParameters): Promise<TakeProfitReturnType> {
  const { request } = await simulateTakeProfit(client, parameters);
  return sendRequest(client, request);
}

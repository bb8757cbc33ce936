import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { sendRequest } from "../internal/write.js";
import { simulateRemoveMargin, type SimulateRemoveMarginParameters } from "./simulateRemoveMargin.js";

export type RemoveMarginParameters = SimulateRemoveMarginParameters;
export type RemoveMarginReturnType = Hash;
export type RemoveMarginErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/**
 * Withdraws collateral to a receiver at the latest price, keeping initial margin (unrealised profit does not count)
 * and the minimum collateral; the profit cap follows the collateral down (`min(cap, maxProfitRatio × collateral
 * left)`). Owner only; refused while an order or a close is pending and inside a grace period.
 */
export async function removeMargin(
  client: WriteClient,
  parameters: RemoveMarginParameters,
): Promise<RemoveMarginReturnType> {
  const { request } = await simulateRemoveMargin(client, parameters);
  return sendRequest(client, request);
}

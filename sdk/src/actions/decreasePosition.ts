import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError, PositionNotOpenError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { sendRequest } from "../internal/write.js";
import { simulateDecreasePosition, type SimulateDecreasePositionParameters } from "./simulateDecreasePosition.js";

export type DecreasePositionParameters = SimulateDecreasePositionParameters;
export type DecreasePositionReturnType = Hash;
export type DecreasePositionErrorType =
  DecodedRevert | PositionNotOpenError | AccountRequiredError | WriteContractErrorType;

/** Closes part of a position: its pnl is settled with the pool and the proportional collateral, less fees, paid out. */
export async function decreasePosition(
  client: WriteClient,
  parameters: DecreasePositionParameters,
): Promise<DecreasePositionReturnType> {
  const { request } = await simulateDecreasePosition(client, parameters);
  return sendRequest(client, request);
}

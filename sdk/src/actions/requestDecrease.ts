import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError, PermitNotSupportedError, PositionNotFoundError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { prepareReduceRequest, type ReduceRequestParameters } from "../internal/reduce.js";
import { sendRequest } from "../internal/write.js";
import { simulateRequestDecrease, type SimulateRequestDecreaseParameters } from "./simulateRequestDecrease.js";

export interface RequestDecreaseParameters extends SimulateRequestDecreaseParameters {
  addresses: ReduceRequestParameters["addresses"];
  /** How to get the allowance for the execution fee if it is short (default `"approve"`). */
  approval?: ReduceRequestParameters["approval"];
}

export type RequestDecreaseReturnType = Hash;
export type RequestDecreaseErrorType =
  DecodedRevert | PositionNotFoundError | AccountRequiredError | PermitNotSupportedError | WriteContractErrorType;

/**
 * Requests closing part of a position: escrows the execution fee. At execution the closed part's pnl (under its
 * share of the cap, `floor(cap × sizeDelta / size)`) and every owed fee are settled with the pool, and its share of
 * the collateral, less a loss, goes to the receiver.
 */
export async function requestDecrease(
  client: WriteClient,
  parameters: RequestDecreaseParameters,
): Promise<RequestDecreaseReturnType> {
  const { account, trade } = await prepareReduceRequest(client, parameters, "requestDecrease");
  const { request } = await simulateRequestDecrease(client, {
    ...parameters,
    account,
    acceptablePrice: trade.acceptablePrice,
    deadline: trade.deadline,
    executionFee: trade.executionFee,
  });
  return sendRequest(client, request);
}

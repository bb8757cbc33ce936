import type { Hash, WriteContractErrorType } from "viem";

import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError, PermitNotSupportedError, PositionNotFoundError } from "../errors/sdk.js";
import type { WriteClient } from "../internal/client.js";
import { prepareReduceRequest, type ReduceRequestParameters } from "../internal/reduce.js";
import { sendRequest } from "../internal/write.js";
import { simulateRequestClose, type SimulateRequestCloseParameters } from "./simulateRequestClose.js";

export interface RequestCloseParameters extends SimulateRequestCloseParameters {
  addresses: ReduceRequestParameters["addresses"];
  /** How to get the allowance for the execution fee if it is short (default `"approve"`). */
  approval?: ReduceRequestParameters["approval"];
}

export type RequestCloseReturnType = Hash;
export type RequestCloseErrorType =
  DecodedRevert | PositionNotFoundError | AccountRequiredError | PermitNotSupportedError | WriteContractErrorType;

/**
 * Requests closing a position: escrows the execution fee. Allowed while paused and beside a pending order (one whose
 * round does not exist yet is cancelled and refunded; otherwise the close executes after it). At execution what is
 * left, keeper reserve included, goes to the receiver; a loss beyond the collateral is bad debt, never the receiver's.
 */
export async function requestClose(
  client: WriteClient,
  parameters: RequestCloseParameters,
): Promise<RequestCloseReturnType> {
  const { account, trade } = await prepareReduceRequest(client, parameters, "requestClose");
  const { request } = await simulateRequestClose(client, {
    ...parameters,
    account,
    acceptablePrice: trade.acceptablePrice,
    deadline: trade.deadline,
    executionFee: trade.executionFee,
  });
  return sendRequest(client, request);
}

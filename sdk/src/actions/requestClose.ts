import type { Hash, WriteContractErrorType } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError, PermitNotSupportedError, PositionNotFoundError } from "../errors/sdk.js";
import { ensureAllowance, type Approval } from "../internal/approval.js";
import { accountOf, type WriteClient } from "../internal/client.js";
import { existingPosition } from "../internal/position.js";
import { resolveTrade } from "../internal/trade.js";
import { sendRequest } from "../internal/write.js";
import { simulateRequestClose, type SimulateRequestCloseParameters } from "./simulateRequestClose.js";

export interface RequestCloseParameters extends SimulateRequestCloseParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine" | "riskConfig" | "asset">;
  /** How to get the allowance for the execution fee if it is short (default `"approve"`). */
  approval?: Approval | undefined;
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
  const { addresses, positionId, approval = "approve" } = parameters;
  const account = accountOf(client, parameters.account, "requestClose");
  const position = await existingPosition(client, addresses, positionId);
  const trade = await resolveTrade(client, addresses, position.marketId, !position.isLong, parameters);
  await ensureAllowance(client, {
    token: addresses.asset,
    spender: addresses.marginEngine,
    amount: trade.executionFee,
    account,
    approval,
    deadline: trade.deadline,
  });
  const { request } = await simulateRequestClose(client, {
    ...parameters,
    account,
    acceptablePrice: trade.acceptablePrice,
    deadline: trade.deadline,
    executionFee: trade.executionFee,
  });
  return sendRequest(client, request);
}

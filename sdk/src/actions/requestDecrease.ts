import type { Hash, WriteContractErrorType } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError, PermitNotSupportedError, PositionNotFoundError } from "../errors/sdk.js";
import { ensureAllowance, type Approval } from "../internal/approval.js";
import { accountOf, type WriteClient } from "../internal/client.js";
import { existingPosition } from "../internal/position.js";
import { resolveTrade } from "../internal/trade.js";
import { sendRequest } from "../internal/write.js";
import { simulateRequestDecrease, type SimulateRequestDecreaseParameters } from "./simulateRequestDecrease.js";

export interface RequestDecreaseParameters extends SimulateRequestDecreaseParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine" | "riskConfig" | "asset">;
  /** How to get the allowance for the execution fee if it is short (default `"approve"`). */
  approval?: Approval | undefined;
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
  const { addresses, positionId, approval = "approve" } = parameters;
  const account = accountOf(client, parameters.account, "requestDecrease");
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
  const { request } = await simulateRequestDecrease(client, {
    ...parameters,
    account,
    acceptablePrice: trade.acceptablePrice,
    deadline: trade.deadline,
    executionFee: trade.executionFee,
  });
  return sendRequest(client, request);
}

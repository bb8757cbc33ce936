import type { Hash, WriteContractErrorType } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError, PermitNotSupportedError, PositionNotFoundError } from "../errors/sdk.js";
import { ensureAllowance, type Approval } from "../internal/approval.js";
import { accountOf, type WriteClient } from "../internal/client.js";
import { existingPosition } from "../internal/position.js";
import { resolveTrade } from "../internal/trade.js";
import { sendRequest } from "../internal/write.js";
import { simulateRequestIncrease, type SimulateRequestIncreaseParameters } from "./simulateRequestIncrease.js";

export interface RequestIncreaseParameters extends SimulateRequestIncreaseParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine" | "riskConfig" | "asset">;
  /** How to get the allowance for the collateral and the execution fee if it is short (default `"approve"`). */
  approval?: Approval | undefined;
}

export type RequestIncreaseReturnType = Hash;
export type RequestIncreaseErrorType =
  DecodedRevert | PositionNotFoundError | AccountRequiredError | PermitNotSupportedError | WriteContractErrorType;

/**
 * Requests more size (and optionally collateral) for a position: escrows the collateral and the execution fee. At
 * execution the borrow fee and the opening fee are taken from the collateral, and the profit cap grows only by what
 * the increase brings.
 */
export async function requestIncrease(
  client: WriteClient,
  parameters: RequestIncreaseParameters,
): Promise<RequestIncreaseReturnType> {
  const { addresses, positionId, collateralDelta = 0n, approval = "approve" } = parameters;
  const account = accountOf(client, parameters.account, "requestIncrease");
  const position = await existingPosition(client, addresses, positionId);
  const trade = await resolveTrade(client, addresses, position.marketId, position.isLong, parameters);
  await ensureAllowance(client, {
    token: addresses.asset,
    spender: addresses.marginEngine,
    amount: collateralDelta + trade.executionFee,
    account,
    approval,
    deadline: trade.deadline,
  });
  const { request } = await simulateRequestIncrease(client, {
    ...parameters,
    account,
    acceptablePrice: trade.acceptablePrice,
    deadline: trade.deadline,
    executionFee: trade.executionFee,
  });
  return sendRequest(client, request);
}

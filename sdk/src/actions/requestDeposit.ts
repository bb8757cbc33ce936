import type { Hash, WriteContractErrorType } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError, PermitNotSupportedError } from "../errors/sdk.js";
import { ensureAllowance, type Approval } from "../internal/approval.js";
import { resolveBlock } from "../internal/block.js";
import { accountOf, addressOfAccount, type WriteClient } from "../internal/client.js";
import { DEFAULT_DEADLINE_SECONDS } from "../internal/trade.js";
import { sendRequest } from "../internal/write.js";
import { simulateRequestDeposit, type SimulateRequestDepositParameters } from "./simulateRequestDeposit.js";

export interface RequestDepositParameters extends SimulateRequestDepositParameters {
  addresses: Pick<BulkheadAddresses, "liquidityPool" | "asset">;
  /** How to get the allowance if it is short (default `"approve"`; only when the sender is the owner). */
  approval?: Approval | undefined;
}

export type RequestDepositReturnType = Hash;
/** `RequestTooSmallError`, `RequestPendingError`, `NotOperatorError`. */
export type RequestDepositErrorType =
  DecodedRevert | AccountRequiredError | PermitNotSupportedError | WriteContractErrorType;

/**
 * Requests a deposit (ERC-7540 `requestDeposit`): the assets move to the pool at once and wait `lpDelay`, during which
 * the controller may cancel (`cancelDepositRequest`); then anyone may execute the request (`executeDeposits`) at the
 * higher of the share price cached now and the one at execution, and the controller claims the shares
 * (`claimDeposit`). The execution fee in force now is taken out of the assets.
 */
export async function requestDeposit(
  client: WriteClient,
  parameters: RequestDepositParameters,
): Promise<RequestDepositReturnType> {
  const { addresses, assets, approval = "approve" } = parameters;
  const account = accountOf(client, parameters.account, "requestDeposit");
  const owner = parameters.owner ?? addressOfAccount(account);
  if (approval !== "none" && owner.toLowerCase() === addressOfAccount(account).toLowerCase()) {
    const { timestamp } = await resolveBlock(client, undefined);
    await ensureAllowance(client, {
      token: addresses.asset,
      spender: addresses.liquidityPool,
      amount: assets,
      account,
      approval,
      deadline: timestamp + DEFAULT_DEADLINE_SECONDS,
    });
  }
  const { request } = await simulateRequestDeposit(client, { ...parameters, account });
  return sendRequest(client, request);
}

import type { Hash, WriteContractErrorType } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError, PermitNotSupportedError } from "../errors/sdk.js";
import { ensureAllowance, type Approval } from "../internal/approval.js";
import { resolveBlock } from "../internal/block.js";
import { accountOf, type WriteClient } from "../internal/client.js";
import { DEFAULT_DEADLINE_SECONDS } from "../internal/trade.js";
import { sendRequest } from "../internal/write.js";
import { simulateAddMargin, type SimulateAddMarginParameters } from "./simulateAddMargin.js";

export interface AddMarginParameters extends SimulateAddMarginParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine" | "asset">;
  /** How to get the allowance if it is short (default `"approve"`). */
  approval?: Approval | undefined;
}

export type AddMarginReturnType = Hash;
export type AddMarginErrorType =
  DecodedRevert | AccountRequiredError | PermitNotSupportedError | WriteContractErrorType;

/**
 * Adds collateral to an open position, anyone's: the sender pays. Always allowed, paused or not, whatever the oracle
 * says; it never raises the profit cap.
 */
export async function addMargin(client: WriteClient, parameters: AddMarginParameters): Promise<AddMarginReturnType> {
  const { addresses, amount, approval = "approve" } = parameters;
  const account = accountOf(client, parameters.account, "addMargin");
  if (approval !== "none") {
    const { timestamp } = await resolveBlock(client, undefined);
    await ensureAllowance(client, {
      token: addresses.asset,
      spender: addresses.marginEngine,
      amount,
      account,
      approval,
      deadline: timestamp + DEFAULT_DEADLINE_SECONDS,
    });
  }
  const { request } = await simulateAddMargin(client, { ...parameters, account });
  return sendRequest(client, request);
}

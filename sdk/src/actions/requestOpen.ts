import type { Hash, WriteContractErrorType } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError, PermitNotSupportedError } from "../errors/sdk.js";
import { ensureAllowance, type Approval } from "../internal/approval.js";
import { accountOf, type WriteClient } from "../internal/client.js";
import { resolveTrade } from "../internal/trade.js";
import { sendRequest } from "../internal/write.js";
import { simulateRequestOpen, type SimulateRequestOpenParameters } from "./simulateRequestOpen.js";

export interface RequestOpenParameters extends SimulateRequestOpenParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine" | "riskConfig" | "asset">;
  /** How to get the allowance for collateral + keeper reserve + execution fee if it is short (default `"approve"`). */
  approval?: Approval | undefined;
}

/**
 * The request's transaction hash. `waitForOrderRequested` turns it into the new position's id, `waitForOrder` waits
 * for the order's outcome (or use `requestOpenAndWait`).
 */
export type RequestOpenReturnType = Hash;

export type RequestOpenErrorType =
  DecodedRevert | AccountRequiredError | PermitNotSupportedError | WriteContractErrorType;

/**
 * Requests a new position (step one of two): makes sure the engine may pull collateral, keeper reserve and execution
 * fee (an approval or a permit when needed, waited for), simulates the request (a revert surfaces as a typed error),
 * then sends it. The position opens when anyone executes the order at the feed's next round (`executeOrder`); the
 * opening fee is taken from the collateral then.
 */
export async function requestOpen(
  client: WriteClient,
  parameters: RequestOpenParameters,
): Promise<RequestOpenReturnType> {
  const { addresses, marketId, isLong, collateral, approval = "approve" } = parameters;
  const account = accountOf(client, parameters.account, "requestOpen");
  const trade = await resolveTrade(client, addresses, marketId, isLong, parameters);
  await ensureAllowance(client, {
    token: addresses.asset,
    spender: addresses.marginEngine,
    amount: collateral + trade.global.keeperReserve + trade.executionFee,
    account,
    approval,
    deadline: trade.deadline,
  });
  // The same terms as the approval was sized for.
  const { request } = await simulateRequestOpen(client, {
    ...parameters,
    account,
    acceptablePrice: trade.acceptablePrice,
    deadline: trade.deadline,
    executionFee: trade.executionFee,
  });
  return sendRequest(client, request);
}

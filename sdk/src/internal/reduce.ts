import type { Account, Address } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import { ensureAllowance, type Approval } from "./approval.js";
import { accountOf, type WriteClient, type WriteParameters } from "./client.js";
import { existingPosition } from "./position.js";
import { resolveTrade, type ResolvedTrade, type TradeOptions } from "./trade.js";

/** What a close or decrease request takes besides its own arguments. */
export interface ReduceRequestParameters extends TradeOptions, WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine" | "riskConfig" | "asset">;
  positionId: bigint;
  approval?: Approval | undefined;
}

/**
 * The steps a close and a decrease request share before they are simulated: the sender, the price bound, deadline
 * and fee resolved against the position's side (a long reducing wants a high price), and the allowance for the fee.
 */
export async function prepareReduceRequest(
  client: WriteClient,
  parameters: ReduceRequestParameters,
  action: string,
): Promise<{ account: Account | Address; trade: ResolvedTrade }> {
  const { addresses, positionId, approval = "approve" } = parameters;
  const account = accountOf(client, parameters.account, action);
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
  return { account, trade };
}

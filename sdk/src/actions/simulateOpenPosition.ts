import type { Account, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, type WriteParameters } from "../internal/client.js";
import { resolveTrade, type TradeOptions } from "../internal/trade.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateOpenPositionParameters extends TradeOptions, WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  marketId: bigint;
  isLong: boolean;
  /** Index tokens, WAD. */
  size: bigint;
  /** Asset units credited to the position (the keeper reserve and the opening fee are paid on top). */
  collateral: bigint;
}

/** `result` is the id the position would get. */
export type SimulateOpenPositionReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof marginEngineAbi,
  "open",
  chain
>;

/** `ERC20InsufficientAllowanceError` without an allowance, `InitialMarginBreachedError`, `PausedError`, … */
export type SimulateOpenPositionErrorType = DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/**
 * Simulates an open with the price bound and deadline resolved as `openPosition` does, and returns the request for
 * `writeContract` and the new position's id. Sends nothing, approvals included: the engine must already be allowed to
 * pull collateral, keeper reserve and opening fee.
 */
export async function simulateOpenPosition<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateOpenPositionParameters,
): Promise<SimulateOpenPositionReturnType<chain>> {
  const { addresses, marketId, isLong, size, collateral } = parameters;
  const account = accountOf(client, parameters.account, "simulateOpenPosition");
  const trade = await resolveTrade(client, addresses, marketId, isLong, parameters);
  return simulateWrite(client, {
    address: addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "open",
    args: [marketId, isLong, size, collateral, trade.acceptablePrice, trade.deadline],
    account,
  });
}

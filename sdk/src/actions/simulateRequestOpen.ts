import type { Account, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, type WriteParameters } from "../internal/client.js";
import { resolveTrade, type TradeOptions } from "../internal/trade.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateRequestOpenParameters extends TradeOptions, WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine" | "riskConfig">;
  marketId: bigint;
  isLong: boolean;
  /** Index tokens, WAD. */
  size: bigint;
  /**
   * Asset units escrowed as collateral; the opening fee is taken from it at execution (the keeper reserve and the
   * execution fee are paid on top).
   */
  collateral: bigint;
}

/** `result` is the id the position gets (its open order's id too). */
export type SimulateRequestOpenReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof marginEngineAbi,
  "requestOpen",
  chain
>;

/**
 * `ERC20InsufficientAllowanceError` without an allowance, `CollateralBelowMinimumError`, `ExecutionFeeTooLowError`,
 * `PausedError`, … Margin and capacity are checked at execution, not here.
 */
export type SimulateRequestOpenErrorType = DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/**
 * Simulates an open request with the price bound, deadline and execution fee resolved as `requestOpen` does, and
 * returns the request for `writeContract` and the new position's id. Sends nothing, approvals included: the engine
 * must already be allowed to pull collateral, keeper reserve and execution fee.
 */
export async function simulateRequestOpen<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateRequestOpenParameters,
): Promise<SimulateRequestOpenReturnType<chain>> {
  const { addresses, marketId, isLong, size, collateral } = parameters;
  const account = accountOf(client, parameters.account, "simulateRequestOpen");
  const trade = await resolveTrade(client, addresses, marketId, isLong, parameters);
  return simulateWrite(client, {
    address: addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "requestOpen",
    args: [marketId, isLong, size, collateral, trade.acceptablePrice, trade.deadline, trade.executionFee],
    account,
  });
}

import type { Account, Address, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError, PositionNotFoundError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, addressOfAccount, type WriteParameters } from "../internal/client.js";
import { existingPosition } from "../internal/position.js";
import { resolveTrade, type TradeOptions } from "../internal/trade.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateRequestDecreaseParameters extends TradeOptions, WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine" | "riskConfig">;
  positionId: bigint;
  /** Index tokens closed, WAD; strictly below the position's size (use `requestClose` for all of it). */
  sizeDelta: bigint;
  /** Receives what the decrease pays out (default: the sender). */
  receiver?: Address | undefined;
}

export type SimulateRequestDecreaseReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof marginEngineAbi,
  "requestDecrease",
  chain
>;

/** `SizeDeltaTooLargeError`, `OrderPendingError`, `ClosePendingError`, `NotPositionOwnerError`, … */
export type SimulateRequestDecreaseErrorType =
  DecodedRevert | PositionNotFoundError | AccountRequiredError | SimulateContractErrorType;

/**
 * Simulates a decrease request with the terms resolved as `requestDecrease` does; returns the request. Sends nothing:
 * the engine must already be allowed to pull the execution fee.
 */
export async function simulateRequestDecrease<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateRequestDecreaseParameters,
): Promise<SimulateRequestDecreaseReturnType<chain>> {
  const { addresses, positionId, sizeDelta } = parameters;
  const account = accountOf(client, parameters.account, "simulateRequestDecrease");
  const position = await existingPosition(client, addresses, positionId);
  const trade = await resolveTrade(client, addresses, position.marketId, !position.isLong, parameters);
  return simulateWrite(client, {
    address: addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "requestDecrease",
    args: [
      positionId,
      sizeDelta,
      trade.acceptablePrice,
      trade.deadline,
      trade.executionFee,
      parameters.receiver ?? addressOfAccount(account),
    ],
    account,
  });
}

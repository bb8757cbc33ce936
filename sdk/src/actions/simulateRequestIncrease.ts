import type { Account, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError, PositionNotFoundError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, type WriteParameters } from "../internal/client.js";
import { existingPosition } from "../internal/position.js";
import { resolveTrade, type TradeOptions } from "../internal/trade.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateRequestIncreaseParameters extends TradeOptions, WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine" | "riskConfig">;
  positionId: bigint;
  /** Index tokens added, WAD. */
  sizeDelta: bigint;
  /** Collateral escrowed and added at execution, asset units (default 0); the fees are taken from the collateral. */
  collateralDelta?: bigint | undefined;
}

export type SimulateRequestIncreaseReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof marginEngineAbi,
  "requestIncrease",
  chain
>;

/** `OrderPendingError`, `ClosePendingError`, `NotPositionOwnerError`, `PausedError`, … */
export type SimulateRequestIncreaseErrorType =
  DecodedRevert | PositionNotFoundError | AccountRequiredError | SimulateContractErrorType;

/**
 * Simulates an increase request with the terms resolved as `requestIncrease` does, and returns the request for
 * `writeContract`. Sends nothing: the engine must already be allowed to pull the collateral and the execution fee.
 */
export async function simulateRequestIncrease<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateRequestIncreaseParameters,
): Promise<SimulateRequestIncreaseReturnType<chain>> {
  const { addresses, positionId, sizeDelta, collateralDelta = 0n } = parameters;
  const account = accountOf(client, parameters.account, "simulateRequestIncrease");
  const position = await existingPosition(client, addresses, positionId);
  const trade = await resolveTrade(client, addresses, position.marketId, position.isLong, parameters);
  return simulateWrite(client, {
    address: addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "requestIncrease",
    args: [positionId, sizeDelta, collateralDelta, trade.acceptablePrice, trade.deadline, trade.executionFee],
    account,
  });
}

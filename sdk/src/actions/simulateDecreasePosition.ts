import type { Account, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import { PositionNotOpenError, type AccountRequiredError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, type WriteParameters } from "../internal/client.js";
import { resolveTrade, type TradeOptions } from "../internal/trade.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";
import { getPosition } from "./getPosition.js";

export interface SimulateDecreasePositionParameters extends TradeOptions, WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  positionId: bigint;
  /** Index tokens closed, WAD; strictly below the position's size (use `closePosition` for all of it). */
  sizeDelta: bigint;
}

export type SimulateDecreasePositionReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof marginEngineAbi,
  "decrease",
  chain
>;

export type SimulateDecreasePositionErrorType =
  DecodedRevert | PositionNotOpenError | AccountRequiredError | SimulateContractErrorType;

/** Simulates a decrease with the price bound and deadline resolved as `decreasePosition` does; returns the request. */
export async function simulateDecreasePosition<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateDecreasePositionParameters,
): Promise<SimulateDecreasePositionReturnType<chain>> {
  const { addresses, positionId, sizeDelta } = parameters;
  const account = accountOf(client, parameters.account, "simulateDecreasePosition");
  const position = await getPosition(client, { addresses, positionId });
  if (position === null) throw new PositionNotOpenError(positionId);
  const trade = await resolveTrade(client, addresses, position.marketId, !position.isLong, parameters);
  return simulateWrite(client, {
    address: addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "decrease",
    args: [positionId, sizeDelta, trade.acceptablePrice, trade.deadline],
    account,
  });
}

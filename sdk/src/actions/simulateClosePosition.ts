import type { Account, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import { PositionNotOpenError, type AccountRequiredError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, type WriteParameters } from "../internal/client.js";
import { resolveTrade, type TradeOptions } from "../internal/trade.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";
import { getPosition } from "./getPosition.js";

export interface SimulateClosePositionParameters extends TradeOptions, WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  positionId: bigint;
}

export type SimulateClosePositionReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof marginEngineAbi,
  "close",
  chain
>;

export type SimulateClosePositionErrorType =
  DecodedRevert | PositionNotOpenError | AccountRequiredError | SimulateContractErrorType;

/** Simulates a close with the price bound and deadline resolved as `closePosition` does; returns the request. */
export async function simulateClosePosition<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateClosePositionParameters,
): Promise<SimulateClosePositionReturnType<chain>> {
  const { addresses, positionId } = parameters;
  const account = accountOf(client, parameters.account, "simulateClosePosition");
  const position = await getPosition(client, { addresses, positionId });
  if (position === null) throw new PositionNotOpenError(positionId);
  const trade = await resolveTrade(client, addresses, position.marketId, !position.isLong, parameters);
  return simulateWrite(client, {
    address: addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "close",
    args: [positionId, trade.acceptablePrice, trade.deadline],
    account,
  });
}

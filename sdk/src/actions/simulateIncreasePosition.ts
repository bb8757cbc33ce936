import type { Account, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import { PositionNotOpenError, type AccountRequiredError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, type WriteParameters } from "../internal/client.js";
import { resolveTrade, type TradeOptions } from "../internal/trade.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";
import { getPosition } from "./getPosition.js";

export interface SimulateIncreasePositionParameters extends TradeOptions, WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  positionId: bigint;
  /** Index tokens added, WAD. */
  sizeDelta: bigint;
  /** Collateral added, asset units (default 0). */
  collateralDelta?: bigint | undefined;
}

export type SimulateIncreasePositionReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof marginEngineAbi,
  "increase",
  chain
>;

export type SimulateIncreasePositionErrorType =
  DecodedRevert | PositionNotOpenError | AccountRequiredError | SimulateContractErrorType;

/**
 * Simulates an increase with the price bound and deadline resolved as `increasePosition` does, and returns the
 * request for `writeContract`. Sends nothing: the engine must already be allowed to pull collateral and fees.
 */
export async function simulateIncreasePosition<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateIncreasePositionParameters,
): Promise<SimulateIncreasePositionReturnType<chain>> {
  const { addresses, positionId, sizeDelta, collateralDelta = 0n } = parameters;
  const account = accountOf(client, parameters.account, "simulateIncreasePosition");
  const position = await getPosition(client, { addresses, positionId });
  if (position === null) throw new PositionNotOpenError(positionId);
  const trade = await resolveTrade(client, addresses, position.marketId, position.isLong, parameters);
  return simulateWrite(client, {
    address: addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "increase",
    args: [positionId, sizeDelta, collateralDelta, trade.acceptablePrice, trade.deadline],
    account,
  });
}

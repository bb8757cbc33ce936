import type { Hash, WriteContractErrorType } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import { PositionNotOpenError, type AccountRequiredError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, type WriteClient, type WriteParameters } from "../internal/client.js";
import { resolveTrade, type TradeOptions } from "../internal/trade.js";
import { simulateAndWrite } from "../internal/write.js";
import { getPosition } from "./getPosition.js";

export interface DecreasePositionParameters extends TradeOptions, WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  positionId: bigint;
  /** Index tokens closed, WAD; strictly below the position's size (use `closePosition` for all of it). */
  sizeDelta: bigint;
}

export type DecreasePositionReturnType = Hash;
export type DecreasePositionErrorType =
  DecodedRevert | PositionNotOpenError | AccountRequiredError | WriteContractErrorType;

/** Closes part of a position: its pnl is settled with the pool and the proportional collateral, less fees, paid out. */
export async function decreasePosition(
  client: WriteClient,
  parameters: DecreasePositionParameters,
): Promise<DecreasePositionReturnType> {
  const { addresses, positionId, sizeDelta } = parameters;
  const account = accountOf(client, parameters.account, "decreasePosition");
  const position = await getPosition(client, { addresses, positionId });
  if (position === null) throw new PositionNotOpenError(positionId);
  const trade = await resolveTrade(client, addresses, position.marketId, !position.isLong, parameters);
  return simulateAndWrite(client, {
    address: addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "decrease",
    args: [positionId, sizeDelta, trade.acceptablePrice, trade.deadline],
    account,
  });
}

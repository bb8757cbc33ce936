import type { Hash, WriteContractErrorType } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import { PositionNotOpenError, type AccountRequiredError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, type WriteClient, type WriteParameters } from "../internal/client.js";
import { resolveTrade, type TradeOptions } from "../internal/trade.js";
import { simulateAndWrite } from "../internal/write.js";
import { getPosition } from "./getPosition.js";

export interface ClosePositionParameters extends TradeOptions, WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  positionId: bigint;
}

export type ClosePositionReturnType = Hash;
export type ClosePositionErrorType =
  DecodedRevert | PositionNotOpenError | AccountRequiredError | WriteContractErrorType;

/** Closes a position: what is left, and the keeper reserve, go back to the owner. Works while paused. */
export async function closePosition(
  client: WriteClient,
  parameters: ClosePositionParameters,
): Promise<ClosePositionReturnType> {
  const { addresses, positionId } = parameters;
  const account = accountOf(client, parameters.account, "closePosition");
  const position = await getPosition(client, { addresses, positionId });
  if (position === null) throw new PositionNotOpenError(positionId);
  const trade = await resolveTrade(client, addresses, position.marketId, !position.isLong, parameters);
  return simulateAndWrite(client, {
    address: addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "close",
    args: [positionId, trade.acceptablePrice, trade.deadline],
    account,
  });
}

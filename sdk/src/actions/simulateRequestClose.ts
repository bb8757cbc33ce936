import type { Account, Address, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError, PositionNotFoundError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, addressOfAccount, type WriteParameters } from "../internal/client.js";
import { existingPosition } from "../internal/position.js";
import { resolveTrade, type TradeOptions } from "../internal/trade.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateRequestCloseParameters extends TradeOptions, WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine" | "riskConfig">;
  positionId: bigint;
  /** Receives what the close pays out, keeper reserve included (default: the sender). */
  receiver?: Address | undefined;
}

export type SimulateRequestCloseReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof marginEngineAbi,
  "requestClose",
  chain
>;

/** `ClosePendingError`, `NotPositionOwnerError`, `PositionNotOpenError`, … */
export type SimulateRequestCloseErrorType =
  DecodedRevert | PositionNotFoundError | AccountRequiredError | SimulateContractErrorType;

/**
 * Simulates a close request with the terms resolved as `requestClose` does; returns the request. Sends nothing: the
 * engine must already be allowed to pull the execution fee.
 */
export async function simulateRequestClose<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateRequestCloseParameters,
): Promise<SimulateRequestCloseReturnType<chain>> {
  const { addresses, positionId } = parameters;
  const account = accountOf(client, parameters.account, "simulateRequestClose");
  const position = await existingPosition(client, addresses, positionId);
  const trade = await resolveTrade(client, addresses, position.marketId, !position.isLong, parameters);
  return simulateWrite(client, {
    address: addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "requestClose",
    args: [
      positionId,
      trade.acceptablePrice,
      trade.deadline,
      trade.executionFee,
      parameters.receiver ?? addressOfAccount(account),
    ],
    account,
  });
}

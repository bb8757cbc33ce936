import type { ReadContractErrorType } from "viem";
import { readContract } from "viem/actions";

import type { BulkheadAddresses } from "../deployment.js";
import { toBulkheadError, type DecodedRevert } from "../errors/decode.js";
import { marginEngineAbi } from "../generated/abis.js";
import type { ReadClient } from "../internal/client.js";
import { toOrder } from "../internal/normalize.js";
import type { Order } from "../types.js";

export interface GetOrdersParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  positionId: bigint;
  /** Read at this block (default: latest). */
  blockNumber?: bigint | undefined;
}

/** A position's pending orders: at most one open, increase or decrease (`order`) and one close; null where none. */
export interface GetOrdersReturnType {
  /** The pending open, increase or decrease; it was requested before any pending close, and executes first. */
  order: Order | null;
  close: Order | null;
}

export type GetOrdersErrorType = ReadContractErrorType | DecodedRevert;

/** Reads a position's pending orders (`IMarginEngine.orders`). */
export async function getOrders(
  client: ReadClient,
  { addresses, positionId, blockNumber }: GetOrdersParameters,
): Promise<GetOrdersReturnType> {
  try {
    const [order, close] = await readContract(client, {
      address: addresses.marginEngine,
      abi: marginEngineAbi,
      functionName: "orders",
      args: [positionId],
      blockNumber,
    });
    return { order: toOrder(order), close: toOrder(close) };
  } catch (error) {
    throw toBulkheadError(error);
  }
}

import type { ReadContractErrorType } from "viem";
import { readContract } from "viem/actions";

import type { BulkheadAddresses } from "../deployment.js";
import { toBulkheadError, type DecodedRevert } from "../errors/decode.js";
import { orderStatusName } from "../events.js";
import { marginEngineAbi } from "../generated/abis.js";
import type { ReadClient } from "../internal/client.js";
import type { OrderStatusName } from "../types.js";

export interface GetOrderStatusParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  positionId: bigint;
  /** Read at this block (default: latest). */
  blockNumber?: bigint | undefined;
}

export interface GetOrderStatusReturnType {
  /**
   * Of the position's next pending order (in request order): `None` (no order), `Waiting` (for its execution round, or
   * a good latest price), `Executable` (`executeOrder` would execute it now) or `Cancellable` (it can no longer
   * execute: `cancelOrder` refunds it in full).
   */
  status: OrderStatusName;
  /** The order's execution round, once observed (zero before). */
  executionRoundId: bigint;
}

export type GetOrderStatusErrorType = ReadContractErrorType | DecodedRevert;

/** Where a position's next order stands (`IMarginEngine.orderStatus`): what a keeper asks before `executeOrder`. */
export async function getOrderStatus(
  client: ReadClient,
  { addresses, positionId, blockNumber }: GetOrderStatusParameters,
): Promise<GetOrderStatusReturnType> {
  try {
    const [status, executionRoundId] = await readContract(client, {
      address: addresses.marginEngine,
      abi: marginEngineAbi,
      functionName: "orderStatus",
      args: [positionId],
      blockNumber,
    });
    return { status: orderStatusName(status), executionRoundId };
  } catch (error) {
    throw toBulkheadError(error);
  }
}

import type { ReadContractErrorType } from "viem";
import { readContract } from "viem/actions";

import type { BulkheadAddresses } from "../deployment.js";
import { toBulkheadError, type DecodedRevert } from "../errors/decode.js";
import { InvalidDeploymentError } from "../errors/sdk.js";
import { orderStatusName } from "../events.js";
import { bulkheadLensAbi } from "../generated/abis.js";
import type { ReadClient } from "../internal/client.js";
import type { GetOrderStatusReturnType } from "./getOrderStatus.js";

export interface GetExecutableParameters {
  /** The lens is needed: without one, `InvalidDeploymentError`. */
  addresses: Pick<BulkheadAddresses, "bulkheadLens">;
  positionIds: readonly bigint[];
  blockNumber?: bigint | undefined;
}

/** For each id, its next order's status and execution round (`getOrderStatus` for many ids in one call). */
export type GetExecutableReturnType = GetOrderStatusReturnType[];
export type GetExecutableErrorType = ReadContractErrorType | DecodedRevert | InvalidDeploymentError;

/**
 * Where the next order of each position stands (`BulkheadLens.executable`): pass the `Executable` ones to
 * `executeOrders`, the `Cancellable` ones to `cancelOrder`. `None` for ids without an order; `Waiting` while the L2
 * sequencer is down.
 */
export async function getExecutable(
  client: ReadClient,
  { addresses, positionIds, blockNumber }: GetExecutableParameters,
): Promise<GetExecutableReturnType> {
  const lens = addresses.bulkheadLens;
  if (lens === undefined) {
    throw new InvalidDeploymentError("getExecutable reads the lens: pass its address (bulkheadLens)");
  }
  try {
    const states = await readContract(client, {
      address: lens,
      abi: bulkheadLensAbi,
      functionName: "executable",
      args: [positionIds],
      blockNumber,
    });
    return states.map((state) => ({ status: orderStatusName(state.status), executionRoundId: state.roundId }));
  } catch (error) {
    throw toBulkheadError(error);
  }
}

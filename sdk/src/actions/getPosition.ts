import type { ReadContractErrorType } from "viem";
import { readContract } from "viem/actions";

import type { BulkheadAddresses } from "../deployment.js";
import { toBulkheadError, type DecodedRevert } from "../errors/decode.js";
import { marginEngineAbi } from "../generated/abis.js";
import type { ReadClient } from "../internal/client.js";
import { toPosition } from "../internal/normalize.js";
import type { Position } from "../types.js";

export interface GetPositionParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  positionId: bigint;
  /** Read at this block (default: latest). */
  blockNumber?: bigint | undefined;
}

/** The stored position, or null if the id is not open. */
export type GetPositionReturnType = Position | null;

export type GetPositionErrorType = ReadContractErrorType | DecodedRevert;

/** Reads a position (`IMarginEngine.position`). */
export async function getPosition(
  client: ReadClient,
  { addresses, positionId, blockNumber }: GetPositionParameters,
): Promise<GetPositionReturnType> {
  try {
    const raw = await readContract(client, {
      address: addresses.marginEngine,
      abi: marginEngineAbi,
      functionName: "position",
      args: [positionId],
      blockNumber,
    });
    const position = toPosition(raw);
    return position.owner === "0x0000000000000000000000000000000000000000" ? null : position;
  } catch (error) {
    throw toBulkheadError(error);
  }
}

import type { ReadContractErrorType } from "viem";
import { readContract } from "viem/actions";

import type { BulkheadAddresses } from "../deployment.js";
import { toBulkheadError, type DecodedRevert } from "../errors/decode.js";
import { InvalidDeploymentError } from "../errors/sdk.js";
import { bulkheadLensAbi } from "../generated/abis.js";
import type { ReadClient } from "../internal/client.js";

export interface GetAtCapParameters {
  /** The lens is needed: without one, `InvalidDeploymentError`. */
  addresses: Pick<BulkheadAddresses, "bulkheadLens">;
  positionIds: readonly bigint[];
  blockNumber?: bigint | undefined;
}

/** For each id, whether `takeProfit` would close it now. */
export type GetAtCapReturnType = readonly boolean[];
export type GetAtCapErrorType = ReadContractErrorType | DecodedRevert | InvalidDeploymentError;

/**
 * Which of the positions `takeProfit` would close now (`BulkheadLens.atCap`): open, uncapped pnl at least the cap,
 * market priced. Pass the true ones to `takeProfitBatch`.
 */
export async function getAtCap(
  client: ReadClient,
  { addresses, positionIds, blockNumber }: GetAtCapParameters,
): Promise<GetAtCapReturnType> {
  const lens = addresses.bulkheadLens;
  if (lens === undefined) throw new InvalidDeploymentError("getAtCap reads the lens: pass its address (bulkheadLens)");
  try {
    return await readContract(client, {
      address: lens,
      abi: bulkheadLensAbi,
      functionName: "atCap",
      args: [positionIds],
      blockNumber,
    });
  } catch (error) {
    throw toBulkheadError(error);
  }
}

import type { ReadContractErrorType } from "viem";
import { readContract } from "viem/actions";

import type { BulkheadAddresses } from "../deployment.js";
import { toBulkheadError, type DecodedRevert } from "../errors/decode.js";
import { marginEngineAbi } from "../generated/abis.js";
import type { ReadClient } from "../internal/client.js";

export interface GetPastEdgesParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  marketId: bigint;
  /** The price to judge at, USD WAD: the market's latest good answer (or its settlement price) for the pool's view. */
  price: bigint;
  /** Read at this block (default: latest). */
  blockNumber?: bigint | undefined;
}

export interface GetPastEdgesReturnType {
  /** A position of the market is past its cap price: `takeProfit` can close it now (`getAtCap` says which). */
  beyondCap: boolean;
  /** A position of the market is at its bankruptcy price, fees left out: it can be liquidated now. */
  underWater: boolean;
}

export type GetPastEdgesErrorType = ReadContractErrorType | DecodedRevert;

/**
 * Whether any position of a market is past one of its edges at `price` (`IMarginEngine.pastEdges`): beyond its cap, or
 * at its bankruptcy price. While either holds in a market with open interest, LP requests wait
 * (`LpExecutionPaused(0)`) until someone takes the position at its cap or liquidates it.
 */
export async function getPastEdges(
  client: ReadClient,
  { addresses, marketId, price, blockNumber }: GetPastEdgesParameters,
): Promise<GetPastEdgesReturnType> {
  try {
    const [beyondCap, underWater] = await readContract(client, {
      address: addresses.marginEngine,
      abi: marginEngineAbi,
      functionName: "pastEdges",
      args: [marketId, price],
      blockNumber,
    });
    return { beyondCap, underWater };
  } catch (error) {
    throw toBulkheadError(error);
  }
}

import type { ReadContractErrorType } from "viem";
import { readContract } from "viem/actions";

import type { BulkheadAddresses } from "../deployment.js";
import { toBulkheadError, type DecodedRevert } from "../errors/decode.js";
import { marginEngineAbi, riskConfigAbi } from "../generated/abis.js";
import { resolveBlock } from "../internal/block.js";
import type { ReadClient } from "../internal/client.js";
import { toMarketParams, toSideState } from "../internal/normalize.js";
import type { MarketState } from "../types.js";

export interface GetMarketParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine" | "riskConfig">;
  marketId: bigint;
  /** Read at this block (default: latest). */
  blockNumber?: bigint | undefined;
}

export type GetMarketReturnType = MarketState;

/** A bad oracle price reverts the price read: `StalePriceError`, `NonPositivePriceError`, `SequencerDownError`. */
export type GetMarketErrorType = ReadContractErrorType | DecodedRevert;

/**
 * A market's parameters, oracle price, borrow indices, side aggregates and liquidation grace status, all read at
 * one block: exactly what the position maths needs to value the market's positions as the contracts would.
 */
export async function getMarket(
  client: ReadClient,
  { addresses, marketId, blockNumber: at }: GetMarketParameters,
): Promise<GetMarketReturnType> {
  try {
    const { blockNumber, timestamp } = await resolveBlock(client, at);
    const engine = { address: addresses.marginEngine, abi: marginEngineAbi, blockNumber } as const;
    const [params, price, borrowIndexLong, borrowIndexShort, liquidationResumesAt, long, short] = await Promise.all([
      readContract(client, {
        address: addresses.riskConfig,
        abi: riskConfigAbi,
        functionName: "marketParams",
        args: [marketId],
        blockNumber,
      }),
      readContract(client, { ...engine, functionName: "indexPrice", args: [marketId] }),
      readContract(client, { ...engine, functionName: "borrowIndex", args: [marketId, true] }),
      readContract(client, { ...engine, functionName: "borrowIndex", args: [marketId, false] }),
      readContract(client, { ...engine, functionName: "liquidationResumesAt", args: [marketId] }),
      readContract(client, { ...engine, functionName: "sideState", args: [marketId, true] }),
      readContract(client, { ...engine, functionName: "sideState", args: [marketId, false] }),
    ]);
    return {
      marketId,
      params: toMarketParams(params),
      price,
      borrowIndexLong,
      borrowIndexShort,
      liquidationResumesAt,
      long: toSideState(long),
      short: toSideState(short),
      timestamp,
      blockNumber,
    };
  } catch (error) {
    throw toBulkheadError(error);
  }
}

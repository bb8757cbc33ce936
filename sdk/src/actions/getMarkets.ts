import { readContract } from "viem/actions";

import type { BulkheadAddresses } from "../deployment.js";
import { toBulkheadError } from "../errors/decode.js";
import { riskConfigAbi } from "../generated/abis.js";
import { resolveBlock } from "../internal/block.js";
import type { ReadClient } from "../internal/client.js";
import { getMarket, type GetMarketErrorType, type GetMarketReturnType } from "./getMarket.js";

export interface GetMarketsParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine" | "riskConfig">;
  blockNumber?: bigint | undefined;
}

export type GetMarketsReturnType = GetMarketReturnType[];
export type GetMarketsErrorType = GetMarketErrorType;

/** Every listed market (see `getMarket`), read at one block. */
export async function getMarkets(
  client: ReadClient,
  { addresses, blockNumber: at }: GetMarketsParameters,
): Promise<GetMarketsReturnType> {
  let count: bigint;
  let blockNumber: bigint;
  try {
    ({ blockNumber } = await resolveBlock(client, at));
    count = await readContract(client, {
      address: addresses.riskConfig,
      abi: riskConfigAbi,
      functionName: "marketCount",
      blockNumber,
    });
  } catch (error) {
    throw toBulkheadError(error);
  }
  const ids = Array.from({ length: Number(count) }, (_, i) => BigInt(i));
  return Promise.all(ids.map((marketId) => getMarket(client, { addresses, marketId, blockNumber })));
}

import type { ReadContractErrorType } from "viem";
import { readContract } from "viem/actions";

import type { BulkheadAddresses } from "../deployment.js";
import { toBulkheadError, type DecodedRevert } from "../errors/decode.js";
import { liquidityPoolAbi, marginEngineAbi } from "../generated/abis.js";
import { settlementTokenAbi } from "../abis.js";
import { resolveBlock } from "../internal/block.js";
import type { ReadClient } from "../internal/client.js";
import type { PoolState } from "../types.js";

export interface GetPoolStateParameters {
  addresses: Pick<BulkheadAddresses, "liquidityPool" | "marginEngine" | "asset">;
  blockNumber?: bigint | undefined;
}

export type GetPoolStateReturnType = PoolState;

/** The pool's share price needs good prices for every market with open interest: it reverts on a bad one. */
export type GetPoolStateErrorType = ReadContractErrorType | DecodedRevert;

/** The liquidity pool's assets, shares, reservations and the traders' net pnl, read at one block. */
export async function getPoolState(
  client: ReadClient,
  { addresses, blockNumber: at }: GetPoolStateParameters,
): Promise<GetPoolStateReturnType> {
  try {
    const { blockNumber } = await resolveBlock(client, at);
    const pool = { address: addresses.liquidityPool, abi: liquidityPoolAbi, blockNumber } as const;
    const engine = { address: addresses.marginEngine, abi: marginEngineAbi, blockNumber } as const;
    const shareDecimals = await readContract(client, { ...pool, functionName: "decimals" });
    const [
      balance,
      totalAssets,
      totalSupply,
      freeLiquidity,
      netTraderPnl,
      totalReserved,
      totalEntryNotional,
      sharePrice,
    ] = await Promise.all([
      readContract(client, {
        address: addresses.asset,
        abi: settlementTokenAbi,
        functionName: "balanceOf",
        args: [addresses.liquidityPool],
        blockNumber,
      }),
      readContract(client, { ...pool, functionName: "totalAssets" }),
      readContract(client, { ...pool, functionName: "totalSupply" }),
      readContract(client, { ...pool, functionName: "freeLiquidity" }),
      readContract(client, { ...pool, functionName: "netTraderPnl" }),
      readContract(client, { ...engine, functionName: "totalReserved" }),
      readContract(client, { ...engine, functionName: "totalEntryNotional" }),
      readContract(client, { ...pool, functionName: "convertToAssets", args: [10n ** BigInt(shareDecimals)] }),
    ]);
    return {
      balance,
      totalAssets,
      totalSupply,
      freeLiquidity,
      netTraderPnl,
      totalReserved,
      totalEntryNotional,
      sharePrice,
      shareDecimals,
      blockNumber,
    };
  } catch (error) {
    throw toBulkheadError(error);
  }
}

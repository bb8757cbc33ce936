import type { Address, ReadContractErrorType } from "viem";
import { readContract } from "viem/actions";

import type { BulkheadAddresses } from "../deployment.js";
import { toBulkheadError, type DecodedRevert } from "../errors/decode.js";
import { liquidityPoolAbi, marginEngineAbi } from "../generated/abis.js";
import { settlementTokenAbi } from "../abis.js";
import { resolveBlock } from "../internal/block.js";
import type { ReadClient } from "../internal/client.js";

export interface GetPoolStateParameters {
  addresses: Pick<BulkheadAddresses, "liquidityPool" | "marginEngine" | "asset">;
  blockNumber?: bigint | undefined;
}

/** The liquidity pool as of one block. Asset amounts in the settlement token's units. */
export interface GetPoolStateReturnType {
  /** Asset held by the pool (equity plus pending deposits and everything set aside for claims). */
  balance: bigint;
  /** Pool equity held as tokens (`equityAssets`): what capacity checks and profit payouts use. */
  equityAssets: bigint;
  /** Equity not reserved for open positions' profit caps (`freeLiquidity`): what redemptions may take. */
  freeLiquidity: bigint;
  /** What the shares are worth (ERC-4626 `totalAssets`): equity less the positions' net claim; never reverts. */
  totalAssets: bigint;
  totalSupply: bigint;
  /** Sum of open positions' profit caps. */
  totalReserved: bigint;
  /** Sum of open positions' entry notionals, USD WAD. */
  totalEntryNotional: bigint;
  /** The share price cached at the last execution (what a new request records), assets per share, WAD. */
  cachedSharePrice: bigint;
  /** Asset value of one whole share (10^share decimals) now, rounded down (`convertToAssets`). */
  sharePrice: bigint;
  shareDecimals: number;
  /** Whether LP requests may execute now (`lpExecutionStatus`). */
  executionOpen: boolean;
  /**
   * When execution is paused: the earliest time worth retrying; zero when it depends on a feed coming back or on a
   * keeper taking or liquidating a position past its cap or bankruptcy price (`getPastEdges` says which).
   */
  retryAt: bigint;
  /** Controllers with a redemption request waiting, in execution order. */
  redeemQueue: readonly Address[];
  blockNumber: bigint;
  timestamp: bigint;
}

/** Every read here is a view that never reverts on a feed. */
export type GetPoolStateErrorType = ReadContractErrorType | DecodedRevert;

/** The liquidity pool's equity, liquidity, share price, execution status and redemption queue, read at one block. */
export async function getPoolState(
  client: ReadClient,
  { addresses, blockNumber: at }: GetPoolStateParameters,
): Promise<GetPoolStateReturnType> {
  try {
    const { blockNumber, timestamp } = await resolveBlock(client, at);
    const pool = { address: addresses.liquidityPool, abi: liquidityPoolAbi, blockNumber } as const;
    const engine = { address: addresses.marginEngine, abi: marginEngineAbi, blockNumber } as const;
    const shareDecimals = await readContract(client, { ...pool, functionName: "decimals" });
    const [
      balance,
      equityAssets,
      freeLiquidity,
      totalAssets,
      totalSupply,
      totalReserved,
      totalEntryNotional,
      cachedSharePrice,
      sharePrice,
      [executionOpen, retryAt],
      redeemQueue,
    ] = await Promise.all([
      readContract(client, {
        address: addresses.asset,
        abi: settlementTokenAbi,
        functionName: "balanceOf",
        args: [addresses.liquidityPool],
        blockNumber,
      }),
      readContract(client, { ...pool, functionName: "equityAssets" }),
      readContract(client, { ...pool, functionName: "freeLiquidity" }),
      readContract(client, { ...pool, functionName: "totalAssets" }),
      readContract(client, { ...pool, functionName: "totalSupply" }),
      readContract(client, { ...engine, functionName: "totalReserved" }),
      readContract(client, { ...engine, functionName: "totalEntryNotional" }),
      readContract(client, { ...pool, functionName: "cachedSharePrice" }),
      readContract(client, { ...pool, functionName: "convertToAssets", args: [10n ** BigInt(shareDecimals)] }),
      readContract(client, { ...pool, functionName: "lpExecutionStatus" }),
      readContract(client, { ...pool, functionName: "redeemQueue" }),
    ]);
    return {
      balance,
      equityAssets,
      freeLiquidity,
      totalAssets,
      totalSupply,
      totalReserved,
      totalEntryNotional,
      cachedSharePrice,
      sharePrice,
      shareDecimals,
      executionOpen,
      retryAt,
      redeemQueue,
      blockNumber,
      timestamp,
    };
  } catch (error) {
    throw toBulkheadError(error);
  }
}

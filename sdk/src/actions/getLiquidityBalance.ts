import type { Address, ReadContractErrorType } from "viem";
import { readContract } from "viem/actions";

import type { BulkheadAddresses } from "../deployment.js";
import { toBulkheadError, type DecodedRevert } from "../errors/decode.js";
import { liquidityPoolAbi } from "../generated/abis.js";
import type { ReadClient } from "../internal/client.js";

export interface GetLiquidityBalanceParameters {
  addresses: Pick<BulkheadAddresses, "liquidityPool">;
  owner: Address;
  blockNumber?: bigint | undefined;
}

export type GetLiquidityBalanceErrorType = ReadContractErrorType | DecodedRevert;

export interface GetLiquidityBalanceReturnType {
  shares: bigint;
  /** What the shares are worth now, rounded down. */
  assets: bigint;
}

/**
 * An LP's shares and what they are worth now. Shares in pending or executed requests are held by the pool: see
 * `getLpRequests`.
 */
export async function getLiquidityBalance(
  client: ReadClient,
  { addresses, owner, blockNumber }: GetLiquidityBalanceParameters,
): Promise<GetLiquidityBalanceReturnType> {
  try {
    const pool = { address: addresses.liquidityPool, abi: liquidityPoolAbi, blockNumber } as const;
    const shares = await readContract(client, { ...pool, functionName: "balanceOf", args: [owner] });
    const assets = await readContract(client, { ...pool, functionName: "convertToAssets", args: [shares] });
    return { shares, assets };
  } catch (error) {
    throw toBulkheadError(error);
  }
}

import type { Address, ReadContractErrorType } from "viem";
import { readContract } from "viem/actions";

import type { BulkheadAddresses } from "../deployment.js";
import { toBulkheadError, type DecodedRevert } from "../errors/decode.js";
import { marginEngineAbi } from "../generated/abis.js";
import type { ReadClient } from "../internal/client.js";

export interface GetClaimParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  positionId: bigint;
  /** Read at this block (default: latest). */
  blockNumber?: bigint | undefined;
}

/** What the engine holds for a position, and for whom; null if nothing. */
export type GetClaimReturnType = {
  /** The owner the claim was recorded for: the only account that may `claim` it. */
  owner: Address;
  /** Asset units. */
  amount: bigint;
} | null;

export type GetClaimErrorType = ReadContractErrorType | DecodedRevert;

/** The claim waiting for a position (`IMarginEngine.claimOf`): payouts its owner or receiver could not receive. */
export async function getClaim(
  client: ReadClient,
  { addresses, positionId, blockNumber }: GetClaimParameters,
): Promise<GetClaimReturnType> {
  try {
    const [owner, amount] = await readContract(client, {
      address: addresses.marginEngine,
      abi: marginEngineAbi,
      functionName: "claimOf",
      args: [positionId],
      blockNumber,
    });
    return amount === 0n ? null : { owner, amount };
  } catch (error) {
    throw toBulkheadError(error);
  }
}

import type { Address, ReadContractErrorType } from "viem";
import { readContract } from "viem/actions";

import type { BulkheadAddresses } from "../deployment.js";
import { toBulkheadError, type DecodedRevert } from "../errors/decode.js";
import { liquidityPoolAbi } from "../generated/abis.js";
import { resolveBlock } from "../internal/block.js";
import type { ReadClient } from "../internal/client.js";

export interface GetLpRequestsParameters {
  addresses: Pick<BulkheadAddresses, "liquidityPool">;
  controller: Address;
  blockNumber?: bigint | undefined;
}

export type GetLpRequestsErrorType = ReadContractErrorType | DecodedRevert;

/** A controller's requests on the pool (ERC-7540 / ERC-7887), as of one block. */
export interface GetLpRequestsReturnType {
  deposit: {
    /** Assets of the pending request (the execution fee included); zero if none. */
    pending: bigint;
    /** When the pending request becomes executable (and stops being cancellable); zero if none. */
    executableAt: bigint;
    /** Executed, to be claimed with `claimDeposit`: assets (`maxDeposit`) and shares (`maxMint`). */
    claimableAssets: bigint;
    claimableShares: bigint;
    /** Cancelled or refunded, to be claimed with `claimCancelDepositRequest`. */
    cancelledAssets: bigint;
  };
  redeem: {
    /** Shares of the pending request (what is left of it after a partial execution); zero if none. */
    pending: bigint;
    executableAt: bigint;
    /** Executed, to be claimed with `claimRedeem`: assets (`maxWithdraw`) and shares (`maxRedeem`). */
    claimableAssets: bigint;
    claimableShares: bigint;
    /** Cancelled, to be claimed with `claimCancelRedeemRequest`. */
    cancelledShares: bigint;
  };
  blockNumber: bigint;
  timestamp: bigint;
}

/** A controller's pending, claimable and cancelled LP requests and when the pending ones become executable. */
export async function getLpRequests(
  client: ReadClient,
  { addresses, controller, blockNumber: at }: GetLpRequestsParameters,
): Promise<GetLpRequestsReturnType> {
  try {
    const { blockNumber, timestamp } = await resolveBlock(client, at);
    const pool = { address: addresses.liquidityPool, abi: liquidityPoolAbi, blockNumber } as const;
    const [
      pendingDeposit,
      pendingRedeem,
      [depositExecutableAt, redeemExecutableAt],
      maxDeposit,
      maxMint,
      maxWithdraw,
      maxRedeem,
      cancelledAssets,
      cancelledShares,
    ] = await Promise.all([
      readContract(client, { ...pool, functionName: "pendingDepositRequest", args: [0n, controller] }),
      readContract(client, { ...pool, functionName: "pendingRedeemRequest", args: [0n, controller] }),
      readContract(client, { ...pool, functionName: "executableAt", args: [controller] }),
      readContract(client, { ...pool, functionName: "maxDeposit", args: [controller] }),
      readContract(client, { ...pool, functionName: "maxMint", args: [controller] }),
      readContract(client, { ...pool, functionName: "maxWithdraw", args: [controller] }),
      readContract(client, { ...pool, functionName: "maxRedeem", args: [controller] }),
      readContract(client, { ...pool, functionName: "claimableCancelDepositRequest", args: [0n, controller] }),
      readContract(client, { ...pool, functionName: "claimableCancelRedeemRequest", args: [0n, controller] }),
    ]);
    return {
      deposit: {
        pending: pendingDeposit,
        executableAt: depositExecutableAt,
        claimableAssets: maxDeposit,
        claimableShares: maxMint,
        cancelledAssets,
      },
      redeem: {
        pending: pendingRedeem,
        executableAt: redeemExecutableAt,
        claimableAssets: maxWithdraw,
        claimableShares: maxRedeem,
        cancelledShares,
      },
      blockNumber,
      timestamp,
    };
  } catch (error) {
    throw toBulkheadError(error);
  }
}

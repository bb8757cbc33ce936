import type { Account, Address, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { liquidityPoolAbi } from "../generated/abis.js";
import { accountOf, addressOfAccount, type WriteParameters } from "../internal/client.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export type SimulateClaimDepositParameters = WriteParameters & {
  addresses: Pick<BulkheadAddresses, "liquidityPool">;
  /** Receives the shares; defaults to the sender. */
  receiver?: Address | undefined;
  /** Whose executed requests are claimed; defaults to the sender (who must be it or its operator). */
  controller?: Address | undefined;
} & (
    | {
        /** Asset units of executed deposits to claim (ERC-7540 `deposit`); shares rounded down. */
        assets: bigint;
      }
    | {
        /** Shares to claim (ERC-7540 `mint`); assets used rounded up. */
        shares: bigint;
      }
  );

/** `result` is the shares claimed (`deposit`) or the assets used (`mint`). */
export type SimulateClaimDepositReturnType<chain extends Chain | undefined = Chain | undefined> =
  SimulatedWrite<typeof liquidityPoolAbi, "deposit", chain> | SimulatedWrite<typeof liquidityPoolAbi, "mint", chain>;

/** `ExceedsClaimableError` (more than `maxDeposit` / `maxMint`), `ZeroAmountError`, `NotOperatorError`. */
export type SimulateClaimDepositErrorType = DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/**
 * Simulates claiming executed deposit requests, by assets (`deposit`) or by shares (`mint`), and returns the request.
 * Claims are priced at the controller's executed sums: shares = assets × Σshares / Σassets.
 */
export async function simulateClaimDeposit<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateClaimDepositParameters,
): Promise<SimulateClaimDepositReturnType<chain>> {
  const account = accountOf(client, parameters.account, "simulateClaimDeposit");
  const sender = addressOfAccount(account);
  const receiver = parameters.receiver ?? sender;
  const controller = parameters.controller ?? sender;
  const pool = { address: parameters.addresses.liquidityPool, abi: liquidityPoolAbi, account } as const;
  if ("assets" in parameters) {
    return simulateWrite(client, { ...pool, functionName: "deposit", args: [parameters.assets, receiver, controller] });
  }
  return simulateWrite(client, { ...pool, functionName: "mint", args: [parameters.shares, receiver, controller] });
}

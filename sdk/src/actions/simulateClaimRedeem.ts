import type { Account, Address, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { liquidityPoolAbi } from "../generated/abis.js";
import { accountOf, addressOfAccount, type WriteParameters } from "../internal/client.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export type SimulateClaimRedeemParameters = WriteParameters & {
  addresses: Pick<BulkheadAddresses, "liquidityPool">;
  /** Receives the assets; defaults to the sender. */
  receiver?: Address | undefined;
  /** Whose executed requests are claimed; defaults to the sender (who must be it or its operator). */
  controller?: Address | undefined;
} & (
    | {
        /** Shares of executed redemptions to claim (ERC-7540 `redeem`); assets rounded down. */
        shares: bigint;
      }
    | {
        /** Asset units to claim (ERC-7540 `withdraw`); shares used rounded up. */
        assets: bigint;
      }
  );

/** `result` is the assets paid (`redeem`) or the shares used (`withdraw`). */
export type SimulateClaimRedeemReturnType<chain extends Chain | undefined = Chain | undefined> =
  SimulatedWrite<typeof liquidityPoolAbi, "redeem", chain> | SimulatedWrite<typeof liquidityPoolAbi, "withdraw", chain>;

/** `ExceedsClaimableError` (more than `maxRedeem` / `maxWithdraw`), `ZeroAmountError`, `NotOperatorError`. */
export type SimulateClaimRedeemErrorType = DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/**
 * Simulates claiming executed redemption requests, by shares (`redeem`) or by assets (`withdraw`), and returns the
 * request. Claims are priced at the controller's executed sums: assets = shares × Σassets / Σshares.
 */
export async function simulateClaimRedeem<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateClaimRedeemParameters,
): Promise<SimulateClaimRedeemReturnType<chain>> {
  const account = accountOf(client, parameters.account, "simulateClaimRedeem");
  const sender = addressOfAccount(account);
  const receiver = parameters.receiver ?? sender;
  const controller = parameters.controller ?? sender;
  const pool = { address: parameters.addresses.liquidityPool, abi: liquidityPoolAbi, account } as const;
  if ("shares" in parameters) {
    return simulateWrite(client, { ...pool, functionName: "redeem", args: [parameters.shares, receiver, controller] });
  }
  return simulateWrite(client, { ...pool, functionName: "withdraw", args: [parameters.assets, receiver, controller] });
}

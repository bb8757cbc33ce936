import type { Account, Address, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { liquidityPoolAbi } from "../generated/abis.js";
import { accountOf, addressOfAccount, type WriteParameters } from "../internal/client.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateClaimCancelRedeemRequestParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "liquidityPool">;
  /** Receives the shares; defaults to the sender. */
  receiver?: Address | undefined;
  /** Whose cancelled request; defaults to the sender. */
  controller?: Address | undefined;
}

/** `result` is the shares returned. */
export type SimulateClaimCancelRedeemRequestReturnType<chain extends Chain | undefined = Chain | undefined> =
  SimulatedWrite<typeof liquidityPoolAbi, "claimCancelRedeemRequest", chain>;

/** `ExceedsClaimableError` (nothing cancelled), `NotOperatorError`. */
export type SimulateClaimCancelRedeemRequestErrorType =
  DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/** Simulates `claimCancelRedeemRequest` and returns the request. Claims the shares of a cancelled redemption request (ERC-7887 `claimCancelRedeemRequest`). */
export async function simulateClaimCancelRedeemRequest<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateClaimCancelRedeemRequestParameters,
): Promise<SimulateClaimCancelRedeemRequestReturnType<chain>> {
  const account = accountOf(client, parameters.account, "simulateClaimCancelRedeemRequest");
  const sender = addressOfAccount(account);
  return simulateWrite(client, {
    address: parameters.addresses.liquidityPool,
    abi: liquidityPoolAbi,
    functionName: "claimCancelRedeemRequest",
    args: [0n, parameters.receiver ?? sender, parameters.controller ?? sender],
    account,
  });
}

import type { Account, Address, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { liquidityPoolAbi } from "../generated/abis.js";
import { accountOf, addressOfAccount, type WriteParameters } from "../internal/client.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateClaimCancelDepositRequestParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "liquidityPool">;
  /** Receives the assets; defaults to the sender. */
  receiver?: Address | undefined;
  /** Whose cancelled request; defaults to the sender. */
  controller?: Address | undefined;
}

/** `result` is the assets paid. */
export type SimulateClaimCancelDepositRequestReturnType<chain extends Chain | undefined = Chain | undefined> =
  SimulatedWrite<typeof liquidityPoolAbi, "claimCancelDepositRequest", chain>;

/** `ExceedsClaimableError` (nothing cancelled), `NotOperatorError`. */
export type SimulateClaimCancelDepositRequestErrorType =
  DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/** Simulates `claimCancelDepositRequest` and returns the request. Claims the assets of a cancelled (or refunded) deposit request (ERC-7887 `claimCancelDepositRequest`). */
export async function simulateClaimCancelDepositRequest<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateClaimCancelDepositRequestParameters,
): Promise<SimulateClaimCancelDepositRequestReturnType<chain>> {
  const account = accountOf(client, parameters.account, "simulateClaimCancelDepositRequest");
  const sender = addressOfAccount(account);
  return simulateWrite(client, {
    address: parameters.addresses.liquidityPool,
    abi: liquidityPoolAbi,
    functionName: "claimCancelDepositRequest",
    args: [0n, parameters.receiver ?? sender, parameters.controller ?? sender],
    account,
  });
}

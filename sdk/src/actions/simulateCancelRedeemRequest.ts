import type { Account, Address, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { liquidityPoolAbi } from "../generated/abis.js";
import { accountOf, addressOfAccount, type WriteParameters } from "../internal/client.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateCancelRedeemRequestParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "liquidityPool">;
  /** Whose request; defaults to the sender (who must be it or its operator). */
  controller?: Address | undefined;
}

/** `result` is undefined (the function returns nothing). */
export type SimulateCancelRedeemRequestReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof liquidityPoolAbi,
  "cancelRedeemRequest",
  chain
>;

/** `NoPendingRequestError`, `CancelWindowClosedError`, `NotOperatorError`. */
export type SimulateCancelRedeemRequestErrorType = DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/** Simulates `cancelRedeemRequest` and returns the request. Cancels a pending redemption request (ERC-7887) while its `lpDelay` runs: the shares become claimable at once with `claimCancelRedeemRequest`. */
export async function simulateCancelRedeemRequest<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateCancelRedeemRequestParameters,
): Promise<SimulateCancelRedeemRequestReturnType<chain>> {
  const account = accountOf(client, parameters.account, "simulateCancelRedeemRequest");
  const sender = addressOfAccount(account);
  return simulateWrite(client, {
    address: parameters.addresses.liquidityPool,
    abi: liquidityPoolAbi,
    functionName: "cancelRedeemRequest",
    args: [0n, parameters.controller ?? sender],
    account,
  });
}

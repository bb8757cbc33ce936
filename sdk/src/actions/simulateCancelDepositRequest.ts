import type { Account, Address, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { liquidityPoolAbi } from "../generated/abis.js";
import { accountOf, addressOfAccount, type WriteParameters } from "../internal/client.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateCancelDepositRequestParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "liquidityPool">;
  /** Whose request; defaults to the sender (who must be it or its operator). */
  controller?: Address | undefined;
}

/** `result` is undefined (the function returns nothing). */
export type SimulateCancelDepositRequestReturnType<chain extends Chain | undefined = Chain | undefined> =
  SimulatedWrite<typeof liquidityPoolAbi, "cancelDepositRequest", chain>;

/** `NoPendingRequestError`, `CancelWindowClosedError` (the delay is over: the request can only be executed), `NotOperatorError`. */
export type SimulateCancelDepositRequestErrorType = DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/** Simulates `cancelDepositRequest` and returns the request. Cancels a pending deposit request (ERC-7887) while its `lpDelay` runs: the assets become claimable at once with `claimCancelDepositRequest`. */
export async function simulateCancelDepositRequest<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateCancelDepositRequestParameters,
): Promise<SimulateCancelDepositRequestReturnType<chain>> {
  const account = accountOf(client, parameters.account, "simulateCancelDepositRequest");
  const sender = addressOfAccount(account);
  return simulateWrite(client, {
    address: parameters.addresses.liquidityPool,
    abi: liquidityPoolAbi,
    functionName: "cancelDepositRequest",
    args: [0n, parameters.controller ?? sender],
    account,
  });
}

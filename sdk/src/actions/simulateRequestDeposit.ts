import type { Account, Address, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { liquidityPoolAbi } from "../generated/abis.js";
import { accountOf, addressOfAccount, type WriteParameters } from "../internal/client.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateRequestDepositParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "liquidityPool">;
  /** Asset units, the execution fee included (at least `minRequest`). */
  assets: bigint;
  /** Whose request it is (claims and cancels it); defaults to the sender. */
  controller?: Address | undefined;
  /** Whose assets are pulled; defaults to the sender (another owner must have made the sender its operator). */
  owner?: Address | undefined;
}

/** `result` is the request id (always 0). */
export type SimulateRequestDepositReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof liquidityPoolAbi,
  "requestDeposit",
  chain
>;

/** `RequestTooSmallError`, `RequestPendingError` (one deposit request per controller), `NotOperatorError`. */
export type SimulateRequestDepositErrorType = DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/** Simulates an ERC-7540 `requestDeposit` and returns the request; the pool must already be allowed to pull the assets. */
export async function simulateRequestDeposit<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateRequestDepositParameters,
): Promise<SimulateRequestDepositReturnType<chain>> {
  const account = accountOf(client, parameters.account, "simulateRequestDeposit");
  const sender = addressOfAccount(account);
  return simulateWrite(client, {
    address: parameters.addresses.liquidityPool,
    abi: liquidityPoolAbi,
    functionName: "requestDeposit",
    args: [parameters.assets, parameters.controller ?? sender, parameters.owner ?? sender],
    account,
  });
}

import type { Account, Address, Chain, Client, SimulateContractErrorType, Transport } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { liquidityPoolAbi } from "../generated/abis.js";
import { accountOf, addressOfAccount, type WriteParameters } from "../internal/client.js";
import { simulateWrite, type SimulatedWrite } from "../internal/write.js";

export interface SimulateRequestRedeemParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "liquidityPool">;
  /** Shares to redeem. */
  shares: bigint;
  /** Whose request it is (claims and cancels it); defaults to the sender. */
  controller?: Address | undefined;
  /** Whose shares are taken; defaults to the sender (another owner must have made the sender its operator or approved the shares). */
  owner?: Address | undefined;
}

/** `result` is the request id (always 0). */
export type SimulateRequestRedeemReturnType<chain extends Chain | undefined = Chain | undefined> = SimulatedWrite<
  typeof liquidityPoolAbi,
  "requestRedeem",
  chain
>;

/** `RequestTooSmallError` (the shares' value at the cached price below `minRequest`), `RequestPendingError` (one redemption request per controller), `ERC20InsufficientAllowanceError`. */
export type SimulateRequestRedeemErrorType = DecodedRevert | AccountRequiredError | SimulateContractErrorType;

/** Simulates `requestRedeem` and returns the request. Requests a redemption (ERC-7540 `requestRedeem`): the shares move to the pool at once and wait in the redemption queue; after `lpDelay` anyone may execute the request at the lower of the share price cached now and the one at execution, in part if the free liquidity runs short; the controller then claims with `claimRedeem`. */
export async function simulateRequestRedeem<chain extends Chain | undefined>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: SimulateRequestRedeemParameters,
): Promise<SimulateRequestRedeemReturnType<chain>> {
  const account = accountOf(client, parameters.account, "simulateRequestRedeem");
  const sender = addressOfAccount(account);
  return simulateWrite(client, {
    address: parameters.addresses.liquidityPool,
    abi: liquidityPoolAbi,
    functionName: "requestRedeem",
    args: [parameters.shares, parameters.controller ?? sender, parameters.owner ?? sender],
    account,
  });
}

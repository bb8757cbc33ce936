import type { Hash, WriteContractErrorType } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, type WriteClient, type WriteParameters } from "../internal/client.js";
import { simulateAndWrite } from "../internal/write.js";

export interface RemoveMarginParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  positionId: bigint;
  /** Asset units. */
  amount: bigint;
}

export type RemoveMarginReturnType = Hash;
export type RemoveMarginErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/** Withdraws collateral to the owner, keeping initial margin (unrealised profit does not count) and the minimum. */
export async function removeMargin(
  client: WriteClient,
  parameters: RemoveMarginParameters,
): Promise<RemoveMarginReturnType> {
  const { addresses, positionId, amount } = parameters;
  return simulateAndWrite(client, {
    address: addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "removeMargin",
    args: [positionId, amount],
    account: accountOf(client, parameters.account, "removeMargin"),
  });
}

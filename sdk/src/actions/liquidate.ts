import type { Hash, WriteContractErrorType } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, type WriteClient, type WriteParameters } from "../internal/client.js";
import { simulateAndWrite } from "../internal/write.js";

export interface LiquidateParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  positionId: bigint;
}

export type LiquidateReturnType = Hash;

/** `NotLiquidatableError` (with the equity and the requirement), `LiquidationGracePeriodError`, … */
export type LiquidateErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/** Liquidates one position at the oracle price; the sender receives the keeper reward. */
export async function liquidate(client: WriteClient, parameters: LiquidateParameters): Promise<LiquidateReturnType> {
  return simulateAndWrite(client, {
    address: parameters.addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "liquidate",
    args: [parameters.positionId],
    account: accountOf(client, parameters.account, "liquidate"),
  });
}

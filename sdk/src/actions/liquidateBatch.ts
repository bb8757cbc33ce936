import type { Hash, WriteContractErrorType } from "viem";

import type { BulkheadAddresses } from "../deployment.js";
import type { DecodedRevert } from "../errors/decode.js";
import type { AccountRequiredError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { accountOf, type WriteClient, type WriteParameters } from "../internal/client.js";
import { simulateAndWrite } from "../internal/write.js";

export interface LiquidateBatchParameters extends WriteParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  positionIds: readonly bigint[];
}

export type LiquidateBatchReturnType = Hash;
export type LiquidateBatchErrorType = DecodedRevert | AccountRequiredError | WriteContractErrorType;

/** Liquidates every listed position that is liquidatable and skips the others without reverting. */
export async function liquidateBatch(
  client: WriteClient,
  parameters: LiquidateBatchParameters,
): Promise<LiquidateBatchReturnType> {
  return simulateAndWrite(client, {
    address: parameters.addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "liquidateBatch",
    args: [parameters.positionIds],
    account: accountOf(client, parameters.account, "liquidateBatch"),
  });
}

import type { ReadContractErrorType } from "viem";
import { readContract } from "viem/actions";

import type { BulkheadAddresses } from "../deployment.js";
import { toBulkheadError } from "../errors/decode.js";
import { riskConfigAbi } from "../generated/abis.js";
import type { ReadClient } from "../internal/client.js";
import { toGlobalParams } from "../internal/normalize.js";
import type { GlobalParams } from "../types.js";

export interface GetGlobalParamsParameters {
  addresses: Pick<BulkheadAddresses, "riskConfig">;
  blockNumber?: bigint | undefined;
}

export type GetGlobalParamsReturnType = GlobalParams;
export type GetGlobalParamsErrorType = ReadContractErrorType;

/**
 * Engine-wide parameters: minimum collateral and notional, keeper reserve, utilisation bound, grace period after an
 * outage, the orders' execution window (`maxExecutionDelay`) and minimum execution fee.
 */
export async function getGlobalParams(
  client: ReadClient,
  { addresses, blockNumber }: GetGlobalParamsParameters,
): Promise<GetGlobalParamsReturnType> {
  try {
    return toGlobalParams(
      await readContract(client, {
        address: addresses.riskConfig,
        abi: riskConfigAbi,
        functionName: "globalParams",
        blockNumber,
      }),
    );
  } catch (error) {
    throw toBulkheadError(error);
  }
}

import type { Address, ReadContractErrorType } from "viem";
import { readContract } from "viem/actions";

import type { BulkheadAddresses } from "../deployment.js";
import { toBulkheadError } from "../errors/decode.js";
import { marginEngineAbi } from "../generated/abis.js";
import type { ReadClient } from "../internal/client.js";

export interface ResolveAddressesParameters {
  marginEngine: Address;
  bulkheadLens?: Address | undefined;
}

export type ResolveAddressesReturnType = BulkheadAddresses;
export type ResolveAddressesErrorType = ReadContractErrorType;

/** Every address the SDK needs, from the engine's alone: it knows its asset, pool, insurance fund and risk config. */
export async function resolveAddresses(
  client: ReadClient,
  { marginEngine, bulkheadLens }: ResolveAddressesParameters,
): Promise<ResolveAddressesReturnType> {
  const engine = { address: marginEngine, abi: marginEngineAbi } as const;
  try {
    const [asset, liquidityPool, insuranceFund, riskConfig] = await Promise.all([
      readContract(client, { ...engine, functionName: "ASSET" }),
      readContract(client, { ...engine, functionName: "POOL" }),
      readContract(client, { ...engine, functionName: "INSURANCE_FUND" }),
      readContract(client, { ...engine, functionName: "RISK_CONFIG" }),
    ]);
    return { marginEngine, liquidityPool, insuranceFund, riskConfig, asset, bulkheadLens };
  } catch (error) {
    throw toBulkheadError(error);
  }
}

import type {
  Abi,
  Account,
  Address,
  ContractFunctionArgs,
  ContractFunctionName,
  Hash,
  SimulateContractParameters,
  TransactionReceipt,
  WriteContractParameters,
} from "viem";
import { simulateContract, waitForTransactionReceipt, writeContract } from "viem/actions";

import { toBulkheadError } from "../errors/decode.js";
import { TransactionRevertedError } from "../errors/sdk.js";
import type { ReadClient, WriteClient } from "./client.js";

/**
 * Simulates the call (so a revert surfaces as a typed error before anything is signed), then sends it. Throws the
 * decoded contract error when the simulation reverts.
 */
export async function simulateAndWrite<
  const abi extends Abi,
  functionName extends ContractFunctionName<abi, "nonpayable" | "payable">,
  const args extends ContractFunctionArgs<abi, "nonpayable" | "payable", functionName>,
>(
  client: WriteClient,
  parameters: { address: Address; abi: abi; functionName: functionName; args: args; account: Account | Address },
): Promise<Hash> {
  try {
    const { request } = await simulateContract(client, parameters as unknown as SimulateContractParameters);
    return await writeContract(client, {
      ...(request as unknown as WriteContractParameters),
      chain: client.chain ?? null,
    } as WriteContractParameters);
  } catch (error) {
    throw toBulkheadError(error);
  }
}

/** Waits for a transaction and throws if it reverted. */
export async function waitForSuccess(client: ReadClient, hash: Hash): Promise<TransactionReceipt> {
  const receipt = await waitForTransactionReceipt(client, { hash });
  if (receipt.status !== "success") throw new TransactionRevertedError(hash);
  return receipt;
}

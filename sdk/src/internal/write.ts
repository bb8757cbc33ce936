import type {
  Abi,
  Account,
  Address,
  Chain,
  Client,
  ContractFunctionArgs,
  ContractFunctionName,
  ContractFunctionReturnType,
  Hash,
  SimulateContractParameters,
  TransactionReceipt,
  Transport,
  WriteContractParameters,
} from "viem";
import { simulateContract, waitForTransactionReceipt, writeContract } from "viem/actions";

import { toBulkheadError } from "../errors/decode.js";
import { TransactionRevertedError } from "../errors/sdk.js";
import type { ReadClient, WriteClient } from "./client.js";

type Mutability = "nonpayable" | "payable";

/**
 * What a `simulate…` action returns, as viem's `simulateContract` does: the function's `result` and a `request` to
 * hand to `writeContract` (viem's action or a wallet client's method, wagmi's `writeContract`, a smart account's
 * client). The request carries the account, the chain of the client it was simulated on (`null` if it has none) and
 * the full ABI.
 */
export interface SimulatedWrite<
  abi extends Abi,
  functionName extends ContractFunctionName<abi, Mutability>,
  chain extends Chain | undefined = Chain | undefined,
> {
  result: ContractFunctionReturnType<abi, Mutability, functionName>;
  request: WriteContractParameters<
    abi,
    functionName,
    ContractFunctionArgs<abi, Mutability, functionName>,
    chain,
    Account
  > & {
    account: Account;
  };
}

/** Simulates a write from `account` and returns its result and request; a revert is thrown as a typed error. */
export async function simulateWrite<
  const abi extends Abi,
  functionName extends ContractFunctionName<abi, Mutability>,
  chain extends Chain | undefined,
>(
  client: Client<Transport, chain, Account | undefined>,
  parameters: {
    address: Address;
    abi: abi;
    functionName: functionName;
    args: ContractFunctionArgs<abi, Mutability, functionName>;
    account: Account | Address;
  },
): Promise<SimulatedWrite<abi, functionName, chain>> {
  try {
    const { result, request } = await simulateContract(client, parameters as unknown as SimulateContractParameters);
    // The whole ABI rather than viem's one-item ABI, so the request decodes every error the function can revert with.
    return {
      result: result as SimulatedWrite<abi, functionName, chain>["result"],
      request: {
        ...request,
        abi: parameters.abi,
        chain: client.chain ?? null,
      } as unknown as SimulatedWrite<abi, functionName, chain>["request"],
    };
  } catch (error) {
    throw toBulkheadError(error);
  }
}

/** Sends a simulated request; a revert (at gas estimation) is thrown as a typed error. */
export async function sendRequest(client: WriteClient, request: { account: Account; address: Address }): Promise<Hash> {
  try {
    return await writeContract(client, request as unknown as WriteContractParameters);
  } catch (error) {
    throw toBulkheadError(error);
  }
}

/**
 * Simulates the call (so a revert surfaces as a typed error before anything is signed), then sends it. Throws the
 * decoded contract error when the simulation reverts.
 */
export async function simulateAndWrite<
  const abi extends Abi,
  functionName extends ContractFunctionName<abi, Mutability>,
>(
  client: WriteClient,
  parameters: {
    address: Address;
    abi: abi;
    functionName: functionName;
    args: ContractFunctionArgs<abi, Mutability, functionName>;
    account: Account | Address;
  },
): Promise<Hash> {
  const { request } = await simulateWrite(client, parameters);
  return sendRequest(client, request);
}

/** Waits for a transaction and throws if it reverted. */
export async function waitForSuccess(client: ReadClient, hash: Hash): Promise<TransactionReceipt> {
  const receipt = await waitForTransactionReceipt(client, { hash });
  if (receipt.status !== "success") throw new TransactionRevertedError(hash);
  return receipt;
}

/** Reading and driving the test nodes directly, with ethers, the way a wallet or a keeper would. */
import { readFileSync } from "node:fs";

import { JsonRpcProvider, type ContractTransactionResponse } from "ethers";

import type { DeploymentRecord } from "../../../../deploy/lib/record.js";

export function providerFor(url: string): JsonRpcProvider {
  return new JsonRpcProvider(url, undefined, { staticNetwork: true, cacheTimeout: -1 });
}

/** Waits for a transaction and fails if it reverted. */
export async function mined(tx: Promise<ContractTransactionResponse>): Promise<void> {
  const receipt = await (await tx).wait();
  if (receipt?.status !== 1) throw new Error("transaction failed");
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

export function readDeployment(file: string): DeploymentRecord {
  return readJson<DeploymentRecord>(file);
}

/** Everything that changes when anything is sent: the latest block and the sender's nonce. */
export async function chainState(
  provider: JsonRpcProvider,
  account: string,
): Promise<{ block: number; nonce: number }> {
  const [block, nonce] = await Promise.all([
    provider.getBlockNumber(),
    provider.getTransactionCount(account, "pending"),
  ]);
  return { block, nonce };
}

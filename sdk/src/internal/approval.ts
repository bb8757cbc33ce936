import type { Account, Address, Hash } from "viem";
import { readContract } from "viem/actions";

import { signPermit } from "../actions/signPermit.js";
import { settlementTokenAbi } from "../abis.js";
import { addressOfAccount, type WriteClient } from "./client.js";
import { simulateAndWrite, waitForSuccess } from "./write.js";

/**
 * How an action that pulls tokens gets its allowance when the current one is short:
 * - `"approve"`: an `approve` transaction for exactly what is needed (the default);
 * - `"permit"`: an EIP-2612 permit signed off-chain and submitted with the token's `permit`;
 * - `"none"`: nothing (the caller manages allowances).
 */
export type Approval = "approve" | "permit" | "none";

/** Makes sure `spender` may pull `amount` of `token` from the account; returns the approval transaction, if any. */
export async function ensureAllowance(
  client: WriteClient,
  {
    token,
    spender,
    amount,
    account,
    approval,
    deadline,
  }: {
    token: Address;
    spender: Address;
    amount: bigint;
    account: Account | Address;
    approval: Approval;
    deadline: bigint;
  },
): Promise<Hash | undefined> {
  if (approval === "none" || amount === 0n) return undefined;
  const owner = addressOfAccount(account);
  const allowance = await readContract(client, {
    address: token,
    abi: settlementTokenAbi,
    functionName: "allowance",
    args: [owner, spender],
  });
  if (allowance >= amount) return undefined;
  let hash: Hash;
  if (approval === "approve") {
    hash = await simulateAndWrite(client, {
      address: token,
      abi: settlementTokenAbi,
      functionName: "approve",
      args: [spender, amount],
      account,
    });
  } else {
    const permit = await signPermit(client, { token, spender, value: amount, deadline, account });
    hash = await simulateAndWrite(client, {
      address: token,
      abi: settlementTokenAbi,
      functionName: "permit",
      args: [owner, spender, amount, deadline, permit.v, permit.r, permit.s],
      account,
    });
  }
  await waitForSuccess(client, hash);
  return hash;
}

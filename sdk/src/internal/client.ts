import type { Account, Address, Chain, Client, Transport } from "viem";

import { AccountRequiredError } from "../errors/sdk.js";

/** Any viem client: public, wallet or test. Reads only need `eth_call` and friends. */
export type ReadClient = Client<Transport, Chain | undefined>;

/** A viem client that can send transactions (a wallet client, with or without a hoisted account). */
export type WriteClient = Client<Transport, Chain | undefined, Account | undefined>;

/** The account a write is sent from: the call's, else the client's. */
export function accountOf(
  client: WriteClient,
  account: Account | Address | undefined,
  action: string,
): Account | Address {
  const resolved = account ?? client.account;
  if (resolved === undefined) throw new AccountRequiredError(action);
  return resolved;
}

export function addressOfAccount(account: Account | Address): Address {
  return typeof account === "string" ? account : account.address;
}

/** Parameters every write action accepts. */
export interface WriteParameters {
  /** Sender; defaults to the client's account. */
  account?: Account | Address | undefined;
}

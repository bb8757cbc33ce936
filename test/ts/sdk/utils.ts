/**
 * Shared by the SDK tests: a seeded PRNG, viem clients over a Hardhat network connection, and the fixture's
 * addresses in the SDK's shape.
 */
import {
  createPublicClient,
  createWalletClient,
  custom,
  type Address,
  type EIP1193Provider,
  type PublicClient,
  type WalletClient,
  type Account,
  type Chain,
  type Transport,
} from "viem";

import type { BulkheadAddresses } from "../../../sdk/src/index.js";
import type { Bulkhead } from "../fixture.js";

/** xorshift128+: small, fast, deterministic for a given seed. */
export class Rng {
  #s0: bigint;
  #s1: bigint;
  static readonly #MASK = (1n << 64n) - 1n;

  constructor(seed: bigint) {
    this.#s0 = (seed ^ 0x9e3779b97f4a7c15n) & Rng.#MASK || 1n;
    this.#s1 = (seed * 0xbf58476d1ce4e5b9n + 0x94d049bb133111ebn) & Rng.#MASK || 2n;
    for (let i = 0; i < 16; i++) this.next64();
  }

  next64(): bigint {
    let s1 = this.#s0;
    const s0 = this.#s1;
    this.#s0 = s0;
    s1 = (s1 ^ (s1 << 23n)) & Rng.#MASK;
    this.#s1 = s1 ^ s0 ^ (s1 >> 17n) ^ (s0 >> 26n);
    return (this.#s1 + s0) & Rng.#MASK;
  }

  /** Uniform in [0, n). */
  below(n: bigint): bigint {
    if (n <= 0n) throw new Error("empty range");
    let bits = 0n;
    let value = 0n;
    while (1n << bits < n * 1024n) {
      value = (value << 64n) | this.next64();
      bits += 64n;
    }
    return value % n;
  }

  /** Uniform in [min, max]. */
  between(min: bigint, max: bigint): bigint {
    return min + this.below(max - min + 1n);
  }

  /** Roughly log-uniform in [min, max] (min ≥ 1). */
  logBetween(min: bigint, max: bigint): bigint {
    const digitsMin = min.toString().length;
    const digitsMax = max.toString().length;
    const digits = Number(this.between(BigInt(digitsMin), BigInt(digitsMax)));
    const low = 10n ** BigInt(digits - 1);
    const value = this.between(low, low * 10n - 1n);
    return value < min ? min : value > max ? max : value;
  }

  chance(percent: number): boolean {
    return this.below(100n) < BigInt(percent);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Number(this.below(BigInt(items.length)))];
    if (item === undefined) throw new Error("empty list");
    return item;
  }
}

export interface ViemClients {
  publicClient: PublicClient<Transport, Chain | undefined>;
  /** A wallet client for `account` (an unlocked account of the Hardhat network). */
  walletFor(account: Address): WalletClient<Transport, Chain | undefined, Account>;
}

/** viem clients over a Hardhat network connection's EIP-1193 provider. */
export function viemClients(provider: unknown): ViemClients {
  const transport = custom(provider as EIP1193Provider);
  return {
    publicClient: createPublicClient({ transport, pollingInterval: 20 }),
    walletFor: (account) => createWalletClient({ transport, account, pollingInterval: 20 }),
  };
}

/** The fixture's contracts as SDK addresses. */
export async function addressesOf(s: Bulkhead): Promise<BulkheadAddresses> {
  return {
    marginEngine: (await s.engine.getAddress()) as Address,
    liquidityPool: (await s.pool.getAddress()) as Address,
    insuranceFund: (await s.insurance.getAddress()) as Address,
    riskConfig: (await s.config.getAddress()) as Address,
    asset: (await s.usd.getAddress()) as Address,
    bulkheadLens: (await s.lens.getAddress()) as Address,
  };
}

/**
 * Waits until `owner` has requested an order after block `fromBlock` (an SDK call running concurrently, such as
 * `requestOpenAndWait`), so that a test can publish the round that order executes at. Returns the position's id.
 */
export async function untilOrderRequested(
  s: Bulkhead,
  owner: string,
  fromBlock: bigint,
): Promise<{ positionId: bigint; blockNumber: bigint }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [log] = await s.engine.queryFilter(s.engine.filters.OrderRequested(undefined, owner), Number(fromBlock) + 1);
    if (log !== undefined) return { positionId: log.args.positionId, blockNumber: BigInt(log.blockNumber) };
    if (Date.now() > deadline) throw new Error(`no order requested by ${owner} after block ${fromBlock}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

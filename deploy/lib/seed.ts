/**
 * Finishing the pool seed. The pool is asynchronous (ERC-7540): the deployment's `funding.poolSeed` is a deposit
 * *request* by the deployer (deploy/modules/local-funding.ts), executable by anyone once `lpDelay` has passed, after
 * which the deployer claims the shares. Every `npm run deploy` ends here: it executes the seed if it is due (unless a
 * keeper already did), claims the deployer's shares, and sends nothing once the seed is done or while it is not due.
 */
import type { Provider, Signer } from "ethers";

import { LiquidityPool__factory } from "../../typechain-types/index.js";

/** Where the deployer's seed stands, after `finishSeed` did what it could. */
export type SeedStatus =
  /** No seed request and nothing to claim: never asked for, or finished earlier. */
  | { state: "none" }
  /** Requested; executable from `executableAt` (block time, seconds). */
  | { state: "waiting"; assets: bigint; executableAt: bigint }
  /** Due, but LP execution waits for a market's price (`LpExecutionPaused`); worth retrying from `retryAt` (0: unknown). */
  | { state: "paused"; assets: bigint; retryAt: bigint }
  /** Executed and claimed now: the deployer received `shares`. */
  | { state: "claimed"; shares: bigint; executed: boolean };

export interface SeedOptions {
  /** Confirmations to wait for each transaction (default 1). */
  confirmations?: number;
  log?: (line: string) => void;
  /** How to run the deployment again, for messages (e.g. `npm run deploy -- --network sepolia`). */
  rerun?: string;
}

/**
 * Executes the deployer's pending pool deposit if it is due, then claims whatever the deployer may claim. Sends
 * nothing when there is nothing to do.
 */
export async function finishSeed(pool: string, deployer: Signer, options: SeedOptions = {}): Promise<SeedStatus> {
  const log = options.log ?? (() => undefined);
  const rerun = options.rerun ?? "npm run deploy";
  const confirmations = options.confirmations ?? 1;
  const contract = LiquidityPool__factory.connect(pool, deployer);
  const provider = deployer.provider;
  if (provider === null) throw new Error("the deployer's signer has no provider");
  const account = await deployer.getAddress();
  const sent = async (what: string, tx: Promise<{ wait(n?: number): Promise<unknown>; hash: string }>) => {
    const response = await tx;
    log(`${what}: ${response.hash}`);
    await response.wait(confirmations);
  };

  let executed = false;
  const pending = await contract.pendingDepositRequest(0n, account);
  if (pending !== 0n) {
    const [executableAt] = await contract.executableAt(account);
    const now = BigInt((await provider.getBlock("latest"))?.timestamp ?? 0);
    if (now < executableAt) {
      log(
        `The pool seed (${pending} units) is requested and becomes executable at ${isoTime(executableAt)} ` +
          `(lpDelay after the request). After then, run \`${rerun}\` again to execute and claim it (a keeper may ` +
          `execute it first; the re-run then only claims). deploy/README.md, "A new pool is empty: how to seed it".`,
      );
      return { state: "waiting", assets: pending, executableAt };
    }
    const [open, retryAt] = await contract.lpExecutionStatus();
    if (!open) {
      log(
        `The pool seed is due, but LP execution waits for a market's price (LpExecutionPaused)` +
          `${retryAt === 0n ? "" : ` until ${isoTime(retryAt)}`}: run \`${rerun}\` again then.`,
      );
      return { state: "paused", assets: pending, retryAt };
    }
    await sent("Executed the pool seed", contract.executeDeposits([account]));
    executed = true;
  }
  const claimable = await contract.claimableDepositRequest(0n, account);
  if (claimable === 0n) return { state: "none" };
  const shares = await contract.maxMint(account);
  await sent(
    "Claimed the pool seed's shares",
    contract["deposit(uint256,address,address)"](claimable, account, account),
  );
  return { state: "claimed", shares, executed };
}

/**
 * Where the deployer's pool deposit stands, read-only (for `deploy:check`): a sentence, or undefined when nothing is
 * pending or claimable.
 */
export async function describeSeed(pool: string, deployer: string, provider: Provider, rerun: string) {
  const contract = LiquidityPool__factory.connect(pool, provider);
  const [pending, claimable, [executableAt]] = await Promise.all([
    contract.pendingDepositRequest(0n, deployer),
    contract.claimableDepositRequest(0n, deployer),
    contract.executableAt(deployer),
  ]);
  if (pending !== 0n) {
    return (
      `Pool seed: ${pending} units requested by the deployer, executable from ${isoTime(executableAt)}; ` +
      `run \`${rerun}\` after then to execute and claim it.`
    );
  }
  if (claimable !== 0n) return `Pool seed: executed, ${claimable} units to claim: run \`${rerun}\` to claim them.`;
  return undefined;
}

function isoTime(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString();
}

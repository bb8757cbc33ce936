/**
 * The Ignition journal of a deployment (`deploy/deployments/chain-<chainId>/journal.jsonl`): the record of every
 * transaction Ignition prepared, sent and saw confirmed, from which a re-run resumes. This file adds what Ignition
 * leaves to the user, so that `npm run deploy` resumes from any interruption without manual steps:
 *
 * - a journal belongs to one chain *instance*: development nodes restart empty with the same chain id, so the journal
 *   is tagged with the chain's genesis hash, and a stale one is discarded on a dev chain (refused elsewhere);
 * - a process killed between "nonce allocated" and "transaction hash recorded" leaves a transaction Ignition calls
 *   lost: if it never reached the node, the future is wiped and sent again; if it was mined, it is found by nonce and
 *   tracked, exactly what `ignition wipe` / `ignition track-tx` would do by hand;
 * - a future whose simulation failed in an earlier run (nothing was sent) is wiped so the re-run retries it.
 *
 * Only standard JSON-RPC methods are used.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

import type { ArtifactResolver, EIP1193Provider } from "@nomicfoundation/ignition-core";
import { trackTransaction, wipe } from "@nomicfoundation/ignition-core";

/** Written beside the journal: which chain instance it belongs to. */
const FINGERPRINT_FILE = "bulkhead-chain.json";
/** How far back (blocks) to look for a mined transaction whose hash the journal missed. */
const LOST_TX_SEARCH_DEPTH = 256;

export interface ChainFingerprint {
  chainId: number;
  genesisHash: string;
}

type Log = (line: string) => void;

export interface JournalMessage {
  type: string;
  futureId?: string;
  networkInteractionId?: number;
  nonce?: number;
  from?: string;
  result?: { type?: string };
  receipt?: { blockNumber?: number };
}

export function readJournal(dir: string): JournalMessage[] {
  const file = path.join(dir, "journal.jsonl");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as JournalMessage);
}

/**
 * Makes sure the journal in `dir` belongs to the chain the provider is connected to, and tags a new one.
 * On a development chain a journal of an earlier chain instance is removed; anywhere else it is an error.
 */
export function claimJournal(dir: string, chain: ChainFingerprint, devChain: boolean, log: Log): void {
  const fingerprintFile = path.join(dir, FINGERPRINT_FILE);
  if (readJournal(dir).length > 0 && existsSync(fingerprintFile)) {
    const recorded = JSON.parse(readFileSync(fingerprintFile, "utf8")) as ChainFingerprint;
    if (recorded.chainId !== chain.chainId || recorded.genesisHash !== chain.genesisHash) {
      if (!devChain) {
        throw new Error(
          `the deployment journal ${dir} was written for another chain (chain ${recorded.chainId}, genesis ` +
            `${recorded.genesisHash}); this one is chain ${chain.chainId}, genesis ${chain.genesisHash}. ` +
            `Check the RPC URL; move the folder away only if that deployment is truly gone.`,
        );
      }
      log(`The local chain was restarted since the last deployment: starting a fresh one (old journal removed).`);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(fingerprintFile, `${JSON.stringify(chain, null, 2)}\n`);
}

/** Repairs what an interrupted or failed earlier run left for Ignition to refuse; see the file comment. */
export async function repairJournal(
  dir: string,
  provider: EIP1193Provider,
  artifactResolver: ArtifactResolver,
  requiredConfirmations: number,
  log: Log,
): Promise<void> {
  const messages = readJournal(dir);
  if (messages.length === 0) return;

  const { senders, prepared, failedSimulations } = unfinished(messages);
  for (const futureId of failedSimulations) {
    log(`Retrying ${futureId}: its simulation failed in an earlier run and nothing was sent.`);
    await wipe(dir, artifactResolver, futureId);
  }

  for (const { futureId, nonce } of prepared) {
    const sender = senders.get(futureId);
    if (sender === undefined)
      throw new Error(
        `journal ${dir}: no sender recorded for ${futureId}: the journal is damaged. Restore the folder from version ` +
          `control (it is committed for testnets), then deploy again`,
      );
    const pending = await transactionCount(provider, sender, "pending");
    if (pending <= nonce) {
      log(`Resending ${futureId}: the previous run stopped before its transaction (nonce ${nonce}) reached the node.`);
      await wipe(dir, artifactResolver, futureId);
      continue;
    }
    const hash = await findTransaction(provider, sender, nonce);
    if (hash === undefined) {
      throw new Error(
        `the previous run sent ${futureId} (nonce ${nonce} from ${sender}) but stopped before recording its hash, ` +
          `and it is not among the last ${LOST_TX_SEARCH_DEPTH} blocks. Find it on the explorer and run ` +
          `\`npx hardhat ignition track-tx <hash> ${path.basename(dir)} --network <network>\`, then deploy again.`,
      );
    }
    log(`Found ${futureId}'s transaction ${hash} (sent by the interrupted run): tracking it.`);
    await trackTransaction(dir, hash, provider, requiredConfirmations);
  }
}

/**
 * What a journal left unfinished: transactions prepared (nonce allocated) whose hash was never recorded, and futures
 * whose simulation failed, each not since wiped; with the sender of every future.
 */
export function unfinished(messages: JournalMessage[]): {
  senders: Map<string, string>;
  prepared: { futureId: string; nonce: number }[];
  failedSimulations: Set<string>;
} {
  const senders = new Map<string, string>();
  const prepared = new Map<string, { futureId: string; nonce: number }>();
  const failedSimulations = new Set<string>();
  for (const message of messages) {
    const { futureId } = message;
    if (futureId === undefined) continue;
    if (message.type.endsWith("_EXECUTION_STATE_INITIALIZE") && message.from !== undefined) {
      senders.set(futureId, message.from);
    }
    const key = `${futureId}/${message.networkInteractionId}`;
    if (message.type === "TRANSACTION_PREPARE_SEND" && message.nonce !== undefined) {
      prepared.set(key, { futureId, nonce: message.nonce });
    }
    if (message.type === "TRANSACTION_SEND" || message.type === "ONCHAIN_INTERACTION_DROPPED") prepared.delete(key);
    if (message.type.endsWith("_EXECUTION_STATE_COMPLETE")) {
      const result = message.result?.type;
      if (result === "SIMULATION_ERROR" || result === "STRATEGY_SIMULATION_ERROR") failedSimulations.add(futureId);
      else failedSimulations.delete(futureId);
    }
    if (message.type === "WIPE_APPLY") {
      failedSimulations.delete(futureId);
      for (const [k, v] of prepared) if (v.futureId === futureId) prepared.delete(k);
    }
  }
  return { senders, prepared: [...prepared.values()], failedSimulations };
}

/** The block numbers of every transaction the journal saw confirmed. */
export function confirmedBlocks(dir: string): number[] {
  return readJournal(dir).flatMap((m) =>
    m.type === "TRANSACTION_CONFIRM" && typeof m.receipt?.blockNumber === "number" ? [m.receipt.blockNumber] : [],
  );
}

async function transactionCount(provider: EIP1193Provider, address: string, tag: string): Promise<number> {
  return Number(await provider.request({ method: "eth_getTransactionCount", params: [address, tag] }));
}

async function findTransaction(provider: EIP1193Provider, sender: string, nonce: number): Promise<string | undefined> {
  const latest = Number(await provider.request({ method: "eth_blockNumber", params: [] }));
  for (let n = latest; n >= 0 && n > latest - LOST_TX_SEARCH_DEPTH; n--) {
    const block = (await provider.request({
      method: "eth_getBlockByNumber",
      params: [`0x${n.toString(16)}`, true],
    })) as { transactions: { hash: string; from: string; nonce: string }[] } | null;
    const match = block?.transactions.find(
      (tx) => tx.from.toLowerCase() === sender.toLowerCase() && Number(tx.nonce) === nonce,
    );
    if (match !== undefined) return match.hash;
  }
  return undefined;
}

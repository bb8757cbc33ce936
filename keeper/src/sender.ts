/**
 * Sends the keeper's transactions: signed locally (no round trip) and sent raw, EIP-1559 fees under a cap, a local
 * nonce that resyncs from the node when a send fails, and at most one transaction in flight per job kind. A transaction not mined after `replaceAfterMs` is
 * replaced with the same nonce and fees × 1.25 (at least +10 %, what nodes require), up to the cap; at the cap it
 * waits. Receipts are decoded for what this keeper earned.
 */
import {
  decodeEventLog,
  type Address,
  type Hex,
  type LocalAccount,
  type PublicClient,
  type TransactionReceipt,
} from "viem";

import { iLiquidityPoolAbi, iMarginEngineAbi } from "../../sdk/src/abis.js";
import type { Logger } from "./log.js";
import type { JobKind, Metrics } from "./metrics.js";

export interface SendRequest {
  kind: JobKind;
  to: Address;
  data: Hex;
  gas: bigint;
  /** Ids (or controllers) handled, for logs. */
  items: string[];
}

interface InFlight {
  request: SendRequest;
  nonce: number;
  hashes: Hex[];
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  sentAt: number;
}

export interface SenderOptions {
  maxFeePerGas: bigint;
  priorityFee: bigint;
  replaceAfterMs: number;
}

const abi = [...iMarginEngineAbi, ...iLiquidityPoolAbi];
/** Events that pay the executor, by job kind, and the field that holds its reward. */
const EARNINGS: Record<string, { kind: JobKind; field: string; executorField: string }> = {
  OrderExecuted: { kind: "orders", field: "executionFee", executorField: "executor" },
  OrderCancelled: { kind: "orders", field: "executorFee", executorField: "executor" },
  PositionLiquidated: { kind: "liquidations", field: "keeperReward", executorField: "keeper" },
  ProfitTaken: { kind: "takeProfits", field: "keeperReward", executorField: "executor" },
  DepositExecuted: { kind: "deposits", field: "fee", executorField: "executor" },
  RedeemExecuted: { kind: "redeems", field: "fee", executorField: "executor" },
};

export class Sender {
  private nonce: number | undefined;
  readonly inFlight = new Map<JobKind, InFlight>();

  constructor(
    private readonly client: PublicClient,
    readonly account: LocalAccount,
    private readonly chainId: number,
    private readonly options: SenderOptions,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  busy(kind: JobKind): boolean {
    return this.inFlight.has(kind);
  }

  /** Ids of every item in flight (so the next evaluation does not send them again). */
  pendingItems(): Set<string> {
    const out = new Set<string>();
    for (const f of this.inFlight.values()) for (const item of f.request.items) out.add(item);
    return out;
  }

  private syncing: Promise<number> | undefined;

  /** The account's next nonce from the node (pending transactions included); concurrent callers share one request. */
  private syncNonce(): Promise<number> {
    this.syncing ??= this.client
      .getTransactionCount({ address: this.account.address, blockTag: "pending" })
      .then((n) => {
        this.nonce = n;
        return n;
      })
      .finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  /** The fees of a first send at `baseFee`: twice the base fee plus the tip, under the cap. */
  feesFor(baseFee: bigint): { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } {
    const tip =
      this.options.priorityFee < this.options.maxFeePerGas ? this.options.priorityFee : this.options.maxFeePerGas;
    let max = baseFee * 2n + tip;
    if (max > this.options.maxFeePerGas) max = this.options.maxFeePerGas;
    return { maxFeePerGas: max, maxPriorityFeePerGas: tip };
  }

  async send(request: SendRequest, baseFee: bigint): Promise<Hex | undefined> {
    const fees = this.feesFor(baseFee);
    if (this.nonce === undefined) await this.syncNonce();
    // Taken before any await: jobs of one pass send concurrently, each with its own nonce.
    const nonce = this.nonce!;
    this.nonce = nonce + 1;
    try {
      const raw = await this.sign(request, nonce, fees.maxFeePerGas, fees.maxPriorityFeePerGas);
      const t0 = performance.now();
      const hash = await this.client.sendRawTransaction({ serializedTransaction: raw });
      // How long the node took to answer (a node that mines on receipt, like a dev chain, answers once mined).
      const acceptMs = Math.round(performance.now() - t0);
      this.inFlight.set(request.kind, { request, nonce, hashes: [hash], ...fees, sentAt: Date.now() });
      this.metrics.actionsSent.inc({ kind: request.kind });
      this.log.info({ kind: request.kind, hash, nonce, items: request.items, ...fees, acceptMs }, "sent");
      return hash;
    } catch (error) {
      this.metrics.actionsFailed.inc({ kind: request.kind });
      this.log.warn({ kind: request.kind, nonce, err: shortError(error) }, "send failed; resyncing the nonce");
      // The node's count fills any gap this failure left (a later nonce sent meanwhile waits for it).
      await this.syncNonce().catch(() => (this.nonce = undefined));
      return undefined;
    }
  }

  private async signAndSend(
    request: SendRequest,
    nonce: number,
    maxFeePerGas: bigint,
    maxPriorityFeePerGas: bigint,
  ): Promise<Hex> {
    const serializedTransaction = await this.sign(request, nonce, maxFeePerGas, maxPriorityFeePerGas);
    return this.client.sendRawTransaction({ serializedTransaction });
  }

  /** Everything is known (gas from the simulation, nonce kept here, fees from the block): signed without asking. */
  private sign(request: SendRequest, nonce: number, maxFeePerGas: bigint, maxPriorityFeePerGas: bigint): Promise<Hex> {
    return this.account.signTransaction({
      to: request.to,
      data: request.data,
      gas: request.gas,
      nonce,
      maxFeePerGas,
      maxPriorityFeePerGas,
      type: "eip1559",
      chainId: this.chainId,
    });
  }

  /**
   * Checks every transaction in flight: records what a mined one did, replaces one that waited too long. Returns the
   * receipts mined since the last call.
   */
  poll(): Promise<TransactionReceipt[]> {
    // One check at a time (the loop between heads and a pass may both ask): a receipt is accounted for once.
    this.polling ??= this.check().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private polling: Promise<TransactionReceipt[]> | undefined;

  private async check(): Promise<TransactionReceipt[]> {
    const mined: TransactionReceipt[] = [];
    for (const [kind, f] of [...this.inFlight]) {
      let receipt: TransactionReceipt | undefined;
      for (const hash of f.hashes) {
        receipt = await this.client.getTransactionReceipt({ hash }).catch(() => undefined);
        if (receipt !== undefined) break;
      }
      if (receipt === undefined) {
        // Our nonce moved past it without a receipt of ours: another transaction of the same nonce was mined.
        const latest = await this.client.getTransactionCount({ address: this.account.address, blockTag: "latest" });
        if (latest > f.nonce) {
          // One of its hashes must have a receipt by now; look once more before giving up on it.
          for (const hash of f.hashes) {
            receipt = await this.client.getTransactionReceipt({ hash }).catch(() => undefined);
            if (receipt !== undefined) break;
          }
          if (receipt === undefined) {
            this.inFlight.delete(kind);
            this.metrics.actionsFailed.inc({ kind });
            this.log.warn({ kind, nonce: f.nonce }, "nonce used by another transaction: dropped");
            continue;
          }
        }
      }
      if (receipt !== undefined) {
        this.inFlight.delete(kind);
        mined.push(receipt);
        this.account_(kind, f, receipt);
        continue;
      }
      if (Date.now() - f.sentAt >= this.options.replaceAfterMs) await this.replace(f);
    }
    return mined;
  }

  private account_(kind: JobKind, f: InFlight, receipt: TransactionReceipt): void {
    this.metrics.gasSpent.inc(Number(receipt.gasUsed * receipt.effectiveGasPrice));
    if (receipt.status !== "success") {
      this.metrics.actionsFailed.inc({ kind });
      this.log.warn({ kind, hash: receipt.transactionHash, items: f.request.items }, "transaction reverted");
      return;
    }
    this.metrics.actionsConfirmed.inc({ kind });
    let done = 0;
    let earned = 0n;
    for (const log of receipt.logs) {
      let decoded;
      try {
        decoded = decodeEventLog({ abi, data: log.data, topics: log.topics, strict: true });
      } catch {
        continue;
      }
      const e = EARNINGS[decoded.eventName];
      if (e === undefined) continue;
      const args = decoded.args as unknown as Record<string, unknown>;
      if ((args[e.executorField] as string).toLowerCase() !== this.account.address.toLowerCase()) continue;
      done++;
      earned += args[e.field] as bigint;
    }
    this.metrics.itemsDone.inc({ kind }, done);
    this.metrics.rewards.inc({ kind }, Number(earned));
    const lost = f.request.items.length - done;
    if (lost > 0 && kind !== "redeems") this.metrics.lostRaces.inc({ kind }, lost);
    this.log.info(
      { kind, hash: receipt.transactionHash, block: receipt.blockNumber, gasUsed: receipt.gasUsed, done, earned, lost },
      lost > 0 ? "mined; some items were already handled (lost race)" : "mined",
    );
  }

  private async replace(f: InFlight): Promise<void> {
    const bump = (fee: bigint): bigint => {
      const up = (fee * 125n) / 100n;
      const min = (fee * 110n) / 100n + 1n;
      return up > min ? up : min;
    };
    const cap = this.options.maxFeePerGas;
    if (f.maxFeePerGas >= cap) return; // at the cap: wait
    let maxFee = bump(f.maxFeePerGas);
    let tip = bump(f.maxPriorityFeePerGas);
    if (maxFee > cap) maxFee = cap;
    if (tip > maxFee) tip = maxFee;
    // A replacement needs both fees at least 10 % up; at the cap that may not hold: then keep waiting.
    if (maxFee < (f.maxFeePerGas * 110n) / 100n || tip < (f.maxPriorityFeePerGas * 110n) / 100n) return;
    try {
      const hash = await this.signAndSend(f.request, f.nonce, maxFee, tip);
      f.hashes.push(hash);
      f.maxFeePerGas = maxFee;
      f.maxPriorityFeePerGas = tip;
      f.sentAt = Date.now();
      this.metrics.actionsSent.inc({ kind: f.request.kind });
      this.log.warn(
        { kind: f.request.kind, nonce: f.nonce, hash, maxFeePerGas: maxFee, maxPriorityFeePerGas: tip },
        "replaced a stuck transaction",
      );
    } catch (error) {
      // "nonce too low": the original was mined meanwhile; the next poll finds its receipt.
      this.log.warn({ kind: f.request.kind, nonce: f.nonce, err: shortError(error) }, "replacement refused");
      f.sentAt = Date.now();
    }
  }

  /** Waits (up to `ms`) for every transaction in flight, for a clean shutdown. */
  async drain(ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (this.inFlight.size > 0 && Date.now() < end) {
      await this.poll().catch(() => undefined);
      if (this.inFlight.size > 0) await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export function shortError(error: unknown): string {
  const e = error as { shortMessage?: string; message?: string };
  return (e.shortMessage ?? e.message ?? String(error)).split("\n")[0]!;
}

/**
 * The keeper's loop, one pass per new block: check the last blocks still stand (roll back a reorg), apply new logs
 * to the database, read one snapshot per market, value the positions a price move can affect, confirm candidates
 * on-chain, and send one batch per job kind where the reward beats the gas. Services: scanner (logs → state),
 * strategy (evaluation and profit), sender (nonces, fees, replacement), notifier (margin calls).
 */
import {
  encodeFunctionData,
  type Account,
  type Address,
  type Block,
  type Log,
  type PublicClient,
  type Transport,
} from "viem";

import { iBulkheadLensAbi, iLiquidityPoolAbi, iMarginEngineAbi } from "../../sdk/src/abis.js";
import type { BulkheadDeployment } from "../../sdk/src/deployment.js";
import { Book, type Candidate } from "./book.js";
import { getLogsChunked, readSnapshot, type Contracts, type Snapshot } from "./chain.js";
import type { KeeperConfig } from "./config.js";
import type { Logger } from "./log.js";
import type { JobKind, Metrics } from "./metrics.js";
import { orderKey, type TrackedLpRequest, type TrackedOrder, type TrackedPosition } from "./model.js";
import { Sender, shortError, type SendRequest } from "./sender.js";
import { applyLogs, decodeLogs, TIMED_EVENTS, type DecodedLog } from "./state.js";
import type { Store } from "./store.js";

const WAD = 10n ** 18n;
const EXECUTABLE = 2;
const CANCELLABLE = 3;

export interface KeeperDeps {
  config: KeeperConfig;
  deployment: BulkheadDeployment;
  client: PublicClient;
  transport: Transport;
  account: Account | undefined;
  store: Store;
  metrics: Metrics;
  log: Logger;
}

export class Keeper {
  readonly book: Book;
  readonly contracts: Contracts;
  private readonly marketIds: number[];
  private readonly assetUnit: bigint;
  private readonly scale: bigint;
  private readonly logState: { range: bigint; maxRange: bigint };
  private readonly sender: Sender | undefined;
  private readonly warned = new Set<bigint>();
  private readonly skipped = new Map<JobKind, string>();
  private readonly log: { scanner: Logger; strategy: Logger; notifier: Logger; keeper: Logger };
  private mmr = new Map<number, bigint>();
  /** Last snapshot taken (head), and the last time a poll succeeded. */
  lastSnapshot: Snapshot | undefined;
  lastOk = 0;
  head = 0n;
  /** How many blocks were rolled back in total (tests read it). */
  rolledBack = 0;

  constructor(private readonly deps: KeeperDeps) {
    const { deployment, config } = deps;
    this.contracts = {
      engine: deployment.addresses.marginEngine,
      pool: deployment.addresses.liquidityPool,
      riskConfig: deployment.addresses.riskConfig,
      lens: deployment.addresses.bulkheadLens,
    };
    this.marketIds = deployment.markets.map((m) => Number(m.marketId));
    for (const m of deployment.markets) this.mmr.set(Number(m.marketId), m.params?.mmr ?? 5n * 10n ** 16n);
    const decimals = deployment.assetDecimals ?? 6;
    this.assetUnit = 10n ** BigInt(decimals);
    this.scale = 10n ** BigInt(18 - decimals);
    this.logState = { range: BigInt(config.logRange), maxRange: BigInt(config.logRange) };
    this.book = new Book(Number(this.assetUnit), this.scale, config.warnHealth, (id) => this.mmr.get(id) ?? 0n);
    this.log = {
      scanner: deps.log.child({ service: "scanner" }),
      strategy: deps.log.child({ service: "strategy" }),
      notifier: deps.log.child({ service: "notifier" }),
      keeper: deps.log.child({ service: "keeper" }),
    };
    if (deps.account !== undefined) {
      this.sender = new Sender(
        deps.client,
        deps.transport,
        deps.account,
        deployment.chainId,
        {
          maxFeePerGas: gwei(config.maxFeeGwei),
          priorityFee: gwei(config.priorityFeeGwei),
          replaceAfterMs: config.replaceAfterMs,
        },
        deps.metrics,
        deps.log.child({ service: "sender" }),
      );
    }
    this.book.rebuild((deps.store.rows.positions as Map<string, TrackedPosition>).values());
  }

  private inShard(id: bigint): boolean {
    const [i, n] = this.deps.config.shard;
    return n === 1 || Number(id % BigInt(n)) === i;
  }

  private controllerInShard(controller: Address): boolean {
    const [i, n] = this.deps.config.shard;
    return n === 1 || parseInt(controller.slice(-8), 16) % n === i;
  }

  /** One pass. Returns the head block it processed up to. */
  async tick(): Promise<bigint> {
    const { client, store, metrics, config } = this.deps;
    const head = await client.getBlock({ blockTag: "latest" });
    this.head = head.number;
    metrics.headBlock.set(Number(head.number));
    await this.checkReorg(head);
    const cursor = store.cursor();
    const start =
      cursor === undefined ? (config.startBlock ?? this.deps.deployment.deploymentBlock ?? 0n) : cursor.block + 1n;
    const snapshot = await readSnapshot(client, this.contracts, this.marketIds, head);
    for (const m of snapshot.markets) this.mmr.set(m.marketId, m.params.mmr);
    if (start <= head.number) await this.sync(start, head, snapshot);
    await this.enrichOrders(head.number);
    this.lastSnapshot = snapshot;
    metrics.processedBlock.set(Number(store.cursor()?.block ?? 0n));
    metrics.lagBlocks.set(Number(head.number - (store.cursor()?.block ?? 0n)));
    await this.act(snapshot);
    this.lastOk = Date.now();
    return head.number;
  }

  // ------------------------------------------------------------------ scanner

  /** Rolls back the blocks a reorg replaced: the journalled blocks whose hash the node no longer has. */
  private async checkReorg(head: Block): Promise<void> {
    const { store, client, config, metrics } = this.deps;
    const cursor = store.cursor();
    if (cursor === undefined || cursor.hash === "") return;
    const same = async (block: bigint, hash: string): Promise<boolean> => {
      if (block > head.number!) return false;
      const b = await client.getBlock({ blockNumber: block }).catch(() => undefined);
      return b?.hash === hash;
    };
    if (await same(cursor.block, cursor.hash)) return;
    const journalled = [...store.hashesFrom(cursor.block - BigInt(config.reorgDepth) - 1n)].reverse();
    let ancestor = { block: (journalled.at(-1)?.[0] ?? cursor.block) - 1n, hash: "" };
    for (const [block, hash] of journalled) {
      if (block >= cursor.block && block > head.number!) continue;
      if (await same(block, hash)) {
        ancestor = { block, hash };
        break;
      }
    }
    const n = store.rollbackTo(ancestor);
    this.rolledBack += Number(cursor.block - ancestor.block);
    metrics.reorgs.inc();
    this.log.scanner.warn({ from: cursor.block, to: ancestor.block, journalled: n }, "reorg: rolled back");
    this.book.rebuild((store.rows.positions as Map<string, TrackedPosition>).values());
  }

  private async sync(from: bigint, head: Block, snapshot: Snapshot): Promise<void> {
    const { client, store, config } = this.deps;
    const headNumber = head.number!;
    const journalFrom = headNumber - BigInt(config.reorgDepth);
    const t0 = Date.now();
    let count = 0;
    await getLogsChunked(
      client,
      [this.contracts.engine, this.contracts.pool],
      from,
      headNumber,
      this.logState,
      this.log.scanner,
      async (logs: Log[], chunkTo: bigint) => {
        const decoded = decodeLogs(logs);
        count += decoded.length;
        const byBlock = new Map<bigint, DecodedLog[]>();
        for (const l of decoded) {
          let list = byBlock.get(l.blockNumber);
          if (list === undefined) byBlock.set(l.blockNumber, (list = []));
          list.push(l);
        }
        const timed = [...byBlock].filter(([, ls]) => ls.some((l) => TIMED_EVENTS.has(l.eventName))).map(([b]) => b);
        const times = new Map<bigint, bigint>();
        const headers = await Promise.all(timed.map((b) => client.getBlock({ blockNumber: b })));
        for (const h of headers) times.set(h.number!, h.timestamp);
        const ctx = {
          engine: this.contracts.engine,
          pool: this.contracts.pool,
          scale: this.scale,
          timestampOf: (b: bigint) => times.get(b) ?? snapshot.timestamp,
          market: (id: number) => {
            const m = snapshot.markets.find((x) => x.marketId === id);
            if (m === undefined) throw new Error(`market ${id} is not in the deployment record`);
            return { ...m, timestamp: snapshot.timestamp };
          },
        };
        const blocks = [...byBlock.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        for (const b of blocks) {
          const ls = byBlock.get(b)!.sort((x, y) => x.logIndex - y.logIndex);
          store.applyBlock(b, ls[0]!.blockHash, b > journalFrom, () => applyLogs(store, ls, ctx));
          for (const l of ls) {
            const id = l.args.positionId as bigint | undefined;
            if (id === undefined) continue;
            const p = store.rows.positions.get(id.toString()) as TrackedPosition | undefined;
            if (p === undefined) this.book.remove(id);
            else this.book.upsert(p);
          }
        }
        // The cursor moves to the chunk's end, with the hash of that block (the head's for the last chunk).
        const endHash = chunkTo === headNumber ? head.hash! : (await client.getBlock({ blockNumber: chunkTo })).hash;
        store.applyBlock(chunkTo, endHash, chunkTo > journalFrom, () => undefined);
      },
    );
    store.prune(headNumber, config.reorgDepth);
    if (headNumber - from > 100n) {
      this.log.scanner.info(
        { from, to: headNumber, events: count, positions: this.book.size, ms: Date.now() - t0 },
        "synced",
      );
    }
  }

  /** Opens' requests do not carry the market: read it once per pending open (activity, not positions, bound it). */
  private async enrichOrders(block: bigint): Promise<void> {
    const { store, client } = this.deps;
    const missing = [...(store.rows.orders as Map<string, TrackedOrder>).values()].filter(
      (o) => o.marketId === undefined && this.inShard(o.positionId),
    );
    if (missing.length === 0) return;
    const positions = await Promise.all(
      missing.map((o) =>
        client.readContract({
          address: this.contracts.engine,
          abi: iMarginEngineAbi,
          functionName: "position",
          args: [o.positionId],
          blockNumber: block,
        }),
      ),
    );
    missing.forEach((o, i) => {
      const p = positions[i]!;
      if (p.owner === "0x0000000000000000000000000000000000000000") return; // gone; its cancel event follows
      store.set("orders", orderKey(o.positionId, o.slot), { ...o, marketId: Number(p.marketId) });
    });
  }

  // ------------------------------------------------------------------ strategy

  private async act(s: Snapshot): Promise<void> {
    const { metrics, config, store } = this.deps;
    const pending = this.sender?.pendingItems() ?? new Set<string>();
    const t0 = performance.now();
    const ev = this.book.evaluate(s.markets, s.timestamp, (id) => this.inShard(id));
    metrics.evalSeconds.observe((performance.now() - t0) / 1000);
    metrics.positions.set(this.book.size);
    metrics.orders.set(store.rows.orders.size);
    const lp = [...(store.rows.lp as Map<string, TrackedLpRequest>).values()];
    metrics.lpRequests.set({ kind: "deposit" }, lp.filter((r) => r.kind === "deposit").length);
    metrics.lpRequests.set({ kind: "redeem" }, lp.filter((r) => r.kind === "redeem").length);
    metrics.liquidatable.set(ev.liquidatable.length);
    metrics.atCap.set(ev.atCap.length);
    metrics.atRisk.set(ev.atRisk.length);
    this.marginCalls(ev.atRisk, ev.liquidatable);

    const jobs: Promise<void>[] = [];
    jobs.push(this.orders(s, pending));
    jobs.push(
      this.liquidations(
        s,
        ev.liquidatable.filter((c) => !pending.has(`p${c.position.id}`)),
      ),
    );
    jobs.push(
      this.takeProfits(
        s,
        ev.atCap.filter((c) => !pending.has(`p${c.position.id}`)),
      ),
    );
    jobs.push(this.lpRequests(s, lp));
    const results = await Promise.allSettled(jobs);
    for (const r of results) {
      if (r.status === "rejected") this.log.strategy.error({ err: shortError(r.reason) }, "job failed");
    }
    if (this.sender !== undefined && !config.dryRun) await this.sender.poll();
  }

  private marginCalls(atRisk: Candidate[], liquidatable: Candidate[]): void {
    const now = new Set<bigint>();
    for (const c of [...atRisk, ...liquidatable]) {
      now.add(c.position.id);
      if (this.warned.has(c.position.id)) continue;
      this.warned.add(c.position.id);
      this.deps.metrics.marginCalls.inc();
      const payload = {
        positionId: c.position.id,
        owner: c.position.owner,
        marketId: c.position.marketId,
        health: Number(c.health) / 1e18,
        equity: c.equity,
        maintenanceMargin: c.maintenance,
        liquidatable: c.liquidatable,
      };
      this.log.notifier.warn(payload, "margin call");
      const url = this.deps.config.webhook;
      if (url !== undefined) {
        fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(payload, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
          signal: AbortSignal.timeout(5_000),
        }).catch((error: unknown) => this.log.notifier.warn({ err: shortError(error) }, "webhook failed"));
      }
    }
    for (const id of this.warned) if (!now.has(id)) this.warned.delete(id);
  }

  private async orders(s: Snapshot, pending: Set<string>): Promise<void> {
    if (this.sender?.busy("orders")) return;
    const due: TrackedOrder[] = [];
    for (const o of (this.deps.store.rows.orders as Map<string, TrackedOrder>).values()) {
      if (o.marketId === undefined || !this.inShard(o.positionId) || pending.has(`o${o.positionId}`)) continue;
      const r = s.markets.find((m) => m.marketId === o.marketId)?.round;
      const roundSeen = r !== undefined && r.roundId > o.roundId && r.startedAt > o.requestedAt;
      if (roundSeen || s.timestamp > o.deadline) due.push(o);
    }
    if (due.length === 0) return;
    const ids = [...new Set(due.map((o) => o.positionId))];
    // Confirm each with the engine's own verdict (one batched read per due order, not per position).
    const statuses = await Promise.all(
      ids.map((id) =>
        this.deps.client.readContract({
          address: this.contracts.engine,
          abi: iMarginEngineAbi,
          functionName: "orderStatus",
          args: [id],
          blockNumber: s.blockNumber,
        }),
      ),
    );
    const fees = new Map(due.map((o) => [o.positionId, o.executionFee]));
    const executable: bigint[] = [];
    const cancellable: bigint[] = [];
    ids.forEach((id, i) => {
      const status = Number(statuses[i]![0]);
      if (status === EXECUTABLE) executable.push(id);
      else if (status === CANCELLABLE) cancellable.push(id);
    });
    executable.sort((a, b) => Number((fees.get(b) ?? 0n) - (fees.get(a) ?? 0n)));
    const reward = executable.reduce((sum, id) => sum + (fees.get(id) ?? 0n), 0n);
    const chosen = [...executable, ...(this.deps.config.cancelStale ? cancellable : [])].slice(
      0,
      this.deps.config.batchSize,
    );
    if (chosen.length === 0) return;
    await this.sendBatch(s, "orders", this.contracts.engine, "executeOrders", chosen, reward, executable.length === 0);
  }

  private async liquidations(s: Snapshot, candidates: Candidate[]): Promise<void> {
    if (candidates.length === 0 || this.sender?.busy("liquidations")) return;
    let list = candidates
      .sort((a, b) => Number(b.liquidationFee - a.liquidationFee))
      .slice(0, this.deps.config.batchSize);
    list = await this.confirm(list, "liquidatable", s.blockNumber);
    if (list.length === 0) return;
    const reward = list.reduce((sum, c) => sum + s.keeperReserve + c.liquidationFee, 0n);
    await this.sendBatch(
      s,
      "liquidations",
      this.contracts.engine,
      "liquidateBatch",
      list.map((c) => c.position.id),
      reward,
    );
  }

  private async takeProfits(s: Snapshot, candidates: Candidate[]): Promise<void> {
    if (candidates.length === 0 || this.sender?.busy("takeProfits")) return;
    let list = candidates.slice(0, this.deps.config.batchSize);
    list = await this.confirm(list, "atCap", s.blockNumber);
    if (list.length === 0) return;
    const reward = BigInt(list.length) * s.keeperReserve;
    await this.sendBatch(
      s,
      "takeProfits",
      this.contracts.engine,
      "takeProfitBatch",
      list.map((c) => c.position.id),
      reward,
    );
  }

  /** The lens's batch view, one call for the whole list: drops what the chain does not confirm. */
  private async confirm(list: Candidate[], view: "liquidatable" | "atCap", block: bigint): Promise<Candidate[]> {
    if (this.contracts.lens === undefined) return list;
    const ok = await this.deps.client.readContract({
      address: this.contracts.lens,
      abi: iBulkheadLensAbi,
      functionName: view,
      args: [list.map((c) => c.position.id)],
      blockNumber: block,
    });
    const confirmed = list.filter((_, i) => ok[i] === true);
    if (confirmed.length < list.length) {
      this.log.strategy.debug(
        { view, dropped: list.filter((_, i) => ok[i] !== true).map((c) => c.position.id) },
        "not confirmed on-chain",
      );
    }
    return confirmed;
  }

  private async lpRequests(s: Snapshot, requests: TrackedLpRequest[]): Promise<void> {
    if (requests.length === 0 || !s.lpOpen) return;
    const deposits = requests.filter((r) => r.kind === "deposit" && this.controllerInShard(r.controller));
    const redeems = requests.filter((r) => r.kind === "redeem");
    const [i] = this.deps.config.shard;
    const controllers = deposits.map((r) => r.controller);
    const [executableDeposits, redeemHead] = await this.deps.client.readContract({
      address: this.contracts.pool,
      abi: iLiquidityPoolAbi,
      functionName: "executableRequests",
      args: [controllers],
      blockNumber: s.blockNumber,
    });
    const due = controllers.filter((_, k) => executableDeposits[k] === true).slice(0, this.deps.config.batchSize);
    if (due.length > 0 && !this.sender?.busy("deposits")) {
      await this.sendBatch(
        s,
        "deposits",
        this.contracts.pool,
        "executeDeposits",
        due,
        BigInt(due.length) * s.lpExecutionFee,
      );
    }
    // The redemption queue is one queue: shard 0 serves it.
    if (redeemHead && i === 0 && redeems.length > 0 && !this.sender?.busy("redeems")) {
      const n = BigInt(Math.min(redeems.length, this.deps.config.batchSize));
      await this.sendBatch(s, "redeems", this.contracts.pool, "executeRedeems", n, n * s.lpExecutionFee);
    }
  }

  /**
   * Simulates the batch (estimateGas: it reverts if the transaction would), checks the reward beats the gas at the
   * current base fee with the configured margin, and sends it (not in a dry run).
   */
  private async sendBatch(
    s: Snapshot,
    kind: JobKind,
    to: Address,
    functionName: "executeOrders" | "liquidateBatch" | "takeProfitBatch" | "executeDeposits" | "executeRedeems",
    items: bigint[] | Address[] | bigint,
    reward: bigint,
    unpaid = false,
  ): Promise<void> {
    const { client, config, metrics } = this.deps;
    const abi = kind === "deposits" || kind === "redeems" ? iLiquidityPoolAbi : iMarginEngineAbi;
    const data = encodeFunctionData({ abi, functionName, args: [items] } as never);
    const from = this.deps.account?.address;
    let gas: bigint;
    try {
      gas = await client.estimateGas({ account: from, to, data, blockNumber: undefined } as never);
    } catch (error) {
      this.log.strategy.warn({ kind, err: shortError(error) }, "simulation failed: not sent");
      return;
    }
    const tip = gwei(config.priorityFeeGwei);
    const costWei = gas * (s.baseFee + tip);
    const costAsset = this.weiToAsset(costWei, s);
    const ok =
      unpaid ||
      Number(reward) / Number(this.assetUnit) >=
        (Number(costAsset) / Number(this.assetUnit)) * (1 + config.profitMargin) + config.minProfitUsd;
    const label = Array.isArray(items) ? items.map(String) : [`${items}`];
    const fields = { kind, items: label, gas, baseFee: s.baseFee, reward, cost: costAsset };
    if (!ok) {
      metrics.skippedUnprofitable.inc({ kind });
      // Once per kind and list, not once per block.
      const key = label.join(",");
      if (this.skipped.get(kind) !== key) this.log.strategy.info(fields, "not profitable at the current fee: waiting");
      this.skipped.set(kind, key);
      return;
    }
    this.skipped.delete(kind);
    if (config.dryRun || this.sender === undefined) {
      this.log.strategy.info(fields, "dry run: would send");
      return;
    }
    // Room above the estimate: the engine's guarded payouts need their gas budget available, not only used.
    const prefix = kind === "orders" ? "o" : kind === "deposits" ? "d" : kind === "redeems" ? "r" : "p";
    await this.sender.send(
      { kind, to, data, gas: (gas * 13n) / 10n + 50_000n, items: label.map((x) => `${prefix}${x}`) },
      s.baseFee,
    );
  }

  /** Gas cost in settlement-asset units, at the gas token's USD price (flag or the ETH-USD market). */
  private weiToAsset(wei: bigint, s: Snapshot): bigint {
    const configured = this.deps.config.nativeUsd;
    let usdWad: bigint | undefined =
      configured !== undefined ? BigInt(Math.round(configured * 1e6)) * 10n ** 12n : undefined;
    if (usdWad === undefined) {
      const eth = this.deps.deployment.markets.find((m) => /^ETH-USD$/i.test(m.name ?? ""));
      usdWad = s.markets.find((m) => m.marketId === Number(eth?.marketId ?? -1))?.price;
    }
    if (usdWad === undefined) return 0n;
    return (wei * usdWad) / WAD / this.scale;
  }

  async shutdown(): Promise<void> {
    await this.sender?.drain(5_000);
  }
}

function gwei(n: number): bigint {
  return BigInt(Math.round(n * 1e9));
}

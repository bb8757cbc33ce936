/**
 * The keeper's core, one pass per new head: check the last blocks still stand (roll back a reorg), apply new logs to
 * the database while the per-block snapshot is read (one `lens.market(id)` per market), value the positions a price
 * move can affect, confirm the candidates with the lens's batch views while simulating the batch (both in one round
 * trip), and send one batch per job kind where the reward beats the gas. Services: scanner (logs → state), strategy
 * (evaluation and profit), sender (nonces, fees, replacement), notifier (margin calls).
 *
 * It takes any viem `PublicClient`: `main.ts` builds one over the operator's RPC URLs, the demo one over Hardhat's
 * embedded chain. New heads come pushed (`watchBlocks` over a WebSocket transport) or from a short poll.
 */
import {
  encodeFunctionData,
  type Address,
  type Block,
  type Hex,
  type LocalAccount,
  type Log,
  type PublicClient,
} from "viem";

import { iBulkheadLensAbi, iLiquidityPoolAbi, iMarginEngineAbi } from "../../sdk/src/abis.js";
import type { BulkheadDeployment } from "../../sdk/src/deployment.js";
import { Book, type Candidate } from "./book.js";
import { getLogsChunked, readSnapshot, type Contracts, type Snapshot } from "./chain.js";
import type { KeeperOptions } from "./config.js";
import type { Logger } from "./log.js";
import type { JobKind, Metrics } from "./metrics.js";
import type { TrackedLpRequest, TrackedOrder, TrackedPosition } from "./model.js";
import { Sender, shortError } from "./sender.js";
import { applyLogs, decodeLogs, TIMED_EVENTS, type DecodedLog } from "./state.js";
import type { Store } from "./store.js";

const WAD = 10n ** 18n;
/** `OrderStatus` of IMarginEngine.sol. */
const EXECUTABLE = 2;
const CANCELLABLE = 3;

export interface KeeperDeps {
  options: KeeperOptions;
  deployment: BulkheadDeployment;
  client: PublicClient;
  /** The signing key; undefined in a dry run without one. */
  account: LocalAccount | undefined;
  store: Store;
  metrics: Metrics;
  log: Logger;
}

type BatchFunction = "executeOrders" | "liquidateBatch" | "takeProfitBatch" | "executeDeposits" | "executeRedeems";

export class Keeper {
  readonly book: Book;
  readonly contracts: Contracts;
  readonly sender: Sender | undefined;
  private readonly marketIds: number[];
  private readonly assetUnit: bigint;
  private readonly scale: bigint;
  private readonly logState: { range: bigint; maxRange: bigint };
  private readonly warned = new Set<bigint>();
  private readonly skipped = new Map<JobKind, string>();
  private readonly log: { scanner: Logger; strategy: Logger; notifier: Logger; keeper: Logger };
  private readonly mmr = new Map<number, bigint>();
  /** Last snapshot taken (head), and the last time a pass or a poll succeeded. */
  lastSnapshot: Snapshot | undefined;
  lastOk = 0;
  head = 0n;
  /** How many blocks were rolled back in total (tests read it). */
  rolledBack = 0;
  /** The newest head not yet processed, and whether a pass is running (heads arriving meanwhile are coalesced). */
  private nextHead: Block | undefined;
  private passing: Promise<void> | undefined;
  /** The last head taken (processed, being processed or waiting). */
  private accepted: { hash: Hex; number: bigint } | undefined;

  constructor(private readonly deps: KeeperDeps) {
    const { deployment, options } = deps;
    const lens = deployment.addresses.bulkheadLens;
    if (lens === undefined) throw new Error("the deployment record has no lens (contracts.lens): the keeper needs it");
    this.contracts = {
      engine: deployment.addresses.marginEngine,
      pool: deployment.addresses.liquidityPool,
      riskConfig: deployment.addresses.riskConfig,
      lens,
    };
    this.marketIds = deployment.markets.map((m) => Number(m.marketId));
    for (const m of deployment.markets) this.mmr.set(Number(m.marketId), m.params?.mmr ?? 5n * 10n ** 16n);
    const decimals = deployment.assetDecimals ?? 6;
    this.assetUnit = 10n ** BigInt(decimals);
    this.scale = 10n ** BigInt(18 - decimals);
    this.logState = { range: BigInt(options.logRange), maxRange: BigInt(options.logRange) };
    this.book = new Book(Number(this.assetUnit), this.scale, options.warnHealth, (id) => this.mmr.get(id) ?? 0n);
    this.log = {
      scanner: deps.log.child({ service: "scanner" }),
      strategy: deps.log.child({ service: "strategy" }),
      notifier: deps.log.child({ service: "notifier" }),
      keeper: deps.log.child({ service: "keeper" }),
    };
    if (deps.account !== undefined) {
      this.sender = new Sender(
        deps.client,
        deps.account,
        deployment.chainId,
        {
          maxFeePerGas: gwei(options.maxFeeGwei),
          priorityFee: gwei(options.priorityFeeGwei),
          replaceAfterMs: options.replaceAfterMs,
        },
        deps.metrics,
        deps.log.child({ service: "sender" }),
      );
    }
    this.book.rebuild((deps.store.rows.positions as Map<string, TrackedPosition>).values());
  }

  private inShard(id: bigint): boolean {
    const [i, n] = this.deps.options.shard;
    return n === 1 || Number(id % BigInt(n)) === i;
  }

  private controllerInShard(controller: Address): boolean {
    const [i, n] = this.deps.options.shard;
    return n === 1 || parseInt(controller.slice(-8), 16) % n === i;
  }

  // ------------------------------------------------------------------ driving

  /**
   * Runs until `signal` aborts: a pass on every new head — pushed by `watchBlocks` over a WebSocket transport, else
   * found by polling the head every `pollMs` — and, between heads, a check of the transactions in flight (a stuck one
   * is replaced even while no block comes). `onError` hears about every failed pass or poll; the loop goes on.
   */
  async run(signal: AbortSignal, onError: (error: unknown) => void = () => undefined): Promise<void> {
    const { client, options } = this.deps;
    const pushed = usesWebSocket(client);
    let unwatch: (() => void) | undefined;
    if (pushed) {
      unwatch = client.watchBlocks({
        emitOnBegin: true,
        includeTransactions: false,
        onBlock: (block) => this.onHead(block as Block, true, onError),
        onError,
      });
    }
    // With pushed heads the poll is only a safety net (a dropped subscription) and keeps /healthz fresh; it may then
    // read a head older than one already pushed, which must not count as a reorg.
    const every = pushed ? Math.max(options.pollMs, 2_000) : options.pollMs;
    let wait = every;
    while (!signal.aborted) {
      try {
        const block = await client.getBlock({ blockTag: "latest" });
        this.lastOk = Date.now();
        if (!this.onHead(block, !pushed, onError) && this.passing === undefined && !options.dryRun) {
          // No new head: only the transactions in flight need looking at (a stuck one is replaced).
          if ((this.sender?.inFlight.size ?? 0) > 0) await this.sender!.poll();
        }
        wait = every;
      } catch (error) {
        this.deps.metrics.rpcErrors.inc();
        onError(error);
        wait = Math.min(wait * 2, 10_000);
      }
      await sleep(wait, signal);
    }
    unwatch?.();
    await this.passing;
  }

  /**
   * A head: processed now, or right after the pass in progress (only the newest waiting head is kept). A head already
   * taken is ignored, and so is a lower one unless `authoritative` (a reorg to a shorter chain, seen by the source
   * that reports heads in order). Returns whether the head was taken.
   */
  onHead(block: Block, authoritative = true, onError: (error: unknown) => void = () => undefined): boolean {
    if (block.hash === null || block.number === null || block.hash === this.accepted?.hash) return false;
    if (!authoritative && this.accepted !== undefined && block.number <= this.accepted.number) return false;
    this.accepted = { hash: block.hash, number: block.number };
    this.nextHead = block;
    if (this.passing !== undefined) return true;
    this.passing = (async () => {
      while (this.nextHead !== undefined) {
        const head = this.nextHead;
        this.nextHead = undefined;
        try {
          await this.tick(head);
        } catch (error) {
          // Taken again by the next poll.
          if (this.accepted?.hash === head.hash) this.accepted = undefined;
          this.deps.metrics.rpcErrors.inc();
          onError(error);
        }
      }
      this.passing = undefined;
    })();
    return true;
  }

  /** One pass at `head` (default: the latest block). Returns the block it processed up to. */
  async tick(head?: Block): Promise<bigint> {
    const { client, store, metrics, options } = this.deps;
    const t0 = performance.now();
    head ??= await client.getBlock({ blockTag: "latest" });
    const number = head.number!;
    this.head = number;
    metrics.headBlock.set(Number(number));
    await this.checkReorg(head);
    const cursor = store.cursor();
    const start =
      cursor === undefined ? (options.startBlock ?? this.deps.deployment.deploymentBlock ?? 0n) : cursor.block + 1n;
    // The snapshot and the logs are asked for together (one round trip over HTTP batching). The LP views only while
    // requests are pending, or when this pass's logs may bring some (a catch-up over many blocks).
    const lp = store.rows.lp.size > 0 || number - start > 0n;
    const snapshotP = readSnapshot(
      client,
      this.contracts,
      this.marketIds,
      { number, timestamp: head.timestamp, baseFeePerGas: head.baseFeePerGas },
      lp,
    );
    snapshotP.catch(() => undefined); // awaited below; a failure of the sync must not leave it unhandled
    if (start <= number) await this.sync(start, head, snapshotP);
    const snapshot = await snapshotP;
    const t1 = performance.now();
    for (const m of snapshot.markets) this.mmr.set(m.marketId, m.params.mmr);
    this.lastSnapshot = snapshot;
    metrics.processedBlock.set(Number(store.cursor()?.block ?? 0n));
    metrics.lagBlocks.set(Number(number - (store.cursor()?.block ?? 0n)));
    await this.act(snapshot);
    this.lastOk = Date.now();
    this.log.keeper.debug(
      { block: number, readMs: Math.round(t1 - t0), actMs: Math.round(performance.now() - t1) },
      "pass",
    );
    return number;
  }

  // ------------------------------------------------------------------ scanner

  /** Rolls back the blocks a reorg replaced: the journalled blocks whose hash the node no longer has. */
  private async checkReorg(head: Block): Promise<void> {
    const { store, client, options, metrics } = this.deps;
    const cursor = store.cursor();
    if (cursor === undefined || cursor.hash === "") return;
    // The usual cases need no request: the head is the cursor, or builds on it.
    if (head.number === cursor.block && head.hash === cursor.hash) return;
    if (head.number === cursor.block + 1n && head.parentHash === cursor.hash) return;
    const same = async (block: bigint, hash: string): Promise<boolean> => {
      if (block > head.number!) return false;
      const b = await client.getBlock({ blockNumber: block }).catch(() => undefined);
      return b?.hash === hash;
    };
    if (await same(cursor.block, cursor.hash)) return;
    const journalled = [...store.hashesFrom(cursor.block - BigInt(options.reorgDepth) - 1n)].reverse();
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

  private async sync(from: bigint, head: Block, snapshotP: Promise<Snapshot>): Promise<void> {
    const { client, store, options } = this.deps;
    const headNumber = head.number!;
    const journalFrom = headNumber - BigInt(options.reorgDepth);
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
        // Block times of blocks with timed events; the head's is known.
        const times = new Map<bigint, bigint>([[headNumber, head.timestamp]]);
        const timed = [...byBlock]
          .filter(([b, ls]) => !times.has(b) && ls.some((l) => TIMED_EVENTS.has(l.eventName)))
          .map(([b]) => b);
        const headers = await Promise.all(timed.map((b) => client.getBlock({ blockNumber: b })));
        for (const h of headers) times.set(h.number!, h.timestamp);
        const snapshot = await snapshotP;
        const ctx = {
          engine: this.contracts.engine,
          pool: this.contracts.pool,
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
    store.prune(headNumber, options.reorgDepth);
    if (headNumber - from > 100n) {
      this.log.scanner.info(
        { from, to: headNumber, events: count, positions: this.book.size, ms: Date.now() - t0 },
        "synced",
      );
    }
  }

  // ------------------------------------------------------------------ strategy

  private async act(s: Snapshot): Promise<void> {
    const { metrics, options, store } = this.deps;
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

    const results = await Promise.allSettled([
      this.orders(s, pending),
      this.liquidations(
        s,
        ev.liquidatable.filter((c) => !pending.has(`p${c.position.id}`)),
      ),
      this.takeProfits(
        s,
        ev.atCap.filter((p) => !pending.has(`p${p.id}`)),
      ),
      this.lpRequests(s, lp),
    ]);
    for (const r of results) {
      if (r.status === "rejected") this.log.strategy.error({ err: shortError(r.reason) }, "job failed");
    }
    // After the sends: margin calls (a webhook is a side channel, never on the way to a transaction).
    this.marginCalls(ev.atRisk, ev.liquidatable);
    if (this.sender !== undefined && !options.dryRun) await this.sender.poll();
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
      const url = this.deps.options.webhook;
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

  /**
   * Orders whose market has published a round after the request (or whose deadline passed), confirmed with one
   * `lens.executable(ids)` call while the batch is simulated.
   */
  private async orders(s: Snapshot, pending: Set<string>): Promise<void> {
    if (this.sender?.busy("orders")) return;
    const markets = new Map(s.markets.map((m) => [m.marketId, m]));
    const fees = new Map<bigint, bigint>();
    for (const o of (this.deps.store.rows.orders as Map<string, TrackedOrder>).values()) {
      if (!this.inShard(o.positionId) || pending.has(`o${o.positionId}`)) continue;
      const m = markets.get(o.marketId);
      // A round after the request: its id is above the recorded one and it was updated after the request (the
      // engine also needs it started after; the lens judges that).
      const roundSeen = m !== undefined && m.roundId > o.roundId && m.updatedAt > o.requestedAt;
      if (roundSeen || s.timestamp > o.deadline) {
        fees.set(o.positionId, (fees.get(o.positionId) ?? 0n) + o.executionFee);
      }
    }
    if (fees.size === 0) return;
    const ids = [...fees.keys()]
      .sort((a, b) => (fees.get(b)! > fees.get(a)! ? 1 : fees.get(b)! < fees.get(a)! ? -1 : 0))
      .slice(0, this.deps.options.batchSize);
    const [states, gas] = await Promise.all([
      this.deps.client.readContract({
        address: this.contracts.lens,
        abi: iBulkheadLensAbi,
        functionName: "executable",
        args: [ids],
        blockNumber: s.blockNumber,
      }),
      this.estimate("orders", this.contracts.engine, "executeOrders", ids),
    ]);
    const executable = ids.filter((_, i) => states[i]!.status === EXECUTABLE);
    const cancellable = ids.filter((_, i) => states[i]!.status === CANCELLABLE);
    const chosen = [...executable, ...(this.deps.options.cancelStale ? cancellable : [])];
    if (chosen.length === 0 || gas === undefined) return;
    const reward = executable.reduce((sum, id) => sum + fees.get(id)!, 0n);
    await this.sendBatch(s, "orders", this.contracts.engine, "executeOrders", chosen, reward, gas, {
      unpaid: executable.length === 0,
    });
  }

  /**
   * The most rewarding liquidatable positions (reserve + liquidation fee; ranked by notional, the fee's base, then
   * the fee computed exactly for the batch), confirmed with `lens.liquidatable` while the batch is simulated.
   */
  private async liquidations(s: Snapshot, candidates: Candidate[]): Promise<void> {
    if (candidates.length === 0 || this.sender?.busy("liquidations")) return;
    const markets = new Map(s.markets.map((m) => [m.marketId, m]));
    const rank = (c: Candidate): number =>
      Number(c.position.keeperReserve) +
      (Number(c.position.size) * Number(markets.get(c.position.marketId)!.params.liqFeeRatio)) / 1e36;
    const list = candidates.sort((a, b) => rank(b) - rank(a)).slice(0, this.deps.options.batchSize);
    const ids = list.map((c) => c.position.id);
    const [confirmed, gas] = await Promise.all([
      this.confirm(ids, "liquidatable", s.blockNumber),
      this.estimate("liquidations", this.contracts.engine, "liquidateBatch", ids),
    ]);
    if (confirmed.length === 0 || gas === undefined) return;
    const byId = new Map(list.map((c) => [c.position.id, c.position]));
    let reward = 0n;
    for (const id of confirmed) {
      const p = byId.get(id)!;
      reward += p.keeperReserve + this.book.liquidationFee(p, markets.get(p.marketId)!);
    }
    await this.sendBatch(s, "liquidations", this.contracts.engine, "liquidateBatch", confirmed, reward, gas);
  }

  private async takeProfits(s: Snapshot, candidates: TrackedPosition[]): Promise<void> {
    if (candidates.length === 0 || this.sender?.busy("takeProfits")) return;
    const list = candidates.slice(0, this.deps.options.batchSize);
    const ids = list.map((p) => p.id);
    const [confirmed, gas] = await Promise.all([
      this.confirm(ids, "atCap", s.blockNumber),
      this.estimate("takeProfits", this.contracts.engine, "takeProfitBatch", ids),
    ]);
    if (confirmed.length === 0 || gas === undefined) return;
    const reserves = new Map(list.map((p) => [p.id, p.keeperReserve]));
    const reward = confirmed.reduce((sum, id) => sum + reserves.get(id)!, 0n);
    await this.sendBatch(s, "takeProfits", this.contracts.engine, "takeProfitBatch", confirmed, reward, gas);
  }

  /** The lens's batch view, one call for the whole list: keeps what the chain confirms. */
  private async confirm(ids: bigint[], view: "liquidatable" | "atCap", block: bigint): Promise<bigint[]> {
    const ok = await this.deps.client.readContract({
      address: this.contracts.lens,
      abi: iBulkheadLensAbi,
      functionName: view,
      args: [ids],
      blockNumber: block,
    });
    const confirmed = ids.filter((_, i) => ok[i] === true);
    if (confirmed.length < ids.length) {
      this.log.strategy.debug({ view, dropped: ids.filter((_, i) => ok[i] !== true) }, "not confirmed on-chain");
    }
    return confirmed;
  }

  private async lpRequests(s: Snapshot, requests: TrackedLpRequest[]): Promise<void> {
    if (requests.length === 0 || !s.lpOpen) return;
    const deposits = requests.filter((r) => r.kind === "deposit" && this.controllerInShard(r.controller));
    const redeems = requests.filter((r) => r.kind === "redeem");
    const [i] = this.deps.options.shard;
    const controllers = deposits.map((r) => r.controller);
    const [executableDeposits, redeemHead] = await this.deps.client.readContract({
      address: this.contracts.pool,
      abi: iLiquidityPoolAbi,
      functionName: "executableRequests",
      args: [controllers],
      blockNumber: s.blockNumber,
    });
    const due = controllers.filter((_, k) => executableDeposits[k] === true).slice(0, this.deps.options.batchSize);
    const jobs: Promise<void>[] = [];
    if (due.length > 0 && !this.sender?.busy("deposits")) {
      jobs.push(
        (async () => {
          const gas = await this.estimate("deposits", this.contracts.pool, "executeDeposits", due);
          if (gas === undefined) return;
          const reward = BigInt(due.length) * s.lpExecutionFee;
          await this.sendBatch(s, "deposits", this.contracts.pool, "executeDeposits", due, reward, gas);
        })(),
      );
    }
    // The redemption queue is one queue: shard 0 serves it.
    if (redeemHead && i === 0 && redeems.length > 0 && !this.sender?.busy("redeems")) {
      jobs.push(
        (async () => {
          const n = BigInt(Math.min(redeems.length, this.deps.options.batchSize));
          const gas = await this.estimate("redeems", this.contracts.pool, "executeRedeems", n);
          if (gas === undefined) return;
          await this.sendBatch(s, "redeems", this.contracts.pool, "executeRedeems", n, n * s.lpExecutionFee, gas);
        })(),
      );
    }
    await Promise.all(jobs);
  }

  /**
   * Simulates a batch (estimateGas reverts if the transaction would); undefined if it would fail. The batch functions
   * skip what they cannot do, so the estimate of a candidate list covers any confirmed part of it.
   */
  private async estimate(
    kind: JobKind,
    to: Address,
    functionName: BatchFunction,
    items: bigint[] | Address[] | bigint,
  ): Promise<bigint | undefined> {
    const abi = to === this.contracts.pool ? iLiquidityPoolAbi : iMarginEngineAbi;
    const data = encodeFunctionData({ abi, functionName, args: [items] } as never);
    try {
      return await this.deps.client.estimateGas({ account: this.deps.account?.address, to, data } as never);
    } catch (error) {
      this.log.strategy.warn({ kind, err: shortError(error) }, "simulation failed: not sent");
      return undefined;
    }
  }

  /**
   * Checks the reward beats the gas at the current base fee with the configured margin, and sends the batch (not in a
   * dry run). `gas` is the simulation's estimate.
   */
  private async sendBatch(
    s: Snapshot,
    kind: JobKind,
    to: Address,
    functionName: BatchFunction,
    items: bigint[] | Address[] | bigint,
    reward: bigint,
    gas: bigint,
    { unpaid = false }: { unpaid?: boolean } = {},
  ): Promise<void> {
    const { options, metrics } = this.deps;
    const abi = to === this.contracts.pool ? iLiquidityPoolAbi : iMarginEngineAbi;
    const data = encodeFunctionData({ abi, functionName, args: [items] } as never);
    const tip = gwei(options.priorityFeeGwei);
    const costAsset = this.weiToAsset(gas * (s.baseFee + tip), s);
    const ok =
      unpaid ||
      Number(reward) / Number(this.assetUnit) >=
        (Number(costAsset) / Number(this.assetUnit)) * (1 + options.profitMargin) + options.minProfitUsd;
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
    if (options.dryRun || this.sender === undefined) {
      this.log.strategy.info(fields, "dry run: would send");
      return;
    }
    // Room above the estimate: the engine's guarded payouts (PAYOUT_GAS) need their gas available, not only used.
    const prefix = kind === "orders" ? "o" : kind === "deposits" ? "d" : kind === "redeems" ? "r" : "p";
    await this.sender.send(
      { kind, to, data, gas: (gas * 13n) / 10n + 50_000n, items: label.map((x) => `${prefix}${x}`) },
      s.baseFee,
    );
  }

  /** Gas cost in settlement-asset units, at the gas token's USD price (option or the ETH-USD market). */
  private weiToAsset(wei: bigint, s: Snapshot): bigint {
    const configured = this.deps.options.nativeUsd;
    let usdWad: bigint | undefined =
      configured !== undefined ? BigInt(Math.round(configured * 1e6)) * 10n ** 12n : undefined;
    if (usdWad === undefined) {
      const eth = this.deps.deployment.markets.find((m) => /^ETH-USD$/i.test(m.name ?? ""));
      usdWad = s.markets.find((m) => m.marketId === Number(eth?.marketId ?? -1))?.price;
    }
    if (usdWad === undefined) return 0n;
    return (wei * usdWad) / WAD / this.scale;
  }

  /** Waits for the pass in progress and (up to `ms`) for the transactions in flight. */
  async shutdown(ms = 5_000): Promise<void> {
    await this.passing;
    await this.sender?.drain(ms);
  }
}

/** Whether the client's transport pushes new heads (a WebSocket, or a fallback whose first transport is one). */
function usesWebSocket(client: PublicClient): boolean {
  const t = client.transport as { type: string; transports?: { config: { type: string } }[] };
  if (t.type === "webSocket") return true;
  return t.type === "fallback" && t.transports?.[0]?.config.type === "webSocket";
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

function gwei(n: number): bigint {
  return BigInt(Math.round(n * 1e9));
}

/**
 * `npm run bench:keeper`: the keeper's figures (SPEC §3), printed as a table and written to reports/keeper.json.
 *
 * - syncSeconds10k / syncSeconds100k: cold sync of a generated event stream (PositionOpened logs encoded with the
 *   engine's ABI, in blocks of 100) through the keeper's own decode → apply → SQLite → index path, in process: the
 *   RPC transport is not part of it (a recorded log file, as the issue allows).
 * - evalMs100k: one evaluation pass over 100,000 tracked positions after a 3 % price move (median of 21).
 * - rssMb100k: resident memory with 100,000 positions loaded (database mirror and index).
 * - rpcCallsPerBlock: JSON-RPC requests per keeper pass (one new block) against a hardhat node running Bulkhead,
 *   with 1,000 and 100,000 tracked positions.
 * - reactionMs: new feed round mined → liquidation sent, over 20 trials, the keeper polling every 50 ms.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";

import {
  createPublicClient,
  custom,
  encodeAbiParameters,
  encodeEventTopics,
  http,
  type Address,
  type Hex,
  type Log,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";

import { iMarginEngineAbi } from "../sdk/src/abis.js";
import { loadDeployment } from "../sdk/src/node.js";
import { readSnapshot } from "../keeper/src/chain.js";
import { Keeper } from "../keeper/src/keeper.js";
import { createLogger } from "../keeper/src/log.js";
import { createMetrics } from "../keeper/src/metrics.js";
import { applyLogs, decodeLogs } from "../keeper/src/state.js";
import { Store } from "../keeper/src/store.js";
import { runToEnd, startNode, temporaryDir } from "../test/ts/deploy/support/processes.js";
import { Driver, KEYS, USD, WAD } from "../test/ts/keeper/support.js";

const work = temporaryDir("bulkhead-bench-keeper-");
const silent = createLogger("silent");

// ------------------------------------------------------------------ generated event stream

const openedEvent = iMarginEngineAbi.find((x) => x.type === "event" && x.name === "PositionOpened")!;
const ENGINE: Address = "0x00000000000000000000000000000000000000e1";

function generatedLogs(n: number): Log[] {
  const logs: Log[] = [];
  let seed = 42;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 1; i <= n; i++) {
    const market = i % 2;
    const isLong = rand() < 0.5;
    const price = market === 0 ? 3_000n * WAD : 60_000n * WAD;
    const leverage = 2 + Math.floor(rand() * 4); // 2–5x: healthy at the starting price
    const collateral = BigInt(100 + Math.floor(rand() * 10_000)) * USD;
    const size = (collateral * BigInt(leverage) * 10n ** 12n * WAD) / price;
    const topics = encodeEventTopics({
      abi: [openedEvent],
      eventName: "PositionOpened",
      args: { positionId: BigInt(i), owner: "0x00000000000000000000000000000000000000aa", marketId: BigInt(market) },
    });
    const data = encodeAbiParameters(
      [
        { type: "bool" },
        { type: "address" },
        { type: "uint256" },
        { type: "uint256" },
        { type: "uint256" },
        { type: "uint256" },
      ],
      [isLong, "0x00000000000000000000000000000000000000bb", size, price, collateral, collateral / 1000n],
    );
    const block = BigInt(1 + Math.floor(i / 100));
    logs.push({
      address: ENGINE,
      topics: topics as [Hex, ...Hex[]],
      data,
      blockNumber: block,
      blockHash: `0x${block.toString(16).padStart(64, "0")}`,
      logIndex: i % 100,
      transactionHash: `0x${"1".padStart(64, "0")}`,
      transactionIndex: 0,
      removed: false,
    } as Log);
  }
  return logs;
}

const snapshotMarket = (marketId: number, price: bigint) => ({
  marketId,
  params: {
    feed: ENGINE,
    mmr: 5n * 10n ** 16n,
    liqFeeRatio: 10n ** 16n,
    liqPenaltyRatio: 10n ** 16n,
    closeFeeRatio: 10n ** 15n,
    maxProfitRatio: 9n * WAD,
    maxProfitNotionalRatio: WAD,
    borrowRateLong: 3_170_979_198n,
    borrowRateShort: 3_170_979_198n,
  },
  price,
  borrowIndexLong: 0n,
  borrowIndexShort: 0n,
  resumesAt: 0n,
  round: undefined,
});

/** Cold sync of `n` generated positions into a fresh database; returns seconds and the store. */
function syncGenerated(n: number, file: string): { seconds: number; store: Store } {
  const logs = generatedLogs(n);
  const store = new Store(file);
  const t0 = performance.now();
  const decoded = decodeLogs(logs);
  const ctx = {
    engine: ENGINE,
    pool: "0x00000000000000000000000000000000000000e2" as Address,
    scale: 10n ** 12n,
    timestampOf: () => 1_000n,
    market: (id: number) => ({ ...snapshotMarket(id, id === 0 ? 3_000n * WAD : 60_000n * WAD), timestamp: 1_000n }),
  };
  let i = 0;
  while (i < decoded.length) {
    const block = decoded[i]!.blockNumber;
    let j = i;
    while (j < decoded.length && decoded[j]!.blockNumber === block) j++;
    const slice = decoded.slice(i, j);
    store.applyBlock(block, slice[0]!.blockHash, false, () => applyLogs(store, slice, ctx));
    i = j;
  }
  return { seconds: (performance.now() - t0) / 1000, store };
}

// ------------------------------------------------------------------ in-process figures

const sync10k = syncGenerated(10_000, path.join(work.path, "g10k.sqlite"));
sync10k.store.close();
const sync100k = syncGenerated(100_000, path.join(work.path, "g100k.sqlite"));
const { Book } = await import("../keeper/src/book.js");
const book = new Book(1e6, 10n ** 12n, 1.2, () => 5n * 10n ** 16n);
const tBuild = performance.now();
book.rebuild(sync100k.store.rows.positions.values() as never);
const buildMs = performance.now() - tBuild;
// −3 % on ETH, +3 % on BTC: each side's slice near its warning price is valued exactly.
const moved = [snapshotMarket(0, 2_910n * WAD), snapshotMarket(1, 61_800n * WAD)];
const evalRuns: number[] = [];
let examined = 0;
for (let r = 0; r < 21; r++) {
  const t = performance.now();
  examined = book.evaluate(moved, 1_000n).examined;
  evalRuns.push(performance.now() - t);
}
const evalMs100k = median(evalRuns);
// For comparison: valuing every one of the 100k positions exactly (what the index avoids).
const tFull = performance.now();
for (const p of book.positions.values()) book.value(p, moved[p.marketId]!);
const fullPassMs = performance.now() - tFull;
const rssMb100k = process.memoryUsage().rss / 2 ** 20;
sync100k.store.close();

// ------------------------------------------------------------------ against a node

const node = await startNode(31337, path.join(work.path, "node"));
await runToEnd("scripts/deploy.ts", "localhost", {
  BULKHEAD_LOCALHOST_RPC_URL: node.url,
  BULKHEAD_DEPLOYMENTS_DIR: path.join(work.path, "deployments"),
  BULKHEAD_IGNITION_DIR: path.join(work.path, "ignition"),
});
const recordPath = path.join(work.path, "deployments", "31337.json");
const deployment = await loadDeployment(recordPath);
let calls = 0;
const base = http(node.url);
const counting = custom({
  async request({ method, params }) {
    calls++;
    return base({}).request({ method, params } as never);
  },
});
const client = createPublicClient({ transport: counting, cacheTime: 0 });
const config = {
  rpcUrls: [node.url],
  deployment: recordPath,
  db: undefined,
  dryRun: false,
  shard: [0, 1] as [number, number],
  pollMs: 50,
  reorgDepth: 12,
  logRange: 10_000,
  startBlock: undefined,
  minProfitUsd: 0,
  profitMargin: 0.1,
  nativeUsd: undefined,
  maxFeeGwei: 500,
  priorityFeeGwei: 0.001,
  replaceAfterMs: 6_000,
  batchSize: 100,
  warnHealth: 1.2,
  webhook: undefined,
  cancelStale: true,
  metricsPort: -1,
  logLevel: "silent" as const,
  privateKey: KEYS[9]!,
  keySource: "env" as const,
};

/** RPC requests per pass, with `n` generated positions loaded (priced by the node's real markets). */
async function callsPerBlock(n: number): Promise<number> {
  const store = new Store(path.join(work.path, `rpc-${n}.sqlite`));
  const head = await client.getBlock();
  const snap = await readSnapshot(
    client,
    {
      engine: deployment.addresses.marginEngine,
      pool: deployment.addresses.liquidityPool,
      riskConfig: deployment.addresses.riskConfig,
      lens: deployment.addresses.bulkheadLens,
    },
    [0, 1],
    head,
  );
  const logs = decodeLogs(generatedLogs(n));
  store.applyBlock(head.number, head.hash, false, () =>
    applyLogs(
      store,
      logs.map((l) => ({ ...l, address: deployment.addresses.marginEngine })),
      {
        engine: deployment.addresses.marginEngine,
        pool: deployment.addresses.liquidityPool,
        scale: 10n ** 12n,
        timestampOf: () => head.timestamp,
        market: (id) => ({ ...snap.markets[id]!, timestamp: head.timestamp }),
      },
    ),
  );
  const keeper = new Keeper({
    config,
    deployment,
    client,
    transport: counting,
    account: privateKeyToAccount(KEYS[9]!),
    store,
    metrics: createMetrics(),
    log: silent,
  });
  await keeper.tick();
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    await client.request({ method: "evm_mine" as never });
    calls = 0;
    await keeper.tick();
    samples.push(calls);
  }
  store.close();
  return median(samples);
}

const rpc1k = await callsPerBlock(1_000);
const rpc100k = await callsPerBlock(100_000);

// Reaction: a keeper polling every 50 ms; each trial opens a 9x long, then a round makes it liquidatable.
const sent: { at: number; kind: string }[] = [];
const capture = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString().split("\n")) {
      if (line.includes('"msg":"sent"')) sent.push({ at: Date.now(), kind: JSON.parse(line).kind as string });
    }
    done();
  },
});
const store = new Store(path.join(work.path, "reaction.sqlite"));
const keeper = new Keeper({
  config,
  deployment,
  client: createPublicClient({ transport: http(node.url), cacheTime: 0 }),
  transport: http(node.url),
  account: privateKeyToAccount(KEYS[9]!),
  store,
  metrics: createMetrics(),
  log: createLogger("info", capture),
});
let running = true;
const loop = (async () => {
  while (running) {
    await keeper.tick().catch((e: unknown) => console.error("tick failed:", (e as Error).message.split("\n")[0]));
    await new Promise((r) => setTimeout(r, 50));
  }
})();
const d = new Driver(
  node.url,
  deployment.addresses.marginEngine,
  deployment.addresses.liquidityPool,
  deployment.addresses.asset,
  deployment.markets.map((m) => m.feed!),
);
await d.rpc("evm_increaseTime", [61]);
await d.rpc("evm_mine");
await waitFor(async () => (await d.events("DepositExecuted")).length > 0);
await d.approve(1);
const reactions: number[] = [];
let price = 3000;
for (let trial = 0; trial < Number(process.env.BENCH_TRIALS ?? "20"); trial++) {
  // 9x at the current price, so −8 % always makes it liquidatable.
  const id = await d.requestOpen(1, 0n, true, (9_000n * WAD) / BigInt(price), 1_000n * USD);
  await d.setPrice(0, price);
  await waitFor(async () => (await d.position(id)).size > 0n);
  await waitFor(async () => keeperIdle());
  const before = sent.length;
  price = Math.round(price * 0.92);
  await d.setPrice(0, price);
  const mined = Date.now();
  await waitFor(async () => sent.slice(before).some((s) => s.kind === "liquidations"));
  reactions.push(sent.slice(before).find((s) => s.kind === "liquidations")!.at - mined);
  await waitFor(async () => (await d.position(id)).owner === "0x0000000000000000000000000000000000000000");
}
running = false;
await loop;
store.close();
await node.stop();

function keeperIdle(): boolean {
  return true;
}

async function waitFor(check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("bench: timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

const report = {
  syncSeconds10k: round(sync10k.seconds, 3),
  syncSeconds100k: round(sync100k.seconds, 3),
  evalMs100k: round(evalMs100k, 3),
  reactionMs: {
    median: Math.round(median(reactions)),
    p95: Math.round(percentile(reactions, 95)),
    trials: reactions.length,
  },
  rssMb100k: Math.round(rssMb100k),
  rpcCallsPerBlock: { "1k": rpc1k, "100k": rpc100k },
  notes: {
    sync: "generated PositionOpened stream (100 per block), decoded and applied in process into SQLite + index; RPC not included",
    eval: `positions valued exactly after a 3 % move: ${examined} of 100,000; index build ${Math.round(buildMs)} ms; an exact pass over all 100,000 takes ${Math.round(fullPassMs)} ms`,
    memory: "process RSS: generated log stream, SQLite mirror and index of 100k positions, viem and tsx loaded",
    reaction: "feed round mined (receipt seen) → liquidateBatch sent, keeper polling every 50 ms, hardhat node",
  },
};
const rows: [string, string, string][] = [
  ["cold sync, 10k positions", `${report.syncSeconds10k} s`, "< 10 s"],
  ["cold sync, 100k positions", `${report.syncSeconds100k} s`, "< 60 s"],
  ["evaluation, 100k positions", `${report.evalMs100k} ms`, "< 50 ms"],
  ["reaction, median / p95", `${report.reactionMs.median} / ${report.reactionMs.p95} ms`, "p95 < 250 ms"],
  ["memory at 100k", `${report.rssMb100k} MB`, "< 500 MB"],
  ["RPC calls per block, 1k / 100k", `${rpc1k} / ${rpc100k}`, "independent of positions"],
];
console.log("\nKeeper benchmark");
for (const [a, b, c] of rows) console.log(`  ${a.padEnd(34)} ${b.padEnd(16)} target ${c}`);
mkdirSync("reports", { recursive: true });
writeFileSync("reports/keeper.json", `${JSON.stringify(report, null, 2)}\n`);
console.log("\nWrote reports/keeper.json");
work.remove();

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}

/**
 * The keeper against a real `hardhat node` (started on a free port, Bulkhead deployed by `npm run deploy`'s script):
 * the jobs (LP requests, orders at their round, liquidations within 2 blocks, take-profit at the cap) and the faults
 * (kill -9 and restart, reorg, competing keepers, base-fee spike, paused mining, log-range refusal, node down, config
 * mistakes). The keeper runs as its own process, as an operator runs it.
 */
import path from "node:path";

import { expect } from "chai";
import type { Address, Hex } from "viem";

import { DatabaseSync } from "../../../keeper/src/store.js";
import { readDeployment } from "../deploy/support/chain.js";
import { runToEnd, scaled, startNode, temporaryDir, type TestNode } from "../deploy/support/processes.js";
import { Driver, KEYS, startKeeper, startProxy, USD, WAD, type KeeperProcess, type Proxy } from "./support.js";

const ETH = 0n;
const BTC = 1n;

async function until<T>(check: () => Promise<T | undefined | false>, what: string, ms = scaled(60_000)): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function metric(port: unknown, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? Number.NaN : Number(line.split(" ").at(-1));
}

describe("keeper (against a hardhat node)", function () {
  this.timeout(scaled(900_000));
  let work: ReturnType<typeof temporaryDir>;
  let node: TestNode;
  let d: Driver;
  let recordPath: string;
  let k1: KeeperProcess;
  const keeperAddress = (i: number): Address => d.wallet(i).account.address;
  const args = (db: string, rpc = node.url): string[] => [
    "--rpc-url",
    rpc,
    "--deployment",
    recordPath,
    "--db",
    path.join(work.path, db),
    "--poll-ms",
    "100",
    "--priority-fee-gwei",
    "0.001",
    "--replace-after-ms",
    "1000",
    "--metrics-port",
    "0",
  ];
  const positions: Record<string, bigint> = {};

  before(async function () {
    work = temporaryDir("bulkhead-keeper-");
    node = await startNode(31337, path.join(work.path, "node"));
    await runToEnd("scripts/deploy.ts", "localhost", {
      BULKHEAD_LOCALHOST_RPC_URL: node.url,
      BULKHEAD_DEPLOYMENTS_DIR: path.join(work.path, "deployments"),
      BULKHEAD_IGNITION_DIR: path.join(work.path, "ignition"),
    });
    recordPath = path.join(work.path, "deployments", "31337.json");
    const record = readDeployment(recordPath);
    d = new Driver(
      node.url,
      record.contracts.engine.address as Address,
      record.contracts.pool.address as Address,
      record.contracts.asset.address as Address,
      record.markets.map((m) => m.feed.address as Address),
    );
    for (const i of [1, 2, 3, 4]) await d.approve(i);
  });

  afterEach(function () {
    // A failed step shows what the keeper said.
    if (this.currentTest?.state === "failed" && k1 !== undefined) console.log(k1.output().slice(-6000));
  });

  after(async function () {
    await k1?.stop("SIGKILL");
    await node?.stop();
    work?.remove();
  });

  it("refuses configuration mistakes with one line each and exit code 2, no stack trace", async function () {
    const bad = startKeeper(["--rpc-url", "localhost:8545", "--shard", "2/2", "--poll-ms", "fast"], {});
    expect(await bad.exited).to.equal(2);
    const out = bad.output();
    expect(out).to.include("--rpc-url: must be an http(s) or ws(s) URL");
    expect(out).to.include("--deployment: is required");
    expect(out).to.include("--shard: needs n ≥ 1 and 0 ≤ i < n");
    expect(out).to.include("--poll-ms: poll interval must be a whole number");
    expect(out).to.include("no signing key");
    expect(out).to.not.match(/\n\s+at /);
    const wrongChain = startKeeper([...args("x.sqlite"), "--dry-run"], {});
    // The record is for 31337 and so is the node: a wrong key is the mistake here.
    const badKey = startKeeper(args("y.sqlite"), { KEEPER_PRIVATE_KEY: "0x1234" });
    expect(await badKey.exited).to.equal(2);
    expect(badKey.output()).to.include("KEEPER_PRIVATE_KEY: must be 32 bytes of hex");
    await wrongChain.stop("SIGTERM");
    const missing = startKeeper(["--rpc-url", node.url, "--deployment", "/nonexistent.json", "--dry-run"], {});
    expect(await missing.exited).to.equal(2);
    expect(missing.output()).to.include("cannot read /nonexistent.json");
    expect(missing.output()).to.not.match(/\n\s+at /);
  });

  it("executes the pool's seed deposit once lpDelay has passed", async function () {
    await d.rpc("evm_increaseTime", [61]);
    await d.rpc("evm_mine");
    k1 = startKeeper(args("k1.sqlite"), { KEEPER_PRIVATE_KEY: KEYS[9]! });
    await until(async () => {
      const e = await d.events("DepositExecuted");
      return e.find((x) => (x.args.executor as string).toLowerCase() === keeperAddress(9).toLowerCase());
    }, "the seed deposit executed by the keeper");
  });

  it("executes every order at its execution round, inside its window", async function () {
    positions.a = await d.requestOpen(1, ETH, true, 3n * WAD, 1_000n * USD); // 9x long
    positions.b = await d.requestOpen(2, ETH, true, 3n * WAD, 3_000n * USD); // 3x long
    positions.c = await d.requestOpen(3, BTC, true, WAD / 20n, 1_000n * USD); // 3x long, cap 3,000 USD
    positions.d = await d.requestOpen(4, ETH, false, 3n * WAD, 3_000n * USD); // 3x short
    const ethRound = await d.setPrice(0, 3000);
    const btcRound = await d.setPrice(1, 60000);
    expect(btcRound).to.be.greaterThan(ethRound);
    const ids = Object.values(positions);
    await until(async () => (await Promise.all(ids.map((id) => d.position(id)))).every((p) => p.size > 0n), "4 opens");
    const executed = (await d.events("OrderExecuted")).filter((e) => ids.includes(e.args.positionId as bigint));
    expect(executed).to.have.length(4);
    for (const e of executed) {
      expect((e.args.executor as string).toLowerCase()).to.equal(keeperAddress(9).toLowerCase());
      const block = await d.client.getBlock({ blockNumber: e.blockNumber });
      // Rule 2: inside the window (maxExecutionDelay 60 s in the local parameters).
      expect(Number(block.timestamp)).to.be.lessThan(Number((await d.client.getBlock()).timestamp) + 1);
      expect(e.blockNumber).to.be.greaterThan(ethRound);
    }
  });

  it("liquidates a position within 2 blocks of the round that made it liquidatable, and no healthy one", async function () {
    const round = await d.setPrice(0, 2760); // −8 %: the 9x long is under maintenance, the 3x one is not
    const liquidated = await until(async () => {
      const e = await d.events("PositionLiquidated", round);
      return e.find((x) => x.args.positionId === positions.a);
    }, "the 9x long liquidated");
    expect(liquidated.blockNumber - round).to.be.at.most(2n);
    expect((liquidated.args.keeper as string).toLowerCase()).to.equal(keeperAddress(9).toLowerCase());
    // A few more blocks: nothing else goes.
    for (let i = 0; i < 3; i++) await d.rpc("evm_mine");
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await d.position(positions.b!)).size).to.be.greaterThan(0n);
    expect((await d.position(positions.d!)).size).to.be.greaterThan(0n);
    expect(await d.events("PositionLiquidated")).to.have.length(1);
  });

  it("takes profit at the cap", async function () {
    const round = await d.setPrice(1, 125000);
    const taken = await until(async () => {
      const e = await d.events("ProfitTaken", round);
      return e.find((x) => x.args.positionId === positions.c);
    }, "the BTC long taken at its cap");
    expect(taken.blockNumber - round).to.be.at.most(2n);
  });

  it("after kill -9, resumes from its database without a rescan, misses nothing and does nothing twice", async function () {
    const started = k1.lines.find((l) => l.msg === "keeper started")!;
    expect(started.cursor).to.equal(undefined); // first start: empty database
    await until(async () => k1.lines.some((l) => l.msg === "sent" && l.kind === "takeProfits") || undefined, "tp sent");
    const headBefore = await d.client.getBlockNumber();
    await k1.stop("SIGKILL");
    positions.e = await d.requestOpen(1, ETH, true, 3n * WAD, 3_000n * USD);
    positions.f = await d.requestOpen(2, ETH, false, 3n * WAD, 3_000n * USD);
    await d.setPrice(0, 2760);
    k1 = startKeeper(args("k1.sqlite"), { KEEPER_PRIVATE_KEY: KEYS[9]! });
    const restarted = await k1.waitFor((l) => l.msg === "keeper started", "restart");
    expect(BigInt(restarted.cursor as string)).to.be.at.least(headBefore - 1n);
    await until(
      async () => (await d.position(positions.e!)).size > 0n && (await d.position(positions.f!)).size > 0n,
      "orders requested while the keeper was down executed after the restart",
    );
    const executed = await d.events("OrderExecuted");
    for (const id of Object.values(positions)) {
      expect(executed.filter((e) => e.args.positionId === id)).to.have.length(1);
    }
    // Every keeper transaction succeeded: no double action reverted on-chain.
    for (const line of k1.lines.filter((l) => l.msg === "transaction reverted")) expect.fail(JSON.stringify(line));
  });

  it("tracks every open position exactly as the engine records it, caps and keeper reserves from events", async function () {
    const port = k1.lines.find((l) => l.msg === "keeper started")!.metricsPort;
    // Each event that changes the cap: an increase, a decrease, a margin removal.
    await d.requestIncrease(2, positions.b!, WAD, 500n * USD);
    await d.requestDecrease(4, positions.d!, WAD);
    await d.removeMargin(1, positions.e!, 400n * USD);
    const round = await d.setPrice(0, 2760);
    await until(async () => {
      const executed = await d.events("OrderExecuted", round);
      const ids = executed.map((e) => e.args.positionId);
      return (ids.includes(positions.b) && ids.includes(positions.d)) || undefined;
    }, "the increase and the decrease executed");
    const head = Number(await d.client.getBlockNumber());
    await until(async () => (await metric(port, "keeper_processed_block")) >= head || undefined, "k1 at head");
    const db = new DatabaseSync(path.join(work.path, "k1.sqlite"), { readOnly: true });
    try {
      const rows = db.prepare("SELECT data FROM positions").all() as { data: string }[];
      const tracked = rows.map(
        (r) =>
          JSON.parse(r.data, (_k, v: unknown) =>
            typeof v === "string" && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v,
          ) as Record<string, unknown>,
      );
      expect(tracked.map((p) => p.id).sort()).to.deep.equal(
        [positions.b, positions.d, positions.e, positions.f].sort(),
      );
      for (const t of tracked) {
        const p = await d.position(t.id as bigint);
        const label = `position ${String(t.id)}`;
        expect(t.size, label).to.equal(p.size);
        expect(t.entryPrice, label).to.equal(p.entryPrice);
        expect(t.collateral, label).to.equal(p.collateral);
        expect(t.maxProfit, label).to.equal(p.maxProfit);
        expect(t.keeperReserve, label).to.equal(p.keeperReserve);
        // Derived from block times at the market's rate: exact while the rate is unchanged.
        expect(t.borrowIndex, label).to.equal(p.borrowIndex);
        expect(t.marketId, label).to.equal(Number(p.marketId));
        expect(t.isLong, label).to.equal(p.isLong);
      }
      // The cap moved with each change (nothing stale kept).
      const byId = new Map(tracked.map((t) => [t.id as bigint, t]));
      expect((await d.events("PositionIncreased", round)).map((e) => e.args.newMaxProfit)).to.deep.equal([
        byId.get(positions.b!)!.maxProfit,
      ]);
    } finally {
      db.close();
    }
  });

  it("rolls back a reorg (evm_snapshot / evm_revert) and tracks only what the chain has", async function () {
    const port = k1.lines.find((l) => l.msg === "keeper started")!.metricsPort;
    const snapshot = (await d.rpc("evm_snapshot")) as Hex;
    const g = await d.requestOpen(3, ETH, true, 3n * WAD, 3_000n * USD);
    await d.setPrice(0, 2760);
    await until(async () => (await d.position(g)).size > 0n, "g executed");
    await until(async () => (await metric(port, "keeper_positions_tracked")) === 5 || undefined, "5 tracked");
    await d.rpc("evm_revert", [snapshot]);
    for (let i = 0; i < 6; i++) await d.rpc("evm_mine");
    await k1.waitFor((l) => l.msg === "reorg: rolled back", "the reorg detected");
    await until(async () => (await metric(port, "keeper_positions_tracked")) === 4 || undefined, "4 tracked after");
    expect(await metric(port, "keeper_reorgs_total")).to.be.at.least(1);
    expect((await d.position(g)).owner).to.equal("0x0000000000000000000000000000000000000000");
  });

  it("competes with a second keeper (on a WebSocket): every position liquidated once, neither crashes", async function () {
    // The second keeper gets its heads pushed (ws://, the node serves both on one port).
    const k2 = startKeeper(args("k2.sqlite", node.url.replace(/^http/, "ws")), { KEEPER_PRIVATE_KEY: KEYS[8]! });
    try {
      await k2.waitFor((l) => l.msg === "keeper started", "k2 started");
      positions.h = await d.requestOpen(3, ETH, true, 3n * WAD, 900n * USD);
      positions.i = await d.requestOpen(4, ETH, true, 3n * WAD, 900n * USD);
      await d.setPrice(0, 2760);
      await until(async () => (await d.position(positions.i!)).size > 0n, "h, i opened");
      const round = await d.setPrice(0, 2540);
      await until(async () => {
        const e = await d.events("PositionLiquidated", round);
        return e.filter((x) => x.args.positionId === positions.h || x.args.positionId === positions.i).length === 2;
      }, "h and i liquidated");
      await new Promise((r) => setTimeout(r, 1_000));
      const all = await d.events("PositionLiquidated");
      expect(all.filter((x) => x.args.positionId === positions.h)).to.have.length(1);
      expect(all.filter((x) => x.args.positionId === positions.i)).to.have.length(1);
      expect(k1.child.exitCode).to.equal(null);
      expect(k2.child.exitCode).to.equal(null);
      // The pushed keeper followed the chain to its head.
      const k2Port = k2.lines.find((l) => l.msg === "keeper started")!.metricsPort;
      const head = Number(await d.client.getBlockNumber());
      await until(async () => (await metric(k2Port, "keeper_processed_block")) === head || undefined, "k2 at head");
    } finally {
      expect(await k2.stop("SIGTERM")).to.equal(0);
    }
  });

  it("waits while a base-fee spike makes liquidating unprofitable, and acts when it falls", async function () {
    positions.j = await d.requestOpen(1, ETH, true, 3n * WAD, 900n * USD);
    await d.setPrice(0, 2540);
    await until(async () => (await d.position(positions.j!)).size > 0n, "j opened");
    await d.rpc("hardhat_setNextBlockBaseFeePerGas", ["0x" + (5_000n * 10n ** 9n).toString(16)]);
    const round = await d.setPrice(0, 2330, 20_000n * 10n ** 9n);
    await k1.waitFor(
      (l) => l.msg === "not profitable at the current fee: waiting" && l.kind === "liquidations",
      "the keeper declines at 5,000 gwei",
    );
    expect((await d.position(positions.j!)).size).to.be.greaterThan(0n);
    // Empty blocks bring the base fee down 12.5 % each (evm_mine one by one: each block follows EIP-1559).
    for (let i = 0; i < 50; i++) await d.rpc("evm_mine");
    const e = await until(async () => {
      const logs = await d.events("PositionLiquidated", round);
      return logs.find((x) => x.args.positionId === positions.j);
    }, "j liquidated once the fee fell");
    expect(e.blockNumber).to.be.greaterThan(round + 20n);
  });

  it("replaces a transaction stuck while mining is paused", async function () {
    // The spike's tail: a 0.2 USD execution fee does not pay for gas at a few gwei (the keeper rightly waits).
    for (let i = 0; i < 60; i++) await d.rpc("evm_mine");
    positions.k = await d.requestOpen(2, ETH, true, 3n * WAD, 850n * USD);
    await d.setPrice(0, 2330);
    await until(async () => (await d.position(positions.k!)).size > 0n, "k opened");
    await d.rpc("evm_setAutomine", [false]);
    try {
      const sentBefore = k1.lines.filter((l) => l.msg === "replaced a stuck transaction").length;
      const w = d.wallet(0);
      await d.rpc("evm_increaseTime", [1]);
      await w.writeContract({
        address: d.feeds[0]!,
        abi: (await import("./support.js")).feedAbi,
        functionName: "updateAnswer",
        args: [2150n * 10n ** 8n],
      });
      await d.rpc("evm_mine");
      await until(
        async () => k1.lines.filter((l) => l.msg === "replaced a stuck transaction").length > sentBefore || undefined,
        "a replacement",
      );
    } finally {
      await d.rpc("evm_setAutomine", [true]);
      await d.rpc("evm_mine");
    }
    await until(
      async () => (await d.position(positions.k!)).owner === "0x0000000000000000000000000000000000000000",
      "k gone",
    );
    const all = await d.events("PositionLiquidated");
    expect(all.filter((x) => x.args.positionId === positions.k)).to.have.length(1);
  });

  describe("through a proxy", function () {
    let proxy: Proxy;
    let k3: KeeperProcess;
    before(async function () {
      proxy = await startProxy(node.url);
    });
    after(async function () {
      await k3?.stop("SIGKILL");
      await proxy?.close();
    });

    it("syncs from a provider that refuses large log ranges by halving the range", async function () {
      proxy.maxLogRange = 16;
      k3 = startKeeper([...args("k3.sqlite", proxy.url), "--dry-run"], {});
      await k3.waitFor((l) => l.msg === "provider refused the log range: halving it", "a halving");
      const port = (await k3.waitFor((l) => l.msg === "keeper started", "k3 started")).metricsPort;
      const k1Port = k1.lines.find((l) => l.msg === "keeper started")!.metricsPort;
      await until(async () => {
        const [a, b] = [await metric(port, "keeper_lag_blocks"), await metric(port, "keeper_processed_block")];
        return (a === 0 && b > 0) || undefined;
      }, "k3 caught up");
      expect(await metric(port, "keeper_positions_tracked")).to.equal(await metric(k1Port, "keeper_positions_tracked"));
      expect(proxy.refusedRanges).to.be.greaterThan(0);
    });

    it("survives the node going down and coming back", async function () {
      const port = k3.lines.find((l) => l.msg === "keeper started")!.metricsPort;
      proxy.down = true;
      await k3.waitFor((l) => l.msg === "poll failed; retrying", "a failed poll");
      proxy.down = false;
      await d.rpc("evm_mine");
      const head = Number(await d.client.getBlockNumber());
      await until(async () => (await metric(port, "keeper_processed_block")) === head || undefined, "k3 back at head");
      expect(k3.child.exitCode).to.equal(null);
    });
  });

  describe("shutdown", function () {
    it("shuts down cleanly on SIGTERM", async function () {
      expect(await k1.stop("SIGTERM")).to.equal(0);
      expect(k1.lines.at(-1)?.msg).to.equal("stopped");
    });
  });
});

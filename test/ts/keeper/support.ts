/**
 * Support of the keeper tests: the keeper run as an operator runs it (its own process, `node --import tsx
 * keeper/src/main.ts`), its JSON log lines collected; a JSON-RPC proxy that can refuse large log ranges or go down;
 * and a viem driver for the deployed system (traders, feeds, time).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import path from "node:path";

import {
  createPublicClient,
  createWalletClient,
  http,
  parseAbi,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";

import { iLiquidityPoolAbi, iMarginEngineAbi } from "../../../sdk/src/abis.js";
import { ROOT, scaled } from "../deploy/support/processes.js";

/** Hardhat's default accounts (public test keys). */
export const KEYS: Hex[] = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
  "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
  "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
  "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
  "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
];

export interface KeeperProcess {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  output: () => string;
  waitFor(
    pred: (line: Record<string, unknown>) => boolean,
    what: string,
    ms?: number,
  ): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of live) if (c.pid !== undefined && c.exitCode === null) process.kill(c.pid, "SIGKILL");
});

export function startKeeper(args: string[], env: Record<string, string> = {}): KeeperProcess {
  const child = spawn(
    process.execPath,
    ["--disable-warning=ExperimentalWarning", "--import", "tsx", path.join(ROOT, "keeper", "src", "main.ts"), ...args],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  live.add(child);
  const lines: Record<string, unknown>[] = [];
  let text = "";
  let partial = "";
  const waiters: (() => void)[] = [];
  child.stdout!.on("data", (chunk: Buffer) => {
    text += chunk.toString();
    partial += chunk.toString();
    const parts = partial.split("\n");
    partial = parts.pop()!;
    for (const p of parts) {
      try {
        lines.push(JSON.parse(p) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.on("data", (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      live.delete(child);
      resolve(code);
      for (const w of waiters.splice(0)) w();
    }),
  );
  return {
    child,
    lines,
    output: () => text,
    exited,
    async waitFor(pred, what, ms = scaled(60_000)) {
      const end = Date.now() + ms;
      for (let seen = 0; ;) {
        for (; seen < lines.length; seen++) if (pred(lines[seen]!)) return lines[seen]!;
        if (child.exitCode !== null)
          throw new Error(`keeper exited (${child.exitCode}) before: ${what}\n${text.slice(-3000)}`);
        if (Date.now() > end) throw new Error(`timed out waiting for: ${what}\n${text.slice(-3000)}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A JSON-RPC proxy that can refuse log ranges wider than `maxLogRange` and go down (refuse connections). */
export interface Proxy {
  url: string;
  maxLogRange: number | undefined;
  refusedRanges: number;
  down: boolean;
  close(): Promise<void>;
}

export async function startProxy(target: string): Promise<Proxy> {
  const sockets = new Set<Socket>();
  const state: Proxy = { url: "", maxLogRange: undefined, refusedRanges: 0, down: false, close: async () => undefined };
  const handle = async (req: { id: unknown; method: string; params?: unknown[] }): Promise<unknown> => {
    if (req.method === "eth_getLogs" && state.maxLogRange !== undefined) {
      const f = (req.params?.[0] ?? {}) as { fromBlock?: string; toBlock?: string };
      const from = Number(f.fromBlock ?? 0);
      const to = f.toBlock === undefined || f.toBlock === "latest" ? Number.MAX_SAFE_INTEGER : Number(f.toBlock);
      if (to - from + 1 > state.maxLogRange) {
        state.refusedRanges++;
        return {
          jsonrpc: "2.0",
          id: req.id,
          error: { code: -32005, message: `block range too large, max ${state.maxLogRange}` },
        };
      }
    }
    const response = await fetch(target, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(req),
    });
    return response.json();
  };
  const server: Server = createServer((req, res) => {
    if (state.down) {
      req.socket.destroy();
      return;
    }
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const parsed = JSON.parse(body) as unknown;
      const work = Array.isArray(parsed) ? Promise.all(parsed.map((r) => handle(r as never))) : handle(parsed as never);
      work
        .then((out) => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify(out));
        })
        .catch(() => req.socket.destroy());
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return state;
}

export const feedAbi = parseAbi([
  "function updateAnswer(int256 answer)",
  "function latestRoundData() view returns (uint80, int256, uint256, uint256, uint80)",
]);
export const erc20Abi = parseAbi([
  "function approve(address spender, uint256 amount) returns (bool)",
  "function balanceOf(address) view returns (uint256)",
]);

export const USD = 10n ** 6n;
export const WAD = 10n ** 18n;

/** Drives the deployed system with viem: traders' requests, feed rounds, time. */
export class Driver {
  readonly client: PublicClient;
  constructor(
    readonly url: string,
    readonly engine: Address,
    readonly pool: Address,
    readonly asset: Address,
    readonly feeds: Address[],
  ) {
    this.client = createPublicClient({ transport: http(url), cacheTime: 0 });
  }

  wallet(i: number) {
    return createWalletClient({ account: privateKeyToAccount(KEYS[i]!), transport: http(url(this)), chain: hardhat });
  }

  async rpc(method: string, params: unknown[] = []): Promise<unknown> {
    return this.client.request({ method: method as never, params: params as never });
  }

  async mined(hash: Hex): Promise<bigint> {
    const r = await this.client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    if (r.status !== "success") throw new Error(`transaction ${hash} reverted`);
    return r.blockNumber;
  }

  async approve(i: number): Promise<void> {
    const w = this.wallet(i);
    await this.mined(
      await w.writeContract({
        address: this.asset,
        abi: erc20Abi,
        functionName: "approve",
        args: [this.engine, 2n ** 255n],
      }),
    );
  }

  /** Requests an open; returns the position id. */
  async requestOpen(i: number, market: bigint, isLong: boolean, size: bigint, collateral: bigint): Promise<bigint> {
    const w = this.wallet(i);
    const acceptable = isLong ? 10n ** 30n : 1n;
    const deadline = BigInt(Math.floor(Date.now() / 1000)) + 10n ** 6n;
    const { result, request } = await this.client.simulateContract({
      account: w.account,
      address: this.engine,
      abi: iMarginEngineAbi,
      functionName: "requestOpen",
      args: [market, isLong, size, collateral, acceptable, deadline, USD / 5n],
    });
    await this.mined(await w.writeContract(request));
    return result;
  }

  /** Requests an increase (size and collateral added) of `id`, owned by account `i`. */
  async requestIncrease(i: number, id: bigint, sizeDelta: bigint, collateralDelta: bigint): Promise<void> {
    const w = this.wallet(i);
    const p = await this.position(id);
    const deadline = BigInt(Math.floor(Date.now() / 1000)) + 10n ** 6n;
    await this.mined(
      await w.writeContract({
        address: this.engine,
        abi: iMarginEngineAbi,
        functionName: "requestIncrease",
        args: [id, sizeDelta, collateralDelta, p.isLong ? 10n ** 30n : 1n, deadline, USD / 5n],
      }),
    );
  }

  /** Requests a decrease of `id`'s size, owned by account `i`. */
  async requestDecrease(i: number, id: bigint, sizeDelta: bigint): Promise<void> {
    const w = this.wallet(i);
    const p = await this.position(id);
    const deadline = BigInt(Math.floor(Date.now() / 1000)) + 10n ** 6n;
    await this.mined(
      await w.writeContract({
        address: this.engine,
        abi: iMarginEngineAbi,
        functionName: "requestDecrease",
        args: [id, sizeDelta, p.isLong ? 1n : 10n ** 30n, deadline, USD / 5n, w.account.address],
      }),
    );
  }

  async removeMargin(i: number, id: bigint, amount: bigint): Promise<void> {
    const w = this.wallet(i);
    await this.mined(
      await w.writeContract({
        address: this.engine,
        abi: iMarginEngineAbi,
        functionName: "removeMargin",
        args: [id, amount, w.account.address],
      }),
    );
  }

  /** A new feed round at `price` (USD, 8 decimals), one second after the last block. */
  async setPrice(market: number, usd: number, maxFeePerGas?: bigint): Promise<bigint> {
    await this.rpc("evm_increaseTime", [1]);
    const w = this.wallet(0);
    return this.mined(
      await w.writeContract({
        address: this.feeds[market]!,
        abi: feedAbi,
        functionName: "updateAnswer",
        args: [BigInt(Math.round(usd * 1e8))],
        ...(maxFeePerGas === undefined ? {} : { maxFeePerGas, maxPriorityFeePerGas: 10n ** 9n }),
      }),
    );
  }

  async position(id: bigint) {
    return this.client.readContract({
      address: this.engine,
      abi: iMarginEngineAbi,
      functionName: "position",
      args: [id],
    });
  }

  async events(eventName: string, fromBlock = 0n) {
    const logs = await this.client.getContractEvents({
      address: [this.engine, this.pool],
      abi: [...iMarginEngineAbi, ...iLiquidityPoolAbi],
      eventName: eventName as never,
      fromBlock,
    });
    return logs as unknown as { args: Record<string, unknown>; blockNumber: bigint; transactionHash: Hex }[];
  }
}

function url(d: Driver): string {
  return d.url;
}

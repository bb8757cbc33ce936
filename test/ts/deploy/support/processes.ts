/**
 * Child processes of the deploy tests: `hardhat node` instances on free loopback ports, and the project's scripts run
 * as a user runs them (`hardhat run <script> --network <name>`). Every process is started in its own process group
 * and killed with it when the test ends, or when the test process exits, whatever happened.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const HARDHAT_CLI = path.join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
const NODE_CONFIG = path.join(ROOT, "test", "ts", "deploy", "support", "hardhat-node.config.ts");

/**
 * Waits scale with the machine: BULKHEAD_TEST_TIMEOUT_SCALE (default 1) multiplies every one of them, and the base
 * values are generous (a loaded 2-core machine starts a node in well under a minute). Nothing sleeps a fixed time:
 * every wait polls for the state it needs.
 */
export const TIMEOUT_SCALE = Math.max(1, Number(process.env.BULKHEAD_TEST_TIMEOUT_SCALE ?? "1") || 1);
export const scaled = (ms: number): number => Math.round(ms * TIMEOUT_SCALE);

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) killGroup(child);
});
// The children run in their own process groups, so a Ctrl-C in the terminal does not reach them: pass it on.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    for (const child of live) killGroup(child);
    process.exit(128 + (signal === "SIGINT" ? 2 : 15));
  });
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/** Kills a child (and its group) and waits until it has exited. */
export async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  killGroup(child);
  await exited;
}

/** The environment of a child: this one, minus what `hardhat test` sets for its own process (global options). */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("HARDHAT_") && !key.startsWith("BULKHEAD_") && !key.startsWith("SEPOLIA_")) env[key] = value;
  }
  return { ...env, ...extra };
}

// ------------------------------------------------------------------ nodes

export interface TestNode {
  url: string;
  chainId: number;
  stop(): Promise<void>;
}

/**
 * Starts `hardhat node` on a free loopback port (the node picks it: no race) and waits until it answers JSON-RPC with
 * the chain id asked for. The node's own config points at an empty artifacts folder, so starting it compiles nothing.
 */
export async function startNode(chainId: number, workDir: string): Promise<TestNode> {
  const args = [
    HARDHAT_CLI,
    "--config",
    NODE_CONFIG,
    "node",
    "--hostname",
    "127.0.0.1",
    "--port",
    "0",
    "--chain-id",
    `${chainId}`,
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    // Under `npm run coverage` the node must accept the instrumented, oversized contracts (see hardhat-node.config).
    env: childEnv({
      BULKHEAD_TEST_NODE_DIR: workDir,
      ...(process.env.BULKHEAD_COVERAGE === "1" ? { BULKHEAD_COVERAGE: "1" } : {}),
    }),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  child.once("exit", () => live.delete(child));
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const limit = scaled(240_000);
    const timer = setTimeout(
      () =>
        reject(new Error(`hardhat node did not start in ${limit / 1000} s (BULKHEAD_TEST_TIMEOUT_SCALE):\n${output}`)),
      limit,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /JSON-RPC server at (http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        resolve(match[1]);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`hardhat node exited with ${code}:\n${output}`));
    });
  });
  // Keep draining the node's log so it never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  await untilServing(url, chainId, scaled(120_000));
  return { url, chainId, stop: () => kill(child) };
}

/** Polls `eth_chainId` (backing off up to 1 s) until the node answers with `chainId`. */
async function untilServing(url: string, chainId: number, limit: number): Promise<void> {
  const deadline = Date.now() + limit;
  let pause = 50;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      const { result } = (await response.json()) as { result?: string };
      if (result !== undefined && Number(result) === chainId) return;
      last = `answered ${result}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(1_000, pause * 2);
  }
  throw new Error(`the node at ${url} did not serve chain ${chainId} within ${limit / 1000} s (last: ${last})`);
}

// ------------------------------------------------------------------ scripts

export interface ScriptRun {
  child: ChildProcess;
  /** Resolves when the script exits. */
  result: Promise<ScriptResult>;
}

export interface ScriptResult {
  code: number | null;
  output: string;
}

/** Runs `hardhat run --no-compile <script> --network <network>` (the test run compiled already). */
export function runScript(script: string, network: string, env: Record<string, string>): ScriptRun {
  const args = [HARDHAT_CLI, "run", "--no-compile", "--network", network, script];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: childEnv(env), detached: true });
  live.add(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const result = new Promise<ScriptResult>((resolve) =>
    child.once("exit", (code) => {
      live.delete(child);
      resolve({ code, output });
    }),
  );
  return { child, result };
}

/** Runs a script to completion; fails with its output if the exit code is not the expected one. */
export async function runToEnd(
  script: string,
  network: string,
  env: Record<string, string>,
  expectedCode = 0,
): Promise<string> {
  const { code, output } = await runScript(script, network, env).result;
  if (code !== expectedCode)
    throw new Error(`${script} on ${network} exited with ${code}, expected ${expectedCode}:\n${output}`);
  return output;
}

// ------------------------------------------------------------------ temporary folders

export function temporaryDir(prefix: string): { path: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { path: dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

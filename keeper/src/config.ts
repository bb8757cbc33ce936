/**
 * The keeper's configuration: one zod schema over flags and environment variables, checked once at start-up. Every
 * mistake is reported on its own line with the flag and the variable that set it; `ConfigError` carries them all so
 * `main` can print them and exit non-zero without a stack trace.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

import { isHex, type Hex } from "viem";
import { z } from "zod";

/** One option: its flag, its environment variable and its help line. */
interface OptionSpec {
  flag: string;
  env: string;
  help: string;
  /** Repeatable (`--rpc-url a --rpc-url b`, or comma-separated in the environment). */
  multiple?: boolean;
  /** A switch (`--dry-run`): no value. */
  boolean?: boolean;
  default?: string;
}

/** Every option, in the order `--help` lists them. */
export const OPTIONS = {
  rpcUrls: {
    flag: "rpc-url",
    env: "KEEPER_RPC_URLS",
    multiple: true,
    help: "JSON-RPC endpoint, http(s):// or ws(s):// (new heads pushed: the fastest reaction); repeat for fallbacks (tried in order). Env: comma-separated.",
  },
  deployment: { flag: "deployment", env: "KEEPER_DEPLOYMENT", help: "Deployment record, deployments/<chainId>.json." },
  keystore: {
    flag: "keystore",
    env: "KEEPER_KEYSTORE",
    help: "Encrypted JSON keystore (Web3 secret storage v3) holding the signing key; its password comes from KEEPER_KEYSTORE_PASSWORD. Alternative to KEEPER_PRIVATE_KEY (env only).",
  },
  db: { flag: "db", env: "KEEPER_DB", default: "keeper-<chainId>.sqlite", help: "SQLite state file." },
  dryRun: { flag: "dry-run", env: "KEEPER_DRY_RUN", boolean: true, help: "Find and simulate, send nothing." },
  shard: { flag: "shard", env: "KEEPER_SHARD", default: "0/1", help: "i/n: act only on ids with id mod n = i." },
  pollMs: {
    flag: "poll-ms",
    env: "KEEPER_POLL_MS",
    default: "250",
    help: "How often to ask for a new block over HTTP, ms (over a WebSocket heads are pushed; the poll is a safety net).",
  },
  reorgDepth: {
    flag: "reorg-depth",
    env: "KEEPER_REORG_DEPTH",
    default: "12",
    help: "Blocks re-checked (and rolled back if replaced) on every poll.",
  },
  logRange: {
    flag: "log-range",
    env: "KEEPER_LOG_RANGE",
    default: "10000",
    help: "Largest eth_getLogs block range; halved while the provider refuses.",
  },
  startBlock: {
    flag: "start-block",
    env: "KEEPER_START_BLOCK",
    help: "First block to scan on an empty database (default: the record's deploymentBlock).",
  },
  minProfitUsd: {
    flag: "min-profit-usd",
    env: "KEEPER_MIN_PROFIT_USD",
    default: "0",
    help: "Send a batch only if reward − gas cost is at least this, USD.",
  },
  profitMargin: {
    flag: "profit-margin",
    env: "KEEPER_PROFIT_MARGIN",
    default: "0.1",
    help: "Send a batch only if reward ≥ gas cost × (1 + margin).",
  },
  nativeUsd: {
    flag: "native-usd",
    env: "KEEPER_NATIVE_USD",
    help: "USD price of the gas token; default: the deployment's ETH-USD market price.",
  },
  maxFeeGwei: {
    flag: "max-fee-gwei",
    env: "KEEPER_MAX_FEE_GWEI",
    default: "500",
    help: "Cap on maxFeePerGas, also for replacements, gwei.",
  },
  priorityFeeGwei: {
    flag: "priority-fee-gwei",
    env: "KEEPER_PRIORITY_FEE_GWEI",
    default: "1",
    help: "maxPriorityFeePerGas of a first send, gwei.",
  },
  replaceAfterMs: {
    flag: "replace-after-ms",
    env: "KEEPER_REPLACE_AFTER_MS",
    default: "6000",
    help: "Replace a transaction not mined after this long (same nonce, fees × 1.25, up to the cap).",
  },
  batchSize: { flag: "batch-size", env: "KEEPER_BATCH_SIZE", default: "100", help: "Most ids per batch transaction." },
  warnHealth: {
    flag: "warn-health",
    env: "KEEPER_WARN_HEALTH",
    default: "1.2",
    help: "Margin call when equity / maintenance falls below this (1 = liquidatable).",
  },
  webhook: {
    flag: "webhook",
    env: "KEEPER_WEBHOOK_URL",
    help: "POST margin calls here as JSON (optional).",
  },
  cancelStale: {
    flag: "no-cancel",
    env: "KEEPER_NO_CANCEL",
    boolean: true,
    help: "Do not cancel orders that can no longer execute (cancelling refunds the trader and earns nothing).",
  },
  metricsPort: {
    flag: "metrics-port",
    env: "KEEPER_METRICS_PORT",
    default: "9464",
    help: "Port of /metrics and /healthz on 127.0.0.1 (0: any free port; -1: none).",
  },
  logLevel: { flag: "log-level", env: "KEEPER_LOG_LEVEL", default: "info", help: "trace, debug, info, warn, error." },
  help: { flag: "help", env: "", boolean: true, help: "Show this help." },
} as const satisfies Record<string, OptionSpec>;

type OptionKey = keyof typeof OPTIONS;

/** The text of `--help`. */
export function helpText(): string {
  const lines = [
    "Bulkhead keeper: executes orders and LP requests, takes profit at the cap, liquidates.",
    "",
    "Usage: npm run keeper -- --rpc-url <url> --deployment deployments/<chainId>.json [options]",
    "Signing key: KEEPER_PRIVATE_KEY (0x-prefixed, 32 bytes) or --keystore <file> with KEEPER_KEYSTORE_PASSWORD.",
    "Not needed with --dry-run.",
    "",
    "Options (flag, environment variable, default):",
  ];
  for (const spec of Object.values(OPTIONS) as OptionSpec[]) {
    const flag = `--${spec.flag}${spec.boolean ? "" : " <value>"}`;
    const tail = [spec.env, "default" in spec && spec.default !== undefined ? `default ${spec.default}` : ""]
      .filter(Boolean)
      .join(", ");
    lines.push(`  ${flag.padEnd(28)} ${spec.help}${tail === "" ? "" : ` [${tail}]`}`);
  }
  return lines.join("\n");
}

/** A configuration mistake: every problem found, each one line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid keeper configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

const positiveInt = (what: string) =>
  z
    .string()
    .regex(/^\d+$/, `${what} must be a whole number`)
    .transform(Number)
    .refine((n) => n > 0, `${what} must be above zero`);
const nonNegativeNumber = (what: string) =>
  z
    .string()
    .refine((s) => s.trim() !== "" && Number.isFinite(Number(s)) && Number(s) >= 0, `${what} must be a number ≥ 0`)
    .transform(Number);

const urlSchema = z.string().refine((s) => /^https?:\/\/[^\s]+$/.test(s) && URL.canParse(s), "must be an http(s) URL");
const rpcUrlSchema = z
  .string()
  .refine((s) => /^(https?|wss?):\/\/[^\s]+$/.test(s) && URL.canParse(s), "must be an http(s) or ws(s) URL");

const schema = z.object({
  rpcUrls: z.array(rpcUrlSchema).min(1, "at least one --rpc-url is needed"),
  deployment: z.string({ error: "is required (the deployment record, deployments/<chainId>.json)" }).min(1),
  keystore: z.string().optional(),
  db: z.string().optional(),
  dryRun: z.boolean(),
  shard: z
    .string()
    .regex(/^\d+\/\d+$/, "must be i/n, like 0/2")
    .transform((s) => s.split("/").map(Number) as [number, number])
    .refine(([i, n]) => n >= 1 && i < n, "needs n ≥ 1 and 0 ≤ i < n"),
  pollMs: positiveInt("poll interval"),
  reorgDepth: z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .refine((n) => n <= 1000, "must be at most 1000"),
  logRange: positiveInt("log range"),
  startBlock: z.string().regex(/^\d+$/, "must be a block number").transform(BigInt).optional(),
  minProfitUsd: nonNegativeNumber("minimum profit"),
  profitMargin: nonNegativeNumber("profit margin"),
  nativeUsd: nonNegativeNumber("gas token price").optional(),
  maxFeeGwei: nonNegativeNumber("fee cap").refine((n) => n > 0, "must be above zero"),
  priorityFeeGwei: nonNegativeNumber("priority fee"),
  replaceAfterMs: positiveInt("replacement delay"),
  batchSize: positiveInt("batch size"),
  warnHealth: nonNegativeNumber("warning health").refine((n) => n >= 1, "must be at least 1"),
  webhook: urlSchema.optional(),
  cancelStale: z.boolean(),
  metricsPort: z
    .string()
    .regex(/^-?\d+$/, "must be a port number")
    .transform(Number)
    .refine((n) => n >= -1 && n <= 65535, "must be a port (0 for any, -1 for none)"),
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]),
});

export type KeeperConfig = Omit<z.output<typeof schema>, "keystore"> & {
  /** The signing key; undefined only in a dry run without a key. */
  privateKey: Hex | undefined;
  /** Where the key came from, for the start-up log line. */
  keySource: "env" | "keystore" | "none";
};

/** What the keeper's core uses (the rest is the process's: where to connect, the database, metrics, logs, key). */
export type KeeperOptions = Omit<
  KeeperConfig,
  "rpcUrls" | "deployment" | "db" | "metricsPort" | "logLevel" | "privateKey" | "keySource"
>;

/** Every core option at its default, with `overrides` on top (for a keeper run in process, like the demo's). */
export function keeperOptions(overrides: Partial<KeeperOptions> = {}): KeeperOptions {
  const raw: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(OPTIONS) as [OptionKey, OptionSpec][]) {
    raw[key] = spec.boolean ? key === "cancelStale" : spec.multiple ? ["http://unused"] : spec.default;
  }
  raw.deployment = "unused";
  const parsed = schema.parse(raw);
  const { rpcUrls: _u, deployment: _d, db: _db, metricsPort: _m, logLevel: _l, keystore: _k, ...options } = parsed;
  return { ...options, ...overrides };
}

/**
 * Reads flags (`argv`, without node and the script) and environment variables; a flag wins over its variable. Throws
 * `ConfigError` listing every mistake, or returns `"help"` when `--help` was asked for.
 */
export async function loadConfig(argv: string[], env: NodeJS.ProcessEnv): Promise<KeeperConfig | "help"> {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = {};
  for (const spec of Object.values(OPTIONS) as OptionSpec[]) {
    options[spec.flag] = { type: spec.boolean ? "boolean" : "string", ...(spec.multiple ? { multiple: true } : {}) };
  }
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (error) {
    // Node's messages name the flag ("Unknown option '--rcp-url'"); the help hint says what exists.
    throw new ConfigError([`${(error as Error).message.split(". ")[0]} (see --help)`]);
  }
  if (values.help === true) return "help";

  const raw: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  for (const [key, spec] of Object.entries(OPTIONS) as [OptionKey, OptionSpec][]) {
    const fromFlag = values[spec.flag];
    const fromEnv = spec.env === "" ? undefined : env[spec.env];
    if (spec.boolean) {
      const on = fromFlag === true || (fromEnv !== undefined && /^(1|true|yes)$/i.test(fromEnv));
      // `--no-cancel` switches cancelling off.
      raw[key] = key === "cancelStale" ? !on : on;
    } else if (spec.multiple) {
      raw[key] =
        fromFlag !== undefined
          ? (fromFlag as string[]).flatMap((s) => s.split(","))
          : fromEnv !== undefined
            ? fromEnv.split(",").filter((s) => s !== "")
            : [];
    } else {
      raw[key] = fromFlag ?? fromEnv ?? spec.default;
    }
    origin[key] = fromFlag !== undefined ? `--${spec.flag}` : fromEnv !== undefined ? spec.env : `--${spec.flag}`;
  }

  const problems: string[] = [];
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0]) as OptionKey;
      const shown =
        raw[key] === undefined
          ? ""
          : ` (got ${JSON.stringify(issue.path.length > 1 ? (raw[key] as unknown[])[issue.path[1] as number] : raw[key])})`;
      problems.push(`${origin[key] ?? key}: ${issue.message}${shown}`);
    }
  }

  let privateKey: Hex | undefined;
  let keySource: KeeperConfig["keySource"] = "none";
  const envKey = env.KEEPER_PRIVATE_KEY;
  const keystore = raw.keystore as string | undefined;
  if (envKey !== undefined && keystore !== undefined) {
    problems.push("KEEPER_PRIVATE_KEY and --keystore are both set: use one");
  } else if (envKey !== undefined) {
    const key = envKey.startsWith("0x") ? envKey : `0x${envKey}`;
    if (!isHex(key) || key.length !== 66) problems.push("KEEPER_PRIVATE_KEY: must be 32 bytes of hex (64 digits)");
    else {
      privateKey = key;
      keySource = "env";
    }
  } else if (keystore !== undefined) {
    const password = env.KEEPER_KEYSTORE_PASSWORD;
    if (password === undefined) problems.push(`${origin.keystore}: needs KEEPER_KEYSTORE_PASSWORD`);
    else {
      try {
        privateKey = await decryptKeystore(keystore, password);
        keySource = "keystore";
      } catch (error) {
        problems.push(`${origin.keystore}: ${(error as Error).message}`);
      }
    }
  } else if (raw.dryRun !== true) {
    problems.push("no signing key: set KEEPER_PRIVATE_KEY or --keystore (or use --dry-run)");
  }

  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  const { keystore: _unused, ...rest } = parsed.data;
  return { ...rest, privateKey, keySource };
}

/** Decrypts a Web3 secret-storage (v3) keystore with ethers' implementation (scrypt or pbkdf2). */
async function decryptKeystore(file: string, password: string): Promise<Hex> {
  let json: string;
  try {
    json = readFileSync(file, "utf8");
  } catch {
    throw new Error(`cannot read ${file}`);
  }
  const { decryptKeystoreJson, isKeystoreJson } = await import("ethers");
  if (!isKeystoreJson(json)) throw new Error(`${file} is not an encrypted JSON keystore`);
  try {
    const account = await decryptKeystoreJson(json, password);
    return account.privateKey as Hex;
  } catch {
    throw new Error(`cannot decrypt ${file}: wrong password or damaged file`);
  }
}

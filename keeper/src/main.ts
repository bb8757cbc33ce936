/**
 * `npm run keeper -- --rpc-url <url> --deployment deployments/<chainId>.json`: validates the configuration, opens the
 * state database, serves metrics and /healthz, and runs the keeper until SIGINT / SIGTERM (it then finishes the
 * current pass, waits briefly for transactions in flight, closes the database and exits 0). Exit codes: 0 clean,
 * 2 configuration mistake, 1 anything else at start-up.
 */
import { resolve } from "node:path";

import { privateKeyToAccount } from "viem/accounts";

import { loadDeployment } from "../../sdk/src/node.js";
import { closeClient, publicClientFor } from "./chain.js";
import { ConfigError, helpText, loadConfig, type KeeperConfig } from "./config.js";
import { Keeper } from "./keeper.js";
import { createLogger, type Logger } from "./log.js";
import { createMetrics, serveMetrics } from "./metrics.js";
import { shortError } from "./sender.js";
import { STATE_SCHEMA, Store } from "./store.js";

async function main(): Promise<number> {
  let config: KeeperConfig | "help";
  try {
    config = await loadConfig(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nRun with --help for every option.\n`);
      return 2;
    }
    throw error;
  }
  if (config === "help") {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  const log = createLogger(config.logLevel);
  try {
    return await run(config, log);
  } catch (error) {
    if (error instanceof ConfigError) {
      log.fatal({ problems: error.problems }, "invalid configuration");
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    log.fatal({ err: shortError(error) }, "keeper stopped");
    return 1;
  }
}

async function run(config: KeeperConfig, log: Logger): Promise<number> {
  let deployment;
  try {
    deployment = await loadDeployment(config.deployment);
  } catch (error) {
    throw new ConfigError([`--deployment: ${shortError(error)}`]);
  }
  if (deployment.addresses.bulkheadLens === undefined) {
    throw new ConfigError(["--deployment: the record has no lens (contracts.lens); the keeper reads it every block"]);
  }
  const client = publicClientFor(config.rpcUrls);
  let chainId: number;
  try {
    chainId = await client.getChainId();
  } catch (error) {
    throw new ConfigError([`--rpc-url: no answer from ${config.rpcUrls.join(", ")} (${shortError(error)})`]);
  }
  if (chainId !== deployment.chainId) {
    throw new ConfigError([`--deployment is for chain ${deployment.chainId} but --rpc-url serves chain ${chainId}`]);
  }
  const noEthMarket = !deployment.markets.some((m) => /^ETH-USD$/i.test(m.name ?? ""));
  if (config.nativeUsd === undefined && noEthMarket) {
    throw new ConfigError(["--native-usd is needed: the deployment has no ETH-USD market to price gas with"]);
  }
  const dbPath = resolve(config.db ?? `keeper-${chainId}.sqlite`);
  const store = new Store(dbPath);
  const engine = deployment.addresses.marginEngine.toLowerCase();
  const recorded = store.meta("engine");
  if (recorded !== undefined && recorded !== engine) {
    store.close();
    throw new ConfigError([`--db ${dbPath} holds the state of engine ${recorded}, not ${engine}: use another file`]);
  }
  const schema = store.meta("schema");
  if (recorded !== undefined && schema !== STATE_SCHEMA) {
    store.close();
    throw new ConfigError([`--db ${dbPath} was written by another keeper version: delete it (a rescan rebuilds it)`]);
  }
  store.writeMeta("engine", engine);
  store.writeMeta("schema", STATE_SCHEMA);
  store.writeMeta("chainId", String(chainId));

  const account = config.privateKey === undefined ? undefined : privateKeyToAccount(config.privateKey);
  const metrics = createMetrics();
  const {
    rpcUrls: _u,
    deployment: _d,
    db: _db,
    metricsPort: _m,
    logLevel: _l,
    privateKey: _k,
    keySource: _s,
    ...options
  } = config;
  const keeper = new Keeper({ options, deployment, client, account, store, metrics, log });
  const staleAfterMs = Math.max(30_000, config.pollMs * 20);
  const server =
    config.metricsPort < 0
      ? undefined
      : await serveMetrics(metrics, config.metricsPort, () => {
          const lag = keeper.head - (store.cursor()?.block ?? 0n);
          const fresh = Date.now() - keeper.lastOk < staleAfterMs;
          return {
            ok: fresh && lag <= 5n,
            detail: { head: keeper.head, lag, lastOkMsAgo: Date.now() - keeper.lastOk },
          };
        });
  log.info(
    {
      chainId,
      engine,
      db: dbPath,
      account: account?.address,
      keySource: config.keySource,
      dryRun: config.dryRun,
      shard: config.shard.join("/"),
      rpcUrls: config.rpcUrls.length,
      metricsPort: server?.port,
      positions: keeper.book.size,
      cursor: store.cursor()?.block,
    },
    "keeper started",
  );

  const stopping = new AbortController();
  const stop = (signal: string): void => {
    if (stopping.signal.aborted) return;
    log.info({ signal }, "shutting down");
    stopping.abort();
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  await keeper.run(stopping.signal, (error) => log.error({ err: shortError(error) }, "poll failed; retrying"));
  await keeper.shutdown();
  await closeClient(client);
  store.close();
  await new Promise<void>((r) => (server === undefined ? r() : server.server.close(() => r())));
  log.info("stopped");
  return 0;
}

process.exitCode = await main();

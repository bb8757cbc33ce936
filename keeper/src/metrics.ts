/**
 * Prometheus metrics (prom-client, one registry per keeper) and the HTTP server that serves them with `/healthz`.
 * Healthy means: the last poll succeeded recently and the keeper is not far behind the head.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export type JobKind = "orders" | "liquidations" | "takeProfits" | "deposits" | "redeems";

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "keeper_process_" });
  const g = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const c = (name: string, help: string, labelNames: string[] = []) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  return {
    registry,
    positions: g("keeper_positions_tracked", "Open positions tracked (this shard)"),
    orders: g("keeper_orders_tracked", "Pending orders tracked (this shard)"),
    lpRequests: g("keeper_lp_requests_tracked", "Pending LP requests tracked", ["kind"]),
    atRisk: g("keeper_positions_at_risk", "Positions below the warning health"),
    liquidatable: g("keeper_positions_liquidatable", "Positions liquidatable at the last evaluation"),
    atCap: g("keeper_positions_at_cap", "Positions at their profit cap at the last evaluation"),
    marginCalls: c("keeper_margin_calls_total", "Margin-call warnings issued"),
    actionsSent: c("keeper_actions_sent_total", "Transactions sent (replacements included)", ["kind"]),
    actionsConfirmed: c("keeper_actions_confirmed_total", "Transactions mined successfully", ["kind"]),
    actionsFailed: c("keeper_actions_failed_total", "Transactions that reverted, were dropped or failed to send", [
      "kind",
    ]),
    itemsDone: c("keeper_items_done_total", "Orders, positions and requests handled by this keeper", ["kind"]),
    lostRaces: c("keeper_lost_races_total", "Candidates another keeper handled first", ["kind"]),
    skippedUnprofitable: c("keeper_skipped_unprofitable_total", "Batches not sent: reward below gas cost", ["kind"]),
    rewards: c("keeper_rewards_asset_units_total", "Fees and rewards earned, settlement-asset units", ["kind"]),
    gasSpent: c("keeper_gas_spent_wei_total", "Gas paid, wei"),
    lagBlocks: g("keeper_lag_blocks", "Head block minus last processed block"),
    headBlock: g("keeper_head_block", "Latest block seen"),
    processedBlock: g("keeper_processed_block", "Last block applied to the database"),
    reorgs: c("keeper_reorgs_total", "Reorgs detected and rolled back"),
    rpcErrors: c("keeper_rpc_errors_total", "Failed polls (RPC errors)"),
    evalSeconds: new Histogram({
      name: "keeper_evaluation_seconds",
      help: "CPU time of one evaluation pass",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

export interface Health {
  ok: boolean;
  detail: Record<string, unknown>;
}

/** Serves `/metrics` and `/healthz` (200 when healthy, 503 otherwise) on 127.0.0.1. */
export async function serveMetrics(
  metrics: Metrics,
  port: number,
  health: () => Health,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.url === "/metrics") {
      metrics.registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { "content-type": metrics.registry.contentType });
          res.end(text);
        })
        .catch((error: Error) => {
          res.writeHead(500);
          res.end(error.message);
        });
      return;
    }
    if (req.url === "/healthz") {
      const h = health();
      res.writeHead(h.ok ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify(h, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}

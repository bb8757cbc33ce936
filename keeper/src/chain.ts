/**
 * Everything the keeper asks the node: viem clients over one or more RPC URLs (tried in order, with fallback; ws://
 * URLs get a WebSocket transport, so new heads are pushed), `eth_getLogs` in chunks that halve while the provider
 * refuses the range, and the one snapshot per block: the lens's `market(id)` for each market and the pool's LP
 * execution status, sent together (one round trip over HTTP batching). Nothing here is Hardhat-specific: the keeper's
 * core takes any viem `PublicClient` (the demo builds one on Hardhat's embedded chain's EIP-1193 provider).
 */
import {
  createPublicClient,
  fallback,
  http,
  webSocket,
  type Address,
  type Log,
  type PublicClient,
  type Transport,
} from "viem";

import { iBulkheadLensAbi, iLiquidityPoolAbi, iRiskConfigAbi } from "../../sdk/src/abis.js";
import type { Logger } from "./log.js";

export const isWebSocketUrl = (url: string): boolean => /^wss?:\/\//i.test(url);

/**
 * The keeper's HTTP transport: requests issued in the same tick go out as one JSON-RPC batch (the snapshot and the
 * logs of a pass, the confirmation and the simulation of its batches).
 */
export function httpTransport(url: string, onFetchRequest?: (request: Request, init: RequestInit) => void): Transport {
  return http(url, {
    batch: { batchSize: 500, wait: 0 },
    retryCount: 1,
    retryDelay: 100,
    timeout: 10_000,
    ...(onFetchRequest === undefined ? {} : { onFetchRequest }),
  });
}

/** One transport over every URL: the first that answers serves, the next takes over when it fails. */
export function transportFor(urls: string[]): Transport {
  const transports = urls.map((url) =>
    isWebSocketUrl(url)
      ? webSocket(url, {
          keepAlive: true,
          reconnect: { attempts: 1_000_000, delay: 1_000 },
          retryCount: 1,
          timeout: 10_000,
        })
      : httpTransport(url),
  );
  return transports.length === 1 ? transports[0]! : fallback(transports, { rank: false, retryCount: 1 });
}

export function publicClientFor(urls: string[]): PublicClient {
  return createPublicClient({ transport: transportFor(urls), cacheTime: 0 });
}

/** Closes the client's WebSocket connections (an open socket would keep the process alive after shutdown). */
export async function closeClient(client: PublicClient): Promise<void> {
  type Socketed = { getRpcClient?: () => Promise<{ close(): void }> };
  const t = client.transport as Socketed & { transports?: { value?: Socketed }[] };
  const sockets = t.transports === undefined ? [t] : t.transports.map((x) => x.value ?? {});
  for (const s of sockets) if (s.getRpcClient !== undefined) (await s.getRpcClient()).close();
}

/** Messages providers use to refuse a log query that is too large (Alchemy, Infura, QuickNode, geth, erigon, …). */
const RANGE_REFUSED =
  /range|too many|limit|exceed|10000|query returned more|block range|response size|-32005|timeout|timed out/i;

/**
 * Logs of `addresses` over [from, to], fetched in chunks of at most `maxRange` blocks. A chunk the provider refuses is
 * halved until it passes (down to one block); the range that worked is kept for the next call (`state.range`).
 */
export async function getLogsChunked(
  client: PublicClient,
  addresses: Address[],
  from: bigint,
  to: bigint,
  state: { range: bigint; maxRange: bigint },
  log: Logger,
  onChunk?: (logs: Log[], chunkTo: bigint) => Promise<void> | void,
): Promise<Log[]> {
  const all: Log[] = [];
  let start = from;
  while (start <= to) {
    const end = start + state.range - 1n < to ? start + state.range - 1n : to;
    let logs: Log[];
    try {
      logs = await client.getLogs({ address: addresses, fromBlock: start, toBlock: end });
    } catch (error) {
      const message = `${(error as Error).message} ${JSON.stringify((error as { details?: unknown }).details ?? "")}`;
      if (end > start && RANGE_REFUSED.test(message)) {
        state.range = (end - start + 1n) / 2n;
        log.warn({ from: start, to: end, range: state.range }, "provider refused the log range: halving it");
        continue;
      }
      throw error;
    }
    if (onChunk !== undefined) await onChunk(logs, end);
    else all.push(...logs);
    start = end + 1n;
    // Grow back slowly after a refusal, never above the configured range.
    if (state.range < state.maxRange) state.range = state.range + state.range / 4n + 1n;
    if (state.range > state.maxRange) state.range = state.maxRange;
  }
  return all;
}

/** Market parameters the keeper values positions with (subset of `MarketParams`). */
export interface MarketParamsLite {
  mmr: bigint;
  liqFeeRatio: bigint;
  liqPenaltyRatio: bigint;
  closeFeeRatio: bigint;
  borrowRateLong: bigint;
  borrowRateShort: bigint;
}

/** One market as of one block (the lens's `MarketStatus`). */
export interface MarketSnapshot {
  marketId: number;
  params: MarketParamsLite;
  /** The engine's price; undefined when the market has none (stale, bad, unreadable, sequencer down). */
  price: bigint | undefined;
  borrowIndexLong: bigint;
  borrowIndexShort: bigint;
  /** Liquidations wait until then (post-outage grace); zero when not priced. */
  resumesAt: bigint;
  /** The feed's latest round as read (good or not): an order executes at the first one after its request. */
  roundId: bigint;
  /** That round's update time (zero if the feed cannot be read). */
  updatedAt: bigint;
}

export interface Snapshot {
  blockNumber: bigint;
  timestamp: bigint;
  baseFee: bigint;
  markets: MarketSnapshot[];
  /** Whether LP requests may execute now (false when not read: no request pending). */
  lpOpen: boolean;
  lpExecutionFee: bigint;
}

export interface Contracts {
  engine: Address;
  pool: Address;
  riskConfig: Address;
  lens: Address;
}

/**
 * Reads the deployment at `block`: `lens.market(id)` for every market and, while LP requests are pending (`lp`), the
 * pool's LP execution status and the LP execution fee — issued together (one HTTP batch), a fixed number whatever
 * the number of positions tracked.
 */
export async function readSnapshot(
  client: PublicClient,
  contracts: Contracts,
  marketIds: number[],
  block: { number: bigint; timestamp: bigint; baseFeePerGas?: bigint | null },
  lp = true,
): Promise<Snapshot> {
  const at = { blockNumber: block.number } as const;
  const lpStatusP = lp
    ? client
        .readContract({ address: contracts.pool, abi: iLiquidityPoolAbi, functionName: "lpExecutionStatus", ...at })
        .catch(() => undefined)
    : undefined;
  const lpParamsP = lp
    ? client.readContract({ address: contracts.riskConfig, abi: iRiskConfigAbi, functionName: "lpParams", ...at })
    : undefined;
  const marketsP = marketIds.map(async (id): Promise<MarketSnapshot> => {
    const m = await client.readContract({
      address: contracts.lens,
      abi: iBulkheadLensAbi,
      functionName: "market",
      args: [BigInt(id)],
      ...at,
    });
    return {
      marketId: id,
      params: {
        mmr: m.params.mmr,
        liqFeeRatio: m.params.liqFeeRatio,
        liqPenaltyRatio: m.params.liqPenaltyRatio,
        closeFeeRatio: m.params.closeFeeRatio,
        borrowRateLong: m.params.borrowRateLong,
        borrowRateShort: m.params.borrowRateShort,
      },
      price: m.priced ? m.price : undefined,
      borrowIndexLong: m.longBorrowIndex,
      borrowIndexShort: m.shortBorrowIndex,
      resumesAt: m.resumesAt,
      roundId: BigInt(m.roundId),
      updatedAt: m.updatedAt,
    };
  });
  const [lpStatus, lpParams, markets] = await Promise.all([lpStatusP, lpParamsP, Promise.all(marketsP)]);
  return {
    blockNumber: block.number,
    timestamp: block.timestamp,
    baseFee: block.baseFeePerGas ?? 0n,
    markets,
    lpOpen: lpStatus?.[0] ?? false,
    lpExecutionFee: BigInt(lpParams?.executionFee ?? 0),
  };
}

/**
 * Everything the keeper asks the node: viem clients over one or more RPC URLs (tried in order, with fallback),
 * `eth_getLogs` in chunks that halve while the provider refuses the range, block headers, and the one snapshot of
 * each market per block (price, round, borrow indices, grace period, parameters). Nothing here is Hardhat-specific.
 */
import {
  createPublicClient,
  fallback,
  http,
  parseAbi,
  type Address,
  type Log,
  type PublicClient,
  type Transport,
} from "viem";

import { iLiquidityPoolAbi, iMarginEngineAbi, iRiskConfigAbi } from "../../sdk/src/abis.js";
import type { Logger } from "./log.js";

/** Chainlink's AggregatorV3Interface read: the standard every push feed serves. */
export const feedAbi = parseAbi([
  "function latestRoundData() view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)",
]);

/** One transport over every URL: the first that answers serves, the next takes over when it fails. */
export function transportFor(urls: string[]): Transport {
  const transports = urls.map((url) =>
    http(url, { batch: { batchSize: 500, wait: 0 }, retryCount: 1, retryDelay: 100, timeout: 10_000 }),
  );
  return transports.length === 1 ? transports[0]! : fallback(transports, { rank: false, retryCount: 1 });
}

export function publicClientFor(urls: string[]): PublicClient {
  return createPublicClient({ transport: transportFor(urls), cacheTime: 0 });
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
  feed: Address;
  mmr: bigint;
  liqFeeRatio: bigint;
  liqPenaltyRatio: bigint;
  closeFeeRatio: bigint;
  maxProfitRatio: bigint;
  maxProfitNotionalRatio: bigint;
  borrowRateLong: bigint;
  borrowRateShort: bigint;
}

export interface Round {
  roundId: bigint;
  answer: bigint;
  startedAt: bigint;
  updatedAt: bigint;
}

/** One market as of one block. `price` is undefined when the market has no good price (stale, bad, sequencer). */
export interface MarketSnapshot {
  marketId: number;
  params: MarketParamsLite;
  price: bigint | undefined;
  borrowIndexLong: bigint;
  borrowIndexShort: bigint;
  /** Liquidations wait until then (post-outage grace); zero when unknown (no good price). */
  resumesAt: bigint;
  round: Round | undefined;
}

export interface Snapshot {
  blockNumber: bigint;
  timestamp: bigint;
  baseFee: bigint;
  markets: MarketSnapshot[];
  maxExecutionDelay: bigint;
  keeperReserve: bigint;
  minExecutionFee: bigint;
  lpOpen: boolean;
  lpExecutionFee: bigint;
}

export interface Contracts {
  engine: Address;
  pool: Address;
  riskConfig: Address;
  lens: Address | undefined;
}

/**
 * Reads every market of the deployment at `blockNumber`: a fixed number of calls per market, sent as one JSON-RPC
 * batch — independent of how many positions are tracked.
 */
export async function readSnapshot(
  client: PublicClient,
  contracts: Contracts,
  marketIds: number[],
  block: { number: bigint; timestamp: bigint; baseFeePerGas?: bigint | null },
): Promise<Snapshot> {
  const at = { blockNumber: block.number } as const;
  const engine = { address: contracts.engine, abi: iMarginEngineAbi } as const;
  const settled = <T>(p: Promise<T>): Promise<T | undefined> =>
    p.then(
      (v) => v,
      () => undefined,
    );
  const globalP = client.readContract({
    address: contracts.riskConfig,
    abi: iRiskConfigAbi,
    functionName: "globalParams",
    ...at,
  });
  const lpParamsP = client.readContract({
    address: contracts.riskConfig,
    abi: iRiskConfigAbi,
    functionName: "lpParams",
    ...at,
  });
  const lpStatusP = settled(
    client.readContract({ address: contracts.pool, abi: iLiquidityPoolAbi, functionName: "lpExecutionStatus", ...at }),
  );
  const marketsP = marketIds.map(async (id) => {
    const m = BigInt(id);
    const params = await client.readContract({
      address: contracts.riskConfig,
      abi: iRiskConfigAbi,
      functionName: "marketParams",
      args: [m],
      ...at,
    });
    const [price, long, short, resumesAt, round] = await Promise.all([
      settled(client.readContract({ ...engine, functionName: "indexPrice", args: [m], ...at })),
      client.readContract({ ...engine, functionName: "borrowIndex", args: [m, true], ...at }),
      client.readContract({ ...engine, functionName: "borrowIndex", args: [m, false], ...at }),
      settled(client.readContract({ ...engine, functionName: "liquidationResumesAt", args: [m], ...at })),
      settled(client.readContract({ address: params.feed, abi: feedAbi, functionName: "latestRoundData", ...at })),
    ]);
    return {
      marketId: id,
      params: params as MarketParamsLite,
      price,
      borrowIndexLong: long,
      borrowIndexShort: short,
      resumesAt: resumesAt ?? 0n,
      round:
        round === undefined
          ? undefined
          : { roundId: round[0], answer: round[1], startedAt: round[2], updatedAt: round[3] },
    } satisfies MarketSnapshot;
  });
  const [global, lpParams, lpStatus, markets] = await Promise.all([
    globalP,
    lpParamsP,
    lpStatusP,
    Promise.all(marketsP),
  ]);
  return {
    blockNumber: block.number,
    timestamp: block.timestamp,
    baseFee: block.baseFeePerGas ?? 0n,
    markets,
    maxExecutionDelay: BigInt(global.maxExecutionDelay),
    keeperReserve: BigInt(global.keeperReserve),
    minExecutionFee: BigInt(global.minExecutionFee),
    lpOpen: lpStatus?.[0] ?? false,
    lpExecutionFee: BigInt(lpParams.executionFee),
  };
}

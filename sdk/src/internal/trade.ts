import { readContract } from "viem/actions";

import type { BulkheadAddresses } from "../deployment.js";
import { toBulkheadError } from "../errors/decode.js";
import { marginEngineAbi, riskConfigAbi } from "../generated/abis.js";
import type { GlobalParams, MarketParams } from "../params.js";
import { resolveBlock } from "./block.js";
import type { ReadClient } from "./client.js";
import { toGlobalParams, toMarketParams } from "./normalize.js";

/** Default slippage bound: 0.5 %. */
export const DEFAULT_SLIPPAGE_BPS = 50n;
/** How long an EIP-2612 permit the SDK signs for a margin top-up stays valid: 20 minutes of chain time. */
export const DEFAULT_DEADLINE_SECONDS = 1_200n;
const BPS = 10_000n;

/** Price bound, deadline and execution fee options shared by the order requests. */
export interface TradeOptions {
  /**
   * The worst execution price accepted, USD WAD: highest for a long adding size (or a short reducing it), lowest
   * otherwise. An order whose round's price is beyond it is cancelled, and its executor keeps the execution fee.
   * Default: the current price moved by `slippageBps` against the caller.
   */
  acceptablePrice?: bigint | undefined;
  /** Slippage for the default `acceptablePrice`, basis points (default 50 = 0.5 %). */
  slippageBps?: bigint | undefined;
  /**
   * Latest observation time of the execution round; the engine caps it at the request time plus the market's
   * `maxOrderWait`. Default: chain time + `maxOrderWait`.
   */
  deadline?: bigint | undefined;
  /** Escrowed with the order and paid to its executor, asset units. Default: the minimum (`minExecutionFee`). */
  executionFee?: bigint | undefined;
}

/** Moves `price` against a trader who wants it low (`wantsLow`) or high, by `bps` basis points. */
export function boundPrice(price: bigint, wantsLow: boolean, bps: bigint): bigint {
  return wantsLow ? (price * (BPS + bps) + BPS - 1n) / BPS : (price * (BPS - bps)) / BPS;
}

/** An order's resolved terms, and the parameters they were resolved with. */
export interface ResolvedTrade {
  acceptablePrice: bigint;
  deadline: bigint;
  executionFee: bigint;
  /** Chain time the defaults were computed at. */
  now: bigint;
  market: MarketParams;
  global: GlobalParams;
}

/**
 * Resolves an order's price bound, deadline and execution fee; `wantsLow` for longs adding size and shorts reducing it.
 * The price is read only for a default bound, so an order with an explicit bound can be requested whatever the
 * oracle says (a close during an outage executes at the first good round after it).
 */
export async function resolveTrade(
  client: ReadClient,
  addresses: Pick<BulkheadAddresses, "marginEngine" | "riskConfig">,
  marketId: bigint,
  wantsLow: boolean,
  options: TradeOptions,
): Promise<ResolvedTrade> {
  try {
    const { timestamp: now, blockNumber } = await resolveBlock(client, undefined);
    const [price, market, global] = await Promise.all([
      options.acceptablePrice === undefined
        ? readContract(client, {
            address: addresses.marginEngine,
            abi: marginEngineAbi,
            functionName: "indexPrice",
            args: [marketId],
            blockNumber,
          })
        : undefined,
      readContract(client, {
        address: addresses.riskConfig,
        abi: riskConfigAbi,
        functionName: "marketParams",
        args: [marketId],
        blockNumber,
      }),
      readContract(client, {
        address: addresses.riskConfig,
        abi: riskConfigAbi,
        functionName: "globalParams",
        blockNumber,
      }),
    ]);
    const marketParams = toMarketParams(market);
    const globalParams = toGlobalParams(global);
    return {
      acceptablePrice:
        options.acceptablePrice ?? boundPrice(price!, wantsLow, options.slippageBps ?? DEFAULT_SLIPPAGE_BPS),
      deadline: options.deadline ?? now + marketParams.maxOrderWait,
      executionFee: options.executionFee ?? globalParams.minExecutionFee,
      now,
      market: marketParams,
      global: globalParams,
    };
  } catch (error) {
    throw toBulkheadError(error);
  }
}

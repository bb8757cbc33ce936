import { readContract } from "viem/actions";

import type { BulkheadAddresses } from "../deployment.js";
import { marginEngineAbi } from "../generated/abis.js";
import { resolveBlock } from "./block.js";
import type { ReadClient } from "./client.js";

/** Default slippage bound: 0.5 %. */
export const DEFAULT_SLIPPAGE_BPS = 50n;
/** Default time a transaction may wait for inclusion: 20 minutes of chain time. */
export const DEFAULT_DEADLINE_SECONDS = 1_200n;
const BPS = 10_000n;

/** Price bound, slippage and deadline options shared by the trading actions. */
export interface TradeOptions {
  /**
   * The worst oracle price accepted, USD WAD: highest for a long adding size (or a short reducing it), lowest
   * otherwise. Default: the current price moved by `slippageBps` against the caller.
   */
  acceptablePrice?: bigint | undefined;
  /** Slippage for the default `acceptablePrice`, basis points (default 50 = 0.5 %). */
  slippageBps?: bigint | undefined;
  /** Latest block timestamp the transaction may be mined at. Default: chain time + `deadlineSeconds`. */
  deadline?: bigint | undefined;
  /** For the default deadline (default 1,200 = 20 minutes). */
  deadlineSeconds?: bigint | undefined;
}

/** Moves `price` against a trader who wants it low (`wantsLow`) or high, by `bps` basis points. */
export function boundPrice(price: bigint, wantsLow: boolean, bps: bigint): bigint {
  return wantsLow ? (price * (BPS + bps) + BPS - 1n) / BPS : (price * (BPS - bps)) / BPS;
}

/** Resolves the price bound and the deadline of a trade; `wantsLow` for longs adding size and shorts reducing it. */
export async function resolveTrade(
  client: ReadClient,
  addresses: Pick<BulkheadAddresses, "marginEngine">,
  marketId: bigint,
  wantsLow: boolean,
  options: TradeOptions,
): Promise<{ price: bigint; acceptablePrice: bigint; deadline: bigint; now: bigint }> {
  const { timestamp: now, blockNumber } = await resolveBlock(client, undefined);
  const price = await readContract(client, {
    address: addresses.marginEngine,
    abi: marginEngineAbi,
    functionName: "indexPrice",
    args: [marketId],
    blockNumber,
  });
  return {
    price,
    acceptablePrice:
      options.acceptablePrice ?? boundPrice(price, wantsLow, options.slippageBps ?? DEFAULT_SLIPPAGE_BPS),
    deadline: options.deadline ?? now + (options.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS),
    now,
  };
}

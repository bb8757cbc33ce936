import {
  GLOBAL_PARAM_FIELDS,
  LP_PARAM_FIELDS,
  MARKET_PARAM_FIELDS,
  type GlobalParamField,
  type GlobalParams,
  type LpParamField,
  type LpParams,
  type MarketParamField,
  type MarketParams,
} from "../params.js";
import { orderKindName } from "../events.js";
import type { Order, Position, SideState } from "../types.js";

type Numeric = bigint | number;

/** A `position` result (viem or ethers) with every integer as a bigint. */
export function toPosition(raw: {
  owner: `0x${string}`;
  collateral: Numeric;
  size: Numeric;
  entryPrice: Numeric;
  borrowIndex: Numeric;
  maxProfit: Numeric;
  marketId: Numeric;
  isLong: boolean;
  vault: `0x${string}`;
  keeperReserve: Numeric;
}): Position {
  return {
    owner: raw.owner,
    collateral: BigInt(raw.collateral),
    size: BigInt(raw.size),
    entryPrice: BigInt(raw.entryPrice),
    borrowIndex: BigInt(raw.borrowIndex),
    maxProfit: BigInt(raw.maxProfit),
    marketId: BigInt(raw.marketId),
    isLong: raw.isLong,
    vault: raw.vault,
    keeperReserve: BigInt(raw.keeperReserve),
  };
}

/** An `orders` slot with every integer as a bigint; null for an empty slot (`kind` None). */
export function toOrder(raw: {
  kind: Numeric;
  roundId: Numeric;
  requestedAt: Numeric;
  deadline: Numeric;
  executionFee: Numeric;
  sizeDelta: Numeric;
  acceptablePrice: Numeric;
  receiver: `0x${string}`;
  collateralDelta: Numeric;
}): Order | null {
  const kind = orderKindName(raw.kind);
  if (kind === "None") return null;
  return {
    kind,
    roundId: BigInt(raw.roundId),
    requestedAt: BigInt(raw.requestedAt),
    deadline: BigInt(raw.deadline),
    executionFee: BigInt(raw.executionFee),
    sizeDelta: BigInt(raw.sizeDelta),
    acceptablePrice: BigInt(raw.acceptablePrice),
    receiver: raw.receiver,
    collateralDelta: BigInt(raw.collateralDelta),
  };
}

/** A `marketParams` result (viem or ethers) with every integer as a bigint; the fields come from the ABI. */
export function toMarketParams(raw: { feed: `0x${string}` } & Record<MarketParamField, Numeric>): MarketParams {
  const params: Record<string, unknown> = { feed: raw.feed };
  for (const field of MARKET_PARAM_FIELDS) params[field] = BigInt(raw[field]);
  return params as MarketParams;
}

/** A `globalParams` result with every integer as a bigint. */
export function toGlobalParams(raw: Record<GlobalParamField, Numeric>): GlobalParams {
  const params: Record<string, unknown> = {};
  for (const field of GLOBAL_PARAM_FIELDS) params[field] = BigInt(raw[field]);
  return params as GlobalParams;
}

/** An `lpParams` result with every integer as a bigint. */
export function toLpParams(raw: Record<LpParamField, Numeric>): LpParams {
  const params: Record<string, unknown> = {};
  for (const field of LP_PARAM_FIELDS) params[field] = BigInt(raw[field]);
  return params as LpParams;
}

export function toSideState(raw: {
  openInterest: Numeric;
  entryNotional: Numeric;
  collateral: Numeric;
  maxProfit: Numeric;
  feeDebt: Numeric;
}): SideState {
  return {
    openInterest: BigInt(raw.openInterest),
    entryNotional: BigInt(raw.entryNotional),
    collateral: BigInt(raw.collateral),
    maxProfit: BigInt(raw.maxProfit),
    feeDebt: BigInt(raw.feeDebt),
  };
}

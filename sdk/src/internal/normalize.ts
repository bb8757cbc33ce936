import type { GlobalParams, MarketParams, Position, SideState } from "../types.js";

type Numeric = bigint | number;

export function toPosition(raw: {
  owner: `0x${string}`;
  collateral: Numeric;
  size: Numeric;
  entryPrice: Numeric;
  borrowIndex: Numeric;
  maxProfit: Numeric;
  marketId: Numeric;
  isLong: boolean;
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
  };
}

export function toMarketParams(
  raw: { feed: `0x${string}` } & Record<Exclude<keyof MarketParams, "feed">, Numeric>,
): MarketParams {
  return {
    feed: raw.feed,
    heartbeat: BigInt(raw.heartbeat),
    feedDecimals: BigInt(raw.feedDecimals),
    imr: BigInt(raw.imr),
    mmr: BigInt(raw.mmr),
    liqFeeRatio: BigInt(raw.liqFeeRatio),
    liqPenaltyRatio: BigInt(raw.liqPenaltyRatio),
    openFeeRatio: BigInt(raw.openFeeRatio),
    closeFeeRatio: BigInt(raw.closeFeeRatio),
    maxProfitRatio: BigInt(raw.maxProfitRatio),
    borrowRateLong: BigInt(raw.borrowRateLong),
    borrowRateShort: BigInt(raw.borrowRateShort),
    maxOpenInterestLong: BigInt(raw.maxOpenInterestLong),
    maxOpenInterestShort: BigInt(raw.maxOpenInterestShort),
  };
}

export function toGlobalParams(raw: Record<keyof GlobalParams, Numeric>): GlobalParams {
  return {
    minCollateral: BigInt(raw.minCollateral),
    keeperReserve: BigInt(raw.keeperReserve),
    maxUtilization: BigInt(raw.maxUtilization),
    liquidationGracePeriod: BigInt(raw.liquidationGracePeriod),
  };
}

export function toSideState(raw: {
  openInterest: Numeric;
  entryNotional: Numeric;
  collateral: Numeric;
  maxProfit: Numeric;
}): SideState {
  return {
    openInterest: BigInt(raw.openInterest),
    entryNotional: BigInt(raw.entryNotional),
    collateral: BigInt(raw.collateral),
    maxProfit: BigInt(raw.maxProfit),
  };
}

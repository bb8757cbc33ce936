import type { Address, ReadContractErrorType } from "viem";
import { readContract } from "viem/actions";

import type { BulkheadAddresses } from "../deployment.js";
import { toBulkheadError, type DecodedRevert } from "../errors/decode.js";
import { PositionNotOpenError } from "../errors/sdk.js";
import { marginEngineAbi } from "../generated/abis.js";
import { settlementTokenAbi } from "../abis.js";
import { resolveBlock } from "../internal/block.js";
import type { ReadClient } from "../internal/client.js";
import {
  getPositionLiquidationPrice,
  getPositionValuation,
  isPositionLiquidatable,
  previewLiquidation,
} from "../math/position.js";
import { health, scaleOf } from "../math/positionMath.js";
import type { LiquidationPreview, MarketState, Position } from "../types.js";
import { getMarket } from "./getMarket.js";
import { getPosition } from "./getPosition.js";

export interface GetPositionSummaryParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine" | "riskConfig" | "asset">;
  positionId: bigint;
  blockNumber?: bigint | undefined;
}

export interface GetPositionSummaryReturnType {
  positionId: bigint;
  position: Position;
  market: MarketState;
  vault: Address;
  /** What the vault holds: collateral, keeper reserve and any donation. */
  vaultBalance: bigint;
  /** 10^(18 − asset decimals). */
  scale: bigint;
  /** Capped pnl at the oracle price, asset units. */
  pnl: bigint;
  /** Borrow fee owed, asset units. */
  borrowFee: bigint;
  equity: bigint;
  maintenanceMargin: bigint;
  /** Equity / maintenance margin, WAD. */
  health: bigint;
  liquidationPrice: bigint;
  /** Whether `liquidate` would succeed in this block. */
  liquidatable: boolean;
  preview: LiquidationPreview;
}

export type GetPositionSummaryErrorType = PositionNotOpenError | ReadContractErrorType | DecodedRevert;

/**
 * A position with its equity, health, liquidation price and liquidation preview, computed off-chain with the SDK's
 * maths from state read at one block: the same numbers `BulkheadLens` returns for that block.
 */
export async function getPositionSummary(
  client: ReadClient,
  { addresses, positionId, blockNumber: at }: GetPositionSummaryParameters,
): Promise<GetPositionSummaryReturnType> {
  const { blockNumber } = await resolveBlock(client, at);
  const position = await getPosition(client, { addresses, positionId, blockNumber });
  if (position === null) throw new PositionNotOpenError(positionId);
  let vault: Address;
  let decimals: number;
  let vaultBalance: bigint;
  let market: MarketState;
  try {
    [vault, decimals, market] = await Promise.all([
      readContract(client, {
        address: addresses.marginEngine,
        abi: marginEngineAbi,
        functionName: "vaultOf",
        args: [positionId],
        blockNumber,
      }),
      readContract(client, {
        address: addresses.asset,
        abi: settlementTokenAbi,
        functionName: "decimals",
        blockNumber,
      }),
      getMarket(client, { addresses, marketId: position.marketId, blockNumber }),
    ]);
    vaultBalance = await readContract(client, {
      address: addresses.asset,
      abi: settlementTokenAbi,
      functionName: "balanceOf",
      args: [vault],
      blockNumber,
    });
  } catch (error) {
    throw toBulkheadError(error);
  }
  const scale = scaleOf(decimals);
  const valuation = getPositionValuation({ position, market, scale });
  return {
    positionId,
    position,
    market,
    vault,
    vaultBalance,
    scale,
    pnl: valuation.pnl,
    borrowFee: valuation.borrowFee,
    equity: valuation.equity,
    maintenanceMargin: valuation.maintenanceMargin,
    health: health(valuation.equity, valuation.maintenanceMargin),
    liquidationPrice: getPositionLiquidationPrice({ position, market, scale }),
    liquidatable: isPositionLiquidatable({ position, market, scale }),
    preview: previewLiquidation({ position, market, scale, vaultBalance, timestamp: market.timestamp }),
  };
}

/**
 * @bulkhead/sdk/ethers — for ethers v6 users: the typechain factories and contract types of every public contract
 * (`MarginEngine__factory.connect(address, runner)`, …; local-chain mocks in `@bulkhead/sdk/mocks/ethers`), `connectBulkhead` for a whole deployment, and the
 * ethers-compatible helpers of the main entry (error and event decoding, maths).
 */
import type { ContractRunner } from "ethers";

import type { BulkheadAddresses, BulkheadDeployment } from "./deployment.js";
import {
  BulkheadLens__factory,
  IERC20Metadata__factory,
  InsuranceFund__factory,
  LiquidityPool__factory,
  MarginEngine__factory,
  RiskConfig__factory,
  type BulkheadLens,
  type IERC20Metadata,
  type InsuranceFund,
  type LiquidityPool,
  type MarginEngine,
  type RiskConfig,
} from "./generated/typechain/index.js";

export * from "./generated/typechain/index.js";
export { parseDeployment, type BulkheadAddresses, type BulkheadDeployment } from "./deployment.js";
export * from "./errors/contract.js";
export * from "./errors/decode.js";
export { BulkheadError } from "./errors/base.js";
export * from "./generated/errors.js";
export { decodePositionEvent, decodePositionEvents, eventsNamed, type LogLike, type PositionEvent } from "./events.js";

export interface BulkheadContracts {
  marginEngine: MarginEngine;
  liquidityPool: LiquidityPool;
  insuranceFund: InsuranceFund;
  riskConfig: RiskConfig;
  /**
   * The settlement token, typed as any ERC-20 with metadata (OpenZeppelin's `IERC20Metadata`). On a local chain, the
   * demo's faucet is `TestStablecoin__factory.connect(address, runner)` from `@bulkhead/sdk/mocks/ethers`.
   */
  asset: IERC20Metadata;
  bulkheadLens: BulkheadLens | undefined;
}

/** Typechain contracts of a whole deployment, connected to a signer or provider. */
export function connectBulkhead(
  source: BulkheadDeployment | BulkheadAddresses,
  runner: ContractRunner,
): BulkheadContracts {
  const addresses = "addresses" in source ? source.addresses : source;
  return {
    marginEngine: MarginEngine__factory.connect(addresses.marginEngine, runner),
    liquidityPool: LiquidityPool__factory.connect(addresses.liquidityPool, runner),
    insuranceFund: InsuranceFund__factory.connect(addresses.insuranceFund, runner),
    riskConfig: RiskConfig__factory.connect(addresses.riskConfig, runner),
    asset: IERC20Metadata__factory.connect(addresses.asset, runner),
    bulkheadLens:
      addresses.bulkheadLens === undefined ? undefined : BulkheadLens__factory.connect(addresses.bulkheadLens, runner),
  };
}

/**
 * The whole Bulkhead system as one Ignition module, composed from the small modules beside this file. The module's
 * shape (which markets, mocks or existing contracts, timelock or not) follows the plan, built from the network's
 * parameter file by deploy/lib/deploy.ts; `npm run deploy` is the way to run it.
 *
 * Order that matters, and why:
 * 1. markets are listed while RiskConfig's setters are still admin-only, by the deployer as AccessManager admin;
 * 2. then the setters are restricted to the governance role (the deployer locally, a TimelockController on a
 *    testnet) and pause / unpause to the guardian role;
 * 3. on a testnet the timelock becomes the AccessManager admin and the deployer renounces it, last of all.
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { settlementAssetModule } from "./asset.js";
import { authorityModule } from "./authority.js";
import { marginEngineModule } from "./engine.js";
import { priceFeedsModule } from "./feeds.js";
import { deployerGovernanceModule, handoverModule, timelockGovernanceModule } from "./governance.js";
import { guardianModule } from "./guardian.js";
import { insuranceFundModule } from "./insurance-fund.js";
import { lensModule } from "./lens.js";
import { localFundingModule } from "./local-funding.js";
import { marketsModule } from "./markets.js";
import type { BulkheadPlan } from "./plan.js";
import { liquidityPoolModule } from "./pool.js";
import { riskConfigModule } from "./risk-config.js";
import { vaultImplementationModule } from "./vault-implementation.js";

export function bulkheadModule(plan: BulkheadPlan) {
  const asset = settlementAssetModule(plan.asset);
  const feeds = priceFeedsModule(plan.markets);
  const riskConfig = riskConfigModule(asset, plan.global, plan.lp);
  const pool = liquidityPoolModule(asset, riskConfig, plan.pool);
  const insurance = insuranceFundModule(asset);
  const engine = marginEngineModule(asset, pool, insurance, riskConfig);
  const vault = vaultImplementationModule(engine);
  const lens = lensModule(engine, asset);
  const markets = marketsModule(riskConfig, feeds, plan.markets, plan.sequencerFeed);
  const guardian = guardianModule(riskConfig, plan.guardian);
  const funding = plan.funding === null ? null : localFundingModule(asset, pool, engine, plan.funding);
  const timelock = plan.timelock;

  const module = buildModule("Bulkhead", (m) => {
    const { accessManager } = m.useModule(authorityModule);
    const { asset: token } = m.useModule(asset);
    const { riskConfig: config } = m.useModule(riskConfig);
    const { pool: liquidityPool } = m.useModule(pool);
    const { insuranceFund } = m.useModule(insurance);
    const { engine: marginEngine, orderModule, liquidationModule } = m.useModule(engine);
    const { vaultImplementation } = m.useModule(vault);
    const { lens: bulkheadLens } = m.useModule(lens);
    m.useModule(markets);
    m.useModule(guardian);
    if (funding !== null) m.useModule(funding);
    const contracts = {
      accessManager,
      asset: token,
      riskConfig: config,
      pool: liquidityPool,
      insuranceFund,
      engine: marginEngine,
      orderModule,
      liquidationModule,
      vaultImplementation,
      lens: bulkheadLens,
    };
    if (timelock === null) {
      m.useModule(deployerGovernanceModule(riskConfig, markets));
      return contracts;
    }
    const governance = timelockGovernanceModule(riskConfig, markets, timelock);
    const { timelock: timelockController } = m.useModule(governance);
    m.useModule(handoverModule(governance, [markets, guardian, ...(funding === null ? [] : [funding])]));
    return { ...contracts, timelock: timelockController };
  });
  return { module, feeds };
}

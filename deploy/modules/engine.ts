import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import type { ModuleWith } from "./plan.js";

/**
 * The margin engine, bound to its pool, insurance fund and risk configuration. The engine is three contracts on one
 * storage: its order and liquidation modules are deployed first with the same token, pool, insurance fund and
 * configuration (the engine's constructor checks it) and run by delegatecall. `bindEngine` is callable once, by the
 * account that deployed each satellite: the same default sender as here.
 */
export function marginEngineModule(
  asset: ModuleWith<"asset">,
  pool: ModuleWith<"pool">,
  insurance: ModuleWith<"insuranceFund">,
  riskConfig: ModuleWith<"riskConfig">,
) {
  return buildModule("MarginEngine", (m) => {
    const { asset: token } = m.useModule(asset);
    const { pool: liquidityPool } = m.useModule(pool);
    const { insuranceFund } = m.useModule(insurance);
    const { riskConfig: config } = m.useModule(riskConfig);
    const orderModule = m.contract("OrderModule", [token, liquidityPool, insuranceFund, config]);
    const liquidationModule = m.contract("LiquidationModule", [token, liquidityPool, insuranceFund, config]);
    const engine = m.contract("MarginEngine", [
      token,
      liquidityPool,
      insuranceFund,
      config,
      orderModule,
      liquidationModule,
    ]);
    m.call(liquidityPool, "bindEngine", [engine], { id: "BindPool" });
    m.call(insuranceFund, "bindEngine", [engine], { id: "BindInsuranceFund" });
    m.call(config, "bindEngine", [engine], { id: "BindRiskConfig" });
    return { engine, orderModule, liquidationModule };
  });
}

import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import type { ModuleWith } from "./plan.js";

/**
 * The margin engine, bound to its pool, insurance fund and risk configuration. `bindEngine` is callable once, by the
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
    const engine = m.contract("MarginEngine", [token, liquidityPool, insuranceFund, config]);
    m.call(liquidityPool, "bindEngine", [engine], { id: "BindPool" });
    m.call(insuranceFund, "bindEngine", [engine], { id: "BindInsuranceFund" });
    m.call(config, "bindEngine", [engine], { id: "BindRiskConfig" });
    return { engine };
  });
}

import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import type { GlobalParams, LpParams } from "../../sdk/src/params.js";
import { authorityModule } from "./authority.js";
import type { ModuleWith } from "./plan.js";

/**
 * Risk configuration: engine-wide and LP request parameters set at construction, markets listed later by the markets
 * module.
 */
export function riskConfigModule(asset: ModuleWith<"asset">, global: GlobalParams, lp: LpParams) {
  return buildModule("RiskConfig", (m) => {
    const { accessManager } = m.useModule(authorityModule);
    const { asset: token } = m.useModule(asset);
    const riskConfig = m.contract("RiskConfig", [accessManager, token, { ...global }, { ...lp }]);
    return { riskConfig };
  });
}

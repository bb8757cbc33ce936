import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { authorityModule } from "./authority.js";
import type { GlobalValues, ModuleWith } from "./plan.js";

/** Risk configuration: engine-wide parameters set at construction, markets listed later by the markets module. */
export function riskConfigModule(asset: ModuleWith<"asset">, global: GlobalValues) {
  return buildModule("RiskConfig", (m) => {
    const { accessManager } = m.useModule(authorityModule);
    const { asset: token } = m.useModule(asset);
    const riskConfig = m.contract("RiskConfig", [accessManager, token, { ...global }]);
    return { riskConfig };
  });
}

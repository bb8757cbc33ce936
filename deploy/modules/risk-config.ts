import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import type { GlobalParams } from "../../sdk/src/params.js";
import { authorityModule } from "./authority.js";
import type { ModuleWith } from "./plan.js";

/** Risk configuration: engine-wide parameters set at construction, markets listed later by the markets module. */
export function riskConfigModule(asset: ModuleWith<"asset">, global: GlobalParams) {
  return buildModule("RiskConfig", (m) => {
    const { accessManager } = m.useModule(authorityModule);
    const { asset: token } = m.useModule(asset);
    const riskConfig = m.contract("RiskConfig", [accessManager, token, { ...global }]);
    return { riskConfig };
  });
}

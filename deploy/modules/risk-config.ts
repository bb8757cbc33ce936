import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import type { GlobalParams } from "../../sdk/src/params.js";
import { authorityModule } from "./authority.js";
import type { ModuleWith } from "./plan.js";

/** Risk configuration: engine-wide parameters set at construction, markets listed later by the markets module. */
export function riskConfigModule(asset: ModuleWith<"asset">, global: GlobalParams) {
  return buildModule("RiskConfig", (m) => {
    const { accessManager } = m.useModule(authorityModule);
    const { asset: token } = m.useModule(asset);
    // Pool v2 stop-gap until the plan carries LP parameters: 1 minute delay, 1 second settle, no resume wait, a
    // minimum request of minCollateral and no execution fee.
    const lp = { lpDelay: 60n, lpSettle: 1n, lpResume: 0n, minRequest: global.minCollateral, executionFee: 0n };
    const riskConfig = m.contract("RiskConfig", [accessManager, token, { ...global }, lp]);
    return { riskConfig };
  });
}

import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { authorityModule } from "./authority.js";
import { GUARDIAN_FUNCTIONS, GUARDIAN_ROLE, type ModuleWith } from "./plan.js";
import { riskConfigSelectors } from "./selectors.js";

/** The guardian role: pause and unpause (opens and increases only), with no delay, held by `guardian`. */
export function guardianModule(riskConfig: ModuleWith<"riskConfig">, guardian: string) {
  return buildModule("Guardian", (m) => {
    const { accessManager } = m.useModule(authorityModule);
    const { riskConfig: config } = m.useModule(riskConfig);
    m.call(accessManager, "setTargetFunctionRole", [config, riskConfigSelectors(GUARDIAN_FUNCTIONS), GUARDIAN_ROLE], {
      id: "RestrictGuardianFunctions",
    });
    m.call(accessManager, "labelRole", [GUARDIAN_ROLE, "GUARDIAN"], { id: "LabelGuardianRole" });
    m.call(accessManager, "grantRole", [GUARDIAN_ROLE, guardian, 0], { id: "GrantGuardian" });
    return { accessManager };
  });
}

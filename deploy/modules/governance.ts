import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";
import { ZeroAddress } from "ethers";

import { authorityModule } from "./authority.js";
import {
  ADMIN_ROLE,
  GOVERNANCE_FUNCTIONS,
  GOVERNANCE_ROLE,
  type AnyModule,
  type ModuleWith,
  type TimelockPlan,
} from "./plan.js";
import { riskConfigSelectors } from "./selectors.js";

/**
 * Restricts RiskConfig's setters to the governance role, once the markets are listed (before that, only the
 * AccessManager's admin can call them).
 */
function restrictGovernanceFunctions(
  m: IgnitionModuleBuilder,
  riskConfig: ModuleWith<"riskConfig">,
  markets: AnyModule,
) {
  const { accessManager } = m.useModule(authorityModule);
  const { riskConfig: config } = m.useModule(riskConfig);
  m.useModule(markets);
  m.call(accessManager, "setTargetFunctionRole", [config, riskConfigSelectors(GOVERNANCE_FUNCTIONS), GOVERNANCE_ROLE], {
    id: "RestrictGovernanceFunctions",
    after: [markets],
  });
  m.call(accessManager, "labelRole", [GOVERNANCE_ROLE, "GOVERNANCE"], { id: "LabelGovernanceRole" });
  return accessManager;
}

/** Local chains: the deployer holds the governance role (and stays the AccessManager admin). */
export function deployerGovernanceModule(riskConfig: ModuleWith<"riskConfig">, markets: AnyModule) {
  return buildModule("Governance", (m) => {
    const accessManager = restrictGovernanceFunctions(m, riskConfig, markets);
    m.call(accessManager, "grantRole", [GOVERNANCE_ROLE, m.getAccount(0), 0], { id: "GrantGovernanceToDeployer" });
    return { accessManager };
  });
}

/**
 * Testnets: an OpenZeppelin TimelockController holds the governance role, so every parameter change waits
 * `minDelay` in public. The timelock administers itself (no admin account).
 */
export function timelockGovernanceModule(riskConfig: ModuleWith<"riskConfig">, markets: AnyModule, plan: TimelockPlan) {
  return buildModule("Governance", (m) => {
    const accessManager = restrictGovernanceFunctions(m, riskConfig, markets);
    const timelock = m.contract("TimelockController", [plan.minDelay, plan.proposers, plan.executors, ZeroAddress]);
    m.call(accessManager, "grantRole", [GOVERNANCE_ROLE, timelock, 0], { id: "GrantGovernanceToTimelock" });
    return { timelock };
  });
}

/**
 * Testnets, last: the timelock becomes the AccessManager admin and the deployer renounces it, after every call that
 * needed it. From then on the deployer holds no role.
 */
export function handoverModule(governance: ReturnType<typeof timelockGovernanceModule>, others: AnyModule[]) {
  return buildModule("Handover", (m) => {
    const { accessManager } = m.useModule(authorityModule);
    const { timelock } = m.useModule(governance);
    for (const module of others) m.useModule(module);
    const grant = m.call(accessManager, "grantRole", [ADMIN_ROLE, timelock, 0], { id: "GrantAdminToTimelock" });
    m.call(accessManager, "renounceRole", [ADMIN_ROLE, m.getAccount(0)], {
      id: "DeployerRenouncesAdmin",
      after: [grant, governance, ...others],
    });
    return { accessManager };
  });
}

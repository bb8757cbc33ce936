import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * The OpenZeppelin AccessManager every `restricted` RiskConfig function asks. The deployer starts as its admin so the
 * deployment can configure it; on a testnet the governance module hands the admin to the timelock and the deployer
 * renounces it.
 */
export const authorityModule = buildModule("Authority", (m) => {
  const accessManager = m.contract("AccessManager", [m.getAccount(0)]);
  return { accessManager };
});

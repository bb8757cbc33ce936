import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import type { ModuleWith } from "./plan.js";

/** The insurance fund: receives liquidation penalties, pays bad debt before the pool takes a loss. */
export function insuranceFundModule(asset: ModuleWith<"asset">) {
  return buildModule("InsuranceFund", (m) => {
    const { asset: token } = m.useModule(asset);
    const insuranceFund = m.contract("InsuranceFund", [token]);
    return { insuranceFund };
  });
}

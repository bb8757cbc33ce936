import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import type { ModuleWith } from "./plan.js";

/** The ERC-7540 liquidity pool of the settlement asset: the counterparty of every trade. */
export function liquidityPoolModule(
  asset: ModuleWith<"asset">,
  riskConfig: ModuleWith<"riskConfig">,
  meta: { name: string; symbol: string },
) {
  return buildModule("LiquidityPool", (m) => {
    const { asset: token } = m.useModule(asset);
    const { riskConfig: config } = m.useModule(riskConfig);
    const pool = m.contract("LiquidityPool", [token, config, meta.name, meta.symbol]);
    return { pool };
  });
}

import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import type { ModuleWith } from "./plan.js";

/** The ERC-4626 liquidity pool of the settlement asset: the counterparty of every trade. */
export function liquidityPoolModule(asset: ModuleWith<"asset">, meta: { name: string; symbol: string }) {
  return buildModule("LiquidityPool", (m) => {
    const { asset: token } = m.useModule(asset);
    const pool = m.contract("LiquidityPool", [token, meta.name, meta.symbol]);
    return { pool };
  });
}

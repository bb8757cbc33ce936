import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import type { ModuleWith } from "./plan.js";

/** Read-only views for keepers and UIs. */
export function lensModule(engine: ModuleWith<"engine">, asset: ModuleWith<"asset">) {
  return buildModule("Lens", (m) => {
    const { engine: marginEngine } = m.useModule(engine);
    const { asset: token } = m.useModule(asset);
    const lens = m.contract("BulkheadLens", [marginEngine, token]);
    return { lens };
  });
}

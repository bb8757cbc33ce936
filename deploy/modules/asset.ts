import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import type { AssetSpec } from "./plan.js";

/**
 * The settlement token. Local chains get a fresh 6-decimal `TestStablecoin` (open mint: a faucet); a testnet binds to
 * the existing token (e.g. Circle's test USDC) and deploys nothing.
 */
export function settlementAssetModule(spec: AssetSpec) {
  return buildModule("SettlementAsset", (m) => {
    const asset =
      "mock" in spec ? m.contract(spec.mock) : m.contractAt("IERC20Metadata", spec.address, { id: "SettlementAsset" });
    return { asset };
  });
}

import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import type { ModuleWith } from "./plan.js";

/**
 * The position-vault implementation behind every EIP-1167 clone. The engine creates it in its constructor (so that
 * the vault's `ENGINE` immutable is the engine); this module only records where it is.
 */
export function vaultImplementationModule(engine: ModuleWith<"engine">) {
  return buildModule("VaultImplementation", (m) => {
    const { engine: marginEngine } = m.useModule(engine);
    const implementation = m.staticCall(marginEngine, "VAULT_IMPLEMENTATION", [], 0, { id: "ReadVaultImplementation" });
    const vaultImplementation = m.contractAt("PositionVault", implementation);
    return { vaultImplementation };
  });
}

/**
 * viem bindings: `as const` ABIs of the SDK's contracts (sdk/src/generated/abis.ts) and the named error classes
 * (sdk/src/generated/errors.ts), generated from Hardhat's artifacts. Run by the build after every compile (see
 * sdk/codegen/hardhat-plugin.ts), or by hand with `npx wagmi generate` after `npx hardhat compile`.
 */
import { defineConfig } from "@wagmi/cli";
import { hardhat } from "@wagmi/cli/plugins";

import { ABIS_OUT, ERRORS_OUT, EXTERNAL_ABIS, SDK_CONTRACTS } from "./sdk/codegen/contracts.js";
import { bulkheadErrors } from "./sdk/codegen/errors-plugin.js";
import { externalAbis } from "./sdk/codegen/external-abis-plugin.js";

export default defineConfig({
  out: ABIS_OUT,
  plugins: [
    hardhat({
      project: ".",
      // Hardhat builds first (this runs from its post-build hook); wagmi only reads the artifacts.
      commands: { build: false, clean: false, rebuild: false },
      include: SDK_CONTRACTS.map((name) => `contracts/**/${name}.json`),
    }),
    bulkheadErrors({ root: process.cwd(), contracts: SDK_CONTRACTS, classesOut: ERRORS_OUT }),
    externalAbis({ root: process.cwd(), abis: EXTERNAL_ABIS }),
  ],
});

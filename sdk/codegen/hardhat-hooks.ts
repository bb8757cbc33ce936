import { isAbsolute, join } from "node:path";

import type { SolidityHooks } from "hardhat/types/hooks";

import { generateSdkSources } from "./generate.js";

export default async (): Promise<Partial<SolidityHooks>> => ({
  async processArtifactsAfterSuccessfulBuild(context) {
    // Without fresh typechain bindings there is nothing consistent to copy.
    if (context.globalOptions.noTypechain) return;
    const { root } = context.config.paths;
    const outDir = context.config.typechain.outDir ?? "types";
    generateSdkSources({ root, typechainDir: isAbsolute(outDir) ? outDir : join(root, outDir) });
  },
});

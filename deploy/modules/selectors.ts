import type { Interface } from "ethers";

import { RiskConfig__factory } from "../../typechain-types/index.js";

const riskConfig: Interface = RiskConfig__factory.createInterface();

/** The 4-byte selectors of RiskConfig functions, for `AccessManager.setTargetFunctionRole`. */
export function riskConfigSelectors(names: readonly string[]): string[] {
  return names.map((name) => riskConfig.getFunction(name)?.selector ?? missing(name));
}

function missing(name: string): never {
  throw new Error(`RiskConfig has no function ${name}`);
}

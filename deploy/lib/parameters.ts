/**
 * Finding and reading a network's parameter file. What a file may say, and the integers it stands for, is the SDK's
 * parameter schema (sdk/src/parameters.ts); this file only knows where the files are.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import { isDevChain } from "./chains.js";

export {
  assetOf,
  DEPLOYER,
  ParameterError,
  parseParameters,
  resolveAccount,
  TEST_STABLECOIN_DECIMALS,
  type DeployParams,
} from "../../sdk/src/parameters.js";

/**
 * The parameter file for a network: `BULKHEAD_DEPLOY_PARAMETERS` if set, else `deploy/parameters/<network>.json`,
 * else, on a development chain (31337, 1337), `deploy/parameters/local.json`.
 */
export function parameterFileFor(root: string, networkName: string, chainId: number): string {
  const override = process.env.BULKHEAD_DEPLOY_PARAMETERS;
  if (override !== undefined && override !== "") return path.resolve(root, override);
  const dir = path.join(root, "deploy", "parameters");
  const byName = path.join(dir, `${networkName}.json`);
  if (existsSync(byName)) return byName;
  if (isDevChain(chainId)) return path.join(dir, "local.json");
  throw new Error(
    `no deployment parameters for network "${networkName}" (chain ${chainId}): create ${path.relative(root, byName)} ` +
      `(copy deploy/parameters/sepolia.json; see deploy/README.md, "Add another testnet"), or point ` +
      `BULKHEAD_DEPLOY_PARAMETERS at a file`,
  );
}

export function readParameterFile(file: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(
      `cannot read deployment parameters ${file}: ${(error as Error).message}. ` +
        `Check the path (BULKHEAD_DEPLOY_PARAMETERS, if set, names it) and that the file is valid JSON`,
      { cause: error },
    );
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new Error(`${file} must hold a JSON object (see deploy/parameters/local.json for the format)`);
  return json as Record<string, unknown>;
}

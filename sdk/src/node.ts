/** Node.js helpers (file system): `@bulkhead/sdk/node`. */
import { readFile } from "node:fs/promises";
import { join } from "node:path";

import { parseDeployment, type BulkheadDeployment } from "./deployment.js";
import { InvalidDeploymentError } from "./errors/sdk.js";

/**
 * Reads and validates a deployment file. Pass its path, or `{ chainId, dir }` to read `<dir>/<chainId>.json`
 * (`dir` defaults to `deployments`).
 */
export async function loadDeployment(
  source: string | { chainId: number | bigint; dir?: string | undefined },
): Promise<BulkheadDeployment> {
  const path = typeof source === "string" ? source : join(source.dir ?? "deployments", `${source.chainId}.json`);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new InvalidDeploymentError(`cannot read ${path}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new InvalidDeploymentError(`${path} is not JSON`, { cause });
  }
  return parseDeployment(json);
}

/**
 * wagmi CLI plugin: ABIs of standard interfaces (OpenZeppelin's ERC-20 extensions, Chainlink's mock feed) read from
 * the JSON their npm packages publish, so the SDK types contracts it does not own with their authors' ABIs.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

import type { Plugin } from "@wagmi/cli";
import type { Abi } from "viem";

export interface ExternalAbisConfig {
  /** Repository root (resolves the packages). */
  root: string;
  abis: readonly { name: string; file: string }[];
}

/** The ABI in a package's JSON file: a bare ABI array or an artifact with an `abi` field. */
export function readExternalAbi(root: string, file: string): Abi {
  const path = createRequire(join(root, "package.json")).resolve(file);
  const json = JSON.parse(readFileSync(path, "utf8")) as Abi | { abi: Abi };
  return Array.isArray(json) ? json : (json as { abi: Abi }).abi;
}

export function externalAbis(config: ExternalAbisConfig): Plugin {
  return {
    name: "ExternalAbis",
    contracts() {
      return config.abis.map(({ name, file }) => ({ name, abi: readExternalAbi(config.root, file) }));
    },
  };
}

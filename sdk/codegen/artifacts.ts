/** Reading Hardhat 3 artifacts (`artifacts/<source path>/<Contract>.json`) and the NatSpec of custom errors. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export interface AbiParameterJson {
  name: string;
  type: string;
  internalType?: string;
  components?: readonly AbiParameterJson[];
  indexed?: boolean;
}

export interface AbiItemJson {
  type: string;
  name?: string;
  inputs?: readonly AbiParameterJson[];
  outputs?: readonly AbiParameterJson[];
  stateMutability?: string;
  anonymous?: boolean;
}

export interface ArtifactJson {
  contractName: string;
  sourceName: string;
  abi: readonly AbiItemJson[];
}

function walk(dir: string, out: string[]): string[] {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

/** The artifact of a contract compiled from the project's own `contracts/` folder; throws if missing or ambiguous. */
export function findArtifact(root: string, contractName: string): { path: string; artifact: ArtifactJson } {
  const base = join(root, "artifacts", "contracts");
  const matches = walk(base, []).filter((path) => path.endsWith(`/${contractName}.json`));
  if (matches.length !== 1) {
    throw new Error(
      `expected one artifact for ${contractName} under ${relative(root, base)}, found ${matches.length}; run \`npx hardhat compile\``,
    );
  }
  const path = matches[0]!;
  return { path, artifact: JSON.parse(readFileSync(path, "utf8")) as ArtifactJson };
}

/** `uint256`, `(uint256,address)[]`, …: the canonical type used in signatures. */
export function canonicalType(param: AbiParameterJson): string {
  if (!param.type.startsWith("tuple")) return param.type;
  const inner = (param.components ?? []).map(canonicalType).join(",");
  return `(${inner})${param.type.slice("tuple".length)}`;
}

export function signatureOf(item: AbiItemJson): string {
  return `${item.name ?? ""}(${(item.inputs ?? []).map(canonicalType).join(",")})`;
}

/**
 * `@notice` text of every `error` declared in the project's Solidity sources, by signature. NatSpec is not in Hardhat
 * 3 artifacts, so the sources are read directly: a `/// @notice` line (and its `///` continuations) right above the
 * declaration.
 */
export function errorNotices(root: string): Map<string, string> {
  const notices = new Map<string, string>();
  for (const file of walk(join(root, "contracts"), []).filter((path) => path.endsWith(".sol"))) {
    const lines = readFileSync(file, "utf8").split("\n");
    lines.forEach((line, i) => {
      const match = /^\s*error\s+(\w+)\s*\(([^)]*)\)\s*;/.exec(line);
      if (match === null) return;
      const doc: string[] = [];
      for (let j = i - 1; j >= 0; j--) {
        const comment = /^\s*\/\/\/\s?(.*)$/.exec(lines[j]!);
        if (comment === null) break;
        doc.unshift(comment[1]!.trim());
      }
      const text = doc
        .join(" ")
        .replace(/^@notice\s+/, "")
        .replace(/\s*@\w+.*$/, "")
        .trim();
      const types = match[2]!
        .split(",")
        .map((part) => part.trim().split(/\s+/)[0] ?? "")
        .filter((type) => type !== "");
      if (text !== "") notices.set(`${match[1]!}(${types.join(",")})`, text);
    });
  }
  return notices;
}

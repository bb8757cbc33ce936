// Builds the SDK into sdk/dist with declarations. The generated sources (sdk/src/generated) come from
// `npx hardhat compile` at the repository root; this script refuses to build without them.
// Incremental (tsc's build info sits in dist/); `--clean` empties dist/ first.
import { execFileSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const sdk = join(dirname(fileURLToPath(import.meta.url)), "..");
for (const file of ["abis.ts", "errors.ts", "typechain/index.ts"]) {
  if (!existsSync(join(sdk, "src", "generated", file))) {
    console.error(`sdk/src/generated/${file} is missing: run \`npx hardhat compile\` at the repository root first`);
    process.exit(1);
  }
}
if (process.argv.includes("--clean")) rmSync(join(sdk, "dist"), { recursive: true, force: true });
const tsc = createRequire(join(sdk, "package.json")).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", join(sdk, "tsconfig.json")], { stdio: "inherit" });

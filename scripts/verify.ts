/**
 * `npm run verify -- --network <name>`: verifies the source of every contract of the deployment recorded in
 * `deployments/<chainId>.json` on the chain's explorers, with hardhat-verify: Etherscan (needs ETHERSCAN_API_KEY, from
 * the environment or `npx hardhat keystore set ETHERSCAN_API_KEY`; skipped without it), Blockscout and Sourcify
 * (no key). Constructor arguments and creation transactions come from the Ignition journal, so nothing is typed by
 * hand; contracts already verified are skipped by the explorers themselves, so re-running is safe.
 *
 * Before contacting any explorer it proves, offline, that what it will submit is what was deployed (see
 * deploy/lib/verify.ts). BULKHEAD_VERIFY_DRY_RUN=1 stops there: no network access beyond the node.
 */
import { verifyContract } from "@nomicfoundation/hardhat-verify/verify";
import hre from "hardhat";

import { isDevChain } from "../deploy/lib/chains.js";
import { runCommand } from "../deploy/lib/command.js";
import { journalDirFor } from "../deploy/lib/deploy.js";
import { readRecord, recordFile } from "../deploy/lib/record.js";
import { preflight, verificationTargets } from "../deploy/lib/verify.js";

const PROVIDERS = ["etherscan", "blockscout", "sourcify"] as const;

await runCommand(async () => {
  const connection = await hre.network.create();
  try {
    const provider = connection.ethers.provider;
    const chainId = Number((await provider.getNetwork()).chainId);
    if (isDevChain(chainId)) {
      throw new Error(
        `chain ${chainId} is a development chain: explorers only verify public chains. Run verify with the ` +
          `testnet's network (\`npm run verify -- --network sepolia\`) after deploying there`,
      );
    }
    const record = readRecord(recordFile(hre.config.paths.root, chainId));
    const targets = await verificationTargets(journalDirFor(hre.config, chainId), record);
    const nameOf = new Map(Object.entries(record.contracts).map(([name, entry]) => [entry.address, name]));

    console.log(`Checking ${targets.length} contracts against the chain before submitting anything:`);
    let ready = true;
    for (const target of targets) {
      const result = await preflight(provider, hre.artifacts, target);
      ready &&= result.ok;
      const name = nameOf.get(target.address) ?? target.contract;
      console.log(`  ${result.ok ? "ok  " : "FAIL"}  ${name.padEnd(20)} ${target.address}  ${result.detail}`);
    }
    if (!ready)
      throw new Error(
        "what would be submitted does not match the chain; nothing was sent to any explorer. The contracts changed " +
          "since the deployment: check out the commit that was deployed, `npx hardhat build --no-tests`, and run again",
      );
    if (record.kind === "rehearsal") {
      console.log("Rehearsal: the explorers know nothing of this node, so verify stops after the offline proof.");
      return;
    }
    if (process.env.BULKHEAD_VERIFY_DRY_RUN === "1") {
      console.log("Dry run: nothing sent to any explorer.");
      return;
    }

    const failures: string[] = [];
    for (const explorer of PROVIDERS) {
      const settings = hre.config.verify[explorer];
      if (!settings.enabled) continue;
      if (explorer === "etherscan" && !(await hasEtherscanKey())) {
        console.log(`\n=== etherscan: skipped (set ETHERSCAN_API_KEY to verify there too) ===`);
        continue;
      }
      console.log(`\n=== ${explorer} ===`);
      for (const target of targets) {
        try {
          await verifyContract({ ...target, provider: explorer }, hre);
        } catch (error) {
          failures.push(`${explorer}: ${nameOf.get(target.address) ?? target.contract}: ${(error as Error).message}`);
          console.error(`  ${target.contract} at ${target.address}: ${(error as Error).message}`);
        }
      }
    }
    if (failures.length > 0) throw new Error(`${failures.length} verification(s) failed; re-run to retry them`);
    console.log("\nAll contracts verified.");
  } finally {
    await connection.close();
  }
});

async function hasEtherscanKey(): Promise<boolean> {
  try {
    return (await hre.config.verify.etherscan.apiKey.get()) !== "";
  } catch {
    return false;
  }
}

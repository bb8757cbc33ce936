/**
 * `npm run deploy -- --network <name>`: deploys Bulkhead, or resumes an interrupted or failed deployment, then writes
 * `deployments/<chainId>.json` and runs the post-deploy check. Re-running against a finished deployment sends no
 * transaction and leaves the record byte-for-byte identical. The pool seed (`funding.poolSeed`) is an ERC-7540
 * deposit request: a run after its `lpDelay` executes it (unless a keeper did) and claims the deployer's shares.
 *
 * Parameters: deploy/parameters/<network>.json (local.json on development chains), or BULKHEAD_DEPLOY_PARAMETERS.
 * Environment: BULKHEAD_CONFIRMATIONS (blocks to wait per transaction; Ignition's default is 1 on an automining
 * dev node and 5 elsewhere), BULKHEAD_DEPLOYMENTS_DIR (record folder), BULKHEAD_IGNITION_DIR (journal folder).
 */
import hre from "hardhat";

import { checkDeployment, formatReport } from "../deploy/lib/check.js";
import { deployBulkhead } from "../deploy/lib/deploy.js";
import { runCommand } from "../deploy/lib/command.js";

await runCommand(async () => {
  const connection = await hre.network.create();
  try {
    console.log(`Deploying Bulkhead to ${connection.networkName}…`);
    const outcome = await deployBulkhead(hre, connection, { ui: true });
    const { record } = outcome;
    console.log("");
    console.log(`Bulkhead on ${record.network} (chain ${record.chainId}), from block ${record.deploymentBlock}:`);
    for (const [name, entry] of Object.entries(record.contracts)) {
      console.log(`  ${name.padEnd(20)} ${entry.address}  ${entry.abi}`);
    }
    for (const market of record.markets) {
      console.log(`  market ${market.id} ${market.name.padEnd(11)} feed ${market.feed.address}`);
    }
    if (outcome.file === undefined) {
      console.log("\nEmbedded chain: the deployment ends with this process, so no record is written.");
      console.log("Use --network localhost (with `npx hardhat node` running) for a chain other tools can reach.");
    } else {
      console.log(`\n${outcome.written ? "Wrote" : "Unchanged:"} ${outcome.file}`);
    }
    const { seed } = outcome;
    if (seed.state === "waiting" || seed.state === "paused")
      console.log(`Pool seed: requested, not executed yet (see above); the pool is empty until then.`);
    else if (seed.state === "claimed") console.log(`Pool seed: executed and claimed (${seed.shares} shares).`);
    const report = await checkDeployment(connection.ethers.provider, record, outcome.params);
    for (const line of formatReport(report, false)) console.log(line);
    if (!report.ok) throw new Error("the post-deploy check failed (see above)");
  } finally {
    await connection.close();
  }
});

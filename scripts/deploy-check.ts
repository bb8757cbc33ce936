/**
 * `npm run deploy:check -- --network <name>`: reads the chain and confirms the deployment recorded in
 * `deployments/<chainId>.json` matches its parameter file: code at every address, the wiring, who holds each role
 * (and that the deployer holds nothing it should not), every parameter. Sends nothing. Exit code 1 on any mismatch.
 * BULKHEAD_CHECK_VERBOSE=1 lists the checks that passed too.
 */
import hre from "hardhat";

import { checkDeployment, formatReport } from "../deploy/lib/check.js";
import { runCommand } from "../deploy/lib/command.js";
import { loadParameters } from "../deploy/lib/deploy.js";
import { readRecord, recordFile } from "../deploy/lib/record.js";

await runCommand(async () => {
  const connection = await hre.network.create();
  try {
    const provider = connection.ethers.provider;
    const chainId = Number((await provider.getNetwork()).chainId);
    const file = recordFile(hre.config.paths.root, chainId);
    const record = readRecord(file);
    const genesis = await provider.getBlock(0);
    const params = await loadParameters(hre.config.paths.root, {
      chainId,
      networkName: connection.networkName,
      deployer: record.deployer,
      accounts: [],
      genesisHash: genesis?.hash ?? "",
      provider,
    });
    console.log(`Checking ${file} against ${params.source} on ${connection.networkName} (chain ${chainId})…`);
    const report = await checkDeployment(provider, record, params);
    for (const line of formatReport(report, process.env.BULKHEAD_CHECK_VERBOSE === "1")) console.log(line);
    if (!report.ok) process.exitCode = 1;
  } finally {
    await connection.close();
  }
});

/**
 * `npm run deploy:check -- --network <name>`: reads the chain and confirms the deployment recorded in
 * `deployments/<chainId>.json` matches the parameters it was made with (recorded in it; BULKHEAD_DEPLOY_PARAMETERS
 * checks against another file instead): code at every address, the wiring, who holds each role (and that the
 * deployer holds nothing it should not), every parameter. Sends nothing. Exit code 1 on any mismatch.
 * BULKHEAD_CHECK_VERBOSE=1 lists the checks that passed too. A pool seed still waiting for its `lpDelay` (or to be
 * claimed) is reported, not counted as a failure.
 */
import hre from "hardhat";

import { checkDeployment, formatReport } from "../deploy/lib/check.js";
import { runCommand } from "../deploy/lib/command.js";
import { checkParameters, sourceName } from "../deploy/lib/deploy.js";
import { parameterFileFor, parseParameters, readParameterFile } from "../deploy/lib/parameters.js";
import { readRecord, recordFile } from "../deploy/lib/record.js";
import { describeSeed } from "../deploy/lib/seed.js";

await runCommand(async () => {
  const connection = await hre.network.create();
  try {
    if (connection.networkConfig.type === "edr-simulated") {
      throw new Error(
        `deploy:check reads a deployment on a running chain, and the embedded chain (no --network) starts empty with ` +
          `every command. Start a node (\`npx hardhat node\`), deploy to it with \`npm run deploy -- --network ` +
          `localhost\`, then run \`npm run deploy:check -- --network localhost\``,
      );
    }
    const provider = connection.ethers.provider;
    const chainId = Number((await provider.getNetwork()).chainId);
    const root = hre.config.paths.root;
    const file = recordFile(root, chainId);
    const record = readRecord(
      file,
      `deploy first with \`npm run deploy -- --network ${connection.networkName}\` (with the same ` +
        `BULKHEAD_DEPLOYMENTS_DIR, if you set one; a rehearsal's record is found with BULKHEAD_REHEARSAL=1)`,
    );
    const genesis = await provider.getBlock(0);
    const chain = {
      chainId,
      networkName: connection.networkName,
      deployer: record.deployer,
      accounts: [],
      genesisHash: genesis?.hash ?? "",
      provider,
    };
    const override = (process.env.BULKHEAD_DEPLOY_PARAMETERS ?? "") !== "";
    let params;
    if (record.parameters !== undefined && !override) {
      // The parameters the deployment was made with, as recorded; parsed with the token's recorded decimals.
      params = parseParameters(record.parameters.content, record.parameters.file, BigInt(record.asset.decimals));
    } else {
      const parametersFile = parameterFileFor(root, connection.networkName, chainId);
      params = await checkParameters(readParameterFile(parametersFile), sourceName(root, parametersFile), chain);
    }
    const against = record.parameters !== undefined && !override ? "the parameters recorded from" : "the parameters in";
    console.log(
      `Checking ${file} against ${against} ${params.source} on ${connection.networkName} (chain ${chainId})…`,
    );
    const report = await checkDeployment(provider, record, params);
    for (const line of formatReport(report, process.env.BULKHEAD_CHECK_VERBOSE === "1")) console.log(line);
    const seed = await describeSeed(
      record.contracts.pool.address,
      record.deployer,
      provider,
      `npm run deploy -- --network ${connection.networkName}`,
    );
    if (seed !== undefined) console.log(seed);
    if (!report.ok) process.exitCode = 1;
  } finally {
    await connection.close();
  }
});

/**
 * The default network, the embedded chain, in-process: what a demo or a test calls. The deployment lives as long as
 * the connection; nothing is journaled and no record is written.
 */
import { expect } from "chai";
import hre from "hardhat";

import { checkDeployment } from "../../../deploy/lib/check.js";
import { deployBulkhead } from "../../../deploy/lib/deploy.js";

describe("deploy on the embedded chain, in-process", function () {
  it("deploys the local system, writes nothing, and passes the check", async function () {
    // The first embedded connection of a process loads every build-info of the project (Solidity stack traces):
    // free when the whole suite runs (other files connect while loading), slow when this file runs alone.
    this.timeout(600_000);
    const connection = await hre.network.create();
    try {
      const lines: string[] = [];
      const outcome = await deployBulkhead(hre, connection, { log: (line) => lines.push(line) });
      expect(outcome.file).to.equal(undefined);
      expect(outcome.written).to.equal(false);
      expect(outcome.record).to.include({ chainId: 31337, kind: "local", deploymentBlock: 1 });
      const report = await checkDeployment(connection.ethers.provider, outcome.record, outcome.params);
      expect(report.findings.filter((f) => !f.ok)).to.deep.equal([]);
    } finally {
      await connection.close();
    }
  });
});

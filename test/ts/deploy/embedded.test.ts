/**
 * The default network, the embedded chain, in-process: what a demo or a test calls. The deployment lives as long as
 * the connection; nothing is journaled and no record is written.
 */
import { expect } from "chai";
import hre from "hardhat";

import { checkDeployment } from "../../../deploy/lib/check.js";
import { deployBulkhead } from "../../../deploy/lib/deploy.js";
import { finishSeed } from "../../../deploy/lib/seed.js";
import { LiquidityPool__factory } from "../../../typechain-types/index.js";

describe("deploy on the embedded chain, in-process", function () {
  it("deploys the local system, writes nothing, passes the check, and finishes the seed after lpDelay", async function () {
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
      // The engine's two modules are recorded and checked against the engine and each other.
      expect(Object.keys(outcome.record.contracts)).to.include.members(["orderModule", "liquidationModule"]);
      expect(report.findings.map((f) => f.what)).to.include.members([
        "engine's order module is the recorded one",
        "engine's liquidation module is the recorded one",
        "order module uses the engine's asset, pool, insurance fund and risk config",
        "liquidation module uses the engine's asset, pool, insurance fund and risk config",
        // The engine's copy of the configuration, pushed by RiskConfig, is the configuration.
        "engine's market count is the risk config's",
        "engine's copy of market 0's configuration",
        "engine's copy of market 1's configuration",
      ]);

      // The seed is a deposit request: executable lpDelay (60 s) after it was sent.
      const seed = 1_000_000n * 10n ** 6n;
      expect(outcome.seed).to.include({ state: "waiting", assets: seed });
      const deployer = await connection.ethers.getSigner(outcome.record.deployer);
      const pool = LiquidityPool__factory.connect(outcome.record.contracts.pool.address, deployer);
      const nonce = await deployer.getNonce();
      expect(await finishSeed(await pool.getAddress(), deployer)).to.include({ state: "waiting" });
      expect(await deployer.getNonce()).to.equal(nonce);
      await connection.networkHelpers.time.increase(outcome.params.lp.lpDelay);
      const fee = outcome.params.lp.executionFee;
      expect(await finishSeed(await pool.getAddress(), deployer)).to.deep.equal({
        state: "claimed",
        shares: (seed - fee) * 10n ** 6n,
        executed: true,
      });
      expect(await pool.balanceOf(deployer)).to.equal((seed - fee) * 10n ** 6n);
      expect(await pool.totalAssets()).to.equal(seed - fee);
      // Done: nothing more to send.
      const after = await deployer.getNonce();
      expect(await finishSeed(await pool.getAddress(), deployer)).to.deep.equal({ state: "none" });
      expect(await deployer.getNonce()).to.equal(after);
    } finally {
      await connection.close();
    }
  });
});

/**
 * The SDK as an integrator gets it: `npm pack`ed, installed from the tarball into a fresh project in the OS temp
 * directory (strict TypeScript, no Hardhat), where the "Integrate" examples of the package's README (sdk/README.md,
 * which the repository's README repeats) — viem and ethers, exactly as written — are compiled and then run against a
 * `hardhat node` started here on a free loopback port, with a whole Bulkhead system deployed to it. The examples trade
 * in two steps, publishing the mock feed's rounds and executing their own orders, as nobody keeps that chain.
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { expect } from "chai";
import { Wallet, parseEther } from "ethers";
import { network } from "hardhat";

import { buildRecord, serializeRecord } from "../../../deploy/lib/record.js";
import { deployBulkhead } from "../fixture.js";
import { addressesOf } from "./utils.js";

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const SDK = join(ROOT, "sdk");
const require = createRequire(import.meta.url);
const rootPackage = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  devDependencies: Record<string, string>;
};

/** A README's examples, by the file name their marker gives; the repository's README by default. */
export function readmeExamples(readmePath = join(ROOT, "README.md")): Map<string, string> {
  const readme = readFileSync(readmePath, "utf8");
  const examples = new Map<string, string>();
  for (const match of readme.matchAll(/<!-- consumer-test: ([\w.-]+) -->\s*```ts\n([\s\S]*?)```/g)) {
    examples.set(match[1]!, match[2]!);
  }
  return examples;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/**
 * Starts `hardhat node` in its own process group. It runs with a minimal config of its own (written under cache/,
 * inside the project so that Hardhat finds its local installation) whose artifacts folder is empty: the node then
 * has no build info to load, and starts in seconds whatever the repository's artifacts hold.
 */
function startNode(port: number, scratch: string): { child: ChildProcess; ready: Promise<void>; configDir: string } {
  const configDir = mkdtempSync(join(ROOT, "cache", "sdk-consumer-node-"));
  const config = join(configDir, "hardhat.config.mjs");
  const paths = { artifacts: join(scratch, "node-artifacts"), cache: join(scratch, "node-cache") };
  writeFileSync(config, `export default ${JSON.stringify({ paths })};\n`);
  const cli = join(dirname(require.resolve("hardhat/package.json")), "dist", "src", "cli.js");
  const child = spawn(
    process.execPath,
    [cli, "node", "--config", config, "--hostname", "127.0.0.1", "--port", String(port)],
    { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, FORCE_COLOR: "0" } },
  );
  child.once("exit", () => rmSync(configDir, { recursive: true, force: true }));
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const ready = (async () => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`hardhat node exited (${child.exitCode}):\n${output}`);
      try {
        const response = await fetch(`http://127.0.0.1:${port}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
        });
        if (response.ok) return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error(`hardhat node did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  return { child, ready, configDir };
}

function stopNode(child: ChildProcess | undefined): void {
  if (child?.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    child.kill("SIGTERM");
  }
}

describe("SDK consumer: packed, installed in a fresh strict TypeScript project, run against a local node", function () {
  let project: string | undefined;
  let node: ChildProcess | undefined;
  let nodeConfigDir: string | undefined;

  after(function () {
    stopNode(node);
    if (nodeConfigDir !== undefined) rmSync(nodeConfigDir, { recursive: true, force: true });
    if (project !== undefined) rmSync(project, { recursive: true, force: true });
  });

  it("has both README examples", function () {
    expect([...readmeExamples(join(SDK, "README.md")).keys()].sort()).to.deep.equal([
      "ethers-example.ts",
      "viem-example.ts",
    ]);
  });

  it("the repository's README shows the same examples as the SDK's own (the package's page)", function () {
    expect(readmeExamples()).to.deep.equal(readmeExamples(join(SDK, "README.md")));
  });

  it("compiles the README's viem and ethers examples as written and runs them against a deployed system", async function () {
    this.timeout(600_000);
    project = mkdtempSync(join(tmpdir(), "bulkhead-sdk-consumer-"));

    // Build and pack the SDK; start the node meanwhile.
    const port = await freePort();
    const started = startNode(port, project);
    node = started.child;
    nodeConfigDir = started.configDir;
    started.ready.catch(() => undefined);
    await run(process.execPath, [join(SDK, "scripts", "build.mjs")], { cwd: ROOT });
    const packed = await run("npm", ["pack", "--json", "--pack-destination", project], { cwd: SDK });
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
    const tarball = join(project, filename);

    // A fresh project: the tarball, viem, ethers, TypeScript and Node's types, pinned to the repository's versions.
    const app = join(project, "app");
    mkdirSync(join(app, "src"), { recursive: true });
    const pin = (name: string): string => {
      const version = rootPackage.devDependencies[name];
      if (version === undefined) throw new Error(`${name} is not a dev dependency of the repository`);
      return version;
    };
    writeFileSync(
      join(app, "package.json"),
      JSON.stringify(
        {
          name: "bulkhead-sdk-consumer",
          private: true,
          type: "module",
          dependencies: {
            "@bulkhead/sdk": `file:${tarball}`,
            viem: pin("viem"),
            ethers: pin("ethers"),
            typescript: pin("typescript"),
            "@types/node": pin("@types/node"),
          },
        },
        null,
        2,
      ),
    );
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "es2022",
          module: "nodenext",
          moduleResolution: "nodenext",
          lib: ["es2023"],
          types: ["node"],
          strict: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
          noImplicitOverride: true,
          // As most projects do; checking all of viem's and ethers' declarations would take a minute.
          skipLibCheck: true,
          outDir: "dist",
          rootDir: "src",
        },
        include: ["src"],
      }),
    );
    const examples = readmeExamples(join(SDK, "README.md"));
    for (const [file, source] of examples) writeFileSync(join(app, "src", file), source);
    // Every entry point resolves, through the package's exports map, to declarations.
    writeFileSync(
      join(app, "src", "entry-points.ts"),
      ["", "/ethers", "/node", "/abis", "/mocks", "/mocks/ethers"]
        .map((entry, i) => `export type * as entry${i} from "@bulkhead/sdk${entry}";`)
        .join("\n"),
    );

    // Install and compile, while a whole system is deployed to the node (with the artifacts' bytecode).
    const compiled = (async () => {
      await run(
        "npm",
        ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
        {
          cwd: app,
        },
      );
      const tsc = join(app, "node_modules", "typescript", "bin", "tsc");
      try {
        await run(process.execPath, [tsc, "-p", "."], { cwd: app });
      } catch (error) {
        throw new Error(`the examples do not compile:\n${(error as { stdout?: string }).stdout ?? String(error)}`);
      }
    })();
    compiled.catch(() => undefined);
    await started.ready;
    const connection = await network.create({ network: "localhost", override: { url: `http://127.0.0.1:${port}` } });
    try {
      const deployed = (async () => {
        const s = await deployBulkhead(connection);
        const addresses = await addressesOf(s);
        const provider = connection.ethers.provider;
        const chainId = Number((await provider.getNetwork()).chainId);
        const genesis = await provider.getBlock(0);
        const entry = (address: string, abi: string): { address: string; abi: string } => ({ address, abi });
        // The record `npm run deploy` writes, built by the deploy tooling's own code.
        const record = await buildRecord(provider, {
          chainId,
          network: "localhost",
          genesisHash: genesis!.hash!,
          deploymentBlock: 1,
          deployer: s.actors.deployer.address,
          kind: "local",
          contracts: {
            accessManager: entry(await s.manager.getAddress(), "AccessManager"),
            asset: entry(addresses.asset, "TestStablecoin"),
            riskConfig: entry(addresses.riskConfig, "RiskConfig"),
            pool: entry(addresses.liquidityPool, "LiquidityPool"),
            insuranceFund: entry(addresses.insuranceFund, "InsuranceFund"),
            engine: entry(addresses.marginEngine, "MarginEngine"),
            orderModule: entry(await s.engine.ORDER_MODULE(), "OrderModule"),
            liquidationModule: entry(await s.engine.LIQUIDATION_MODULE(), "LiquidationModule"),
            vaultImplementation: entry(await s.engine.VAULT_IMPLEMENTATION(), "PositionVault"),
            lens: entry(addresses.bulkheadLens!, "BulkheadLens"),
          },
          marketNames: ["ETH-USD", "BTC-USD"],
          feedAbis: ["MockV3Aggregator", "MockV3Aggregator"],
          guardian: s.actors.guardian.address,
          timelockMembers: { proposers: [], executors: [] },
        });
        const file = join(project!, "deployments", `${chainId}.json`);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, serializeRecord(record));
        return { s, file };
      })();
      const [{ s, file: deploymentFile }] = await Promise.all([deployed, compiled]);

      const outputs: string[] = [];
      for (const example of ["viem-example", "ethers-example"]) {
        const trader = Wallet.createRandom();
        await (await s.actors.deployer.sendTransaction({ to: trader.address, value: parseEther("10") })).wait();
        try {
          const { stdout } = await run(process.execPath, [join(app, "dist", `${example}.js`)], {
            cwd: app,
            env: {
              ...process.env,
              RPC_URL: `http://127.0.0.1:${port}`,
              PRIVATE_KEY: trader.privateKey,
              DEPLOYMENT: deploymentFile,
            },
          });
          outputs.push(stdout);
        } catch (error) {
          const failed = error as { stdout?: string; stderr?: string };
          throw new Error(`${example} failed:\n${failed.stdout ?? ""}\n${failed.stderr ?? String(error)}`);
        }
      }
      const [viemOut, ethersOut] = outputs as [string, string];
      expect(viemOut).to.match(/^viem: position (\d+) equity \d+ health \d+% liquidation price [1-9]\d*$/m);
      // 150 USD escrowed, less the 0.3 USD opening fee, plus 25 USD added: removing 170 would leave 4.7 USD.
      expect(viemOut).to.match(/^viem: refused, collateral would be 4700000 < minimum 10000000$/m);
      expect(viemOut).to.match(/^viem: closed position \d+, payout [1-9]\d*$/m);
      const [, equity, lens] = /^ethers: position \d+ equity (-?\d+) \(lens (-?\d+)\)$/m.exec(ethersOut) ?? [];
      expect(equity, ethersOut).to.not.equal(undefined);
      expect(equity).to.equal(lens);
      expect(ethersOut).to.match(/^ethers: not liquidatable, equity \d+ >= \d+$/m);
      expect(ethersOut).to.match(/^ethers: closed position \d+, payout [1-9]\d*$/m);
    } finally {
      await connection.close();
    }
  });
});

import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import hardhatEthersChaiMatchers from "@nomicfoundation/hardhat-ethers-chai-matchers";
import hardhatIgnitionEthers from "@nomicfoundation/hardhat-ignition-ethers";
import hardhatKeystore from "@nomicfoundation/hardhat-keystore";
import hardhatMocha from "@nomicfoundation/hardhat-mocha";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";
import hardhatTypechain from "@nomicfoundation/hardhat-typechain";
import hardhatVerify from "@nomicfoundation/hardhat-verify";
import { configVariable, defineConfig } from "hardhat/config";

import bulkheadBuild from "./hardhat/build-plugin.js";
import bulkheadSdkCodegen from "./sdk/codegen/hardhat-plugin.js";

const require = createRequire(import.meta.url);

/** Fuzz / invariant effort. `default` is fast enough for every run; `ci` is what CI runs; `deep` is run by `npm run test:deep`. */
const TEST_PROFILES = {
  default: { fuzzRuns: 256, invariantRuns: 32, invariantDepth: 32 },
  // The invariant handler predicts every call's outcome (about 2 ms a call on one core, 12 campaigns): 64 × 64 calls
  // per campaign keeps CI within its budget; `deep` (1,000 × 64 per campaign, about half an hour on 2 cores) is the
  // long campaign run before a release.
  ci: { fuzzRuns: 1_000, invariantRuns: 64, invariantDepth: 64 },
  deep: { fuzzRuns: 10_000, invariantRuns: 1_000, invariantDepth: 64 },
} as const;

const profileName = (process.env.BULKHEAD_TEST_PROFILE ?? "default") as keyof typeof TEST_PROFILES;
const profile = TEST_PROFILES[profileName];
if (profile === undefined) {
  throw new Error(
    `BULKHEAD_TEST_PROFILE must be one of ${Object.keys(TEST_PROFILES).join(", ")}; got "${profileName}"`,
  );
}

/**
 * Test sources compiled in jobs of their own (see `solidity.overrides`): the invariant suite and the attack suite. With
 * every test in one job, wasm solc runs out of memory.
 */
const SEPARATE_TEST_SOURCES = [
  ...["Bulkhead.invariant.t.sol", "EngineModel.sol", "HandlerState.sol", "LpActions.sol"].map(
    (file) => `test/solidity/invariant/${file}`,
  ),
  ...readdirSync(path.join(import.meta.dirname, "test/solidity/attacks"))
    .filter((file) => file.endsWith(".t.sol"))
    .map((file) => `test/solidity/attacks/${file}`),
];

/** The one compiler: solc 0.8.28 from the npm `solc` package, so compilation needs no download. */
function compiler() {
  return {
    version: "0.8.28",
    path: require.resolve("solc/soljson.js"),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      // The IR pipeline keeps the engine under the 24 KB code-size limit and saves gas on every priced operation.
      viaIR: true,
      evmVersion: "cancun",
    },
  };
}

export default defineConfig({
  plugins: [
    hardhatEthers,
    hardhatEthersChaiMatchers,
    hardhatMocha,
    hardhatNetworkHelpers,
    hardhatTypechain,
    hardhatIgnitionEthers,
    hardhatKeystore,
    hardhatVerify,
    bulkheadSdkCodegen,
    bulkheadBuild,
  ],
  solidity: {
    // Contracts and tests build separately: scripts (`hardhat run`) and `hardhat test mocha` build the contracts only.
    // Solidity tests deploy the system from its artifacts (test/solidity/utils/Artifacts.sol) and import interfaces
    // only, so they compile in one job that never rebuilds the contracts, and test the bytecode that is deployed.
    splitTestsCompilation: true,
    compilers: [compiler()],
    // The invariant and attack suites compile in jobs of their own: with every test in one job, wasm solc runs out of
    // memory (the build hook compiles every test job without the optimizer and the IR pipeline).
    overrides: Object.fromEntries(
      SEPARATE_TEST_SOURCES.map((source) => [
        source,
        { ...compiler(), settings: { ...compiler().settings, optimizer: { enabled: false }, viaIR: false } },
      ]),
    ),
    npmFilesToBuild: [
      "@chainlink/contracts/src/v0.8/tests/MockV3Aggregator.sol",
      "@openzeppelin/contracts/governance/TimelockController.sol",
      "@openzeppelin/contracts/access/manager/AccessManager.sol",
      // ABIs the deploy modules bind to existing contracts with on a testnet (settlement token, Chainlink feeds).
      "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol",
      "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol",
    ],
  },
  networks: {
    // `default` is the embedded in-process chain (Hardhat's built-in); nothing deployed there outlives the command.
    localhost: {
      type: "http",
      // Any node (`npx hardhat node`, anvil, geth --dev): 127.0.0.1:8545, or BULKHEAD_LOCALHOST_RPC_URL (documented in
      // deploy/README.md, "Local chains"; the deploy tests use it for the nodes they start on free ports).
      url: process.env.BULKHEAD_LOCALHOST_RPC_URL ?? "http://127.0.0.1:8545",
    },
    sepolia: {
      type: "http",
      chainType: "l1",
      chainId: 11155111,
      // From the environment or `npx hardhat keystore set …`; never written in the source.
      url: configVariable("SEPOLIA_RPC_URL"),
      accounts: [configVariable("SEPOLIA_PRIVATE_KEY")],
    },
  },
  // `npm run verify`: Etherscan needs a key (env or keystore); Blockscout and Sourcify need none.
  verify: {
    etherscan: { apiKey: configVariable("ETHERSCAN_API_KEY") },
  },
  paths: {
    tests: { solidity: "test/solidity", mocha: "test/ts" },
    ignition: "deploy",
  },
  test: {
    solidity: {
      fuzz: { runs: profile.fuzzRuns, seed: "0xb0154ead" },
      invariant: { runs: profile.invariantRuns, depth: profile.invariantDepth, failOnRevert: false },
    },
    mocha: { timeout: 120_000 },
  },
  typechain: { outDir: "typechain-types" },
});

import { createRequire } from "node:module";

import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import hardhatEthersChaiMatchers from "@nomicfoundation/hardhat-ethers-chai-matchers";
import hardhatIgnitionEthers from "@nomicfoundation/hardhat-ignition-ethers";
import hardhatKeystore from "@nomicfoundation/hardhat-keystore";
import hardhatMocha from "@nomicfoundation/hardhat-mocha";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";
import hardhatTypechain from "@nomicfoundation/hardhat-typechain";
import hardhatVerify from "@nomicfoundation/hardhat-verify";
import { defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);

/** Fuzz / invariant effort. `default` is fast enough for every run; `ci` is what CI runs; `deep` is run by `npm run test:deep`. */
const TEST_PROFILES = {
  default: { fuzzRuns: 256, invariantRuns: 32, invariantDepth: 32 },
  ci: { fuzzRuns: 1_000, invariantRuns: 256, invariantDepth: 64 },
  deep: { fuzzRuns: 10_000, invariantRuns: 10_000, invariantDepth: 32 },
} as const;

const profileName = (process.env.BULKHEAD_TEST_PROFILE ?? "default") as keyof typeof TEST_PROFILES;
const profile = TEST_PROFILES[profileName];
if (profile === undefined) {
  throw new Error(
    `BULKHEAD_TEST_PROFILE must be one of ${Object.keys(TEST_PROFILES).join(", ")}; got "${profileName}"`,
  );
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
  ],
  solidity: {
    // Compiled offline with the npm `solc` build of the same version.
    version: "0.8.28",
    path: require.resolve("solc/soljson.js"),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
    },
    npmFilesToBuild: [
      "@chainlink/contracts/src/v0.8/tests/MockV3Aggregator.sol",
      "@openzeppelin/contracts/governance/TimelockController.sol",
      "@openzeppelin/contracts/access/manager/AccessManager.sol",
    ],
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

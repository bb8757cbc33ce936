/**
 * Config of the `hardhat node` processes the deploy tests start. The project's config would work too, but a node
 * started with it loads every build-info of the project for stack traces first (tens of seconds here); these nodes
 * serve the deploy scripts, which never need Solidity stack traces from the node. Everything the node writes goes to
 * BULKHEAD_TEST_NODE_DIR.
 */
const dir = process.env.BULKHEAD_TEST_NODE_DIR ?? "/tmp/bulkhead-test-node";

export default {
  paths: { artifacts: `${dir}/artifacts`, cache: `${dir}/cache` },
  networks: {
    // `npm run coverage` deploys instrumented contracts, larger than the 24 KB a real chain accepts; only then may
    // the node take them. Every other run keeps the limit, as on a real chain.
    node: { type: "edr-simulated", allowUnlimitedContractSize: process.env.BULKHEAD_COVERAGE === "1" },
  },
};

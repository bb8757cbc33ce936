/**
 * @bulkhead/sdk/mocks/ethers — for local chains and tests only: typechain (ethers v6) factories of the demo's
 * `TestStablecoin` (an open-mint faucet) and Chainlink's `MockV3Aggregator`.
 */
export * from "./generated/typechain/mocks.js";

/**
 * @bulkhead/sdk/mocks — for local chains and tests only: the ABIs of the demo's settlement token (`TestStablecoin`,
 * whose `mint` is an open faucet) and of Chainlink's `MockV3Aggregator` (a feed whose answer anyone with its address
 * can set with `updateAnswer`). Never bind a real deployment with them. ethers users: `@bulkhead/sdk/mocks/ethers`.
 */
export { mockV3AggregatorAbi, testStablecoinAbi } from "./generated/abis.js";

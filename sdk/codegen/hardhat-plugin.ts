/**
 * A Hardhat 3 plugin that keeps the SDK's generated sources (viem ABIs, error classes, typechain copy) in step with
 * the contracts: after every successful build, once hardhat-typechain has written its bindings.
 */
import type { HardhatPlugin } from "hardhat/types/plugins";

const bulkheadSdkCodegen: HardhatPlugin = {
  id: "bulkhead-sdk-codegen",
  // Registered after typechain, so its post-build handler runs after typechain's.
  dependencies: () => [import("@nomicfoundation/hardhat-typechain")],
  hookHandlers: {
    solidity: () => import("./hardhat-hooks.js"),
  },
};

export default bulkheadSdkCodegen;

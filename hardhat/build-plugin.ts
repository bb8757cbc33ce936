/**
 * Build settings that Hardhat's config cannot express:
 * - compiler warnings we have read and accepted are dropped, once, here, so that every build prints only what is new;
 * - the Solidity test job compiles without the optimizer and the IR pipeline. Tests deploy the system from its own (optimised) artifacts
 *   and import interfaces only (test/solidity/utils/Artifacts.sol), so the optimizer would only speed up test code, at
 *   the cost of minutes of wasm solc per cold build.
 */
import type { HardhatPlugin } from "hardhat/types/plugins";

/** A warning to drop: its solc error code and the source file it comes from. */
export interface KnownWarning {
  errorCode: string;
  sourceFile: string;
  why: string;
}

export const KNOWN_WARNINGS: readonly KnownWarning[] = [
  {
    // "Transient storage as defined by EIP-1153 can break the composability of smart contracts": OpenZeppelin's
    // ReentrancyGuardTransient uses it for a lock that is always released before the call returns.
    errorCode: "2394",
    sourceFile: "@openzeppelin/contracts/utils/TransientSlot.sol",
    why: "OpenZeppelin's transient reentrancy lock, released within the call",
  },
];

/** Where the Solidity tests live: a compilation job with a source under it is a test job. */
export const SOLIDITY_TESTS_DIR = "test/solidity/";

const bulkheadBuild: HardhatPlugin = {
  id: "bulkhead-build",
  hookHandlers: {
    solidity: () => import("./build-hooks.js"),
  },
};

export default bulkheadBuild;

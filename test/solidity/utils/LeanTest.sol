// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TestBase} from "forge-std/Base.sol";
import {StdAssertions} from "forge-std/StdAssertions.sol";
import {StdChains} from "forge-std/StdChains.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

/// @dev forge-std's `Test` without `console`, `console2` and `safeconsole`. Those libraries add ~1 MB of source to
/// every compilation job, which pushes solc's wasm build past its memory limit once the system and a few test files
/// are in the same job. Import `console2` directly in a file that needs it while debugging.
abstract contract Test is TestBase, StdAssertions, StdChains, StdCheats, StdInvariant, StdUtils {
    /// @dev The runner treats a contract as a test suite only if this returns true.
    bool public IS_TEST = true;
}

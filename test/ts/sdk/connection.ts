import { network } from "hardhat";

/**
 * The embedded chain the SDK's test files share. Creating a connection makes Hardhat load every build info for its
 * stack traces, which is slow on a big artifacts folder: the SDK's files do it once. Each file starts from a fixture
 * of its own (`loadFixture` snapshots, or a fresh deployment), so sharing the chain shares no state they rely on.
 */
export const sdkConnection = await network.getOrCreate();

/** Chain ids of development nodes: Hardhat and anvil (31337), geth --dev and Ganache (1337). */
export const DEV_CHAIN_IDS: readonly number[] = [31337, 1337];

/** A development chain: restarted at will, so a deployment recorded for it may have vanished. */
export function isDevChain(chainId: number): boolean {
  return DEV_CHAIN_IDS.includes(chainId);
}

/**
 * Genesis block hashes of the real networks a rehearsal may pose as. A rehearsal (mock token and feeds on a testnet's
 * chain id) is refused on a chain whose genesis is the real one, and on a chain id missing here: add the network's
 * genesis hash (`eth_getBlockByNumber("0x0")` on a real endpoint) to rehearse it.
 */
export const REAL_GENESIS: Readonly<Record<number, string>> = {
  1: "0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3",
  11155111: "0x25a5cc106eea7138acab33231d7160d69cb777ee0c2c553fcddf5138993e6dd9",
};

/** The environment variable that allows a rehearsal parameter file on a testnet's chain id. */
export const REHEARSAL_FLAG = "BULKHEAD_REHEARSAL";

/** Whether this run is a rehearsal (`BULKHEAD_REHEARSAL=1`): its record and journal go to `deploy/rehearsal/`. */
export function isRehearsal(): boolean {
  return process.env[REHEARSAL_FLAG] === "1";
}

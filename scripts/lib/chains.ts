/** Chain ids of development nodes: Hardhat and anvil (31337), geth --dev and Ganache (1337). */
export const DEV_CHAIN_IDS: readonly number[] = [31337, 1337];

/** A development chain: restarted at will, so a deployment recorded for it may have vanished. */
export function isDevChain(chainId: number): boolean {
  return DEV_CHAIN_IDS.includes(chainId);
}

import { getBlock } from "viem/actions";

import type { ReadClient } from "./client.js";

/** A block to read at: the given one, or the latest. Reads pinned to one block agree with each other. */
export async function resolveBlock(
  client: ReadClient,
  blockNumber: bigint | undefined,
): Promise<{ blockNumber: bigint; timestamp: bigint }> {
  const block = await getBlock(client, blockNumber === undefined ? { blockTag: "latest" } : { blockNumber });
  if (block.number === null) throw new Error("the node returned a pending block");
  return { blockNumber: block.number, timestamp: block.timestamp };
}

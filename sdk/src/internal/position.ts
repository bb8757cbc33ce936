import { getPosition } from "../actions/getPosition.js";
import type { BulkheadAddresses } from "../deployment.js";
import { PositionNotFoundError } from "../errors/sdk.js";
import type { Position } from "../types.js";
import type { ReadClient } from "./client.js";

/** The stored position, or `PositionNotFoundError` for an id not in use. */
export async function existingPosition(
  client: ReadClient,
  addresses: Pick<BulkheadAddresses, "marginEngine">,
  positionId: bigint,
  blockNumber?: bigint | undefined,
): Promise<Position> {
  const position = await getPosition(client, { addresses, positionId, blockNumber });
  if (position === null) throw new PositionNotFoundError(positionId);
  return position;
}

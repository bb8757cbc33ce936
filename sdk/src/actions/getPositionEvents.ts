import type { BlockNumber, BlockTag, GetLogsErrorType } from "viem";
import { getLogs } from "viem/actions";

import type { BulkheadAddresses } from "../deployment.js";
import { decodePositionEvents, positionEventsAbi, positionIdOf, type PositionEvent } from "../events.js";
import type { ReadClient } from "../internal/client.js";

export interface GetPositionEventsParameters {
  addresses: Pick<BulkheadAddresses, "marginEngine">;
  /** Default: the earliest block. Use the deployment block, and chunk long ranges on public RPCs. */
  fromBlock?: BlockNumber | BlockTag | undefined;
  toBlock?: BlockNumber | BlockTag | undefined;
  /** Only this position's events (`VaultSwept`, about a vault, is then left out). */
  positionId?: bigint | undefined;
}

export type GetPositionEventsReturnType = PositionEvent[];
export type GetPositionEventsErrorType = GetLogsErrorType;

/** The engine's events (positions, orders, claims, vault sweeps) in a block range, decoded, in chain order. */
export async function getPositionEvents(
  client: ReadClient,
  { addresses, fromBlock, toBlock, positionId }: GetPositionEventsParameters,
): Promise<GetPositionEventsReturnType> {
  const logs = await getLogs(client, {
    address: addresses.marginEngine,
    events: positionEventsAbi,
    fromBlock: fromBlock ?? "earliest",
    toBlock: toBlock ?? "latest",
    strict: true,
  });
  const events = decodePositionEvents(logs, { engine: addresses.marginEngine });
  return positionId === undefined ? events : events.filter((event) => positionIdOf(event) === positionId);
}

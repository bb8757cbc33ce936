/**
 * Decoding the engine's position events (opened, increased, decreased, closed, liquidated, closed at the cap, margin
 * added / removed)
 * from viem logs or ethers logs alike.
 */
import {
  decodeEventLog,
  isAddressEqual,
  type AbiParameter,
  type AbiParameterToPrimitiveType,
  type Address,
  type Hex,
} from "viem";

import { marginEngineAbi } from "./generated/abis.js";

type EngineEvent = Extract<(typeof marginEngineAbi)[number], { type: "event" }>;

/** The position events, in the order of a position's life. */
export const POSITION_EVENT_NAMES = [
  "PositionOpened",
  "PositionIncreased",
  "PositionDecreased",
  "PositionClosed",
  "PositionLiquidated",
  "ProfitTaken",
  "MarginAdded",
  "MarginRemoved",
  "RefundDeferred",
  "RefundClaimed",
] as const satisfies readonly EngineEvent["name"][];

export type PositionEventName = (typeof POSITION_EVENT_NAMES)[number];

/** The ABI of the position events alone (a slice of `marginEngineAbi`), e.g. for `getLogs` or `watchEvent`. */
export const positionEventsAbi = marginEngineAbi.filter(
  (item): item is Extract<EngineEvent, { name: PositionEventName }> =>
    item.type === "event" && (POSITION_EVENT_NAMES as readonly string[]).includes(item.name),
);

type NamedArgs<params extends readonly AbiParameter[]> = {
  [P in params[number] as P["name"] & string]: AbiParameterToPrimitiveType<P>;
};

/** Decoded arguments of a position event, by name. */
export type PositionEventArgs<name extends PositionEventName> = NamedArgs<
  Extract<EngineEvent, { name: name }>["inputs"]
>;

/** A decoded position event, with where it came from when the log says. */
export type PositionEvent = {
  [name in PositionEventName]: {
    eventName: name;
    args: PositionEventArgs<name>;
    address: Address | undefined;
    blockNumber: bigint | undefined;
    transactionHash: Hex | undefined;
    logIndex: number | undefined;
  };
}[PositionEventName];

/**
 * A log as viem (`Log`) or ethers v6 (`Log`, `EventLog`) returns it: topics and data, plus optional metadata
 * (`logIndex` in viem, `index` in ethers).
 */
export interface LogLike {
  topics: readonly string[];
  data: string;
  address?: string | undefined;
  blockNumber?: bigint | number | null | undefined;
  transactionHash?: string | null | undefined;
  logIndex?: number | null | undefined;
  index?: number | undefined;
}

/**
 * Decodes one log into a position event; undefined for a log that is not one (another contract's, or another of the
 * engine's events). With `engine`, logs from any other address are ignored.
 */
export function decodePositionEvent(
  log: LogLike,
  options: { engine?: Address | undefined } = {},
): PositionEvent | undefined {
  if (log.topics.length === 0) return undefined;
  if (
    options.engine !== undefined &&
    (log.address === undefined || !isAddressEqual(log.address as Address, options.engine))
  ) {
    return undefined;
  }
  let decoded;
  try {
    decoded = decodeEventLog({
      abi: positionEventsAbi,
      topics: log.topics as [Hex, ...Hex[]],
      data: log.data as Hex,
      strict: true,
    });
  } catch {
    return undefined;
  }
  const logIndex = log.logIndex ?? log.index;
  return {
    eventName: decoded.eventName,
    args: decoded.args,
    address: log.address as Address | undefined,
    blockNumber: log.blockNumber === undefined || log.blockNumber === null ? undefined : BigInt(log.blockNumber),
    transactionHash: (log.transactionHash ?? undefined) as Hex | undefined,
    logIndex: logIndex ?? undefined,
  } as PositionEvent;
}

/** Every position event among `logs` (for instance a receipt's), in order. */
export function decodePositionEvents(
  logs: readonly LogLike[],
  options: { engine?: Address | undefined } = {},
): PositionEvent[] {
  return logs.flatMap((log) => {
    const event = decodePositionEvent(log, options);
    return event === undefined ? [] : [event];
  });
}

/** Narrows decoded events to one kind: `eventsNamed(events, "PositionOpened")[0]?.args.positionId`. */
export function eventsNamed<name extends PositionEventName>(
  events: readonly PositionEvent[],
  eventName: name,
): Extract<PositionEvent, { eventName: name }>[] {
  return events.filter((event): event is Extract<PositionEvent, { eventName: name }> => event.eventName === eventName);
}

/**
 * Decoding the engine's events — a position's life (opened, increased, decreased, closed, liquidated, closed at the
 * cap, margin added / removed), its orders (requested, executed, cancelled), claims (recorded, claimed) and vault
 * sweeps — from viem logs or ethers logs alike, and the names of the engine's enums.
 */
import {
  decodeEventLog,
  isAddressEqual,
  type AbiParameter,
  type AbiParameterToPrimitiveType,
  type Address,
  type Hex,
} from "viem";

import { UnknownEnumValueError } from "./errors/sdk.js";
import { marginEngineAbi } from "./generated/abis.js";
import type { CancelReasonName, OrderKindName, OrderStatusName } from "./types.js";

type EngineEvent = Extract<(typeof marginEngineAbi)[number], { type: "event" }>;

/** The engine's events, in the order of a position's life. */
export const POSITION_EVENT_NAMES = [
  "OrderRequested",
  "OrderExecuted",
  "OrderCancelled",
  "PositionOpened",
  "PositionIncreased",
  "PositionDecreased",
  "PositionClosed",
  "PositionLiquidated",
  "ProfitTaken",
  "MarginAdded",
  "MarginRemoved",
  "ClaimRecorded",
  "Claimed",
  "VaultSwept",
] as const satisfies readonly EngineEvent["name"][];

export type PositionEventName = (typeof POSITION_EVENT_NAMES)[number];

/** The ABI of the engine's events alone (a slice of `marginEngineAbi`), e.g. for `getLogs` or `watchEvent`. */
export const positionEventsAbi = marginEngineAbi.filter(
  (item): item is Extract<EngineEvent, { name: PositionEventName }> =>
    item.type === "event" && (POSITION_EVENT_NAMES as readonly string[]).includes(item.name),
);

// ---------------------------------------------------------------- enums

/** `OrderKind` (IMarginEngine.sol), by value: `ORDER_KINDS[event.args.kind]`. */
export const ORDER_KINDS = [
  "None",
  "Open",
  "Increase",
  "Decrease",
  "Close",
] as const satisfies readonly OrderKindName[];

/** `CancelReason` (IMarginEngine.sol), by value: `CANCEL_REASONS[event.args.reason]`. */
export const CANCEL_REASONS = [
  "Expired",
  "WindowMissed",
  "PhaseChanged",
  "BadPrice",
  "Replaced",
  "PositionClosed",
  "GracePeriod",
  "Paused",
  "Capacity",
  "PriceBound",
  "Margin",
] as const satisfies readonly CancelReasonName[];

/** `OrderStatus` (IMarginEngine.sol), by value. */
export const ORDER_STATUSES = [
  "None",
  "Waiting",
  "Executable",
  "Cancellable",
] as const satisfies readonly OrderStatusName[];

function nameOf<T extends string>(names: readonly T[], enumName: string, value: bigint | number): T {
  const name = names[Number(value)];
  if (name === undefined) throw new UnknownEnumValueError(enumName, value);
  return name;
}

/** The name of an `OrderKind` value (events' `kind`, `orders(id).kind`). */
export function orderKindName(value: bigint | number): OrderKindName {
  return nameOf(ORDER_KINDS, "OrderKind", value);
}

/** The name of a `CancelReason` value (`OrderCancelled`'s `reason`). */
export function cancelReasonName(value: bigint | number): CancelReasonName {
  return nameOf(CANCEL_REASONS, "CancelReason", value);
}

/** The name of an `OrderStatus` value (`orderStatus(id)`). */
export function orderStatusName(value: bigint | number): OrderStatusName {
  return nameOf(ORDER_STATUSES, "OrderStatus", value);
}

/** The value of an order kind, for filters and comparisons with raw event arguments. */
export function orderKindValue(name: OrderKindName): number {
  return ORDER_KINDS.indexOf(name);
}

// ---------------------------------------------------------------- decoding

type NamedArgs<params extends readonly AbiParameter[]> = {
  [P in params[number] as P["name"] & string]: AbiParameterToPrimitiveType<P>;
};

/** Decoded arguments of an engine event, by name (enums are numbers: see `orderKindName`, `cancelReasonName`). */
export type PositionEventArgs<name extends PositionEventName> = NamedArgs<
  Extract<EngineEvent, { name: name }>["inputs"]
>;

/** A decoded engine event, with where it came from when the log says. */
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
 * Decodes one log into an engine event; undefined for a log that is not one (another contract's, or another of the
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

/** Every engine event among `logs` (for instance a receipt's), in order. */
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

/** The position an event is about; undefined for `VaultSwept`, which is about a vault. */
export function positionIdOf(event: PositionEvent): bigint | undefined {
  return "positionId" in event.args ? event.args.positionId : undefined;
}

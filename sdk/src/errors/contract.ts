/** Reverts of the Bulkhead contracts, decoded: the base of the generated per-error classes, panics and reason strings. */
import type { AbiParameter, AbiParameterToPrimitiveType, Hex } from "viem";

import type { bulkheadErrorsAbi } from "../generated/abis.js";
import { BulkheadError } from "./base.js";

type ErrorsAbi = typeof bulkheadErrorsAbi;

/** The name of any custom error of the Bulkhead contracts (and the OpenZeppelin code they use). */
export type BulkheadErrorName = ErrorsAbi[number]["name"];

type NamedArgs<params extends readonly AbiParameter[]> = {
  [P in params[number] as P["name"] & string]: AbiParameterToPrimitiveType<P>;
};

/** The decoded arguments of a custom error, by parameter name (integers of up to 48 bits are numbers, as in viem). */
export type BulkheadErrorArgs<name extends BulkheadErrorName> = NamedArgs<
  Extract<ErrorsAbi[number], { name: name }>["inputs"]
>;

export interface BulkheadContractErrorParameters<name extends BulkheadErrorName> {
  args: BulkheadErrorArgs<name>;
  /** The raw revert data. */
  data: Hex;
  /** The error the revert was found in (a viem or ethers error), if any. */
  cause?: unknown;
}

/** What a generated error class knows statically about its Solidity error. */
export interface BulkheadErrorDescriptor<name extends BulkheadErrorName> {
  readonly errorName: name;
  readonly signature: string;
  readonly selector: Hex;
  /** The `@notice` of the error's declaration ("" when it has none). */
  readonly notice: string;
}

function show(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`;
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * A custom error the contracts reverted with. Each Solidity error has its own subclass (`NotLiquidatableError`,
 * `StalePriceError`, …, in `bulkheadErrorClasses`), so callers can use `instanceof` and read typed `args`.
 */
export class BulkheadContractError<name extends BulkheadErrorName = BulkheadErrorName> extends BulkheadError {
  override name: string = "BulkheadContractError";
  /** The Solidity error's name. */
  readonly errorName: name;
  readonly args: BulkheadErrorArgs<name>;
  readonly data: Hex;
  readonly selector: Hex;
  /** Canonical signature, e.g. `NotLiquidatable(uint256,int256,uint256)`. */
  readonly signature: string;
  readonly notice: string;

  constructor(descriptor: BulkheadErrorDescriptor<name>, { args, data, cause }: BulkheadContractErrorParameters<name>) {
    const formatted = Object.entries(args as Record<string, unknown>)
      .map(([key, value]) => `${key}: ${show(value)}`)
      .join(", ");
    super(
      `The contract reverted with ${descriptor.errorName}${descriptor.notice === "" ? "." : `: ${descriptor.notice}`}`,
      { cause, metaMessages: [`${descriptor.errorName}(${formatted})`] },
    );
    this.errorName = descriptor.errorName;
    this.args = args;
    this.data = data;
    this.selector = descriptor.selector;
    this.signature = descriptor.signature;
    this.notice = descriptor.notice;
  }
}

/** Solidity's panic codes (`Panic(uint256)`). */
export const panicReasons: Readonly<Record<number, string>> = {
  0x01: "assertion failed",
  0x11: "arithmetic underflow or overflow",
  0x12: "division or modulo by zero",
  0x21: "invalid enum value",
  0x22: "invalid storage byte array",
  0x31: "pop on an empty array",
  0x32: "array index out of bounds",
  0x41: "out of memory",
  0x51: "call to an uninitialised function",
};

/** The contract panicked (`Panic(uint256)`): an arithmetic overflow, a division by zero, … */
export class ContractPanicError extends BulkheadError {
  override name = "ContractPanicError";
  readonly code: bigint;
  readonly data: Hex;
  constructor({ code, data, cause }: { code: bigint; data: Hex; cause?: unknown }) {
    const reason = panicReasons[Number(code)] ?? "unknown panic code";
    super(`The contract panicked: ${reason} (code 0x${code.toString(16)}).`, { cause });
    this.code = code;
    this.data = data;
  }
}

/** The contract reverted with a reason string (`Error(string)`). */
export class ContractRevertStringError extends BulkheadError {
  override name = "ContractRevertStringError";
  readonly reason: string;
  readonly data: Hex;
  constructor({ reason, data, cause }: { reason: string; data: Hex; cause?: unknown }) {
    super(`The contract reverted: ${reason}`, { cause });
    this.reason = reason;
    this.data = data;
  }
}

/** Revert data that no Bulkhead ABI describes (or an empty revert). */
export class UnknownRevertError extends BulkheadError {
  override name = "UnknownRevertError";
  readonly data: Hex;
  /** The first four bytes, if there are that many. */
  readonly selector: Hex | undefined;
  constructor({ data, cause }: { data: Hex; cause?: unknown }) {
    const selector = data.length >= 10 ? (data.slice(0, 10) as Hex) : undefined;
    super(
      selector === undefined
        ? "The contract reverted without data."
        : `The contract reverted with an unknown error (selector ${selector}).`,
      { cause },
    );
    this.data = data;
    this.selector = selector;
  }
}

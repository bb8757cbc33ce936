/**
 * Turning a revert into a typed error, whichever library saw it: viem (`ContractFunctionRevertedError`,
 * `RawContractError`, …, anywhere in the cause chain), ethers v6 (`CALL_EXCEPTION` errors carry the revert data in
 * `data`), an EIP-1193 provider's error object, or raw revert data.
 */
import { decodeErrorResult, isHex, type Hex } from "viem";

import { bulkheadErrorsAbi } from "../generated/abis.js";
import { bulkheadErrorClasses, type BulkheadCustomError } from "../generated/errors.js";
import {
  BulkheadContractError,
  type BulkheadContractErrorParameters,
  type BulkheadErrorName,
  ContractPanicError,
  ContractRevertStringError,
  UnknownRevertError,
} from "./contract.js";

/** A decoded revert: one of the contracts' custom errors, a panic, a reason string, or unknown data. */
export type DecodedRevert = BulkheadCustomError | ContractPanicError | ContractRevertStringError | UnknownRevertError;

const ERROR_STRING_SELECTOR = "0x08c379a0";
const PANIC_SELECTOR = "0x4e487b71";
const standardErrorsAbi = [
  { type: "error", name: "Error", inputs: [{ name: "reason", type: "string" }] },
  { type: "error", name: "Panic", inputs: [{ name: "code", type: "uint256" }] },
] as const;

function isRevertData(value: unknown): value is Hex {
  return typeof value === "string" && isHex(value, { strict: true }) && value.length % 2 === 0;
}

/** Decodes raw revert data into the matching typed error. */
export function decodeBulkheadErrorData(data: Hex, options: { cause?: unknown } = {}): DecodedRevert {
  const { cause } = options;
  const selector = data.slice(0, 10).toLowerCase();
  if (selector === ERROR_STRING_SELECTOR || selector === PANIC_SELECTOR) {
    try {
      const decoded = decodeErrorResult({ abi: standardErrorsAbi, data });
      if (decoded.errorName === "Error") return new ContractRevertStringError({ reason: decoded.args[0], data, cause });
      return new ContractPanicError({ code: decoded.args[0], data, cause });
    } catch {
      return new UnknownRevertError({ data, cause });
    }
  }
  let decoded;
  try {
    decoded = decodeErrorResult({ abi: bulkheadErrorsAbi, data });
  } catch {
    return new UnknownRevertError({ data, cause });
  }
  const item = decoded.abiItem as { inputs: readonly { name: string }[] };
  const values = (decoded.args ?? []) as readonly unknown[];
  const args = Object.fromEntries(item.inputs.map((input, i) => [input.name, values[i]]));
  const ErrorClass = bulkheadErrorClasses[decoded.errorName] as unknown as new (
    parameters: BulkheadContractErrorParameters<BulkheadErrorName>,
  ) => BulkheadCustomError;
  return new ErrorClass({ args: args as never, data, cause });
}

/**
 * The revert data inside an error thrown by viem, ethers or an EIP-1193 provider, or undefined if there is none
 * (the call did not revert, or the node returned no data).
 */
export function getRevertData(error: unknown): Hex | undefined {
  let empty: Hex | undefined;
  const seen = new Set<unknown>();
  const queue: { value: unknown; depth: number }[] = [{ value: error, depth: 0 }];
  while (queue.length > 0) {
    const { value, depth } = queue.shift()!;
    if (typeof value !== "object" || value === null || seen.has(value) || depth > 8) continue;
    seen.add(value);
    const record = value as Record<string, unknown>;
    // viem's ContractFunctionRevertedError keeps the raw data in `raw` (its `data` is the decoded result).
    for (const key of ["raw", "data"]) {
      const candidate = record[key];
      if (isRevertData(candidate)) {
        if (candidate.length >= 10) return candidate;
        empty ??= candidate;
      }
    }
    for (const key of ["cause", "error", "info", "data", "errors"]) {
      const next = record[key];
      if (Array.isArray(next)) for (const item of next) queue.push({ value: item, depth: depth + 1 });
      else if (typeof next === "object" && next !== null) queue.push({ value: next, depth: depth + 1 });
    }
  }
  return empty;
}

/**
 * The typed error for a revert found in `error` (thrown by viem, ethers or a provider), with `error` as its cause;
 * undefined if `error` carries no revert data.
 */
export function decodeBulkheadError(error: unknown): DecodedRevert | undefined {
  if (isRevertData(error)) return decodeBulkheadErrorData(error);
  const data = getRevertData(error);
  return data === undefined ? undefined : decodeBulkheadErrorData(data, { cause: error });
}

/** `decodeBulkheadError(error)` if it finds a revert, else `error` unchanged: what the SDK's actions throw. */
export function toBulkheadError(error: unknown): unknown {
  if (
    error instanceof BulkheadContractError ||
    error instanceof ContractPanicError ||
    error instanceof ContractRevertStringError ||
    error instanceof UnknownRevertError
  ) {
    return error;
  }
  return decodeBulkheadError(error) ?? error;
}

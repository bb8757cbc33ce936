/**
 * Exact conversions from the human units of the parameter files to the integers the contracts store. No floating
 * point anywhere: "0.1%" is parsed as the decimal 0.1 and scaled with bigints.
 */

/** 1e18 fixed point. */
export const WAD = 10n ** 18n;
/** Seconds in the 365-day year the borrow rates are quoted in (as in the Solidity tests: `x / 365 days`). */
export const SECONDS_PER_YEAR = 365n * 86_400n;

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** A non-negative decimal string as `digits / 10^scale`. */
function parseDecimal(text: string): { digits: bigint; scale: bigint } {
  const match = DECIMAL.exec(text);
  if (match === null) throw new Error(`"${text}" is not a non-negative decimal number`);
  const fraction = match[2] ?? "";
  return { digits: BigInt(`${match[1]}${fraction}`), scale: 10n ** BigInt(fraction.length) };
}

/** `text × 10^decimals`, which must be a whole number (no silent truncation of what the user wrote). */
export function scaleExact(text: string, decimals: bigint): bigint {
  const { digits, scale } = parseDecimal(text);
  const scaled = digits * 10n ** decimals;
  if (scaled % scale !== 0n) throw new Error(`"${text}" has more than ${decimals} decimals`);
  return scaled / scale;
}

/** A raw on-chain integer: a JSON safe integer or a string of digits. */
export function parseInteger(value: unknown): bigint {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${value} is not a non-negative safe integer`);
    return BigInt(value);
  }
  if (typeof value === "string" && /^\d+$/.test(value)) return BigInt(value);
  throw new Error(`${JSON.stringify(value)} is not an integer (use a number or a string of digits)`);
}

/** A WAD ratio: `"10%"`, `"0.5%"`, or the raw WAD integer. */
export function parseRatio(value: unknown): bigint {
  if (typeof value === "string" && value.endsWith("%")) return scaleExact(value.slice(0, -1).trim(), 16n);
  return parseInteger(value);
}

/**
 * A borrow rate in WAD per second: `"10%/year"` (rounded down to whole WAD units per second, the direction that
 * never overcharges), or the raw integer.
 */
export function parseRatePerSecond(value: unknown): bigint {
  if (typeof value === "string" && value.endsWith("%/year")) {
    return scaleExact(value.slice(0, -"%/year".length).trim(), 16n) / SECONDS_PER_YEAR;
  }
  return parseInteger(value);
}

/** An amount with a `" USD"` suffix scaled to `decimals`, or the raw integer in those units. */
export function parseUsd(value: unknown, decimals: bigint): bigint {
  if (typeof value === "string" && value.endsWith(" USD")) return scaleExact(value.slice(0, -4).trim(), decimals);
  return parseInteger(value);
}

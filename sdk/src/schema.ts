/** Small zod pieces shared by the SDK's schemas (deployment record, parameter files), and one way to report issues. */
import { getAddress, isAddress } from "viem";
import { z } from "zod";

/** A 20-byte hex address, any case, returned checksummed. */
export const addressSchema = z
  .string({ error: "expected an address" })
  .refine((value) => isAddress(value, { strict: false }), {
    error: (issue) => `${JSON.stringify(issue.input)} is not an address`,
  })
  .transform((value) => getAddress(value));

/** A 32-byte hex hash. */
export const hashSchema = z.string().regex(/^0x[0-9a-fA-F]{64}$/, { error: "expected a 32-byte hex hash" });

/** An integer written as a decimal string (it may exceed 2^53). */
export const decimalStringSchema = z.string().regex(/^\d+$/, { error: "expected a string of decimal digits" });

/** Where an issue is, as `markets[1].heartbeat`. */
export function pathOf(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`))
    .join("");
}

/** Every issue as `where: what`; an object's unknown keys one line each. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) lines.push(`${pathOf([...issue.path, key])}: unknown field`);
      continue;
    }
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      // Report the branch that got furthest: the one with the fewest issues.
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      lines.push(...describeIssues(best.map((i) => ({ ...i, path: [...issue.path, ...i.path] }))));
      continue;
    }
    const where = pathOf(issue.path);
    lines.push(where === "" ? issue.message : `${where}: ${issue.message}`);
  }
  return [...new Set(lines)];
}

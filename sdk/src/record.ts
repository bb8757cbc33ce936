/**
 * The deployment record (`deployments/<chainId>.json`): one versioned schema, used by the deploy tooling to write it
 * and by the SDK, the keeper and the checks to read it. Integers that can exceed 2^53 are decimal strings; those whose
 * Solidity type fits in 48 bits (ids, blocks, seconds, decimals) are numbers.
 */
import { z } from "zod";

import { InvalidDeploymentError } from "./errors/sdk.js";
import {
  GLOBAL_PARAM_FIELDS,
  LP_PARAM_FIELDS,
  MARKET_PARAM_FIELDS,
  typeMaxOf,
  type GlobalParamField,
  type LpParamField,
  type MarketParamField,
} from "./params.js";
import { addressSchema, decimalStringSchema, describeIssues, hashSchema } from "./schema.js";

/**
 * The record format this SDK reads and the deploy tooling writes (3: pool v2, with the LP parameters; 4: engine v2,
 * with the engine's order and liquidation modules and the order parameters).
 */
export const RECORD_VERSION = 4;

/** What a deployment is: `local` (a development chain), `rehearsal` (a node posing as a testnet), `testnet`. */
export const DEPLOYMENT_KINDS = ["local", "rehearsal", "testnet"] as const;
export type DeploymentKind = (typeof DEPLOYMENT_KINDS)[number];

/** Whether a parameter is a JSON number in the record: its Solidity type fits a JavaScript safe integer. */
export function isSmallParam(field: MarketParamField | GlobalParamField | LpParamField): boolean {
  return typeMaxOf(field) <= BigInt(Number.MAX_SAFE_INTEGER);
}

const smallInteger = z.number().int().nonnegative();
const paramsSchema = <F extends string>(fields: readonly F[], small: (field: F) => boolean) =>
  z.strictObject(
    Object.fromEntries(fields.map((f) => [f, small(f) ? smallInteger : decimalStringSchema])) as Record<
      F,
      typeof smallInteger | typeof decimalStringSchema
    >,
  );

const contractSchema = z.strictObject({
  address: addressSchema,
  /** The artifact / typechain factory name (`MarginEngine` → `MarginEngine__factory`). */
  abi: z.string().min(1),
});
const roleSchema = z.strictObject({ id: smallInteger, holder: addressSchema });

export const deploymentRecordSchema = z.strictObject({
  version: z.literal(RECORD_VERSION),
  chainId: z.number().int().positive(),
  /** The Hardhat network it was deployed through. */
  network: z.string().min(1),
  /** Tells a stale record of a restarted development chain from a live one. */
  genesisHash: hashSchema,
  /** The first block with a deployment transaction: where event scans start. */
  deploymentBlock: smallInteger,
  deployer: addressSchema,
  kind: z.enum(DEPLOYMENT_KINDS),
  contracts: z.strictObject({
    accessManager: contractSchema,
    timelock: contractSchema.optional(),
    asset: contractSchema,
    riskConfig: contractSchema,
    pool: contractSchema,
    insuranceFund: contractSchema,
    engine: contractSchema,
    /** Serves the engine's orders by delegatecall (`MarginEngine.ORDER_MODULE()`). */
    orderModule: contractSchema,
    /** Serves liquidations and take-profit by delegatecall (`MarginEngine.LIQUIDATION_MODULE()`). */
    liquidationModule: contractSchema,
    vaultImplementation: contractSchema,
    lens: contractSchema,
  }),
  asset: z.strictObject({ symbol: z.string(), decimals: smallInteger.max(255) }),
  pool: z.strictObject({ name: z.string(), symbol: z.string() }),
  /** AccessManager roles: ids, and who was given them. */
  roles: z.strictObject({ admin: roleSchema, governance: roleSchema, guardian: roleSchema }),
  timelock: z
    .strictObject({ minDelay: smallInteger, proposers: z.array(addressSchema), executors: z.array(addressSchema) })
    .optional(),
  global: paramsSchema(GLOBAL_PARAM_FIELDS, isSmallParam),
  /** LP request parameters (`RiskConfig.lpParams`), read back after the deployment. */
  lp: paramsSchema(LP_PARAM_FIELDS, isSmallParam),
  /** L2 sequencer-uptime feed, or the zero address. */
  sequencerFeed: addressSchema,
  markets: z.array(
    z.strictObject({
      id: smallInteger,
      name: z.string().min(1),
      feed: contractSchema,
      /** The on-chain `MarketParams` without the feed, read back after the deployment. */
      params: paramsSchema(MARKET_PARAM_FIELDS, isSmallParam),
    }),
  ),
  /** The parameter file the deployment was made from, as it was: what `deploy:check` checks against. */
  parameters: z.strictObject({ file: z.string(), content: z.record(z.string(), z.unknown()) }).optional(),
});

/** A deployment record as written to JSON. */
export type DeploymentRecord = z.input<typeof deploymentRecordSchema>;
export type ContractKey = keyof DeploymentRecord["contracts"];

/**
 * Validates a record's JSON. An unknown `version` is refused with what to do; every other problem is listed.
 *
 * @param source where it came from, for messages
 */
export function parseDeploymentRecord(json: unknown, source = "the deployment record"): DeploymentRecord {
  const version = typeof json === "object" && json !== null ? (json as { version?: unknown }).version : undefined;
  if (version !== RECORD_VERSION) {
    throw new InvalidDeploymentError(
      `${source} has record version ${JSON.stringify(version)}; this version of the tooling reads version ` +
        `${RECORD_VERSION}. Re-run \`npm run deploy -- --network <its network>\` to rewrite it from the chain (a ` +
        `finished deployment sends nothing), or use the @bulkhead/sdk release that wrote it`,
    );
  }
  const result = deploymentRecordSchema.safeParse(json);
  if (!result.success) {
    throw new InvalidDeploymentError(`${source}:\n  - ${describeIssues(result.error.issues).join("\n  - ")}`);
  }
  // The input, not the output: addresses stay as written, so a re-written record is byte-for-byte the same.
  return json as DeploymentRecord;
}

/** The record as its file's text (what `npm run deploy` writes): validated, two-space JSON, final newline. */
export function serializeDeploymentRecord(record: DeploymentRecord): string {
  parseDeploymentRecord(record, `the record of chain ${record.chainId}`);
  return `${JSON.stringify(record, null, 2)}\n`;
}

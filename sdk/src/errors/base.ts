import { BaseError } from "viem";

import { version } from "../version.js";

export interface BulkheadErrorParameters {
  /** The error this one wraps. */
  cause?: unknown;
  /** What went wrong in more detail; defaults to the cause's short message. */
  details?: string | undefined;
  /** Extra lines shown between the short message and the details (arguments, hints). */
  metaMessages?: string[] | undefined;
}

export type BulkheadErrorType = BulkheadError & { name: string };

function messageOf(cause: unknown): string {
  if (cause instanceof Error) {
    const short = (cause as { shortMessage?: unknown }).shortMessage;
    return typeof short === "string" ? short : cause.message;
  }
  return cause === undefined ? "" : String(cause);
}

/**
 * Root of every error the SDK throws, and a viem `BaseError`: `error instanceof BaseError` (viem's) holds, and
 * `shortMessage`, `details`, `metaMessages`, `cause` and `walk` behave as in viem. The message names the SDK's
 * version rather than viem's.
 */
export class BulkheadError extends BaseError {
  override name = "BulkheadError";
  override version = `@bulkhead/sdk@${version}`;

  constructor(shortMessage: string, parameters: BulkheadErrorParameters = {}) {
    const { cause, metaMessages } = parameters;
    // viem takes the details from an Error cause; a non-Error cause (a provider's error object) is kept as is.
    const details = parameters.details ?? messageOf(cause);
    super(shortMessage, { details, metaMessages, cause: cause as Error | undefined });
    this.details = details;
    // viem's message ends with viem's version and a cause's full message; ours with the SDK's and the short one.
    this.message = [
      shortMessage,
      ...(metaMessages !== undefined && metaMessages.length > 0 ? ["", ...metaMessages] : []),
      ...(details !== "" ? ["", `Details: ${details}`] : []),
      `Version: ${this.version}`,
    ].join("\n");
  }
}

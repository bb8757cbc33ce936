import { version } from "../version.js";

export interface BaseErrorParameters {
  /** The error this one wraps. */
  cause?: unknown;
  /** What went wrong in more detail; defaults to the cause's short message. */
  details?: string | undefined;
  /** Extra lines shown between the short message and the details (arguments, hints). */
  metaMessages?: readonly string[] | undefined;
}

export type BaseErrorType = BaseError & { name: string };

function messageOf(cause: unknown): string {
  if (cause instanceof Error) {
    const short = (cause as { shortMessage?: unknown }).shortMessage;
    return typeof short === "string" ? short : cause.message;
  }
  return cause === undefined ? "" : String(cause);
}

/**
 * Root of every error the SDK throws: a one-line `shortMessage`, optional `details` and `metaMessages`, and the
 * `cause` it wraps, as in viem. `walk` follows the `cause` chain.
 */
export class BaseError extends Error {
  override name = "BulkheadSdkError";
  readonly shortMessage: string;
  readonly details: string;
  readonly metaMessages: readonly string[];
  readonly version = `@bulkhead/sdk@${version}`;

  constructor(shortMessage: string, parameters: BaseErrorParameters = {}) {
    const details = parameters.details ?? messageOf(parameters.cause);
    const metaMessages = parameters.metaMessages ?? [];
    const message = [
      shortMessage,
      ...(metaMessages.length > 0 ? ["", ...metaMessages] : []),
      ...(details !== "" ? ["", `Details: ${details}`] : []),
      `Version: @bulkhead/sdk@${version}`,
    ].join("\n");
    super(message, parameters.cause === undefined ? undefined : { cause: parameters.cause });
    this.shortMessage = shortMessage;
    this.details = details;
    this.metaMessages = metaMessages;
  }

  /** The deepest error of the cause chain, or the first one for which `predicate` holds (null if none). */
  walk(predicate?: (error: unknown) => boolean): unknown {
    let error: unknown = this;
    for (let depth = 0; depth < 32; depth++) {
      if (predicate?.(error) === true) return error;
      const cause = error instanceof Error ? error.cause : undefined;
      if (cause === undefined || cause === null) return predicate === undefined ? error : null;
      error = cause;
    }
    return predicate === undefined ? error : null;
  }
}

/** Structured JSON logs (pino): one root logger, a child per service (`{ service: "scanner" }`, …). */
import { pino, type Logger } from "pino";

export type { Logger };

/** The root logger; bigints are written as decimal strings (JSON has no bigint). */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { app: "bulkhead-keeper" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        logMethod(args, method) {
          if (typeof args[0] === "object" && args[0] !== null) args[0] = stringifyBigints(args[0]);
          method.apply(this, args as Parameters<typeof method>);
        },
      },
    },
    (destination ?? pino.destination({ dest: 1, sync: true })) as pino.DestinationStream,
  );
}

function stringifyBigints(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(stringifyBigints);
  if (value instanceof Error) return value;
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stringifyBigints(v)]));
  }
  return value;
}

/** Moved to deploy/lib/record.ts (the deploy engine lives under deploy/); kept for the SDK tests that import it here. */
export * from "../../deploy/lib/record.js";

/**
 * The tests' system: the shared wiring lives in deploy/system.ts (also used by the gas benchmark, which must not import
 * test code); tests import it from here.
 */
export * from "../../deploy/system.js";

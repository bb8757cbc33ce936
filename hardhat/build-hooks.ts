import type { SolidityHooks } from "hardhat/types/hooks";

import { KNOWN_WARNINGS, SOLIDITY_TESTS_DIR } from "./build-plugin.js";

export default async (): Promise<Partial<SolidityHooks>> => ({
  async preprocessSolcInputBeforeBuilding(context, solcInput, next) {
    const isTestJob = Object.keys(solcInput.sources).some((source) => source.includes(SOLIDITY_TESTS_DIR));
    const input = isTestJob
      ? { ...solcInput, settings: { ...solcInput.settings, optimizer: { enabled: false }, viaIR: false } }
      : solcInput;
    return next(context, input);
  },

  async getCompilationJobErrors(context, compilationJob, compilerOutput, next) {
    const errors = await next(context, compilationJob, compilerOutput);
    return errors.filter(
      (error) =>
        error.severity !== "warning" ||
        !KNOWN_WARNINGS.some(
          (known) => known.errorCode === error.errorCode && (error.formattedMessage ?? "").includes(known.sourceFile),
        ),
    );
  },
});

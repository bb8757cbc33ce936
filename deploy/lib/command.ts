/**
 * Runs a command body and turns the errors a user can act on (bad parameters, an unfinished deployment, a missing
 * record) into a plain message and exit code 1, without a stack trace. Anything else is rethrown as is.
 */
import { InvalidDeploymentError } from "../../sdk/src/errors/sdk.js";
import { DeployError } from "./deploy.js";
import { ParameterError } from "./parameters.js";

export async function runCommand(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (
      error instanceof DeployError ||
      error instanceof ParameterError ||
      error instanceof InvalidDeploymentError ||
      isPlain(error)
    ) {
      console.error(`\nError: ${(error as Error).message}`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}

/** Errors this project raises with a message meant for the user (plain `Error`, not a library's). */
function isPlain(error: unknown): boolean {
  return error instanceof Error && error.constructor === Error;
}

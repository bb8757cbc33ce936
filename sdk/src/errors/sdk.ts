/** Errors raised by the SDK itself (not reverts of the contracts). */
import { BulkheadError, type BulkheadErrorParameters } from "./base.js";

/** A deployment file or address set is missing something or malformed. */
export class InvalidDeploymentError extends BulkheadError {
  override name = "InvalidDeploymentError";
  constructor(problem: string, parameters: BulkheadErrorParameters = {}) {
    super(`Invalid Bulkhead deployment: ${problem}.`, parameters);
  }
}

/** A write needs an account and neither the client nor the call has one. */
export class AccountRequiredError extends BulkheadError {
  override name = "AccountRequiredError";
  constructor(action: string) {
    super(`${action} sends a transaction: pass an \`account\` or use a wallet client that has one.`);
  }
}

/** The settlement token does not implement EIP-2612 permit (with the ERC-5267 domain). */
export class PermitNotSupportedError extends BulkheadError {
  override name = "PermitNotSupportedError";
  constructor(token: string, parameters: BulkheadErrorParameters = {}) {
    super(`The token ${token} does not support EIP-2612 permit; use approval: "approve".`, parameters);
  }
}

/** The position id is not open (never opened, closed or liquidated). */
export class PositionNotOpenError extends BulkheadError {
  override name = "PositionNotOpenError";
  readonly positionId: bigint;
  constructor(positionId: bigint) {
    super(`Position ${positionId} is not open.`);
    this.positionId = positionId;
  }
}

/** A mined transaction reverted (its receipt has status "reverted"; receipts carry no revert data). */
export class TransactionRevertedError extends BulkheadError {
  override name = "TransactionRevertedError";
  readonly hash: string;
  constructor(hash: string) {
    super(`Transaction ${hash} reverted.`);
    this.hash = hash;
  }
}

/**
 * An operation of the maths that the contracts would revert on (overflow, division by zero, a negative amount or a
 * value out of its Solidity type's range): the SDK throws where the contract would revert.
 */
export class PositionMathError extends BulkheadError {
  override name = "PositionMathError";
  readonly reason: "overflow" | "division by zero" | "out of range";
  constructor(reason: "overflow" | "division by zero" | "out of range", details: string) {
    super(`Position maths: ${reason}.`, { details });
    this.reason = reason;
  }
}

/** A deployment file written for another chain than the client's. */
export class ChainMismatchError extends BulkheadError {
  override name = "ChainMismatchError";
  constructor(deploymentChainId: number, clientChainId: number) {
    super(`The deployment is for chain ${deploymentChainId}, the client is on chain ${clientChainId}.`);
  }
}

/** Thrown by a write method of a client created without a wallet client. */
export class WalletClientRequiredError extends BulkheadError {
  override name = "WalletClientRequiredError";
  constructor(method: string) {
    super(`${method} sends a transaction: create the Bulkhead client with a walletClient.`);
  }
}

/** A transaction expected to open a position succeeded but emitted no `PositionOpened` event (of that engine). */
export class PositionOpenedEventNotFoundError extends BulkheadError {
  override name = "PositionOpenedEventNotFoundError";
  readonly hash: string;
  constructor(hash: string) {
    super(`Transaction ${hash} emitted no PositionOpened event.`);
    this.hash = hash;
  }
}

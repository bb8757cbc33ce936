/** Errors raised by the SDK itself (not reverts of the contracts). */
import type { CancelReasonName, OrderKindName } from "../types.js";
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

/**
 * The position id is not in use: never requested, or gone (closed, liquidated, taken at its cap, or its open order
 * cancelled). The engine's own refusal for an id not in use is `UnknownPositionError`.
 */
export class PositionNotFoundError extends BulkheadError {
  override name = "PositionNotFoundError";
  readonly positionId: bigint;
  constructor(positionId: bigint) {
    super(`Position ${positionId} does not exist (never opened, or already closed).`);
    this.positionId = positionId;
  }
}

/**
 * The position's open order has not executed yet, so it has no size to value. The engine's own refusal is
 * `PositionNotOpenError`.
 */
export class PositionPendingError extends BulkheadError {
  override name = "PositionPendingError";
  readonly positionId: bigint;
  constructor(positionId: bigint) {
    super(`Position ${positionId} is not open yet: its open order is pending.`);
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

/** A transaction expected to request an order succeeded but emitted no `OrderRequested` event (of that engine). */
export class OrderRequestedEventNotFoundError extends BulkheadError {
  override name = "OrderRequestedEventNotFoundError";
  readonly hash: string;
  constructor(hash: string) {
    super(`Transaction ${hash} emitted no OrderRequested event.`);
    this.hash = hash;
  }
}

/**
 * An order ended without trading (an `OrderCancelled` event), where the caller waited for it to trade
 * (`requestOpenAndWait`). `refund` went back to the owner (paid, or claimable with `claim`).
 */
export class OrderCancelledError extends BulkheadError {
  override name = "OrderCancelledError";
  readonly positionId: bigint;
  readonly kind: OrderKindName;
  readonly reason: CancelReasonName;
  readonly refund: bigint;
  readonly executorFee: bigint;
  readonly hash: string | undefined;
  constructor(parameters: {
    positionId: bigint;
    kind: OrderKindName;
    reason: CancelReasonName;
    refund: bigint;
    executorFee: bigint;
    hash?: string | undefined;
  }) {
    super(`The ${parameters.kind} order of position ${parameters.positionId} was cancelled: ${parameters.reason}.`, {
      metaMessages: [`refund: ${parameters.refund}, executor fee: ${parameters.executorFee}`],
    });
    this.positionId = parameters.positionId;
    this.kind = parameters.kind;
    this.reason = parameters.reason;
    this.refund = parameters.refund;
    this.executorFee = parameters.executorFee;
    this.hash = parameters.hash;
  }
}

/** There is no pending order (of the given kind) to wait for. */
export class OrderNotPendingError extends BulkheadError {
  override name = "OrderNotPendingError";
  readonly positionId: bigint;
  constructor(positionId: bigint, kind?: OrderKindName | undefined) {
    super(`Position ${positionId} has no pending ${kind === undefined ? "" : `${kind} `}order.`, {
      details: "pass the request's transaction hash, or fromBlock, to wait for an order that has already ended",
    });
    this.positionId = positionId;
  }
}

/** No outcome (`OrderExecuted` or `OrderCancelled`) of the awaited order appeared within the timeout. */
export class WaitForOrderTimeoutError extends BulkheadError {
  override name = "WaitForOrderTimeoutError";
  readonly positionId: bigint;
  constructor(positionId: bigint, timeout: number) {
    super(`No outcome of position ${positionId}'s order within ${timeout} ms.`, {
      details: "the order may still execute: keepers execute it after the feed's next round",
    });
    this.positionId = positionId;
  }
}

/** A value of one of the engine's enums that the SDK does not know (an SDK older than the contracts). */
export class UnknownEnumValueError extends BulkheadError {
  override name = "UnknownEnumValueError";
  constructor(enumName: string, value: bigint | number) {
    super(`${value} is not a known ${enumName}: the SDK is older than the contracts.`);
  }
}

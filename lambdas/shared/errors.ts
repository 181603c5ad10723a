/**
 * Named errors decide what happens next (STYLE.md #9). Messages are lowercase and say what was
 * expected and what was received.
 */

/** The event is malformed or names nothing Cordon can act on: never retried, evidenced as a skip. */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
}

/** The event is well formed but of a kind Cordon deliberately does not handle: evidenced as a skip. */
export class UnsupportedFindingError extends Error {
  override readonly name = 'UnsupportedFindingError';
}

/** A retryable AWS failure (throttling, 5xx): the caller lets the invocation fail so it is retried. */
export class TransientAwsError extends Error {
  override readonly name = 'TransientAwsError';
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
  }
}

/** Human-readable text of anything thrown, for evidence and logs. */
export const errorMessage = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/**
 * A containment step failed (throttled, AccessDenied, a failed AssumeRole, ...). Thrown AFTER every
 * outcome is evidenced, so the invocation fails: idempotency forgets the delivery and Lambda's
 * async retry (then the dead-letter queue) acts again; the next attempt re-observes, so the steps
 * that succeeded are not repeated. Carries the result that was evidenced.
 */
export class ContainmentIncompleteError<R = unknown> extends Error {
  override readonly name = 'ContainmentIncompleteError';
  constructor(
    message: string,
    readonly result: R,
  ) {
    super(message);
  }
}

import type { Mode } from '../evidence/types';

/** What the blast-radius breaker answered for one automatic containment. */
export interface BreakerAdmission {
  /** True: the containment may proceed (and has been counted). False: the breaker is open. */
  readonly admitted: boolean;
  /** Containments counted in the window, this one included when admitted. */
  readonly count: number;
  readonly max: number;
  readonly windowMinutes: number;
  /** ISO start of the fixed window the containment was counted in. */
  readonly windowStart: string;
}

/**
 * Blast-radius breaker: at most N automatic containments per fixed window. Manual requests and
 * dry-runs never ask it. Implementations count with a conditional write, so concurrent callers
 * can never be admitted beyond N.
 */
export interface Breaker {
  /** Counts one containment if the window has room. Throws `BreakerUnavailableError` when the
   * count cannot be read or written: the caller must then act on nothing and escalate. */
  admit(request: { readonly incidentId: string; readonly action: string }): Promise<BreakerAdmission>;
}

/** The breaker's count could not be read or written: fail closed (no action, escalate). */
export class BreakerUnavailableError extends Error {
  override readonly name = 'BreakerUnavailableError';
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
  }
}

/**
 * Checks every responder applies before any mutating call. Responders receive an implementation;
 * the SSM-backed one (kill switch) and the DynamoDB-backed breaker live beside this file.
 */
export interface Guardrails {
  /** The kill switch. Throws when the mode cannot be read or is unknown: the caller must then act
   * on nothing and write an `escalation` record. */
  mode(): Promise<Mode>;
  /** Blast-radius breaker for automatic containments. Absent = not limited (tests, the offline
   * drill); deployed responders always have one (see from-env.ts). */
  readonly breaker?: Breaker;
}

/** Guardrails fixed to one mode: for tests and the offline drill. */
export const fixedGuardrails = (mode: Mode, breaker?: Breaker): Guardrails => ({
  mode: async () => mode,
  ...(breaker ? { breaker } : {}),
});

/**
 * The sentence an escalation by an open breaker carries: names the count and the window, so the
 * notification says why nothing was done.
 */
export const breakerOpenReason = (a: BreakerAdmission): string =>
  `blast-radius breaker open: ${a.count} of ${a.max} automatic containments already made in the ${a.windowMinutes}-minute window from ${a.windowStart}; escalating instead of acting (a manual request bypasses the breaker)`;

/** Structured log fields read by the alarms' metric filters (lib/constructs/alarms.ts). */
export const BREAKER_OPEN_LOG = { breaker: 'open' } as const;

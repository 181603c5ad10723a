/**
 * Which results depended on passing state (park.ts re-drives them; the notifier tallies
 * `breaker-open` escalations into the storm digest). Dependency-free so every module can use it.
 */

/** Why a result is not final. Everything else a responder decides is remembered. */
export type PassingState = 'breaker-open' | 'breaker-unavailable' | 'account-access' | 'observe-failed' | 'mode-off' | 'mode-unreadable';

/** Reason prefixes the responders write (isolation: short codes; credentials: sentences). */
const PREFIXES: ReadonlyArray<readonly [string, PassingState]> = [
  ['breaker-open', 'breaker-open'],
  ['blast-radius breaker open', 'breaker-open'],
  ['breaker-unavailable', 'breaker-unavailable'],
  ['account-access', 'account-access'],
  ['observe-failed', 'observe-failed'],
  ['mode-off', 'mode-off'],
  ['mode is off', 'mode-off'],
  ['mode-unreadable', 'mode-unreadable'],
  ['guardrail mode unreadable', 'mode-unreadable'],
];

interface Decided {
  readonly decision: string;
  readonly reason?: string | undefined;
  /** Isolation: one result per instance of a multi-instance request. */
  readonly results?: ReadonlyArray<{ readonly reason?: string | undefined }>;
}

const stateOfReason = (reason: string | undefined): PassingState | undefined =>
  reason === undefined ? undefined : PREFIXES.find(([prefix]) => reason.startsWith(prefix))?.[1];

/** The passing state a result depended on, or undefined when the result is final. */
export const passingStateOf = (result: Decided): PassingState | undefined => {
  if (result.decision !== 'escalate' && result.decision !== 'skip') return undefined;
  for (const r of [result, ...(result.results ?? [])]) {
    const state = stateOfReason(r.reason);
    if (state) return state;
  }
  return undefined;
};

/** For IdempotentResponder's `isFinal`. */
export const isFinalResult = (result: Decided): boolean => passingStateOf(result) === undefined;


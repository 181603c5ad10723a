import type { Mode, TargetRef, Trigger } from '../evidence/types';
import type { BreakerAdmission } from '../guardrails/types';
import type { Frame, Recorder, RecordFields } from './recorder';

export type { Frame, RecordFields } from './recorder';

/**
 * The contract between the pipeline (run.ts: guard -> observe -> plan -> intent -> execute ->
 * outcome -> notify, in that order, once) and a responder (what differs: what it observes, what it
 * plans, how it executes one plan, and the words of every record it writes). docs/architecture.md.
 */

/** A mode in which the pipeline goes past the kill switch. */
export type LiveMode = Exclude<Mode, 'off'>;

/** The kill switch as read once per invocation: its value, or why it could not be read. */
export type ModeRead = { readonly ok: true; readonly mode: Mode } | { readonly ok: false; readonly error: string };

/** Nothing is changed: the records that say why (written in parallel, in this order), then the decision. */
export interface Stop<P> {
  readonly decision: string;
  readonly reason?: string;
  readonly records: readonly RecordFields[];
  /** Thrown after the records are written: the invocation fails and is retried. */
  readonly retry?: unknown;
  /** The plan the stop was decided on (a preview, a plan with no step), for the summary. */
  readonly plan?: P;
  /** The incident these records (and the rest of the response) belong to, when not the target's. */
  readonly incidentId?: string;
}

/** Go on with this plan. */
export interface Go<P> {
  readonly go: P;
  /** Records written alongside the intent and the execution (escalations about parts of the plan). */
  readonly alongside?: readonly RecordFields[];
  readonly incidentId?: string;
}

/** What the blast-radius breaker said, for the intent record: counted, or bypassed by a person. */
export type BreakerNote = BreakerAdmission | { readonly bypassed: string };

/** A plan the mode lets through, with what it was made from. */
export interface Planned<T, O, P> {
  readonly target: T;
  readonly observed: O;
  readonly plan: P;
  readonly mode: LiveMode;
  readonly breaker?: BreakerNote;
}

/** The end of an execution: its outcome record, records written after it, and the decision. */
export interface Finish {
  readonly decision: string;
  readonly reason?: string;
  readonly outcome: RecordFields;
  /** Written after the outcome, one after the other. */
  readonly after?: readonly RecordFields[];
  /** Thrown after the outcome record (e.g. a step record that could not be written). */
  readonly failure?: Error;
}

/** The words of every record the pipeline writes for a responder. */
export interface Describe<T, O, P, X> {
  /** The kill switch could not be read: recorded with mode `off`, nothing done. */
  modeUnreadable(target: T, error: string): Stop<P>;
  /** The kill switch is `off`. */
  modeOff(target: T): Stop<P>;
  /** The write-ahead record: the whole plan, before the first mutating call. */
  intent(planned: Planned<T, O, P>): RecordFields;
  /** The reason a dry-run reports (the intent says what would have been done). */
  dryRunReason?: string;
  outcome(planned: Planned<T, O, P>, executed: X): Finish;
}

/** A responder the blast-radius breaker counts: who bypasses it, and the words of its escalations. */
export interface BreakerWords<T, O, P> {
  /** The person whose decision this is (bypasses the breaker), or undefined for an automatic response. */
  person(target: T): string | undefined;
  /** The breaker could not count: nothing done, escalated. */
  unavailable(planned: Planned<T, O, P>, error: string): Stop<P>;
  /** The breaker is open: nothing done, escalated. */
  open(planned: Planned<T, O, P>, admission: BreakerAdmission): Stop<P>;
}

/** What a notification names besides the decision. */
export interface Notice {
  readonly trigger: Trigger;
  readonly target?: TargetRef;
  readonly requestedBy?: string;
}

/** What the pipeline decided for one target; the responder turns it into its result. */
export interface Decided<P, X> {
  readonly decision: string;
  readonly reason?: string;
  readonly incidentId: string;
  readonly evidenceKeys: string[];
  /** Undefined when the kill switch stopped it. */
  readonly mode?: LiveMode;
  readonly plan?: P;
  readonly executed?: X;
}

/** The part of every responder's result the pipeline reads (notification, logs, parking). */
export interface Summary {
  readonly decision: string;
  readonly reason?: string;
  readonly incidentId: string;
  readonly steps: readonly { readonly id: string; readonly action: string; readonly status: string; readonly error?: string }[];
  readonly evidenceKeys: readonly string[];
}

/**
 * A responder: T the target it acts on, O what it observes, P its plan, X what executing the plan
 * returned, R its result. Everything here but `observe` and `execute` is pure.
 */
export interface Responder<T, O, P, X, R extends Summary> {
  /** Its name in notifications, idempotency keys and breaker items (`isolate-instance`). */
  readonly name: string;
  frame(target: T): Frame;
  /** Reads only, in parallel with the kill switch. Never a mutating call. */
  observe(target: T, rec: Recorder): Promise<O>;
  /** Once the mode lets the response go on, before planning (e.g. name the assumed member role). */
  proceed?(observed: O, rec: Recorder): void;
  /** Pure: stop (with the records that say why) or go with a plan. */
  plan(target: T, observed: O, mode: LiveMode): Stop<P> | Go<P>;
  /** Present when automatic responses are counted by the blast-radius breaker. */
  readonly breaker?: BreakerWords<T, O, P>;
  /** The mutating calls of one plan, each step evidenced by the responder as it settles. */
  execute(planned: Planned<T, O, P>, rec: Recorder): Promise<X>;
  readonly describe: Describe<T, O, P, X>;
  /** After the decision is evidenced, before it is notified. */
  settled?(decided: Decided<P, X>, target: T): Promise<void>;
  summarise(decided: Decided<P, X>, target: T): R;
  notice(target: T): Notice;
  /** After the notification: throw to fail the invocation (it is retried). */
  finish?(result: R): R;
}

import type { Mode, TargetRef, Trigger } from '../evidence/types';
import type { SecurityHubFindingRef } from './findings';
import type { PendingWriteBack } from './write-back';

/**
 * What a responder tells the notifier: one decision per incident, and the notifier's contract
 * (notifier.ts sends it to SNS and Security Hub; render.ts words it).
 */

/** One step of a decision, as both responders summarise it. */
export interface DecisionStep {
  readonly id: string;
  readonly action: string;
  readonly status: string;
  readonly error?: string;
}

/** One incident decision: what was decided, why, which steps succeeded or failed, the evidence. */
export interface IncidentDecision {
  /** `isolate-instance` | `revoke-credentials`. */
  readonly responder: string;
  readonly incidentId: string;
  /** `act`, `skip`, `escalate`, `dry-run`. */
  readonly decision: string;
  readonly reason?: string;
  readonly mode: Mode | 'unreadable';
  readonly trigger: Trigger;
  readonly target?: TargetRef;
  /** Manual requests: who asked. */
  readonly requestedBy?: string;
  readonly steps: readonly DecisionStep[];
  readonly evidenceKeys: readonly string[];
  /** Where the decision is written back to Security Hub; empty = nowhere. */
  readonly findings: readonly SecurityHubFindingRef[];
}

/** Tells people (and Security Hub) about a decision. Throws `NotificationError` when any part of
 * the delivery failed; callers evidence that and carry on (see deliver.ts). */
export interface Notifier {
  notify(decision: IncidentDecision): Promise<void>;
  /** The heartbeat: publishes the storm digests that are due and retries queued write-backs. */
  flush?(): Promise<FlushReport>;
}

export const noopNotifier: Notifier = { notify: async () => undefined };

export class NotificationError extends Error {
  override readonly name = 'NotificationError';
  constructor(readonly failures: readonly string[]) {
    super(`notification failed: ${failures.join('; ')}`);
  }
}

/** What one heartbeat did. */
export interface FlushReport {
  readonly digests: number;
  /** Queued write-backs that landed, still wait, or were given up (to be evidenced). */
  readonly landed: number;
  readonly waiting: number;
  readonly abandoned: readonly AbandonedWriteBack[];
}

export interface AbandonedWriteBack extends PendingWriteBack {
  readonly failures: readonly string[];
}

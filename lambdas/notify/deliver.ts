import type { Actor, EvidenceWriter, Mode, TargetRef, Trigger } from '../evidence/types';
import { errorMessage } from '../shared/errors';
import { NotificationError, type IncidentDecision, type Notifier } from './decision';

export interface DeliveryLogger {
  error(message: string, extra: Record<string, unknown>): void;
}

/**
 * Sends one decision. A failed notification never fails the response: it is logged and evidenced
 * as an `error` record in the incident (whose key is returned), and the decision stands. If even
 * that record cannot be written, the failure is logged only.
 */
export const deliverDecision = async (
  notifier: Notifier | undefined,
  decision: IncidentDecision,
  ctx: { readonly evidence: EvidenceWriter; readonly actor: Actor; readonly logger: DeliveryLogger },
): Promise<string | undefined> => {
  if (!notifier) return undefined;
  try {
    await notifier.notify(decision);
    return undefined;
  } catch (error) {
    const failures = error instanceof NotificationError ? error.failures : [errorMessage(error)];
    return evidenceNotificationFailure(ctx, {
      incidentId: decision.incidentId,
      mode: decision.mode === 'unreadable' ? 'off' : decision.mode,
      trigger: decision.trigger,
      ...(decision.target ? { target: decision.target } : {}),
      decision: decision.decision,
      failures,
      reason: `notification of the ${decision.decision} decision failed, the decision stands: ${failures.join('; ')}`,
    });
  }
};

/**
 * The `error:notify` record of a decision that could not be (fully) notified, logged first for the
 * NotificationFailed alarm; its key, or undefined when even the record could not be written (logged).
 */
export const evidenceNotificationFailure = async (
  ctx: { readonly evidence: EvidenceWriter; readonly actor: Actor; readonly logger: DeliveryLogger },
  f: {
    readonly incidentId: string;
    readonly mode: Mode;
    readonly trigger: Trigger;
    readonly target?: TargetRef;
    readonly decision: string;
    readonly failures: readonly string[];
    readonly reason: string;
    readonly detail?: Record<string, unknown>;
  },
): Promise<string | undefined> => {
  ctx.logger.error('notification failed: the decision stands', { incidentId: f.incidentId, decision: f.decision, failures: f.failures });
  try {
    const stored = await ctx.evidence.append(f.incidentId, {
      kind: 'error',
      mode: f.mode,
      trigger: f.trigger,
      ...(f.target ? { target: f.target } : {}),
      action: 'error:notify',
      reason: f.reason,
      actor: ctx.actor,
      detail: { failures: [...f.failures], decision: f.decision, ...f.detail },
    });
    return stored.key;
  } catch (evidenceError) {
    ctx.logger.error('notification failure could not be evidenced', { incidentId: f.incidentId, error: errorMessage(evidenceError) });
    return undefined;
  }
};

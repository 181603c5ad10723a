import type { Actor, EvidenceWriter } from '../evidence/types';
import { errorMessage } from '../shared/errors';
import { NotificationError, type IncidentDecision, type Notifier } from './notifier';

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
    ctx.logger.error('notification failed: the decision stands', { incidentId: decision.incidentId, decision: decision.decision, failures });
    try {
      const stored = await ctx.evidence.append(decision.incidentId, {
        kind: 'error',
        mode: decision.mode === 'unreadable' ? 'off' : decision.mode,
        trigger: decision.trigger,
        ...(decision.target ? { target: decision.target } : {}),
        action: 'error:notify',
        reason: `notification of the ${decision.decision} decision failed, the decision stands: ${failures.join('; ')}`,
        actor: ctx.actor,
        detail: { failures: [...failures], decision: decision.decision },
      });
      return stored.key;
    } catch (evidenceError) {
      ctx.logger.error('notification failure could not be evidenced', { incidentId: decision.incidentId, error: errorMessage(evidenceError) });
      return undefined;
    }
  }
};

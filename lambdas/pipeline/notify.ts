import type { Actor, EvidenceWriter } from '../evidence/types';
import { deliverDecision } from '../notify/deliver';
import { findingsFor, type SecurityHubFindingRef } from '../notify/findings';
import type { Notifier } from '../notify/notifier';
import type { ModeRead, Notice, Summary } from './types';

/** Decisions that are incidents. Previews and refusals answer the person who asked: not notified. */
const NOTIFIED = new Set(['act', 'skip', 'escalate', 'dry-run']);

/**
 * One notification per decision on a target, after its evidence. A failed notification never fails
 * the response: it is an `error:notify` record in the incident, whose key is added to the result.
 */
export const announce = async <R extends Summary>(
  result: R,
  notice: Notice,
  responder: string,
  env: {
    readonly notifier?: Notifier;
    readonly mode: Promise<ModeRead>;
    readonly evidence: EvidenceWriter;
    readonly actor: Actor;
    readonly logger: { error(message: string, extra: Record<string, unknown>): void };
    readonly findings: readonly SecurityHubFindingRef[];
  },
): Promise<R> => {
  if (!env.notifier || !NOTIFIED.has(result.decision)) return result;
  const mode = await env.mode;
  const { requestedBy } = notice;
  const errorKey = await deliverDecision(
    env.notifier,
    {
      responder,
      incidentId: result.incidentId,
      decision: result.decision,
      ...(result.reason ? { reason: result.reason } : {}),
      mode: mode.ok ? mode.mode : 'unreadable',
      trigger: notice.trigger,
      ...(notice.target ? { target: notice.target } : {}),
      ...(requestedBy ? { requestedBy } : {}),
      steps: result.steps.map((s) => ({ id: s.id, action: s.action, status: s.status, ...(s.error ? { error: s.error } : {}) })),
      evidenceKeys: result.evidenceKeys,
      findings: findingsFor(env.findings, notice.trigger.findingId),
    },
    { evidence: env.evidence, actor: { ...env.actor, ...(requestedBy ? { requestedBy } : {}) }, logger: env.logger },
  );
  return errorKey ? { ...result, evidenceKeys: [...result.evidenceKeys, errorKey] } : result;
};

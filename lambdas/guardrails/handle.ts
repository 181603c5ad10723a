import type { Actor, EvidenceWriter, Mode } from '../evidence/types';
import { errorMessage } from '../shared/errors';
import { idempotencySubjectOf, replaySkipRecord, type IdempotencyContext, type IdempotencyKey, type IdempotentResponder } from './idempotency';
import type { Guardrails } from './types';

/**
 * The guardrails a handler applies around `respond`: the mode read once per invocation (the
 * decision, its idempotency key and its notification all see the same value, and the mode is
 * logged for the mode alarm), then idempotency on (responder, source, finding, mode).
 */

export interface HandlerLogger {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

/** What the scheduled heartbeat sends: the mode is read and logged, nothing else happens. */
export const HEARTBEAT_EVENT = { cordon: 'heartbeat' } as const;

export const isHeartbeat = (event: unknown): boolean =>
  typeof event === 'object' && event !== null && (event as { cordon?: unknown }).cordon === 'heartbeat' && Object.keys(event).length === 1;

/**
 * The structured log line the mode alarm counts (lib/constructs/alarms.ts: a metric filter on
 * `$.modeEnforced`, 1 when the mode is `enforce`, 0 when it is anything else or unreadable).
 */
export const modeLogFields = (mode: { ok: true; value: Mode } | { ok: false; error: string }): Record<string, unknown> => ({
  mode: mode.ok ? mode.value : 'unreadable',
  modeEnforced: mode.ok && mode.value === 'enforce' ? 1 : 0,
});

type ModeRead = { ok: true; value: Mode } | { ok: false; error: string };

const readOnce = (guardrails: Guardrails): { guardrails: Guardrails; read: Promise<ModeRead> } => {
  const once = guardrails.mode();
  const read = once.then(
    (value): ModeRead => ({ ok: true, value }),
    (error: unknown): ModeRead => ({ ok: false, error: errorMessage(error) }),
  );
  return { guardrails: { ...guardrails, mode: () => once }, read };
};

/** The heartbeat: read the mode and log it (the mode alarm needs a datapoint even without findings). */
export const heartbeat = async (guardrails: Guardrails, logger: HandlerLogger): Promise<ModeRead> => {
  const { read } = readOnce(guardrails);
  const mode = await read;
  logger.info('guardrails heartbeat', modeLogFields(mode));
  return mode;
};

export interface GuardedRun<R> {
  readonly event: unknown;
  readonly context: IdempotencyContext & { readonly invokedFunctionArn: string };
  readonly responder: string;
  readonly guardrails: Guardrails;
  /** Absent: duplicates are not suppressed (logged). */
  readonly idempotency?: IdempotentResponder<R>;
  /** Where a duplicate's `skip` record goes. */
  readonly evidence: EvidenceWriter;
  readonly logger: HandlerLogger;
  readonly respond: (guardrails: Guardrails) => Promise<R>;
}

export const runGuarded = async <R extends { readonly incidentId: string; readonly decision: string; readonly reason?: string }>(
  run: GuardedRun<R>,
): Promise<R> => {
  const { guardrails, read } = readOnce(run.guardrails);
  const mode = await read;
  run.logger.info('guardrails mode', modeLogFields(mode));
  const respond = () => run.respond(guardrails);
  if (!run.idempotency) {
    run.logger.warn('idempotency is not configured (GUARDRAILS_TABLE): duplicate deliveries are not suppressed', {});
    return respond();
  }
  // Mode unreadable: no key. `respond` acts on nothing and escalates; that escalation is not
  // remembered, so the next delivery decides again once the kill switch is readable.
  const subject = mode.ok ? idempotencySubjectOf(run.event) : undefined;
  const key: IdempotencyKey | undefined = subject && mode.ok ? { responder: run.responder, ...subject, mode: mode.value } : undefined;
  const outcome = await run.idempotency.run(key, run.context, respond);
  if (outcome.replayOf && key) {
    const actor: Actor = { arn: run.context.invokedFunctionArn, requestId: run.context.awsRequestId };
    const event = run.event as { id?: unknown };
    run.logger.info('duplicate delivery: already handled', { incidentId: outcome.result.incidentId, firstAt: outcome.replayOf.decidedAt, key });
    try {
      await run.evidence.append(
        outcome.result.incidentId,
        replaySkipRecord({
          key,
          first: { decision: outcome.result.decision, reason: outcome.result.reason },
          replayOf: outcome.replayOf,
          actor,
          eventId: typeof event.id === 'string' ? event.id : run.context.awsRequestId,
        }),
      );
    } catch (error) {
      // Nothing was done for this delivery; losing its skip record is logged, not retried.
      run.logger.error('duplicate delivery could not be evidenced', { incidentId: outcome.result.incidentId, error: errorMessage(error) });
    }
  }
  return outcome.result;
};

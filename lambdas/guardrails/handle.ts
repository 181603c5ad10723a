import type { Actor, EvidenceWriter, Mode } from '../evidence/types';
import { errorMessage } from '../shared/errors';
import { idempotencySubjectOf, replaySkipRecord, type IdempotencyContext, type IdempotencyKey, type IdempotentResponder } from './idempotency';
import { passingStateOf, type ParkedEvent, type Parking } from './park';
import type { Guardrails } from './types';
import { evidenceNotificationFailure } from '../notify/deliver';
import type { AbandonedWriteBack, Notifier } from '../notify/notifier';

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

/**
 * The structured log line the silent-failure alarms count (lib/constructs/alarms.ts):
 * `decided` (act, escalate, skip, ...) and `stepsFailed`, the steps that ran and failed.
 */
export const decisionLogFields = (result: { readonly decision: string; readonly reason?: string; readonly steps?: unknown }): Record<string, unknown> => ({
  decided: result.decision,
  ...(result.reason !== undefined ? { decidedReason: result.reason } : {}),
  stepsFailed: Array.isArray(result.steps) ? result.steps.filter((s) => (s as { status?: unknown }).status === 'failed').length : 0,
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
  /** Where automatic events whose decision depended on passing state wait to be re-run. Absent:
   * such decisions are still not remembered, so only a redelivery re-runs them. */
  readonly parking?: Parking;
  /** Set when the heartbeat re-runs a parked event: the link to the first decision. */
  readonly redriveOf?: ParkedEvent;
}

const isManual = (event: unknown): boolean =>
  typeof event === 'object' && event !== null && 'action' in event && !('source' in event) && !('detail' in event);

export const runGuarded = async <R extends { readonly incidentId: string; readonly decision: string; readonly reason?: string }>(
  run: GuardedRun<R>,
): Promise<R> => {
  const { guardrails, read } = readOnce(run.guardrails);
  const mode = await read;
  run.logger.info('guardrails mode', modeLogFields(mode));
  if (run.redriveOf) await evidenceRedrive(run, run.redriveOf);
  const respond = async (): Promise<R> => {
    const result = await run.respond(guardrails);
    run.logger.info('guarded decision', decisionLogFields(result));
    await park(run, result);
    return result;
  };
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

/** Parks an automatic event whose result depended on passing state (see park.ts). A manual request
 * is a person's decision at a moment: it is answered, never re-run later on its own. */
const park = async <R extends { readonly incidentId: string; readonly decision: string; readonly reason?: string }>(run: GuardedRun<R>, result: R): Promise<void> => {
  const state = passingStateOf(result);
  if (!state || !run.parking || isManual(run.event)) return;
  try {
    await run.parking.park({
      responder: run.responder,
      event: run.event,
      incidentId: result.incidentId,
      state,
      firstReason: run.redriveOf?.firstReason ?? result.reason ?? state,
      firstRequestId: run.redriveOf?.firstRequestId ?? run.context.awsRequestId,
      parkedAt: run.redriveOf?.parkedAt ?? new Date().toISOString(),
    });
    run.logger.info('parked for re-drive', { incidentId: result.incidentId, state });
  } catch (error) {
    // The escalation is evidenced and notified already; only the automatic re-run is lost.
    run.logger.error('could not park the event for re-drive', { incidentId: result.incidentId, state, error: errorMessage(error) });
  }
};

/** The record that links a re-run to the decision it re-drives. Written before the re-run acts. */
const evidenceRedrive = async (run: Pick<GuardedRun<unknown>, 'context' | 'evidence'>, parked: ParkedEvent): Promise<void> => {
  const actor: Actor = { arn: run.context.invokedFunctionArn, requestId: run.context.awsRequestId };
  const event = parked.event as { id?: unknown; source?: unknown };
  await run.evidence.append(parked.incidentId, {
    kind: 'redrive',
    mode: 'enforce',
    trigger: { source: typeof event.source === 'string' ? event.source : 'unknown', ...(typeof event.id === 'string' ? { eventId: event.id } : {}) },
    action: `redrive:${parked.state}`,
    reason: `re-run of a decision that depended on passing state (${parked.state}), first decided by request ${parked.firstRequestId} at ${parked.parkedAt}: ${parked.firstReason}`,
    actor,
    detail: { redriveOf: { state: parked.state, firstRequestId: parked.firstRequestId, parkedAt: parked.parkedAt, firstReason: parked.firstReason } },
  });
};

export interface RedriveSummary {
  readonly rerun: number;
  /** Still waiting: the breaker is open again, or the mode is not `enforce`. */
  readonly stoppedBy?: string;
}

/**
 * The heartbeat's second job: with the mode `enforce`, re-run parked events oldest first, at most
 * `limit`, each through `rerun` (which goes through `runGuarded`, so the breaker still counts it).
 * Stops at the first re-run the breaker refuses: the window is full again.
 */
export const redriveParked = async <R extends { readonly decision: string; readonly reason?: string }>(input: {
  readonly mode: ModeRead;
  readonly parking: Parking;
  readonly responder: string;
  readonly limit: number;
  readonly logger: HandlerLogger;
  readonly rerun: (parked: ParkedEvent) => Promise<R>;
}): Promise<RedriveSummary> => {
  if (!input.mode.ok || input.mode.value !== 'enforce') return { rerun: 0, stoppedBy: input.mode.ok ? `mode ${input.mode.value}` : 'mode unreadable' };
  const parked = await input.parking.list(input.responder, input.limit);
  let rerun = 0;
  for (const p of parked) {
    if (!(await input.parking.take(p))) continue;
    rerun += 1;
    const result = await input.rerun(p);
    input.logger.info('re-driven', { incidentId: (result as { incidentId?: string }).incidentId, decision: result.decision, reason: result.reason, state: p.state });
    if (passingStateOf(result) === 'breaker-open') return { rerun, stoppedBy: 'breaker open' };
  }
  return { rerun };
};

/**
 * Everything the scheduled heartbeat does for a responder, in order: read and log the mode (the
 * mode alarm's datapoint), re-run parked events (when the mode is `enforce`), and publish the storm
 * digests that are due. A failing part is logged and does not stop the others.
 */
export const runHeartbeat = async <R extends { readonly decision: string; readonly reason?: string }>(input: {
  readonly guardrails: Guardrails;
  readonly logger: HandlerLogger;
  readonly responder: string;
  readonly parking?: Parking;
  readonly redriveLimit: number;
  readonly rerun: (parked: ParkedEvent) => Promise<R>;
  readonly notifier?: Pick<Notifier, 'flush'>;
  /** Where a write-back given up is evidenced, in its incident. */
  readonly evidence: EvidenceWriter;
  readonly actor: Actor;
}): Promise<{ readonly decision: 'skip'; readonly reason: string; readonly incidentId: 'heartbeat'; readonly steps: []; readonly evidenceKeys: [] }> => {
  const mode = await heartbeat(input.guardrails, input.logger);
  const parts = [mode.ok ? 'heartbeat' : 'heartbeat: mode unreadable'];
  if (input.parking) {
    const redrive = await redriveParked({ mode, parking: input.parking, responder: input.responder, limit: input.redriveLimit, logger: input.logger, rerun: input.rerun });
    if (redrive.rerun > 0) parts.push(`re-drove ${redrive.rerun} parked event(s)`);
  }
  if (input.notifier?.flush) {
    try {
      const report = await input.notifier.flush();
      if (report.digests > 0) parts.push(`published ${report.digests} storm digest(s)`);
      if (report.landed + report.waiting + report.abandoned.length > 0) {
        parts.push(`write-backs: ${report.landed} landed, ${report.waiting} waiting, ${report.abandoned.length} given up`);
      }
      for (const a of report.abandoned) await evidenceAbandoned(input, a);
    } catch (error) {
      input.logger.error('notifier heartbeat failed', { error: errorMessage(error) });
      parts.push('notifier heartbeat failed');
    }
  }
  return { decision: 'skip', reason: parts.join('; '), incidentId: 'heartbeat', steps: [], evidenceKeys: [] };
};

/** A write-back that never landed is a notification failure of its incident (the alarm counts it). */
const evidenceAbandoned = (input: { readonly evidence: EvidenceWriter; readonly actor: Actor; readonly logger: HandlerLogger }, a: AbandonedWriteBack): Promise<unknown> =>
  evidenceNotificationFailure(input, {
    incidentId: a.incidentId,
    mode: a.mode,
    trigger: a.trigger,
    decision: a.decision,
    failures: a.failures,
    reason: `Security Hub write-back of the ${a.decision} decision did not land, the decision stands: ${a.failures.join('; ')}`,
    detail: { region: a.region, attempts: a.attempts, firstAttemptAt: a.firstAttemptAt },
  });

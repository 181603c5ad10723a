import type { EvidenceWriter, Mode } from '../evidence/types';
import { BREAKER_OPEN_LOG, type Breaker } from '../guardrails/types';
import type { Notifier } from '../notify/notifier';
import { securityHubFindingsOf, type SecurityHubFindingRef } from '../notify/findings';
import type { Actor } from '../evidence/types';
import { errorMessage } from '../shared/errors';
import { announce } from './notify';
import { Recorder } from './recorder';
import type { BreakerNote, Decided, LiveMode, ModeRead, Planned, Responder, Stop, Summary } from './types';

/**
 * The one response sequence every responder goes through (DESIGN.md, docs/architecture.md):
 *
 *   mode read || observe  ->  kill switch (unreadable: escalate; off: skip)  ->  plan (pure: stop
 *   or go)  ->  blast-radius breaker (automatic responses in enforce)  ->  intent record  ->
 *   dry-run stops here  ->  execute (step records)  ->  outcome record  ->  notify  ->  result.
 *
 * Its invariants, held here once for every responder: no mutating call before the intent record
 * (the responder's `execute` is the only place it makes them, and it runs after the intent and only
 * in enforce); every decision, skip and failure is a record before it is answered; the kill switch
 * and dry-run are honoured; a notification is sent only after the evidence of its decision.
 */

export interface PipelineLogger {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

export interface PipelineEnv {
  readonly evidence: EvidenceWriter;
  /** The kill switch, read once per invocation (`readMode`): every target sees the same value. */
  readonly mode: Promise<ModeRead>;
  readonly breaker?: Breaker;
  readonly logger: PipelineLogger;
  /** Told of every decision after its evidence; a failed notification is an `error:notify` record. */
  readonly notifier?: Notifier;
  /** The function, for the `error:notify` record of a failed notification. */
  readonly actor: Actor;
  /** Where the decision is written back to Security Hub (the event's findings). */
  readonly findings: readonly SecurityHubFindingRef[];
}

/** What every responder function's deps hold for the pipeline. */
export interface PipelineDeps {
  readonly evidence: EvidenceWriter;
  readonly guardrails: { readonly breaker?: Breaker | undefined };
  readonly notifier?: Notifier | undefined;
  readonly actor: Actor;
}

/** The pipeline's environment for one invocation's `event`, with the kill switch as read once (`readMode`). */
export const pipelineEnv = (deps: PipelineDeps, event: unknown, mode: Promise<ModeRead>, logger: PipelineLogger): PipelineEnv => ({
  evidence: deps.evidence,
  mode,
  ...(deps.guardrails.breaker ? { breaker: deps.guardrails.breaker } : {}),
  logger,
  ...(deps.notifier ? { notifier: deps.notifier } : {}),
  actor: deps.actor,
  findings: securityHubFindingsOf(event),
});

/** The kill switch, read once: the decision, its notification and its records all see this value. */
export const readMode = (mode: () => Promise<Mode>): Promise<ModeRead> =>
  mode().then(
    (value): ModeRead => ({ ok: true, mode: value }),
    (error: unknown): ModeRead => ({ ok: false, error: errorMessage(error) }),
  );

type Decision<P, X> = { decision: string; reason?: string | undefined; mode?: LiveMode; plan?: P; executed?: X };

/** The pipeline's answer for one target: the decision and the evidence written for it. */
const decidedBy = <P, X>(rec: Recorder, d: Decision<P, X>): Decided<P, X> => ({
  decision: d.decision,
  ...(d.reason !== undefined ? { reason: d.reason } : {}),
  incidentId: rec.incidentId,
  evidenceKeys: rec.keys,
  ...(d.mode ? { mode: d.mode } : {}),
  ...(d.plan !== undefined ? { plan: d.plan } : {}),
  ...(d.executed !== undefined ? { executed: d.executed } : {}),
});

/** Nothing is changed: the records that say why (in parallel), then the decision (or the retry). */
const stopWith = async <P, X>(rec: Recorder, env: PipelineEnv, name: string, s: Stop<P>, recorded: Mode, live?: LiveMode): Promise<Decided<P, X>> => {
  if (s.incidentId) rec.incidentId = s.incidentId;
  env.logger.info('nothing changed', { responder: name, incidentId: rec.incidentId, decision: s.decision, reason: s.reason });
  await Promise.all(s.records.map((r) => rec.append(recorded, r)));
  if (s.retry !== undefined) throw s.retry;
  return decidedBy(rec, { decision: s.decision, reason: s.reason, ...(live ? { mode: live } : {}), ...(s.plan !== undefined ? { plan: s.plan } : {}) });
};

/** Guard, observe, plan, intent, execute, outcome: the evidence of one target's response. */
export const runPipeline = async <T, O, P, X, R extends Summary>(responder: Responder<T, O, P, X, R>, target: T, env: PipelineEnv): Promise<Decided<P, X>> => {
  const { describe } = responder;
  const rec = new Recorder(env.evidence, responder.frame(target));
  const stop = (s: Stop<P>, recorded: Mode, live?: LiveMode): Promise<Decided<P, X>> => stopWith(rec, env, responder.name, s, recorded, live);

  // Round 1: the kill switch and the observation (read-only) in parallel.
  const [mode, observed] = await Promise.all([env.mode, responder.observe(target, rec)]);
  if (!mode.ok) {
    env.logger.error('mode unreadable: no action', { incidentId: rec.incidentId, error: mode.error });
    return stop(describe.modeUnreadable(target, mode.error), 'off');
  }
  // The kill switch wins over everything else, including an unreachable account.
  if (mode.mode === 'off') return stop(describe.modeOff(target), 'off');
  const live = mode.mode;
  responder.proceed?.(observed, rec);

  const next = responder.plan(target, observed, live);
  if ('records' in next) return stop(next, live, live);
  if (next.incidentId) rec.incidentId = next.incidentId;
  let planned: Planned<T, O, P> = { target, observed, plan: next.go, mode: live };

  // Blast-radius breaker: automatic containments in enforce only. A person's decision (a manual
  // request, a Security Hub custom action) bypasses it, evidenced as such; a dry-run consumes nothing.
  const words = responder.breaker;
  const breaker = env.breaker;
  if (words && breaker) {
    const person = words.person(target);
    let note: BreakerNote | undefined = person ? { bypassed: person } : undefined;
    if (!person && live === 'enforce') {
      try {
        note = await breaker.admit({ incidentId: rec.incidentId, action: responder.name });
      } catch (error) {
        env.logger.error('blast-radius breaker unavailable: no action', { incidentId: rec.incidentId, error: errorMessage(error) });
        return stop(words.unavailable(planned, errorMessage(error)), live, live);
      }
      if (!note.admitted) {
        env.logger.warn('blast-radius breaker open: escalating', { ...BREAKER_OPEN_LOG, incidentId: rec.incidentId, ...note });
        return stop(words.open(planned, note), live, live);
      }
    }
    if (note) planned = { ...planned, breaker: note };
  }

  // Write-ahead: the whole plan is evidenced before the first mutating call.
  const alongside = next.alongside?.length ? Promise.all(next.alongside.map((r) => rec.append(live, r))) : undefined;
  alongside?.catch(() => undefined); // awaited below; this only keeps an early throw from leaving it unhandled
  await rec.append(live, describe.intent(planned));
  if (live === 'dry-run') {
    await alongside;
    return decidedBy(rec, { decision: 'dry-run', reason: describe.dryRunReason, mode: live, plan: planned.plan });
  }
  const executed = await responder.execute(planned, rec);
  await alongside;
  const finish = describe.outcome(planned, executed);
  await rec.append(live, finish.outcome);
  if (finish.failure) throw finish.failure;
  if (finish.decision === 'escalate') env.logger.error('escalated after acting', { responder: responder.name, incidentId: rec.incidentId, reason: finish.reason });
  for (const r of finish.after ?? []) await rec.append(live, r);
  return decidedBy(rec, { decision: finish.decision, reason: finish.reason, mode: live, plan: planned.plan, executed });
};

/** One target from start to answer: the pipeline, then the notification after its evidence. */
export const respondTo = async <T, O, P, X, R extends Summary>(responder: Responder<T, O, P, X, R>, target: T, env: PipelineEnv): Promise<R> => {
  const decided = await runPipeline(responder, target, env);
  if (responder.settled) await responder.settled(decided, target);
  const summary = responder.summarise(decided, target);
  const result = env.notifier ? await announce(summary, responder.notice(target), responder.name, env) : summary;
  return responder.finish ? responder.finish(result) : result;
};

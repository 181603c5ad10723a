import type { IAMClient } from '@aws-sdk/client-iam';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Actor, EvidenceWriter, TargetRef } from '../evidence/types';
import { targetRefOf, type CredentialRequest } from '../findings/credentials';
import type { Guardrails } from '../guardrails/types';
import type { Notifier } from '../notify/notifier';
import type { Recorder } from '../pipeline/recorder';
import type { Decided, Describe, Frame, Go, Notice, Planned, RecordFields, Stop } from '../pipeline/types';
import type { AccountAccess } from '../shared/assume';
import { ContainmentIncompleteError } from '../shared/errors';
import type { EvidenceReader } from '../evidence/reader';
import { execute, type ExecuteOutcome, type StepResult } from './execute';
import type { CredentialLedger } from './ledger';
import type { KeyMatch } from './patterns';
import { actionOf, stepTarget } from './policies';
import type { SessionWriter } from './sessions';
import type { CredentialsConfig, Plan, Step } from './types';

/**
 * What the three credential responders (revoke, pattern, restore) share on the pipeline
 * (lambdas/pipeline/run.ts): the deps, the words of their records, one execution (keys, then the
 * session cut-off) and one result shape.
 */

export interface RespondDeps {
  readonly evidence: EvidenceWriter;
  readonly reader: EvidenceReader;
  readonly guardrails: Guardrails;
  readonly config: CredentialsConfig;
  /** Read after the containment round: the session cut-off (plus the configured margin). */
  readonly clock: () => Date;
  readonly homeAccount: string;
  readonly homeRegion: string;
  /** Credentials per target account for one incident (`accountAccess(options, incidentId)`). */
  readonly access: (incidentId: string) => (account: string, region: string) => Promise<AccountAccess>;
  /** IAM client for an account access (the module-scope client at home, a new one elsewhere). */
  readonly iamFor: (access: AccountAccess) => IAMClient;
  /** Writes the session deny (the session revoker state machine). */
  readonly sessions: SessionWriter;
  /** Cut-offs per principal and holds per key, across incidents. */
  readonly ledger: CredentialLedger;
  /** The function (ARN + request id). */
  readonly actor: Actor;
  readonly logger?: Logger;
  /** Told of every decision (one message per incident), after its evidence. A failed
   * notification is evidenced as an `error` record and never fails the response. @default none */
  readonly notifier?: Notifier;
}

export type Decision = 'act' | 'skip' | 'escalate' | 'dry-run' | 'preview' | 'refused';

export interface StepSummary {
  readonly id: string;
  readonly action: string;
  readonly target: TargetRef;
  readonly status: 'planned' | 'succeeded' | 'failed';
  readonly requestId?: string;
  readonly error?: string;
  readonly note?: string;
}

export interface RespondResult {
  readonly decision: Decision;
  readonly reason?: string;
  readonly incidentId: string;
  readonly steps: readonly StepSummary[];
  readonly evidenceKeys: readonly string[];
  readonly digest?: string;
  readonly matches?: readonly KeyMatch[];
  /** Set when a containment step (or the record of a hold) failed: the response is retried. */
  readonly incomplete?: string;
}

/** A plan with the action it carries out and the detail every record of it repeats. */
export interface CredentialPlan {
  readonly action: string;
  readonly plan: Plan;
  readonly extra: Record<string, unknown>;
  /** Pattern revocations: the digest of the matching set, and the matches. */
  readonly digest?: string;
  readonly matches?: readonly KeyMatch[];
}

/** IAM clients per account of one request (each access noted by the recorder). */
export type IamFor = (account: string) => Promise<IAMClient>;

export type Request = Exclude<CredentialRequest, { kind: 'skip' }>;

export const planned = (steps: readonly Step[]): StepSummary[] => steps.map((s) => ({ id: s.id, action: actionOf(s), target: stepTarget(s), status: 'planned' }));

export const summarise = (results: readonly StepResult[]): StepSummary[] =>
  results.map((r) => ({
    id: r.step.id,
    action: actionOf(r.step),
    target: stepTarget(r.step),
    status: r.status,
    ...(r.requestId ? { requestId: r.requestId } : {}),
    ...(r.error ? { error: r.error } : {}),
    ...(r.note ? { note: r.note } : {}),
  }));

export const planDetail = (p: Plan): Record<string, unknown> =>
  ({
    steps: p.steps,
    escalations: p.escalations.map((e) => ({ code: e.code, target: targetRefOf(e.target), reason: e.reason })),
    notes: p.notes,
    holds: p.holds,
    ...(p.steps.some((s) => s.kind === 'revoke-sessions') ? { cutoff: 'taken after the keys are inactive, plus the configured margin (see the outcome record)' } : {}),
  }) as unknown as Record<string, unknown>;

/** Per-request IAM clients by account (IAM is global: one client per account). */
export const clientsFor = (deps: RespondDeps, rec: Recorder, region: string): IamFor => {
  const resolve = deps.access(rec.incidentId);
  const cache = new Map<string, Promise<IAMClient>>();
  return (account) => {
    let hit = cache.get(account);
    if (!hit) {
      hit = resolve(account, region).then((a) => {
        rec.noteAccess(a);
        return deps.iamFor(a);
      });
      cache.set(account, hit);
    }
    return hit;
  };
};

/** The outcome's reason and whether it must be retried. */
export const verdict = (out: ExecuteOutcome): { reason: string; incomplete?: string } => {
  const failed = out.results.filter((r) => r.status === 'failed');
  const n = out.results.length;
  const reason = failed.length === 0 ? `${n} of ${n} steps succeeded` : `${failed.length} of ${n} steps failed`;
  const problems = [...failed.map((r) => `${r.step.id} ${actionOf(r.step)}: ${r.error ?? 'failed'}`), ...(out.holds.error ? [`holds not recorded: ${out.holds.error}`] : [])];
  return { reason: out.holds.error && failed.length === 0 ? `${reason}; holds not recorded` : reason, ...(problems.length > 0 ? { incomplete: problems.join('; ') } : {}) };
};

/** A stop with one record (escalation, skip, ...) on the request's target. */
export const stopWith = <P extends CredentialPlan = CredentialPlan>(decision: Decision, record: RecordFields & { reason: string }, plan?: P): Stop<P> => ({
  decision,
  reason: record.reason,
  records: [record],
  ...(plan ? { plan } : {}),
});

/**
 * Escalation records (written alongside whatever follows), then go on with the steps; with no step,
 * the escalations are the decision, else a skip saying why nothing is to be done.
 */
export const carry = <P extends CredentialPlan>(cp: P, extraEscalations: readonly { action: string; reason: string }[] = []): Stop<P> | Go<P> => {
  const p = cp.plan;
  const escalations: RecordFields[] = [
    ...p.escalations.map((e): RecordFields => ({ kind: 'escalation', target: targetRefOf(e.target), action: `escalate:${e.code}`, reason: e.reason })),
    ...extraEscalations.map((e): RecordFields => ({ kind: 'escalation', action: e.action, reason: e.reason })),
  ];
  if (p.steps.length > 0) return { go: cp, alongside: escalations };
  const reasons = [...p.escalations.map((e) => e.reason), ...extraEscalations.map((e) => e.reason)];
  if (reasons.length > 0) return { decision: 'escalate', reason: [...reasons, ...p.notes].join('; '), records: escalations, plan: cp };
  const reason = p.notes.length > 0 ? p.notes.join('; ') : 'nothing to do';
  return stopWith('skip', { kind: 'skip', action: `skip:${cp.action}`, reason, detail: { ...cp.extra, ...planDetail(p) } }, cp);
};

/** The breaker is named on the records only where it counted (enforce). */
const extraOf = (c: Planned<unknown, unknown, CredentialPlan>): Record<string, unknown> =>
  c.breaker && c.mode === 'enforce' ? { ...c.plan.extra, breaker: { ...c.breaker } } : c.plan.extra;

/** The words of every credential record the pipeline writes; `requested` names what was asked. */
export const credentialWords = <T, O, P extends CredentialPlan = CredentialPlan>(requested: (target: T) => string): Describe<T, O, P, ExecuteOutcome> => ({
  modeUnreadable: (target, error) =>
    stopWith('escalate', {
      kind: 'escalation',
      action: 'escalate:mode-unreadable',
      reason: `guardrail mode unreadable, nothing done: ${error}`,
      detail: { requested: requested(target), modeError: error },
    }),
  modeOff: (target) => stopWith('skip', { kind: 'skip', action: 'skip:mode-off', reason: 'mode is off (kill switch): nothing done', detail: { requested: requested(target) } }),
  // Write-ahead: the whole plan is evidenced before the first mutating call.
  intent: (c) => ({
    kind: 'intent',
    action: c.plan.action,
    ...(c.mode === 'dry-run' ? { reason: 'dry-run: nothing will be changed' } : {}),
    detail: { dryRun: c.mode === 'dry-run', ...extraOf(c), ...planDetail(c.plan.plan) },
  }),
  dryRunReason: 'mode is dry-run: intent recorded, nothing changed',
  outcome: (c, outcome) => {
    const { reason, incomplete } = verdict(outcome);
    return {
      decision: 'act',
      reason,
      outcome: {
        kind: 'outcome',
        action: c.plan.action,
        reason,
        awsRequestIds: outcome.results.flatMap((r) => (r.requestId ? [r.requestId] : [])),
        detail: {
          ...extraOf(c),
          results: summarise(outcome.results) as unknown as Record<string, unknown>[],
          ...(outcome.cutoff ? { cutoff: { ...outcome.cutoff } } : {}),
          holds: { recorded: outcome.holds.recorded as unknown as Record<string, unknown>[], ...(outcome.holds.error ? { error: outcome.holds.error } : {}) },
          ...(incomplete ? { retry: `incomplete, the invocation fails so that it is retried: ${incomplete}` } : {}),
        },
      },
    };
  },
});

/** Keys, quarantine and console in parallel, then the session cut-off; each step evidenced as it settles. */
export const executePlan = (deps: RespondDeps, logger: Logger, c: Planned<unknown, { readonly iam: IamFor }, CredentialPlan>, rec: Recorder): Promise<ExecuteOutcome> =>
  execute(c.plan.plan.steps, c.plan.plan.holds, {
    iamFor: c.observed.iam,
    sessions: deps.sessions,
    ledger: deps.ledger,
    clock: deps.clock,
    cutoffMarginSeconds: deps.config.cutoffMarginSeconds,
    evidence: rec.writer,
    incidentId: rec.incidentId,
    mode: c.mode,
    trigger: rec.frame.trigger,
    actor: rec.frame.actor,
    logger,
  });

/** The target a request's records (and its notification) name. */
export const requestTarget = (req: Request): TargetRef => {
  switch (req.kind) {
    case 'revoke': {
      const first = req.targets[0];
      return first ? targetRefOf(first) : { type: 'iam', id: '(none)' };
    }
    case 'pattern':
      return { type: 'iam-access-key-pattern', id: JSON.stringify(req.pattern), account: req.account };
    case 'restore':
      return { type: 'incident', id: req.incidentId };
  }
};

/** Records about the request's target; a manual request names who asked. */
export const frameOf = (req: Request, deps: RespondDeps): Frame => ({
  incidentId: req.incidentId,
  trigger: req.trigger,
  target: requestTarget(req),
  actor: { ...deps.actor, ...(req.requestedBy ? { requestedBy: req.requestedBy } : {}) },
});

export const noticeOf = (req: Request): Notice => ({ trigger: req.trigger, target: requestTarget(req), ...(req.requestedBy ? { requestedBy: req.requestedBy } : {}) });

/** The result of a request: the steps as executed (or planned, for a dry-run and a preview). */
export const resultOf = (d: Decided<CredentialPlan, ExecuteOutcome>): RespondResult => {
  const cp = d.plan;
  const incomplete = d.executed ? verdict(d.executed).incomplete : undefined;
  const steps = d.executed ? summarise(d.executed.results) : cp && (d.decision === 'dry-run' || d.decision === 'preview') ? planned(cp.plan.steps) : [];
  const answered = d.decision === 'preview' || d.decision === 'refused';
  return {
    decision: d.decision as Decision,
    ...(d.reason !== undefined ? { reason: d.reason } : {}),
    incidentId: d.incidentId,
    steps,
    evidenceKeys: d.evidenceKeys,
    ...(incomplete ? { incomplete } : {}),
    ...(cp?.digest ? { digest: cp.digest } : {}),
    ...(answered && cp?.matches ? { matches: cp.matches } : {}),
  };
};

/** Fails the invocation, after evidence and notification, when a containment step failed: it is retried. */
export const finishWith =
  (logger: Pick<Logger, 'error'>) =>
  (result: RespondResult): RespondResult => {
    if (!result.incomplete) return result;
    logger.error('containment incomplete: failing the invocation so that it is retried', { incidentId: result.incidentId, incomplete: result.incomplete });
    throw new ContainmentIncompleteError(`containment of ${result.incidentId} is incomplete, retry: ${result.incomplete}`, result);
  };

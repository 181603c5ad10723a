import type { Logger } from '@aws-lambda-powertools/logger';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { CredentialTarget, RevokeRequest } from '../findings/credentials';
import { SECURITYHUB_SOURCE } from '../findings/securityhub';
import { breakerOpenReason } from '../guardrails/types';
import type { Planned, Responder } from '../pipeline/types';
import { AccountAccessError } from '../shared/assume';
import { errorMessage, TransientAwsError } from '../shared/errors';
import type { ExecuteOutcome } from './execute';
import {
  carry,
  clientsFor,
  credentialWords,
  executePlan,
  finishWith,
  frameOf,
  noticeOf,
  planDetail,
  resultOf,
  stopWith,
  type CredentialPlan,
  type IamFor,
  type RespondDeps,
  type RespondResult,
} from './flow';
import { observe, resolvedTarget } from './observe';
import { plan as makePlan } from './plan';
import type { Hold, ObservedState } from './types';

/**
 * The credential revocation responder on the pipeline (lambdas/pipeline/run.ts): the kill switch,
 * the observation and (automatic findings) whether a person restored these credentials, in ONE
 * parallel round -> plan (pure) -> `intent` -> keys, quarantine, console in parallel -> cut-off ->
 * session deny (state machine) -> `outcome`. From event to key inactive: observe, intent,
 * UpdateAccessKey = 3 sequential round trips at home, 4 cross-account (AssumeRole first). A failed
 * containment step makes the invocation fail after its evidence (ContainmentIncompleteError).
 */

/** The responder's name in notifications, idempotency keys and breaker items. */
export const CREDENTIALS_RESPONDER = 'revoke-credentials';

interface RevokeObserved {
  readonly iam: IamFor;
  /** Undefined for samples and findings below the minimum severity: never observed. */
  readonly observed?: { ok: true; states: ObservedState[] } | { ok: false; error: unknown };
  readonly restored: readonly { what: string; incidentId: string }[];
}

const needsObserve = (t: CredentialTarget): boolean => t.kind === 'iam-user-key' || t.kind === 'iam-user' || t.kind === 'role-session';

/** A sample finding names placeholder principals: in dry-run, plan against an assumed state instead of IAM. */
const assumedSampleState = (t: CredentialTarget): ObservedState => {
  if (t.kind === 'iam-user-key' || t.kind === 'iam-user') {
    const userName = t.userName ?? 'GeneratedFindingUserName';
    const keys = t.kind === 'iam-user-key' ? [{ accessKeyId: t.accessKeyId, status: 'Active' }] : [];
    return { kind: 'user', userName, exists: true, tags: {}, keys };
  }
  if (t.kind === 'role-session' && t.roleName) return { kind: 'role', roleName: t.roleName, exists: true, tags: {} };
  return { kind: 'none' };
};

/** A GuardDuty finding below the minimum severity, unless it is about root (always escalated). */
const belowSeverity = (req: RevokeRequest, minimum: number | undefined): string | undefined => {
  const severity = req.trigger.severity;
  if (minimum === undefined || req.trigger.source !== 'aws.guardduty' || severity === undefined || severity >= minimum) return undefined;
  if (req.targets.some((t) => t.kind === 'root')) return undefined;
  return `guardduty finding severity ${severity} is below the minimum severity ${minimum}: not acted on (root findings, Health exposure and quarantine events always are)`;
};

/** A member role that exists in config but could not be assumed now is retried, never escalated as final. */
const assumeFailed = (error: unknown): boolean => error instanceof AccountAccessError && error.message.startsWith('cannot assume ');

/** The keys and users of an automatic finding that a person restored, with the restoring incident. */
const restoredByPerson = async (targets: readonly CredentialTarget[], deps: RespondDeps): Promise<{ what: string; incidentId: string }[]> => {
  const marks = targets.flatMap((t): { what: string; hold: Hold }[] => {
    if (t.kind === 'iam-user-key') {
      const key = { what: `access key ${t.accessKeyId}`, hold: { account: t.account, kind: 'key' as const, userName: t.userName ?? '', accessKeyId: t.accessKeyId } };
      return t.userName ? [key, { what: `user ${t.userName}`, hold: { account: t.account, kind: 'quarantine', userName: t.userName } }] : [key];
    }
    return t.kind === 'iam-user' ? [{ what: `user ${t.userName}`, hold: { account: t.account, kind: 'quarantine', userName: t.userName } }] : [];
  });
  const found = await Promise.all(marks.map(async (m) => ({ what: m.what, incidentId: await deps.ledger.restoredBy(m.hold) })));
  return found.filter((f): f is { what: string; incidentId: string } => f.incidentId !== undefined);
};

/**
 * One target's state (read-only). An account Cordon cannot enter is a state with a reason, except a
 * member role that cannot be assumed now, which fails the invocation (retried), as does a failed read.
 */
const observeTarget = async (t: CredentialTarget, iam: IamFor): Promise<ObservedState> => {
  if (!needsObserve(t)) return { kind: 'none' };
  let client: IAMClient;
  try {
    client = await iam(t.account);
  } catch (error) {
    if (assumeFailed(error)) throw new TransientAwsError(errorMessage(error), error);
    return { kind: 'none', reason: errorMessage(error) };
  }
  return observe(client, t);
};

type Observation = NonNullable<RevokeObserved['observed']>;
const observedAll = (states: ObservedState[]): Observation => ({ ok: true, states });
const observeFailed = (error: unknown): Observation => ({ ok: false, error });
const NOTHING_RESTORED: Promise<readonly { what: string; incidentId: string }[]> = Promise.resolve([]);

/** Observation (read-only): every target that names a principal, and whether a person restored it. */
const observeRequest = async (req: RevokeRequest, deps: RespondDeps, iam: IamFor): Promise<RevokeObserved> => {
  const skipped = req.sample || belowSeverity(req, deps.config.minimumSeverity) !== undefined;
  if (skipped) return { iam, restored: [] };
  const automatic = !req.requestedBy && req.trigger.source !== SECURITYHUB_SOURCE;
  const restoring = automatic ? restoredByPerson(req.targets, deps) : NOTHING_RESTORED;
  const observing = Promise.all(req.targets.map((t) => observeTarget(t, iam))).then(observedAll, observeFailed);
  const [observed, restored] = await Promise.all([observing, restoring]);
  return { iam, observed, restored };
};

type Ctx = Planned<RevokeRequest, RevokeObserved, CredentialPlan>;

export const revokeResponder = (deps: RespondDeps, logger: Logger): Responder<RevokeRequest, RevokeObserved, CredentialPlan, ExecuteOutcome, RespondResult> => ({
  name: CREDENTIALS_RESPONDER,
  frame: (req) => frameOf(req, deps),
  observe: (req, rec) => observeRequest(req, deps, clientsFor(deps, rec, req.region)),
  plan: (req, o, mode) => {
    const extra: Record<string, unknown> = {
      sample: req.sample,
      ...(req.eventLastSeen ? { eventLastSeen: req.eventLastSeen } : {}),
      ...(req.reason ? { requestReason: req.reason } : {}),
      ...(req.ticket ? { ticket: req.ticket } : {}),
      ...(req.force ? { force: true } : {}),
    };
    const tooLow = belowSeverity(req, deps.config.minimumSeverity);
    if (tooLow) return stopWith('skip', { kind: 'skip', action: 'skip:below-minimum-severity', reason: tooLow, detail: extra });
    if (req.sample && mode === 'enforce') {
      const reason = 'sample finding (GuardDuty sample or GeneratedFinding* placeholders): never acted on in enforce mode';
      return stopWith('skip', { kind: 'skip', action: 'skip:sample', reason, detail: extra });
    }
    if (o.restored.length > 0) {
      // A person restored these after an earlier revocation (judged them safe): an automatic finding
      // does not undo that judgement. It escalates with the link; a person can revoke by hand.
      const reason = `restored-by-human: ${o.restored.map((r) => `${r.what} was restored by a person in incident ${r.incidentId} (evidence records/${r.incidentId}/)`).join('; ')}; an automatic finding does not revoke it again: revoke by hand if this finding changes that judgement`;
      return stopWith('escalate', { kind: 'escalation', action: 'escalate:restored-by-human', reason, detail: { ...extra, restoredBy: [...o.restored] } });
    }
    if (o.observed && !o.observed.ok) {
      // Transient (throttling, 5xx, AssumeRole): the invocation fails so that it is retried.
      return { decision: 'escalate', records: [{ kind: 'error', action: 'error:observe', reason: errorMessage(o.observed.error) }], retry: o.observed.error };
    }
    const states = o.observed ? o.observed.states : req.targets.map(assumedSampleState);
    const targets = req.targets.map((t, i) => resolvedTarget(t, states[i] ?? { kind: 'none' }));
    const p = makePlan(targets, states, deps.config, { incidentId: req.incidentId, region: req.region, ...(req.force ? { force: true } : {}) });
    if (!o.observed) extra.stateAssumed = 'sample finding: IAM not observed, state assumed (key Active, no tags, no console password)';
    return carry({ action: 'credentials:revoke', plan: p, extra });
  },
  // A manual request or a Security Hub custom action (the only Security Hub events acted on) is a
  // person's decision, evidenced as such.
  breaker: {
    person: (req) => (req.requestedBy ? `manual request by ${req.requestedBy}` : req.trigger.source === SECURITYHUB_SOURCE ? 'Security Hub custom action' : undefined),
    unavailable: (c: Ctx, error) =>
      stopWith('escalate', { kind: 'escalation', action: 'escalate:breaker-unavailable', reason: `breaker-unavailable: ${error}`, detail: { ...c.plan.extra, ...planDetail(c.plan.plan) } }),
    open: (c: Ctx, admission) =>
      stopWith('escalate', {
        kind: 'escalation',
        action: 'escalate:breaker-open',
        reason: breakerOpenReason(admission),
        detail: { ...c.plan.extra, breaker: { ...admission }, ...planDetail(c.plan.plan) },
      }),
  },
  execute: (c, rec) => executePlan(deps, logger, c, rec),
  describe: credentialWords(() => 'credentials:revoke'),
  summarise: resultOf,
  notice: noticeOf,
  finish: finishWith(logger),
});

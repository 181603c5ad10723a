import { Logger } from '@aws-lambda-powertools/logger';
import type { Actor, TargetRef } from '../evidence/types';
import { parseCredentialEvent, targetRefOf, type CredentialRequest, type CredentialTarget, type RevokeRequest } from '../findings/credentials';
import { BREAKER_OPEN_LOG, breakerOpenReason, type BreakerAdmission } from '../guardrails/types';
import { deliverDecision } from '../notify/deliver';
import { findingsFor, securityHubFindingsOf } from '../notify/findings';
import { SECURITYHUB_SOURCE } from '../findings/securityhub';
import { AccountAccessError } from '../shared/assume';
import { ContainmentIncompleteError, errorMessage, TransientAwsError } from '../shared/errors';
import { carryOut, clientsFor, gate, planDetail, readMode, Recorder, type Flow, type ModeResult, type RespondDeps, type RespondResult } from './flow';
import { observe, resolvedTarget } from './observe';
import { revokePattern } from './pattern-flow';
import { plan as makePlan } from './plan';
import { restoreIncident } from './restore-flow';
import type { Hold, ObservedState } from './types';

export type { Decision, RespondDeps, RespondResult, StepSummary } from './flow';

/**
 * The flow of one credential event (DESIGN.md): parse -> guardrails (mode) and observe in ONE
 * parallel round -> plan (pure) -> `intent` record (write-ahead) -> keys, quarantine, console in
 * parallel -> cut-off -> session deny (state machine) -> `outcome` record. From event to key
 * inactive: observe, intent, UpdateAccessKey = 3 sequential round trips at home, 4 cross-account
 * (AssumeRole first); the session deny follows. A failed containment step makes the invocation
 * fail after its evidence (ContainmentIncompleteError), so it is retried.
 */

/** The responder's name in notifications, idempotency keys and breaker items. */
export const CREDENTIALS_RESPONDER = 'revoke-credentials';

const defaultLogger = new Logger({ serviceName: 'cordon-credentials' });

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

const revoke = async (req: RevokeRequest, deps: RespondDeps, logger: Logger): Promise<RespondResult> => {
  const actor: Actor = { ...deps.actor, ...(req.requestedBy ? { requestedBy: req.requestedBy } : {}) };
  const first = req.targets[0];
  const target: TargetRef = first ? targetRefOf(first) : { type: 'iam', id: '(none)' };
  const rec = new Recorder(deps.evidence, req.incidentId);
  const flow: Flow = { rec, trigger: req.trigger, actor, target, deps, logger };
  const clients = clientsFor(deps, rec, req.region);
  const tooLow = belowSeverity(req, deps.config.minimumSeverity);
  const observeAll = (): Promise<ObservedState[]> =>
    Promise.all(
      req.targets.map(async (t) => {
        if (!needsObserve(t)) return { kind: 'none' } as const;
        try {
          return observe(await clients(t.account), t);
        } catch (error) {
          if (assumeFailed(error)) throw new TransientAwsError(errorMessage(error), error);
          return { kind: 'none', reason: errorMessage(error) } as const;
        }
      }),
    );
  const automatic = !req.requestedBy && req.trigger.source !== SECURITYHUB_SOURCE;
  // Round 1: the kill switch, the observation and (automatic findings) whether a person restored
  // these credentials, in parallel (samples and skipped findings are never observed).
  const [mode, observed, restored] = await Promise.all([
    readMode(deps.guardrails),
    req.sample || tooLow ? Promise.resolve(undefined) : observeAll().then((s) => ({ ok: true as const, states: s }), (error: unknown) => ({ ok: false as const, error })),
    automatic && !req.sample && !tooLow ? restoredByPerson(req.targets, deps) : Promise.resolve([]),
  ]);
  const gated = await gate(flow, mode, 'credentials:revoke');
  if (typeof gated !== 'string') return gated;
  const extra: Record<string, unknown> = {
    sample: req.sample,
    ...(req.eventLastSeen ? { eventLastSeen: req.eventLastSeen } : {}),
    ...(req.reason ? { requestReason: req.reason } : {}),
    ...(req.ticket ? { ticket: req.ticket } : {}),
    ...(req.force ? { force: true } : {}),
  };
  if (tooLow) {
    await rec.append({ kind: 'skip', mode: gated, trigger: req.trigger, target, action: 'skip:below-minimum-severity', reason: tooLow, actor, detail: extra });
    return { decision: 'skip', reason: tooLow, incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys };
  }
  if (req.sample && gated === 'enforce') {
    const reason = 'sample finding (GuardDuty sample or GeneratedFinding* placeholders): never acted on in enforce mode';
    await rec.append({ kind: 'skip', mode: gated, trigger: req.trigger, target, action: 'skip:sample', reason, actor, detail: extra });
    return { decision: 'skip', reason, incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys };
  }
  if (restored.length > 0) {
    // A person restored these after an earlier revocation (judged them safe): an automatic finding
    // does not undo that judgement. It escalates with the link; a person can revoke by hand.
    const reason = `restored-by-human: ${restored.map((r) => `${r.what} was restored by a person in incident ${r.incidentId} (evidence records/${r.incidentId}/)`).join('; ')}; an automatic finding does not revoke it again: revoke by hand if this finding changes that judgement`;
    await rec.append({ kind: 'escalation', mode: gated, trigger: req.trigger, target, action: 'escalate:restored-by-human', reason, actor, detail: { ...extra, restoredBy: restored } });
    return { decision: 'escalate', reason, incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys };
  }
  if (observed && !observed.ok) {
    const text = errorMessage(observed.error);
    await rec.append({ kind: 'error', mode: gated, trigger: req.trigger, target, action: 'error:observe', reason: text, actor });
    throw observed.error; // transient (throttling, 5xx, AssumeRole): let the invocation fail so it is retried
  }
  const states = observed ? observed.states : req.targets.map(assumedSampleState);
  const targets = req.targets.map((t, i) => resolvedTarget(t, states[i] ?? { kind: 'none' }));
  const p = makePlan(targets, states, deps.config, { incidentId: req.incidentId, region: req.region, ...(req.force ? { force: true } : {}) });
  if (!observed) extra.stateAssumed = 'sample finding: IAM not observed, state assumed (key Active, no tags, no console password)';
  // Blast-radius breaker: automatic revocations only. A manual request or a Security Hub custom
  // action (the only Security Hub events acted on) is a person's decision, evidenced as such; a
  // dry-run changes nothing and consumes nothing.
  const breaker = deps.guardrails.breaker;
  if (breaker && gated === 'enforce' && p.steps.length > 0) {
    if (req.requestedBy) {
      extra.breaker = { bypassed: `manual request by ${req.requestedBy}` };
    } else if (req.trigger.source === SECURITYHUB_SOURCE) {
      extra.breaker = { bypassed: 'Security Hub custom action' };
    } else {
      let admission: BreakerAdmission;
      try {
        admission = await breaker.admit({ incidentId: req.incidentId, action: CREDENTIALS_RESPONDER });
      } catch (error) {
        const reason = `breaker-unavailable: ${errorMessage(error)}`;
        logger.error('blast-radius breaker unavailable: no action', { error: errorMessage(error) });
        await rec.append({ kind: 'escalation', mode: gated, trigger: req.trigger, target, action: 'escalate:breaker-unavailable', reason, actor, detail: { ...extra, ...planDetail(p) } });
        return { decision: 'escalate', reason, incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys };
      }
      if (!admission.admitted) {
        const reason = breakerOpenReason(admission);
        logger.warn('blast-radius breaker open: escalating', { ...BREAKER_OPEN_LOG, ...admission });
        await rec.append({ kind: 'escalation', mode: gated, trigger: req.trigger, target, action: 'escalate:breaker-open', reason, actor, detail: { ...extra, breaker: { ...admission }, ...planDetail(p) } });
        return { decision: 'escalate', reason, incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys };
      }
      extra.breaker = { ...admission };
    }
  }
  return carryOut(flow, gated, p, 'credentials:revoke', extra, clients);
};

/** The target a request's records (and its notification) name. */
const requestTarget = (req: Exclude<CredentialRequest, { kind: 'skip' }>): TargetRef => {
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

/** One notification per decision, after its evidence; a failed one adds its `error` record's key. */
const announce = async (
  event: unknown,
  req: Exclude<CredentialRequest, { kind: 'skip' }>,
  result: RespondResult,
  mode: Promise<ModeResult>,
  deps: RespondDeps,
  logger: Logger,
): Promise<RespondResult> => {
  // Previews and refusals answer the person who asked; they are not incident decisions.
  if (!deps.notifier || result.decision === 'preview' || result.decision === 'refused') return result;
  const m = await mode;
  const requestedBy = req.requestedBy;
  const errorKey = await deliverDecision(
    deps.notifier,
    {
      responder: CREDENTIALS_RESPONDER,
      incidentId: result.incidentId,
      decision: result.decision,
      ...(result.reason ? { reason: result.reason } : {}),
      mode: m.ok ? m.mode : 'unreadable',
      trigger: req.trigger,
      target: requestTarget(req),
      ...(requestedBy ? { requestedBy } : {}),
      steps: result.steps.map((s) => ({ id: s.id, action: s.action, status: s.status, ...(s.error ? { error: s.error } : {}) })),
      evidenceKeys: result.evidenceKeys,
      findings: findingsFor(securityHubFindingsOf(event), req.trigger.findingId),
    },
    { evidence: deps.evidence, actor: { ...deps.actor, ...(requestedBy ? { requestedBy } : {}) }, logger },
  );
  return errorKey ? { ...result, evidenceKeys: [...result.evidenceKeys, errorKey] } : result;
};

/** Fails the invocation, after evidence and notification, when a containment step failed: it is retried. */
const finish = (result: RespondResult, logger: Logger): RespondResult => {
  if (!result.incomplete) return result;
  logger.error('containment incomplete: failing the invocation so that it is retried', { incidentId: result.incidentId, incomplete: result.incomplete });
  throw new ContainmentIncompleteError(`containment of ${result.incidentId} is incomplete, retry: ${result.incomplete}`, result);
};

/**
 * Entry point of the credential responder. Throws on transient AWS failures before acting, on a
 * failed containment step after evidencing it (retry), and on evidence outages.
 */
export const respond = async (event: unknown, input: RespondDeps & { readonly patternConcurrency?: number }): Promise<RespondResult> => {
  // The mode is read once per invocation: the decision and its notification see the same value.
  const modeOnce = input.guardrails.mode();
  modeOnce.catch(() => undefined);
  const deps = { ...input, guardrails: { ...input.guardrails, mode: () => modeOnce } };
  const logger = deps.logger ?? defaultLogger;
  const req = parseCredentialEvent(event, {
    homeAccount: deps.homeAccount,
    homeRegion: deps.homeRegion,
    ...(deps.actor.requestId ? { requestId: deps.actor.requestId } : {}),
  });
  logger.appendKeys({ incidentId: req.incidentId });
  switch (req.kind) {
    case 'skip': {
      const rec = new Recorder(deps.evidence, req.incidentId);
      await rec.append({
        kind: 'skip',
        mode: await deps.guardrails.mode().catch(() => 'off' as const),
        trigger: req.trigger,
        ...(req.target ? { target: req.target } : {}),
        action: 'skip:unsupported',
        reason: req.reason,
        actor: deps.actor,
      });
      logger.info('skipped', { reason: req.reason });
      return { decision: 'skip', reason: req.reason, incidentId: req.incidentId, steps: [], evidenceKeys: rec.keys };
    }
    case 'revoke':
      return finish(await announce(event, req, await revoke(req, deps, logger), readMode(deps.guardrails), deps, logger), logger);
    case 'pattern':
      return finish(await announce(event, req, await revokePattern(req, deps, logger), readMode(deps.guardrails), deps, logger), logger);
    case 'restore':
      return finish(await announce(event, req, await restoreIncident(req, deps, logger), readMode(deps.guardrails), deps, logger), logger);
  }
};

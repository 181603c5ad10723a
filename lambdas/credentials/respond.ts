import { SECURITYHUB_SOURCE } from '../findings/securityhub';
import type { IAMClient } from '@aws-sdk/client-iam';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Actor, EvidenceInput, EvidenceWriter, Mode, TargetRef, Trigger } from '../evidence/types';
import {
  parseCredentialEvent,
  targetRefOf,
  type CredentialRequest,
  type CredentialTarget,
  type PatternRequest,
  type RestoreRequest,
  type RevokeRequest,
} from '../findings/credentials';
import { BREAKER_OPEN_LOG, breakerOpenReason, type BreakerAdmission, type Guardrails } from '../guardrails/types';
import { deliverDecision } from '../notify/deliver';
import { findingsFor, securityHubFindingsOf } from '../notify/findings';
import type { Notifier } from '../notify/notifier';
import type { AccountAccess } from '../shared/assume';
import { errorMessage } from '../shared/errors';
import { EvidenceIntegrityError, type EvidenceReader } from '../evidence/reader';
import { execute, type StepResult } from './execute';
import { observe, observeUser, resolvedTarget } from './observe';
import { findMatches, matchTargets, patternDigest, type KeyMatch } from './patterns';
import { plan as makePlan } from './plan';
import { actionOf, stepTarget } from './policies';
import { planRestore } from './restore';
import type { CredentialsConfig, ObservedState, Plan, Step } from './types';

/**
 * The flow of one credential event (DESIGN.md): parse -> guardrails (mode) and observe in ONE
 * parallel round -> plan (pure) -> `intent` record (write-ahead) -> steps in parallel, each
 * evidenced -> `outcome` record. From event to key inactive: observe, intent, UpdateAccessKey = 3
 * sequential round trips at home, 4 cross-account (AssumeRole first).
 */

export interface RespondDeps {
  readonly evidence: EvidenceWriter;
  readonly reader: EvidenceReader;
  readonly guardrails: Guardrails;
  readonly config: CredentialsConfig;
  /** Time of processing: the session cut-off. */
  readonly clock: () => Date;
  readonly homeAccount: string;
  readonly homeRegion: string;
  /** Credentials per target account for one incident (`accountAccess(options, incidentId)`). */
  readonly access: (incidentId: string) => (account: string, region: string) => Promise<AccountAccess>;
  /** IAM client for an account access (the module-scope client at home, a new one elsewhere). */
  readonly iamFor: (access: AccountAccess) => IAMClient;
  /** The function (ARN + request id). */
  readonly actor: Actor;
  readonly logger?: Logger;
  /** Told of every decision (one message per incident), after its evidence. A failed
   * notification is evidenced as an `error` record and never fails the response. @default none */
  readonly notifier?: Notifier;
}

/** The responder's name in notifications, idempotency keys and breaker items. */
export const CREDENTIALS_RESPONDER = 'revoke-credentials';

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
}

const defaultLogger = new Logger({ serviceName: 'cordon-credentials' });

/** Appends and remembers record keys, in order of completion. */
class Recorder {
  readonly keys: string[] = [];
  /** Member role assumed per account, so every record about a target there names it. */
  private readonly assumed = new Map<string, string>();
  /** The event's region, named on every record about an account (IAM itself is global). */
  private region?: string;
  constructor(
    private readonly evidence: EvidenceWriter,
    readonly incidentId: string,
  ) {}
  noteAccess(access: AccountAccess): void {
    this.region ??= access.region;
    if (access.assumedRoleArn) this.assumed.set(access.account, access.assumedRoleArn);
  }
  /** Adds the target's region and the assumed member role (when one was) to a record. */
  enrich(input: EvidenceInput): EvidenceInput {
    const account = input.target?.account;
    if (!input.target || !account) return input;
    const role = this.assumed.get(account);
    return {
      ...input,
      target: { ...input.target, ...(input.target.region || !this.region ? {} : { region: this.region }) },
      ...(role && !input.actor.assumedRoleArn ? { actor: { ...input.actor, assumedRoleArn: role } } : {}),
    };
  }
  async append(input: EvidenceInput): Promise<string> {
    const stored = await this.evidence.append(this.incidentId, this.enrich(input));
    this.keys.push(stored.key);
    return stored.key;
  }
}

const planned = (steps: readonly Step[]): StepSummary[] =>
  steps.map((s) => ({ id: s.id, action: actionOf(s), target: stepTarget(s), status: 'planned' }));

const summarise = (results: readonly StepResult[]): StepSummary[] =>
  results.map((r) => ({
    id: r.step.id,
    action: actionOf(r.step),
    target: stepTarget(r.step),
    status: r.status,
    ...(r.requestId ? { requestId: r.requestId } : {}),
    ...(r.error ? { error: r.error } : {}),
    ...(r.note ? { note: r.note } : {}),
  }));

const planDetail = (p: Plan): Record<string, unknown> =>
  ({
    steps: p.steps,
    escalations: p.escalations.map((e) => ({ code: e.code, target: targetRefOf(e.target), reason: e.reason })),
    notes: p.notes,
    cutoff: p.cutoff,
  }) as unknown as Record<string, unknown>;

/** Per-invocation IAM clients by account (IAM is global: one client per account). */
const clientsFor = (deps: RespondDeps, rec: Recorder, region: string) => {
  const resolve = deps.access(rec.incidentId);
  const cache = new Map<string, Promise<IAMClient>>();
  return (account: string): Promise<IAMClient> => {
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

type ModeResult = { ok: true; mode: Mode } | { ok: false; error: string };

const readMode = (guardrails: Guardrails): Promise<ModeResult> =>
  guardrails.mode().then(
    (mode) => ({ ok: true as const, mode }),
    (error: unknown) => ({ ok: false as const, error: errorMessage(error) }),
  );

interface Flow {
  readonly rec: Recorder;
  readonly trigger: Trigger;
  readonly actor: Actor;
  readonly target: TargetRef;
  readonly deps: RespondDeps;
  readonly logger: Logger;
}

/** Guardrail outcomes that stop before any plan: mode unreadable (escalate) or off (skip). */
const gate = async (flow: Flow, mode: ModeResult, action: string): Promise<RespondResult | Mode> => {
  const { rec } = flow;
  if (!mode.ok) {
    const reason = `guardrail mode unreadable, nothing done: ${mode.error}`;
    flow.logger.error('mode unreadable', { error: mode.error });
    await rec.append({
      kind: 'escalation',
      mode: 'off',
      trigger: flow.trigger,
      target: flow.target,
      action: 'escalate:mode-unreadable',
      reason,
      actor: flow.actor,
      detail: { requested: action, modeError: mode.error },
    });
    return { decision: 'escalate', reason, incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys };
  }
  if (mode.mode === 'off') {
    const reason = 'mode is off (kill switch): nothing done';
    await rec.append({ kind: 'skip', mode: 'off', trigger: flow.trigger, target: flow.target, action: 'skip:mode-off', reason, actor: flow.actor, detail: { requested: action } });
    return { decision: 'skip', reason, incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys };
  }
  return mode.mode;
};

/** Escalation records (in parallel with whatever follows), then intent -> execute -> outcome. */
const carryOut = async (
  flow: Flow,
  mode: Mode,
  p: Plan,
  action: string,
  extra: Record<string, unknown>,
  clients: (account: string) => Promise<IAMClient>,
  extraEscalations: readonly string[] = [],
): Promise<RespondResult> => {
  const { rec } = flow;
  const escalations = Promise.all([
    ...p.escalations.map((e) =>
      rec.append({
        kind: 'escalation',
        mode,
        trigger: flow.trigger,
        target: targetRefOf(e.target),
        action: `escalate:${e.code}`,
        reason: e.reason,
        actor: flow.actor,
      }),
    ),
    ...extraEscalations.map((reason) =>
      rec.append({ kind: 'escalation', mode, trigger: flow.trigger, target: flow.target, action: 'escalate:not-restorable', reason, actor: flow.actor }),
    ),
  ]);
  if (p.steps.length === 0) {
    await escalations;
    const reasons = [...p.escalations.map((e) => e.reason), ...extraEscalations];
    if (reasons.length > 0) {
      return { decision: 'escalate', reason: reasons.join('; '), incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys };
    }
    const reason = p.notes.length > 0 ? p.notes.join('; ') : 'nothing to do';
    await rec.append({ kind: 'skip', mode, trigger: flow.trigger, target: flow.target, action: `skip:${action}`, reason, actor: flow.actor, detail: { ...extra, ...planDetail(p) } });
    return { decision: 'skip', reason, incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys };
  }
  const dryRun = mode === 'dry-run';
  // Write-ahead: the whole plan is evidenced before the first mutating call.
  await rec.append({
    kind: 'intent',
    mode,
    trigger: flow.trigger,
    target: flow.target,
    action,
    ...(dryRun ? { reason: 'dry-run: nothing will be changed' } : {}),
    actor: flow.actor,
    detail: { dryRun, ...extra, ...planDetail(p) },
  });
  if (dryRun) {
    await escalations;
    return { decision: 'dry-run', reason: 'mode is dry-run: intent recorded, nothing changed', incidentId: rec.incidentId, steps: planned(p.steps), evidenceKeys: rec.keys };
  }
  const results = await execute(p.steps, {
    iamFor: clients,
    evidence: { append: async (id, input) => { const s = await flow.deps.evidence.append(id, rec.enrich(input)); rec.keys.push(s.key); return s; } },
    incidentId: rec.incidentId,
    mode,
    trigger: flow.trigger,
    actor: flow.actor,
    logger: flow.logger,
  });
  await escalations;
  const failed = results.filter((r) => r.status === 'failed');
  const reason = failed.length === 0 ? `${results.length} of ${results.length} steps succeeded` : `${failed.length} of ${results.length} steps failed`;
  await rec.append({
    kind: 'outcome',
    mode,
    trigger: flow.trigger,
    target: flow.target,
    action,
    reason,
    actor: flow.actor,
    awsRequestIds: results.flatMap((r) => (r.requestId ? [r.requestId] : [])),
    detail: { ...extra, results: summarise(results) as unknown as Record<string, unknown>[] },
  });
  return { decision: 'act', reason, incidentId: rec.incidentId, steps: summarise(results), evidenceKeys: rec.keys };
};

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

const revoke = async (req: RevokeRequest, deps: RespondDeps, logger: Logger): Promise<RespondResult> => {
  const actor: Actor = { ...deps.actor, ...(req.requestedBy ? { requestedBy: req.requestedBy } : {}) };
  const first = req.targets[0];
  const target: TargetRef = first ? targetRefOf(first) : { type: 'iam', id: '(none)' };
  const rec = new Recorder(deps.evidence, req.incidentId);
  const flow: Flow = { rec, trigger: req.trigger, actor, target, deps, logger };
  const clients = clientsFor(deps, rec, req.region);
  const observeAll = (): Promise<ObservedState[]> =>
    Promise.all(
      req.targets.map(async (t) => {
        if (!needsObserve(t)) return { kind: 'none' } as const;
        let iam: IAMClient;
        try {
          iam = await clients(t.account);
        } catch (error) {
          return { kind: 'none', reason: errorMessage(error) } as const;
        }
        return observe(iam, t);
      }),
    );
  // Round 1: the kill switch and the observation, in parallel (samples are never observed).
  const [mode, observed] = await Promise.all([
    readMode(deps.guardrails),
    req.sample ? Promise.resolve(undefined) : observeAll().then((s) => ({ ok: true as const, states: s }), (error: unknown) => ({ ok: false as const, error })),
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
  if (req.sample && gated === 'enforce') {
    const reason = 'sample finding (GuardDuty sample or GeneratedFinding* placeholders): never acted on in enforce mode';
    await rec.append({ kind: 'skip', mode: gated, trigger: req.trigger, target, action: 'skip:sample', reason, actor, detail: extra });
    return { decision: 'skip', reason, incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys };
  }
  if (observed && !observed.ok) {
    const text = errorMessage(observed.error);
    await rec.append({ kind: 'error', mode: gated, trigger: req.trigger, target, action: 'error:observe', reason: text, actor });
    throw observed.error; // transient: let the invocation fail so it is retried
  }
  const states = observed ? observed.states : req.targets.map(assumedSampleState);
  const targets = req.targets.map((t, i) => resolvedTarget(t, states[i] ?? { kind: 'none' }));
  const p = makePlan(targets, states, deps.config, { now: deps.clock(), incidentId: req.incidentId, force: req.force });
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
        await rec.append({
          kind: 'escalation',
          mode: gated,
          trigger: req.trigger,
          target,
          action: 'escalate:breaker-open',
          reason,
          actor,
          detail: { ...extra, breaker: { ...admission }, ...planDetail(p) },
        });
        return { decision: 'escalate', reason, incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys };
      }
      extra.breaker = { ...admission };
    }
  }
  return carryOut(flow, gated, p, 'credentials:revoke', extra, clients);
};

const pattern = async (req: PatternRequest, deps: RespondDeps, logger: Logger): Promise<RespondResult> => {
  const actor: Actor = { ...deps.actor, requestedBy: req.requestedBy };
  const target: TargetRef = { type: 'iam-access-key-pattern', id: JSON.stringify(req.pattern), account: req.account };
  const rec = new Recorder(deps.evidence, req.incidentId);
  const flow: Flow = { rec, trigger: req.trigger, actor, target, deps, logger };
  const base = { pattern: req.pattern, requestReason: req.reason, ...(req.ticket ? { ticket: req.ticket } : {}) };
  if (!req.preview && !req.confirm) {
    const reason = 'pattern revocations are previewed first: send preview:true, then the same request with confirm:<digest>';
    await rec.append({ kind: 'skip', mode: 'dry-run', trigger: req.trigger, target, action: 'refuse:no-preview', reason, actor, detail: base });
    return { decision: 'refused', reason, incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys };
  }
  const clients = clientsFor(deps, rec, req.region);
  const now = deps.clock();
  const [mode, found] = await Promise.all([
    readMode(deps.guardrails),
    clients(req.account)
      .then(async (iam) => {
        const matches = await findMatches(iam, req.pattern, now);
        const targets = matchTargets(req.account, matches);
        const byUser = new Map<string, Promise<ObservedState>>();
        const states = await Promise.all(
          targets.map((t) => {
            const user = t.userName ?? '';
            let s = byUser.get(user);
            if (!s) {
              s = observeUser(iam, user);
              byUser.set(user, s);
            }
            return s;
          }),
        );
        return { ok: true as const, matches, targets, states };
      })
      .catch((error: unknown) => ({ ok: false as const, error })),
  ]);
  const gated = await gate(flow, mode, req.preview ? 'credentials:preview' : 'credentials:revoke-pattern');
  if (typeof gated !== 'string') return gated;
  if (!found.ok) {
    const reason = `cannot list the keys matching the pattern: ${errorMessage(found.error)}`;
    await rec.append({ kind: 'escalation', mode: gated, trigger: req.trigger, target, action: 'escalate:pattern-unreadable', reason, actor, detail: base });
    return { decision: 'escalate', reason, incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys };
  }
  const p = makePlan(found.targets, found.states, deps.config, { now, incidentId: req.incidentId });
  const digest = patternDigest(found.matches, p);
  const detail = { ...base, digest, matches: found.matches as unknown as Record<string, unknown>[], ...planDetail(p) };
  if (req.preview) {
    const reason = `${found.matches.length} active key(s) match; ${p.steps.length} step(s) planned; confirm with digest ${digest}`;
    await rec.append({ kind: 'outcome', mode: gated, trigger: req.trigger, target, action: 'credentials:preview', reason, actor, detail });
    return { decision: 'preview', reason, incidentId: rec.incidentId, steps: planned(p.steps), evidenceKeys: rec.keys, digest, matches: found.matches };
  }
  if (req.confirm !== digest) {
    const reason = `the matching set changed since the preview (digest ${req.confirm ?? '(none)'}, now ${digest}): preview again`;
    await rec.append({ kind: 'skip', mode: gated, trigger: req.trigger, target, action: 'refuse:digest-mismatch', reason, actor, detail });
    return { decision: 'refused', reason, incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys, digest, matches: found.matches };
  }
  return { ...(await carryOut(flow, gated, p, 'credentials:revoke-pattern', { ...base, digest, matches: found.matches }, clients)), digest };
};

const restore = async (req: RestoreRequest, deps: RespondDeps, logger: Logger): Promise<RespondResult> => {
  const actor: Actor = { ...deps.actor, requestedBy: req.requestedBy };
  const target: TargetRef = { type: 'incident', id: req.incidentId };
  const rec = new Recorder(deps.evidence, req.incidentId);
  const flow: Flow = { rec, trigger: req.trigger, actor, target, deps, logger };
  const [mode, records] = await Promise.all([
    readMode(deps.guardrails),
    deps.reader.read(req.incidentId).then(
      (r) => ({ ok: true as const, records: r }),
      (error: unknown) => ({ ok: false as const, error }),
    ),
  ]);
  const gated = await gate(flow, mode, 'credentials:restore');
  if (typeof gated !== 'string') return gated;
  const base = { requestReason: req.reason, ...(req.ticket ? { ticket: req.ticket } : {}) };
  if (!records.ok) {
    // A record that fails verification (forged, swapped, foreign key) must not steer a restore.
    const unverified = records.error instanceof EvidenceIntegrityError ? records.error : undefined;
    const reason = unverified
      ? `refusing to restore ${req.incidentId}: ${unverified.message}`
      : `cannot read the evidence of ${req.incidentId}: ${errorMessage(records.error)}`;
    const action = unverified ? 'escalate:evidence-unverified' : 'escalate:evidence-unreadable';
    await rec.append({ kind: 'escalation', mode: gated, trigger: req.trigger, target, action, reason, actor, detail: base });
    return { decision: 'escalate', reason, incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys };
  }
  const r = planRestore(records.records);
  if (r.revokedSteps === 0) {
    const reason = `incident ${req.incidentId} has no successful revocation step to undo`;
    await rec.append({ kind: 'skip', mode: gated, trigger: req.trigger, target, action: 'skip:credentials:restore', reason, actor, detail: base });
    return { decision: 'skip', reason, incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys };
  }
  const p: Plan = { decision: r.steps.length > 0 ? 'act' : 'escalate', steps: r.steps, escalations: [], notes: [], cutoff: deps.clock().toISOString() };
  return carryOut(flow, gated, p, 'credentials:restore', base, clientsFor(deps, rec, req.region), r.notRestorable);
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

/** Entry point of the credential responder. Throws only on transient AWS failures (retry) and evidence outages. */
export const respond = async (event: unknown, input: RespondDeps): Promise<RespondResult> => {
  // The mode is read once per invocation: the decision and its notification see the same value.
  const modeOnce = input.guardrails.mode();
  modeOnce.catch(() => undefined);
  const deps: RespondDeps = { ...input, guardrails: { ...input.guardrails, mode: () => modeOnce } };
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
      return announce(event, req, await revoke(req, deps, logger), readMode(deps.guardrails), deps, logger);
    case 'pattern':
      return announce(event, req, await pattern(req, deps, logger), readMode(deps.guardrails), deps, logger);
    case 'restore':
      return announce(event, req, await restore(req, deps, logger), readMode(deps.guardrails), deps, logger);
  }
};

import { GetFindingsCommand, type GuardDutyClient } from '@aws-sdk/client-guardduty';
import type { STSClient } from '@aws-sdk/client-sts';
import type { Actor, EvidenceInput, EvidenceKind, EvidenceWriter, Mode, StoredRecord, TargetRef, Trigger } from '../evidence/types';
import {
  ec2TargetFromGuardDutyFinding,
  parseEc2Event,
  type Ec2Skip,
  type Ec2Target,
  type ManualFindingRequest,
  type ManualIsolateTarget,
  type ManualReleaseTarget,
  type ParseContext,
} from '../findings/ec2';
import { fromSdkFinding } from '../findings/guardduty';
import { incidentIdFor } from '../findings/incident';
import { BREAKER_OPEN_LOG, breakerOpenReason, type BreakerAdmission, type Guardrails } from '../guardrails/types';
import { deliverDecision } from '../notify/deliver';
import { findingsFor, securityHubFindingsOf, type SecurityHubFindingRef } from '../notify/findings';
import type { Notifier } from '../notify/notifier';
import { accountAccess, type AccountAccess } from '../shared/assume';
import { errorMessage, TransientAwsError } from '../shared/errors';
import { EvidenceIntegrityError, isolationFromRecords, readVerified, type EvidenceReader } from './evidence-reader';
import { executePlan } from './execute';
import { observeInstance } from './observe';
import { isolationDecision, planIsolation, planRelease, type Decision } from './plan';
import { INCIDENT_TAG, type ClientsFor, type InstanceState, type IsolationConfig, type Step, type StepResult } from './types';

/**
 * The flow of one finding (DESIGN.md): parse -> guardrails -> observe -> plan -> intent record ->
 * execute (independent steps in parallel) -> a step record per step -> an outcome record.
 *
 * Round trips, single account, isolation groups already present: (1) mode read || observation
 * round 1, (2) DescribeTargetHealth (only if the VPC has target groups), (3) intent record, (4)
 * allow-all group on every ENI || every other step, (5) isolation group on every ENI: network cut;
 * (6) its step record, (7) the outcome record. Another account adds AssumeRole before observation
 * (cached per account+region for the invocation). The first isolation in a VPC adds two: create
 * the groups, then set their rules.
 */

export interface RespondLogger {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

const silent: RespondLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface RespondDeps {
  readonly evidence: EvidenceWriter;
  readonly guardrails: Guardrails;
  /** Builds EC2/ASG/ELB clients for an account+region with its credentials. */
  readonly clientsFor: ClientsFor;
  /** For AssumeRole into member accounts (see shared/assume.ts). */
  readonly sts: STSClient;
  readonly homeAccount: string;
  readonly homeRegion: string;
  /** Member responder role name; without it only the home account can be acted on. */
  readonly memberRoleName?: string;
  readonly partition?: string;
  readonly config: IsolationConfig;
  /** The function (ARN) and the invocation's request id. */
  readonly actor: Actor;
  /** Release reads the isolation's evidence through this. */
  readonly reader?: EvidenceReader;
  /** GuardDuty client (function's own credentials) in a region: manual requests naming a finding. */
  readonly guardDutyFor?: (region: string) => GuardDutyClient;
  readonly logger?: RespondLogger;
  /** Told of every decision on a target (one message per incident), after its evidence. A failed
   * notification is evidenced as an `error` record and never fails the response. @default none */
  readonly notifier?: Notifier;
}

/** The responder's name in notifications, idempotency keys and breaker items. */
export const ISOLATION_RESPONDER = 'isolate-instance';

export type ResponseDecision = 'act' | 'skip' | 'escalate' | 'dry-run';

export interface ResponseSummary {
  readonly decision: ResponseDecision;
  readonly reason?: string;
  readonly incidentId: string;
  readonly instanceId?: string;
  readonly steps: readonly { readonly id: string; readonly action: string; readonly status: string; readonly error?: string }[];
  readonly evidenceKeys: readonly string[];
  /** When one event named several instances (Security Hub custom action on many findings). */
  readonly results?: readonly ResponseSummary[];
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };
const settle = <T>(p: Promise<T>): Promise<Settled<T>> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

const TRANSIENT = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'ServiceUnavailable',
  'InternalError',
  'InternalFailure',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** Throttling, 5xx, timeouts: worth a retry of the whole invocation. */
export const isTransient = (error: unknown): boolean => {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  return (
    Boolean(e.$retryable) ||
    (typeof e.name === 'string' && TRANSIENT.has(e.name)) ||
    (e.$metadata?.httpStatusCode ?? 0) >= 500
  );
};

/** Only JSON values reach the evidence (no undefined, Dates as ISO strings). */
const DECISION_RANK: Record<ResponseDecision, number> = { skip: 0, 'dry-run': 1, act: 2, escalate: 3 };

interface TargetContext {
  /** Mutable: a release moves to the isolation's incident once it is known. */
  incidentId: string;
  readonly trigger: Trigger;
  readonly target: TargetRef;
  actor: Actor;
  readonly keys: string[];
}

/** The domain entry point of the isolate-instance function. */
export const respond = async (event: unknown, deps: RespondDeps, context: ParseContext = {}): Promise<ResponseSummary> => {
  const log = deps.logger ?? silent;
  const modeP = settle(deps.guardrails.mode());
  const parsed = parseEc2Event(event, context);

  const resolved = await Promise.all(parsed.findingRequests.map((r) => resolveFindingRequest(r, deps)));
  const targets: Ec2Target[] = [...parsed.targets];
  const skips: Ec2Skip[] = [...parsed.skips];
  for (const r of resolved) {
    if ('target' in r) targets.push(r.target);
    else skips.push(r.skip);
  }

  // Parse skips (not an EC2 event, malformed) are evidenced but not announced: they are not
  // incidents. Every decision on a target is announced once, after its own evidence.
  const findings = securityHubFindingsOf(event);
  const results = await Promise.all([
    ...skips.map((skip) => recordParseSkip(skip, modeP, deps, log)),
    ...targets.map((target) =>
      respondToTarget(target, modeP, deps, log).then((summary) => announce(target, summary, modeP, findings, deps, log)),
    ),
  ]);
  if (results.length === 1 && results[0]) return results[0];
  const top = results.reduce((a, b) => (DECISION_RANK[b.decision] > DECISION_RANK[a.decision] ? b : a));
  return {
    decision: top.decision,
    ...(top.reason ? { reason: top.reason } : {}),
    incidentId: top.incidentId,
    steps: results.flatMap((r) => r.steps),
    evidenceKeys: results.flatMap((r) => r.evidenceKeys),
    results,
  };
};

/** A manual request naming a GuardDuty finding: GetFindings (SDK result is PascalCase), then the
 * automatic path's parser; the request keeps its requester, reason and `force`. */
/** One notification per target decision; a failed one adds its `error` record's key. */
const announce = async (
  target: Ec2Target,
  summary: ResponseSummary,
  modeP: Promise<Settled<Mode>>,
  refs: readonly SecurityHubFindingRef[],
  deps: RespondDeps,
  log: RespondLogger,
): Promise<ResponseSummary> => {
  if (!deps.notifier) return summary;
  const mode = await modeP;
  const errorKey = await deliverDecision(
    deps.notifier,
    {
      responder: ISOLATION_RESPONDER,
      incidentId: summary.incidentId,
      decision: summary.decision,
      ...(summary.reason ? { reason: summary.reason } : {}),
      mode: mode.ok ? mode.value : 'unreadable',
      trigger: target.trigger,
      target: {
        type: 'ec2-instance',
        id: target.instance.instanceId,
        account: target.instance.account ?? deps.homeAccount,
        region: target.instance.region ?? deps.homeRegion,
      },
      ...(target.kind === 'manual' ? { requestedBy: target.requestedBy } : {}),
      steps: summary.steps,
      evidenceKeys: summary.evidenceKeys,
      findings: findingsFor(refs, target.trigger.findingId),
    },
    {
      evidence: deps.evidence,
      actor: { ...deps.actor, ...(target.kind === 'manual' ? { requestedBy: target.requestedBy } : {}) },
      logger: log,
    },
  );
  return errorKey ? { ...summary, evidenceKeys: [...summary.evidenceKeys, errorKey] } : summary;
};

const resolveFindingRequest = async (
  request: ManualFindingRequest,
  deps: RespondDeps,
): Promise<{ target: ManualIsolateTarget } | { skip: Ec2Skip }> => {
  const region = request.region ?? deps.homeRegion;
  if (!deps.guardDutyFor) throw new Error('respond: a manual request names a finding but no guardDutyFor is wired');
  let out;
  try {
    out = await deps.guardDutyFor(region).send(
      new GetFindingsCommand({ DetectorId: request.detectorId, FindingIds: [request.findingId] }),
    );
  } catch (error) {
    if (isTransient(error)) throw new TransientAwsError(`GetFindings ${request.findingId} failed: ${errorMessage(error)}`, error);
    throw error;
  }
  const incidentKey = `finding:${request.detectorId}/${request.findingId}`;
  const raw = out.Findings?.find((f) => f.Id === request.findingId) ?? out.Findings?.[0];
  const parsed = raw ? fromSdkFinding(raw) : undefined;
  if (!parsed?.success) {
    return {
      skip: {
        reason: 'finding-not-found',
        message: raw
          ? `expected GetFindings to return a guardduty finding, received an invalid one for ${request.findingId}`
          : `expected finding ${request.findingId} in detector ${request.detectorId} (${region}), GetFindings returned none`,
        trigger: request.trigger,
        incidentId: incidentIdFor('manual', incidentKey),
      },
    };
  }
  const result = ec2TargetFromGuardDutyFinding(parsed.data, {
    envelope: { region },
    trigger: { source: 'manual', ...(request.trigger.eventId ? { eventId: request.trigger.eventId } : {}) },
  });
  if ('skip' in result) return result;
  const t = result.target;
  return {
    target: {
      kind: 'manual',
      action: 'isolate',
      instance: t.instance,
      incidentId: t.incidentId,
      trigger: t.trigger,
      reason: request.reason,
      requestedBy: request.requestedBy,
      ...(request.ticket ? { ticket: request.ticket } : {}),
      force: request.force,
      finding: t.finding,
    },
  };
};

const append = async (
  deps: RespondDeps,
  ctx: TargetContext,
  kind: EvidenceKind,
  mode: Mode,
  fields: Omit<EvidenceInput, 'kind' | 'mode' | 'trigger' | 'target' | 'actor'>,
): Promise<StoredRecord> => {
  // No copy here: every EvidenceWriter snapshots its input before its first await (the chain
  // validates it and turns before/after/detail into plain JSON), and a copy per record was the
  // largest CPU and allocation cost of a finding (bench/isolation.ts).
  const stored = await deps.evidence.append(ctx.incidentId, { kind, mode, trigger: ctx.trigger, target: ctx.target, actor: ctx.actor, ...fields });
  ctx.keys.push(stored.key);
  return stored;
};

const recordParseSkip = async (
  skip: Ec2Skip,
  modeP: Promise<Settled<Mode>>,
  deps: RespondDeps,
  log: RespondLogger,
): Promise<ResponseSummary> => {
  const mode = await modeP;
  const ctx: TargetContext = {
    incidentId: skip.incidentId,
    trigger: skip.trigger,
    target: { type: 'ec2-instance', id: skip.instanceId ?? 'unknown' },
    actor: deps.actor,
    keys: [],
  };
  log.info('event skipped', { incidentId: skip.incidentId, reason: skip.reason, detail: skip.message });
  await append(deps, ctx, 'skip', mode.ok ? mode.value : 'off', {
    action: `skip:${skip.reason}`,
    reason: skip.message,
    ...(mode.ok ? {} : { detail: { modeUnreadable: errorMessage(mode.error) } }),
  });
  return { decision: 'skip', reason: skip.reason, incidentId: skip.incidentId, steps: [], evidenceKeys: ctx.keys };
};

const summaryOfState = (state: InstanceState) => ({
  state: state.instance?.state ?? null,
  vpcId: state.instance?.vpcId ?? null,
  enis: state.enis.map((e) => ({ eniId: e.eniId, groupIds: e.groupIds, ipv6: e.ipv6, requesterManaged: e.requesterManaged })),
  autoScalingGroup: state.autoScalingGroup?.name ?? null,
  targetGroups: state.targetGroups.map((t) => t.arn),
  classicLoadBalancers: state.classicLoadBalancers,
  elasticIps: state.addresses.map((a) => a.publicIp ?? a.associationId),
  instanceProfile: state.profileAssociation?.arn ?? null,
  volumeIds: state.volumeIds,
  incidentTag: state.instance?.tags[INCIDENT_TAG] ?? null,
});

const stepSummary = (r: StepResult) => ({
  id: r.step.id,
  action: r.step.action,
  status: r.status,
  ...(r.error ? { error: r.error } : {}),
});

const respondToTarget = async (
  target: Ec2Target,
  modeP: Promise<Settled<Mode>>,
  deps: RespondDeps,
  log: RespondLogger,
): Promise<ResponseSummary> => {
  const instanceId = target.instance.instanceId;
  const account = target.instance.account ?? deps.homeAccount;
  const region = target.instance.region ?? deps.homeRegion;
  const access = accountAccess(
    {
      sts: deps.sts,
      homeAccount: deps.homeAccount,
      ...(deps.memberRoleName ? { memberRoleName: deps.memberRoleName } : {}),
      ...(deps.partition ? { partition: deps.partition } : {}),
    },
    target.incidentId,
  );
  // Observation is read-only: it runs while the mode is read, so a mode read costs no round trip.
  const accessP = settle(access(account, region));
  const stateP = accessP.then((a) => (a.ok ? settle(observeInstance(deps.clientsFor(a.value), instanceId)) : undefined));

  const ctx: TargetContext = {
    incidentId: target.incidentId,
    trigger: target.trigger,
    target: { type: 'ec2-instance', id: instanceId, account, region },
    actor: {
      ...deps.actor,
      ...(target.kind === 'manual' ? { requestedBy: target.requestedBy } : {}),
    },
    keys: [],
  };
  const summary = (decision: ResponseDecision, reason: string | undefined, steps: readonly StepResult[] = []): ResponseSummary => ({
    decision,
    ...(reason ? { reason } : {}),
    incidentId: ctx.incidentId,
    instanceId,
    steps: steps.map(stepSummary),
    evidenceKeys: ctx.keys,
  });

  const mode = await modeP;
  if (!mode.ok) {
    await stateP;
    log.error('mode unreadable: no action', { incidentId: ctx.incidentId, error: errorMessage(mode.error) });
    await append(deps, ctx, 'escalation', 'off', {
      action: 'escalate:mode-unreadable',
      reason: `expected mode enforce, dry-run or off, could not read it: ${errorMessage(mode.error)}`,
    });
    return summary('escalate', 'mode-unreadable');
  }
  if (mode.value === 'off') {
    // The kill switch wins over everything else, including an unreachable account.
    await stateP;
    await append(deps, ctx, 'skip', 'off', { action: 'skip:mode-off', reason: 'cordon mode is off: no action' });
    return summary('skip', 'mode-off');
  }
  const accessResult = await accessP;
  if (!accessResult.ok) {
    await append(deps, ctx, 'escalation', mode.value, {
      action: 'escalate:account-access',
      reason: errorMessage(accessResult.error),
    });
    return summary('escalate', 'account-access');
  }
  const assumed: AccountAccess = accessResult.value;
  if (assumed.assumedRoleArn) ctx.actor = { ...ctx.actor, assumedRoleArn: assumed.assumedRoleArn };
  const observed = await stateP;
  if (observed && !observed.ok) {
    const transient = isTransient(observed.error);
    await append(deps, ctx, transient ? 'error' : 'escalation', mode.value, {
      action: transient ? 'error:observe' : 'escalate:observe',
      reason: `could not observe ${instanceId}: ${errorMessage(observed.error)}`,
    });
    if (transient) throw new TransientAwsError(`observing ${instanceId} failed: ${errorMessage(observed.error)}`, observed.error);
    return summary('escalate', 'observe-failed');
  }
  const state = (observed as { ok: true; value: InstanceState }).value;

  if (target.action === 'release') return release(target, state, mode.value, deps, ctx, log, summary, assumed);

  const decision: Decision = isolationDecision(target, state, deps.config, mode.value);
  if (decision.skip) {
    log.info('isolation skipped', { incidentId: ctx.incidentId, reason: decision.skip.reason });
    await append(deps, ctx, 'skip', mode.value, {
      action: `skip:${decision.skip.reason}`,
      reason: decision.skip.message,
      before: summaryOfState(state),
    });
    return summary('skip', decision.skip.reason);
  }

  const steps = planIsolation(target, state, deps.config);
  const dryRun = mode.value === 'dry-run';
  // Blast-radius breaker: automatic containments only. A manual request or a Security Hub custom
  // action is a person's decision (evidenced as such); a dry-run contains nothing and consumes nothing.
  let admission: BreakerAdmission | undefined;
  const breaker = deps.guardrails.breaker;
  const human = target.kind === 'manual' ? `manual request by ${target.requestedBy}` : target.kind === 'securityhub' && target.customAction ? `Security Hub custom action ${target.customAction}` : undefined;
  if (breaker && !dryRun && !human) {
    try {
      admission = await breaker.admit({ incidentId: ctx.incidentId, action: ISOLATION_RESPONDER });
    } catch (error) {
      log.error('blast-radius breaker unavailable: no action', { incidentId: ctx.incidentId, error: errorMessage(error) });
      await append(deps, ctx, 'escalation', mode.value, {
        action: 'escalate:breaker-unavailable',
        reason: errorMessage(error),
        before: summaryOfState(state),
        detail: { plan: steps },
      });
      return summary('escalate', 'breaker-unavailable');
    }
    if (!admission.admitted) {
      log.warn('blast-radius breaker open: escalating', { ...BREAKER_OPEN_LOG, incidentId: ctx.incidentId, ...admission });
      await append(deps, ctx, 'escalation', mode.value, {
        action: 'escalate:breaker-open',
        reason: breakerOpenReason(admission),
        before: summaryOfState(state),
        detail: { breaker: { ...admission }, plan: steps },
      });
      return summary('escalate', 'breaker-open');
    }
  }
  await append(deps, ctx, 'intent', mode.value, {
    action: 'isolate-instance',
    reason: dryRun ? 'dry-run: the plan is recorded, nothing is changed' : target.kind === 'manual' ? target.reason : `finding ${target.finding.type}`,
    before: summaryOfState(state),
    detail: {
      dryRun,
      plan: steps,
      ...(admission ? { breaker: { ...admission } } : {}),
      ...(breaker && human ? { breaker: { bypassed: human } } : {}),
      ...('finding' in target && target.finding ? { finding: target.finding } : {}),
      ...(target.kind === 'manual' && target.ticket ? { ticket: target.ticket } : {}),
      ...(target.kind === 'securityhub' && target.customAction ? { customAction: target.customAction } : {}),
      ...(target.kind === 'guardduty' ? { resourceType: target.resourceType } : {}),
      skippedEnis: state.enis.filter((e) => e.requesterManaged).map((e) => e.eniId),
    },
  });
  if (dryRun) return summary('dry-run', undefined, []);

  const results = await executeWithEvidence(steps, deps.clientsFor(assumed), mode.value, deps, ctx, log);
  return summary('act', results.some((r) => r.status !== 'succeeded') ? 'some-steps-failed' : undefined, results);
};

/** Executes the plan, appending one step record as each step settles, then the outcome record. */
const executeWithEvidence = async (
  steps: readonly Step[],
  clients: ReturnType<ClientsFor>,
  mode: Mode,
  deps: RespondDeps,
  ctx: TargetContext,
  log: RespondLogger,
): Promise<StepResult[]> => {
  const appends: Promise<Settled<StoredRecord>>[] = [];
  const results = await executePlan(steps, clients, (r) => {
    if (r.status !== 'succeeded') log.error('isolation step failed', { incidentId: ctx.incidentId, step: r.step.id, error: r.error });
    appends.push(
      settle(
        append(deps, ctx, 'step', mode, {
          action: r.step.action,
          ...(r.error ? { reason: r.error } : {}),
          ...(r.before !== undefined ? { before: r.before } : {}),
          ...(r.after !== undefined ? { after: r.after } : {}),
          awsRequestIds: r.requestIds,
          detail: { stepId: r.step.id, kind: r.step.kind, status: r.status, step: r.step, ...(r.error ? { error: r.error } : {}) },
        }),
      ),
    );
  });
  const appended = await Promise.all(appends);
  const lost = appended.filter((a) => !a.ok);
  const count = (status: StepResult['status']) => results.filter((r) => r.status === status).length;
  const cut = results.filter((r) => r.step.kind === 'eni-isolate');
  await append(deps, ctx, 'outcome', mode, {
    action: steps.some((s) => s.kind === 'restore-eni-groups' || s.kind === 'attach-asg' || s.kind === 'associate-profile')
      ? 'release-instance'
      : 'isolate-instance',
    reason: `${count('succeeded')} of ${results.length} steps succeeded`,
    after: {
      succeeded: count('succeeded'),
      failed: count('failed'),
      notRun: count('not-run'),
      networkCut: cut.length > 0 && cut.every((r) => r.status === 'succeeded'),
    },
    detail: {
      failedSteps: results.filter((r) => r.status !== 'succeeded').map(stepSummary),
      ...(lost.length ? { stepRecordsLost: lost.map((l) => (l.ok ? '' : errorMessage(l.error))) } : {}),
    },
  });
  if (lost.length) {
    throw new Error(`evidence: ${lost.length} step record(s) could not be appended for ${ctx.incidentId}`);
  }
  return results;
};

const release = async (
  target: ManualReleaseTarget,
  state: InstanceState,
  mode: Mode,
  deps: RespondDeps,
  ctx: TargetContext,
  log: RespondLogger,
  summary: (decision: ResponseDecision, reason: string | undefined, steps?: readonly StepResult[]) => ResponseSummary,
  assumed: AccountAccess,
): Promise<ResponseSummary> => {
  // The release is evidenced in the isolation's own incident, so one chain tells the whole story.
  const isolationIncident = target.isolationIncidentId ?? state.instance?.tags[INCIDENT_TAG];
  if (isolationIncident) ctx.incidentId = isolationIncident;
  const skip = async (reason: string, message: string) => {
    await append(deps, ctx, 'skip', mode, { action: `skip:${reason}`, reason: message, before: summaryOfState(state) });
    return summary('skip', reason);
  };
  const decision = isolationDecision(target, state, deps.config, mode);
  if (decision.skip) return skip(decision.skip.reason, decision.skip.message);
  if (!isolationIncident) {
    return skip('no-isolation-evidence', `expected an incidentId or a ${INCIDENT_TAG} tag on ${target.instance.instanceId}, found neither`);
  }
  if (!deps.reader) throw new Error('respond: release needs an evidence reader');
  const records = await readVerified(deps.reader, isolationIncident);
  if (records instanceof EvidenceIntegrityError) {
    // A record that fails verification must not steer a release: refuse, say why, escalate.
    await append(deps, ctx, 'escalation', mode, {
      action: 'escalate:evidence-unverified',
      reason: `refusing to release ${target.instance.instanceId}: ${records.message}`,
      detail: { key: records.key, code: records.code },
    });
    return summary('escalate', 'evidence-unverified');
  }
  const isolation = isolationFromRecords(isolationIncident, records);
  if (!isolation) {
    return skip('no-isolation-evidence', `expected successful isolation steps in incident ${isolationIncident}, found none`);
  }
  const steps = planRelease(target, state, isolation);
  const dryRun = mode === 'dry-run';
  await append(deps, ctx, 'intent', mode, {
    action: 'release-instance',
    reason: dryRun ? `dry-run: ${target.reason}` : target.reason,
    before: summaryOfState(state),
    detail: {
      dryRun,
      plan: steps,
      isolation,
      reattachAsg: target.reattachAsg,
      ...(target.ticket ? { ticket: target.ticket } : {}),
      notRestored: ['target groups', 'classic load balancers', 'elastic ips', 'termination/stop protection', 'snapshots (kept)'],
    },
  });
  if (dryRun) return summary('dry-run', undefined);
  if (steps.length === 0) {
    await append(deps, ctx, 'outcome', mode, { action: 'release-instance', reason: 'nothing to restore: already as before isolation' });
    return summary('act', 'nothing-to-restore');
  }
  const results = await executeWithEvidence(steps, deps.clientsFor(assumed), mode, deps, ctx, log);
  return summary('act', results.some((r) => r.status !== 'succeeded') ? 'some-steps-failed' : undefined, results);
};

import { GetFindingsCommand, type GuardDutyClient } from '@aws-sdk/client-guardduty';
import type { STSClient } from '@aws-sdk/client-sts';
import type { Actor, EvidenceWriter, Mode } from '../evidence/types';
import {
  ec2TargetFromGuardDutyFinding,
  parseEc2Event,
  type Ec2Skip,
  type Ec2Target,
  type ManualFindingRequest,
  type ManualIsolateTarget,
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
import type { ArtifactStore } from './capture';
import { isolationDecision, type Decision } from './decision';
import { cutEscalations, cutReport, observationEscalations, type Escalation } from './escalations';
import type { EvidenceReader } from './evidence-reader';
import type { ExecuteOptions } from './execute';
import { observeInstance } from './observe';
import { planIsolation } from './plan';
import { append, executeWithEvidence, settle, stepSummary, summaryOfState, type Settled, type TargetContext } from './records';
import { release } from './release-flow';
import { residualPaths } from './residual';
import { previousIsolation } from './state';
import type { ClientsFor, InstanceState, IsolationConfig, StepResult } from './types';

/**
 * The flow of one finding (DESIGN.md): parse -> guardrails -> observe -> plan -> intent record ->
 * execute (independent steps in parallel) -> a step record per step -> an outcome record.
 *
 * Round trips, single account, isolation groups already present: (1) mode read || observation
 * round 1, (2) DescribeRouteTables || DescribeTargetHealth, (3) intent record, (4) allow-all group
 * on every ENI || console output and screenshot || every other step, (5) isolation group on every
 * ENI: network cut (|| the captured bytes into the vault); (6) its step record, (7) the outcome
 * record. Another account adds AssumeRole before observation (cached per account+region for the
 * invocation). The first isolation in a VPC adds three: create the groups, set their rules, verify.
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
  /** Where captured console output and screenshots are stored (the vault). @default none: only hashes */
  readonly artifacts?: ArtifactStore;
  /** Retry and wait bounds of the executor. @default 2 retries, 200 ms apart; captures waited for 1.5 s at most */
  readonly execute?: ExecuteOptions;
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

const DECISION_RANK: Record<ResponseDecision, number> = { skip: 0, 'dry-run': 1, act: 2, escalate: 3 };

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

  const clients = () => deps.clientsFor(assumed);
  const recordsDeps = { ...deps, logger: log };
  if (target.action === 'release') return release(target, state, mode.value, recordsDeps, ctx, summary, clients);

  const decision: Decision = isolationDecision(target, state, deps.config, mode.value);
  // Not acted on: a skip, or an escalation a person must look at (a released instance).
  const halt = decision.skip
    ? { record: 'skip' as const, verdict: 'skip' as const, ...decision.skip, detail: decision.skip.isolatedBy ? { isolatedBy: decision.skip.isolatedBy } : undefined }
    : decision.escalate
      ? { record: 'escalation' as const, verdict: 'escalate' as const, ...decision.escalate, detail: { releasedBy: decision.escalate.releasedBy } }
      : undefined;
  if (halt) {
    log.info(halt.verdict === 'skip' ? 'isolation skipped' : 'isolation escalated', { incidentId: ctx.incidentId, reason: halt.reason });
    await append(deps, ctx, halt.record, mode.value, {
      action: `${halt.verdict}:${halt.reason}`,
      reason: halt.message,
      before: summaryOfState(state),
      ...(halt.detail ? { detail: halt.detail } : {}),
    });
    return summary(halt.verdict, halt.reason);
  }

  const steps = planIsolation(target, state, deps.config, { account: assumed.account, region });
  const planned = observationEscalations(state, instanceId, region);
  const previous = previousIsolation(state, ctx.incidentId);
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
      ...(previous ? { previousIsolation: previous } : {}),
      ...(planned.length ? { escalations: planned } : {}),
    },
  });
  if (dryRun) return summary('dry-run', undefined, []);

  let escalations: Escalation[] = planned;
  const results = await executeWithEvidence(steps, clients(), mode.value, recordsDeps, ctx, (r) => {
    const report = cutReport(state, r);
    escalations = [...cutEscalations(report, region, isolationGroupOf(state, r)), ...planned];
    return {
      action: 'isolate-instance',
      after: { networkCut: report.networkCut },
      detail: { enis: report.enis, residualPaths: residualPaths(state), ...(escalations.length ? { escalations } : {}) },
    };
  });
  const first = escalations[0];
  if (first) {
    log.error('isolation escalated', { incidentId: ctx.incidentId, reason: first.reason, escalations });
    await append(deps, ctx, 'escalation', mode.value, {
      action: `escalate:${first.reason}`,
      reason: escalations.map((e) => e.message).join('; '),
      detail: { escalations },
    });
    return summary('escalate', first.reason, results);
  }
  return summary('act', results.some((r) => r.status !== 'succeeded') ? 'some-steps-failed' : undefined, results);
};

/** The isolation group of the instance's VPC: the observed one, or the one the plan created. */
const isolationGroupOf = (state: InstanceState, results: readonly StepResult[]): string | undefined =>
  state.isolationGroups.find((g) => g.role === 'isolation' && g.vpcId === state.instance?.vpcId)?.groupId ??
  results.find((r) => r.step.kind === 'create-security-group' && r.step.role === 'isolation')?.groupId;

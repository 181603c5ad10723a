import type { GuardDutyClient } from '@aws-sdk/client-guardduty';
import type { STSClient } from '@aws-sdk/client-sts';
import type { Actor, EvidenceWriter } from '../evidence/types';
import type { Ec2Target } from '../findings/ec2';
import type { Guardrails } from '../guardrails/types';
import type { Notifier } from '../notify/notifier';
import { settle, type Settled } from '../pipeline/recorder';
import type { PipelineLogger } from '../pipeline/run';
import type { Describe, Go, LiveMode, Responder, Stop } from '../pipeline/types';
import { accountAccess, type AccountAccess } from '../shared/assume';
import { errorMessage, TransientAwsError } from '../shared/errors';
import type { ArtifactStore } from './capture';
import type { EvidenceReader } from './evidence-reader';
import type { ExecuteOptions } from './execute';
import { observeInstance } from './observe';
import { stepSummary } from './records';
import type { ClientsFor, InstanceState, IsolationConfig, StepResult } from './types';

/**
 * What isolation and release share around the pipeline: the deps, reaching the instance (account
 * access, then observation, while the kill switch is read), what stops a response before anything
 * is planned (no access, no observation), the result and the notification's target.
 */

export type RespondLogger = PipelineLogger;

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
  return Boolean(e.$retryable) || (typeof e.name === 'string' && TRANSIENT.has(e.name)) || (e.$metadata?.httpStatusCode ?? 0) >= 500;
};

/** The account access, and the instance as observed with it (absent when there was no access). */
export interface Reached {
  readonly access: Settled<AccountAccess>;
  readonly state?: Settled<InstanceState>;
}

export const accountOf = (target: Ec2Target, deps: RespondDeps): string => target.instance.account ?? deps.homeAccount;
export const regionOf = (target: Ec2Target, deps: RespondDeps): string => target.instance.region ?? deps.homeRegion;

/** Account access (AssumeRole into a member account, cached for the invocation), then the observation. */
export const reach = async (target: Ec2Target, deps: RespondDeps): Promise<Reached> => {
  const access = await settle(
    accountAccess(
      {
        sts: deps.sts,
        homeAccount: deps.homeAccount,
        ...(deps.memberRoleName ? { memberRoleName: deps.memberRoleName } : {}),
        ...(deps.partition ? { partition: deps.partition } : {}),
      },
      target.incidentId,
    )(accountOf(target, deps), regionOf(target, deps)),
  );
  return access.ok ? { access, state: await settle(observeInstance(deps.clientsFor(access.value), target.instance.instanceId)) } : { access };
};

/** No access to the account (escalate), or the instance could not be observed (transient: retry). */
const unreached = (target: Ec2Target, reached: Reached): Stop<never> | { access: AccountAccess; state: InstanceState } => {
  const instanceId = target.instance.instanceId;
  if (!reached.access.ok) {
    return { decision: 'escalate', reason: 'account-access', records: [{ kind: 'escalation', action: 'escalate:account-access', reason: errorMessage(reached.access.error) }] };
  }
  const state = reached.state;
  if (!state?.ok) {
    const error: unknown = state?.error;
    const transient = isTransient(error);
    const reason = `could not observe ${instanceId}: ${errorMessage(error)}`;
    return {
      decision: 'escalate',
      reason: 'observe-failed',
      records: [{ kind: transient ? 'error' : 'escalation', action: transient ? 'error:observe' : 'escalate:observe', reason }],
      ...(transient ? { retry: new TransientAwsError(`observing ${instanceId} failed: ${errorMessage(error)}`, error) } : {}),
    };
  }
  return { access: reached.access.value, state: state.value };
};

/** The kill switch's records, the same for isolation and release. */
const gateWords = {
  modeUnreadable: (_: Ec2Target, error: string): Stop<never> => ({
    decision: 'escalate',
    reason: 'mode-unreadable',
    records: [{ kind: 'escalation', action: 'escalate:mode-unreadable', reason: `expected mode enforce, dry-run or off, could not read it: ${error}` }],
  }),
  modeOff: (): Stop<never> => ({ decision: 'skip', reason: 'mode-off', records: [{ kind: 'skip', action: 'skip:mode-off', reason: 'cordon mode is off: no action' }] }),
};

/**
 * What isolation and release differ in: their reads, plan, mutating calls and the words of their
 * records. `plan` is asked only once the account was entered and the instance observed (`unreached`
 * stops before it otherwise).
 */
export type Ec2Own<T extends Ec2Target, O extends Reached, P, X extends { readonly results: readonly StepResult[] }> = Pick<
  Responder<T, O, P, X, ResponseSummary>,
  'observe' | 'breaker' | 'execute'
> &
  Pick<Describe<T, O, P, X>, 'intent' | 'outcome'> & {
    plan(target: T, observed: O, mode: LiveMode, seen: { readonly access: AccountAccess; readonly state: InstanceState }): Stop<P> | Go<P>;
  };

/**
 * An isolation-family responder: what isolation and release share (name, frame, proceed, kill
 * switch records, result and notification) and `own`. Made per invocation as one literal: on
 * Node 20 an object spread followed by more members costs 1-1.5 us per object (measured).
 */
export const ec2Responder = <T extends Ec2Target, O extends Reached, P, X extends { readonly results: readonly StepResult[] }>(
  deps: RespondDeps,
  own: Ec2Own<T, O, P, X>,
): Responder<T, O, P, X, ResponseSummary> => ({
  name: ISOLATION_RESPONDER,
  // Records about the instance; a manual request names who asked.
  frame: (target) => ({
    incidentId: target.incidentId,
    trigger: target.trigger,
    target: { type: 'ec2-instance', id: target.instance.instanceId, account: accountOf(target, deps), region: regionOf(target, deps) },
    actor: { ...deps.actor, ...(target.kind === 'manual' ? { requestedBy: target.requestedBy } : {}) },
  }),
  // Once past the kill switch, every record names the member role assumed (if one was).
  proceed: (reached, rec) => {
    if (reached.access.ok) rec.noteAccess(reached.access.value);
  },
  summarise: (d, target) => ({
    decision: d.decision as ResponseDecision,
    ...(d.reason ? { reason: d.reason } : {}),
    incidentId: d.incidentId,
    instanceId: target.instance.instanceId,
    steps: (d.decision === 'dry-run' ? [] : (d.executed?.results ?? [])).map(stepSummary),
    evidenceKeys: d.evidenceKeys,
  }),
  // The notification names the instance where it is, and who asked.
  notice: (target) => ({
    trigger: target.trigger,
    target: { type: 'ec2-instance', id: target.instance.instanceId, account: accountOf(target, deps), region: regionOf(target, deps) },
    ...(target.kind === 'manual' ? { requestedBy: target.requestedBy } : {}),
  }),
  observe: own.observe,
  plan: (target, observed, mode) => {
    const seen = unreached(target, observed);
    return 'records' in seen ? seen : own.plan(target, observed, mode, seen);
  },
  breaker: own.breaker,
  execute: own.execute,
  describe: { modeUnreadable: gateWords.modeUnreadable, modeOff: gateWords.modeOff, intent: own.intent, outcome: own.outcome },
});

import type { Ec2Target } from '../findings/ec2';
import { breakerOpenReason } from '../guardrails/types';
import type { Planned, Responder } from '../pipeline/types';
import type { AccountAccess } from '../shared/assume';
import { isolationDecision } from './decision';
import { cutEscalations, cutReport, observationEscalations, type Escalation } from './escalations';
import { ec2Responder, reach, regionOf, type Reached, type RespondDeps, type ResponseSummary } from './access';
import { planIsolation } from './plan';
import { executeWithEvidence, outcomeOf, summaryOfState, type Executed } from './records';
import { residualPaths } from './residual';
import { previousIsolation } from './state';
import type { InstanceState, Step, StepResult } from './types';

/**
 * The isolation responder on the pipeline (lambdas/pipeline/run.ts). Round trips, single account,
 * isolation groups already present: (1) mode read || observation round 1, (2) DescribeRouteTables
 * || DescribeTargetHealth, (3) intent record, (4) allow-all group on every ENI || console output and
 * screenshot || every other step, (5) isolation group on every ENI: network cut (|| the captured
 * bytes into the vault); (6) its step record, (7) the outcome record. Another account adds
 * AssumeRole before observation (cached per account+region for the invocation). The first isolation
 * in a VPC adds three: create the groups, set their rules, verify.
 */

export interface IsolationPlan {
  readonly steps: readonly Step[];
  readonly access: AccountAccess;
  readonly state: InstanceState;
  /** Escalations the observation alone calls for (residual paths, unobserved parts). */
  readonly planned: readonly Escalation[];
  /** The isolation this one continues (a redelivery whose cut was incomplete). */
  readonly previous?: string;
}

type Ctx = Planned<Ec2Target, Reached, IsolationPlan>;

/** A person's decision, which the blast-radius breaker does not count. */
const personOf = (target: Ec2Target): string | undefined =>
  target.kind === 'manual' ? `manual request by ${target.requestedBy}` : target.kind === 'securityhub' && target.customAction ? `Security Hub custom action ${target.customAction}` : undefined;

/** The isolation group of the instance's VPC: the observed one, or the one the plan created. */
const isolationGroupOf = (state: InstanceState, results: readonly StepResult[]): string | undefined =>
  state.isolationGroups.find((g) => g.role === 'isolation' && g.vpcId === state.instance?.vpcId)?.groupId ??
  results.find((r) => r.step.kind === 'create-security-group' && r.step.role === 'isolation')?.groupId;

const escalationOf = (c: Ctx, reason: 'breaker-unavailable' | 'breaker-open', text: string, detail: Record<string, unknown>) => ({
  decision: 'escalate',
  reason,
  records: [{ kind: 'escalation' as const, action: `escalate:${reason}`, reason: text, before: summaryOfState(c.plan.state), detail: { ...detail, plan: c.plan.steps } }],
});

export const isolateResponder = (deps: RespondDeps): Responder<Ec2Target, Reached, IsolationPlan, Executed, ResponseSummary> =>
  ec2Responder<Ec2Target, Reached, IsolationPlan, Executed>(deps, {
    observe: (target) => reach(target, deps),
    plan: (target, _reached, mode, { state, access }) => {
      const decision = isolationDecision(target, state, deps.config, mode);
      // Not acted on: a skip, or an escalation a person must look at (a released instance).
      if (decision.skip) {
        const { reason, message, isolatedBy } = decision.skip;
        return { decision: 'skip', reason, records: [{ kind: 'skip', action: `skip:${reason}`, reason: message, before: summaryOfState(state), ...(isolatedBy ? { detail: { isolatedBy } } : {}) }] };
      }
      if (decision.escalate) {
        const { reason, message, releasedBy } = decision.escalate;
        return { decision: 'escalate', reason, records: [{ kind: 'escalation', action: `escalate:${reason}`, reason: message, before: summaryOfState(state), detail: { releasedBy } }] };
      }
      const region = regionOf(target, deps);
      const previous = previousIsolation(state, target.incidentId);
      return {
        go: {
          steps: planIsolation(target, state, deps.config, { account: access.account, region }),
          access,
          state,
          planned: observationEscalations(state, target.instance.instanceId, region),
          ...(previous ? { previous } : {}),
        },
      };
    },
    breaker: {
      person: personOf,
      unavailable: (c, error) => escalationOf(c, 'breaker-unavailable', error, {}),
      open: (c, admission) => escalationOf(c, 'breaker-open', breakerOpenReason(admission), { breaker: { ...admission } }),
    },
    execute: (c, rec) => executeWithEvidence(c.plan.steps, deps.clientsFor(c.plan.access), c.mode, deps, rec),
    intent: ({ target, plan, mode, breaker }) => ({
      kind: 'intent',
      action: 'isolate-instance',
      reason: mode === 'dry-run' ? 'dry-run: the plan is recorded, nothing is changed' : target.kind === 'manual' ? target.reason : `finding ${target.finding.type}`,
      before: summaryOfState(plan.state),
      detail: {
        dryRun: mode === 'dry-run',
        plan: plan.steps,
        ...(breaker ? { breaker: { ...breaker } } : {}),
        ...('finding' in target && target.finding ? { finding: target.finding } : {}),
        ...(target.kind === 'manual' && target.ticket ? { ticket: target.ticket } : {}),
        ...(target.kind === 'securityhub' && target.customAction ? { customAction: target.customAction } : {}),
        ...(target.kind === 'guardduty' ? { resourceType: target.resourceType } : {}),
        skippedEnis: plan.state.enis.filter((e) => e.requesterManaged).map((e) => e.eniId),
        ...(plan.previous ? { previousIsolation: plan.previous } : {}),
        ...(plan.planned.length ? { escalations: plan.planned } : {}),
      },
    }),
    outcome: ({ target, plan }, executed) => {
      const { results } = executed;
      const report = cutReport(plan.state, results);
      const escalations = [...cutEscalations(report, regionOf(target, deps), isolationGroupOf(plan.state, results)), ...plan.planned];
      const first = escalations[0];
      return {
        ...outcomeOf(executed, {
          action: 'isolate-instance',
          after: { networkCut: report.networkCut },
          detail: { enis: report.enis, residualPaths: residualPaths(plan.state), ...(escalations.length ? { escalations } : {}) },
        }),
        ...(first
          ? {
              decision: 'escalate',
              reason: first.reason,
              after: [{ kind: 'escalation' as const, action: `escalate:${first.reason}`, reason: escalations.map((e) => e.message).join('; '), detail: { escalations } }],
            }
          : { decision: 'act', ...(results.some((r) => r.status !== 'succeeded') ? { reason: 'some-steps-failed' } : {}) }),
      };
    },
  });

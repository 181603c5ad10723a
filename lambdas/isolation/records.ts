import type { EvidenceWriter, Mode, StoredRecord } from '../evidence/types';
import { settle, type Recorder, type Settled } from '../pipeline/recorder';
import type { RecordFields } from '../pipeline/types';
import { errorMessage } from '../shared/errors';
import { storeArtifact, type ArtifactStore } from './capture';
import { executePlan, type ExecuteOptions } from './execute';
import { INCIDENT_TAG, type Ec2Clients, type InstanceState, type Step, type StepResult } from './types';

/**
 * How isolation and release write the evidence of an execution: a step record per step as it
 * settles (a capture's artifact stored first, its hash in the record), then the outcome record,
 * written by the pipeline (lambdas/pipeline/run.ts) with the fields `outcomeOf` gives.
 */

export interface RecordsDeps {
  readonly evidence: EvidenceWriter;
  /** Where captured console output and screenshots go (the vault). @default none: only their hash is kept */
  readonly artifacts?: ArtifactStore;
  /** Retry and wait bounds of the executor (tests shorten them). */
  readonly execute?: ExecuteOptions;
  readonly logger?: { error(message: string, extra: Record<string, unknown>): void };
}

export const summaryOfState = (state: InstanceState) => ({
  state: state.instance?.state ?? null,
  vpcId: state.instance?.vpcId ?? null,
  enis: state.enis.map((e) => ({ eniId: e.eniId, groupIds: e.groupIds, ipv6: e.ipv6, requesterManaged: e.requesterManaged })),
  autoScalingGroup: state.autoScalingGroup?.name ?? null,
  ...(state.autoScalingGroup?.lifecycleState ? { autoScalingLifecycleState: state.autoScalingGroup.lifecycleState } : {}),
  ...(state.autoScalingGroup?.protectedFromScaleIn !== undefined ? { protectedFromScaleIn: state.autoScalingGroup.protectedFromScaleIn } : {}),
  targetGroups: state.targetGroups.map((t) => t.arn),
  classicLoadBalancers: state.classicLoadBalancers,
  elasticIps: state.addresses.map((a) => a.publicIp ?? a.associationId),
  instanceProfile: state.profileAssociation?.arn ?? null,
  volumeIds: state.volumeIds,
  incidentTag: state.instance?.tags[INCIDENT_TAG] ?? null,
  ...(state.observationErrors?.length ? { observationErrors: state.observationErrors } : {}),
});

export const stepSummary = (r: StepResult) => ({
  id: r.step.id,
  action: r.step.action,
  status: r.status,
  ...(r.error ? { error: r.error } : {}),
});

/** The step record of one settled step (after storing its artifact, if it captured one). */
const stepRecord = (deps: RecordsDeps, rec: Recorder, mode: Mode, r: StepResult): Promise<StoredRecord> =>
  r.artifact
    ? storeArtifact(deps.artifacts, rec.incidentId, r.artifact).then((artifact) => appendStep(rec, mode, r, { ...(r.after as object | undefined), artifact }))
    : appendStep(rec, mode, r, r.after);

const appendStep = (rec: Recorder, mode: Mode, r: StepResult, after: unknown): Promise<StoredRecord> => {
  const { step, error } = r;
  const fields: RecordFields = error
    ? { kind: 'step', action: step.action, reason: error, before: r.before, after, awsRequestIds: r.requestIds, detail: { stepId: step.id, kind: step.kind, status: r.status, step, error } }
    : { kind: 'step', action: step.action, before: r.before, after, awsRequestIds: r.requestIds, detail: { stepId: step.id, kind: step.kind, status: r.status, step } };
  return rec.append(mode, fields);
};

/** The steps as they settled, and the step records that could not be written. */
export interface Executed {
  readonly results: readonly StepResult[];
  readonly incidentId: string;
  readonly lost: readonly string[];
}

/** Executes the plan, appending one step record as each step settles (independent steps in parallel). */
export const executeWithEvidence = async (steps: readonly Step[], clients: Ec2Clients, mode: Mode, deps: RecordsDeps, rec: Recorder): Promise<Executed> => {
  const appends: Promise<Settled<StoredRecord>>[] = [];
  const results = await executePlan(
    steps,
    clients,
    (r) => {
      if (r.status !== 'succeeded') deps.logger?.error('isolation step failed', { incidentId: rec.incidentId, step: r.step.id, error: r.error });
      appends.push(settle(stepRecord(deps, rec, mode, r)));
    },
    deps.execute,
  );
  const appended = await Promise.all(appends);
  return { results, incidentId: rec.incidentId, lost: appended.flatMap((a) => (a.ok ? [] : [errorMessage(a.error)])) };
};

/**
 * The outcome record of an execution, with `out`'s action and fields, and the failure to throw
 * after it when a step record could not be appended.
 */
export const outcomeOf = (
  executed: Executed,
  out: Pick<RecordFields, 'action'> & { after?: Record<string, unknown>; detail?: Record<string, unknown> },
): { outcome: RecordFields; failure?: Error } => {
  const { results, lost } = executed;
  const count = (status: StepResult['status']) => results.filter((r) => r.status === status).length;
  return {
    outcome: {
      kind: 'outcome',
      action: out.action,
      reason: `${count('succeeded')} of ${results.length} steps succeeded`,
      after: { succeeded: count('succeeded'), failed: count('failed'), notRun: count('not-run'), ...out.after },
      detail: {
        failedSteps: results.filter((r) => r.status !== 'succeeded').map(stepSummary),
        ...out.detail,
        ...(lost.length ? { stepRecordsLost: [...lost] } : {}),
      },
    },
    ...(lost.length ? { failure: new Error(`evidence: ${lost.length} step record(s) could not be appended for ${executed.incidentId}`) } : {}),
  };
};

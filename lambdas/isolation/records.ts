import type { Actor, EvidenceInput, EvidenceKind, EvidenceWriter, Mode, StoredRecord, TargetRef, Trigger } from '../evidence/types';
import { errorMessage } from '../shared/errors';
import { storeArtifact, type ArtifactStore } from './capture';
import { executePlan, type ExecuteOptions } from './execute';
import { INCIDENT_TAG, type Ec2Clients, type InstanceState, type Step, type StepResult } from './types';

/**
 * How the isolation responder writes its evidence: one append per record with the target's
 * trigger, target and actor; a step record per step as it settles (a capture's artifact stored
 * first, its hash in the record); an outcome record after the last step.
 */

export interface RecordsDeps {
  readonly evidence: EvidenceWriter;
  /** Where captured console output and screenshots go (the vault). @default none: only their hash is kept */
  readonly artifacts?: ArtifactStore;
  /** Retry and wait bounds of the executor (tests shorten them). */
  readonly execute?: ExecuteOptions;
  readonly logger?: { error(message: string, extra: Record<string, unknown>): void };
}

export interface TargetContext {
  /** Mutable: a release moves to the isolation's incident once it is known. */
  incidentId: string;
  readonly trigger: Trigger;
  readonly target: TargetRef;
  actor: Actor;
  readonly keys: string[];
}

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };
export const settle = <T>(p: Promise<T>): Promise<Settled<T>> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

export const append = async (
  deps: Pick<RecordsDeps, 'evidence'>,
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
const stepRecord = async (deps: RecordsDeps, ctx: TargetContext, mode: Mode, r: StepResult): Promise<StoredRecord> => {
  const artifact = r.artifact ? await storeArtifact(deps.artifacts, ctx.incidentId, r.artifact) : undefined;
  const after = artifact ? { ...(r.after as object | undefined), artifact } : r.after;
  return append(deps, ctx, 'step', mode, {
    action: r.step.action,
    ...(r.error ? { reason: r.error } : {}),
    ...(r.before !== undefined ? { before: r.before } : {}),
    ...(after !== undefined ? { after } : {}),
    awsRequestIds: r.requestIds,
    detail: { stepId: r.step.id, kind: r.step.kind, status: r.status, step: r.step, ...(r.error ? { error: r.error } : {}) },
  });
};

/**
 * Executes the plan, appending one step record as each step settles, then the outcome record with
 * `outcome(results)`'s fields. Throws, after the outcome, when a step record could not be appended.
 */
export const executeWithEvidence = async (
  steps: readonly Step[],
  clients: Ec2Clients,
  mode: Mode,
  deps: RecordsDeps,
  ctx: TargetContext,
  outcome: (results: readonly StepResult[]) => Pick<EvidenceInput, 'action'> & { after?: Record<string, unknown>; detail?: Record<string, unknown> },
): Promise<StepResult[]> => {
  const appends: Promise<Settled<StoredRecord>>[] = [];
  const results = await executePlan(
    steps,
    clients,
    (r) => {
      if (r.status !== 'succeeded') deps.logger?.error('isolation step failed', { incidentId: ctx.incidentId, step: r.step.id, error: r.error });
      appends.push(settle(stepRecord(deps, ctx, mode, r)));
    },
    deps.execute,
  );
  const appended = await Promise.all(appends);
  const lost = appended.filter((a) => !a.ok);
  const count = (status: StepResult['status']) => results.filter((r) => r.status === status).length;
  const out = outcome(results);
  await append(deps, ctx, 'outcome', mode, {
    action: out.action,
    reason: `${count('succeeded')} of ${results.length} steps succeeded`,
    after: { succeeded: count('succeeded'), failed: count('failed'), notRun: count('not-run'), ...out.after },
    detail: {
      failedSteps: results.filter((r) => r.status !== 'succeeded').map(stepSummary),
      ...out.detail,
      ...(lost.length ? { stepRecordsLost: lost.map((l) => (l.ok ? '' : errorMessage(l.error))) } : {}),
    },
  });
  if (lost.length) {
    throw new Error(`evidence: ${lost.length} step record(s) could not be appended for ${ctx.incidentId}`);
  }
  return results;
};

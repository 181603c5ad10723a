import type { Mode } from '../evidence/types';
import type { ManualReleaseTarget } from '../findings/ec2';
import { isolationDecision } from './decision';
import { EvidenceIntegrityError, readIsolation, type EvidenceReader } from './evidence-reader';
import { append, executeWithEvidence, summaryOfState, type RecordsDeps, type TargetContext } from './records';
import { notRestored, planRelease } from './release';
import { INCIDENT_TAG, type Ec2Clients, type InstanceState, type IsolationConfig, type StepResult } from './types';

/**
 * The release flow: find the isolating incident (request, else the instance's tag), read what it
 * changed from its evidence (and from the isolations it continued), restore, untag, and say what
 * was not restored with the command for each. Evidenced in the isolation's own incident, so one
 * chain tells the whole story.
 */

export interface ReleaseDeps extends RecordsDeps {
  readonly config: IsolationConfig;
  readonly reader?: EvidenceReader;
}

export const release = async <S>(
  target: ManualReleaseTarget,
  state: InstanceState,
  mode: Mode,
  deps: ReleaseDeps,
  ctx: TargetContext,
  summary: (decision: 'act' | 'skip' | 'dry-run' | 'escalate', reason: string | undefined, steps?: readonly StepResult[]) => S,
  clients: () => Ec2Clients,
): Promise<S> => {
  const instanceId = target.instance.instanceId;
  const region = ctx.target.region ?? '';
  const isolationIncident = target.isolationIncidentId ?? state.instance?.tags[INCIDENT_TAG];
  if (isolationIncident) ctx.incidentId = isolationIncident;
  const skip = async (reason: string, message: string) => {
    await append(deps, ctx, 'skip', mode, { action: `skip:${reason}`, reason: message, before: summaryOfState(state) });
    return summary('skip', reason);
  };
  const decision = isolationDecision(target, state, deps.config, mode);
  if (decision.skip) return skip(decision.skip.reason, decision.skip.message);
  if (!isolationIncident) {
    return skip('no-isolation-evidence', `expected an incidentId or a ${INCIDENT_TAG} tag on ${instanceId}, found neither`);
  }
  if (!deps.reader) throw new Error('respond: release needs an evidence reader');
  let isolation;
  try {
    isolation = await readIsolation(deps.reader, isolationIncident, instanceId);
  } catch (error) {
    if (!(error instanceof EvidenceIntegrityError)) throw error;
    // A record that fails verification must not steer a release: refuse, say why, escalate.
    await append(deps, ctx, 'escalation', mode, {
      action: 'escalate:evidence-unverified',
      reason: `refusing to release ${instanceId}: ${error.message}`,
      detail: { key: error.key, code: error.code },
    });
    return summary('escalate', 'evidence-unverified');
  }
  if (!isolation) {
    return skip('no-isolation-evidence', `expected successful isolation steps on ${instanceId} in incident ${isolationIncident}, found none`);
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
      notRestored: notRestored(instanceId, region, isolation, target.reattachAsg),
    },
  });
  if (dryRun) return summary('dry-run', undefined);
  if (steps.length === 0) {
    await append(deps, ctx, 'outcome', mode, {
      action: 'release-instance',
      reason: 'nothing to restore: already as before isolation',
      detail: { notRestored: notRestored(instanceId, region, isolation, target.reattachAsg) },
    });
    return summary('act', 'nothing-to-restore');
  }
  const results = await executeWithEvidence(steps, clients(), mode, deps, ctx, (r) => ({
    action: 'release-instance',
    detail: { notRestored: notRestored(instanceId, region, isolation, target.reattachAsg, r) },
  }));
  return summary('act', results.some((r) => r.status !== 'succeeded') ? 'some-steps-failed' : undefined, results);
};

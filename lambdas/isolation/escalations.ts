import { DETACHABLE_STATES } from './plan';
import { isCut, isolationGroupIds } from './state';
import type { InstanceState, StepResult } from './types';

/**
 * What the isolation could not do by itself and a person must: decided from the observation
 * (pure, recorded in the intent) and from the results (the network cut of every ENI). Each comes
 * with the reason code the response reports and, where one exists, the command to run.
 */

export interface Escalation {
  /** `network-not-cut`, `partial-observation`, `asg-not-detachable`, `eni-not-modifiable`. */
  readonly reason: string;
  readonly message: string;
  readonly command?: string;
}

export const observationEscalations = (state: InstanceState, instanceId: string, region: string): Escalation[] => {
  const out: Escalation[] = (state.observationErrors ?? []).map((e) => ({
    reason: 'partial-observation',
    message: `could not read ${e.resource} (${e.call}: ${e.error}): its isolation step was not planned; check it by hand`,
  }));
  const asg = state.autoScalingGroup;
  if (asg?.lifecycleState && !DETACHABLE_STATES.has(asg.lifecycleState)) {
    const terminating = /^Terminat/.test(asg.lifecycleState);
    out.push({
      reason: 'asg-not-detachable',
      message: terminating
        ? `instance ${instanceId} is ${asg.lifecycleState} in Auto Scaling group ${asg.name}: it cannot be detached and will be terminated (termination protection does not stop Auto Scaling); the snapshots are the evidence; hold it with a lifecycle heartbeat if a hook is waiting`
        : `instance ${instanceId} is ${asg.lifecycleState} in Auto Scaling group ${asg.name}: DetachInstances needs InService or Standby; ${asg.protectedFromScaleIn ? 'it is protected from scale-in' : 'scale-in protection is set instead'}; detach it once it is InService`,
      command: terminating
        ? `aws autoscaling record-lifecycle-action-heartbeat --region ${region} --auto-scaling-group-name ${asg.name} --lifecycle-hook-name HOOK --instance-id ${instanceId}`
        : `aws autoscaling detach-instances --region ${region} --instance-ids ${instanceId} --auto-scaling-group-name ${asg.name} --no-should-decrement-desired-capacity`,
    });
  }
  for (const eni of state.enis.filter((e) => e.requesterManaged)) {
    out.push({ reason: 'eni-not-modifiable', message: `ENI ${eni.eniId} is managed by another service: its security groups cannot be changed, so its traffic is not cut` });
  }
  return out;
};

export interface CutReport {
  /** True only when every ENI of the instance ends on exactly the isolation group. */
  readonly networkCut: boolean;
  readonly enis: readonly { readonly eniId: string; readonly cut: boolean; readonly groups?: readonly string[]; readonly note?: string }[];
}

/** Where each ENI ended, from the observation and the isolation steps' results. */
export const cutReport = (state: InstanceState, results: readonly StepResult[]): CutReport => {
  const isolation = isolationGroupIds(state).isolation;
  const enis = state.enis.map((eni) => {
    if (isCut(eni, isolation)) return { eniId: eni.eniId, cut: true, groups: eni.groupIds, note: 'already cut' };
    const r = results.find((x) => x.step.kind === 'eni-isolate' && x.step.eniId === eni.eniId);
    const after = r?.after as { groups?: string[]; reverted?: boolean; revertFailed?: boolean } | undefined;
    if (r?.status === 'succeeded') return { eniId: eni.eniId, cut: true, ...(after?.groups ? { groups: after.groups } : {}) };
    const note = !r ? (eni.requesterManaged ? 'managed by another service' : 'not planned') : after?.reverted ? 'back on its original groups' : after?.revertFailed ? 'revert failed: may be on allow-all' : r.status;
    return { eniId: eni.eniId, cut: false, ...(after?.groups ? { groups: after.groups } : {}), note };
  });
  return { networkCut: enis.length > 0 && enis.every((e) => e.cut), enis };
};

/** Where a person finds the commands when there is no isolation group to name. */
export const CUT_BY_HAND = 'docs/runbooks/compromised-ec2-instance.md, "Cut the network by hand"';

/**
 * The escalation when some ENI is not cut, with the command for each; without an isolation group
 * (its creation failed), the runbook section that makes one and cuts every ENI.
 */
export const cutEscalations = (report: CutReport, region: string, isolationGroup: string | undefined): Escalation[] =>
  report.enis
    .filter((e) => !e.cut)
    .map((e) => {
      const message = `ENI ${e.eniId} is not cut (${e.note ?? 'unknown'})`;
      return isolationGroup
        ? { reason: 'network-not-cut', message, command: `aws ec2 modify-network-interface-attribute --region ${region} --network-interface-id ${e.eniId} --groups ${isolationGroup}` }
        : { reason: 'network-not-cut', message: `${message}: there is no isolation group to cut it with (it could not be created); cut it by hand: ${CUT_BY_HAND}` };
    });

import type { ManualReleaseTarget } from '../findings/ec2';
import { INCIDENT_TAG, RELEASED_TAG, type InstanceState, type ObservedAddress, type ObservedDevice, type ObservedTargetGroup, type Step, type StepResult } from './types';

/**
 * Release (undo) from the evidence of the isolation: each ENI's original groups and (only on
 * request) the Auto Scaling group with its scale-in protection;
 * then the instance is tagged released and the incident tag is removed, so the instance is no longer
 * "isolated", and the next automatic finding on it escalates instead of isolating it again.
 * Target groups, load balancers, Elastic IPs and evidence protection stay as the isolation left
 * them (putting an instance back in service is a service owner's decision): `notRestored` lists
 * each, and each step release could not make, with the command an operator runs for it.
 * The original instance profile is listed too, never re-associated by Cordon: associating a profile
 * passes its role (AWS authorizes iam:PassRole on it), and a Cordon role that could pass an
 * application's role could hand any role to any instance. Cordon may pass only the quarantine role.
 */

/** What an isolation changed, as read back from its evidence (see evidence-reader.ts). */
export interface IsolationRecord {
  /** The incident the instance's tag names (the release is evidenced there). */
  readonly incidentId: string;
  /** Every incident read: the tagged one, then the earlier ones it continued. */
  readonly incidents: readonly string[];
  /** Original groups of each ENI whose isolation step succeeded. */
  readonly enis: readonly { readonly eniId: string; readonly groupIds: readonly string[] }[];
  /** The original instance profile, when the isolation replaced or removed it successfully. */
  readonly profileArn?: string;
  /** The Auto Scaling group the instance was detached from (successfully), and its protection then. */
  readonly autoScalingGroupName?: string;
  readonly protectedFromScaleIn?: boolean;
  readonly targetGroups: readonly { readonly arn: string; readonly targets: ObservedTargetGroup['targets'] }[];
  readonly classicLoadBalancers: readonly string[];
  readonly addresses: readonly ObservedAddress[];
  /** Evidence protection the isolation set: `disableApiTermination`, `disableApiStop`, `shutdownBehaviourStop`. */
  readonly protections: readonly string[];
  /** Devices whose DeleteOnTermination was true before the isolation set it false. */
  readonly deleteOnTermination: readonly ObservedDevice[];
}

export const planRelease = (
  target: Pick<ManualReleaseTarget, 'instance' | 'reattachAsg'>,
  state: InstanceState,
  isolation: IsolationRecord,
): Step[] => {
  const instanceId = target.instance.instanceId;
  const steps: Step[] = [];
  const current = new Map(state.enis.map((e) => [e.eniId, e]));
  for (const eni of isolation.enis) {
    const now = current.get(eni.eniId);
    if (!now || eni.groupIds.length === 0) continue;
    const same = now.groupIds.length === eni.groupIds.length && now.groupIds.every((g) => eni.groupIds.includes(g));
    if (same) continue;
    steps.push({
      id: `restore-eni-groups:${eni.eniId}`,
      action: 'ec2:ModifyNetworkInterfaceAttribute',
      kind: 'restore-eni-groups',
      eniId: eni.eniId,
      groupIds: eni.groupIds,
      before: now.groupIds,
    });
  }
  if (target.reattachAsg && isolation.autoScalingGroupName && !state.autoScalingGroup) {
    const autoScalingGroupName = isolation.autoScalingGroupName;
    steps.push({ id: 'attach-asg', action: 'autoscaling:AttachInstances', kind: 'attach-asg', instanceId, autoScalingGroupName });
    if (isolation.protectedFromScaleIn !== undefined) {
      // AttachInstances applies the group's default protection: put back what the instance had.
      steps.push({
        id: 'protect-scale-in',
        action: 'autoscaling:SetInstanceProtection',
        kind: 'protect-scale-in',
        instanceId,
        autoScalingGroupName,
        protect: isolation.protectedFromScaleIn,
        needs: ['attach-asg'],
      });
    }
  }
  // A human judged this isolation done: say so on the instance (decision.ts escalates the next
  // automatic finding instead of isolating again), then stop it reading as isolated.
  const restoring = steps.map((s) => s.id);
  steps.push({
    id: 'mark-released',
    action: 'ec2:CreateTags',
    kind: 'tag-instance',
    instanceId,
    tags: { [RELEASED_TAG]: isolation.incidentId },
    ...(restoring.length ? { needs: restoring } : {}),
  });
  if (state.instance?.tags[INCIDENT_TAG] !== undefined) {
    steps.push({
      id: 'untag-instance',
      action: 'ec2:DeleteTags',
      kind: 'untag-instance',
      instanceId,
      keys: [INCIDENT_TAG],
      needs: [...restoring, 'mark-released'],
    });
  }
  return steps;
};

/** Something release did not put back, and how an operator does it. */
export interface NotRestored {
  readonly what: string;
  readonly why: string;
  readonly command?: string;
}

const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The command that makes one release step by hand. */
const commandFor = (step: Step, region: string): string | undefined => {
  const r = `--region ${q(region)}`;
  switch (step.kind) {
    case 'restore-eni-groups':
      return `aws ec2 modify-network-interface-attribute ${r} --network-interface-id ${q(step.eniId)} --groups ${step.groupIds.map(q).join(' ')}`;
    case 'attach-asg':
      return `aws autoscaling attach-instances ${r} --instance-ids ${q(step.instanceId)} --auto-scaling-group-name ${q(step.autoScalingGroupName)}`;
    case 'protect-scale-in':
      return `aws autoscaling set-instance-protection ${r} --instance-ids ${q(step.instanceId)} --auto-scaling-group-name ${q(step.autoScalingGroupName)} ${step.protect ? '--protected-from-scale-in' : '--no-protected-from-scale-in'}`;
    case 'tag-instance':
      return `aws ec2 create-tags ${r} --resources ${q(step.instanceId)} --tags ${Object.entries(step.tags).map(([k, v]) => `Key=${q(k)},Value=${q(v)}`).join(' ')}`;
    case 'untag-instance':
      return `aws ec2 delete-tags ${r} --resources ${q(step.instanceId)} --tags ${step.keys.map((k) => `Key=${q(k)}`).join(' ')}`;
    default:
      return undefined;
  }
};

/** Everything the release leaves as the isolation made it, by design or because a step failed. */
export const notRestored = (
  instanceId: string,
  region: string,
  isolation: IsolationRecord,
  reattachAsg: boolean,
  results: readonly StepResult[] = [],
  profileAssociation?: InstanceState['profileAssociation'],
): NotRestored[] => {
  const r = `--region ${q(region)}`;
  const out: NotRestored[] = results
    .filter((x) => x.status !== 'succeeded')
    .map((x) => {
      const command = commandFor(x.step, region);
      return { what: x.step.id, why: `${x.status}: ${x.error ?? 'not run'}`, ...(command ? { command } : {}) };
    });
  if (isolation.profileArn && profileAssociation?.arn !== isolation.profileArn) {
    const profile = `--iam-instance-profile Arn=${q(isolation.profileArn)}`;
    out.push({
      what: `instance profile ${isolation.profileArn}`,
      why: 'associating it passes its role (iam:PassRole), which no Cordon role may do for an application role',
      command: profileAssociation
        ? `aws ec2 replace-iam-instance-profile-association ${r} --association-id ${q(profileAssociation.associationId)} ${profile}`
        : `aws ec2 associate-iam-instance-profile ${r} --instance-id ${q(instanceId)} ${profile}`,
    });
  }
  const service = 'putting an instance back in service is the service owner’s decision';
  for (const tg of isolation.targetGroups) {
    const targets = tg.targets.map((t) => `Id=${q(t.id)}${t.port !== undefined ? `,Port=${t.port}` : ''}${t.availabilityZone ? `,AvailabilityZone=${q(t.availabilityZone)}` : ''}`);
    out.push({ what: `target group ${tg.arn}`, why: service, command: `aws elbv2 register-targets ${r} --target-group-arn ${q(tg.arn)} --targets ${targets.join(' ')}` });
  }
  for (const name of isolation.classicLoadBalancers) {
    out.push({ what: `classic load balancer ${name}`, why: service, command: `aws elb register-instances-with-load-balancer ${r} --load-balancer-name ${q(name)} --instances ${q(instanceId)}` });
  }
  for (const a of isolation.addresses) {
    const where = a.eniId ? `--network-interface-id ${q(a.eniId)}${a.privateIp ? ` --private-ip-address ${q(a.privateIp)}` : ''}` : `--instance-id ${q(instanceId)}`;
    out.push({
      what: `elastic ip ${a.publicIp ?? a.allocationId ?? a.associationId}`,
      why: 'a public address is re-exposed only on purpose',
      ...(a.allocationId ? { command: `aws ec2 associate-address ${r} --allocation-id ${q(a.allocationId)} ${where}` } : {}),
    });
  }
  if (isolation.autoScalingGroupName && !reattachAsg) {
    out.push({
      what: `auto scaling group ${isolation.autoScalingGroupName}`,
      why: 'not requested (reattachAsg: false); attaching raises the desired capacity',
      command: `aws autoscaling attach-instances ${r} --instance-ids ${q(instanceId)} --auto-scaling-group-name ${q(isolation.autoScalingGroupName)}`,
    });
  }
  const protections: Record<string, string> = {
    disableApiTermination: '--no-disable-api-termination',
    disableApiStop: '--no-disable-api-stop',
    shutdownBehaviourStop: '--instance-initiated-shutdown-behavior terminate',
  };
  for (const p of isolation.protections) {
    out.push({ what: p, why: 'evidence protection stays until the investigation closes', command: `aws ec2 modify-instance-attribute ${r} --instance-id ${q(instanceId)} ${protections[p] ?? ''}`.trim() });
  }
  if (isolation.deleteOnTermination.length > 0) {
    const mappings = JSON.stringify(isolation.deleteOnTermination.map((d) => ({ DeviceName: d.deviceName, Ebs: { DeleteOnTermination: true } })));
    out.push({
      what: `DeleteOnTermination of ${isolation.deleteOnTermination.map((d) => d.deviceName).join(', ')}`,
      why: 'evidence protection stays until the investigation closes',
      command: `aws ec2 modify-instance-attribute ${r} --instance-id ${q(instanceId)} --block-device-mappings ${q(mappings)}`,
    });
  }
  out.push({ what: 'evidence snapshots', why: 'evidence: kept, tagged with the incident id' });
  return out;
};

import type { Mode } from '../evidence/types';
import type { Ec2Target, ManualReleaseTarget } from '../findings/ec2';
import {
  INCIDENT_TAG,
  type GroupRef,
  type InstanceState,
  type IsolationConfig,
  type IsolationRole,
  type ObservedRule,
  type ObservedSecurityGroup,
  type Step,
} from './types';

/**
 * Plans are data (STYLE.md #8): pure functions of the target, the observed state and the config.
 *
 * Isolation, all steps independent unless stated:
 * - evidence protection: DisableApiTermination, DisableApiStop, shutdown behaviour `stop`,
 *   DeleteOnTermination=false on every EBS device;
 * - DetachInstances (ShouldDecrementDesiredCapacity=false), DeregisterTargets per target group,
 *   DeregisterInstancesFromLoadBalancer per classic ELB;
 * - per VPC, the `allow-all` and `isolation` groups: the tagged ones, or CreateSecurityGroup (then
 *   authorise all traffic on allow-all / revoke the default egress rule on isolation); a tagged
 *   group whose rules drifted is repaired;
 * - per ENI: allow-all group (needs its group ready), then (after it, success or not) the isolation
 *   group (needs its group ready) - so tracked connections become untracked and are then dropped;
 * - DisassociateAddress per Elastic IP; Replace/Disassociate the instance profile;
 * - CreateSnapshots of every volume tagged with the incident; CreateTags on the instance.
 */

export const ISOLATION_GROUP_NAMES: Readonly<Record<IsolationRole, string>> = {
  'allow-all': 'cordon-isolation-allow-all',
  isolation: 'cordon-isolation',
};

const ANY_V4 = '0.0.0.0/0';
const ANY_V6 = '::/0';

/** Does the group allow all traffic (protocol -1) from/to this range in this direction? */
const allows = (rules: readonly ObservedRule[], range: string): boolean =>
  rules.some((r) => r.ipProtocol === '-1' && (range === ANY_V6 ? r.ipv6 : r.ipv4).includes(range));

/** The egress rules AWS gives a new security group (the IPv6 one only in a VPC with an IPv6 block). */
const DEFAULT_EGRESS_V4: ObservedRule = { ipProtocol: '-1', ipv4: [ANY_V4], ipv6: [], prefixListIds: [], groupIds: [] };
const DEFAULT_EGRESS_V6: ObservedRule = { ipProtocol: '-1', ipv4: [], ipv6: [ANY_V6], prefixListIds: [], groupIds: [] };

const groupFor = (state: InstanceState, vpcId: string, role: IsolationRole): ObservedSecurityGroup | undefined =>
  state.isolationGroups.find((g) => g.vpcId === vpcId && g.role === role);

/** The steps that make a VPC's allow-all and isolation groups ready, and the refs to use them. */
const groupSteps = (state: InstanceState, vpcId: string) => {
  const steps: Step[] = [];
  const ready: Record<IsolationRole, { ref: GroupRef; needs: string[] }> = {
    'allow-all': { ref: { groupId: '' }, needs: [] },
    isolation: { ref: { groupId: '' }, needs: [] },
  };
  for (const role of ['allow-all', 'isolation'] as const) {
    const existing = groupFor(state, vpcId, role);
    const createId = `create-security-group:${vpcId}:${role}`;
    let ref: GroupRef;
    const needs: string[] = [];
    let ingress: readonly ObservedRule[] = [];
    let egress: readonly ObservedRule[];
    if (existing) {
      ref = { groupId: existing.groupId };
      ingress = existing.ingress;
      egress = existing.egress;
    } else {
      steps.push({
        id: createId,
        action: 'ec2:CreateSecurityGroup',
        kind: 'create-security-group',
        vpcId,
        role,
        groupName: ISOLATION_GROUP_NAMES[role],
      });
      ref = { createdBy: createId };
      needs.push(createId);
      // A new group has the default egress rule all traffic to 0.0.0.0/0 (and to ::/0 in a VPC
      // with an IPv6 block: authorising it again is a tolerated duplicate).
      egress = [DEFAULT_EGRESS_V4];
    }
    const groupNeeds = existing ? [] : [createId];
    if (role === 'allow-all') {
      for (const [direction, rules] of [
        ['ingress', ingress],
        ['egress', egress],
      ] as const) {
        const ipv4 = !allows(rules, ANY_V4);
        const ipv6 = !allows(rules, ANY_V6);
        if (!ipv4 && !ipv6) continue;
        const id = `authorize-allow-all:${vpcId}:${direction}`;
        steps.push({
          id,
          action: direction === 'ingress' ? 'ec2:AuthorizeSecurityGroupIngress' : 'ec2:AuthorizeSecurityGroupEgress',
          kind: 'authorize-allow-all',
          group: ref,
          direction,
          ipv4,
          ipv6,
          ...(groupNeeds.length ? { needs: groupNeeds } : {}),
        });
        needs.push(id);
      }
    } else {
      // The default rules of a new group are revoked one call each: whether the IPv6 one exists
      // depends on the VPC, and revoking an absent rule (InvalidPermission.NotFound, recorded as
      // absent) must not keep the IPv4 one from being revoked.
      const revocations: [string, 'ingress' | 'egress', readonly ObservedRule[]][] = existing
        ? [['ingress', 'ingress', ingress], ['egress', 'egress', egress]]
        : [['egress', 'egress', [DEFAULT_EGRESS_V4]], ['egress-ipv6', 'egress', [DEFAULT_EGRESS_V6]]];
      for (const [name, direction, rules] of revocations) {
        if (rules.length === 0) continue;
        const id = `revoke-rules:${vpcId}:${name}`;
        steps.push({
          id,
          action: direction === 'ingress' ? 'ec2:RevokeSecurityGroupIngress' : 'ec2:RevokeSecurityGroupEgress',
          kind: 'revoke-rules',
          group: ref,
          direction,
          rules,
          ...(groupNeeds.length ? { needs: groupNeeds } : {}),
        });
        needs.push(id);
      }
    }
    ready[role] = { ref, needs };
  }
  return { steps, ready };
};

/** The isolation plan. Precondition: `state.instance` exists (see `isolationSkip`). */
export const planIsolation = (
  target: Pick<Ec2Target, 'incidentId' | 'instance'>,
  state: InstanceState,
  config: IsolationConfig,
): Step[] => {
  const instanceId = target.instance.instanceId;
  const steps: Step[] = [
    { id: 'protect-termination', action: 'ec2:ModifyInstanceAttribute', kind: 'protect-termination', instanceId },
    { id: 'protect-stop', action: 'ec2:ModifyInstanceAttribute', kind: 'protect-stop', instanceId },
    { id: 'shutdown-behaviour-stop', action: 'ec2:ModifyInstanceAttribute', kind: 'shutdown-behaviour-stop', instanceId },
  ];
  const devices = state.instance?.devices ?? [];
  if (devices.length > 0) {
    steps.push({ id: 'keep-volumes', action: 'ec2:ModifyInstanceAttribute', kind: 'keep-volumes', instanceId, devices });
  }
  if (state.autoScalingGroup) {
    steps.push({
      id: 'detach-asg',
      action: 'autoscaling:DetachInstances',
      kind: 'detach-asg',
      instanceId,
      autoScalingGroupName: state.autoScalingGroup.name,
    });
  }
  for (const tg of state.targetGroups) {
    steps.push({
      id: `deregister-target-group:${tg.arn}`,
      action: 'elasticloadbalancing:DeregisterTargets',
      kind: 'deregister-target-group',
      targetGroupArn: tg.arn,
      targets: tg.targets,
    });
  }
  for (const name of state.classicLoadBalancers) {
    steps.push({
      id: `deregister-classic-elb:${name}`,
      action: 'elasticloadbalancing:DeregisterInstancesFromLoadBalancer',
      kind: 'deregister-classic-elb',
      instanceId,
      loadBalancerName: name,
    });
  }

  const modifiable = state.enis.filter((e) => !e.requesterManaged && e.vpcId);
  const vpcs = [...new Set(modifiable.map((e) => e.vpcId ?? ''))].sort();
  const ready = new Map<string, ReturnType<typeof groupSteps>['ready']>();
  for (const vpcId of vpcs) {
    const g = groupSteps(state, vpcId);
    steps.push(...g.steps);
    ready.set(vpcId, g.ready);
  }
  for (const eni of modifiable) {
    const r = ready.get(eni.vpcId ?? '');
    if (!r) continue;
    const allowId = `eni-allow-all:${eni.eniId}`;
    steps.push({
      id: allowId,
      action: 'ec2:ModifyNetworkInterfaceAttribute',
      kind: 'eni-allow-all',
      eniId: eni.eniId,
      group: r['allow-all'].ref,
      before: eni.groupIds,
      ...(r['allow-all'].needs.length ? { needs: r['allow-all'].needs } : {}),
    });
    steps.push({
      id: `eni-isolate:${eni.eniId}`,
      action: 'ec2:ModifyNetworkInterfaceAttribute',
      kind: 'eni-isolate',
      eniId: eni.eniId,
      group: r.isolation.ref,
      before: eni.groupIds,
      after: [allowId],
      ...(r.isolation.needs.length ? { needs: r.isolation.needs } : {}),
    });
  }

  for (const address of state.addresses) {
    steps.push({
      id: `disassociate-address:${address.associationId}`,
      action: 'ec2:DisassociateAddress',
      kind: 'disassociate-address',
      address,
    });
  }
  const profile = state.profileAssociation;
  if (profile) {
    if (config.quarantineProfileArn && config.quarantineProfileArn !== profile.arn) {
      steps.push({
        id: 'replace-profile',
        action: 'ec2:ReplaceIamInstanceProfileAssociation',
        kind: 'replace-profile',
        associationId: profile.associationId,
        before: profile.arn,
        profileArn: config.quarantineProfileArn,
      });
    } else if (!config.quarantineProfileArn) {
      steps.push({
        id: 'disassociate-profile',
        action: 'ec2:DisassociateIamInstanceProfile',
        kind: 'disassociate-profile',
        associationId: profile.associationId,
        before: profile.arn,
      });
    }
  }
  if (state.volumeIds.length > 0 || devices.length > 0) {
    steps.push({
      id: 'snapshot-volumes',
      action: 'ec2:CreateSnapshots',
      kind: 'snapshot-volumes',
      instanceId,
      volumeIds: state.volumeIds.length > 0 ? state.volumeIds : devices.flatMap((d) => (d.volumeId ? [d.volumeId] : [])),
      incidentId: target.incidentId,
    });
  }
  steps.push({
    id: 'tag-instance',
    action: 'ec2:CreateTags',
    kind: 'tag-instance',
    instanceId,
    tags: { [INCIDENT_TAG]: target.incidentId },
  });
  return steps;
};

/** The steps that cut the network (for round-trip accounting and summaries). */
export const isNetworkCut = (step: Step): boolean => step.kind === 'eni-isolate';

export type IsolationSkipReason =
  | 'mode-off'
  | 'instance-not-found'
  | 'instance-stopped'
  | 'instance-terminated'
  | 'protected'
  | 'sample-finding'
  | 'below-minimum-severity'
  | 'already-isolated';

export interface Decision {
  readonly skip?: { readonly reason: IsolationSkipReason; readonly message: string };
}

/** Is the instance already isolated for this incident (tagged with it, every ENI on isolation groups)? */
export const isAlreadyIsolated = (incidentId: string, state: InstanceState): boolean => {
  if (state.instance?.tags[INCIDENT_TAG] !== incidentId) return false;
  const isolation = new Set(state.isolationGroups.filter((g) => g.role === 'isolation').map((g) => g.groupId));
  const enis = state.enis.filter((e) => !e.requesterManaged);
  return enis.length > 0 && enis.every((e) => e.groupIds.length > 0 && e.groupIds.every((g) => isolation.has(g)));
};

/** The guardrail decision before planning (pure). */
export const isolationDecision = (
  target: Ec2Target,
  state: InstanceState,
  config: IsolationConfig,
  mode: Mode,
): Decision => {
  const id = target.instance.instanceId;
  if (mode === 'off') return { skip: { reason: 'mode-off', message: 'cordon mode is off: no action' } };
  const instance = state.instance;
  if (!instance) {
    return { skip: { reason: 'instance-not-found', message: `expected instance ${id} to exist, DescribeInstances found none` } };
  }
  if (instance.state === 'stopped') {
    return { skip: { reason: 'instance-stopped', message: `expected a running instance, ${id} is stopped` } };
  }
  if (instance.state === 'terminated' || instance.state === 'shutting-down') {
    return { skip: { reason: 'instance-terminated', message: `expected a running instance, ${id} is ${instance.state}` } };
  }
  if (target.action === 'release') return {};
  const finding = 'finding' in target ? target.finding : undefined;
  if (finding?.sample && mode === 'enforce') {
    return { skip: { reason: 'sample-finding', message: `finding ${finding.id} is a guardduty sample finding: never acted on in enforce mode` } };
  }
  // Only automatic GuardDuty findings are gated: a Security Hub custom action is an analyst's decision.
  if (
    target.kind === 'guardduty' &&
    config.minimumSeverity !== undefined &&
    finding?.severity !== undefined &&
    finding.severity < config.minimumSeverity
  ) {
    return {
      skip: {
        reason: 'below-minimum-severity',
        message: `expected severity >= ${config.minimumSeverity}, received ${finding.severity}`,
      },
    };
  }
  // Never overridable: the isolation role's IAM policy denies every mutating call on a resource
  // carrying the protected tag, so a forced attempt would only fail half-way.
  const { key, value } = config.protectedTag;
  if (instance.tags[key] === value) {
    const forced = target.kind === 'manual' && target.force;
    const message = `instance ${id} is tagged ${key}=${value}`;
    return {
      skip: {
        reason: 'protected',
        message: forced ? `${message} (force cannot override it: IAM denies Cordon any change to a protected resource; remove the tag to act)` : message,
      },
    };
  }
  if (isAlreadyIsolated(target.incidentId, state)) {
    return {
      skip: { reason: 'already-isolated', message: `instance ${id} is already isolated for incident ${target.incidentId}` },
    };
  }
  return {};
};

/** What an isolation changed, as read back from its evidence (see evidence-reader.ts). */
export interface IsolationRecord {
  readonly incidentId: string;
  /** Original groups of each ENI whose isolation step succeeded. */
  readonly enis: readonly { readonly eniId: string; readonly groupIds: readonly string[] }[];
  /** The original instance profile, when the isolation replaced or removed it successfully. */
  readonly profileArn?: string;
  /** The Auto Scaling group the instance was detached from (successfully). */
  readonly autoScalingGroupName?: string;
}

/** The release plan: restore each ENI's groups, the instance profile, and (only on request) the
 * Auto Scaling group membership. Target groups, Elastic IPs and evidence protection stay as the
 * isolation left them (re-adding them is a service decision, not an undo). */
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
  if (isolation.profileArn) {
    const association = state.profileAssociation;
    if (!association) {
      steps.push({
        id: 'associate-profile',
        action: 'ec2:AssociateIamInstanceProfile',
        kind: 'associate-profile',
        instanceId,
        profileArn: isolation.profileArn,
      });
    } else if (association.arn !== isolation.profileArn) {
      steps.push({
        id: 'replace-profile',
        action: 'ec2:ReplaceIamInstanceProfileAssociation',
        kind: 'replace-profile',
        associationId: association.associationId,
        before: association.arn,
        profileArn: isolation.profileArn,
      });
    }
  }
  if (target.reattachAsg && isolation.autoScalingGroupName && !state.autoScalingGroup) {
    steps.push({
      id: 'attach-asg',
      action: 'autoscaling:AttachInstances',
      kind: 'attach-asg',
      instanceId,
      autoScalingGroupName: isolation.autoScalingGroupName,
    });
  }
  return steps;
};

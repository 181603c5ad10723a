import type { Ec2Target } from '../findings/ec2';
import { isCut, isolationGroupIds } from './state';
import {
  INCIDENT_TAG,
  type GroupRef,
  type InstanceState,
  type IsolationConfig,
  type IsolationRole,
  type ObservedEni,
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
 * - both groups are verified before any ENI is touched: tagged groups whose rules are as intended
 *   were verified by the observation itself; a created or repaired group is described again
 *   (`verify-groups`) and every ENI step needs that verification;
 * - per ENI: allow-all group, then (after it, success or not) the isolation group, so tracked
 *   connections become untracked and are then dropped (except the flows residual.ts lists). The
 *   executor retries a failed isolation step and otherwise puts the ENI back on its original
 *   groups: an ENI is never left on allow-all;
 * - console output and screenshot, read in the first mutating round; the cut waits for them at
 *   most a bounded time (volatile evidence first, never a slower cut);
 * - Auto Scaling: DetachInstances only in `InService` / `Standby`; in other lifecycle states,
 *   scale-in protection instead (and an escalation, see escalations.ts);
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

/** Rules as intended: allow-all lets everything in and out (IPv4 and IPv6); isolation has no rule. */
const allowAllReady = (g: ObservedSecurityGroup): boolean =>
  [g.ingress, g.egress].every((rules) => allows(rules, ANY_V4) && allows(rules, ANY_V6));
const isolationReady = (g: ObservedSecurityGroup): boolean => g.ingress.length === 0 && g.egress.length === 0;

/** The steps that make a VPC's allow-all and isolation groups ready and verified, the refs to use
 * them, and the step every ENI step of the VPC needs (none when the observation verified both). */
const groupSteps = (state: InstanceState, vpcId: string) => {
  const steps: Step[] = [];
  const refs = {} as Record<IsolationRole, GroupRef>;
  const prepared: string[] = [];
  for (const role of ['allow-all', 'isolation'] as const) {
    const existing = groupFor(state, vpcId, role);
    if (existing && (role === 'allow-all' ? allowAllReady(existing) : isolationReady(existing))) {
      refs[role] = { groupId: existing.groupId };
      continue;
    }
    const createId = `create-security-group:${vpcId}:${role}`;
    const ref: GroupRef = existing ? { groupId: existing.groupId } : { createdBy: createId };
    const needs = existing ? {} : { needs: [createId] };
    if (!existing) {
      steps.push({ id: createId, action: 'ec2:CreateSecurityGroup', kind: 'create-security-group', vpcId, role, groupName: ISOLATION_GROUP_NAMES[role] });
      prepared.push(createId);
    }
    // A new group has the default egress rule all traffic to 0.0.0.0/0, and to ::/0 in a VPC with
    // an IPv6 block (authorising it again on allow-all is a tolerated duplicate).
    const ingress = existing?.ingress ?? [];
    const egress = existing?.egress ?? [DEFAULT_EGRESS_V4];
    // The default rules of a new isolation group are revoked one call each: whether the IPv6 one
    // exists depends on the VPC, and revoking an absent rule (InvalidPermission.NotFound, recorded
    // as absent) must not keep the IPv4 one from being revoked.
    const revocations: [string, 'ingress' | 'egress', readonly ObservedRule[]][] = existing
      ? [
          ['ingress', 'ingress', ingress],
          ['egress', 'egress', egress],
        ]
      : [
          ['egress', 'egress', [DEFAULT_EGRESS_V4]],
          ['egress-ipv6', 'egress', [DEFAULT_EGRESS_V6]],
        ];
    if (role === 'allow-all') {
      for (const [direction, rules] of [
        ['ingress', ingress],
        ['egress', egress],
      ] as const) {
        const ipv4 = !allows(rules, ANY_V4);
        const ipv6 = !allows(rules, ANY_V6);
        if (!ipv4 && !ipv6) continue;
        const id = `authorize-allow-all:${vpcId}:${direction}`;
        const verb = direction === 'ingress' ? 'Ingress' : 'Egress';
        steps.push({ id, action: `ec2:AuthorizeSecurityGroup${verb}`, kind: 'authorize-allow-all', group: ref, direction, ipv4, ipv6, ...needs });
        prepared.push(id);
      }
    } else {
      for (const [name, direction, rules] of revocations) {
        if (rules.length === 0) continue;
        const id = `revoke-rules:${vpcId}:${name}`;
        const verb = direction === 'ingress' ? 'Ingress' : 'Egress';
        steps.push({ id, action: `ec2:RevokeSecurityGroup${verb}`, kind: 'revoke-rules', group: ref, direction, rules, ...needs });
        prepared.push(id);
      }
    }
    refs[role] = ref;
  }
  if (prepared.length === 0) return { steps, refs, needs: [] as string[] };
  const verifyId = `verify-groups:${vpcId}`;
  steps.push({
    id: verifyId,
    action: 'ec2:DescribeSecurityGroups',
    kind: 'verify-groups',
    vpcId,
    allowAll: refs['allow-all'],
    isolation: refs.isolation,
    needs: prepared,
  });
  return { steps, refs, needs: [verifyId] };
};

/** Auto Scaling lifecycle states in which DetachInstances works. */
export const DETACHABLE_STATES: ReadonlySet<string> = new Set(['InService', 'Standby']);

const autoScalingSteps = (state: InstanceState, instanceId: string): Step[] => {
  const group = state.autoScalingGroup;
  if (!group) return [];
  const lifecycle = group.lifecycleState ?? 'InService';
  if (DETACHABLE_STATES.has(lifecycle)) {
    return [
      {
        id: 'detach-asg',
        action: 'autoscaling:DetachInstances',
        kind: 'detach-asg',
        instanceId,
        autoScalingGroupName: group.name,
        lifecycleState: lifecycle,
        ...(group.protectedFromScaleIn !== undefined ? { protectedFromScaleIn: group.protectedFromScaleIn } : {}),
      },
    ];
  }
  // Not detachable now: at least keep a scale-in from terminating the evidence (a terminating
  // instance cannot be protected; escalations.ts says what the operator can do).
  if (/^Terminat/.test(lifecycle) || group.protectedFromScaleIn) return [];
  return [
    {
      id: 'protect-scale-in',
      action: 'autoscaling:SetInstanceProtection',
      kind: 'protect-scale-in',
      instanceId,
      autoScalingGroupName: group.name,
      protect: true,
    },
  ];
};

export const CAPTURE_STEP_IDS = ['capture-console-output', 'capture-console-screenshot'] as const;

/** The isolation plan. Precondition: `state.instance` exists (see `isolationDecision`). */
export const planIsolation = (
  target: Pick<Ec2Target, 'incidentId' | 'instance'>,
  state: InstanceState,
  config: IsolationConfig,
  /** Where the instance lives (the account and region acted in): needed to revoke its sessions. */
  where?: { readonly account: string; readonly region: string },
): Step[] => {
  const instanceId = target.instance.instanceId;
  const steps: Step[] = [
    { id: 'capture-console-output', action: 'ec2:GetConsoleOutput', kind: 'capture-console-output', instanceId },
    { id: 'capture-console-screenshot', action: 'ec2:GetConsoleScreenshot', kind: 'capture-console-screenshot', instanceId },
    // The incident tag first: another finding on this instance sees it at once (state.ts).
    { id: 'tag-instance', action: 'ec2:CreateTags', kind: 'tag-instance', instanceId, tags: { [INCIDENT_TAG]: target.incidentId } },
    { id: 'protect-termination', action: 'ec2:ModifyInstanceAttribute', kind: 'protect-termination', instanceId },
    { id: 'protect-stop', action: 'ec2:ModifyInstanceAttribute', kind: 'protect-stop', instanceId },
    { id: 'shutdown-behaviour-stop', action: 'ec2:ModifyInstanceAttribute', kind: 'shutdown-behaviour-stop', instanceId },
  ];
  const devices = state.instance?.devices ?? [];
  if (devices.length > 0) {
    steps.push({ id: 'keep-volumes', action: 'ec2:ModifyInstanceAttribute', kind: 'keep-volumes', instanceId, devices });
  }
  steps.push(...autoScalingSteps(state, instanceId));
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

  // An ENI already on exactly the isolation group is cut (a redelivery finishing a partial cut);
  // Cordon's own groups are never recorded as an ENI's originals.
  const groups = isolationGroupIds(state);
  const modifiable = state.enis.filter((e) => !e.requesterManaged && e.vpcId && !isCut(e, groups.isolation));
  const originals = (eni: ObservedEni) => eni.groupIds.filter((g) => !groups.all.has(g));
  const vpcs = [...new Set(modifiable.map((e) => e.vpcId ?? ''))].sort();
  const ready = new Map<string, ReturnType<typeof groupSteps>>();
  for (const vpcId of vpcs) {
    const g = groupSteps(state, vpcId);
    steps.push(...g.steps);
    ready.set(vpcId, g);
  }
  for (const eni of modifiable) {
    const r = ready.get(eni.vpcId ?? '');
    if (!r) continue;
    const needs = r.needs.length ? { needs: r.needs } : {};
    const allowId = `eni-allow-all:${eni.eniId}`;
    steps.push({
      id: allowId,
      action: 'ec2:ModifyNetworkInterfaceAttribute',
      kind: 'eni-allow-all',
      eniId: eni.eniId,
      group: r.refs['allow-all'],
      before: originals(eni),
      ...needs,
    });
    steps.push({
      id: `eni-isolate:${eni.eniId}`,
      action: 'ec2:ModifyNetworkInterfaceAttribute',
      kind: 'eni-isolate',
      eniId: eni.eniId,
      group: r.refs.isolation,
      before: originals(eni),
      after: [allowId],
      softAfter: CAPTURE_STEP_IDS,
      ...needs,
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
  if (profile && config.revokeInstanceSessions && where) {
    // Credentials the instance already holds stay valid for hours after its profile goes: deny the
    // role's sessions issued to THIS instance before now (other holders of the role keep working),
    // by the credential responder's own session-revocation path, once no new one can be issued.
    steps.push({
      id: 'revoke-instance-sessions',
      action: 'lambda:InvokeFunction',
      kind: 'revoke-instance-sessions',
      instanceId,
      profileArn: profile.arn,
      account: where.account,
      region: where.region,
      incidentId: target.incidentId,
      after: [config.quarantineProfileArn && config.quarantineProfileArn !== profile.arn ? 'replace-profile' : 'disassociate-profile'],
    });
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
  return steps;
};

/** The steps that cut the network (for round-trip accounting and summaries). */
export const isNetworkCut = (step: Step): boolean => step.kind === 'eni-isolate';

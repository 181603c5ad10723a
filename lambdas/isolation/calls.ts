import { AttachInstancesCommand, DetachInstancesCommand, SetInstanceProtectionCommand } from '@aws-sdk/client-auto-scaling';
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSnapshotsCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeSecurityGroupsCommand,
  GetConsoleOutputCommand,
  GetConsoleScreenshotCommand,
  DisassociateAddressCommand,
  DisassociateIamInstanceProfileCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  ReplaceIamInstanceProfileAssociationCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type IpPermission,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { DeregisterInstancesFromLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing';
import { DeregisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { INCIDENT_TAG, ISOLATION_TAG, type Artifact, type Ec2Clients, type GroupRef, type ObservedRule, type Step } from './types';

/** One AWS call (or two, for a group-creation race) per plan step; execute.ts schedules them. */

export interface Sent {
  readonly requestIds: string[];
  readonly before?: unknown;
  readonly after?: unknown;
  readonly groupId?: string;
  readonly artifact?: Artifact;
}

type Output = { $metadata?: { requestId?: string } };
const rid = (...outputs: Output[]): string[] => {
  const ids: string[] = [];
  for (const o of outputs) if (o.$metadata?.requestId) ids.push(o.$metadata.requestId);
  return ids;
};

const errorCode = (error: unknown): string =>
  typeof error === 'object' && error !== null && 'name' in error ? String((error as { name: unknown }).name) : '';

const permission = (rule: ObservedRule): IpPermission => ({
  IpProtocol: rule.ipProtocol,
  ...(rule.fromPort !== undefined ? { FromPort: rule.fromPort } : {}),
  ...(rule.toPort !== undefined ? { ToPort: rule.toPort } : {}),
  ...(rule.ipv4.length ? { IpRanges: rule.ipv4.map((CidrIp) => ({ CidrIp })) } : {}),
  ...(rule.ipv6.length ? { Ipv6Ranges: rule.ipv6.map((CidrIpv6) => ({ CidrIpv6 })) } : {}),
  ...(rule.prefixListIds.length ? { PrefixListIds: rule.prefixListIds.map((PrefixListId) => ({ PrefixListId })) } : {}),
  ...(rule.groupIds.length ? { UserIdGroupPairs: rule.groupIds.map((GroupId) => ({ GroupId })) } : {}),
});

const allowsAll = (perms: readonly IpPermission[] | undefined): boolean => {
  const all = (perms ?? []).filter((p) => p.IpProtocol === '-1');
  return all.some((p) => (p.IpRanges ?? []).some((r) => r.CidrIp === '0.0.0.0/0')) && all.some((p) => (p.Ipv6Ranges ?? []).some((r) => r.CidrIpv6 === '::/0'));
};

/** What is not as intended: allow-all lets all traffic in and out (IPv4 and IPv6), isolation has no rule. */
const groupProblems = (groups: readonly SecurityGroup[], allowAll: string, isolation: string): string[] => {
  const problems: string[] = [];
  const a = groups.find((g) => g.GroupId === allowAll);
  const i = groups.find((g) => g.GroupId === isolation);
  if (!a) problems.push(`allow-all group ${allowAll} not found`);
  else if (!allowsAll(a.IpPermissions) || !allowsAll(a.IpPermissionsEgress)) problems.push(`allow-all group ${allowAll} does not allow all traffic both ways`);
  if (!i) problems.push(`isolation group ${isolation} not found`);
  else if ((i.IpPermissions ?? []).length + (i.IpPermissionsEgress ?? []).length > 0) problems.push(`isolation group ${isolation} still has rules`);
  return problems;
};

/** A capture that does not answer in time fails (its step record says so); the cut never waits for it. */
const bounded = <T>(work: (signal: AbortSignal) => Promise<T>, ms: number, what: string): Promise<T> => {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`${what} did not answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([work(controller.signal), timeout]).finally(() => clearTimeout(timer));
};

export const run = async (
  step: Step,
  clients: Ec2Clients,
  group: (ref: GroupRef) => string,
  captureTimeoutMs = 10_000,
): Promise<Sent> => {
  const { ec2, autoScaling, elbv2, elb } = clients;
  switch (step.kind) {
    case 'protect-termination': {
      const out = await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: step.instanceId, DisableApiTermination: { Value: true } }));
      return { requestIds: rid(out), after: { disableApiTermination: true } };
    }
    case 'protect-stop': {
      const out = await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: step.instanceId, DisableApiStop: { Value: true } }));
      return { requestIds: rid(out), after: { disableApiStop: true } };
    }
    case 'shutdown-behaviour-stop': {
      const out = await ec2.send(
        new ModifyInstanceAttributeCommand({ InstanceId: step.instanceId, InstanceInitiatedShutdownBehavior: { Value: 'stop' } }),
      );
      return { requestIds: rid(out), after: { instanceInitiatedShutdownBehavior: 'stop' } };
    }
    case 'keep-volumes': {
      const out = await ec2.send(
        new ModifyInstanceAttributeCommand({
          InstanceId: step.instanceId,
          BlockDeviceMappings: step.devices.map((d) => ({ DeviceName: d.deviceName, Ebs: { DeleteOnTermination: false } })),
        }),
      );
      return {
        requestIds: rid(out),
        before: step.devices,
        after: step.devices.map((d) => ({ ...d, deleteOnTermination: false })),
      };
    }
    case 'detach-asg': {
      const out = await autoScaling.send(
        new DetachInstancesCommand({
          AutoScalingGroupName: step.autoScalingGroupName,
          InstanceIds: [step.instanceId],
          ShouldDecrementDesiredCapacity: false,
        }),
      );
      return { requestIds: rid(out), before: { autoScalingGroupName: step.autoScalingGroupName }, after: { autoScalingGroupName: null } };
    }
    case 'attach-asg': {
      const out = await autoScaling.send(
        new AttachInstancesCommand({ AutoScalingGroupName: step.autoScalingGroupName, InstanceIds: [step.instanceId] }),
      );
      return { requestIds: rid(out), after: { autoScalingGroupName: step.autoScalingGroupName } };
    }
    case 'deregister-target-group': {
      const out = await elbv2.send(
        new DeregisterTargetsCommand({
          TargetGroupArn: step.targetGroupArn,
          Targets: step.targets.map((t) => ({
            Id: t.id,
            ...(t.port !== undefined ? { Port: t.port } : {}),
            ...(t.availabilityZone ? { AvailabilityZone: t.availabilityZone } : {}),
          })),
        }),
      );
      return { requestIds: rid(out), before: { targets: step.targets } };
    }
    case 'deregister-classic-elb': {
      const out = await elb.send(
        new DeregisterInstancesFromLoadBalancerCommand({
          LoadBalancerName: step.loadBalancerName,
          Instances: [{ InstanceId: step.instanceId }],
        }),
      );
      return { requestIds: rid(out), before: { loadBalancerName: step.loadBalancerName } };
    }
    case 'create-security-group': {
      try {
        const out = await ec2.send(
          new CreateSecurityGroupCommand({
            GroupName: step.groupName,
            Description:
              step.role === 'isolation'
                ? 'Cordon isolation: no rules, drops all traffic'
                : 'Cordon isolation: allow-all step that untracks connections',
            VpcId: step.vpcId,
            TagSpecifications: [
              {
                ResourceType: 'security-group',
                Tags: [
                  { Key: ISOLATION_TAG, Value: step.role },
                  { Key: 'Name', Value: step.groupName },
                ],
              },
            ],
          }),
        );
        if (!out.GroupId) throw new Error('CreateSecurityGroup returned no GroupId');
        return { requestIds: rid(out), after: { groupId: out.GroupId }, groupId: out.GroupId };
      } catch (error) {
        // Another responder created it first in this VPC: use theirs (its rules are set by the
        // idempotent authorise/revoke steps that follow).
        if (errorCode(error) !== 'InvalidGroup.Duplicate') throw error;
        const found = await ec2.send(
          new DescribeSecurityGroupsCommand({
            Filters: [
              { Name: 'vpc-id', Values: [step.vpcId] },
              { Name: 'group-name', Values: [step.groupName] },
            ],
          }),
        );
        const groupId = found.SecurityGroups?.[0]?.GroupId;
        if (!groupId) throw error;
        return { requestIds: rid(found), after: { groupId, existed: true }, groupId };
      }
    }
    case 'authorize-allow-all': {
      const rule: IpPermission = {
        IpProtocol: '-1',
        ...(step.ipv4 ? { IpRanges: [{ CidrIp: '0.0.0.0/0' }] } : {}),
        ...(step.ipv6 ? { Ipv6Ranges: [{ CidrIpv6: '::/0' }] } : {}),
      };
      const input = { GroupId: group(step.group), IpPermissions: [rule] };
      try {
        const out = await (step.direction === 'ingress'
          ? ec2.send(new AuthorizeSecurityGroupIngressCommand(input))
          : ec2.send(new AuthorizeSecurityGroupEgressCommand(input)));
        return { requestIds: rid(out), after: { [step.direction]: rule } };
      } catch (error) {
        if (errorCode(error) !== 'InvalidPermission.Duplicate') throw error;
        return { requestIds: [], after: { [step.direction]: rule, existed: true } };
      }
    }
    case 'revoke-rules': {
      const input = { GroupId: group(step.group), IpPermissions: step.rules.map(permission) };
      try {
        const out = await (step.direction === 'ingress'
          ? ec2.send(new RevokeSecurityGroupIngressCommand(input))
          : ec2.send(new RevokeSecurityGroupEgressCommand(input)));
        return { requestIds: rid(out), before: { [step.direction]: step.rules }, after: { [step.direction]: [] } };
      } catch (error) {
        if (errorCode(error) !== 'InvalidPermission.NotFound') throw error;
        return { requestIds: [], before: { [step.direction]: step.rules }, after: { [step.direction]: [], absent: true } };
      }
    }
    case 'eni-allow-all':
    case 'eni-isolate': {
      const groupId = group(step.group);
      const out = await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: step.eniId, Groups: [groupId] }));
      return { requestIds: rid(out), before: { groups: step.before }, after: { groups: [groupId] } };
    }
    case 'restore-eni-groups': {
      const out = await ec2.send(
        new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: step.eniId, Groups: [...step.groupIds] }),
      );
      return { requestIds: rid(out), before: { groups: step.before }, after: { groups: step.groupIds } };
    }
    case 'disassociate-address': {
      const out = await ec2.send(new DisassociateAddressCommand({ AssociationId: step.address.associationId }));
      return { requestIds: rid(out), before: step.address, after: { associationId: null } };
    }
    case 'replace-profile': {
      const out = await ec2.send(
        new ReplaceIamInstanceProfileAssociationCommand({ AssociationId: step.associationId, IamInstanceProfile: { Arn: step.profileArn } }),
      );
      return { requestIds: rid(out), before: { profileArn: step.before }, after: { profileArn: step.profileArn } };
    }
    case 'disassociate-profile': {
      const out = await ec2.send(new DisassociateIamInstanceProfileCommand({ AssociationId: step.associationId }));
      return { requestIds: rid(out), before: { profileArn: step.before }, after: { profileArn: null } };
    }
    case 'snapshot-volumes': {
      const out = await ec2.send(
        new CreateSnapshotsCommand({
          InstanceSpecification: { InstanceId: step.instanceId, ExcludeBootVolume: false },
          CopyTagsFromSource: 'volume',
          Description: `Cordon ${step.incidentId}: evidence snapshot of ${step.instanceId}`,
          TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: INCIDENT_TAG, Value: step.incidentId }] }],
        }),
      );
      const snapshots = (out.Snapshots ?? []).map((s) => ({ snapshotId: s.SnapshotId ?? null, volumeId: s.VolumeId ?? null }));
      return { requestIds: rid(out), before: { volumeIds: step.volumeIds }, after: { snapshots } };
    }
    case 'verify-groups': {
      const allowAll = group(step.allowAll);
      const isolation = group(step.isolation);
      const out = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [allowAll, isolation] }));
      const problems = groupProblems(out.SecurityGroups ?? [], allowAll, isolation);
      if (problems.length) throw new Error(`expected Cordon's isolation groups as intended in ${step.vpcId}, received: ${problems.join('; ')}`);
      return { requestIds: rid(out), after: { verified: { 'allow-all': allowAll, isolation } } };
    }
    case 'capture-console-output': {
      const out = await bounded((abortSignal) => ec2.send(new GetConsoleOutputCommand({ InstanceId: step.instanceId, Latest: true }), { abortSignal }), captureTimeoutMs, 'GetConsoleOutput');
      const body = Buffer.from(out.Output ?? '', 'base64');
      return {
        requestIds: rid(out),
        after: { capturedAt: out.Timestamp ? new Date(out.Timestamp).toISOString() : null },
        artifact: { name: 'console-output', contentType: 'text/plain; charset=utf-8', body },
      };
    }
    case 'capture-console-screenshot': {
      const out = await bounded(
        (abortSignal) => ec2.send(new GetConsoleScreenshotCommand({ InstanceId: step.instanceId, WakeUp: false }), { abortSignal }),
        captureTimeoutMs,
        'GetConsoleScreenshot',
      );
      if (!out.ImageData) throw new Error('GetConsoleScreenshot returned no ImageData');
      return { requestIds: rid(out), artifact: { name: 'console-screenshot', contentType: 'image/jpeg', body: Buffer.from(out.ImageData, 'base64') } };
    }
    case 'protect-scale-in': {
      const out = await autoScaling.send(
        new SetInstanceProtectionCommand({
          AutoScalingGroupName: step.autoScalingGroupName,
          InstanceIds: [step.instanceId],
          ProtectedFromScaleIn: step.protect,
        }),
      );
      return { requestIds: rid(out), after: { protectedFromScaleIn: step.protect } };
    }
    case 'revoke-instance-sessions': {
      if (!clients.sessions) throw new Error('no credential responder is configured (CREDENTIALS_FUNCTION_NAME): the instance role sessions were not revoked');
      const { instanceId, profileArn, account, region, incidentId } = step;
      return clients.sessions.revoke({ instanceId, profileArn, account, region, incidentId });
    }
    case 'untag-instance': {
      const out = await ec2.send(new DeleteTagsCommand({ Resources: [step.instanceId], Tags: step.keys.map((Key) => ({ Key })) }));
      return { requestIds: rid(out), after: { removedTags: step.keys } };
    }
    case 'tag-instance': {
      const out = await ec2.send(
        new CreateTagsCommand({
          Resources: [step.instanceId],
          Tags: Object.entries(step.tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
      return { requestIds: rid(out), after: { tags: step.tags } };
    }
  }
};


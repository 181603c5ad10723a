import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  DescribeAddressesCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  type IpPermission,
  type Snapshot,
  type Tag,
} from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing';
import { DescribeTargetGroupsCommand, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  GetLoginProfileCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import type { Ec2Clients } from '../../../lambdas/isolation/types';

/**
 * A flat picture of everything a responder could change in one account+region, read from the
 * emulator: `path -> value`, e.g. `eni/eni-1/groups -> ["sg-2"]`, `user/bob/key/AKIA.. -> "Active"`.
 * Taken before and after a scenario; diff.ts says which differences were required, which are
 * tolerated, and fails on any other.
 */
export type State = ReadonlyMap<string, unknown>;

const tagMap = (tags: readonly Tag[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']).sort(([a = ''], [b = '']) => a.localeCompare(b)));

const rules = (perms: readonly IpPermission[] | undefined): string[] =>
  (perms ?? [])
    .flatMap((p) => {
      const head = `${p.IpProtocol ?? '?'}:${p.FromPort ?? ''}-${p.ToPort ?? ''}`;
      return [
        ...(p.IpRanges ?? []).map((r) => `${head} ${r.CidrIp ?? ''}`),
        ...(p.Ipv6Ranges ?? []).map((r) => `${head} ${r.CidrIpv6 ?? ''}`),
        ...(p.UserIdGroupPairs ?? []).map((r) => `${head} ${r.GroupId ?? ''}`),
        ...(p.PrefixListIds ?? []).map((r) => `${head} ${r.PrefixListId ?? ''}`),
      ];
    })
    .sort();

/**
 * moto 5.2.1 reports an attached ENI's groups as its own groups UNION the instance's launch groups
 * (moto/ec2/models/elastic_network_interfaces.py `group_set`), before and after
 * ModifyNetworkInterfaceAttribute; AWS reports only the ENI's own. The instance's launch groups are
 * what DescribeInstances reports as the instance's SecurityGroups. The harness reads an ENI's own
 * groups as: the reported groups that are not launch groups, or, when there are none, the launch
 * groups themselves (the primary ENI before isolation). That is exact whenever an ENI's own groups
 * are either exactly the launch groups or disjoint from them, which holds for every ENI the drill
 * seeds (the primary: the launch groups; the others: app-backend only).
 */
export const ownGroups = (reported: readonly string[], launchGroups: readonly string[]): string[] => {
  const unique = [...new Set(reported)].sort();
  const extra = unique.filter((g) => !launchGroups.includes(g));
  return extra.length > 0 ? extra : unique;
};


const attributes = async (ec2: Ec2Clients['ec2'], instanceId: string): Promise<Record<string, unknown>> => {
  const read = async (Attribute: 'disableApiTermination' | 'disableApiStop' | 'instanceInitiatedShutdownBehavior') =>
    ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute }));
  const [term, stop, shutdown] = await Promise.all([read('disableApiTermination'), read('disableApiStop'), read('instanceInitiatedShutdownBehavior')]);
  return {
    disableApiTermination: term.DisableApiTermination?.Value ?? false,
    disableApiStop: stop.DisableApiStop?.Value ?? false,
    shutdownBehavior: shutdown.InstanceInitiatedShutdownBehavior?.Value ?? 'stop',
  };
};

/** EC2, Auto Scaling and load balancing state of one account+region. */
export const readEc2 = async (clients: Ec2Clients): Promise<Map<string, unknown>> => {
  const { ec2, autoScaling, elbv2, elb } = clients;
  const state = new Map<string, unknown>();
  const launchGroups = new Map<string, string[]>();
  // Snapshots by the volumes they were taken of: moto's OwnerIds=self answers with the ~300 KB
  // of its image catalogue's snapshots (3 s), which no responder could have made.
  const volumesP = ec2.send(new DescribeVolumesCommand({}));
  const snapshotsP = volumesP.then(async (v): Promise<Snapshot[]> => {
    const ids = (v.Volumes ?? []).map((x) => x.VolumeId ?? '').filter((x) => x !== '');
    return ids.length ? ((await ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'volume-id', Values: ids }] }))).Snapshots ?? []) : [];
  });
  const [instances, enis, groups, addresses, volumes, snapshots, associations, asgs, tgs, elbs] = await Promise.all([
    ec2.send(new DescribeInstancesCommand({})),
    ec2.send(new DescribeNetworkInterfacesCommand({})),
    ec2.send(new DescribeSecurityGroupsCommand({})),
    ec2.send(new DescribeAddressesCommand({})),
    volumesP,
    snapshotsP,
    ec2.send(new DescribeIamInstanceProfileAssociationsCommand({})),
    autoScaling.send(new DescribeAutoScalingGroupsCommand({})),
    elbv2.send(new DescribeTargetGroupsCommand({})),
    elb.send(new DescribeLoadBalancersCommand({})),
  ]);
  const all = (instances.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  await Promise.all(
    all.map(async (i) => {
      const id = i.InstanceId ?? '?';
      launchGroups.set(id, (i.SecurityGroups ?? []).map((g) => g.GroupId ?? ''));
      state.set(`instance/${id}/state`, i.State?.Name);
      state.set(`instance/${id}/tags`, tagMap(i.Tags));
      state.set(`instance/${id}/attributes`, await attributes(ec2, id));
      state.set(
        `instance/${id}/devices`,
        Object.fromEntries((i.BlockDeviceMappings ?? []).map((d) => [d.DeviceName ?? '?', { volumeId: d.Ebs?.VolumeId, deleteOnTermination: d.Ebs?.DeleteOnTermination ?? false }])),
      );
    }),
  );
  for (const a of associations.IamInstanceProfileAssociations ?? []) {
    if (a.State === 'associated' || a.State === 'associating') state.set(`instance/${a.InstanceId ?? '?'}/profile`, a.IamInstanceProfile?.Arn);
  }
  for (const n of enis.NetworkInterfaces ?? []) {
    const id = n.NetworkInterfaceId ?? '?';
    const attached = n.Attachment?.InstanceId;
    const reported = (n.Groups ?? []).map((g) => g.GroupId ?? '');
    state.set(`eni/${id}/groups`, attached ? ownGroups(reported, launchGroups.get(attached) ?? []) : [...reported].sort());
    state.set(`eni/${id}/attachment`, attached ? `${attached}#${n.Attachment?.DeviceIndex ?? '?'}` : undefined);
    state.set(`eni/${id}/ipv6`, (n.Ipv6Addresses ?? []).map((a) => a.Ipv6Address).sort());
  }
  for (const g of groups.SecurityGroups ?? []) {
    state.set(`sg/${g.GroupId ?? '?'}`, { name: g.GroupName, vpcId: g.VpcId, tags: tagMap(g.Tags), ingress: rules(g.IpPermissions), egress: rules(g.IpPermissionsEgress) });
  }
  // moto 5.2.1 reports no InstanceId for an address associated by ENI id; AWS reports the ENI's instance.
  const instanceOfEni = new Map((enis.NetworkInterfaces ?? []).map((n) => [n.NetworkInterfaceId, n.Attachment?.InstanceId]));
  for (const a of addresses.Addresses ?? []) {
    const instanceId = a.InstanceId || instanceOfEni.get(a.NetworkInterfaceId);
    state.set(`address/${a.AllocationId ?? a.PublicIp ?? '?'}`, a.AssociationId ? { instanceId, eniId: a.NetworkInterfaceId } : 'unassociated');
  }
  for (const v of volumes.Volumes ?? []) {
    state.set(`volume/${v.VolumeId ?? '?'}`, { state: v.State, attachments: (v.Attachments ?? []).map((a) => `${a.InstanceId ?? ''}:${a.Device ?? ''}`).sort() });
  }
  for (const s of snapshots) state.set(`snapshot/${s.SnapshotId ?? '?'}`, { volumeId: s.VolumeId, tags: tagMap(s.Tags) });
  for (const g of asgs.AutoScalingGroups ?? []) {
    state.set(`asg/${g.AutoScalingGroupName ?? '?'}/capacity`, { min: g.MinSize, max: g.MaxSize, desired: g.DesiredCapacity });
    state.set(`asg/${g.AutoScalingGroupName ?? '?'}/instances`, (g.Instances ?? []).map((i) => i.InstanceId).sort());
  }
  await Promise.all(
    (tgs.TargetGroups ?? []).map(async (t) => {
      const health = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: t.TargetGroupArn }));
      state.set(`tg/${t.TargetGroupArn ?? '?'}/targets`, (health.TargetHealthDescriptions ?? []).map((d) => `${d.Target?.Id ?? ''}:${d.Target?.Port ?? ''}`).sort());
    }),
  );
  for (const l of elbs.LoadBalancerDescriptions ?? []) {
    state.set(`elb/${l.LoadBalancerName ?? '?'}/instances`, (l.Instances ?? []).map((i) => i.InstanceId).sort());
  }
  return state;
};

const policyDocument = (encoded: string | undefined): unknown => (encoded ? (JSON.parse(decodeURIComponent(encoded)) as unknown) : undefined);

/** IAM users (keys, inline and attached policies, console password) and roles (inline, attached). */
export const readIam = async (iam: IAMClient): Promise<Map<string, unknown>> => {
  const state = new Map<string, unknown>();
  const [users, roles] = await Promise.all([iam.send(new ListUsersCommand({})), iam.send(new ListRolesCommand({}))]);
  await Promise.all(
    (users.Users ?? []).map(async (u) => {
      const UserName = u.UserName ?? '?';
      const [keys, inline, attached, login] = await Promise.all([
        iam.send(new ListAccessKeysCommand({ UserName })),
        iam.send(new ListUserPoliciesCommand({ UserName })),
        iam.send(new ListAttachedUserPoliciesCommand({ UserName })),
        iam.send(new GetLoginProfileCommand({ UserName })).then(
          () => true,
          () => false,
        ),
      ]);
      for (const k of keys.AccessKeyMetadata ?? []) state.set(`user/${UserName}/key/${k.AccessKeyId ?? '?'}`, k.Status);
      for (const name of inline.PolicyNames ?? []) {
        const p = await iam.send(new GetUserPolicyCommand({ UserName, PolicyName: name }));
        state.set(`user/${UserName}/inline/${name}`, policyDocument(p.PolicyDocument));
      }
      state.set(`user/${UserName}/attached`, (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn).sort());
      state.set(`user/${UserName}/login-profile`, login);
    }),
  );
  await Promise.all(
    (roles.Roles ?? []).map(async (r) => {
      const RoleName = r.RoleName ?? '?';
      const [inline, attached] = await Promise.all([iam.send(new ListRolePoliciesCommand({ RoleName })), iam.send(new ListAttachedRolePoliciesCommand({ RoleName }))]);
      for (const name of inline.PolicyNames ?? []) {
        const p = await iam.send(new GetRolePolicyCommand({ RoleName, PolicyName: name }));
        state.set(`role/${RoleName}/inline/${name}`, policyDocument(p.PolicyDocument));
      }
      state.set(`role/${RoleName}/attached`, (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn).sort());
      state.set(`role/${RoleName}/trust`, policyDocument(r.AssumeRolePolicyDocument));
    }),
  );
  return state;
};

import { DescribeAutoScalingInstancesCommand } from '@aws-sdk/client-auto-scaling';
import {
  DescribeAddressesCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVolumesCommand,
  type Instance,
  type IpPermission,
  type NetworkInterface,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing';
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  ISOLATION_TAG,
  type Ec2Clients,
  type InstanceState,
  type IsolationRole,
  type ObservedEni,
  type ObservedInstance,
  type ObservedRule,
  type ObservedSecurityGroup,
  type ObservedTargetGroup,
} from './types';

/**
 * Observation: what the plan needs, with as few sequential round trips as possible.
 *
 * Round 1 (all in parallel, none depends on another): DescribeInstances, DescribeNetworkInterfaces
 * (attachment.instance-id), DescribeVolumes (attachment.instance-id), DescribeAutoScalingInstances,
 * DescribeAddresses (instance-id), DescribeIamInstanceProfileAssociations (instance-id),
 * DescribeSecurityGroups (tag-key cordon:isolation, every VPC of the region: so the instance's VPC
 * need not be known first), classic DescribeLoadBalancers (membership is in the response) and
 * ELBv2 DescribeTargetGroups.
 *
 * Round 2 (only when the instance's VPC has instance/ip target groups): DescribeTargetHealth per
 * such group, in parallel; ELBv2 has no "groups of this target" query. The round starts as soon as
 * round 1's DescribeInstances and DescribeTargetGroups are in, and the plan's intent record waits
 * for it, so it costs one round trip before the network cut. Paginated lists (target groups,
 * classic load balancers, tagged groups) follow their markers; one page is the common case.
 */

const notFoundCodes = new Set(['InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed']);

const errorName = (error: unknown): string =>
  typeof error === 'object' && error !== null && 'name' in error ? String((error as { name: unknown }).name) : '';

const tagsOf = (tags: readonly { Key?: string; Value?: string }[] | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
};

const ruleOf = (p: IpPermission): ObservedRule => ({
  ipProtocol: p.IpProtocol ?? '-1',
  ...(p.FromPort !== undefined ? { fromPort: p.FromPort } : {}),
  ...(p.ToPort !== undefined ? { toPort: p.ToPort } : {}),
  ipv4: (p.IpRanges ?? []).flatMap((r) => (r.CidrIp ? [r.CidrIp] : [])),
  ipv6: (p.Ipv6Ranges ?? []).flatMap((r) => (r.CidrIpv6 ? [r.CidrIpv6] : [])),
  prefixListIds: (p.PrefixListIds ?? []).flatMap((r) => (r.PrefixListId ? [r.PrefixListId] : [])),
  groupIds: (p.UserIdGroupPairs ?? []).flatMap((r) => (r.GroupId ? [r.GroupId] : [])),
});

const isolationGroupOf = (g: SecurityGroup): ObservedSecurityGroup | undefined => {
  const role = tagsOf(g.Tags)[ISOLATION_TAG];
  if (!g.GroupId || !g.VpcId || (role !== 'allow-all' && role !== 'isolation')) return undefined;
  return {
    groupId: g.GroupId,
    vpcId: g.VpcId,
    role: role satisfies IsolationRole,
    ingress: (g.IpPermissions ?? []).map(ruleOf),
    egress: (g.IpPermissionsEgress ?? []).map(ruleOf),
  };
};

const instanceOf = (i: Instance): ObservedInstance => ({
  instanceId: i.InstanceId ?? '',
  state: i.State?.Name ?? 'unknown',
  ...(i.VpcId ? { vpcId: i.VpcId } : {}),
  tags: tagsOf(i.Tags),
  devices: (i.BlockDeviceMappings ?? []).flatMap((m) =>
    m.DeviceName && m.Ebs
      ? [
          {
            deviceName: m.DeviceName,
            ...(m.Ebs.VolumeId ? { volumeId: m.Ebs.VolumeId } : {}),
            deleteOnTermination: m.Ebs.DeleteOnTermination ?? false,
          },
        ]
      : [],
  ),
  ...(i.IamInstanceProfile?.Arn ? { profileArn: i.IamInstanceProfile.Arn } : {}),
});

const eniOf = (n: NetworkInterface): ObservedEni | undefined =>
  n.NetworkInterfaceId
    ? {
        eniId: n.NetworkInterfaceId,
        ...(n.VpcId ? { vpcId: n.VpcId } : {}),
        groupIds: (n.Groups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : [])),
        ...(n.Attachment?.DeviceIndex !== undefined ? { deviceIndex: n.Attachment.DeviceIndex } : {}),
        privateIps: (n.PrivateIpAddresses ?? []).flatMap((a) => (a.PrivateIpAddress ? [a.PrivateIpAddress] : [])),
        ipv6: (n.Ipv6Addresses ?? []).flatMap((a) => (a.Ipv6Address ? [a.Ipv6Address] : [])),
        requesterManaged: n.RequesterManaged ?? false,
      }
    : undefined;

/** Follows a paginated list until its marker runs out. */
const allPages = async <T>(page: (marker: string | undefined) => Promise<{ items: T[]; next?: string | undefined }>) => {
  const items: T[] = [];
  let marker: string | undefined;
  do {
    const out = await page(marker);
    items.push(...out.items);
    marker = out.next;
  } while (marker);
  return items;
};

/** Reads the instance and everything attached to it. Throws what AWS throws, except "not found",
 * which yields `instance: undefined`. */
export const observeInstance = async (clients: Ec2Clients, instanceId: string): Promise<InstanceState> => {
  const { ec2, autoScaling, elbv2, elb } = clients;
  const byInstance = [{ Name: 'attachment.instance-id', Values: [instanceId] }];

  const instanceP = ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })).then(
    (out) => out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId),
    (error: unknown) => {
      if (notFoundCodes.has(errorName(error))) return undefined;
      throw error;
    },
  );
  const targetGroupsP = allPages<TargetGroup>(async (Marker) => {
    const out = await elbv2.send(new DescribeTargetGroupsCommand({ ...(Marker ? { Marker } : {}) }));
    return { items: out.TargetGroups ?? [], next: out.NextMarker };
  });
  // Round 2 starts as soon as the instance (its VPC and IPs) and the group list are known.
  const membershipP = Promise.all([instanceP, targetGroupsP]).then(async ([instance, groups]) => {
    if (!instance?.VpcId) return [];
    const ips = new Set(
      (instance.NetworkInterfaces ?? []).flatMap((n) => (n.PrivateIpAddresses ?? []).map((a) => a.PrivateIpAddress)),
    );
    const candidates = groups.filter(
      (g) => g.TargetGroupArn && g.VpcId === instance.VpcId && (g.TargetType === 'instance' || g.TargetType === 'ip'),
    );
    const found = await Promise.all(
      candidates.map(async (g): Promise<ObservedTargetGroup | undefined> => {
        const arn = g.TargetGroupArn ?? '';
        const health = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
        const targets = (health.TargetHealthDescriptions ?? []).flatMap((d) => {
          const t = d.Target;
          if (!t?.Id) return [];
          const member = g.TargetType === 'ip' ? ips.has(t.Id) : t.Id === instanceId;
          return member
            ? [
                {
                  id: t.Id,
                  ...(t.Port !== undefined ? { port: t.Port } : {}),
                  ...(t.AvailabilityZone ? { availabilityZone: t.AvailabilityZone } : {}),
                },
              ]
            : [];
        });
        return targets.length > 0 ? { arn, targets } : undefined;
      }),
    );
    return found.filter((g): g is ObservedTargetGroup => g !== undefined);
  });

  const [instance, enis, volumes, asg, addresses, profiles, groups, classic, targetGroups] = await Promise.all([
    instanceP,
    ec2.send(new DescribeNetworkInterfacesCommand({ Filters: byInstance })).then((o) => o.NetworkInterfaces ?? []),
    ec2.send(new DescribeVolumesCommand({ Filters: byInstance })).then((o) => o.Volumes ?? []),
    autoScaling
      .send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }))
      .then((o) => o.AutoScalingInstances?.find((a) => a.InstanceId === instanceId)),
    ec2
      .send(new DescribeAddressesCommand({ Filters: [{ Name: 'instance-id', Values: [instanceId] }] }))
      .then((o) => o.Addresses ?? []),
    ec2
      .send(
        new DescribeIamInstanceProfileAssociationsCommand({
          Filters: [
            { Name: 'instance-id', Values: [instanceId] },
            { Name: 'state', Values: ['associating', 'associated'] },
          ],
        }),
      )
      .then((o) => o.IamInstanceProfileAssociations ?? []),
    allPages<SecurityGroup>(async (NextToken) => {
      const out = await ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [{ Name: 'tag-key', Values: [ISOLATION_TAG] }],
          ...(NextToken ? { NextToken } : {}),
        }),
      );
      return { items: out.SecurityGroups ?? [], next: out.NextToken };
    }),
    allPages(async (Marker) => {
      const out = await elb.send(new DescribeLoadBalancersCommand({ ...(Marker ? { Marker } : {}) }));
      return { items: out.LoadBalancerDescriptions ?? [], next: out.NextMarker };
    }),
    membershipP,
  ]);

  const eniById = new Map<string, ObservedEni>();
  // DescribeNetworkInterfaces is authoritative (groups, requester-managed); the instance's own
  // list fills in an ENI the filter missed (eventual consistency right after an attach).
  for (const n of [...enis, ...(instance?.NetworkInterfaces ?? [])]) {
    const eni = n.NetworkInterfaceId && !eniById.has(n.NetworkInterfaceId) ? eniOf(n as NetworkInterface) : undefined;
    if (eni) eniById.set(eni.eniId, eni);
  }
  const profile = profiles.find((p) => p.AssociationId && p.IamInstanceProfile?.Arn);

  return {
    ...(instance ? { instance: instanceOf(instance) } : {}),
    enis: [...eniById.values()].sort((a, b) => (a.deviceIndex ?? 99) - (b.deviceIndex ?? 99) || a.eniId.localeCompare(b.eniId)),
    volumeIds: volumes.flatMap((v) => (v.VolumeId ? [v.VolumeId] : [])).sort(),
    ...(asg?.AutoScalingGroupName
      ? {
          autoScalingGroup: {
            name: asg.AutoScalingGroupName,
            ...(asg.LifecycleState ? { lifecycleState: asg.LifecycleState } : {}),
          },
        }
      : {}),
    addresses: addresses.flatMap((a) =>
      a.AssociationId
        ? [
            {
              associationId: a.AssociationId,
              ...(a.PublicIp ? { publicIp: a.PublicIp } : {}),
              ...(a.AllocationId ? { allocationId: a.AllocationId } : {}),
              ...(a.NetworkInterfaceId ? { eniId: a.NetworkInterfaceId } : {}),
              ...(a.PrivateIpAddress ? { privateIp: a.PrivateIpAddress } : {}),
            },
          ]
        : [],
    ),
    ...(profile?.AssociationId && profile.IamInstanceProfile?.Arn
      ? { profileAssociation: { associationId: profile.AssociationId, arn: profile.IamInstanceProfile.Arn } }
      : {}),
    isolationGroups: groups
      .map(isolationGroupOf)
      .filter((g): g is ObservedSecurityGroup => g !== undefined)
      .sort((a, b) => a.groupId.localeCompare(b.groupId)),
    targetGroups,
    classicLoadBalancers: classic
      .filter((lb) => lb.LoadBalancerName && (lb.Instances ?? []).some((i) => i.InstanceId === instanceId))
      .map((lb) => lb.LoadBalancerName ?? ''),
  };
};

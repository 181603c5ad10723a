import { DescribeAutoScalingInstancesCommand } from '@aws-sdk/client-auto-scaling';
import {
  DescribeAddressesCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVolumesCommand,
  type NetworkInterface,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing';
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { eniOf, errorName, instanceOf, isolationGroupOf, notFoundCodes, residualRoutes } from './observed';
import { ISOLATION_TAG, type Ec2Clients, type InstanceState, type ObservationError, type ObservedEni, type ObservedSecurityGroup, type ObservedTargetGroup } from './types';

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
 * Round 2: DescribeRouteTables of the instance's VPC (for the paths a security group cannot cut,
 * residual.ts) and DescribeTargetHealth per instance/ip target group of that VPC, in parallel;
 * ELBv2 has no "groups of this target" query. The round starts as soon as round 1's
 * DescribeInstances (and DescribeTargetGroups) are in, and the plan's intent record waits for it,
 * so it costs one round trip before the network cut. Paginated lists (target groups, classic load
 * balancers, tagged groups) follow their markers; one page is the common case.
 *
 * Partial observation: the instance, its ENIs and Cordon's groups are needed to cut the network
 * and a failure to read them fails the observation. A side resource that cannot be read (the target
 * groups or one of them, classic load balancers, Elastic IPs, Auto Scaling, the profile, volumes,
 * route tables) is recorded in `observationErrors`: its step is not planned, the response
 * escalates, and the network is still cut.
 */

/** A side-resource read: its failure is recorded, the observation goes on with `fallback`. */
const side = <T>(errors: ObservationError[], resource: string, call: string, work: () => Promise<T>, fallback: T): Promise<T> =>
  work().catch((error: unknown) => {
    errors.push({ resource, call, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    return fallback;
  });

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

/** Reads the instance and everything attached to it. Throws what AWS throws for the instance, its
 * ENIs and Cordon's groups, except "not found", which yields `instance: undefined`. */
export const observeInstance = async (clients: Ec2Clients, instanceId: string): Promise<InstanceState> => {
  const { ec2, autoScaling, elbv2, elb } = clients;
  const byInstance = [{ Name: 'attachment.instance-id', Values: [instanceId] }];
  const errors: ObservationError[] = [];

  const instanceP = ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })).then(
    (out) => out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId),
    (error: unknown) => {
      if (notFoundCodes.has(errorName(error))) return undefined;
      throw error;
    },
  );
  const targetGroupsP = side(
    errors,
    'target-groups',
    'elasticloadbalancing:DescribeTargetGroups',
    () =>
      allPages<TargetGroup>(async (Marker) => {
        const out = await elbv2.send(new DescribeTargetGroupsCommand({ ...(Marker ? { Marker } : {}) }));
        return { items: out.TargetGroups ?? [], next: out.NextMarker };
      }),
    [],
  );
  // Round 2 starts as soon as the instance (its VPC, subnets and IPs) is known.
  const routesP = instanceP.then(async (instance) => {
    if (!instance?.VpcId) return [];
    const subnets = [...new Set((instance.NetworkInterfaces ?? []).flatMap((n) => (n.SubnetId ? [n.SubnetId] : [])))].sort();
    const vpc = [{ Name: 'vpc-id', Values: [instance.VpcId] }];
    const tables = await side(errors, 'route-tables', 'ec2:DescribeRouteTables', async () => (await ec2.send(new DescribeRouteTablesCommand({ Filters: vpc }))).RouteTables ?? [], []);
    return residualRoutes(tables, subnets);
  });
  const membershipP = Promise.all([instanceP, targetGroupsP]).then(async ([instance, groups]) => {
    if (!instance?.VpcId) return [];
    // An `ip` target may be any address of any ENI, IPv4 or IPv6.
    const ips = new Set(
      (instance.NetworkInterfaces ?? []).flatMap((n) => [
        ...(n.PrivateIpAddresses ?? []).map((a) => a.PrivateIpAddress),
        ...(n.Ipv6Addresses ?? []).map((a) => a.Ipv6Address),
      ]),
    );
    const candidates = groups.filter(
      (g) => g.TargetGroupArn && g.VpcId === instance.VpcId && (g.TargetType === 'instance' || g.TargetType === 'ip'),
    );
    const found = await Promise.all(
      candidates.map(async (g): Promise<ObservedTargetGroup | undefined> => {
        const arn = g.TargetGroupArn ?? '';
        const health = await side(
          errors,
          `target-group:${arn}`,
          'elasticloadbalancing:DescribeTargetHealth',
          () => elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })),
          undefined,
        );
        const targets = (health?.TargetHealthDescriptions ?? []).flatMap((d) => {
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
        return targets.length > 0 ? { arn, ...(g.Protocol ? { protocol: g.Protocol } : {}), targets } : undefined;
      }),
    );
    return found.filter((g): g is ObservedTargetGroup => g !== undefined);
  });

  const [instance, enis, volumes, asg, addresses, profiles, groups, classic, targetGroups, routes] = await Promise.all([
    instanceP,
    ec2.send(new DescribeNetworkInterfacesCommand({ Filters: byInstance })).then((o) => o.NetworkInterfaces ?? []),
    side(errors, 'volumes', 'ec2:DescribeVolumes', async () => (await ec2.send(new DescribeVolumesCommand({ Filters: byInstance }))).Volumes ?? [], []),
    side(
      errors,
      'auto-scaling-group',
      'autoscaling:DescribeAutoScalingInstances',
      async () =>
        (await autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }))).AutoScalingInstances?.find(
          (a) => a.InstanceId === instanceId,
        ),
      undefined,
    ),
    side(
      errors,
      'elastic-ips',
      'ec2:DescribeAddresses',
      async () => (await ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'instance-id', Values: [instanceId] }] }))).Addresses ?? [],
      [],
    ),
    side(
      errors,
      'instance-profile',
      'ec2:DescribeIamInstanceProfileAssociations',
      async () =>
        (
          await ec2.send(
            new DescribeIamInstanceProfileAssociationsCommand({
              Filters: [
                { Name: 'instance-id', Values: [instanceId] },
                { Name: 'state', Values: ['associating', 'associated'] },
              ],
            }),
          )
        ).IamInstanceProfileAssociations ?? [],
      [],
    ),
    allPages<SecurityGroup>(async (NextToken) => {
      const out = await ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [{ Name: 'tag-key', Values: [ISOLATION_TAG] }],
          ...(NextToken ? { NextToken } : {}),
        }),
      );
      return { items: out.SecurityGroups ?? [], next: out.NextToken };
    }),
    side(
      errors,
      'classic-load-balancers',
      'elasticloadbalancing:DescribeLoadBalancers',
      () =>
        allPages(async (Marker) => {
          const out = await elb.send(new DescribeLoadBalancersCommand({ ...(Marker ? { Marker } : {}) }));
          return { items: out.LoadBalancerDescriptions ?? [], next: out.NextMarker };
        }),
      [],
    ),
    membershipP,
    routesP,
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
            ...(asg.ProtectedFromScaleIn !== undefined ? { protectedFromScaleIn: asg.ProtectedFromScaleIn } : {}),
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
    routes,
    observationErrors: [...errors].sort((a, b) => a.resource.localeCompare(b.resource)),
  };
};

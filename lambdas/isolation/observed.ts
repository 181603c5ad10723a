import type { Instance, IpPermission, NetworkInterface, RouteTable, SecurityGroup } from '@aws-sdk/client-ec2';
import { ISOLATION_TAG, type IsolationRole, type ObservedEni, type ObservedInstance, type ObservedRoute, type ObservedRule, type ObservedSecurityGroup } from './types';

/** What observe.ts reads, in Cordon's shapes: pure conversions of AWS responses. */

export const notFoundCodes = new Set(['InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed']);

export const errorName = (error: unknown): string =>
  typeof error === 'object' && error !== null && 'name' in error ? String((error as { name: unknown }).name) : '';

export const tagsOf = (tags: readonly { Key?: string; Value?: string }[] | undefined): Record<string, string> => {
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

export const isolationGroupOf = (g: SecurityGroup): ObservedSecurityGroup | undefined => {
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

export const instanceOf = (i: Instance): ObservedInstance => ({
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

export const eniOf = (n: NetworkInterface): ObservedEni | undefined =>
  n.NetworkInterfaceId
    ? {
        eniId: n.NetworkInterfaceId,
        ...(n.VpcId ? { vpcId: n.VpcId } : {}),
        ...(n.SubnetId ? { subnetId: n.SubnetId } : {}),
        groupIds: (n.Groups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : [])),
        ...(n.Attachment?.DeviceIndex !== undefined ? { deviceIndex: n.Attachment.DeviceIndex } : {}),
        privateIps: (n.PrivateIpAddresses ?? []).flatMap((a) => (a.PrivateIpAddress ? [a.PrivateIpAddress] : [])),
        ipv6: (n.Ipv6Addresses ?? []).flatMap((a) => (a.Ipv6Address ? [a.Ipv6Address] : [])),
        requesterManaged: n.RequesterManaged ?? false,
      }
    : undefined;

/** The routes of each ENI's subnet (its associated table, else the VPC's main table) that lead
 * through a path a security group change does not cut. */
export const residualRoutes = (tables: readonly RouteTable[], subnets: readonly string[]): ObservedRoute[] => {
  const main = tables.find((t) => (t.Associations ?? []).some((a) => a.Main));
  const out: ObservedRoute[] = [];
  const seen = new Set<string>();
  for (const subnetId of subnets) {
    const table = tables.find((t) => (t.Associations ?? []).some((a) => a.SubnetId === subnetId)) ?? main;
    if (!table?.RouteTableId) continue;
    for (const r of table.Routes ?? []) {
      if (r.State === 'blackhole') continue;
      const via = r.NatGatewayId
        ? (['nat-gateway', r.NatGatewayId] as const)
        : r.TransitGatewayId
          ? (['transit-gateway', r.TransitGatewayId] as const)
          : r.EgressOnlyInternetGatewayId
            ? (['egress-only-internet-gateway', r.EgressOnlyInternetGatewayId] as const)
            : r.GatewayId?.startsWith('vpce-')
              ? (['vpc-endpoint', r.GatewayId] as const)
              : undefined;
      if (!via) continue;
      const destination = r.DestinationCidrBlock ?? r.DestinationIpv6CidrBlock ?? r.DestinationPrefixListId ?? '?';
      const key = `${table.RouteTableId}/${destination}/${via[1]}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ subnetId, routeTableId: table.RouteTableId, destination, via: via[0], targetId: via[1] });
    }
  }
  return out;
};


import {
  AttachInstancesCommand,
  AutoScalingClient,
  DescribeAutoScalingInstancesCommand,
  DetachInstancesCommand,
  SetInstanceProtectionCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  AssociateIamInstanceProfileCommand,
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSnapshotsCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeAddressesCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVolumesCommand,
  DisassociateAddressCommand,
  DisassociateIamInstanceProfileCommand,
  EC2Client,
  GetConsoleOutputCommand,
  GetConsoleScreenshotCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  ReplaceIamInstanceProfileAssociationCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import {
  DeregisterInstancesFromLoadBalancerCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingClient,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  DeregisterTargetsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';

/**
 * A small fake AWS region behind aws-sdk-client-mock: Describe calls read the world, mutating calls
 * change it (so isolate-then-release and "already isolated" run against real state transitions),
 * every call lands in one ordered log shared with the evidence fake, and any call can be made to fail.
 */

export interface WorldEni {
  id: string;
  vpcId: string;
  groups: string[];
  deviceIndex: number;
  privateIps: string[];
  ipv6: string[];
  requesterManaged?: boolean;
}

export interface WorldGroup {
  id: string;
  vpcId: string;
  name: string;
  tags: Record<string, string>;
  ingress: IpPermission[];
  egress: IpPermission[];
}

export interface World {
  exists: boolean;
  instanceId: string;
  state: string;
  vpcId: string;
  tags: Record<string, string>;
  devices: { name: string; volumeId: string; deleteOnTermination: boolean }[];
  attributes: Record<string, unknown>;
  enis: WorldEni[];
  asg?: string;
  /** Auto Scaling lifecycle state and scale-in protection. @default 'InService', false */
  asgLifecycle?: string;
  asgProtected?: boolean;
  /** Route tables of the VPC (AWS shape). @default one main table with a local route only */
  routeTables?: unknown[];
  /** What the console shows. */
  consoleOutput?: string;
  targetGroups: { arn: string; vpcId: string; type: 'instance' | 'ip'; protocol?: string; targets: { id: string; port?: number }[] }[];
  classic: { name: string; instances: string[] }[];
  addresses: { associationId: string; publicIp: string; allocationId: string; eniId: string }[];
  profile?: { associationId: string; arn: string };
  securityGroups: WorldGroup[];
  snapshots: { snapshotId: string; volumeId: string; tags: Record<string, string> }[];
}

export const INSTANCE_ID = 'i-0123456789abcdef0';
export const VPC = 'vpc-0a1b2c3d';
export const ALLOW_ALL_SG = 'sg-0a11a11a11a11a11a';
export const ISOLATION_SG = 'sg-0150150150150150a';

const isolationGroup = (id: string, role: 'allow-all' | 'isolation', vpcId = VPC): WorldGroup => ({
  id,
  vpcId,
  name: role === 'isolation' ? 'cordon-isolation' : 'cordon-isolation-allow-all',
  tags: { 'cordon:isolation': role },
  ingress:
    role === 'allow-all' ? [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] }] : [],
  egress:
    role === 'allow-all' ? [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] }] : [],
});

const serviceGroup = (id: string): WorldGroup => ({
  id,
  vpcId: VPC,
  name: id.replace('sg-0', ''),
  tags: {},
  ingress: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
  egress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
});

/** A running instance with three ENIs (one with IPv6), an ASG, two target groups, a classic ELB,
 * two Elastic IPs, an instance profile, two volumes, and Cordon's groups already in its VPC. */
export const busyWorld = (): World => ({
  exists: true,
  instanceId: INSTANCE_ID,
  state: 'running',
  vpcId: VPC,
  tags: { Name: 'web-1' },
  devices: [
    { name: '/dev/xvda', volumeId: 'vol-0aaa', deleteOnTermination: true },
    { name: '/dev/sdf', volumeId: 'vol-0bbb', deleteOnTermination: false },
  ],
  attributes: {},
  enis: [
    { id: 'eni-0aaa', vpcId: VPC, groups: ['sg-0web', 'sg-0ssh'], deviceIndex: 0, privateIps: ['10.0.0.10'], ipv6: ['2001:db8::10'] },
    { id: 'eni-0bbb', vpcId: VPC, groups: ['sg-0app'], deviceIndex: 1, privateIps: ['10.0.1.10'], ipv6: [] },
    { id: 'eni-0ccc', vpcId: VPC, groups: ['sg-0db'], deviceIndex: 2, privateIps: ['10.0.2.10'], ipv6: [] },
  ],
  asg: 'web-asg',
  targetGroups: [
    { arn: 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/web/1', vpcId: VPC, type: 'instance', targets: [{ id: INSTANCE_ID, port: 80 }] },
    { arn: 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/api/2', vpcId: VPC, type: 'ip', targets: [{ id: '10.0.1.10', port: 8080 }] },
    { arn: 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/other/3', vpcId: VPC, type: 'instance', targets: [{ id: 'i-0fffffffffffffff0', port: 80 }] },
  ],
  classic: [
    { name: 'legacy-web', instances: [INSTANCE_ID] },
    { name: 'unrelated', instances: ['i-0fffffffffffffff0'] },
  ],
  addresses: [
    { associationId: 'eipassoc-0aaa', publicIp: '198.51.100.1', allocationId: 'eipalloc-0aaa', eniId: 'eni-0aaa' },
    { associationId: 'eipassoc-0bbb', publicIp: '198.51.100.2', allocationId: 'eipalloc-0bbb', eniId: 'eni-0bbb' },
  ],
  profile: { associationId: 'iip-assoc-0aaa', arn: 'arn:aws:iam::111111111111:instance-profile/web' },
  securityGroups: [
    isolationGroup(ALLOW_ALL_SG, 'allow-all'),
    isolationGroup(ISOLATION_SG, 'isolation'),
    ...['sg-0web', 'sg-0ssh', 'sg-0app', 'sg-0db'].map((id) => serviceGroup(id)),
  ],
  snapshots: [],
});

/** The smallest instance: one ENI, one volume, nothing attached, no Cordon groups in the VPC yet. */
export const plainWorld = (): World => ({
  ...busyWorld(),
  enis: [{ id: 'eni-0aaa', vpcId: VPC, groups: ['sg-0web'], deviceIndex: 0, privateIps: ['10.0.0.10'], ipv6: [] }],
  devices: [{ name: '/dev/xvda', volumeId: 'vol-0aaa', deleteOnTermination: true }],
  asg: undefined,
  targetGroups: [],
  classic: [],
  addresses: [],
  profile: undefined,
  securityGroups: [serviceGroup('sg-0web')],
});

export const ec2Mock = mockClient(EC2Client);
export const asgMock = mockClient(AutoScalingClient);
export const elbv2Mock = mockClient(ElasticLoadBalancingV2Client);
export const elbMock = mockClient(ElasticLoadBalancingClient);
export const stsMock = mockClient(STSClient);

/** One AWS call as the fake saw it. */
export interface Call {
  readonly service: 'ec2' | 'autoscaling' | 'elbv2' | 'elb' | 'sts';
  readonly command: string;
  readonly input: Record<string, unknown>;
}

export interface Harness {
  readonly world: World;
  /** Ordered log of AWS calls and evidence appends, e.g. `ec2:ModifyNetworkInterfaceAttribute`. */
  readonly order: string[];
  readonly calls: Call[];
  readonly mutating: () => Call[];
}

type Fail = (call: Call) => Error | undefined;

const awsError = (name: string, message = name, status = 400): Error =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status, requestId: `req-failed-${name}` } });
export { awsError };

const READ_ONLY = /^(Describe|Get|AssumeRole)/;
export { READ_ONLY };

let counter = 0;
const rid = () => ({ $metadata: { requestId: `req-${(counter += 1)}` } });

/** Installs the world behind every mock. `fail` may turn any call into an AWS error. */
export const installWorld = (world: World, options: { order?: string[]; fail?: Fail } = {}): Harness => {
  const order = options.order ?? [];
  const calls: Call[] = [];
  for (const m of [ec2Mock, asgMock, elbv2Mock, elbMock, stsMock]) m.reset();

  const on = <I extends object, O>(
    mock: { on: (c: never) => { callsFake: (fn: (input: I) => unknown) => unknown } },
    service: Call['service'],
    command: { name: string },
    fn: (input: I) => O,
  ) => {
    const name = command.name.replace(/Command$/, '');
    mock.on(command as never).callsFake(async (input: I) => {
      const call: Call = { service, command: name, input: input as Record<string, unknown> };
      calls.push(call);
      order.push(`${service}:${name}`);
      const error = options.fail?.(call);
      if (error) throw error;
      return { ...rid(), ...fn(input) };
    });
  };
  const eni = (id: unknown) => {
    const found = world.enis.find((e) => e.id === id);
    if (!found) throw awsError('InvalidNetworkInterfaceID.NotFound');
    return found;
  };
  const group = (id: unknown) => {
    const found = world.securityGroups.find((g) => g.id === id);
    if (!found) throw awsError('InvalidGroup.NotFound');
    return found;
  };
  const tags = (t: Record<string, string>) => Object.entries(t).map(([Key, Value]) => ({ Key, Value }));
  const networkInterface = (e: WorldEni) => ({
    NetworkInterfaceId: e.id,
    VpcId: e.vpcId,
    Groups: e.groups.map((GroupId) => ({ GroupId })),
    Attachment: { DeviceIndex: e.deviceIndex, InstanceId: world.instanceId },
    PrivateIpAddresses: e.privateIps.map((PrivateIpAddress) => ({ PrivateIpAddress })),
    Ipv6Addresses: e.ipv6.map((Ipv6Address) => ({ Ipv6Address })),
    RequesterManaged: e.requesterManaged ?? false,
  });

  // --- EC2 reads
  on(ec2Mock, 'ec2', DescribeInstancesCommand, (input: { InstanceIds?: string[] }) => {
    if (!world.exists || !input.InstanceIds?.includes(world.instanceId)) {
      throw awsError('InvalidInstanceID.NotFound', `The instance ID '${input.InstanceIds?.join(',')}' does not exist`);
    }
    return {
      Reservations: [
        {
          Instances: [
            {
              InstanceId: world.instanceId,
              State: { Name: world.state },
              VpcId: world.vpcId,
              Tags: tags(world.tags),
              BlockDeviceMappings: world.devices.map((d) => ({
                DeviceName: d.name,
                Ebs: { VolumeId: d.volumeId, DeleteOnTermination: d.deleteOnTermination },
              })),
              NetworkInterfaces: world.enis.map(networkInterface),
              ...(world.profile ? { IamInstanceProfile: { Arn: world.profile.arn } } : {}),
            },
          ],
        },
      ],
    };
  });
  on(ec2Mock, 'ec2', DescribeNetworkInterfacesCommand, () => ({
    NetworkInterfaces: world.exists ? world.enis.map(networkInterface) : [],
  }));
  on(ec2Mock, 'ec2', DescribeVolumesCommand, () => ({
    Volumes: world.exists ? world.devices.map((d) => ({ VolumeId: d.volumeId })) : [],
  }));
  on(ec2Mock, 'ec2', DescribeAddressesCommand, () => ({
    Addresses: world.addresses.map((a) => ({
      AssociationId: a.associationId,
      PublicIp: a.publicIp,
      AllocationId: a.allocationId,
      NetworkInterfaceId: a.eniId,
      InstanceId: world.instanceId,
    })),
  }));
  on(ec2Mock, 'ec2', DescribeIamInstanceProfileAssociationsCommand, () => ({
    IamInstanceProfileAssociations: world.profile
      ? [{ AssociationId: world.profile.associationId, InstanceId: world.instanceId, IamInstanceProfile: { Arn: world.profile.arn }, State: 'associated' }]
      : [],
  }));
  on(ec2Mock, 'ec2', DescribeSecurityGroupsCommand, (input: { GroupIds?: string[]; Filters?: { Name?: string; Values?: string[] }[] }) => {
    const byName = input.Filters?.find((f) => f.Name === 'group-name')?.Values ?? [];
    const byTag = input.Filters?.some((f) => f.Name === 'tag-key');
    const groups = world.securityGroups.filter((g) =>
      input.GroupIds ? input.GroupIds.includes(g.id) : byTag ? 'cordon:isolation' in g.tags : byName.includes(g.name),
    );
    return {
      SecurityGroups: groups.map((g) => ({
        GroupId: g.id,
        VpcId: g.vpcId,
        GroupName: g.name,
        Tags: tags(g.tags),
        IpPermissions: g.ingress,
        IpPermissionsEgress: g.egress,
      })),
    };
  });

  on(ec2Mock, 'ec2', DescribeRouteTablesCommand, () => ({
    RouteTables: world.routeTables ?? [
      { RouteTableId: 'rtb-0main', VpcId: world.vpcId, Associations: [{ Main: true }], Routes: [{ DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' }] },
    ],
  }));
  on(ec2Mock, 'ec2', GetConsoleOutputCommand, () => ({
    InstanceId: world.instanceId,
    Output: Buffer.from(world.consoleOutput ?? 'login: ').toString('base64'),
    Timestamp: new Date('2026-12-01T10:00:00Z'),
  }));
  on(ec2Mock, 'ec2', GetConsoleScreenshotCommand, () => ({ InstanceId: world.instanceId, ImageData: Buffer.from('JPEG-BYTES').toString('base64') }));
  on(ec2Mock, 'ec2', DeleteTagsCommand, (input: { Tags?: { Key?: string }[] }) => {
    for (const tag of input.Tags ?? []) if (tag.Key) delete world.tags[tag.Key];
    return {};
  });

  // --- EC2 writes
  on(ec2Mock, 'ec2', ModifyInstanceAttributeCommand, (input: Record<string, unknown>) => {
    Object.assign(world.attributes, input);
    for (const m of (input.BlockDeviceMappings as { DeviceName: string; Ebs: { DeleteOnTermination: boolean } }[] | undefined) ?? []) {
      const d = world.devices.find((x) => x.name === m.DeviceName);
      if (d) d.deleteOnTermination = m.Ebs.DeleteOnTermination;
    }
    return {};
  });
  on(ec2Mock, 'ec2', ModifyNetworkInterfaceAttributeCommand, (input: { NetworkInterfaceId?: string; Groups?: string[] }) => {
    for (const g of input.Groups ?? []) group(g);
    eni(input.NetworkInterfaceId).groups = [...(input.Groups ?? [])];
    return {};
  });
  on(ec2Mock, 'ec2', CreateSecurityGroupCommand, (input: { GroupName?: string; VpcId?: string; TagSpecifications?: { Tags?: { Key?: string; Value?: string }[] }[] }) => {
    if (world.securityGroups.some((g) => g.vpcId === input.VpcId && g.name === input.GroupName)) {
      throw awsError('InvalidGroup.Duplicate');
    }
    const id = `sg-0new${world.securityGroups.length}${(input.GroupName ?? '').length}`;
    const t: Record<string, string> = {};
    for (const tag of input.TagSpecifications?.[0]?.Tags ?? []) if (tag.Key) t[tag.Key] = tag.Value ?? '';
    world.securityGroups.push({
      id,
      vpcId: input.VpcId ?? '',
      name: input.GroupName ?? '',
      tags: t,
      ingress: [],
      egress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    });
    return { GroupId: id };
  });
  on(ec2Mock, 'ec2', AuthorizeSecurityGroupIngressCommand, (input: { GroupId?: string; IpPermissions?: IpPermission[] }) => {
    group(input.GroupId).ingress.push(...(input.IpPermissions ?? []));
    return { Return: true };
  });
  on(ec2Mock, 'ec2', AuthorizeSecurityGroupEgressCommand, (input: { GroupId?: string; IpPermissions?: IpPermission[] }) => {
    group(input.GroupId).egress.push(...(input.IpPermissions ?? []));
    return { Return: true };
  });
  on(ec2Mock, 'ec2', RevokeSecurityGroupEgressCommand, (input: { GroupId?: string }) => {
    group(input.GroupId).egress = [];
    return { Return: true };
  });
  on(ec2Mock, 'ec2', RevokeSecurityGroupIngressCommand, (input: { GroupId?: string }) => {
    group(input.GroupId).ingress = [];
    return { Return: true };
  });
  on(ec2Mock, 'ec2', DisassociateAddressCommand, (input: { AssociationId?: string }) => {
    world.addresses = world.addresses.filter((a) => a.associationId !== input.AssociationId);
    return {};
  });
  on(ec2Mock, 'ec2', ReplaceIamInstanceProfileAssociationCommand, (input: { IamInstanceProfile?: { Arn?: string } }) => {
    world.profile = { associationId: 'iip-assoc-0new', arn: input.IamInstanceProfile?.Arn ?? '' };
    return { IamInstanceProfileAssociation: { AssociationId: 'iip-assoc-0new' } };
  });
  on(ec2Mock, 'ec2', DisassociateIamInstanceProfileCommand, () => {
    world.profile = undefined;
    return {};
  });
  on(ec2Mock, 'ec2', AssociateIamInstanceProfileCommand, (input: { IamInstanceProfile?: { Arn?: string } }) => {
    world.profile = { associationId: 'iip-assoc-0re', arn: input.IamInstanceProfile?.Arn ?? '' };
    return {};
  });
  on(ec2Mock, 'ec2', CreateSnapshotsCommand, (input: { TagSpecifications?: { Tags?: { Key?: string; Value?: string }[] }[] }) => {
    const t: Record<string, string> = {};
    for (const tag of input.TagSpecifications?.[0]?.Tags ?? []) if (tag.Key) t[tag.Key] = tag.Value ?? '';
    const made = world.devices.map((d, i) => ({ snapshotId: `snap-0${i}`, volumeId: d.volumeId, tags: t }));
    world.snapshots.push(...made);
    return { Snapshots: made.map((s) => ({ SnapshotId: s.snapshotId, VolumeId: s.volumeId })) };
  });
  on(ec2Mock, 'ec2', CreateTagsCommand, (input: { Tags?: { Key?: string; Value?: string }[] }) => {
    for (const tag of input.Tags ?? []) if (tag.Key) world.tags[tag.Key] = tag.Value ?? '';
    return {};
  });

  // --- Auto Scaling
  on(asgMock, 'autoscaling', DescribeAutoScalingInstancesCommand, () => ({
    AutoScalingInstances: world.asg
      ? [
          {
            InstanceId: world.instanceId,
            AutoScalingGroupName: world.asg,
            LifecycleState: world.asgLifecycle ?? 'InService',
            ProtectedFromScaleIn: world.asgProtected ?? false,
          },
        ]
      : [],
  }));
  on(asgMock, 'autoscaling', SetInstanceProtectionCommand, (input: { ProtectedFromScaleIn?: boolean }) => {
    world.asgProtected = input.ProtectedFromScaleIn ?? false;
    return {};
  });
  on(asgMock, 'autoscaling', DetachInstancesCommand, () => {
    world.asg = undefined;
    return { Activities: [] };
  });
  on(asgMock, 'autoscaling', AttachInstancesCommand, (input: { AutoScalingGroupName?: string }) => {
    world.asg = input.AutoScalingGroupName;
    world.asgLifecycle = 'InService';
    world.asgProtected = false; // the group's default for new instances
    return {};
  });

  // --- ELBv2 and classic
  on(elbv2Mock, 'elbv2', DescribeTargetGroupsCommand, () => ({
    TargetGroups: world.targetGroups.map((t) => ({ TargetGroupArn: t.arn, VpcId: t.vpcId, TargetType: t.type, ...(t.protocol ? { Protocol: t.protocol } : {}) })),
  }));
  on(elbv2Mock, 'elbv2', DescribeTargetHealthCommand, (input: { TargetGroupArn?: string }) => ({
    TargetHealthDescriptions: (world.targetGroups.find((t) => t.arn === input.TargetGroupArn)?.targets ?? []).map((t) => ({
      Target: { Id: t.id, Port: t.port },
      TargetHealth: { State: 'healthy' },
    })),
  }));
  on(elbv2Mock, 'elbv2', DeregisterTargetsCommand, (input: { TargetGroupArn?: string; Targets?: { Id?: string }[] }) => {
    const tg = world.targetGroups.find((t) => t.arn === input.TargetGroupArn);
    if (tg) tg.targets = tg.targets.filter((t) => !(input.Targets ?? []).some((x) => x.Id === t.id));
    return {};
  });
  on(elbMock, 'elb', DescribeLoadBalancersCommand, () => ({
    LoadBalancerDescriptions: world.classic.map((c) => ({
      LoadBalancerName: c.name,
      Instances: c.instances.map((InstanceId) => ({ InstanceId })),
    })),
  }));
  on(elbMock, 'elb', DeregisterInstancesFromLoadBalancerCommand, (input: { LoadBalancerName?: string }) => {
    const lb = world.classic.find((c) => c.name === input.LoadBalancerName);
    if (lb) lb.instances = lb.instances.filter((i) => i !== world.instanceId);
    return { Instances: [] };
  });

  // --- STS
  on(stsMock, 'sts', AssumeRoleCommand, (input: { RoleArn?: string }) => ({
    Credentials: {
      AccessKeyId: 'ASIAMEMBER',
      SecretAccessKey: 'member-secret',
      SessionToken: `session-for-${input.RoleArn}`,
      Expiration: new Date(Date.now() + 900_000),
    },
  }));

  return { world, order, calls, mutating: () => calls.filter((c) => !READ_ONLY.test(c.command)) };
};

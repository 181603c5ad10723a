import { AttachInstancesCommand, CreateAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AttachNetworkInterfaceCommand,
  AttachVolumeCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateLaunchTemplateCommand,
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVolumeCommand,
  CreateVpcCommand,
  AssignIpv6AddressesCommand,
  DescribeVpcsCommand,
  RunInstancesCommand,
  type Tag,
} from '@aws-sdk/client-ec2';
import { RegisterInstancesWithLoadBalancerCommand, CreateLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing';
import { CreateTargetGroupCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AddRoleToInstanceProfileCommand, CreateInstanceProfileCommand, CreateRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import type { Ec2Clients } from '../../../lambdas/isolation/types';

/**
 * Seeds the EC2 side of a scenario into the emulator: a dual-stack VPC, subnets, security groups,
 * an Auto Scaling group with an instance of its own, and the compromised instance with three ENIs
 * (two at launch, one attached later and absent from the finding) each with an IPv6 address, an
 * Elastic IP, an instance profile, a second volume, two target groups and a classic load balancer
 * that also serve the ASG's own instance. Returns the ids the emulator assigned.
 */

/** An Ubuntu image of moto's built-in catalogue (DescribeImages with filters takes ~7 s in moto). */
export const MOTO_IMAGE_ID = 'ami-1e749f67';

const TRUST_EC2 = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

export interface NetworkWorld {
  readonly vpcId: string;
  readonly subnetIds: readonly [string, string, string];
  readonly groups: Readonly<Record<string, string>>;
  readonly imageId: string;
  readonly az: string;
}

export interface Ec2World extends NetworkWorld {
  readonly instanceId: string;
  /** In device-index order: the two of the finding, then the one attached later. */
  readonly eniIds: readonly [string, string, string];
  readonly volumeIds: readonly string[];
  readonly asgName: string;
  readonly asgInstanceId: string;
  readonly targetGroupArns: readonly string[];
  readonly classicElb: string;
  readonly allocationId: string;
  readonly profileArn: string;
}

const must = <T>(value: T | undefined | null, what: string): T => {
  if (value === undefined || value === null) throw new Error(`emulator seed: ${what} missing from the emulator's answer`);
  return value;
};

const tags = (resourceType: 'instance' | 'volume' | 'security-group' | 'vpc' | 'subnet' | 'network-interface', t: Record<string, string>) => [
  { ResourceType: resourceType, Tags: Object.entries(t).map(([Key, Value]): Tag => ({ Key, Value })) },
];

/** The n-th /64 of a VPC's /56 IPv6 block. */
export const subnetV6 = (block: string, n: number): string => {
  const hextets = (block.split('/')[0] ?? '').split('::')[0]?.split(':') ?? [];
  while (hextets.length < 4) hextets.push('0');
  const fourth = (parseInt(hextets[3] ?? '0', 16) & 0xff00) | (n & 0xff);
  return `${hextets.slice(0, 3).join(':')}:${fourth.toString(16)}::/64`;
};

export const seedNetwork = async ({ ec2 }: Ec2Clients, region: string): Promise<NetworkWorld> => {
  const az = `${region}b`;
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16', AmazonProvidedIpv6CidrBlock: true, TagSpecifications: tags('vpc', { Name: 'prod' }) }));
  const imageId = MOTO_IMAGE_ID;
  const vpcId = must(vpc.Vpc?.VpcId, 'vpc id');
  const described = await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }));
  const v6 = must(described.Vpcs?.[0]?.Ipv6CidrBlockAssociationSet?.[0]?.Ipv6CidrBlock, 'the vpc ipv6 block');
  const subnet = async (cidr: string, n: number): Promise<string> => {
    const s = await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, Ipv6CidrBlock: subnetV6(v6, n), AvailabilityZone: az, TagSpecifications: tags('subnet', { Name: `prod-${n}` }) }),
    );
    return must(s.Subnet?.SubnetId, 'subnet id');
  };
  const subnetIds = (await Promise.all([subnet('10.20.11.0/24', 1), subnet('10.20.42.0/24', 2), subnet('10.20.43.0/24', 3)])) as [string, string, string];
  const group = async (name: string): Promise<string> =>
    must((await ec2.send(new CreateSecurityGroupCommand({ GroupName: name, Description: `${name} tier`, VpcId: vpcId }))).GroupId, `group ${name}`);
  const [web, ssh, app, batch] = await Promise.all(['web-frontend', 'ssh-from-bastion', 'app-backend', 'batch-worker'].map(group));
  const ingress = (groupId: string | undefined, port: number, from: { v4?: string; v6?: string; group?: string }) =>
    ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: port,
            ToPort: port,
            ...(from.v4 ? { IpRanges: [{ CidrIp: from.v4 }] } : {}),
            ...(from.v6 ? { Ipv6Ranges: [{ CidrIpv6: from.v6 }] } : {}),
            ...(from.group ? { UserIdGroupPairs: [{ GroupId: from.group }] } : {}),
          },
        ],
      }),
    );
  await Promise.all([
    ingress(web, 443, { v4: '0.0.0.0/0', v6: '::/0' }),
    ingress(ssh, 22, { v4: '10.20.0.0/16' }),
    ingress(app, 8080, { group: web }),
    ingress(batch, 9000, { v4: '10.20.0.0/16' }),
  ]);
  return {
    vpcId,
    subnetIds,
    groups: { 'web-frontend': must(web, 'web'), 'ssh-from-bastion': must(ssh, 'ssh'), 'app-backend': must(app, 'app'), 'batch-worker': must(batch, 'batch') },
    imageId,
    az,
  };
};

export const instanceProfile = async (iam: IAMClient, name: string, roleName: string): Promise<string> => {
  await iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: TRUST_EC2 }));
  const profile = await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name }));
  await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: roleName }));
  return must(profile.InstanceProfile?.Arn, 'instance profile arn');
};

/** A plain instance with one ENI (the stolen-credentials scenario's worker). */
export const seedWorker = async ({ ec2 }: Ec2Clients, net: NetworkWorld, profileArn: string): Promise<{ instanceId: string; eniId: string }> => {
  const out = await ec2.send(
    new RunInstancesCommand({
      ImageId: net.imageId,
      InstanceType: 'm6i.large',
      MinCount: 1,
      MaxCount: 1,
      IamInstanceProfile: { Arn: profileArn },
      NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: net.subnetIds[1], Groups: [must(net.groups['batch-worker'], 'batch group')] }],
      TagSpecifications: tags('instance', { Name: 'batch-worker' }),
    }),
  );
  const instance = must(out.Instances?.[0], 'worker instance');
  return { instanceId: must(instance.InstanceId, 'worker id'), eniId: must(instance.NetworkInterfaces?.[0]?.NetworkInterfaceId, 'worker eni') };
};

export interface SeedOptions {
  /** Prefixes every name the instance's world takes (ASG, profile, role, target groups, load balancer): one world per name and account. @default 'web-frontend' */
  readonly name?: string;
  /**
   * Launch with a network-interface spec (the groups on the primary ENI) instead of SubnetId +
   * SecurityGroupIds. moto 5.2.1 then has no launch groups to add to every attached ENI's groups
   * (state.ts), so what the isolation records as an ENI's original groups is exactly its own, as in
   * AWS: the release scenario restores them. @default false
   */
  readonly interfaceSpec?: boolean;
}

export const seedCompromisedInstance = async (clients: Ec2Clients, iam: IAMClient, net: NetworkWorld, options: SeedOptions = {}): Promise<Ec2World> => {
  const name = options.name ?? 'web-frontend';
  const { ec2, autoScaling, elbv2, elb } = clients;
  const g = (name: string) => must(net.groups[name], `group ${name}`);
  const asgName = `${name}-asg`;
  const profileArn = await instanceProfile(iam, `${name}-instance`, `${name}-role`);
  await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: name, LaunchTemplateData: { ImageId: net.imageId, InstanceType: 'm6i.large', SecurityGroupIds: [g('web-frontend')] } }));
  await autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: asgName,
      LaunchTemplate: { LaunchTemplateName: name, Version: '$Latest' },
      MinSize: 1,
      MaxSize: 4,
      DesiredCapacity: 1,
      VPCZoneIdentifier: net.subnetIds[0],
    }),
  );
  // Launched with SubnetId + SecurityGroupIds (its launch groups), like most instances; the
  // second ENI (in the finding) and the third (attached later, absent from it) come after.
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: net.imageId,
      InstanceType: 'm6i.large',
      MinCount: 1,
      MaxCount: 1,
      IamInstanceProfile: { Arn: profileArn },
      ...(options.interfaceSpec
        ? { NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: net.subnetIds[0], Groups: [g('web-frontend'), g('ssh-from-bastion')] }] }
        : { SubnetId: net.subnetIds[0], SecurityGroupIds: [g('web-frontend'), g('ssh-from-bastion')] }),
      TagSpecifications: tags('instance', { Name: name, Environment: 'production' }),
    }),
  );
  const instance = must(run.Instances?.[0], 'instance');
  const instanceId = must(instance.InstanceId, 'instance id');
  const primary = must(instance.NetworkInterfaces?.[0]?.NetworkInterfaceId, 'primary eni');
  await ec2.send(new AssignIpv6AddressesCommand({ NetworkInterfaceId: primary, Ipv6AddressCount: 1 }));
  const attach = async (subnetId: string, deviceIndex: number, description: string): Promise<string> => {
    const eni = await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId, Groups: [g('app-backend')], Ipv6AddressCount: 1, Description: description }));
    const eniId = must(eni.NetworkInterface?.NetworkInterfaceId, description);
    await ec2.send(new AttachNetworkInterfaceCommand({ InstanceId: instanceId, NetworkInterfaceId: eniId, DeviceIndex: deviceIndex }));
    return eniId;
  };
  const eniIds: [string, string, string] = [primary, await attach(net.subnetIds[1], 1, 'backend'), await attach(net.subnetIds[2], 2, 'attached after the finding')];

  const data = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: net.az, Size: 50, TagSpecifications: tags('volume', { Name: 'web-data' }) }));
  const dataId = must(data.VolumeId, 'data volume');
  await ec2.send(new AttachVolumeCommand({ InstanceId: instanceId, VolumeId: dataId, Device: '/dev/sdf' }));
  const root = must(instance.BlockDeviceMappings?.[0]?.Ebs?.VolumeId ?? undefined, 'root volume');

  await autoScaling.send(new AttachInstancesCommand({ AutoScalingGroupName: asgName, InstanceIds: [instanceId] }));

  const tg = async (name: string, port: number): Promise<string> =>
    must(
      (await elbv2.send(new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: port, VpcId: net.vpcId, TargetType: 'instance' }))).TargetGroups?.[0]?.TargetGroupArn,
      `target group ${name}`,
    );
  const targetGroupArns = await Promise.all([tg(`${name}-https`, 443), tg(`${name}-health`, 8081)]);
  const classicElb = `${name}-classic`;
  await elb.send(
    new CreateLoadBalancerCommand({
      LoadBalancerName: classicElb,
      Listeners: [{ Protocol: 'HTTP', LoadBalancerPort: 80, InstanceProtocol: 'HTTP', InstancePort: 8080 }],
      Subnets: [net.subnetIds[0]],
      SecurityGroups: [g('web-frontend')],
    }),
  );
  const group = await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [asgName] }));
  const asgInstanceId = must(group.AutoScalingGroups?.[0]?.Instances?.find((i) => i.InstanceId !== instanceId)?.InstanceId, 'the asg instance');
  await Promise.all([
    ...targetGroupArns.map((arn, i) =>
      elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [instanceId, asgInstanceId].map((Id) => ({ Id, Port: i === 0 ? 443 : 8081 })) })),
    ),
    elb.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: classicElb, Instances: [{ InstanceId: instanceId }, { InstanceId: asgInstanceId }] })),
  ]);
  const eip = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
  const allocationId = must(eip.AllocationId, 'eip allocation');
  // By instance (AWS puts it on the primary ENI). Associated by ENI id, moto 5.2.1 reports no
  // InstanceId for the address and its `instance-id` filter misses it, unlike AWS.
  await ec2.send(new AssociateAddressCommand({ AllocationId: allocationId, InstanceId: instanceId }));
  return { ...net, instanceId, eniIds, volumeIds: [root, dataId], asgName, asgInstanceId, targetGroupArns, classicElb, allocationId, profileArn };
};

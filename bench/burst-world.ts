import { NoSuchEntityException } from '@aws-sdk/client-iam';

/**
 * The AWS the burst runs against: every member account has one running instance per EC2 finding
 * (one ENI, one volume, no Auto Scaling group, load balancer, Elastic IP or instance profile) in its
 * own VPC, so the isolation groups are created, and one IAM user per leaked key with two active keys.
 */
export interface World {
  readonly publicKeyDer: Buffer;
  readonly sign: (digest: Uint8Array) => Buffer;
  /** S3 objects by key (PutObject honours IfNoneMatch). */
  readonly objects: Map<string, number>;
  /** Containment calls per target: a count above 1 is a duplicated containment. */
  readonly containments: Map<string, number>;
  /** Security groups Cordon created, by id, with their rules (verified before any ENI is touched). */
  readonly groups: Map<string, Rules>;
  breakerAdmitted?: number;
  breakerOpenedAt?: number;
}

/** Member accounts of the burst; finding n is in account n % ACCOUNTS. */
export const ACCOUNTS = 100;

const instanceIdOf = (n: number): string => `i-${(0x10000000 + n).toString(16)}00000000`;

/** The member account of an EC2 call, from the instance id it names (directly or in an ENI id). */
export const accountOf = (input: unknown): string => {
  const m = /i-([0-9a-f]{8})00000000/.exec(JSON.stringify(input));
  return m ? account(parseInt(m[1]!, 16) - 0x10000000) : 'unknown';
};

export const account = (n: number): string => String(200000000000 + (n % ACCOUNTS));

/** The finding of index `n`: EC2 for two of every three, else a leaked access key. */
export const finding = (n: number): { event: Record<string, unknown>; handler: 'isolate' | 'revoke'; target: string } => {
  const acct = account(n);
  const id = `burst-${String(n).padStart(4, '0')}`;
  const ec2 = n % 3 !== 2;
  const instanceId = instanceIdOf(n);
  const key = `AKIA${String(n).padStart(16, '0')}`;
  return {
    handler: ec2 ? 'isolate' : 'revoke',
    target: ec2 ? instanceId : key,
    event: {
      version: '0', id: `evt-${id}`, 'detail-type': 'GuardDuty Finding', source: 'aws.guardduty', account: acct, region: 'us-east-1',
      time: '2026-12-01T10:00:00Z', resources: [],
      detail: {
        schemaVersion: '2.0', accountId: acct, region: 'us-east-1', id, severity: 8, updatedAt: '2026-12-01T10:00:00Z',
        ...(ec2
          ? { type: 'Backdoor:EC2/C&CActivity.B!DNS', resource: { resourceType: 'Instance', instanceDetails: { instanceId } } }
          : {
              type: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom',
              resource: { resourceType: 'AccessKey', accessKeyDetails: { accessKeyId: key, principalId: `AIDA${n}`, userName: `user-${n}`, userType: 'IAMUser' } },
            }),
        service: { serviceName: 'guardduty', eventLastSeen: '2026-12-01T09:59:00Z', additionalInfo: { sample: false } },
      },
    },
  };
};

interface Permission {
  readonly IpProtocol?: string;
  readonly IpRanges?: { CidrIp?: string }[];
  readonly Ipv6Ranges?: { CidrIpv6?: string }[];
}
export interface Rules {
  IpPermissions: Permission[];
  IpPermissionsEgress: Permission[];
}

const awsError = (name: string, status: number, message: string): Error => Object.assign(new Error(message), { name, Code: name, $metadata: { httpStatusCode: status } });

const sameRule = (a: Permission, b: Permission): boolean =>
  a.IpProtocol === b.IpProtocol &&
  JSON.stringify((a.IpRanges ?? []).map((r) => r.CidrIp)) === JSON.stringify((b.IpRanges ?? []).map((r) => r.CidrIp)) &&
  JSON.stringify((a.Ipv6Ranges ?? []).map((r) => r.CidrIpv6)) === JSON.stringify((b.Ipv6Ranges ?? []).map((r) => r.CidrIpv6));

/** Authorize / revoke like EC2: a rule already there is a Duplicate, a missing one NotFound. */
const changeRules = (world: World, input: Record<string, unknown>, side: keyof Rules, add: boolean): unknown => {
  const group = world.groups.get(String(input.GroupId));
  if (!group) throw awsError('InvalidGroup.NotFound', 400, `The security group '${String(input.GroupId)}' does not exist`);
  for (const rule of input.IpPermissions as Permission[]) {
    const at = group[side].findIndex((r) => sameRule(r, rule));
    if (add && at >= 0) throw awsError('InvalidPermission.Duplicate', 400, 'the specified rule already exists');
    if (!add && at < 0) throw awsError('InvalidPermission.NotFound', 400, 'the specified rule does not exist in this security group');
    if (add) group[side].push(rule);
    else group[side].splice(at, 1);
  }
  return {};
};

const count = (world: World, target: string): void => {
  world.containments.set(target, (world.containments.get(target) ?? 0) + 1);
};

const filterValue = (input: Record<string, unknown>, name: string): string =>
  (input.Filters as { Name: string; Values: string[] }[] | undefined)?.find((f) => f.Name === name)?.Values[0] ?? '';

const first = (value: unknown): string => (Array.isArray(value) ? String(value[0]) : String(value ?? ''));

/** The answer of `Service:Operation` to `input`; throws like AWS where the world says so. */
export const answer = (world: World, api: string, input: Record<string, unknown>): unknown => {
  switch (api) {
    case 'SSM:GetParameter':
      return { Parameter: { Name: input.Name, Value: 'enforce', Type: 'String' } };
    case 'KMS:GetPublicKey':
      return { KeyId: input.KeyId, PublicKey: new Uint8Array(world.publicKeyDer), KeySpec: 'ECC_NIST_P256', SigningAlgorithms: ['ECDSA_SHA_256'] };
    case 'KMS:Sign':
      return { KeyId: input.KeyId, Signature: new Uint8Array(world.sign(input.Message as Uint8Array)), SigningAlgorithm: 'ECDSA_SHA_256' };
    case 'S3:PutObject': {
      const key = String(input.Key);
      if (input.IfNoneMatch === '*' && world.objects.has(key)) {
        throw Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), { name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
      }
      world.objects.set(key, 1);
      return { ETag: '"etag"', VersionId: 'v1' };
    }
    case 'STS:AssumeRole':
      return { Credentials: { AccessKeyId: 'ASIABURST', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date(Date.now() + 900_000) } };
    case 'SNS:Publish':
      return { MessageId: 'm' };
    case 'SFN:StartSyncExecution':
      return { status: 'SUCCEEDED', output: JSON.stringify({ policyName: 'cordon-revoke-sessions', document: '{"Version":"2012-10-17","Statement":[]}' }) };
    case 'EC2:DescribeInstances': {
      const id = first(input.InstanceIds);
      return {
        Reservations: [
          {
            Instances: [
              {
                InstanceId: id,
                State: { Name: 'running' },
                VpcId: `vpc-${id}`,
                Tags: [],
                BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeId: `vol-${id}`, DeleteOnTermination: true } }],
                NetworkInterfaces: [eni(id)],
              },
            ],
          },
        ],
      };
    }
    case 'EC2:DescribeNetworkInterfaces':
      return { NetworkInterfaces: [eni(filterValue(input, 'attachment.instance-id'))] };
    case 'EC2:DescribeVolumes':
      return { Volumes: [{ VolumeId: `vol-${filterValue(input, 'attachment.instance-id')}` }] };
    case 'EC2:DescribeAddresses':
      return { Addresses: [] };
    case 'EC2:DescribeIamInstanceProfileAssociations':
      return { IamInstanceProfileAssociations: [] };
    case 'EC2:DescribeSecurityGroups': {
      // By id (the verification); by tag or name: none, every instance is in a VPC of its own.
      const ids = (input.GroupIds as string[] | undefined) ?? [];
      return { SecurityGroups: ids.flatMap((id) => { const g = world.groups.get(id); return g ? [{ GroupId: id, ...structuredClone(g) }] : []; }) };
    }
    case 'EC2:CreateSecurityGroup': {
      const id = `sg-${String(input.GroupName).includes('allow') ? 'allow' : 'iso'}-${String(input.VpcId)}`;
      if (world.groups.has(id)) throw awsError('InvalidGroup.Duplicate', 400, `The security group '${String(input.GroupName)}' already exists for VPC '${String(input.VpcId)}'`);
      // A new group allows all IPv4 egress, as in EC2.
      world.groups.set(id, { IpPermissions: [], IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] });
      return { GroupId: id };
    }
    case 'EC2:AuthorizeSecurityGroupIngress':
      return changeRules(world, input, 'IpPermissions', true);
    case 'EC2:AuthorizeSecurityGroupEgress':
      return changeRules(world, input, 'IpPermissionsEgress', true);
    case 'EC2:RevokeSecurityGroupIngress':
      return changeRules(world, input, 'IpPermissions', false);
    case 'EC2:RevokeSecurityGroupEgress':
      return changeRules(world, input, 'IpPermissionsEgress', false);
    case 'EC2:ModifyNetworkInterfaceAttribute':
      if (first(input.Groups).startsWith('sg-iso-')) count(world, String(input.NetworkInterfaceId));
      return {};
    case 'EC2:DescribeRouteTables':
      return { RouteTables: [] };
    case 'EC2:GetConsoleOutput':
      return { InstanceId: input.InstanceId, Output: Buffer.from('login:').toString('base64'), Timestamp: new Date() };
    case 'EC2:GetConsoleScreenshot':
      return { InstanceId: input.InstanceId, ImageData: Buffer.from([0xff, 0xd8, 0xff, 0xd9]).toString('base64') };
    case 'S3:HeadObject':
      if (world.objects.has(String(input.Key))) return {};
      throw awsError('NotFound', 404, 'Not Found');
    case 'IAM:GetUserPolicy':
      throw new NoSuchEntityException({ message: 'no cordon-revoke-sessions policy yet', $metadata: {} });
    case 'EC2:CreateSnapshots':
      return { Snapshots: [{ SnapshotId: `snap-${String((input.InstanceSpecification as { InstanceId: string }).InstanceId)}`, VolumeId: 'vol' }] };
    case 'AutoScaling:DescribeAutoScalingInstances':
      return { AutoScalingInstances: [] };
    case 'ElasticLoadBalancingV2:DescribeTargetGroups':
      return { TargetGroups: [] };
    case 'ElasticLoadBalancing:DescribeLoadBalancers':
      return { LoadBalancerDescriptions: [] };
    case 'IAM:GetUser':
      return { User: { UserName: input.UserName, Path: '/', Arn: `arn:aws:iam::000000000000:user/${String(input.UserName)}`, UserId: 'AIDA', CreateDate: new Date(0) } };
    case 'IAM:ListUserTags':
      return { Tags: [], IsTruncated: false };
    case 'IAM:ListAccessKeys':
      // user-n: the leaked key of finding n and one other.
      return {
        AccessKeyMetadata: [
          { UserName: input.UserName, AccessKeyId: `AKIA${String(input.UserName).slice('user-'.length).padStart(16, '0')}`, Status: 'Active' },
          { UserName: input.UserName, AccessKeyId: 'AKIAOTHERKEY00000000', Status: 'Active' },
        ],
        IsTruncated: false,
      };
    case 'IAM:GetLoginProfile':
      throw new NoSuchEntityException({ message: 'no login profile', $metadata: {} });
    case 'IAM:GetAccessKeyLastUsed':
      // The leaked key of finding n belongs to user-n.
      return { UserName: `user-${Number(String(input.AccessKeyId).slice(4))}`, AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' } };
    case 'IAM:UpdateAccessKey':
      if (input.Status === 'Inactive') count(world, String(input.AccessKeyId));
      return {};
    default:
      // Every other mutation (protect, snapshot tags, policies) succeeds with an empty answer.
      if (/:(Modify|Create|Put|Update|Disassociate|Detach|Deregister|Revoke|Authorize|Associate|Replace|Attach|Delete)/.test(api)) return {};
      throw new Error(`burst world: no answer for ${api}`);
  }
};

const eni = (instanceId: string) => ({
  NetworkInterfaceId: `eni-${instanceId}`,
  VpcId: `vpc-${instanceId}`,
  Groups: [{ GroupId: 'sg-web' }],
  Attachment: { DeviceIndex: 0 },
  PrivateIpAddresses: [{ PrivateIpAddress: '10.0.0.1' }],
  Ipv6Addresses: [],
});

/** What the burst's clients sent, counted as it happened (bench/burst.ts intercepts every send). */
export interface Traffic {
  readonly calls: Map<string, number>;
  readonly inflight: Map<string, number>;
  readonly peak: Map<string, number>;
  /** API -> second -> calls started in it. */
  readonly perSecond: Map<string, Map<number, number>>;
  /** Approximate item bytes of every DynamoDB write (for write request units). */
  readonly dynamoWriteBytes: number[];
  readonly start: number;
}

/** A responder's Lambda handler as the burst invokes it. */
export type Handler = (event: unknown, context: { invokedFunctionArn: string; awsRequestId: string; getRemainingTimeInMillis(): number }) => Promise<{ decision: string; reason?: string }>;

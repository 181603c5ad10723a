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

const ISOLATION_SG = 'sg-cordon-isolation';
const ALLOW_ALL_SG = 'sg-cordon-allow-all';

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
    case 'EC2:DescribeSecurityGroups':
      return { SecurityGroups: [] };
    case 'EC2:CreateSecurityGroup':
      return { GroupId: String(input.GroupName).includes('allow') ? ALLOW_ALL_SG : ISOLATION_SG };
    case 'EC2:ModifyNetworkInterfaceAttribute':
      if (first(input.Groups) === ISOLATION_SG) count(world, String(input.NetworkInterfaceId));
      return {};
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
      return { AccessKeyMetadata: [{ UserName: input.UserName, AccessKeyId: 'AKIAOTHERKEY00000000', Status: 'Active' }], IsTruncated: false };
    case 'IAM:GetLoginProfile':
      throw new NoSuchEntityException({ message: 'no login profile', $metadata: {} });
    case 'IAM:GetAccessKeyLastUsed':
      return { UserName: 'user' };
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

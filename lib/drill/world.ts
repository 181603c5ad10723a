import {
  DescribeAutoScalingInstancesCommand,
  type AutoScalingClient,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeAddressesCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVolumesCommand,
  type EC2Client,
  type Filter,
} from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand, type ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { GuardDutyClient } from '@aws-sdk/client-guardduty';
import {
  GetAccessKeyLastUsedCommand,
  GetLoginProfileCommand,
  GetRoleCommand,
  GetUserCommand,
  ListAccessKeysCommand,
  ListRoleTagsCommand,
  ListUserTagsCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { Ec2Clients } from '../../lambdas/isolation/types';
import type { WorldFacts } from './facts';

/**
 * The drill's AWS: fake clients (objects with a `send(command)` that dispatches on the command
 * class) answering every read from what the event itself says, and REFUSING every mutating call
 * (it throws, and is logged): a dry-run must make none, and the drill proves it.
 *
 * Reads: a handler per command class; any other `Describe*` / `Get*` / `List*` answers empty.
 * AssumeRole answers fake credentials (it changes nothing). Everything else is a mutation.
 */

/** One AWS call the fake world saw. */
export interface WorldCall {
  readonly service: string;
  /** Command name without the `Command` suffix, e.g. `DescribeInstances`. */
  readonly command: string;
  readonly input: unknown;
  readonly mutating: boolean;
  /** Who signs the call: a Cordon principal (`isolation`, `member-isolation`...) in an account. */
  readonly sender?: Sender;
  /** The answer, when the call succeeded (the authorization check learns tags from it). */
  output?: unknown;
}

/**
 * The principal whose credentials a fake client signs with (a home function role, or a member role
 * after AssumeRole), and where the client sends: the authorization check evaluates each call as it.
 */
export interface Sender {
  readonly principal: string;
  readonly account: string;
  readonly region: string;
}

/** The sender of a client built for `access`: the function's own role, or its member role in a member account. */
export const senderOf = (responder: 'isolation' | 'credentials', access: { readonly account: string; readonly region: string; readonly credentials?: unknown }): Sender => ({
  principal: access.credentials ? `member-${responder}` : responder,
  account: access.account,
  region: access.region,
});

/** A mutating call reached the fake world: the drill refused it. */
export class MutationRefusedError extends Error {
  override readonly name = 'MutationRefusedError';
}

/** An AWS-shaped error (name + $metadata), as the SDK throws. */
export const awsError = (name: string, message: string, status = 400): Error =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

type CommandClass = abstract new (...args: never[]) => { readonly input: object };
type Handler = (input: Record<string, unknown>) => object;

const READ = /^(Describe|Get|List)/;

/** The ordered log of every call, shared by all the fake clients of one event. */
export class CallLog {
  readonly calls: WorldCall[] = [];
  private seq = 0;

  get mutations(): WorldCall[] {
    return this.calls.filter((c) => c.mutating);
  }

  nextRequestId(): string {
    this.seq += 1;
    return `drill-${String(this.seq).padStart(6, '0')}`;
  }
}

/** A fake SDK client: `send` dispatches on the command class. */
export class FakeClient {
  private readonly handlers = new Map<CommandClass, Handler>();

  constructor(
    private readonly log: CallLog,
    readonly service: string,
    readonly sender?: Sender,
  ) {}

  on<C extends CommandClass>(command: C, handler: (input: InstanceType<C>['input'] & Record<string, unknown>) => object): this {
    this.handlers.set(command, handler as Handler);
    return this;
  }

  send(command: { readonly input?: object }): Promise<unknown> {
    const ctor = (command as object).constructor as CommandClass;
    const name = ctor.name.replace(/Command$/, '');
    const input = (command.input ?? {}) as Record<string, unknown>;
    const handler = this.handlers.get(ctor);
    const mutating = !handler && !READ.test(name);
    const call: WorldCall = { service: this.service, command: name, input, mutating, ...(this.sender ? { sender: this.sender } : {}) };
    this.log.calls.push(call);
    if (mutating) {
      return Promise.reject(
        new MutationRefusedError(`drill refused ${this.service}:${name}: the drill runs in dry-run and must make no mutating call`),
      );
    }
    try {
      const out = handler ? handler(input) : {};
      call.output = out;
      return Promise.resolve({ ...out, $metadata: { httpStatusCode: 200, requestId: this.log.nextRequestId() } });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The fake typed as the SDK client the domain code expects (it only ever calls `send`). */
  as<T>(): T {
    return this as unknown as T;
  }
}

const tagList = (tags: Readonly<Record<string, string>>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

const filterValues = (filters: unknown, name: string): string[] | undefined =>
  (filters as Filter[] | undefined)?.find((f) => f.Name === name)?.Values;

/** EC2, Auto Scaling, ELB and ELBv2 clients over the instances the event names. */
export const ec2World = (facts: WorldFacts, log: CallLog, sender?: Sender): Ec2Clients => {
  const instances = facts.instances;
  const byId = (id: unknown) => instances.find((i) => i.instanceId === id);
  const forFilter = (filters: unknown, name: string) => {
    const ids = filterValues(filters, name);
    return ids ? instances.filter((i) => ids.includes(i.instanceId)) : instances;
  };
  const eniShape = (instanceId: string) => (e: WorldFacts['instances'][number]['enis'][number], index: number) => ({
    NetworkInterfaceId: e.eniId,
    ...(e.vpcId ? { VpcId: e.vpcId } : {}),
    ...(e.subnetId ? { SubnetId: e.subnetId } : {}),
    Groups: e.groupIds.map((GroupId) => ({ GroupId })),
    Attachment: { DeviceIndex: index, InstanceId: instanceId, Status: 'attached' },
    PrivateIpAddresses: e.privateIps.map((PrivateIpAddress, n) => ({ PrivateIpAddress, Primary: n === 0 })),
    Ipv6Addresses: e.ipv6.map((Ipv6Address) => ({ Ipv6Address })),
    RequesterManaged: false,
  });

  const ec2 = new FakeClient(log, 'ec2', sender)
    .on(DescribeInstancesCommand, (input) => {
      const wanted = input.InstanceIds ?? [];
      const found = wanted.map(byId).filter((i) => i !== undefined);
      if (wanted.length > 0 && found.length === 0) {
        throw awsError('InvalidInstanceID.NotFound', `The instance ID '${wanted.join(',')}' does not exist`);
      }
      return {
        Reservations: found.map((i) => ({
          Instances: [
            {
              InstanceId: i.instanceId,
              State: { Name: i.state },
              ...(i.vpcId ? { VpcId: i.vpcId } : {}),
              Tags: tagList(i.tags),
              BlockDeviceMappings: i.volumes.map((v) => ({
                DeviceName: v.device,
                Ebs: { VolumeId: v.volumeId, DeleteOnTermination: v.deleteOnTermination, Status: 'attached' },
              })),
              ...(i.profileArn ? { IamInstanceProfile: { Arn: i.profileArn } } : {}),
              NetworkInterfaces: i.enis.map(eniShape(i.instanceId)),
            },
          ],
        })),
      };
    })
    .on(DescribeNetworkInterfacesCommand, (input) => ({
      NetworkInterfaces: forFilter(input.Filters, 'attachment.instance-id').flatMap((i) => i.enis.map(eniShape(i.instanceId))),
    }))
    .on(DescribeVolumesCommand, (input) => ({
      Volumes: forFilter(input.Filters, 'attachment.instance-id').flatMap((i) =>
        i.volumes.map((v) => ({ VolumeId: v.volumeId, Attachments: [{ InstanceId: i.instanceId, Device: v.device, State: 'attached' }] })),
      ),
    }))
    .on(DescribeAddressesCommand, (input) => ({
      Addresses: forFilter(input.Filters, 'instance-id').flatMap((i) =>
        i.elasticIps.map((a) => ({ ...a, InstanceId: i.instanceId, Domain: 'vpc' })),
      ),
    }))
    .on(DescribeIamInstanceProfileAssociationsCommand, (input) => ({
      IamInstanceProfileAssociations: forFilter(input.Filters, 'instance-id').flatMap((i) =>
        i.profileArn
          ? [{ AssociationId: `iip-assoc-${i.instanceId.slice(2)}`, InstanceId: i.instanceId, IamInstanceProfile: { Arn: i.profileArn }, State: 'associated' }]
          : [],
      ),
    }))
    // No Cordon isolation groups exist yet in a drill world: the plan shows their creation.
    .on(DescribeSecurityGroupsCommand, () => ({ SecurityGroups: [] }));

  const autoScaling = new FakeClient(log, 'autoscaling', sender).on(DescribeAutoScalingInstancesCommand, (input) => ({
    AutoScalingInstances: (input.InstanceIds ?? []).flatMap((id) => {
      const i = byId(id);
      return i?.autoScalingGroup
        ? [{ InstanceId: i.instanceId, AutoScalingGroupName: i.autoScalingGroup, LifecycleState: 'InService', HealthStatus: 'HEALTHY' }]
        : [];
    }),
  }));

  const groups = instances.flatMap((i) => i.targetGroups.map((g) => ({ ...g, instance: i })));
  const elbv2 = new FakeClient(log, 'elbv2', sender)
    .on(DescribeTargetGroupsCommand, () => ({
      TargetGroups: groups.map((g) => ({ TargetGroupArn: g.arn, VpcId: g.instance.vpcId, TargetType: g.type, Port: g.port })),
    }))
    .on(DescribeTargetHealthCommand, (input) => ({
      TargetHealthDescriptions: groups
        .filter((g) => g.arn === input.TargetGroupArn)
        .map((g) => ({
          Target: { Id: g.type === 'ip' ? (g.instance.enis[0]?.privateIps[0] ?? '') : g.instance.instanceId, Port: g.port },
          TargetHealth: { State: 'healthy' },
        })),
    }));

  const classic = [...new Set(instances.flatMap((i) => i.classicLoadBalancers))];
  const elb = new FakeClient(log, 'elb', sender).on(DescribeLoadBalancersCommand, () => ({
    LoadBalancerDescriptions: classic.map((name) => ({
      LoadBalancerName: name,
      Instances: instances.filter((i) => i.classicLoadBalancers.includes(name)).map((i) => ({ InstanceId: i.instanceId })),
    })),
  }));

  return {
    ec2: ec2.as<EC2Client>(),
    autoScaling: autoScaling.as<AutoScalingClient>(),
    elbv2: elbv2.as<ElasticLoadBalancingV2Client>(),
    elb: elb.as<ElasticLoadBalancingClient>(),
  };
};

const noSuchEntity = (what: string) => awsError('NoSuchEntityException', `The ${what} cannot be found.`, 404);

/** IAM over the users, keys and roles the event names. */
export const iamWorld = (facts: WorldFacts, log: CallLog, account: string, sender?: Sender): IAMClient => {
  const user = (name: unknown) => {
    const u = facts.users.find((x) => x.userName === name);
    if (!u) throw noSuchEntity(`user with name ${String(name)}`);
    return u;
  };
  const role = (name: unknown) => {
    const r = facts.roles.find((x) => x.roleName === name);
    if (!r) throw noSuchEntity(`role with name ${String(name)}`);
    return r;
  };
  const created = new Date('2024-01-15T09:30:00Z');
  return new FakeClient(log, 'iam', sender)
    .on(GetUserCommand, (input) => {
      const u = user(input.UserName);
      return { User: { UserName: u.userName, UserId: `AIDA${u.userName.toUpperCase().replace(/[^A-Z0-9]/g, '').padEnd(17, 'X').slice(0, 17)}`, Arn: `arn:aws:iam::${account}:user/${u.userName}`, Path: '/', CreateDate: created } };
    })
    .on(ListUserTagsCommand, (input) => ({ Tags: tagList(user(input.UserName).tags), IsTruncated: false }))
    .on(ListAccessKeysCommand, (input) => {
      const u = user(input.UserName);
      return {
        AccessKeyMetadata: u.keys.map((k) => ({ UserName: u.userName, AccessKeyId: k.accessKeyId, Status: k.status, CreateDate: created })),
        IsTruncated: false,
      };
    })
    .on(GetLoginProfileCommand, (input) => {
      const u = user(input.UserName);
      if (!u.consolePassword) throw noSuchEntity(`login profile for ${u.userName}`);
      return { LoginProfile: { UserName: u.userName, CreateDate: created, PasswordResetRequired: false } };
    })
    .on(GetAccessKeyLastUsedCommand, (input) => {
      const owner = facts.users.find((u) => u.keys.some((k) => k.accessKeyId === input.AccessKeyId));
      if (!owner) {
        throw awsError('AccessDenied', `the event does not say which user owns access key ${String(input.AccessKeyId)}`, 403);
      }
      return { UserName: owner.userName, AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' } };
    })
    .on(GetRoleCommand, (input) => {
      const r = role(input.RoleName);
      return { Role: { RoleName: r.roleName, RoleId: 'AROADRILLROLE0000000', Arn: `arn:aws:iam::${account}:role${r.path}${r.roleName}`, Path: r.path, CreateDate: created } };
    })
    .on(ListRoleTagsCommand, (input) => ({ Tags: tagList(role(input.RoleName).tags), IsTruncated: false }))
    .as<IAMClient>();
};

/** STS: AssumeRole into a member account answers fake, short-lived credentials. */
export const stsWorld = (log: CallLog, sender?: Sender): STSClient =>
  new FakeClient(log, 'sts', sender)
    .on(AssumeRoleCommand, (input) => ({
      Credentials: {
        AccessKeyId: 'ASIADRILLDRILLDRILL0',
        SecretAccessKey: 'drill-not-a-secret',
        SessionToken: 'drill-session',
        Expiration: new Date(Date.now() + 900_000),
      },
      AssumedRoleUser: { Arn: `${String(input.RoleArn)}/${String(input.RoleSessionName)}`, AssumedRoleId: 'AROADRILL:drill' },
    }))
    .as<STSClient>();

/** GuardDuty: manual requests naming a finding; the drill knows no findings beyond the event. */
export const guardDutyWorld = (log: CallLog, sender?: Sender): GuardDutyClient => new FakeClient(log, 'guardduty', sender).as<GuardDutyClient>();

import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { STSClient } from '@aws-sdk/client-sts';
import { performance } from 'node:perf_hooks';
import type { EvidenceWriter } from '../lambdas/evidence/types';
import { respond, type RespondDeps } from '../lambdas/isolation/respond';
import { defaultIsolationConfig, type Ec2Clients } from '../lambdas/isolation/types';
import { commandName } from './command-name';
import { cpuRows } from './deployed';
import { allocatedPerCall, figures, JIT_WARM_UP, type CpuFigures } from './stats';
import type { BenchRow } from './types';

/**
 * EC2 isolation benchmarks.
 *
 * Round trips: every AWS call and every evidence append is answered by a stub after a fixed
 * latency; sequential round trips = elapsed / latency, to the network cut (the last ENI moved to
 * the isolation group) and to the end (the outcome record). CPU: the same flow with zero-latency
 * stubs (no signing: the evidence stub only counts), p50/p99 over many findings.
 */

const HOME = '111111111111';
const MEMBER = '222222222222';
const REGION = 'eu-west-1';
const INSTANCE = 'i-0123456789abcdef0';
const VPC = 'vpc-1';
const ISOLATION = 'sg-iso';
const ALLOW_ALL = 'sg-allow';

type Responses = Record<string, (input: Record<string, unknown>) => unknown>;

/**
 * A virtual clock: `sleep` parks the caller; once every runnable promise has run (setImmediate
 * fires after the microtask queue drains) time jumps to the next wake-up. Elapsed time is then
 * exactly latency x sequential round trips, with no timer drift.
 */
class VirtualClock {
  now = 0;
  private pending: { at: number; resolve: () => void }[] = [];
  private scheduled = false;

  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.pending.push({ at: this.now + ms, resolve });
      this.kick();
    });
  }

  private kick(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.tick());
  }

  private tick(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const next = Math.min(...this.pending.map((p) => p.at));
    this.now = next;
    const due = this.pending.filter((p) => p.at <= next);
    this.pending = this.pending.filter((p) => p.at > next);
    for (const p of due) p.resolve();
    if (this.pending.length > 0) this.kick();
  }
}

/** The busy instance of the tests: 3 ENIs (one IPv6), ASG, 2 of 3 target groups, a classic ELB,
 * 2 EIPs, an instance profile, 2 volumes. `groupsExist` false = first isolation in the VPC. */
const responses = (groupsExist: boolean): Responses => {
  const eni = (id: string, index: number, ip: string) => ({
    NetworkInterfaceId: id,
    VpcId: VPC,
    Groups: [{ GroupId: `sg-${id}` }],
    Attachment: { DeviceIndex: index },
    PrivateIpAddresses: [{ PrivateIpAddress: ip }],
    Ipv6Addresses: index === 0 ? [{ Ipv6Address: '2001:db8::1' }] : [],
  });
  const enis = [eni('eni-a', 0, '10.0.0.1'), eni('eni-b', 1, '10.0.0.2'), eni('eni-c', 2, '10.0.0.3')];
  const all = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] };
  return {
    DescribeInstancesCommand: () => ({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: INSTANCE,
              State: { Name: 'running' },
              VpcId: VPC,
              Tags: [{ Key: 'Name', Value: 'web-1' }],
              BlockDeviceMappings: [
                { DeviceName: '/dev/xvda', Ebs: { VolumeId: 'vol-1', DeleteOnTermination: true } },
                { DeviceName: '/dev/sdf', Ebs: { VolumeId: 'vol-2', DeleteOnTermination: false } },
              ],
              NetworkInterfaces: enis,
              IamInstanceProfile: { Arn: `arn:aws:iam::${HOME}:instance-profile/web` },
            },
          ],
        },
      ],
    }),
    DescribeNetworkInterfacesCommand: () => ({ NetworkInterfaces: enis }),
    DescribeVolumesCommand: () => ({ Volumes: [{ VolumeId: 'vol-1' }, { VolumeId: 'vol-2' }] }),
    DescribeAddressesCommand: () => ({
      Addresses: [
        { AssociationId: 'eipassoc-1', PublicIp: '198.51.100.1', NetworkInterfaceId: 'eni-a' },
        { AssociationId: 'eipassoc-2', PublicIp: '198.51.100.2', NetworkInterfaceId: 'eni-b' },
      ],
    }),
    DescribeIamInstanceProfileAssociationsCommand: () => ({
      IamInstanceProfileAssociations: [{ AssociationId: 'iip-1', IamInstanceProfile: { Arn: `arn:aws:iam::${HOME}:instance-profile/web` } }],
    }),
    DescribeSecurityGroupsCommand: (input) => ({
      // GroupIds: the verification of groups just created (always as intended here).
      SecurityGroups: groupsExist || input.GroupIds
        ? [
            { GroupId: ALLOW_ALL, VpcId: VPC, Tags: [{ Key: 'cordon:isolation', Value: 'allow-all' }], IpPermissions: [all], IpPermissionsEgress: [all] },
            { GroupId: ISOLATION, VpcId: VPC, Tags: [{ Key: 'cordon:isolation', Value: 'isolation' }], IpPermissions: [], IpPermissionsEgress: [] },
          ]
        : [],
    }),
    CreateSecurityGroupCommand: (input) => ({ GroupId: input.GroupName === 'cordon-isolation' ? ISOLATION : ALLOW_ALL }),
    DescribeAutoScalingInstancesCommand: () => ({ AutoScalingInstances: [{ InstanceId: INSTANCE, AutoScalingGroupName: 'web-asg' }] }),
    DescribeTargetGroupsCommand: () => ({
      TargetGroups: [
        { TargetGroupArn: 'tg-web', VpcId: VPC, TargetType: 'instance' },
        { TargetGroupArn: 'tg-ip', VpcId: VPC, TargetType: 'ip' },
        { TargetGroupArn: 'tg-other', VpcId: VPC, TargetType: 'instance' },
      ],
    }),
    DescribeTargetHealthCommand: (input) => ({
      TargetHealthDescriptions:
        input.TargetGroupArn === 'tg-web'
          ? [{ Target: { Id: INSTANCE, Port: 80 } }]
          : input.TargetGroupArn === 'tg-ip'
            ? [{ Target: { Id: '10.0.0.2', Port: 8080 } }]
            : [{ Target: { Id: 'i-0fffffffffffffff0', Port: 80 } }],
    }),
    DescribeLoadBalancersCommand: () => ({ LoadBalancerDescriptions: [{ LoadBalancerName: 'legacy', Instances: [{ InstanceId: INSTANCE }] }] }),
    GetConsoleOutputCommand: () => ({ Output: Buffer.from('login: ').toString('base64') }),
    GetConsoleScreenshotCommand: () => ({ ImageData: Buffer.from('JPEG').toString('base64') }),
    CreateSnapshotsCommand: () => ({ Snapshots: [{ SnapshotId: 'snap-1', VolumeId: 'vol-1' }] }),
    AssumeRoleCommand: () => ({
      Credentials: { AccessKeyId: 'ASIA', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date(Date.now() + 900_000) },
    }),
  };
};

interface Run {
  readonly elapsed: number;
  readonly cutAt: number;
  /** When the last console capture (output, screenshot) was answered. */
  readonly captureAt: number;
}

/** A client stub: answers every command from `table` (mutations: an empty success) after `latency` ms. */
const stub = (table: Responses, latency: number, clock: VirtualClock, onIsolationCut: () => void, onCapture: () => void) => ({
  send: async (command: { schema?: unknown; input: Record<string, unknown> }) => {
    if (latency > 0) await clock.sleep(latency);
    const name = commandName(command);
    if (name === 'ModifyNetworkInterfaceAttributeCommand' && (command.input.Groups as string[] | undefined)?.[0] === ISOLATION) {
      onIsolationCut();
    }
    if (name === 'GetConsoleOutputCommand' || name === 'GetConsoleScreenshotCommand') onCapture();
    return { $metadata: { requestId: 'r' }, ...(table[name]?.(command.input) as object | undefined) };
  },
});

const once = async (options: { latency: number; groupsExist: boolean; crossAccount: boolean }): Promise<Run> => {
  const { latency } = options;
  const table = responses(options.groupsExist);
  let cutAt = 0;
  let captureAt = Number.NaN;
  const clock = new VirtualClock();
  const start = performance.now();
  // With latency: virtual time (exact round trips). Without: wall time (CPU).
  const elapsed = () => (latency > 0 ? clock.now : performance.now() - start);
  const client = stub(
    table,
    latency,
    clock,
    () => {
      cutAt = elapsed();
    },
    () => {
      captureAt = Number.isNaN(captureAt) ? elapsed() : Math.max(captureAt, elapsed());
    },
  );
  const clients = {
    ec2: client as unknown as EC2Client,
    autoScaling: client as unknown as AutoScalingClient,
    elbv2: client as unknown as ElasticLoadBalancingV2Client,
    elb: client as unknown as ElasticLoadBalancingClient,
  } satisfies Ec2Clients;
  let seq = 0;
  const evidence: EvidenceWriter = {
    append: async (incidentId) => {
      if (latency > 0) await clock.sleep(latency);
      seq += 1;
      return { key: `records/${incidentId}/${seq}`, incidentId, seq, hash: '' };
    },
  };
  const deps: RespondDeps = {
    evidence,
    guardrails: {
      mode: async () => {
        if (latency > 0) await clock.sleep(latency);
        return 'enforce';
      },
    },
    clientsFor: () => clients,
    sts: client as unknown as STSClient,
    homeAccount: HOME,
    homeRegion: REGION,
    memberRoleName: 'CordonMemberResponder',
    config: defaultIsolationConfig,
    actor: { arn: `arn:aws:lambda:${REGION}:${HOME}:function:cordon-isolate` },
  };
  const event = {
    version: '0',
    id: `bench-${Math.random()}`,
    'detail-type': 'GuardDuty Finding',
    source: 'aws.guardduty',
    account: HOME,
    region: REGION,
    detail: {
      schemaVersion: '2.0',
      accountId: options.crossAccount ? MEMBER : HOME,
      region: REGION,
      id: `finding-${Math.random()}`,
      type: 'Backdoor:EC2/C&CActivity.B!DNS',
      severity: '8.0',
      resource: { resourceType: 'Instance', instanceDetails: { instanceId: INSTANCE } },
      service: { serviceName: 'guardduty', additionalInfo: { sample: false } },
    },
  };
  const summary = await respond(event, deps);
  if (summary.decision !== 'act' || summary.steps.some((s) => s.status !== 'succeeded')) {
    throw new Error(`bench: expected a clean isolation, got ${JSON.stringify(summary)}`);
  }
  return { elapsed: elapsed(), cutAt, captureAt };
};

/** Sequential round trips of one scenario: (virtual) elapsed time / latency. */
export const roundTrips = async (
  scenario: { groupsExist: boolean; crossAccount: boolean },
  latency = 20,
): Promise<{ cut: number; end: number; capture: number }> => {
  const run = await once({ ...scenario, latency });
  return { cut: run.cutAt / latency, end: run.elapsed / latency, capture: run.captureAt / latency };
};

/**
 * CPU per finding: wall time of one finding with zero-latency stubs, and the process CPU time it
 * used (robust to other processes on a shared machine; includes the GC's and the JIT's helper
 * threads), after `warmUp` findings; `n` findings, percentiles in ms.
 */
export const isolationCpu = async (n: number, warmUp = JIT_WARM_UP): Promise<CpuFigures> => {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < warmUp + n; i += 1) {
    const before = process.cpuUsage();
    const { elapsed } = await once({ latency: 0, groupsExist: true, crossAccount: false });
    const used = process.cpuUsage(before);
    if (i < warmUp) continue;
    wall.push(elapsed);
    cpu.push((used.user + used.system) / 1000);
  }
  return figures(cpu, wall, await allocatedPerCall(() => once({ latency: 0, groupsExist: true, crossAccount: false })));
};

export async function benchIsolation(): Promise<BenchRow[]> {
  const latency = 20;
  const rows: BenchRow[] = [];
  const scenarios = [
    { label: 'single account, isolation groups present', groupsExist: true, crossAccount: false, goals: true },
    { label: 'single account, first isolation in the VPC (groups created)', groupsExist: false, crossAccount: false, goals: false },
    { label: 'member account (AssumeRole), isolation groups present', groupsExist: true, crossAccount: true, goals: false },
  ];
  for (const s of scenarios) {
    const trips = await roundTrips(s, latency);
    rows.push({
      name: `isolation round trips to network cut (console output and screenshot captured before it): ${s.label}`,
      value: trips.cut,
      unit: 'round trips',
      ...(s.goals ? { goal: '<= 5' } : {}),
    });
    rows.push({ name: `isolation round trips to the end: ${s.label}`, value: trips.end, unit: 'round trips', ...(s.goals ? { goal: '<= 8' } : {}) });
  }

  // CPU per finding: in a fresh process per function, as deployed and with V8's defaults (bench/deployed.ts).
  rows.push(...(await cpuRows('isolation', 'isolation')));
  return rows;
}

if (require.main === module) {
  benchIsolation().then(
    (rows) => {
      for (const r of rows) process.stdout.write(`${r.name}: ${r.value} ${r.unit}${r.goal ? ` (goal ${r.goal})` : ''}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

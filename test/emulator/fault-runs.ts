import { DescribeNetworkInterfacesCommand, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { resolve } from 'node:path';
import type { EvidenceRecordView } from '../../lambdas/evidence/reader';
import { ISOLATION_TAG, type Ec2Clients } from '../../lambdas/isolation/types';
import { authorizeEmulatorCalls, type EmulatorAuthorization, type EmulatorAuthorizer } from '../../lib/drill/emulator/authorize';
import type { EmulatorAws } from '../../lib/drill/emulator/clients';
import { configuredNames, invokeResponder, type Invocation } from '../../lib/drill/emulator/invoke';
import type { RecordedCall } from '../../lib/drill/emulator/record';
import { isolationEventFor, type ScenarioContext } from '../../lib/drill/emulator/scenarios';
import { seedCompromisedInstance, seedNetwork, type Ec2World } from '../../lib/drill/emulator/seed-ec2';
import type { Vault } from '../../lib/drill/emulator/vault';

/**
 * One isolation on moto with a fault injected (test/emulator/fail-closed.test.ts): a fresh world
 * in an account of its own (network, instance with three ENIs, ASG, target groups, classic ELB,
 * Elastic IP, profile), reached by AssumeRole as a member account is; the real responder run as
 * deployed (invoke.ts) while the harness's middleware fails the chosen call; then moto read back,
 * the incident's evidence read (signatures checked) and every call evaluated against the
 * synthesized policies. Each run is the first isolation in its VPC, so it makes every mutating
 * call, Cordon's group set-up included.
 */

export const REGION = 'eu-west-1';
export const HOME = '210987654321';

/** A set of clients with its own call log (and fault hook) on the shared vault: one run at a time. */
export interface Lane {
  readonly aws: EmulatorAws;
  readonly vault: Vault;
  readonly authz: EmulatorAuthorizer;
  /** Calls already decided by the authorization check in an earlier run (by sender and signature), shared by the lanes. */
  readonly authorized: Set<string>;
}

const EC2_FAMILY = new Set(['ec2', 'autoscaling', 'elbv2', 'elb']);
/** A call that changes something (the reads are Describe/Get/List, console captures included). */
export const isMutation = (c: RecordedCall): boolean => EC2_FAMILY.has(c.service) && !/^(Describe|Get|List)/.test(c.command);

/** The IAM action of a recorded call (the plan's step actions use these names). */
export const actionOf = (c: RecordedCall): string => `${c.service === 'elbv2' || c.service === 'elb' ? 'elasticloadbalancing' : c.service}:${c.command}`;

/** What the injector sees: the call, and its signature with this run's ids replaced by their roles. */
export type Injector = (signature: string, call: RecordedCall) => Error | undefined;

export interface FaultRun {
  readonly seq: number;
  readonly w: Ec2World;
  /** Each ENI's groups read back from moto before and after the run, sorted. */
  readonly before: ReadonlyMap<string, readonly string[]>;
  readonly after: ReadonlyMap<string, readonly string[]>;
  /** Cordon's groups in the account after the run, by role. */
  readonly groups: { readonly 'allow-all': readonly string[]; readonly isolation: readonly string[] };
  readonly r: Invocation;
  readonly calls: readonly RecordedCall[];
  /** The mutating calls in the order sent, as signatures. */
  readonly signatures: readonly string[];
  /** The calls the fault hook failed (log.injected), and their signatures. */
  readonly injected: readonly RecordedCall[];
  readonly injectedSignatures: readonly string[];
  readonly records: readonly EvidenceRecordView[];
  readonly authorization: EmulatorAuthorization;
}

/** Cordon's groups created by earlier calls of the run: id -> role. */
const createdGroups = (calls: readonly RecordedCall[]): [string, string][] =>
  calls.flatMap((c) => {
    const id = c.command === 'CreateSecurityGroup' ? (c.output as { GroupId?: string } | undefined)?.GroupId : undefined;
    const tags = ((c.input.TagSpecifications as { Tags?: { Key?: string; Value?: string }[] }[] | undefined) ?? []).flatMap((t) => t.Tags ?? []);
    const role = tags.find((t) => t.Key === ISOLATION_TAG)?.Value;
    return id && role ? [[id, `group:${role}`] as [string, string]] : [];
  });

/** What varies from record to record and decides no authorization: the bytes signed or stored, hashes in a chain head. */
const VOLATILE = new Set(['Body', 'Message', 'ChecksumSHA256', 'ExpressionAttributeValues']);

/** The same call in every run: the run's ids replaced by what they are (`eni1`, `group:isolation`...). */
export const signatureOf = (w: Ec2World, account: string, c: RecordedCall, earlier: readonly RecordedCall[]): string => {
  const roles: [string, string][] = [
    ...w.targetGroupArns.map((t, i): [string, string] => [t, `target-group${i}`]),
    [w.vpcId, 'vpc'],
    ...w.subnetIds.map((s, i): [string, string] => [s, `subnet${i}`]),
    [w.instanceId, 'instance'],
    ...w.eniIds.map((e, i): [string, string] => [e, `eni${i}`]),
    ...w.volumeIds.map((v, i): [string, string] => [v, `volume${i}`]),
    [w.asgName, 'asg'],
    [w.classicElb, 'classic-elb'],
    [w.allocationId, 'address'],
    ...Object.entries(w.groups).map(([n, id]): [string, string] => [id, `group:${n}`]),
    ...createdGroups(earlier),
    [account, 'account'],
  ];
  let text = `${c.service}:${c.command} ${JSON.stringify(c.input, (k, v: unknown) => (VOLATILE.has(k) ? undefined : v))}`;
  for (const [id, role] of roles.sort((a, b) => b[0].length - a[0].length)) text = text.split(id).join(role);
  return text
    .replace(/\binc-[0-9a-f]{24}\b/g, 'incident')
    .replace(/\b(eipassoc|iip-assoc)-[0-9a-f]+\b/g, '$1')
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'time');
};

/** Who signed a call: the function, or the role an AssumeRole returned the credentials of (any account). */
const senderOf = (c: RecordedCall, assumed: ReadonlyMap<string, string>, account: string): string =>
  'own' in c.sender ? `own:${c.sender.own}` : 'accessKeyId' in c.sender ? `assumed:${(assumed.get(c.sender.accessKeyId) ?? '?').split(account).join('account')}` : `as:${c.sender.principal}`;

const sorted = (groups: readonly { GroupId?: string }[] | undefined): string[] => (groups ?? []).map((g) => g.GroupId ?? '').sort();

/** Each ENI of the instance and its groups, as moto reports them. */
export const readEnis = async ({ ec2 }: Ec2Clients, instanceId: string): Promise<Map<string, readonly string[]>> => {
  const out = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }] }));
  return new Map((out.NetworkInterfaces ?? []).map((n) => [n.NetworkInterfaceId ?? '', sorted(n.Groups)]));
};

const readGroups = async ({ ec2 }: Ec2Clients, vpcId: string): Promise<FaultRun['groups']> => {
  const out = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }, { Name: 'tag-key', Values: [ISOLATION_TAG] }] }));
  const of = (role: string) => (out.SecurityGroups ?? []).filter((g) => g.Tags?.some((t) => t.Key === ISOLATION_TAG && t.Value === role)).map((g) => g.GroupId ?? '');
  return { 'allow-all': of('allow-all'), isolation: of('isolation') };
};

const context = (aws: EmulatorAws): ScenarioContext => ({
  aws,
  homeAccount: HOME,
  memberAccount: '222222222222',
  region: REGION,
  scenariosDir: resolve(__dirname, '../../drill/scenarios'),
  network: () => Promise.reject(new Error('fault runs seed a network per account')),
});

/** Seeds run `seq`'s world in account 3000000000<seq> and isolates its instance with `inject` active. */
export const isolateWithFault = async (lane: Lane, seq: number, inject?: Injector): Promise<FaultRun> => {
  const { aws, vault } = lane;
  const account = `3${String(seq).padStart(11, '0')}`;
  const seeder = aws.seeder(account, REGION);
  const net = await seedNetwork(seeder.ec2, REGION);
  const w = await seedCompromisedInstance(seeder.ec2, seeder.iam, net, { name: `f${seq}`, interfaceSpec: true });
  const before = await readEnis(seeder.ec2, w.instanceId);
  aws.log.take();
  aws.log.injected.splice(0);
  aws.log.fault = inject && ((c) => (isMutation(c) ? inject(signatureOf(w, account, c, aws.log.recorded), c) : undefined));
  let r: Invocation;
  try {
    r = await invokeResponder(aws, vault, 'isolation', isolationEventFor(context(aws), account, w, net, seq.toString(16).padStart(6, '0')), `fault-${seq}`);
  } finally {
    aws.log.fault = undefined;
  }
  const calls = aws.log.take();
  const injected = aws.log.injected.splice(0);
  // Every call is authorized by the synthesized policies: decided here, or decided in an earlier
  // run on an identical world (the same sender, call and input but for the run's own ids).
  const keys = new Map(calls.map((c, i) => [c, `${senderOf(c, aws.log.assumed, account)} ${signatureOf(w, account, c, calls.slice(0, i))}`]));
  const [after, groups, records, authorization] = await Promise.all([
    readEnis(seeder.ec2, w.instanceId),
    readGroups(seeder.ec2, w.vpcId),
    vault.reader.read(r.incidentId),
    authorizeEmulatorCalls(lane.authz, calls, aws.log.assumed, configuredNames(vault), (c) => !lane.authorized.has(keys.get(c) ?? '')),
  ]);
  if (authorization.refused.length === 0) for (const key of keys.values()) lane.authorized.add(key);
  const mutations = calls.flatMap((c, i) => (isMutation(c) ? [{ c, signature: signatureOf(w, account, c, calls.slice(0, i)) }] : []));
  const signatures = mutations.map((m) => m.signature);
  const injectedSignatures = mutations.filter((m) => injected.includes(m.c)).map((m) => m.signature);
  return { seq, w, before, after, groups, r, calls, signatures, injected, injectedSignatures, records, authorization };
};

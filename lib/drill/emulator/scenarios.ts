import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import type { EvidenceRecordView } from '../../../lambdas/evidence/reader';
import type { EmulatorAws } from './clients';
import type { Check, Rule } from './diff';
import type { Invocation, InvokeOptions, ResponderName } from './invoke';
import { expectIsolation } from './expect-isolation';
import { expectRoleSessions, expectUserKey } from './expect-credentials';
import { instanceProfile, seedCompromisedInstance, seedNetwork, seedWorker, type Ec2World, type NetworkWorld } from './seed-ec2';
import { seedRole, seedUser } from './seed-iam';
import type { State } from './state';

/**
 * The scenarios of drill/scenarios/ that act in enforce mode, each seeded into the emulator. A
 * scenario's event is used as shipped, with the ids the emulator assigned put in place of the ids
 * it carries (instance, ENIs, subnets, VPC, groups, access keys, user and role ids; moto chooses
 * its own), and, for the member-account case, the member account in place of the event's.
 */

export type { ResponderName };

export interface ScenarioContext {
  readonly aws: EmulatorAws;
  readonly homeAccount: string;
  readonly memberAccount: string;
  readonly region: string;
  readonly scenariosDir: string;
  /** One network per account, seeded on first use. */
  network(account: string): Promise<NetworkWorld>;
}

export interface Outcome {
  readonly incidentId: string;
  readonly decision: string;
}

export interface Expectation {
  readonly checks: Check[];
  readonly rules: Rule[];
  /** Facts worth printing (isolation group, policy name, cut-off). */
  readonly notes: string[];
}

/** What a scenario can do after its first invocation, before the final state is read back. */
export interface FollowUpContext {
  /** The account the scenario's target lives in. */
  readonly account: string;
  /** The scenario account's state before the first invocation (paths without the account prefix). */
  readonly before: State;
  /** Invokes the scenario's responder again (a second finding, a release), recorded and authorized like the first. */
  invoke(event: unknown, options?: InvokeOptions): Promise<Invocation>;
  /** The incident's evidence records, read back from the vault and their signatures checked. */
  read(incidentId: string): Promise<readonly EvidenceRecordView[]>;
  /** The scenario account's EC2 state now (paths without the account prefix). */
  state(): Promise<State>;
}

export interface FollowUp {
  readonly checks: readonly Check[];
  readonly notes: readonly string[];
  /** Changes the follow-up accounts for (claimed like the expectation's rules). */
  readonly rules?: readonly Rule[];
}

export interface Seeded {
  readonly event: unknown;
  /** The account the target lives in. */
  readonly account: string;
  /** Runs after the first invocation (more invocations, an operator's commands): its checks are the scenario's too. */
  followUp?(ctx: FollowUpContext, first: Invocation): Promise<FollowUp>;
  expect(before: State, after: State, outcome: Outcome, window: { from: Date; to: Date }): Expectation;
}

export interface EmulatorScenario {
  readonly name: string;
  readonly file: string;
  readonly responder: ResponderName;
  /** The decision the deployed function takes in enforce mode. */
  readonly decision: 'act';
  seed(ctx: ScenarioContext): Promise<Seeded>;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.map(obj) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export const load = (ctx: ScenarioContext, file: string): string => readFileSync(join(ctx.scenariosDir, file), 'utf8');

/** Replaces every occurrence of each `from` with its `to` (longest first), then parses. */
export const rewrite = (text: string, pairs: readonly (readonly [string, string])[]): unknown => {
  let out = text;
  for (const [from, to] of [...pairs].filter(([f]) => f !== '').sort((a, b) => b[0].length - a[0].length)) out = out.split(from).join(to);
  return JSON.parse(out) as unknown;
};

/** The EC2 ids a finding carries, for replacement by the seeded world's. */
const instanceIdsOf = (event: unknown) => {
  const details = obj(obj(obj(obj(event).detail).resource).instanceDetails);
  const enis = list(details.networkInterfaces);
  return {
    instanceId: str(details.instanceId),
    enis: enis.map((n) => ({ id: str(n.networkInterfaceId), subnetId: str(n.subnetId), vpcId: str(n.vpcId), groups: list(n.securityGroups).map((g) => [str(g.groupName), str(g.groupId)] as const) })),
  };
};

const networkPairs = (found: ReturnType<typeof instanceIdsOf>, net: NetworkWorld, subnetFor: (index: number) => string): [string, string][] =>
  found.enis.flatMap((n, index) => [
    [n.subnetId, subnetFor(index)] as [string, string],
    [n.vpcId, net.vpcId] as [string, string],
    ...n.groups.map(([name, id]): [string, string] => [id, net.groups[name] ?? id]),
  ]);

/**
 * The shipped C&C finding about `w`'s instance: its ids put in place of the event's, and for a
 * member account the account; a finding id of its own for the member account or with `findingSuffix`.
 */
export const isolationEventFor = (ctx: ScenarioContext, account: string, w: Ec2World, net: NetworkWorld, findingSuffix?: string): unknown => {
  const text = load(ctx, ASG_FILE);
  const shipped = JSON.parse(text) as unknown;
  const found = instanceIdsOf(shipped);
  const findingId = str(obj(obj(shipped).detail).id);
  const pairs: [string, string][] = [
    [found.instanceId, w.instanceId],
    ...found.enis.map((n, i): [string, string] => [n.id, w.eniIds[i] ?? n.id]),
    ...networkPairs(found, net, (i) => net.subnetIds[i] ?? net.subnetIds[0]),
    ...(account !== ctx.homeAccount ? ([[str(obj(shipped).account), account]] as [string, string][]) : []),
    // A finding of its own (idempotency is by finding): the member account's, or the caller's.
    ...(account !== ctx.homeAccount || findingSuffix ? ([[findingId, `${findingId.slice(0, -6)}${findingSuffix ?? '00face'}`]] as [string, string][]) : []),
  ];
  return rewrite(text, pairs);
};

export const ASG_FILE = 'ec2-asg-backdoor-cc-activity.json';

const asgScenario = (where: 'home' | 'member'): EmulatorScenario => ({
  name: where === 'home' ? 'ec2-asg-backdoor-cc-activity' : 'ec2-asg-backdoor-cc-activity (member account, via AssumeRole)',
  file: ASG_FILE,
  responder: 'isolation',
  decision: 'act',
  seed: async (ctx) => {
    const account = where === 'home' ? ctx.homeAccount : ctx.memberAccount;
    const net = await ctx.network(account);
    const seeder = ctx.aws.seeder(account, ctx.region);
    const w = await seedCompromisedInstance(seeder.ec2, seeder.iam, net);
    return {
      event: isolationEventFor(ctx, account, w, net),
      account,
      expect: (before, after, outcome) => {
        const e = expectIsolation(w, outcome.incidentId, before, after);
        return { checks: e.checks, rules: e.rules, notes: [`instance ${w.instanceId}, ENIs ${w.eniIds.join(' ')}, isolation group ${e.isolationGroup ?? 'none'}`] };
      },
    };
  },
});

const userKeyScenario = (file: string, userName: string, tags: Record<string, string>, where: 'home' | 'member' = 'home'): EmulatorScenario => ({
  name: `${file.replace(/\.json$/, '')}${where === 'member' ? ' (member account, via AssumeRole)' : ''}`,
  file,
  responder: 'credentials',
  decision: 'act',
  seed: async (ctx) => {
    const account = where === 'home' ? ctx.homeAccount : ctx.memberAccount;
    const text = load(ctx, file);
    const seeder = ctx.aws.seeder(account);
    const user = await seedUser(seeder.iam, userName, 2, tags);
    const shippedKey = /\b(AKIA[A-Z0-9]{16})\b/.exec(text)?.[1] ?? '';
    const shippedUserId = /"principalId":\s*"(AIDA[A-Z0-9]+)"/.exec(text)?.[1] ?? '';
    const shippedAccount = str(obj(JSON.parse(text)).account);
    const pairs: [string, string][] = [
      [shippedKey, user.keyIds[0] ?? shippedKey],
      [shippedUserId, user.userId],
      ...(where === 'member' ? ([[shippedAccount, account]] as [string, string][]) : []),
    ];
    return {
      event: rewrite(text, pairs),
      account,
      expect: (before, after, _outcome, window) => {
        const e = expectUserKey(user, window, before, after);
        return { checks: e.checks, rules: e.rules, notes: [`user ${userName}: key ${user.keyIds[0] ?? '?'} leaked, ${user.keyIds.slice(1).join(' ')} not; policy ${e.policy ?? 'none'}, cut-off ${e.facts?.cutoffs.join(' ') ?? '-'}`] };
      },
    };
  },
});

const stolenInstanceCredentials: EmulatorScenario = {
  name: 'iam-stolen-instance-credentials-outside-aws',
  file: 'iam-stolen-instance-credentials-outside-aws.json',
  responder: 'credentials',
  decision: 'act',
  seed: async (ctx) => {
    const text = load(ctx, 'iam-stolen-instance-credentials-outside-aws.json');
    const shipped = JSON.parse(text) as unknown;
    const account = ctx.homeAccount;
    const seeder = ctx.aws.seeder(account, ctx.region);
    const net = await ctx.network(account);
    const found = instanceIdsOf(shipped);
    const access = obj(obj(obj(obj(shipped).detail).resource).accessKeyDetails);
    const roleName = str(access.userName);
    const profileArn = await instanceProfile(seeder.iam, 'batch-worker', roleName);
    const worker = await seedWorker(seeder.ec2, net, profileArn);
    const role = await seeder.iam.send(new GetRoleCommand({ RoleName: roleName }));
    // An uninvolved role: it must come out unchanged.
    await seedRole(seeder.iam, 'report-builder-role', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    const pairs: [string, string][] = [
      [found.instanceId, worker.instanceId],
      ...found.enis.map((n): [string, string] => [n.id, worker.eniId]),
      ...networkPairs(found, net, () => net.subnetIds[1]),
      [str(access.principalId).split(':')[0] ?? '', role.Role?.RoleId ?? ''],
    ];
    const instanceArn = `arn:aws:ec2:${ctx.region}:${account}:instance/${worker.instanceId}`;
    return {
      event: rewrite(text, pairs),
      account,
      expect: (before, after, _outcome, window) => {
        const e = expectRoleSessions(roleName, instanceArn, window, before, after);
        const scope = (e.facts?.sourceInstances.length ?? 0) > 0 ? `sessions of ${worker.instanceId} only` : 'every session of the role (role-wide)';
        return { checks: e.checks, rules: e.rules, notes: [`role ${roleName}: policy ${e.policy ?? 'none'} cuts ${scope}, cut-off ${e.facts?.cutoffs.join(' ') ?? '-'}`] };
      },
    };
  },
};

/** In run order. */
export const EMULATOR_SCENARIOS: readonly EmulatorScenario[] = [
  asgScenario('home'),
  userKeyScenario('iam-user-leaked-key-malicious-ip-custom.json', 'ci-deploy', { team: 'platform' }),
  userKeyScenario('health-credentials-exposed.json', 'data-export', { team: 'analytics' }),
  stolenInstanceCredentials,
  asgScenario('member'),
  userKeyScenario('iam-user-leaked-key-malicious-ip-custom.json', 'ci-deploy', { team: 'platform' }, 'member'),
];

export const seedNetworkOnce = (aws: EmulatorAws, region: string) => {
  const cache = new Map<string, Promise<NetworkWorld>>();
  return (account: string): Promise<NetworkWorld> => {
    let hit = cache.get(account);
    if (!hit) {
      hit = seedNetwork(aws.seeder(account, region).ec2, region);
      cache.set(account, hit);
    }
    return hit;
  };
};

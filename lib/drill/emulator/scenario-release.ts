import type { EvidenceRecordView } from '../../../lambdas/evidence/reader';
import { INCIDENT_TAG, RELEASED_TAG } from '../../../lambdas/isolation/types';
import { check, diff, equals, pinned, type Check, type Rule } from './diff';
import { expectIsolation } from './expect-isolation';
import { awsCliV2, runAsOperator } from './operator';
import { ASG_FILE, isolationEventFor, rewrite, type EmulatorScenario, type FollowUp, type FollowUpContext } from './scenarios';
import { seedCompromisedInstance, type Ec2World } from './seed-ec2';
import type { State } from './state';

/**
 * Issue 12, state per instance, on the emulator: a C&C finding isolates an instance; a second
 * finding about the same instance (the DNS variant, its own finding id) is evidenced as
 * `skip:already-isolated` linked to the first incident and changes nothing; a person releases it
 * (through the manual request URL, reattaching the Auto Scaling group); then an operator runs the
 * commands the release lists under `notRestored` for what putting the instance back in service
 * needs (instance profile, target groups, classic load balancer, Elastic IP), with AWS CLI v2 against moto. Read
 * back from moto, each ENI's groups, the instance profile, the targets, the load balancer and the
 * Elastic IP are exactly as before the incident (no rule claims them: any difference fails).
 * Claimed, each with its check: Cordon's own groups, the evidence snapshots and protections (kept
 * until the investigation closes), the instance's tags (`cordon:released`), and the Auto Scaling
 * group's desired capacity, which AttachInstances raises by one while the replacement the group
 * launched at the detach stays (AWS's behaviour; scaling back is the service owner's decision).
 */

type Json = Record<string, unknown>;
const record = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const strings = (v: unknown): string[] => (Array.isArray(v) ? (v as unknown[]).map(String) : []);

/** The caller the manual request URL authenticated (`actor.caller` of the release). */
const RESPONDER = { via: 'function-url', arn: 'arn:aws:sts::210987654321:assumed-role/IncidentResponder/alice', accountId: '210987654321' } as const;

/** What an operator runs from `notRestored` to put the instance back in service. */
const IN_SERVICE = /^(target group |classic load balancer |elastic ip |instance profile )/;

const releaseRequest = (instanceId: string) => ({
  action: 'release',
  instanceId,
  reattachAsg: true,
  reason: 'false positive: the C&C domain is the vendor’s update server',
  requestedBy: 'alice@example.com',
});

/** Paths release (and the operator after it) must leave exactly as before the incident. */
const restoredPaths = (w: Ec2World): Set<string> =>
  new Set([
    ...w.eniIds.map((e) => `eni/${e}/groups`),
    `instance/${w.instanceId}/profile`,
    ...w.targetGroupArns.map((arn) => `tg/${arn}/targets`),
    `elb/${w.classicElb}/instances`,
    `address/${w.allocationId}`,
  ]);

const restoredChecks = (w: Ec2World, before: State, now: State, what: string): Check[] =>
  w.eniIds.map((e) => equals(`${what}: ENI ${e} on its original groups`, now.get(`eni/${e}/groups`), before.get(`eni/${e}/groups`)));

const secondFinding = (first: unknown): { event: unknown; id: string } => {
  const text = JSON.stringify(first);
  const id = String(record(record(first).detail).id);
  const other = `${id.slice(0, -6)}0d0d05`;
  return { event: rewrite(text, [[id, other], ['"Backdoor:EC2/C&CActivity.B"', '"Backdoor:EC2/C&CActivity.B!DNS"']]), id: other };
};

const followUp = async (ctx: FollowUpContext, w: Ec2World, event: unknown, firstIncident: string, aws: Parameters<typeof runAsOperator>[0]): Promise<FollowUp> => {
  const checks: Check[] = [];
  const notes: string[] = [];
  const isolated = await ctx.state();
  const second = await ctx.invoke(secondFinding(event).event);
  checks.push(equals('second finding: skip, already isolated', [second.decision, second.reason], ['skip', 'already-isolated']));
  const skips: readonly EvidenceRecordView[] = await ctx.read(second.incidentId);
  checks.push(
    equals(
      'second finding evidenced in its own incident as skip:already-isolated, linked to the isolating incident',
      skips.map((r) => [r.kind, r.action, record(r.detail).isolatedBy]),
      [['skip', 'skip:already-isolated', { incidentId: firstIncident, evidence: `records/${firstIncident}/` }]],
    ),
    equals('second finding changed nothing', diff(isolated, await ctx.state()), []),
  );
  const released = await ctx.invoke(releaseRequest(w.instanceId), { caller: RESPONDER });
  checks.push(equals('release: act in the isolating incident, every step made', [released.decision, released.reason, released.incidentId], ['act', undefined, firstIncident]));
  const afterRelease = await ctx.state();
  checks.push(
    ...restoredChecks(w, ctx.before, afterRelease, 'released'),
    check(`released: instance back in ${w.asgName}`, strings(afterRelease.get(`asg/${w.asgName}/instances`)).includes(w.instanceId), afterRelease.get(`asg/${w.asgName}/instances`)),
  );
  const outcome = (await ctx.read(firstIncident)).at(-1);
  const notRestored = (record(outcome?.detail).notRestored ?? []) as { what: string; why: string; command?: string }[];
  checks.push(
    equals('release outcome recorded last in the isolating incident', outcome?.action, 'release-instance'),
    equals(
      'release lists what it leaves, each with its command: the instance profile (passing its role is not Cordon’s), both target groups, the classic load balancer, the Elastic IP',
      notRestored.filter((n) => IN_SERVICE.test(n.what) && n.command).map((n) => n.what.split(' ').slice(0, -1).join(' ')),
      ['instance profile', 'target group', 'target group', 'classic load balancer', 'elastic ip'],
    ),
  );
  const bin = awsCliV2();
  if (!bin) {
    notes.push('AWS CLI v2 not found: the operator’s commands were not run, so profile, targets, load balancer and Elastic IP stay as the release left them');
    const left = [`instance/${w.instanceId}/profile`, ...w.targetGroupArns.map((arn) => `tg/${arn}/targets`), `elb/${w.classicElb}/instances`, `address/${w.allocationId}`];
    return { checks, notes, rules: left.map((p) => pinned(p, 'left by release (listed with its command; no AWS CLI v2 to run it)')) };
  }
  const runs = await runAsOperator(aws, bin, ctx.account, notRestored.filter((n) => IN_SERVICE.test(n.what) && n.command).map((n) => n.command ?? ''));
  for (const r of runs) checks.push(check(`operator ran: ${r.command}`, r.ok, r.error));
  notes.push(`released ${firstIncident}: ${notRestored.length} items not restored by release, ${runs.length} put back by the operator’s listed commands (AWS CLI v2)`);
  return { checks, notes };
};

export const twoFindingsThenRelease: EmulatorScenario = {
  name: 'two findings on one instance, then release (state per instance)',
  file: ASG_FILE,
  responder: 'isolation',
  decision: 'act',
  seed: async (ctx) => {
    const account = ctx.homeAccount;
    const net = await ctx.network(account);
    const seeder = ctx.aws.seeder(account, ctx.region);
    const w = await seedCompromisedInstance(seeder.ec2, seeder.iam, net, { name: 'payments-api', interfaceSpec: true });
    const event = isolationEventFor(ctx, account, w, net, '0a11ce');
    let firstIncident = '';
    return {
      event,
      account,
      followUp: (f, first) => {
        firstIncident = first.incidentId;
        return followUp(f, w, event, first.incidentId, ctx.aws);
      },
      expect: (before, after) => {
        const i = w.instanceId;
        const keep = restoredPaths(w);
        // The isolation's claims, but none on what must be as before the incident.
        const rules: Rule[] = expectIsolation(w, firstIncident, before, after).rules.map((rule) => (c) => (keep.has(c.path) ? undefined : rule(c)));
        const capacity = record(before.get(`asg/${w.asgName}/capacity`));
        const tagsBefore = record(before.get(`instance/${i}/tags`));
        const tagsAfter = record(after.get(`instance/${i}/tags`));
        const checks: Check[] = [
          ...restoredChecks(w, before, after, 'finally'),
          equals('finally: instance profile as before the incident (the operator ran the listed command)', after.get(`instance/${i}/profile`), before.get(`instance/${i}/profile`)),
          ...w.targetGroupArns.map((arn) => equals(`finally: targets of ${arn.split('/')[1] ?? arn} as before the incident`, after.get(`tg/${arn}/targets`), before.get(`tg/${arn}/targets`))),
          equals(`finally: classic ELB ${w.classicElb} as before the incident`, after.get(`elb/${w.classicElb}/instances`), before.get(`elb/${w.classicElb}/instances`)),
          equals('finally: Elastic IP associated as before the incident', after.get(`address/${w.allocationId}`), before.get(`address/${w.allocationId}`)),
          equals(
            `${w.asgName}: desired capacity one more (AttachInstances adds the instance; the replacement launched at the detach stays)`,
            after.get(`asg/${w.asgName}/capacity`),
            { ...capacity, desired: Number(capacity.desired) + 1 },
          ),
          check(
            `instance tags as before the incident, ${INCIDENT_TAG} removed, ${RELEASED_TAG}=${firstIncident}`,
            Object.entries(tagsBefore).every(([k, v]) => tagsAfter[k] === v) &&
              tagsAfter[INCIDENT_TAG] === undefined &&
              tagsAfter[RELEASED_TAG] === firstIncident &&
              Object.keys(tagsAfter).every((k) => k in tagsBefore || k.startsWith('cordon:')),
            { before: tagsBefore, after: tagsAfter },
          ),
        ];
        rules.push(pinned(`asg/${w.asgName}/capacity`, 'AttachInstances raised the desired capacity'));
        return { checks, rules, notes: [`instance ${i}: isolated by ${firstIncident}, a second finding skipped, released`] };
      },
    };
  },
};

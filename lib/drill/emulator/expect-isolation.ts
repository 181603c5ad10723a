import { ISOLATION_TAG, INCIDENT_TAG } from '../../../lambdas/isolation/types';
import { check, equals, matching, pinned, type Check, type Rule } from './diff';
import type { Ec2World } from './seed-ec2';
import type { State } from './state';

/**
 * What an enforced isolation must leave in the emulator, read back from it: every ENI of the
 * instance (the finding's two and the one attached later) only on the isolation group, which has no
 * rule; the instance out of its Auto Scaling group with the group's capacity unchanged; its targets
 * deregistered from both target groups and the classic load balancer (the ASG's own instance still
 * registered); its Elastic IP disassociated (not released); its instance profile removed;
 * termination and stop protection on, shutdown behaviour `stop`, every volume kept on termination;
 * one snapshot per volume tagged with the incident; the instance tagged with the incident.
 * Tolerated without being pinned: Cordon's own security groups (tagged `cordon:isolation`), more
 * `cordon:*` tags on the instance, and the replacement instance the ASG launches (its own doing).
 */

type Strings = readonly string[];

/** The tag Auto Scaling puts on its instances and removes when one is detached. */
const ASG_TAG = 'aws:autoscaling:groupName';

const asStrings = (v: unknown): Strings => (Array.isArray(v) ? (v as unknown[]).map(String) : []);
const record = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {});

interface GroupState {
  readonly name?: string;
  readonly vpcId?: string;
  readonly tags: Record<string, string>;
  readonly ingress: Strings;
  readonly egress: Strings;
}

const groupsOf = (state: State): Map<string, GroupState> => {
  const out = new Map<string, GroupState>();
  for (const [path, value] of state) {
    if (!path.startsWith('sg/')) continue;
    const v = record(value);
    out.set(path.slice(3), {
      ...(typeof v.name === 'string' ? { name: v.name } : {}),
      ...(typeof v.vpcId === 'string' ? { vpcId: v.vpcId } : {}),
      tags: record(v.tags) as Record<string, string>,
      ingress: asStrings(v.ingress),
      egress: asStrings(v.egress),
    });
  }
  return out;
};

/** Instances that exist after and not before, and belong to the ASG after: its replacements. */
const replacements = (before: State, after: State, asgName: string): string[] =>
  asStrings(after.get(`asg/${asgName}/instances`)).filter((id) => !before.has(`instance/${id}/state`));

export interface IsolationExpectation {
  readonly checks: Check[];
  readonly rules: Rule[];
  readonly isolationGroup?: string;
}

export const expectIsolation = (w: Ec2World, incidentId: string, before: State, after: State): IsolationExpectation => {
  const i = w.instanceId;
  const groups = groupsOf(after);
  const ours = [...groups].filter(([id, g]) => g.vpcId === w.vpcId && g.tags[ISOLATION_TAG] !== undefined && !before.has(`sg/${id}`));
  const isolation = ours.filter(([, g]) => g.tags[ISOLATION_TAG] === 'isolation');
  const allowAll = ours.filter(([, g]) => g.tags[ISOLATION_TAG] === 'allow-all');
  const isolationId = isolation[0]?.[0];
  const checks: Check[] = [
    check('one isolation group created in the VPC', isolation.length === 1, `found ${isolation.length}`),
    check('the isolation group has no rule, in or out', isolation.every(([, g]) => g.ingress.length === 0 && g.egress.length === 0), isolation[0]?.[1]),
    check('one allow-all group created in the VPC', allowAll.length === 1, `found ${allowAll.length}`),
    check(
      'the allow-all group allows all traffic in and out, IPv4 and IPv6',
      allowAll.every(([, g]) => ['ingress', 'egress'].every((d) => ['-1:- 0.0.0.0/0', '-1:- ::/0'].every((r) => (d === 'ingress' ? g.ingress : g.egress).includes(r)))),
      allowAll[0]?.[1],
    ),
    ...w.eniIds.map((eni) => equals(`ENI ${eni} only on the isolation group`, after.get(`eni/${eni}/groups`), isolationId ? [isolationId] : ['(no isolation group)'])),
    equals('ENIs still attached where they were', w.eniIds.map((e) => after.get(`eni/${e}/attachment`)), w.eniIds.map((e) => before.get(`eni/${e}/attachment`))),
    check(`instance out of ${w.asgName}`, !asStrings(after.get(`asg/${w.asgName}/instances`)).includes(i), after.get(`asg/${w.asgName}/instances`)),
    equals(`${w.asgName} capacity unchanged`, after.get(`asg/${w.asgName}/capacity`), before.get(`asg/${w.asgName}/capacity`)),
    check(`the ASG's own instance ${w.asgInstanceId} still in it`, asStrings(after.get(`asg/${w.asgName}/instances`)).includes(w.asgInstanceId)),
    ...w.targetGroupArns.map((arn) =>
      equals(`targets of ${arn.split('/')[1] ?? arn} deregistered, others kept`, after.get(`tg/${arn}/targets`), asStrings(before.get(`tg/${arn}/targets`)).filter((t) => !t.startsWith(`${i}:`))),
    ),
    equals(`deregistered from classic ELB ${w.classicElb}, others kept`, after.get(`elb/${w.classicElb}/instances`), asStrings(before.get(`elb/${w.classicElb}/instances`)).filter((x) => x !== i)),
    equals('Elastic IP disassociated (kept allocated)', after.get(`address/${w.allocationId}`), 'unassociated'),
    equals('instance profile removed', after.get(`instance/${i}/profile`), undefined),
    equals('termination and stop protection on, shutdown behaviour stop', after.get(`instance/${i}/attributes`), { disableApiTermination: true, disableApiStop: true, shutdownBehavior: 'stop' }),
    check('every volume kept on termination', Object.values(record(after.get(`instance/${i}/devices`))).every((d) => record(d).deleteOnTermination === false), after.get(`instance/${i}/devices`)),
    equals('instance still running', after.get(`instance/${i}/state`), 'running'),
    equals('instance tagged with the incident', record(after.get(`instance/${i}/tags`))[INCIDENT_TAG], incidentId),
    check(
      `instance tags kept but ${ASG_TAG} (removed by the detach), Cordon adding only cordon:* tags`,
      Object.entries(record(before.get(`instance/${i}/tags`))).every(([k, v]) => k === ASG_TAG || record(after.get(`instance/${i}/tags`))[k] === v) &&
        Object.keys(record(after.get(`instance/${i}/tags`))).every((k) => k.startsWith('cordon:') || (k !== ASG_TAG && k in record(before.get(`instance/${i}/tags`)))),
      { before: before.get(`instance/${i}/tags`), after: after.get(`instance/${i}/tags`) },
    ),
  ];
  const newSnapshots = [...after].filter(([p]) => p.startsWith('snapshot/') && !before.has(p)).map(([p, v]) => ({ id: p.slice(9), volumeId: record(v).volumeId, tags: record(record(v).tags) }));
  for (const volumeId of w.volumeIds) {
    const of = newSnapshots.filter((s) => s.volumeId === volumeId);
    checks.push(check(`one snapshot of ${volumeId}, tagged ${INCIDENT_TAG}=${incidentId}`, of.length === 1 && record(of[0]?.tags)[INCIDENT_TAG] === incidentId, of));
  }
  const replaced = replacements(before, after, w.asgName);
  checks.push(check(`${w.asgName} launched at most one replacement`, replaced.length <= 1, replaced));
  const replacementEnis = [...after].filter(([p, v]) => p.startsWith('eni/') && p.endsWith('/attachment') && replaced.some((r) => String(v).startsWith(`${r}#`))).map(([p]) => p.split('/')[1]);
  const replacementVolumes = [...after].filter(([p, v]) => p.startsWith('volume/') && asStrings(record(v).attachments).some((a) => replaced.some((r) => a.startsWith(`${r}:`))));

  const rules: Rule[] = [
    ...w.eniIds.map((eni) => pinned(`eni/${eni}/groups`, 'isolated')),
    ...ours.map(([id]) => pinned(`sg/${id}`, "Cordon's own security group")),
    pinned(`asg/${w.asgName}/instances`, 'detached (and the ASG replaced it)'),
    ...w.targetGroupArns.map((arn) => pinned(`tg/${arn}/targets`, 'deregistered')),
    pinned(`elb/${w.classicElb}/instances`, 'deregistered'),
    pinned(`address/${w.allocationId}`, 'disassociated'),
    pinned(`instance/${i}/profile`, 'profile removed'),
    pinned(`instance/${i}/attributes`, 'protected'),
    pinned(`instance/${i}/devices`, 'volumes kept'),
    pinned(`instance/${i}/tags`, 'tagged'),
    (c) => (newSnapshots.some((s) => c.path === `snapshot/${s.id}` && w.volumeIds.includes(String(s.volumeId))) ? 'evidence snapshot' : undefined),
    ...replaced.map((r) => matching(new RegExp(`^instance/${r}/`), "the ASG's replacement")),
    ...replacementEnis.map((e) => matching(new RegExp(`^eni/${e ?? '-'}/`), "the ASG's replacement")),
    ...replacementVolumes.map(([p]) => pinned(p, "the ASG's replacement")),
  ];
  return { checks, rules, ...(isolationId ? { isolationGroup: isolationId } : {}) };
};

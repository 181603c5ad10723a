import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../cli/support';
import { sessionBlocks } from './markdown';
import { findBash, runSession } from './session';

/**
 * The jq queries auditing-evidence.md gives for reading one incident, run on real evidence: the
 * records the offline drill writes through the real responders (an isolation, a leaked key, stolen
 * instance credentials, skips and escalations), so a path that does not exist in the records the
 * responders write (the plan of a credential incident, the intent at 00000000.json) shows here.
 * Dry-run writes no step or outcome records: the queries on those only have to run.
 */

const PAGE = 'docs/runbooks/auditing-evidence.md';
const BASH = findBash();
const HAS_JQ = spawnSync('jq', ['--version']).status === 0;
if (!HAS_JQ || !BASH.path) console.log(`evidence queries of ${PAGE} not run: ${HAS_JQ ? BASH.why : 'jq is not installed'}`);

interface Query {
  readonly line: number;
  readonly options: string[];
  readonly filter: string;
}

if (HAS_JQ && BASH.path) {
  const queries: Query[] = runSession(BASH.path, sessionBlocks(PAGE))
    .invocations.filter((i) => i.argv[0] === 'jq' && i.argv.some((a) => a.includes('.payload')))
    .map((i) => ({ line: i.line, options: i.argv.slice(1).filter((a) => /^-[a-z]+$/.test(a)), filter: i.argv.find((a) => a.includes('.payload'))! }));

  const jq = (q: Query, files: string[]) => spawnSync('jq', [...q.options, q.filter, ...files], { encoding: 'utf8' });

  describe(`${PAGE}: reading one incident`, () => {
    let out: string;
    let incidents: { id: string; files: string[]; records: { kind: string; action: string; target: { type: string } }[] }[];

    beforeAll(async () => {
      out = mkdtempSync(join(tmpdir(), 'cordon-docs-evidence-'));
      const drill = await run('drill', '--out', out, '--quiet');
      if (drill.code !== 0) throw new Error(`the drill failed (exit ${drill.code}): ${drill.stderr}`);
      const root = join(out, 'records');
      incidents = readdirSync(root).map((id) => {
        const files = readdirSync(join(root, id)).sort().map((f) => join(root, id, f));
        return { id, files, records: files.map((f) => (JSON.parse(readFileSync(f, 'utf8')) as { payload: { kind: string; action: string; target: { type: string } } }).payload) };
      });
    });
    afterAll(() => rmSync(out, { recursive: true, force: true }));

    const query = (pattern: string) => {
      const q = queries.find((x) => x.filter.includes(pattern));
      if (!q) throw new Error(`${PAGE} has no jq query with ${pattern}`);
      return q;
    };
    const intentOf = (action: string, type: string) => incidents.find((i) => i.records.some((r) => r.kind === 'intent' && r.action === action && r.target.type === type))!;

    it('runs every query on every incident without a jq error', () => {
      expect(queries.length).toBeGreaterThanOrEqual(7);
      const failures = queries.flatMap((q) => incidents.flatMap((i) => {
        const r = jq(q, i.files);
        return r.status === 0 ? [] : [`${PAGE}:${q.line} on ${i.id}: ${r.stderr.trim()}`];
      }));
      expect(failures).toEqual([]);
    });

    it('lists one line per record with its kind, action and target type/id', () => {
      const listing = query('requestedBy: .actor.requestedBy');
      for (const i of incidents) {
        const lines = jq(listing, i.files).stdout.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; kind: string; target: string });
        expect(lines.map((l) => [l.seq, l.kind])).toEqual(i.records.map((r, n) => [n, r.kind]));
        for (const l of lines) expect(l.target).toMatch(/^[a-z0-9-]+\/\S+$/);
      }
    });

    it('finds a credential incident’s planned steps in its intent record, wherever the intent sits in the chain', () => {
      for (const type of ['iam-access-key', 'iam-role']) {
        const incident = intentOf('credentials:revoke', type);
        const steps = JSON.parse(jq(query('.payload.detail.steps'), incident.files).stdout) as { kind: string }[];
        expect(steps.length).toBeGreaterThan(0);
        expect(steps.every((s) => typeof s.kind === 'string')).toBe(true);
      }
      // Stolen instance credentials: an escalation comes first, so the intent is not 00000000.json.
      expect(intentOf('credentials:revoke', 'iam-role').records[0]!.kind).toBe('escalation');
    });

    it('finds an isolation’s plan and the state before any change in its intent record', () => {
      const incident = intentOf('isolate-instance', 'ec2-instance');
      const plan = JSON.parse(jq(query('.payload.detail.plan'), incident.files).stdout) as { action: string }[];
      expect(plan.map((s) => s.action)).toContain('ec2:ModifyNetworkInterfaceAttribute');
      const before = JSON.parse(jq(query('.payload.before'), incident.files).stdout) as Record<string, unknown>;
      // What release restores from: the groups of every ENI, the Auto Scaling group, the profile.
      expect(Object.keys(before)).toEqual(expect.arrayContaining(['enis', 'autoScalingGroup', 'instanceProfile', 'targetGroups', 'elasticIps']));
    });

    it('prints each escalation and skip with its reason', () => {
      const q = query('.payload.kind == "escalation"');
      const printed = incidents.flatMap((i) => jq(q, i.files).stdout.trim().split('\n').filter(Boolean));
      const expected = incidents.flatMap((i) => i.records.filter((r) => r.kind === 'escalation' || r.kind === 'skip').map((r) => r.action));
      expect(printed.map((l) => l.split(': ')[0])).toEqual(expected);
      expect(expected).toEqual(expect.arrayContaining(['escalate:root', 'skip:protected', 'skip:sample-finding']));
    });
  });
}

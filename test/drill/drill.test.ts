import { copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModifyInstanceAttributeCommand, DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import * as credentials from '../../lambdas/credentials/respond';
import { fixedGuardrails } from '../../lambdas/guardrails/types';
import { DEFAULT_SCENARIOS, runDrill, type DrillReport, type EventOutcome } from '../../lib/drill/run';
import { CallLog, MutationRefusedError, ec2World } from '../../lib/drill/world';
import { factsOf } from '../../lib/drill/facts';
import { CUSTOM_ACTION_IDS, routeEvent } from '../../lib/drill/dispatch';
import { routeFindingType } from '../../lib/routing';
import { CUSTOM_ACTIONS } from '../../lib/constructs/routing';

const REAL_FIXTURES = join(__dirname, '../fixtures/real');

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'cordon-drill-test-'));

const outcome = (report: DrillReport, file: string): EventOutcome => {
  const found = report.events.find((e) => e.file === file);
  if (!found) throw new Error(`no outcome for ${file}`);
  return found;
};

interface StoredPayload {
  readonly kind: string;
  readonly mode: string;
  readonly action: string;
  readonly detail?: { readonly plan?: readonly { id: string; kind: string; after?: string[]; eniId?: string }[] };
}

const payloadOf = (outDir: string, key: string): StoredPayload =>
  (JSON.parse(readFileSync(join(outDir, key), 'utf8')) as { payload: StoredPayload }).payload;

describe('drill over the shipped scenarios', () => {
  let out: string;
  let report: DrillReport;

  beforeAll(async () => {
    out = tempDir();
    report = await runDrill({ outDir: out });
  });

  it('decides every scenario, attempts no mutating call and its evidence verifies', () => {
    const files = readdirSync(DEFAULT_SCENARIOS).filter((f) => f.endsWith('.json') && !f.endsWith('.world.json'));
    expect(report.events.map((e) => e.file)).toEqual(files.sort());
    expect(report.crashed).toBe(0);
    expect(report.mutations).toBe(0);
    expect(report.verify.ok).toBe(true);
    expect(report.verify.problems).toEqual([]);
    expect(report.verify.uncovered).toBe(0);
    expect(report.ok).toBe(true);
  });

  it('plans detach, deregister and allow-all-then-isolation on every ENI for the ASG instance', () => {
    const e = outcome(report, 'ec2-asg-backdoor-cc-activity.json');
    expect(e.decision).toBe('dry-run');
    expect(e.responders.map((r) => r.responder)).toEqual(['isolation']);
    const ids = e.responders[0]?.steps.map((s) => s.id) ?? [];
    expect(ids).toContain('detach-asg');
    expect(ids.filter((id) => id.startsWith('deregister-target-group:'))).toHaveLength(2);
    for (const eni of ['eni-0b1c2d3e4f5a6b7c8', 'eni-0d2e3f4a5b6c7d8e9']) {
      expect(ids).toContain(`eni-allow-all:${eni}`);
      expect(ids).toContain(`eni-isolate:${eni}`);
    }
    // The intent record carries the plan: each isolation runs after its allow-all step.
    const intent = payloadOf(out, e.responders[0]?.evidenceKeys[0] ?? '');
    expect(intent).toMatchObject({ kind: 'intent', mode: 'dry-run', action: 'isolate-instance' });
    const isolate = intent.detail?.plan?.filter((s) => s.kind === 'eni-isolate') ?? [];
    expect(isolate.map((s) => s.after)).toEqual([['eni-allow-all:eni-0b1c2d3e4f5a6b7c8'], ['eni-allow-all:eni-0d2e3f4a5b6c7d8e9']]);
  });

  it('skips the protected instance', () => {
    const e = outcome(report, 'ec2-protected-instance-bitcoin-dns.json');
    expect(e.decision).toBe('skip');
    expect(e.responders[0]).toMatchObject({ responder: 'isolation', decision: 'skip', reason: 'protected' });
    expect(payloadOf(out, e.responders[0]?.evidenceKeys[0] ?? '')).toMatchObject({ kind: 'skip', action: 'skip:protected' });
  });

  it('records the sample finding as a dry-run plan (samples are only refused in enforce mode)', () => {
    const e = outcome(report, 'guardduty-sample-backdoor-dos-tcp.json');
    expect(e.decision).toBe('dry-run');
    expect(e.responders[0]?.steps.map((s) => s.id)).toContain('eni-isolate:eni-bfcffe88');
  });

  it('skips the unsupported S3 finding with the routing table\'s reason, writing no evidence', () => {
    const e = outcome(report, 's3-exfiltration-anomalous-behavior-unsupported.json');
    expect(e.decision).toBe('skip');
    expect(e.responders).toEqual([]);
    expect(e.declined.map((d) => d.responder)).toEqual(['isolation', 'credentials']);
    expect(e.reason).toMatch(/^no responder takes this event: guardduty type Exfiltration:S3\/AnomalousBehavior: resource type S3Bucket/);
  });

  it('plans to deactivate exactly the leaked user key, never the user\'s other key', () => {
    const e = outcome(report, 'iam-user-leaked-key-malicious-ip-custom.json');
    expect(e.decision).toBe('dry-run');
    const actions = e.responders[0]?.steps.map((s) => s.action) ?? [];
    expect(actions).toContain('iam:UpdateAccessKey iam-access-key/AKIATB3XV4NKQ7DRILL5');
    expect(actions.join('\n')).not.toMatch(/AKIATB3XV4NKR2SAFE01/);
  });

  it('plans to deactivate the key a Health event reports exposed', () => {
    const e = outcome(report, 'health-credentials-exposed.json');
    expect(e.decision).toBe('dry-run');
    expect(e.responders[0]?.steps.map((s) => s.action)).toContain('iam:UpdateAccessKey iam-access-key/AKIATB3XV4NKW5GITHUB');
  });

  it('plans to revoke the sessions of the role whose instance credentials were stolen', () => {
    const e = outcome(report, 'iam-stolen-instance-credentials-outside-aws.json');
    expect(e.decision).toBe('dry-run');
    expect(e.responders[0]?.steps.map((s) => s.action)).toEqual(['iam:PutRolePolicy iam-role/batch-worker-role']);
  });

  it('writes only dry-run records (and skips), signed, plus a checkpoint and the public key', () => {
    const keys = report.events.flatMap((e) => e.responders.flatMap((r) => r.evidenceKeys));
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(['intent', 'skip', 'escalation']).toContain(payloadOf(out, key).kind);
    expect(keys.every((k) => payloadOf(out, k).mode === 'dry-run')).toBe(true);
    expect(readdirSync(join(out, 'checkpoints'))).toEqual(['00000000.json']);
    expect(report.publicKeyPath).toBe(`${report.outDir}.public-key.pem`);
  });
});

describe('drill over the real fixtures', () => {
  it('decides every real event without a crash, and its evidence verifies', async () => {
    const report = await runDrill({ eventsDir: REAL_FIXTURES, outDir: tempDir() });
    const files = readdirSync(REAL_FIXTURES).filter((f) => f.endsWith('.json'));
    expect(report.events).toHaveLength(files.length);
    expect(report.events.filter((e) => e.decision === 'crash')).toEqual([]);
    for (const e of report.events) expect(['act', 'dry-run', 'skip', 'escalate']).toContain(e.decision);
    expect(report.counts.act).toBeUndefined();
    expect(report.mutations).toBe(0);
    expect(report.verify.ok).toBe(true);
    expect(report.ok).toBe(true);
  });
});

describe('drill refuses mutations', () => {
  it('fails when the responders are made to act: every mutating call is refused and counted', async () => {
    const report = await runDrill({ outDir: tempDir(), guardrails: fixedGuardrails('enforce') });
    expect(report.mutations).toBeGreaterThan(0);
    expect(report.ok).toBe(false);
    const asg = outcome(report, 'ec2-asg-backdoor-cc-activity.json');
    expect(asg.mutations.map((m) => `${m.service}:${m.command}`)).toEqual(
      expect.arrayContaining(['ec2:ModifyInstanceAttribute', 'autoscaling:DetachInstances', 'elbv2:DeregisterTargets', 'ec2:CreateSecurityGroup']),
    );
    // The responders still evidence what happened; the evidence itself stays valid.
    expect(report.verify.ok).toBe(true);
  });

  it('fails in dry-run when a responder regresses and writes anyway', async () => {
    // Inject the regression: the credential responder makes one IAM write before its real flow.
    const real = credentials.respond;
    const spy = jest.spyOn(credentials, 'respond').mockImplementation(async (event, deps) => {
      const iam = deps.iamFor({ account: '210987654321', region: 'us-east-1' });
      await iam.send(new UpdateAccessKeyCommand({ UserName: 'ci-deploy', AccessKeyId: 'AKIATB3XV4NKQ7DRILL5', Status: 'Inactive' })).catch(() => undefined);
      return real(event, deps);
    });
    try {
      const report = await runDrill({ outDir: tempDir() });
      expect(outcome(report, 'iam-user-leaked-key-malicious-ip-custom.json').mutations.map((m) => `${m.service}:${m.command}`)).toEqual([
        'iam:UpdateAccessKey',
      ]);
      expect(outcome(report, 'ec2-asg-backdoor-cc-activity.json').mutations).toEqual([]);
      expect(report.verify.ok).toBe(true);
      expect(report.ok).toBe(false);
    } finally {
      spy.mockRestore();
    }
  });

  it('the fake EC2 client answers reads from the finding and throws on a write', async () => {
    const event = JSON.parse(readFileSync(join(DEFAULT_SCENARIOS, 'ec2-asg-backdoor-cc-activity.json'), 'utf8')) as unknown;
    const log = new CallLog();
    const { ec2 } = ec2World(factsOf(event, { homeAccount: '111111111111', homeRegion: 'us-east-1' }), log);
    const client: EC2Client = ec2;
    const out = await client.send(new DescribeInstancesCommand({ InstanceIds: ['i-0a7d3c9e5b1f24680'] }));
    const instance = out.Reservations?.[0]?.Instances?.[0];
    expect(instance?.NetworkInterfaces?.map((n) => n.NetworkInterfaceId)).toEqual(['eni-0b1c2d3e4f5a6b7c8', 'eni-0d2e3f4a5b6c7d8e9']);
    expect(instance?.Tags).toContainEqual({ Key: 'aws:autoscaling:groupName', Value: 'web-frontend-asg' });
    await expect(
      client.send(new ModifyInstanceAttributeCommand({ InstanceId: 'i-0a7d3c9e5b1f24680', DisableApiTermination: { Value: true } })),
    ).rejects.toThrow(MutationRefusedError);
    expect(log.mutations).toEqual([expect.objectContaining({ service: 'ec2', command: 'ModifyInstanceAttribute', mutating: true })]);
  });
});

describe('drill input', () => {
  it('rejects a folder with no events', async () => {
    await expect(runDrill({ eventsDir: tempDir(), outDir: tempDir() })).rejects.toThrow(/no \*\.json events/);
  });

  it('rejects an invalid world file, naming the field', async () => {
    const events = tempDir();
    copyFileSync(join(DEFAULT_SCENARIOS, 'ec2-asg-backdoor-cc-activity.json'), join(events, 'a.json'));
    writeFileSync(join(events, 'a.world.json'), JSON.stringify({ instances: { 'i-0a7d3c9e5b1f24680': { volumes: [{ volumeId: 'nope' }] } } }));
    const report = await runDrill({ eventsDir: events, outDir: tempDir() });
    expect(outcome(report, 'a.json')).toMatchObject({ decision: 'crash' });
    expect(outcome(report, 'a.json').reason).toMatch(/invalid world file .*volumeId/);
    expect(report.ok).toBe(false);
  });
});

describe('drill dispatch', () => {
  const ctx = { homeAccount: '111111111111', homeRegion: 'us-east-1' };
  const scenario = (file: string): unknown => JSON.parse(readFileSync(join(DEFAULT_SCENARIOS, file), 'utf8'));

  it('routes GuardDuty findings by type with the deployment\'s routing table', () => {
    expect(routeEvent(scenario('ec2-asg-backdoor-cc-activity.json'), ctx).responders).toEqual(['isolation']);
    expect(routeEvent(scenario('iam-stolen-instance-credentials-outside-aws.json'), ctx).responders).toEqual(['credentials']);
    const s3 = routeEvent(scenario('s3-exfiltration-anomalous-behavior-unsupported.json'), ctx);
    expect(s3.responders).toEqual([]);
    expect(s3.declined[0]?.reason).toContain(routeFindingType('Exfiltration:S3/AnomalousBehavior').reason);
  });

  it('routes Health credential events and manual payloads to their function', () => {
    expect(routeEvent(scenario('health-credentials-exposed.json'), ctx).responders).toEqual(['credentials']);
    expect(routeEvent({ action: 'isolate', instanceId: 'i-0123456789abcdef0', reason: 'r', requestedBy: 'a' }, ctx).responders).toEqual(['isolation']);
    expect(routeEvent({ action: 'restore', incidentId: 'inc-aaaaaaaaaaaaaaaaaaaaaaaa', reason: 'r', requestedBy: 'a' }, ctx).responders).toEqual(['credentials']);
  });

  it('knows the Security Hub custom action ids the routing construct creates', () => {
    expect(CUSTOM_ACTION_IDS).toEqual({ isolation: CUSTOM_ACTIONS.isolate.id, credentials: CUSTOM_ACTIONS.revoke.id });
    const event = {
      source: 'aws.securityhub',
      'detail-type': 'Security Hub Findings - Custom Action',
      resources: [`arn:aws:securityhub:eu-west-1:111111111111:action/custom/${CUSTOM_ACTIONS.revoke.id}`],
      detail: { findings: [] },
    };
    expect(routeEvent(event, ctx).responders).toEqual(['credentials']);
  });
});

import { copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModifyInstanceAttributeCommand, DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import * as credentials from '../../lambdas/credentials/respond';
import { fixedGuardrails } from '../../lambdas/guardrails/types';
import { DEFAULT_SCENARIOS, DRILL_ACCOUNT, DRILL_REGION, SAMPLE_SKIPPED, runDrill, type DrillReport, type EventOutcome } from '../../lib/drill/run';
import { deploymentOf } from '../../lib/drill/deployment';
import { parseConfig, type CordonConfigInput } from '../../lib/config';
import { CallLog, MutationRefusedError, ec2World } from '../../lib/drill/world';
import { factsOf } from '../../lib/drill/facts';
import { routeFindingType } from '../../lib/routing';

const REAL_FIXTURES = join(__dirname, '../fixtures/real');

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'cordon-drill-test-'));

/** The deployment of a config, as `cordon drill --config` builds it. */
const deployment = (input: CordonConfigInput) => deploymentOf(parseConfig(input), 'test', { account: DRILL_ACCOUNT, region: DRILL_REGION });

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
  /** The same scenarios with cordon.minimumSeverity 5: medium findings are delivered too. */
  let atFive: DrillReport;

  beforeAll(async () => {
    out = tempDir();
    report = await runDrill({ outDir: out });
    atFive = await runDrill({ outDir: tempDir(), deployment: deployment({ minimumSeverity: 5 }) });
    // A config of its own: its policies are synthesized once for the authorization check (lib/drill/authorize.ts).
  }, 240_000);

  it('decides every scenario, attempts no mutating call and its evidence verifies', () => {
    const files = readdirSync(DEFAULT_SCENARIOS).filter((f) => f.endsWith('.json') && !f.endsWith('.world.json'));
    expect(report.events.map((e) => e.file)).toEqual(files.sort());
    expect(report.crashed).toBe(0);
    expect(report.mutations).toBe(0);
    expect(report.verify.ok).toBe(true);
    expect(report.verify.problems).toEqual([]);
    // Only the anchor's outcome record, written after the checkpoint (the next checkpoint covers it).
    expect(report.verify.uncovered).toBe(1);
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

  it('reports the sample finding as skipped in enforce, with the responder\'s own skip record, instead of a plan', () => {
    const e = outcome(report, 'guardduty-sample-backdoor-dos-tcp.json');
    expect(e).toMatchObject({ decision: 'skip', reason: SAMPLE_SKIPPED, deliveredBy: ['GuardDutyIsolate1'] });
    expect(e.responders[0]?.steps).toEqual([]);
    expect(payloadOf(out, e.responders[0]?.evidenceKeys[0] ?? '')).toMatchObject({ kind: 'skip', mode: 'enforce', action: 'skip:sample-finding' });
  });

  it('reports the unsupported S3 finding not delivered, naming why no rule takes it, writing no evidence', () => {
    const e = outcome(report, 's3-exfiltration-anomalous-behavior-unsupported.json');
    expect(e.decision).toBe('not-delivered');
    expect(e.responders).toEqual([]);
    expect(e.reason).toBe(`no rule routes GuardDuty type Exfiltration:S3/AnomalousBehavior: ${routeFindingType('Exfiltration:S3/AnomalousBehavior').reason}`);
  });

  it('reports a medium finding not delivered at the default minimum severity, naming the rule that dropped it', () => {
    const e = outcome(report, 'iam-user-leaked-key-malicious-ip-custom.json');
    expect(e).toMatchObject({
      decision: 'not-delivered',
      reason: 'rule GuardDutyRevoke1 takes UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom only at severity >= 7 (cordon.minimumSeverity); this finding is 5',
      responders: [],
    });
  });

  it('escalates a severity-2 root credential finding, evidenced: delivered at any severity', () => {
    const e = outcome(report, 'iam-root-credential-usage-low-severity.json');
    expect(e).toMatchObject({ decision: 'escalate', deliveredBy: ['GuardDutyRevokeAnySeverity'] });
    expect(e.responders.map((r) => [r.responder, r.decision])).toEqual([['credentials', 'escalate']]);
    expect(payloadOf(out, e.responders[0]?.evidenceKeys[0] ?? '').kind).toBe('escalation');
  });

  it('prints the facts it assumed for an event without a world file, and none where there is one', () => {
    expect(outcome(report, 'ec2-protected-instance-bitcoin-dns.json').assumed).toEqual([
      'instance i-04f6a8c0e2b4d6f81: running, 1 ENI(s) from the event, in no Auto Scaling group, no target groups, no classic load balancers, no EBS volumes, no Elastic IPs',
    ]);
    expect(outcome(report, 'ec2-asg-backdoor-cc-activity.json').assumed).toEqual([]);
  });

  it('plans to deactivate exactly the leaked user key, never the user\'s other key (minimum severity 5)', () => {
    const e = outcome(atFive, 'iam-user-leaked-key-malicious-ip-custom.json');
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
    const keys = report.events.filter((e) => e.reason !== SAMPLE_SKIPPED).flatMap((e) => e.responders.flatMap((r) => r.evidenceKeys));
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(['intent', 'skip', 'escalation']).toContain(payloadOf(out, key).kind);
    expect(keys.every((k) => payloadOf(out, k).mode === 'dry-run')).toBe(true);
    expect(readdirSync(join(out, 'checkpoints'))).toEqual(['00000000.json']);
    expect(report.publicKeyPath).toBe(`${report.outDir}.public-key.pem`);
  });
});

describe('drill over the real fixtures', () => {
  let report: DrillReport;
  beforeAll(async () => {
    report = await runDrill({ eventsDir: REAL_FIXTURES, outDir: tempDir() });
  });

  it('decides every real event without a crash, and its evidence verifies', () => {
    const files = readdirSync(REAL_FIXTURES).filter((f) => f.endsWith('.json'));
    expect(new Set(report.events.map((e) => e.file.replace(/\[\d+\]$/, '')))).toEqual(new Set(files));
    expect(report.events.filter((e) => e.decision === 'crash')).toEqual([]);
    for (const e of report.events) expect(['dry-run', 'skip', 'escalate', 'not-delivered', 'unrecognised']).toContain(e.decision);
    expect(report.mutations).toBe(0);
    expect(report.verify.ok).toBe(true);
    expect(report.ok).toBe(true);
  });

  it('counts the bare CloudTrail records apart as unrecognised, and fails unless they are allowed', async () => {
    expect(report.events.filter((e) => e.decision === 'unrecognised').map((e) => e.file)).toEqual([
      'cloudtrail-record-bare-iam-createaccesskey-1.json',
      'cloudtrail-record-bare-putuserpolicy-compromisedkeyquarantine-1.json',
    ]);
    expect(report.unrecognised).toBe(2);
    expect(report.passed).toBe(false);
    const allowed = await runDrill({ eventsDir: REAL_FIXTURES, outDir: tempDir(), allowUnknown: true });
    expect(allowed.passed).toBe(true);
  });

  it('accepts get-findings exports: GuardDuty\'s PascalCase becomes the GuardDuty Finding event, ASFF an imported Security Hub event', () => {
    expect(outcome(report, 'guardduty-api-getfindings-pascalcase-iam-recon-userpermissions-1.json[0]')).toMatchObject({
      label: 'Recon:IAMUser/UserPermissions',
      decision: 'not-delivered',
      reason: 'rule GuardDutyRevoke1 takes Recon:IAMUser/UserPermissions only at severity >= 7 (cordon.minimumSeverity); this finding is 5',
    });
    expect(outcome(report, 'securityhub-api-getfindings-guardduty-ec2-bitcointool-2018-1.json[0]')).toMatchObject({
      decision: 'not-delivered',
      reason: 'no rule takes "Security Hub Findings - Imported" from Security Hub: imported findings are not routed (their GuardDuty event already was); send them with the custom action',
    });
  });

  it('decides as the deployment does: at minimum severity 4, the routed envelopes reach exactly the responders the rules name', async () => {
    const low = await runDrill({ eventsDir: REAL_FIXTURES, outDir: tempDir(), deployment: deployment({ minimumSeverity: 4 }) });
    const delivered = (file: string) => outcome(low, file).responders.map((r) => r.responder);
    expect(delivered('guardduty-ec2-backdoor-cc-activity-b-dns-1.json')).toEqual(['isolation']);
    expect(delivered('guardduty-iam-tor-ip-caller-1.json')).toEqual(['credentials']);
    expect(delivered('health-credentials-exposed-1.json')).toEqual(['credentials']);
    expect(outcome(low, 'securityhub-custom-action-afsbp-ec2-7-1.json').decision).toBe('not-delivered');
    expect(outcome(low, 'guardduty-malware-protection-s3-scan-result-1.json').reason).toBe(
      'no Cordon rule takes source aws.guardduty, detail-type "GuardDuty Malware Protection Object Scan Result"',
    );
  });
});

describe('drill refuses mutations', () => {
  it('fails when the responders are made to act: every mutating call is refused and counted', async () => {
    const report = await runDrill({ outDir: tempDir(), guardrails: fixedGuardrails('enforce'), deployment: deployment({ minimumSeverity: 5 }) });
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
      const report = await runDrill({ outDir: tempDir(), deployment: deployment({ minimumSeverity: 5 }) });
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
    await expect(runDrill({ eventsDir: events, outDir: tempDir() })).rejects.toThrow(/^invalid world file .*a\.world\.json: instances\.i-0a7d3c9e5b1f24680\.volumes\.0\.volumeId/);
  });

  it('rejects malformed JSON as bad input before writing any evidence', async () => {
    const events = tempDir();
    writeFileSync(join(events, 'broken.json'), '{"source": "aws.guardduty",');
    const out = join(tempDir(), 'evidence');
    await expect(runDrill({ eventsDir: events, outDir: out })).rejects.toThrow(new RegExp(`^${join(events, 'broken.json')} is not valid JSON: `));
    expect(() => readdirSync(out)).toThrow(/ENOENT/);
  });

  it('rejects an evidence folder it cannot write, at once', async () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, '');
    await expect(runDrill({ outDir: join(file, 'evidence') })).rejects.toThrow(new RegExp(`^cannot write the evidence folder ${join(file, 'evidence')}: ENOTDIR`));
  });

  it('accepts a JSON array of events, each decided on its own', async () => {
    const events = tempDir();
    const one = JSON.parse(readFileSync(join(DEFAULT_SCENARIOS, 'ec2-protected-instance-bitcoin-dns.json'), 'utf8')) as unknown;
    const two = JSON.parse(readFileSync(join(DEFAULT_SCENARIOS, 'health-credentials-exposed.json'), 'utf8')) as unknown;
    writeFileSync(join(events, 'batch.json'), JSON.stringify([one, two, { hello: 'world' }]));
    const report = await runDrill({ eventsDir: events, outDir: tempDir() });
    expect(report.events.map((e) => [e.file, e.decision])).toEqual([
      ['batch.json[0]', 'skip'],
      ['batch.json[1]', 'dry-run'],
      ['batch.json[2]', 'unrecognised'],
    ]);
    expect(report.passed).toBe(false);
  });
});

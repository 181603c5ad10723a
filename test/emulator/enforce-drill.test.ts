import { CreateBucketCommand, GetObjectRetentionCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { emulatorAws } from '../../lib/drill/emulator/clients';
import { MOTO_INSTALL, motoInstalled, startMoto } from '../../lib/drill/emulator/moto';
import { formatEmulatorTotals, formatScenario } from '../../lib/drill/emulator/report';
import type { EmulatorDrillReport } from '../../lib/drill/emulator/run';
import { run } from '../cli/support';

/**
 * `cordon drill --emulator`: the isolation and credential scenarios in enforce mode against moto
 * over HTTP. Runs where `python3 -c 'import moto'` works; elsewhere one line says it is skipped.
 */

const HAS_MOTO = motoInstalled();
if (!HAS_MOTO) {
  console.log(`emulator drill skipped: moto is not installed here (${MOTO_INSTALL} to run it)`);
}

describe('cordon drill --emulator: input', () => {
  it('exits 2 naming the install command when moto cannot be started', async () => {
    const saved = process.env.CORDON_PYTHON;
    process.env.CORDON_PYTHON = '/nonexistent/python3';
    try {
      const r = await run('drill', '--emulator');
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`cordon drill --emulator: cannot start /nonexistent/python3 -m moto.server`);
      expect(r.stderr).toContain(MOTO_INSTALL);
    } finally {
      if (saved === undefined) delete process.env.CORDON_PYTHON;
      else process.env.CORDON_PYTHON = saved;
    }
  });

  it('rejects --events and --out (it runs the shipped scenarios, evidence stays in the emulator)', async () => {
    const r = await run('drill', '--emulator', '--events', 'somewhere');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--events and --out do not apply');
  });
});

if (HAS_MOTO) {
  describe('emulator harness workarounds, on moto', () => {
    it("answers GetObjectRetention (not implemented by moto) from HeadObject's lock headers", async () => {
      const moto = await startMoto();
      const aws = emulatorAws(moto.endpoint, '210987654321', 'eu-west-1');
      try {
        await aws.s3.send(new CreateBucketCommand({ Bucket: 'retention', ObjectLockEnabledForBucket: true, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
        const until = new Date(Date.now() + 3 * 86_400_000);
        until.setMilliseconds(0);
        await aws.s3.send(new PutObjectCommand({ Bucket: 'retention', Key: 'records/x', Body: 'x', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: until }));
        const r = await aws.s3.send(new GetObjectRetentionCommand({ Bucket: 'retention', Key: 'records/x' }));
        expect(r.Retention?.Mode).toBe('COMPLIANCE');
        expect(r.Retention?.RetainUntilDate?.getTime()).toBe(until.getTime());
      } finally {
        aws.destroy();
        await moto.stop();
      }
    });
  });

  describe('cordon drill --emulator (moto in server mode)', () => {
    let report: EmulatorDrillReport;
    let code: number;

    beforeAll(async () => {
      const r = await run('drill', '--emulator', '--json');
      code = r.code;
      report = JSON.parse(r.stdout) as EmulatorDrillReport;
    }, 240_000);

    it('passes: every scenario decided as the deployed function does in enforce mode, no unexpected change', () => {
      expect(code).toBe(0);
      expect(report.scenarios.map((s) => [s.name, s.responder, s.account, s.decision, s.judgement.unexpected])).toEqual([
        ['ec2-asg-backdoor-cc-activity', 'isolation', '210987654321', 'act', []],
        ['iam-user-leaked-key-malicious-ip-custom', 'credentials', '210987654321', 'act', []],
        ['health-credentials-exposed', 'credentials', '210987654321', 'act', []],
        ['iam-stolen-instance-credentials-outside-aws', 'credentials', '210987654321', 'act', []],
        ['ec2-asg-backdoor-cc-activity (member account, via AssumeRole)', 'isolation', '222222222222', 'act', []],
        ['iam-user-leaked-key-malicious-ip-custom (member account, via AssumeRole)', 'credentials', '222222222222', 'act', []],
        ['two findings on one instance, then release (state per instance)', 'isolation', '210987654321', 'act', []],
      ]);
      for (const s of report.scenarios) expect(s.judgement.checks.filter((c) => !c.ok)).toEqual([]);
      expect(report.ok).toBe(true);
    });

    it('asserts the isolation outcome read back from the emulator, on every ENI, in both accounts', () => {
      for (const s of report.scenarios.filter((x) => x.name.startsWith('ec2-asg-backdoor-cc-activity'))) {
        const what = s.judgement.checks.map((c) => c.what);
        expect(what.filter((w) => /^ENI eni-\w+ only on the isolation group$/.test(w))).toHaveLength(3);
        expect(what).toEqual(
          expect.arrayContaining([
            'the isolation group has no rule, in or out',
            'instance out of web-frontend-asg',
            'web-frontend-asg capacity unchanged',
            'targets of web-frontend-https deregistered, others kept',
            'targets of web-frontend-health deregistered, others kept',
            'deregistered from classic ELB web-frontend-classic, others kept',
            'Elastic IP disassociated (kept allocated)',
            'instance profile removed',
            'termination and stop protection on, shutdown behaviour stop',
          ]),
        );
        expect(what.filter((w) => w.startsWith('one snapshot of vol-'))).toHaveLength(2);
        // moto does not implement GetConsoleScreenshot: that capture fails there and only there.
        expect(s.steps.filter((x) => x.status !== 'succeeded' && x.id !== 'capture-console-screenshot')).toEqual([]);
      }
    });

    it('asserts the key Inactive, the other key Active and one session deny, for each credential scenario', () => {
      const byName = new Map(report.scenarios.map((s) => [s.name, s.judgement.checks.map((c) => c.what)]));
      for (const name of ['iam-user-leaked-key-malicious-ip-custom', 'health-credentials-exposed', 'iam-user-leaked-key-malicious-ip-custom (member account, via AssumeRole)']) {
        const what = byName.get(name) ?? [];
        expect(what.some((w) => /^key AKIA\w+ Inactive \(kept as evidence\)$/.test(w))).toBe(true);
        expect(what.some((w) => /^other key AKIA\w+ still Active$/.test(w))).toBe(true);
        expect(what.filter((w) => w.includes('cuts sessions issued before the response'))).toHaveLength(1);
      }
      expect(byName.get('iam-stolen-instance-credentials-outside-aws')).toEqual(
        expect.arrayContaining(['exactly one revocation policy added to role batch-worker-role', 'deny on batch-worker-role: every statement denies (a revocation can grant nothing)']),
      );
    });

    it('verifies the evidence from the emulator\'s Object Lock bucket, signed by its KMS key, and stops moto', () => {
      expect(report.verify).toMatchObject({ ok: true, problems: [] });
      expect(report.verify.records).toBeGreaterThanOrEqual(report.scenarios.reduce((n, s) => n + s.evidenceKeys.length, 0));
      expect(report.verify.checkpoints).toBeGreaterThanOrEqual(1);
      expect(report.signatures).toBeGreaterThanOrEqual(report.verify.records);
      expect(report.keyArn).toMatch(/^arn:aws:kms:eu-west-1:210987654321:key\//);
      expect(() => process.kill(report.pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    });

    it('isolates once for two findings on one instance, and release plus the listed commands restore exactly the pre-incident state read back from moto', () => {
      const s = report.scenarios.find((x) => x.name.startsWith('two findings'));
      const what = s?.judgement.checks.map((c) => c.what) ?? [];
      expect(s?.judgement.checks.filter((c) => !c.ok)).toEqual([]);
      expect(what).toEqual(
        expect.arrayContaining([
          'second finding: skip, already isolated',
          'second finding evidenced in its own incident as skip:already-isolated, linked to the isolating incident',
          'second finding changed nothing',
          'release: act in the isolating incident, every step made',
          'released: instance back in payments-api-asg',
          'release lists what it leaves, each with its command: the instance profile (passing its role is not Cordon’s), both target groups, the classic load balancer, the Elastic IP',
          'finally: instance profile as before the incident (the operator ran the listed command)',
          'finally: targets of payments-api-https as before the incident',
          'finally: targets of payments-api-health as before the incident',
          'finally: classic ELB payments-api-classic as before the incident',
          'finally: Elastic IP associated as before the incident',
          'payments-api-asg: desired capacity one more (AttachInstances adds the instance; the replacement launched at the detach stays)',
        ]),
      );
      expect(what.filter((w) => /^finally: ENI eni-\w+ on its original groups$/.test(w))).toHaveLength(3);
      expect(what.filter((w) => /^released: ENI eni-\w+ on its original groups$/.test(w))).toHaveLength(3);
      // The operator's commands ran where AWS CLI v2 is installed (CI installs it); else the scenario says so.
      const ran = what.filter((w) => w.startsWith('operator ran: aws '));
      expect(ran.length === 5 || s?.notes.some((n) => n.startsWith('AWS CLI v2 not found'))).toBe(true);
      // Nothing else differs from the pre-incident state but what is claimed, each for its reason.
      expect(s?.judgement.unexpected).toEqual([]);
      expect(s?.judgement.claimed.map((c) => c.path).filter((p) => /\/(profile|targets)$|:address\/|:elb\//.test(p))).toEqual([]);
    });

    it('evaluates every call of the responders against the synthesized policies of the principal it ran as: none refused', () => {
      expect(report.authorization.refused).toEqual([]);
      expect(Object.keys(report.authorization.byPrincipal).sort()).toEqual(['credentials', 'isolation', 'member-credentials', 'member-isolation', 'member-session-writer', 'session-revoker']);
      expect(report.authorization.evaluated).toBe(Object.values(report.authorization.byPrincipal).reduce((n, x) => n + x, 0));
      for (const s of report.scenarios) {
        expect(s.authorization.evaluated).toBeGreaterThan(10);
        expect(s.judgement.checks.map((c) => c.what)).toContain(`every AWS call authorized by the synthesized policies of the principal that sent it (${s.authorization.evaluated} requests)`);
      }
      // The member scenarios' EC2 and IAM calls run as the member role AssumeRole returned.
      const member = report.scenarios.find((s) => s.name.startsWith('ec2-asg-backdoor-cc-activity (member'));
      expect(member?.authorization.byPrincipal['member-isolation']).toBeGreaterThan(10);
      expect(report.authorization.harnessCalls).toBeGreaterThan(0);
    });

    it('copies the checkpoint to the anchor bucket of a log-archive account, and verify compares the copy', () => {
      expect(report.anchor).toEqual({ status: 'stored', key: expect.stringMatching(/^checkpoints\/\d{8}\.json$/), evidenced: true });
      expect(report.verify.anchored).toEqual({ checkpoints: 1, latestSeq: report.verify.latestCheckpoint?.seq });
    });

    it('prints what it asserted, per scenario, and the totals', () => {
      const text = report.scenarios.map(formatScenario).join('') + formatEmulatorTotals(report);
      expect(text).toMatch(/^PASS {2}ec2-asg-backdoor-cc-activity {2}\(isolation, account 210987654321, \d+ ms\)$/m);
      expect(text).toMatch(/ok {4}web-frontend-asg capacity unchanged/);
      expect(text).toMatch(/EMULATOR DRILL PASSED {2}7\/7 scenarios in enforce mode on moto/);
      expect(text).toContain(`authorization  ${report.authorization.evaluated} IAM requests evaluated against the synthesized policies, 0 refused; `);
      expect(text).toMatch(/^ {2}authz {5}\d+ IAM requests evaluated against the synthesized policies, 0 refused$/m);
      expect(text).toMatch(/evidence {2}s3:\/\/cordon-evidence-emulator-drill: VALID/);
    });
  });
}

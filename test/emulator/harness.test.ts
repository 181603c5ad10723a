import { DescribeInstancesCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { emulatorAws } from '../../lib/drill/emulator/clients';
import { diff, judge, pinned, equals } from '../../lib/drill/emulator/diff';
import { denyChecks } from '../../lib/drill/emulator/expect-credentials';
import { EmulatorUnavailableError, motoInstalled, startMoto } from '../../lib/drill/emulator/moto';
import { rewrite } from '../../lib/drill/emulator/scenarios';
import { subnetV6 } from '../../lib/drill/emulator/seed-ec2';
import { MotoRawKmsSigner } from '../../lib/drill/emulator/signer';
import { ownGroups } from '../../lib/drill/emulator/state';
import { notCordonCalls } from '../support/authz';

/** The emulator harness's own logic, without moto: its workarounds and its judge. */

describe('emulator harness: moto ENI groups', () => {
  it('reads an ENI modified to one group as that group, not moto\'s union with the launch groups', () => {
    expect(ownGroups(['sg-launch-a', 'sg-iso', 'sg-launch-b'], ['sg-launch-a', 'sg-launch-b'])).toEqual(['sg-iso']);
  });

  it('reads the primary ENI before isolation as the launch groups', () => {
    expect(ownGroups(['sg-launch-b', 'sg-launch-a'], ['sg-launch-a', 'sg-launch-b'])).toEqual(['sg-launch-a', 'sg-launch-b']);
  });
});

describe('emulator harness: judging a scenario', () => {
  const before = new Map<string, unknown>([
    ['eni/eni-1/groups', ['sg-web']],
    ['user/bob/key/AKIA1', 'Active'],
  ]);

  it('claims the changes a rule covers and reports any other as unexpected', () => {
    const after = new Map<string, unknown>([
      ['eni/eni-1/groups', ['sg-iso']],
      ['user/bob/key/AKIA1', 'Inactive'],
      ['sg/sg-new', { ingress: [] }],
    ]);
    const j = judge(diff(before, after), [pinned('eni/eni-1/groups', 'isolated')], [equals('eni on iso', after.get('eni/eni-1/groups'), ['sg-iso'])]);
    expect(j.claimed.map((c) => [c.path, c.reason])).toEqual([['eni/eni-1/groups', 'isolated']]);
    expect(j.unexpected.map((c) => c.path)).toEqual(['sg/sg-new', 'user/bob/key/AKIA1']);
    expect(j.ok).toBe(false);
  });

  it('fails on a required outcome that does not hold, naming what was found', () => {
    const j = judge([], [], [equals('key Inactive', 'Active', 'Inactive')]);
    expect(j.ok).toBe(false);
    expect(j.checks[0]).toEqual({ what: 'key Inactive', ok: false, detail: 'expected "Inactive", found "Active"' });
  });
});

describe('emulator harness: revocation documents', () => {
  const from = new Date('2026-01-01T10:00:00Z');
  const to = new Date('2026-01-01T10:00:05Z');
  const deny = (Effect: string, cutoff: string) => ({ Version: '2012-10-17', Statement: [{ Effect, Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': cutoff } } }] });

  it('accepts a deny-all of sessions issued before a cut-off taken during the run', () => {
    expect(denyChecks('d', deny('Deny', '2026-01-01T10:00:02Z'), from, to).checks.every((c) => c.ok)).toBe(true);
  });

  it('rejects a statement that allows, and a cut-off outside the run', () => {
    const checks = denyChecks('d', deny('Allow', '2025-12-31T00:00:00Z'), from, to).checks;
    expect(checks.filter((c) => !c.ok).map((c) => c.what)).toEqual([
      'd: every statement denies (a revocation can grant nothing)',
      'd: cuts sessions issued before the response (aws:TokenIssueTime from this run, up to 5 minutes after it)',
    ]);
  });
});

describe('emulator harness: seeding helpers', () => {
  it('puts the emulator\'s ids in place of the scenario\'s, longest first', () => {
    expect(rewrite('{"a":"i-0abc","b":"i-0abcdef"}', [['i-0abc', 'i-1'], ['i-0abcdef', 'i-2']])).toEqual({ a: 'i-1', b: 'i-2' });
  });

  it('carves the n-th /64 out of a VPC /56', () => {
    expect(subnetV6('2600:1f18:4bc2:5e00::/56', 3)).toBe('2600:1f18:4bc2:5e03::/64');
  });
});

describe('emulator harness: KMS signer adapter', () => {
  beforeAll(() => notCordonCalls('the RAW signer is the emulator harness’s moto workaround, never deployed: the functions sign with DIGEST (test/evidence/kms-signer.test.ts)'));
  it('asks KMS for a RAW signature over the canonical bytes (moto double-hashes a DIGEST)', async () => {
    const kms = mockClient(KMSClient);
    kms.on(SignCommand).resolves({ Signature: Uint8Array.from([1, 2, 3]) });
    const message = Buffer.from('{"payload":1}');
    const signer = new MotoRawKmsSigner(new KMSClient({ region: 'eu-west-1' }), 'arn:aws:kms:eu-west-1:1:key/k');
    expect(await signer.sign(message, Buffer.alloc(32))).toEqual(Buffer.from([1, 2, 3]));
    expect(kms).toHaveReceivedCommandWith(SignCommand, { KeyId: 'arn:aws:kms:eu-west-1:1:key/k', Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' });
    kms.restore();
  });
});

describe('emulator harness: starting moto', () => {
  it('reports moto missing, with the install command, when the interpreter cannot import it', async () => {
    expect(motoInstalled({ python: '/nonexistent/python3' })).toBe(false);
    await expect(startMoto({ python: '/nonexistent/python3' })).rejects.toThrow(EmulatorUnavailableError);
    await expect(startMoto({ python: '/nonexistent/python3' })).rejects.toThrow("pip install 'moto[server]==5.2.1'");
  });
});

describe('emulator harness: fault injection', () => {
  it('fails the chosen call of Cordon’s before it is sent, records it as injected, and leaves every other call alone', async () => {
    // Nothing answers on port 9: a call that is sent fails to connect; the injected one never tries.
    const aws = emulatorAws('http://127.0.0.1:9', '210987654321', 'eu-west-1');
    const injected = Object.assign(new Error('injected for the test'), { name: 'InternalError', $metadata: { httpStatusCode: 500, requestId: 'injected-1' } });
    aws.log.fault = (c) => (c.command === 'DescribeInstances' ? injected : undefined);
    try {
      const { ec2 } = aws.ec2Family('eu-west-1');
      await aws.log.during('isolation', async () => {
        await expect(ec2.send(new DescribeInstancesCommand({}))).rejects.toBe(injected);
        await expect(ec2.send(new DescribeVpcsCommand({}))).rejects.not.toBe(injected);
      });
      // The harness's own calls (seeding, reading back) are never failed by the hook.
      await expect(aws.seeder('300000000001').ec2.ec2.send(new DescribeInstancesCommand({}))).rejects.not.toBe(injected);
      expect(aws.log.injected.map((c) => [c.command, c.error, c.injected])).toEqual([['DescribeInstances', 'InternalError', true]]);
      expect(aws.log.take().map((c) => [c.command, c.injected ?? false])).toEqual([
        ['DescribeInstances', true],
        ['DescribeVpcs', false],
      ]);
    } finally {
      aws.destroy();
    }
  });
});

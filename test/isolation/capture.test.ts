import { createHash } from 'node:crypto';
import { GetConsoleScreenshotCommand } from '@aws-sdk/client-ec2';
import { respond } from '../../lambdas/isolation/respond';
import { awsError, busyWorld, ec2Mock, ISOLATION_SG } from '../support/aws-world';
import { guardDutyEvent, setup } from './support';
import { authorizeAs } from '../support/authz';

authorizeAs('isolation');

/** Volatile evidence first: console output and screenshot, stored in the vault, hashed in the record. */

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('console capture before the cut', () => {
  it('stores the console output and screenshot in the vault, their SHA-256 in the step records, before the isolation group goes on', async () => {
    const world = busyWorld();
    world.consoleOutput = 'Ubuntu 24.04 web-1 ttyS0\nxmrig: mining pool connected\n';
    const s = setup({ world });
    const summary = await respond(guardDutyEvent(), s.deps);
    expect(summary.decision).toBe('act');

    const output = s.evidence.ofKind('step').find((r) => r.detail?.stepId === 'capture-console-output');
    const outputSha = sha256(world.consoleOutput);
    const outputKey = `artifacts/${summary.incidentId}/console-output-${outputSha}.txt`;
    expect(output).toMatchObject({
      action: 'ec2:GetConsoleOutput',
      after: {
        capturedAt: '2026-12-01T10:00:00.000Z',
        artifact: { name: 'console-output', contentType: 'text/plain; charset=utf-8', sha256: outputSha, bytes: Buffer.byteLength(world.consoleOutput), key: outputKey },
      },
    });
    expect(s.artifacts.objects.get(outputKey)?.toString('utf8')).toBe(world.consoleOutput);

    const screenshotSha = sha256('JPEG-BYTES');
    const screenshotKey = `artifacts/${summary.incidentId}/console-screenshot-${screenshotSha}.jpg`;
    expect(s.evidence.ofKind('step').find((r) => r.detail?.stepId === 'capture-console-screenshot')?.after).toEqual({
      artifact: { name: 'console-screenshot', contentType: 'image/jpeg', sha256: screenshotSha, bytes: 10, key: screenshotKey },
    });
    expect(s.artifacts.objects.get(screenshotKey)?.toString()).toBe('JPEG-BYTES');

    // Read before the first ENI goes to the isolation group.
    const firstCut = s.calls.findIndex((c) => c.command === 'ModifyNetworkInterfaceAttribute' && (c.input.Groups as string[])[0] === ISOLATION_SG);
    expect(s.calls.findIndex((c) => c.command === 'GetConsoleOutput')).toBeLessThan(firstCut);
    expect(s.calls.findIndex((c) => c.command === 'GetConsoleScreenshot')).toBeLessThan(firstCut);
    expect(s.calls.find((c) => c.command === 'GetConsoleOutput')?.input).toEqual({ InstanceId: world.instanceId, Latest: true });
  });

  it('cuts the network anyway when a capture fails, evidencing the failure', async () => {
    const s = setup({ fail: (c) => (c.command === 'GetConsoleScreenshot' ? awsError('UnsupportedOperation', 'screenshots are not supported for this instance type') : undefined) });
    const summary = await respond(guardDutyEvent(), s.deps);
    expect(summary).toMatchObject({ decision: 'act', reason: 'some-steps-failed' });
    expect(summary.steps.find((x) => x.id === 'capture-console-screenshot')).toMatchObject({ status: 'failed', error: 'UnsupportedOperation: screenshots are not supported for this instance type' });
    expect(s.evidence.ofKind('outcome')[0]?.after).toMatchObject({ networkCut: true });
  });

  it('does not let a capture that never answers hold the cut (bounded wait, then a timeout)', async () => {
    const s = setup();
    ec2Mock.on(GetConsoleScreenshotCommand).callsFake(() => new Promise(() => undefined));
    const summary = await respond(guardDutyEvent(), s.deps);
    expect(s.world.enis.every((e) => e.groups[0] === ISOLATION_SG)).toBe(true);
    expect(summary.steps.find((x) => x.id === 'capture-console-screenshot')).toMatchObject({ status: 'failed', error: 'Error: GetConsoleScreenshot did not answer within 200 ms' });
    expect(s.evidence.ofKind('outcome')[0]?.after).toMatchObject({ networkCut: true });
  });

  it('keeps the hash when the vault refuses the object', async () => {
    const s = setup();
    const refused = { put: () => Promise.reject(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' })) };
    const summary = await respond(guardDutyEvent(), { ...s.deps, artifacts: refused });
    const after = s.evidence.ofKind('step').find((r) => r.detail?.stepId === 'capture-console-output')?.after as { artifact: Record<string, unknown> };
    expect(after.artifact).toEqual({
      name: 'console-output',
      contentType: 'text/plain; charset=utf-8',
      sha256: sha256('login: '),
      bytes: 7,
      error: `storing artifacts/${summary.incidentId}/console-output-${sha256('login: ')}.txt failed: AccessDenied: Access Denied`,
    });
  });
});

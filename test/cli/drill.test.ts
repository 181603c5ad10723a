import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './support';

describe('cordon drill (CLI, in-process)', () => {
  it('prints each event\'s decision, plan and evidence, verifies, and exits 0', async () => {
    const out = mkdtempSync(join(tmpdir(), 'cordon-drill-cli-'));
    const r = await run('drill', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`dry-run, evidence in ${out}`);
    expect(r.stdout).toMatch(/ec2-asg-backdoor-cc-activity\.json\n {2}decision {2}DRY-RUN/);
    expect(r.stdout).toMatch(/plan {2}autoscaling:DetachInstances +detach-asg/);
    expect(r.stdout).toMatch(/evidence {2}records\/inc-[0-9a-f]{24}\/00000000\.json/);
    expect(r.stdout).toMatch(/s3-exfiltration-anomalous-behavior-unsupported\.json\n {2}decision {2}SKIP — no responder takes this event/);
    expect(r.stdout).toContain(`VALID  ${out}`);
    expect(r.stdout).toContain('DRILL PASSED');
    // The printed verify command works as printed.
    const pem = /--public-key (\S+)/.exec(r.stdout)?.[1] ?? '';
    expect((await run('verify', out, '--public-key', pem)).code).toBe(0);
  });

  it('runs over an events folder into a fresh temporary folder when --out is not given', async () => {
    const r = await run('drill', '--events', join(__dirname, '../fixtures/real'), '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { outDir: string; ok: boolean; events: unknown[]; crashed: number };
    expect(report).toMatchObject({ ok: true, crashed: 0 });
    expect(report.outDir.startsWith(tmpdir())).toBe(true);
    expect(readdirSync(join(report.outDir, 'records')).length).toBeGreaterThan(0);
  });

  it('exits 2 for a missing events folder', async () => {
    const r = await run('drill', '--events', join(tmpdir(), 'no-such-cordon-events'), '--out', mkdtempSync(join(tmpdir(), 'cordon-drill-cli-')));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cordon drill: cannot read the events folder');
  });
});

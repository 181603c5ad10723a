import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../lib/cli/program';
import { run } from './support';

const REAL = join(__dirname, '../fixtures/real');
const temp = (): string => mkdtempSync(join(tmpdir(), 'cordon-drill-cli-'));

/** `cordon drill` with a terminal on stderr and stdout (progress and colour allowed). */
const runOnTerminal = async (...argv: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { stdout: (t) => out.push(t), stderr: (t) => err.push(t), interactive: true, colour: true });
  return { code, stdout: out.join(''), stderr: err.join('') };
};

describe('cordon drill (CLI, in-process)', () => {
  it('prints each event\'s decision, plan and evidence, a summary table, verifies, and exits 0', async () => {
    const out = temp();
    const r = await run('drill', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`evidence in ${out}`);
    expect(r.stdout).toMatch(/ec2-asg-backdoor-cc-activity\.json\n {2}decision {2}DRY-RUN/);
    expect(r.stdout).toMatch(/plan {2}autoscaling:DetachInstances +detach-asg/);
    expect(r.stdout).toMatch(/evidence {2}records\/inc-[0-9a-f]{24}\/00000000\.json/);
    expect(r.stdout).toMatch(/s3-exfiltration-anomalous-behavior-unsupported\.json\n {2}decision {2}NOT-DELIVERED — no rule routes GuardDuty type Exfiltration:S3\/AnomalousBehavior/);
    expect(r.stdout).toMatch(/guardduty-sample-backdoor-dos-tcp\.json\n {2}decision {2}SKIP — sample: skipped in enforce/);
    expect(r.stdout).toContain('  assumed   no world file (docs/drill.md), so the world takes for granted:\n            instance i-04f6a8c0e2b4d6f81: running');
    expect(r.stdout).toContain(`VALID  ${out}`);
    expect(r.stdout).toMatch(/SUMMARY\n {2}config +\S+\n\n {2}decision +events\n {2}dry-run +3\n {2}escalate +1\n {2}skip +2\n {2}not-delivered +2\n {2}total +8\n/);
    expect(r.stdout).toMatch(/\n {2}Policy:IAMUser\/RootCredentialUsage +1 {2}escalate 1\n/);
    expect(r.stdout).toMatch(/\n {2}steps planned +\d+\n {2}evidence records +\d+ in 7 incidents, 1 checkpoint\(s\), verified\n {2}time +\d+\.\d s \(\d+ events\/s\)\n/);
    expect(r.stdout).toContain('DRILL PASSED');
    expect(r.stdout).not.toContain('\u001b[');
    expect(r.stderr).toBe('');
    // The printed verify command works as printed.
    const pem = /--public-key (\S+)/.exec(r.stdout)?.[1] ?? '';
    expect((await run('verify', out, '--public-key', pem)).code).toBe(0);
  });

  it('--quiet prints only the summary', async () => {
    const r = await run('drill', '--quiet', '--out', temp());
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('SUMMARY\n')).toBe(true);
    expect(r.stdout).not.toMatch(/\n {2}decision {2}[A-Z]/);
  });

  it('shows progress on stderr and colours decisions only on a terminal', async () => {
    const r = await runOnTerminal('drill', '--quiet', '--out', temp());
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('\rcordon drill: 8/8 events');
    expect(r.stderr.endsWith('\r\u001b[K')).toBe(true);
    expect(r.stdout).toContain('\u001b[32mDRILL PASSED\u001b[0m');
  });

  it('fails on unrecognised inputs unless --allow-unknown, counting them apart', async () => {
    const r = await run('drill', '--events', REAL, '--quiet', '--out', temp());
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\n {2}unrecognised +2\n/);
    expect(r.stdout).toContain('DRILL FAILED: 2 unrecognised input(s) (--allow-unknown to accept them)');
    const allowed = await run('drill', '--events', REAL, '--quiet', '--allow-unknown', '--json');
    expect(allowed.code).toBe(0);
    const report = JSON.parse(allowed.stdout) as { outDir: string; passed: boolean; unrecognised: number };
    expect(report).toMatchObject({ passed: true, unrecognised: 2 });
    expect(report.outDir.startsWith(tmpdir())).toBe(true);
    expect(readdirSync(join(report.outDir, 'records')).length).toBeGreaterThan(0);
  });

  it('drills with the config of --config: routing and the functions\' settings', async () => {
    const config = join(temp(), 'cdk.json');
    writeFileSync(config, JSON.stringify({ context: { cordon: { minimumSeverity: 5 } } }));
    const r = await run('drill', '--config', config, '--out', temp());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/iam-user-leaked-key-malicious-ip-custom\.json\n {2}decision {2}DRY-RUN/);
    expect(r.stdout).toContain(`  config             ${config}`);
    // A config of its own: its policies are synthesized once for the authorization check.
  }, 240_000);

  it.each([
    ['malformed JSON', () => {
      const dir = temp();
      writeFileSync(join(dir, 'x.json'), '[{"source":');
      return ['--events', dir, '--out', temp()];
    }, /^cordon drill: \S+x\.json is not valid JSON: .+\n$/],
    ['an evidence folder it cannot write', () => {
      const file = join(temp(), 'f');
      writeFileSync(file, '');
      return ['--out', join(file, 'out')];
    }, /^cordon drill: cannot write the evidence folder \S+\/f\/out: ENOTDIR.*\n$/],
    ['a missing events folder', () => ['--events', join(tmpdir(), 'no-such-cordon-events'), '--out', temp()], /^cordon drill: cannot read the events folder .*\n$/],
    ['an invalid --config', () => {
      const config = join(temp(), 'cdk.json');
      writeFileSync(config, JSON.stringify({ context: { cordon: { mode: 'on' } } }));
      return ['--config', config];
    }, /^cordon drill: invalid config in \S+cdk\.json: cordon\.mode must be one of enforce, dry-run, off, received "on"\n$/],
  ])('exits 2 with one line for %s', async (_what, args, line) => {
    const r = await run('drill', ...args());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(line);
    expect(r.stdout).toBe('');
  });
});

import { chmodSync, mkdtempSync, readFileSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatSummary } from '../../lib/cli/drill-report';
import { runCli } from '../../lib/cli/program';
import { runDrill, type DrillReport } from '../../lib/drill/run';

/** `cordon verify --json` in process: exit code and report. */
const verify = async (...argv: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['verify', ...argv, '--json'], { stdout: (t) => out.push(t), stderr: (t) => err.push(t), interactive: false });
  return { code, report: out.length ? (JSON.parse(out.join('')) as { ok: boolean; problems: { code: string; key?: string }[]; anchored?: { checkpoints: number; latestSeq?: number } }) : undefined, stderr: err.join('') };
};

/** The drill's folders are write-once (files read-only): make a file deletable, as an attacker with the account would. */
const remove = (dir: string, key: string): void => {
  chmodSync(join(dir, key), 0o600);
  unlinkSync(join(dir, key));
};

describe('the drill\'s anchor (local mode of the log-archive copy)', () => {
  let report: DrillReport;
  beforeAll(async () => {
    report = await runDrill({ outDir: join(mkdtempSync(join(tmpdir(), 'cordon-drill-anchor-')), 'evidence') });
  });

  it('copies the checkpoint, byte for byte, to a folder outside the evidence folder', () => {
    expect(report.anchorDir).toBe(`${report.outDir}.anchor`);
    expect(report.anchor).toEqual({ status: 'stored', key: 'checkpoints/00000000.json', evidenced: true });
    expect(readdirSync(join(report.anchorDir, 'checkpoints'))).toEqual(['00000000.json']);
    expect(readFileSync(join(report.anchorDir, report.checkpointKey))).toEqual(readFileSync(join(report.outDir, report.checkpointKey)));
    expect(report.verify).toMatchObject({ ok: true, anchored: { checkpoints: 1, latestSeq: 0 } });
    expect(report.passed).toBe(true);
  });

  it('evidences the copy in the day\'s anchor chain: an intent, then the outcome', () => {
    const [chain] = readdirSync(join(report.outDir, 'records')).filter((d) => d.startsWith('anchor-'));
    expect(chain).toBe(`anchor-${new Date().toISOString().slice(0, 10)}`);
    const payloads = readdirSync(join(report.outDir, 'records', chain ?? '')).map(
      (f) => (JSON.parse(readFileSync(join(report.outDir, 'records', chain ?? '', f), 'utf8')) as { payload: Record<string, unknown> }).payload,
    );
    expect(payloads.map((p) => [p.kind, p.action, (p.after as { outcome?: string }).outcome])).toEqual([
      ['intent', 'anchor:PutCheckpointCopy', undefined],
      ['step', 'anchor:PutCheckpointCopy', 'stored'],
    ]);
  });

  it('prints the verify command with the pinned key and the anchor, both outside the evidence folder', () => {
    expect(formatSummary(report)).toContain(`  verify with: cordon verify ${report.outDir} --public-key ${report.publicKeyPath} --anchor ${report.anchorDir}\n`);
    expect(formatSummary(report)).toContain(`  anchor ${report.anchorDir} (checkpoints/00000000.json stored)\n`);
  });

  it('TRUNCATED_TAIL when the newest checkpoint and the newest records are deleted: unseen without the anchor, reported with it', async () => {
    expect((await verify(report.outDir, '--public-key', report.publicKeyPath, '--anchor', report.anchorDir)).code).toBe(0);
    // The tail: the checkpoint, and the last record of an incident it covers (one with several records).
    const recordsOf = (incident: string) => readdirSync(join(report.outDir, 'records', incident)).sort();
    const incident = readdirSync(join(report.outDir, 'records')).find((d) => !d.startsWith('anchor-') && recordsOf(d).length > 1) ?? '';
    const records = recordsOf(incident);
    const last = `records/${incident}/${records[records.length - 1] ?? ''}`;
    expect(statSync(join(report.outDir, last)).isFile()).toBe(true);
    remove(report.outDir, report.checkpointKey);
    remove(report.outDir, last);

    const unanchored = await verify(report.outDir, '--public-key', report.publicKeyPath);
    expect(unanchored.code).toBe(0);
    const anchored = await verify(report.outDir, '--public-key', report.publicKeyPath, '--anchor', report.anchorDir);
    expect(anchored.code).toBe(1);
    expect(anchored.report?.problems.map((p) => [p.code, p.key])).toEqual([
      ['TRUNCATED_TAIL', 'checkpoints/00000000.json'],
      ['TRUNCATED_TAIL', last],
    ]);
  });
});

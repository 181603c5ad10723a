import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

/** Runs bin/app.ts as the CDK CLI does: the context in CDK_CONTEXT_JSON, an empty output folder. */
const synthWith = (context: Record<string, unknown>) =>
  spawnSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'bin/app.ts')], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'cordon-app-')) },
  });

describe('bin/app.ts', () => {
  it('rejects an invalid configuration with one clean list and exit 1, without a stack trace', () => {
    const run = synthWith({ cordon: '{"mode":"on"}', 'cordon.cloudTrail.trailName': 'x' });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      [
        `cordon: invalid configuration (cdk.json "cordon", -c cordon='{...}' or -c cordon.KEY=VALUE):`,
        '  - cordon.mode must be one of enforce, dry-run, off, received "on"',
        '  - cordon.cloudTrail.trailName must be a trail name of 3-128 letters, digits, ".", "_" or "-", received "x"',
        '',
      ].join('\n'),
    );
    expect(run.stdout).toBe('');
  });
});

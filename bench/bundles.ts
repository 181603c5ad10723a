/**
 * Bundle size and module-init time of every Lambda handler, bundled the way ResponderFunction
 * bundles them (ESM, tree-shaken, minified), compared with a bare `node -e 0`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import type { BenchRow } from './types';

const HANDLERS = join(__dirname, '..', 'lambdas', 'handlers');
const RUNS = 9;

/** What a deployed responder's environment holds (lib/response-stack.ts), with placeholder values. */
const LAMBDA_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  EVIDENCE_BUCKET: 'cordon-evidence-bench',
  SIGNING_KEY_ID: 'arn:aws:kms:us-east-1:111111111111:key/00000000-0000-0000-0000-000000000000',
  HEADS_TABLE: 'cordon-heads-bench',
  RETENTION_DAYS: '2555',
  MODE_PARAMETER: '/cordon/mode',
  GUARDRAILS_TABLE: 'cordon-guardrails-bench',
  NOTIFY_TOPIC_ARN: 'arn:aws:sns:us-east-1:111111111111:cordon-bench',
  PROTECTED_TAG: 'cordon:protected=true',
};

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const wallMs = (args: string[]): number => {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(process.execPath, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: LAMBDA_ENV,
    });
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${result.stderr.toString().slice(-1500)}`);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
};

/** Bundles one handler exactly as the construct does; returns the output file. */
export const bundle = (handler: string, outdir: string): string => {
  const outfile = join(outdir, `${handler}.mjs`);
  buildSync({
    entryPoints: [join(HANDLERS, `${handler}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    mainFields: ['module', 'main'],
    minify: true,
    logLevel: 'silent',
    banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
  });
  return outfile;
};

export const benchBundles = async (): Promise<BenchRow[]> => {
  const handlers = readdirSync(HANDLERS)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3));
  const outdir = mkdtempSync(join(tmpdir(), 'cordon-bundles-'));
  const bare = wallMs(['-e', '0']);
  const rows: BenchRow[] = [{ name: 'bare node -e 0 (median of 9)', value: bare, unit: 'ms' }];
  for (const handler of handlers) {
    const file = bundle(handler, outdir);
    const loader = join(outdir, `load-${handler}.mjs`);
    // Module init only: import the bundle (clients constructed at module scope), call nothing.
    // Exit right after the import: calls the module starts (e.g. GetPublicKey) must not count.
    writeFileSync(loader, `await import(${JSON.stringify(file)});\nprocess.exit(0);\n`);
    const init = wallMs([loader]);
    rows.push(
      { name: `${handler}: bundle size (minified ESM)`, value: statSync(file).size / 1024, unit: 'KiB' },
      { name: `${handler}: module init vs bare node`, value: init / bare, unit: 'x', goal: '<= 1.5x' },
    );
  }
  return rows;
};

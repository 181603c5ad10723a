import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { benchNode } from './bench-node';
import { bundleFolder, lastJsonLine } from './child-process';
import { oneCoreRows } from './evidence-ceilings';
import type { BenchRow } from './types';
import type { VerifyFigures } from './verify-child';

/**
 * The evidence bench's verify rows, measured on the code `cordon verify` runs: bench/verify-child.ts
 * built with the esbuild options of `npm run build` (read from package.json, so the two cannot
 * drift apart) and run in a fresh process on the bench's Node (bench/bench-node.ts). Not tsx's
 * transpile, which wraps every named function in a call that keeps its name (measured: the build
 * scores 1-2 points higher on the one-core shares).
 */

const ROOT = path.join(__dirname, '..');

/**
 * The esbuild options of package.json's `build` script: each `--name` or `--name=value` flag, as
 * esbuild's API spells it (`--log-level` -> `logLevel`); the entry point and output are the caller's.
 */
export const cliBuildOptions = (): BuildOptions => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts?: { build?: string } };
  const words = (pkg.scripts?.build ?? '').trim().split(/\s+/);
  if (words[0] !== 'esbuild') throw new Error(`bench: package.json's build script does not start with esbuild: ${pkg.scripts?.build ?? '(none)'}`);
  const options: Record<string, string | boolean> = {};
  for (const word of words.slice(1).filter((w) => w.startsWith('--'))) {
    const [flag = '', value] = word.slice(2).split('=', 2) as [string, string | undefined];
    if (!/^[a-z-]+$/.test(flag)) throw new Error(`bench: cannot read esbuild flag ${word} of package.json's build script (only --name and --name=value)`);
    const name = flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (name !== 'outfile' && name !== 'outdir') options[name] = value ?? true;
  }
  return options as BuildOptions;
};

let bundled: Promise<string> | undefined;

/** bench/verify-child.ts built as `npm run build` builds bin/cordon.ts. */
export const verifyBundle = (): Promise<string> =>
  (bundled ??= (async () => {
    const outfile = path.join(bundleFolder('cordon-bench-verify-'), 'verify-child.js');
    await build({ ...cliBuildOptions(), entryPoints: [path.join(__dirname, 'verify-child.ts')], outfile });
    return outfile;
  })());

/** One-core rounds (bench/evidence-ceilings.ts), after one that warms the JIT up. */
const ROUNDS = 7;

/** VerifyFigures of `large` records, from the built child in a fresh process; fails loudly if the child does. */
const figuresOf = (child: string, large: number): VerifyFigures => lastJsonLine<VerifyFigures>([child, String(large), String(ROUNDS)], 'the verify child');

/** The verify rows: 10k and `large` records on one thread, one core beside the ceilings, every core. */
export const verifyRows = async (large: number): Promise<BenchRow[]> => {
  const f = figuresOf(await verifyBundle(), large);
  const as = `esbuild build as \`cordon verify\` runs it, Node ${benchNode().version}`;
  const rows: BenchRow[] = [];
  for (const { label, signatures, chain } of f.sets) {
    rows.push(
      { name: `evidence verify ${label}, every signature (wall; ${as})`, value: signatures.perSecond, unit: 'rec/s', goal: '>= 8,000' },
      { name: `evidence verify ${label}, every signature (per CPU-s; ${as})`, value: signatures.perCpuSecond, unit: 'rec/s' },
      { name: `evidence verify ${label}, chain+checkpoint (wall; ${as})`, value: chain.perSecond, unit: 'rec/s', goal: '>= 100,000' },
      { name: `evidence verify ${label}, chain+checkpoint (per CPU-s; ${as})`, value: chain.perCpuSecond, unit: 'rec/s' },
    );
  }
  rows.push(...oneCoreRows(f.oneCore, as));
  const { threads, signatures, chain } = f.everyCore;
  const big = f.oneCore.chainLabel;
  const on = `${threads} threads (${threads - 1} worker)`;
  rows.push(
    { name: `evidence verify ${big}, every signature, ${on} (wall; ${as})`, value: signatures, unit: 'rec/s' },
    { name: `evidence verify ${big}, chain+checkpoint, ${on} (wall; ${as})`, value: chain, unit: 'rec/s' },
  );
  return rows;
};

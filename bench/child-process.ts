import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { benchNode } from './bench-node';

/**
 * What the bench's child processes share (bench/deployed.ts, bench/evidence-verify.ts): a folder
 * for a built child, and a run of it that prints its figures as its last line of JSON.
 */

/**
 * A fresh folder under node_modules/.cache, removed when the bench exits: a bundle built there
 * resolves the packages it leaves out from the repository's node_modules.
 */
export const bundleFolder = (prefix: string): string => {
  const cache = path.join(__dirname, '..', 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const outdir = mkdtempSync(path.join(cache, prefix));
  process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
  return outdir;
};

/**
 * Runs `args` (flags, the child file, its arguments) on the bench's Node (bench/bench-node.ts)
 * in a fresh process and returns the JSON of its last line of output; fails loudly, naming
 * `what`, if the child fails.
 */
export const lastJsonLine = <T>(args: readonly string[], what: string, env: NodeJS.ProcessEnv = process.env): T => {
  const result = spawnSync(benchNode().path, args, { cwd: path.join(__dirname, '..'), encoding: 'utf8', env, maxBuffer: 16 * 1024 * 1024 });
  const last = result.stdout.trim().split('\n').at(-1) ?? '';
  if (result.status !== 0 || !last.startsWith('{')) throw new Error(`bench: ${what} exited ${result.status}: ${result.stderr.slice(-2000)}`);
  return JSON.parse(last) as T;
};

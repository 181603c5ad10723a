import { accessSync, constants } from 'node:fs';
import { spawnSync } from 'node:child_process';

/**
 * The Node.js binary the "as deployed" rows run on (CPU per finding, cold start): `BENCH_NODE`
 * when set, for Lambda's own major version (the functions run Node.js 24; this machine has 20,
 * whose V8 is measurably slower at some patterns, e.g. an object spread followed by more
 * properties), else the bench's own Node.
 */
export interface BenchNode {
  readonly path: string;
  /** `v24.x.y`, as the binary prints it. */
  readonly version: string;
}

let found: BenchNode | undefined;

export const benchNode = (): BenchNode => {
  if (found) return found;
  const path = process.env.BENCH_NODE ?? process.execPath;
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`BENCH_NODE=${path} is not an executable file: set it to a Node.js binary (see README, "Bench")`);
  }
  const printed = spawnSync(path, ['-v'], { encoding: 'utf8' });
  const version = printed.stdout.trim();
  if (printed.status !== 0 || !/^v\d+\.\d+\.\d+$/.test(version)) throw new Error(`BENCH_NODE=${path} did not print a Node.js version (-v): ${printed.stderr.slice(0, 200)}`);
  return (found = { path, version });
};

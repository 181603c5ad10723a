import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { FUNCTION_MEMORY_MB, semiSpaceMb, youngGenerationFlag } from '../lib/function-runtime';
import { JIT_EARLY, JIT_WARM_UP, median, type CpuFigures } from './stats';
import type { BenchRow } from './types';

/**
 * CPU per finding as a function's container sees it: one responder per fresh Node process (a
 * container runs one function, so no other bench module's heap is there), with the V8 flags the
 * function is deployed with (lib/function-runtime.ts), and, for comparison, with V8's defaults.
 * The loop itself is the responder's bench module's (bench/cpu-child.ts runs it).
 */

export type Responder = 'isolation' | 'credentials';

const FINDINGS = 2000;

/** Runs `responder`'s CPU loop in a fresh process with `flags`; fails loudly if the child does. */
export const cpuInProcess = (responder: Responder, flags: readonly string[], warmUp = JIT_WARM_UP, findings = FINDINGS): CpuFigures => {
  // process.execArgv carries tsx's loader when the bench runs through tsx.
  const result = spawnSync(process.execPath, [...process.execArgv, ...flags, path.join(__dirname, 'cpu-child.ts'), responder, String(findings), String(warmUp)], {
    encoding: 'utf8',
    env: { ...process.env, AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1' },
    maxBuffer: 16 * 1024 * 1024,
  });
  const last = result.stdout.trim().split('\n').at(-1) ?? '';
  if (result.status !== 0 || !last.startsWith('{')) {
    throw new Error(`bench: the ${responder} CPU loop exited ${result.status}: ${result.stderr.slice(-2000)}`);
  }
  return JSON.parse(last) as CpuFigures;
};

/** The rows of `responder`'s CPU per finding: as deployed (the goal) and with V8's default young generation. */
export const cpuRows = async (responder: Responder, label: string): Promise<BenchRow[]> => {
  const flags = [youngGenerationFlag(FUNCTION_MEMORY_MB)];
  // Median of 3 fresh processes, figure by figure: one process's window can catch a burst of
  // background work (a compile, concurrent marking) that the next does not.
  const runs = [0, 1, 2].map(() => cpuInProcess(responder, flags));
  const mid = (pick: (f: CpuFigures) => number) => median(runs.map(pick));
  const deployed: CpuFigures = { cpuP50: mid((f) => f.cpuP50), cpuP99: mid((f) => f.cpuP99), wallP50: mid((f) => f.wallP50), wallP99: mid((f) => f.wallP99), allocatedKiB: mid((f) => f.allocatedKiB) };
  const early = cpuInProcess(responder, flags, JIT_EARLY);
  const defaults = cpuInProcess(responder, []);
  const as = `as deployed: ${FUNCTION_MEMORY_MB} MB, ${semiSpaceMb(FUNCTION_MEMORY_MB)} MB semi-space; fresh process, zero-latency stubs, after ${JIT_WARM_UP.toLocaleString('en-US')} findings; median of 3 processes (p99s ${runs.map((r) => r.cpuP99).join(' / ')} ms)`;
  return [
    { name: `${label} CPU per finding p50 (${as})`, value: deployed.cpuP50, unit: 'ms' },
    { name: `${label} CPU per finding p99 (${as})`, value: deployed.cpuP99, unit: 'ms', goal: '<= 2 ms' },
    { name: `${label} wall time per finding p99 (${as})`, value: deployed.wallP99, unit: 'ms' },
    { name: `${label} CPU per finding p99 after only ${JIT_EARLY.toLocaleString('en-US')} findings (TurboFan still compiling on its thread; wall p99 ${early.wallP99} ms)`, value: early.cpuP99, unit: 'ms' },
    { name: `${label} heap allocated per finding, median (stubs included)`, value: deployed.allocatedKiB, unit: 'KiB' },
    { name: `${label} CPU per finding p50 (V8 default 16 MB semi-space, for comparison)`, value: defaults.cpuP50, unit: 'ms' },
    { name: `${label} CPU per finding p99 (V8 default 16 MB semi-space, for comparison)`, value: defaults.cpuP99, unit: 'ms' },
  ];
};

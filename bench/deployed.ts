import * as path from 'node:path';
import { build } from 'esbuild';
import { lazyBuildOptions } from '../lib/constructs/bundle-build';
import { benchNode } from './bench-node';
import { bundleFolder, lastJsonLine } from './child-process';
import { FUNCTION_MEMORY_MB, semiSpaceMb, youngGenerationFlag } from '../lib/function-runtime';
import { JIT_EARLY, JIT_WARM_UP, median, type CpuFigures } from './stats';
import type { BenchRow } from './types';

/**
 * CPU per finding as a function's container sees it: one responder per fresh Node process (a
 * container runs one function, so no other bench module's heap is there), with the V8 flags the
 * function is deployed with (lib/function-runtime.ts), and, for comparison, with V8's defaults.
 * The loop itself is the responder's bench module's (bench/cpu-child.ts runs it), built as the
 * functions are built (childBundle).
 */

export type Responder = 'isolation' | 'credentials';

const FINDINGS = 2000;

let bundled: Promise<string> | undefined;

/**
 * bench/cpu-child.ts built with the functions' esbuild options (lib/constructs/bundle-build.ts:
 * minified, the SDK's schemas tree-shaken, the same target) as one CommonJS file: the loop runs
 * the code a container runs. Not tsx's transpile, which wraps every named function in a call that
 * keeps its name (measured: 5 KiB more heap per credential finding, 15 KiB per isolation).
 */
export const childBundle = (): Promise<string> =>
  (bundled ??= (async () => {
    // The one package the bundle leaves out (esbuild, which the bench modules import for this
    // build and the child never calls) resolves from the repository.
    const outdir = bundleFolder('cordon-bench-');
    const entry = path.join(__dirname, 'cpu-child.ts');
    await build({
      ...lazyBuildOptions(entry, outdir),
      entryPoints: [{ in: entry, out: 'cpu-child' }],
      format: 'cjs',
      splitting: false,
      outExtension: { '.js': '.cjs' },
      banner: {},
      sourcemap: false,
      // The bench modules' own `require.main === module` entry points stay closed inside the bundle.
      define: { 'require.main': 'undefined' },
      external: ['esbuild'],
    });
    return path.join(outdir, 'cpu-child.cjs');
  })());

/** Runs `responder`'s CPU loop (the bundle `child`) in a fresh process with `flags`; fails loudly if the child does. */
export const cpuInProcess = (child: string, responder: Responder, flags: readonly string[], warmUp = JIT_WARM_UP, findings = FINDINGS): CpuFigures =>
  lastJsonLine<CpuFigures>([...flags, child, responder, String(findings), String(warmUp)], `the ${responder} CPU loop`, {
    ...process.env,
    AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1',
  });

/** The rows of `responder`'s CPU per finding: as deployed (the goal) and with V8's default young generation. */
export const cpuRows = async (responder: Responder, label: string): Promise<BenchRow[]> => {
  const flags = [youngGenerationFlag(FUNCTION_MEMORY_MB)];
  const child = await childBundle();
  // Median of 3 fresh processes, figure by figure: one process's window can catch a burst of
  // background work (a compile, concurrent marking) that the next does not.
  const runs = [0, 1, 2].map(() => cpuInProcess(child, responder, flags));
  const mid = (pick: (f: CpuFigures) => number) => median(runs.map(pick));
  const deployed: CpuFigures = { cpuP50: mid((f) => f.cpuP50), cpuP99: mid((f) => f.cpuP99), wallP50: mid((f) => f.wallP50), wallP99: mid((f) => f.wallP99), allocatedKiB: mid((f) => f.allocatedKiB) };
  const early = cpuInProcess(child, responder, flags, JIT_EARLY);
  const defaults = cpuInProcess(child, responder, []);
  const as = `as deployed: bundled and minified, Node ${benchNode().version}, ${FUNCTION_MEMORY_MB} MB, ${semiSpaceMb(FUNCTION_MEMORY_MB)} MB semi-space; fresh process, zero-latency stubs, after ${JIT_WARM_UP.toLocaleString('en-US')} findings; median of 3 processes (p99s ${runs.map((r) => r.cpuP99).join(' / ')} ms)`;
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

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runDrill } from '../lib/drill/run';
import type { BenchRow } from './types';

/**
 * `cordon drill` over the real fixtures (test/fixtures/real), in-process: wall time of the
 * whole drill (parse, route, fake observation, plan, signed evidence, checkpoint, offline verify),
 * median of 5 runs after one warm-up, each into a fresh folder; and events per second.
 */

const FIXTURES = join(__dirname, '../test/fixtures/real');
const RUNS = 5;

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

const once = async (): Promise<{ ms: number; events: number }> => {
  const out = mkdtempSync(join(tmpdir(), 'cordon-bench-drill-'));
  try {
    const start = performance.now();
    const report = await runDrill({ eventsDir: FIXTURES, outDir: out });
    const ms = performance.now() - start;
    if (!report.ok) throw new Error(`drill over ${FIXTURES} failed: crashed ${report.crashed}, mutations ${report.mutations}, verify ${report.verify.ok}`);
    return { ms, events: report.events.length };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
};

export async function benchDrill(): Promise<BenchRow[]> {
  await once(); // warm-up: module loading and JIT are not the drill's cost
  const runs: { ms: number; events: number }[] = [];
  for (let i = 0; i < RUNS; i += 1) runs.push(await once());
  const ms = median(runs.map((r) => r.ms));
  const events = runs[0]?.events ?? 0;
  return [
    { name: `drill over the real fixtures (${events} events), wall time, median of ${RUNS}`, value: ms, unit: 'ms' },
    { name: 'drill throughput over the real fixtures', value: ms > 0 ? (events * 1000) / ms : 0, unit: 'events/s' },
  ];
}

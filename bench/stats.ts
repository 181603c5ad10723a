/** Statistics shared by the bench modules. */
import { getHeapStatistics } from 'node:v8';

/** Median (the upper one of an even count). */
export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** Nearest-rank percentile of ascending `sorted`. */
export const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;

/**
 * Findings processed before CPU is sampled. TurboFan optimises large functions (zod's parsers, the
 * responders' step switch) on a background thread, hundreds of ms each here, and process CPU counts
 * that thread: a once-per-container cost, not a per-finding one. Measured on an idle machine
 * (2026-12-01, isolation, fresh process): after 4,000 findings the compiles were still running (CPU
 * p99 2.6 ms while the findings' wall p99 was 1.15 ms: a finding is charged the compile thread's
 * CPU); after 8,000 the slowest findings' CPU equals their wall time (~1.2 ms). The bench prints
 * the p99 after JIT_EARLY findings too, so the difference stays visible.
 */
export const JIT_WARM_UP = 8000;
/** The earlier warm-up, whose p99 the bench prints beside the settled one. */
export const JIT_EARLY = 4000;

/**
 * Heap bytes one call of `run` allocates, median of `samples` calls: the growth of V8's used heap
 * size across the call, over the calls no garbage collection interrupted (the heap did not
 * shrink). Unlike CPU time, it does not move with the load of a shared machine, and it is what
 * drives the scavenges that make the CPU p99.
 */
export const allocatedPerCall = async (run: () => Promise<unknown>, samples = 301): Promise<number> => {
  const used = () => getHeapStatistics().used_heap_size;
  const grown: number[] = [];
  while (grown.length < samples) {
    const before = used();
    await run();
    const delta = used() - before;
    if (delta > 0) grown.push(delta);
  }
  return median(grown);
};

/** Per-finding figures of a CPU loop (ms). */
export interface CpuFigures {
  readonly cpuP50: number;
  readonly cpuP99: number;
  readonly wallP50: number;
  readonly wallP99: number;
  /** Heap allocated per finding, median, after the loop (allocatedPerCall). */
  readonly allocatedKiB: number;
}

/** The percentiles of per-finding CPU and wall times (unsorted, ms), to the microsecond, and the bytes allocated per finding. */
export const figures = (cpu: number[], wall: number[], allocated: number): CpuFigures => {
  cpu.sort((a, b) => a - b);
  wall.sort((a, b) => a - b);
  const ms = (x: number) => Number(x.toFixed(3));
  return { cpuP50: ms(percentile(cpu, 50)), cpuP99: ms(percentile(cpu, 99)), wallP50: ms(percentile(wall, 50)), wallP99: ms(percentile(wall, 99)), allocatedKiB: Math.round(allocated / 1024) };
};

/**
 * `npm run bench`: every performance figure of the project in one table. Each module contributes
 * rows; a module that is not there yet is skipped with a note.
 */
import { spawnSync } from 'node:child_process';
import type { BenchRow } from './types';

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** Wall time of a shell command, median of `runs`, in seconds. Fails loudly if the command fails. */
const wall = (command: string, args: string[], runs: number): number => {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: process.env });
    if (result.status !== 0) {
      throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.toString().slice(-2000)}`);
    }
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  return median(times);
};

const foundation = async (): Promise<BenchRow[]> => [
  { name: 'cdk synth wall time (median of 3)', value: wall('npx', ['cdk', 'synth', '-q'], 3), unit: 's', goal: '<= 20 s' },
  { name: 'npm test wall time (median of 3)', value: wall('npx', ['jest', '--silent'], 3), unit: 's', goal: '<= 120 s' },
];

/** Optional modules, loaded by name so the table works while they are being built. */
const MODULES: [file: string, fn: string][] = [
  ['./evidence', 'benchEvidence'],
  ['./isolation', 'benchIsolation'],
  ['./credentials', 'benchCredentials'],
  ['./bundles', 'benchBundles'],
  ['./drill', 'benchDrill'],
];

const load = async (file: string, fn: string): Promise<BenchRow[]> => {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(file)) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' || /Cannot find module/.test(String(error))) return [];
    throw error;
  }
  const bench = mod[fn];
  if (typeof bench !== 'function') throw new Error(`${file} does not export ${fn}`);
  return (await (bench as () => Promise<BenchRow[]>)()) ?? [];
};

const format = (value: number): string =>
  Math.abs(value) >= 1000 ? Math.round(value).toLocaleString('en-US') : Number(value.toPrecision(3)).toString();

const main = async () => {
  const only = process.argv.slice(2);
  const rows: BenchRow[] = [];
  const failures: string[] = [];
  const run = async (name: string, bench: () => Promise<BenchRow[]>) => {
    if (only.length > 0 && !only.includes(name)) return;
    process.stderr.write(`bench: ${name}...\n`);
    try {
      const got = await bench();
      for (const r of got) process.stderr.write(`  ${r.name}: ${format(r.value)} ${r.unit}\n`);
      rows.push(...got);
    } catch (error) {
      failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  await run('foundation', foundation);
  for (const [file, fn] of MODULES) await run(file.slice(2), () => load(file, fn));
  const width = Math.max(...rows.map((r) => r.name.length), 4);
  process.stdout.write(`${'name'.padEnd(width)}  ${'value'.padStart(12)}  unit      goal\n`);
  process.stdout.write(`${'-'.repeat(width)}  ${'-'.repeat(12)}  --------  ----------\n`);
  for (const r of rows) {
    process.stdout.write(`${r.name.padEnd(width)}  ${format(r.value).padStart(12)}  ${r.unit.padEnd(8)}  ${r.goal ?? ''}\n`);
  }
  if (failures.length > 0) {
    process.stderr.write(`\nbench: ${failures.length} module(s) failed:\n${failures.map((f) => `- ${f.slice(0, 2000)}`).join('\n')}\n`);
    process.exit(1);
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

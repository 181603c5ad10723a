/**
 * `npm run bench`: every performance figure of the project in one table. Each module contributes
 * rows; a module that is not there yet is skipped with a note. A row that misses its goal is
 * marked `MISSED` and the run exits 1 (so it stays out of .ci/run).
 *
 *   npm run bench                       everything
 *   npm run bench -- --quick            without the repeated synth and test timing (foundation)
 *   npm run bench -- bundles burst      only the named modules
 */
import { spawnSync } from 'node:child_process';
import { missed, meets } from './goal';
import { median } from './stats';
import type { BenchRow } from './types';

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
  ['./burst', 'benchBurst'],
  ['./authz', 'benchAuthz'],
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

/** A bad command line: reported without a stack. */
class UsageError extends Error {}

const mark = (r: BenchRow): string => (r.goal === undefined ? '' : meets(r.value, r.goal) ? '' : `  MISSED (goal ${r.goal})`);

const main = async () => {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const only = args.filter((a) => !a.startsWith('--'));
  const unknown = args.filter((a) => a.startsWith('--') && a !== '--quick');
  if (unknown.length > 0) throw new UsageError(`unknown option(s) ${unknown.join(', ')} (known: --quick)`);
  const names = ['foundation', ...MODULES.map(([file]) => file.slice(2))];
  const unnamed = only.filter((n) => !names.includes(n));
  if (unnamed.length > 0) throw new UsageError(`unknown bench module(s) ${unnamed.join(', ')} (known: ${names.join(', ')})`);
  const rows: BenchRow[] = [];
  const failures: string[] = [];
  const run = async (name: string, bench: () => Promise<BenchRow[]>) => {
    if (only.length > 0 && !only.includes(name)) return;
    if (quick && name === 'foundation') {
      process.stderr.write('bench: foundation skipped (--quick)\n');
      return;
    }
    process.stderr.write(`bench: ${name}...\n`);
    try {
      const got = await bench();
      for (const r of got) process.stderr.write(`  ${r.name}: ${format(r.value)} ${r.unit}${mark(r)}\n`);
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
    const status = r.goal === undefined ? '' : meets(r.value, r.goal) ? '  ok' : '  MISSED';
    process.stdout.write(`${r.name.padEnd(width)}  ${format(r.value).padStart(12)}  ${r.unit.padEnd(8)}  ${r.goal ?? ''}${status}\n`);
  }
  const misses = missed(rows);
  if (misses.length > 0) process.stderr.write(`\nbench: ${misses.length} row(s) missed their goal:\n${misses.map((r) => `- ${r.name}: ${format(r.value)} ${r.unit} (goal ${r.goal})`).join('\n')}\n`);
  if (failures.length > 0) {
    process.stderr.write(`\nbench: ${failures.length} module(s) failed:\n${failures.map((f) => `- ${f.slice(0, 2000)}`).join('\n')}\n`);
  }
  if (misses.length > 0 || failures.length > 0) process.exit(1);
};

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof UsageError ? error.message : error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

/**
 * Child process of bench/deployed.ts: runs one responder's CPU loop and prints its figures as one
 * JSON line. Usage: cpu-child.ts isolation|credentials <findings> [<warm-up findings>]
 */
import { credentialsCpu } from './credentials';
import { isolationCpu } from './isolation';

const [responder, count, warm] = process.argv.slice(2);
const findings = Number(count);
const warmUp = warm === undefined ? undefined : Number(warm);
const loops = { isolation: isolationCpu, credentials: credentialsCpu } as const;

const main = async (): Promise<void> => {
  if (responder !== 'isolation' && responder !== 'credentials') throw new Error(`cpu-child: unknown responder ${responder ?? '(none)'}`);
  if (!Number.isInteger(findings) || findings <= 0) throw new Error(`cpu-child: findings must be a positive integer, got ${count ?? '(none)'}`);
  if (warmUp !== undefined && (!Number.isInteger(warmUp) || warmUp < 0)) throw new Error(`cpu-child: warm-up must be a whole number, got ${warm ?? ''}`);
  process.stdout.write(`${JSON.stringify(await loops[responder](findings, warmUp))}\n`);
};

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});

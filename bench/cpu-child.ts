/**
 * Child process of bench/deployed.ts: runs one responder's CPU loop and prints its figures as one
 * JSON line. Usage: cpu-child.ts isolation|credentials <findings>
 */
import { credentialsCpu } from './credentials';
import { isolationCpu } from './isolation';

const [responder, count] = process.argv.slice(2);
const findings = Number(count);
const loops = { isolation: isolationCpu, credentials: credentialsCpu } as const;

const main = async (): Promise<void> => {
  if (responder !== 'isolation' && responder !== 'credentials') throw new Error(`cpu-child: unknown responder ${responder ?? '(none)'}`);
  if (!Number.isInteger(findings) || findings <= 0) throw new Error(`cpu-child: findings must be a positive integer, got ${count ?? '(none)'}`);
  process.stdout.write(`${JSON.stringify(await loops[responder](findings))}\n`);
};

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});

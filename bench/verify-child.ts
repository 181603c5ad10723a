/**
 * Child process of bench/evidence-verify.ts, built as `npm run build` builds `cordon` (esbuild,
 * not tsx) so the verify rows measure the code a user runs: writes 10k and `<large>` records with
 * a local P-256 signer into memory, verifies them (one thread; one core beside the machine's
 * ceilings, bench/evidence-ceilings.ts; every core, lambdas/evidence/pool.ts) and prints the
 * figures as one JSON line (VerifyFigures). Usage: verify-child.js <large> <rounds>
 *
 * The verification worker threads run this same file (pool.ts starts them on `__filename`, the
 * bundle): there, only pool.ts's own worker code runs, not this main.
 */
import { availableParallelism } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { LocalSigner, Verifier, publicKeyFrom, verifyObjects, type VerifyKey } from '../lambdas/evidence';
import { verifyInParallel } from '../lambdas/evidence/pool';
import { oneCoreShares, type OneCoreFigures } from './evidence-ceilings';
import { generate, type StoredObjects } from './evidence-records';

/** Records per second of one verification: of wall time, and of process CPU time. */
export interface Throughput {
  readonly perSecond: number;
  readonly perCpuSecond: number;
}

export interface VerifyFigures {
  /** Each set (`10k`, then the large one): one thread, every signature and chain+checkpoint. */
  readonly sets: readonly { readonly label: string; readonly signatures: Throughput; readonly chain: Throughput }[];
  readonly oneCore: OneCoreFigures;
  /** The large set on every core: records per second of wall time. */
  readonly everyCore: { readonly threads: number; readonly signatures: number; readonly chain: number };
}

const measure = (objects: StoredObjects, key: VerifyKey, signatures: boolean): Throughput => {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const report = verifyObjects(objects, { publicKeys: [key], signatures });
  const wall = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  if (!report.ok) throw new Error(`generated set did not verify: ${JSON.stringify(report.problems.slice(0, 3))}`);
  return { perSecond: objects.length / wall, perCpuSecond: objects.length / ((used.user + used.system) / 1e6) };
};

/** Wall records per second of `objects` verified by this thread and `threads - 1` worker threads, as `cordon verify` does. */
const inParallel = async (objects: StoredObjects, key: VerifyKey, signatures: boolean, threads: number): Promise<number> => {
  const start = performance.now();
  const verifier = new Verifier({ publicKeys: [key], signatures });
  await verifyInParallel(verifier, threads, (sink) => {
    for (const o of objects) sink.add(o.key, o.body);
  });
  const report = verifier.finish();
  if (!report.ok) throw new Error(`generated set did not verify on ${threads} threads: ${JSON.stringify(report.problems.slice(0, 3))}`);
  return objects.length / ((performance.now() - start) / 1000);
};

export const verifyFigures = async (large: number, rounds: number): Promise<VerifyFigures> => {
  const signer = LocalSigner.generate('local:bench');
  const key = publicKeyFrom((await signer.identity()).publicKeyDer, 'bench key');
  const labelled: [string, StoredObjects][] = [];
  for (const n of [10_000, large]) labelled.push([`${n / 1000}k`, await generate(n, signer)]);
  const sets = labelled.map(([label, objects]) => ({ label, signatures: measure(objects, key, true), chain: measure(objects, key, false) }));
  const [small, big] = [labelled[0], labelled[labelled.length - 1]] as [[string, StoredObjects], [string, StoredObjects]];
  const oneCore = oneCoreShares({ signatures: small, chain: big }, key, rounds);
  const threads = availableParallelism();
  const everyCore = { threads, signatures: await inParallel(big[1], key, true, threads), chain: await inParallel(big[1], key, false, threads) };
  return { sets, oneCore, everyCore };
};

const main = async (): Promise<void> => {
  const [largeArg, roundsArg] = process.argv.slice(2);
  const large = Number(largeArg);
  const rounds = Number(roundsArg);
  if (!Number.isInteger(large) || large < 10_000 || large % 1000 !== 0) throw new Error(`verify-child: <large> must be a whole number of thousands >= 10000, got ${largeArg ?? '(none)'}`);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`verify-child: <rounds> must be a positive integer, got ${roundsArg ?? '(none)'}`);
  process.stdout.write(`${JSON.stringify(await verifyFigures(large, rounds))}\n`);
};

if (isMainThread) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}

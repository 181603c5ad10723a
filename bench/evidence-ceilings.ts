import { hash, verify } from 'node:crypto';
import { Verifier, type VerifyKey } from '../lambdas/evidence';
import { BATCH_OBJECTS } from '../lambdas/evidence/verify';
import { median } from './stats';
import type { BenchRow } from './types';

/**
 * Verification on one core beside the machine's own ceilings, on the same records, in memory (no
 * I/O in either), in process CPU time:
 * - crypto.verify ceiling: one crypto.verify of each payload, its signature decoded beforehand,
 *   with the same key;
 * - JSON.parse + SHA-256 ceiling: each payload decoded, parsed and hashed (hex), nothing kept.
 *   Chain mode does not JSON.parse a record in the writer's plain form (a byte scan checks it is
 *   JSON, lambdas/evidence/plain-json.ts), so its share of this ceiling may exceed 100%;
 * - signature-mode floor: crypto.verify + SHA-256 of each payload. node:crypto has no prehashed
 *   ECDSA verify, so the record hash the chain needs is a second SHA-256 of the bytes crypto.verify
 *   already hashed: signature mode cannot go below this with node:crypto.
 * Paired finely, because the machine's speed drifts within seconds on a shared machine
 * (crypto.verify measured at 89-121 us a call within one minute): a round walks the records in
 * chunks of CHUNK; on each chunk the ceiling (and the floor) loops run, and one Verifier, kept for
 * the whole round, is fed the same chunk with `add`. Before each side's turn the chunk's bytes are
 * read (untimed), so each starts on bytes in the cache, as `cordon verify` examines a record just
 * after reading its file (measured, 100k records: chain mode's share is ~4 points higher than when
 * only the side that runs second finds them warm). Who goes first rotates from chunk to chunk and
 * from round to round, so no side always runs beside the previous round's garbage. Each side's CPU
 * is summed over the round, the Verifier's `finish()` (chain analysis, checkpoints) counted on its
 * side; a round's share is the ratio of the sums. Each figure is the median over the rounds; a
 * first round warms the JIT up and is not counted.
 * bench/verify-child.ts runs this in the esbuild build, as `cordon verify` runs.
 */

type Objects = readonly { readonly key: string; readonly body: Buffer }[];

/**
 * Records per chunk: the Verifier's batch (these records are far below its byte bound), so it
 * examines each chunk on that chunk's turn, not on the next one's. About 28 ms of signatures.
 */
const CHUNK = BATCH_OBJECTS;

const SIGNATURE_MARK = ',"signature":{';

/** Each record's payload bytes (a view of the stored bytes) and its DER signature. */
const split = (objects: Objects) =>
  objects.map(({ body }) => {
    const at = body.lastIndexOf(SIGNATURE_MARK);
    const block = JSON.parse(body.toString('utf8', at + 13, body.length - 1)) as { value: string };
    return { payload: body.subarray('{"payload":'.length, at), der: Buffer.from(block.value, 'base64') };
  });

type Records = ReturnType<typeof split>;

/** Process CPU (user + system, every thread), in microseconds, that `work` takes. */
const cpuOf = (work: () => void): number => {
  const before = process.cpuUsage();
  work();
  const used = process.cpuUsage(before);
  return used.user + used.system;
};

/** Reads the bodies of `objects` `from` to `to` (a search for a NUL byte, which JSON text has none of, reads every byte). */
const touch = (objects: Objects, from: number, to: number): void => {
  for (let i = from; i < to; i += 1) (objects[i] as Objects[number]).body.indexOf(0);
};

/** A loop over the records `from` to `to` (excluded). */
type Loop = (from: number, to: number) => void;

/**
 * Round `round`: `loops` and a Verifier in `signatures` mode take turns chunk by chunk over
 * `objects`, who goes first rotating with the chunk and the round. Records per CPU-second of each
 * loop, then of the Verifier (its `finish()` included).
 */
const pairedRound = (round: number, objects: Objects, key: VerifyKey, signatures: boolean, loops: readonly Loop[]): number[] => {
  const verifier = new Verifier({ publicKeys: [key], signatures });
  const parts: Loop[] = [
    ...loops,
    (from, to) => {
      for (let i = from; i < to; i += 1) {
        const o = objects[i] as Objects[number];
        verifier.add(o.key, o.body);
      }
    },
  ];
  const cpu = parts.map(() => 0);
  for (let from = 0, chunk = 0; from < objects.length; from += CHUNK, chunk += 1) {
    const to = Math.min(from + CHUNK, objects.length);
    for (let turn = 0; turn < parts.length; turn += 1) {
      const p = (round + chunk + turn) % parts.length;
      touch(objects, from, to);
      cpu[p] = (cpu[p] ?? 0) + cpuOf(() => (parts[p] as Loop)(from, to));
    }
  }
  const last = parts.length - 1;
  cpu[last] = (cpu[last] ?? 0) + cpuOf(() => {
    const report = verifier.finish();
    if (!report.ok) throw new Error(`generated set did not verify: ${JSON.stringify(report.problems.slice(0, 3))}`);
  });
  return cpu.map((us) => objects.length / (us / 1e6));
};

const ceilingLoop = (records: Records, key: VerifyKey): Loop => (from, to) => {
  for (let i = from; i < to; i += 1) {
    const r = records[i] as Records[number];
    verify('sha256', r.payload, key.key, r.der);
  }
};

const floorLoop = (records: Records, key: VerifyKey): Loop => (from, to) => {
  for (let i = from; i < to; i += 1) {
    const r = records[i] as Records[number];
    verify('sha256', r.payload, key.key, r.der);
    hash('sha256', r.payload, 'hex');
  }
};

const parseLoop = (records: Records): Loop => (from, to) => {
  for (let i = from; i < to; i += 1) {
    const r = records[i] as Records[number];
    JSON.parse(r.payload.toString('utf8'));
    hash('sha256', r.payload, 'hex');
  }
};

const FIGURES = ['verifyCeiling', 'sigFloor', 'floorShare', 'sigShare', 'parseCeiling', 'chainShare'] as const;
type Figure = (typeof FIGURES)[number];

/** Each figure (op/s per CPU-second, or %) of every counted round, and the sets' labels. */
export type OneCoreFigures = Readonly<Record<Figure, readonly number[]>> & { readonly sigLabel: string; readonly chainLabel: string };

export const oneCoreShares = (
  sets: { readonly signatures: readonly [string, Objects]; readonly chain: readonly [string, Objects] },
  key: VerifyKey,
  rounds: number,
): OneCoreFigures => {
  const [sigLabel, sigObjects] = sets.signatures;
  const [chainLabel, chainObjects] = sets.chain;
  const sigRecords = split(sigObjects);
  const chainRecords = split(chainObjects);
  const counted: Record<Figure, number>[] = [];
  for (let round = 0; round <= rounds; round += 1) {
    const [ceiling = 0, floor = 0, sig = 0] = pairedRound(round, sigObjects, key, true, [ceilingLoop(sigRecords, key), floorLoop(sigRecords, key)]);
    const [parse = 0, chain = 0] = pairedRound(round, chainObjects, key, false, [parseLoop(chainRecords)]);
    // Round 0 warms the JIT up.
    if (round > 0) {
      counted.push({ verifyCeiling: ceiling, sigFloor: floor, floorShare: (100 * floor) / ceiling, sigShare: (100 * sig) / ceiling, parseCeiling: parse, chainShare: (100 * chain) / parse });
    }
  }
  const each = FIGURES.map((figure) => [figure, counted.map((r) => r[figure])] as const);
  return { sigLabel, chainLabel, ...(Object.fromEntries(each) as Record<Figure, number[]>) };
};

/** `median of N paired rounds: lo-hi`, the rounds' spread shown beside the median. */
const spread = (values: readonly number[]): string =>
  `median of ${values.length} paired rounds: ${Math.min(...values).toFixed(1)}-${Math.max(...values).toFixed(1)}`;

/** The rows of `f`; `as` says what ran (which build, which Node). */
export const oneCoreRows = (f: OneCoreFigures, as: string): BenchRow[] => [
  { name: `machine ceiling: crypto.verify P-256 alone, ${f.sigLabel} records (per CPU-s; ${as})`, value: median(f.verifyCeiling), unit: 'op/s' },
  { name: `signature-mode floor: crypto.verify + SHA-256 of each payload, ${f.sigLabel} records (per CPU-s; ${as})`, value: median(f.sigFloor), unit: 'op/s' },
  { name: `signature-mode floor, share of the crypto.verify ceiling (${spread(f.floorShare)})`, value: median(f.floorShare), unit: '%' },
  { name: `evidence verify ${f.sigLabel}, every signature, one core, share of the crypto.verify ceiling (${as}; ${spread(f.sigShare)})`, value: median(f.sigShare), unit: '%', goal: '>= 90' },
  { name: `machine ceiling: JSON.parse + SHA-256 alone, ${f.chainLabel} records (per CPU-s; ${as})`, value: median(f.parseCeiling), unit: 'op/s' },
  { name: `evidence verify ${f.chainLabel}, chain+checkpoint, one core, share of the JSON.parse + SHA-256 ceiling (${as}; ${spread(f.chainShare)})`, value: median(f.chainShare), unit: '%', goal: '>= 80' },
];

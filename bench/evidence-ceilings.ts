import { hash, verify } from 'node:crypto';
import { verifyObjects, type VerifyKey } from '../lambdas/evidence';
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
 * Rounds alternate ceiling and verification, so both see the same load on a shared machine; each
 * share is the median of the rounds' shares. A first round warms the JIT up and is not counted.
 */

type Objects = readonly { readonly key: string; readonly body: Buffer }[];

const SIGNATURE_MARK = ',"signature":{';

/** Each record's payload bytes (a view of the stored bytes) and its DER signature. */
const split = (objects: Objects) =>
  objects.map(({ body }) => {
    const at = body.lastIndexOf(SIGNATURE_MARK);
    const block = JSON.parse(body.toString('utf8', at + 13, body.length - 1)) as { value: string };
    return { payload: body.subarray('{"payload":'.length, at), der: Buffer.from(block.value, 'base64') };
  });

/** Records per CPU-second of `work` over `count` records. */
const perCpuSecond = (count: number, work: () => void): number => {
  const cpu = process.cpuUsage();
  work();
  const used = process.cpuUsage(cpu);
  return count / ((used.user + used.system) / 1e6);
};

const verified = (objects: Objects, key: VerifyKey, signatures: boolean): number =>
  perCpuSecond(objects.length, () => {
    const report = verifyObjects(objects, { publicKeys: [key], signatures });
    if (!report.ok) throw new Error(`generated set did not verify: ${JSON.stringify(report.problems.slice(0, 3))}`);
  });

export const oneCoreShares = (
  sets: { readonly signatures: readonly [string, Objects]; readonly chain: readonly [string, Objects] },
  key: VerifyKey,
  rounds = 3,
): BenchRow[] => {
  const [sigLabel, sigObjects] = sets.signatures;
  const [chainLabel, chainObjects] = sets.chain;
  const sigRecords = split(sigObjects);
  const chainRecords = split(chainObjects);
  const verifyCeiling: number[] = [];
  const sigFloor: number[] = [];
  const sigShare: number[] = [];
  const floorShare: number[] = [];
  const parseCeiling: number[] = [];
  const chainShare: number[] = [];
  for (let round = -1; round < rounds; round += 1) {
    const ceiling = perCpuSecond(sigRecords.length, () => {
      for (const r of sigRecords) verify('sha256', r.payload, key.key, r.der);
    });
    const floor = perCpuSecond(sigRecords.length, () => {
      for (const r of sigRecords) {
        verify('sha256', r.payload, key.key, r.der);
        hash('sha256', r.payload, 'hex');
      }
    });
    const sig = verified(sigObjects, key, true);
    const parse = perCpuSecond(chainRecords.length, () => {
      for (const r of chainRecords) {
        JSON.parse(r.payload.toString('utf8'));
        hash('sha256', r.payload, 'hex');
      }
    });
    const chain = verified(chainObjects, key, false);
    if (round < 0) continue;
    verifyCeiling.push(ceiling);
    sigFloor.push(floor);
    sigShare.push((100 * sig) / ceiling);
    floorShare.push((100 * floor) / ceiling);
    parseCeiling.push(parse);
    chainShare.push((100 * chain) / parse);
  }
  return [
    { name: `machine ceiling: crypto.verify P-256 alone, ${sigLabel} records (per CPU-s)`, value: median(verifyCeiling), unit: 'op/s' },
    { name: `signature-mode floor: crypto.verify + SHA-256 of each payload, ${sigLabel} records (per CPU-s)`, value: median(sigFloor), unit: 'op/s' },
    { name: 'signature-mode floor, share of the crypto.verify ceiling', value: median(floorShare), unit: '%' },
    { name: `evidence verify ${sigLabel}, every signature, one core, share of the crypto.verify ceiling`, value: median(sigShare), unit: '%', goal: '>= 90' },
    { name: `machine ceiling: JSON.parse + SHA-256 alone, ${chainLabel} records (per CPU-s)`, value: median(parseCeiling), unit: 'op/s' },
    { name: `evidence verify ${chainLabel}, chain+checkpoint, one core, share of the JSON.parse + SHA-256 ceiling`, value: median(chainShare), unit: '%', goal: '>= 80' },
  ];
};

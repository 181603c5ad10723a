/**
 * Evidence benchmarks.
 *
 * Verify throughput (bench/evidence-verify.ts, in the esbuild build as `cordon verify` runs it):
 * 10k and 100k records (100 records per incident, a checkpoint every 10k appends) written by the
 * real EvidenceChain with a local P-256 signer into memory, then verified on one thread — with
 * every signature checked, and in chain+checkpoint mode — and on every core. Also reported:
 * records/s per CPU-second, and the shares of the machine's own ceilings (crypto.verify alone;
 * JSON.parse + SHA-256 alone) that verification reaches on one core (bench/evidence-ceilings.ts).
 *
 * Round trips: KMS, S3 and DynamoDB stubs answer every call after a fixed latency (the DynamoDB
 * stub enforces the conditions and returns the current item on a failed condition, as DynamoDB
 * does); sequential round trips per append = depth of the longest chain of dependent calls.
 */
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { GetPublicKeyCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import { HeadObjectCommand, PutObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { DynamoChainHeads, EvidenceChain, KmsSigner, S3EvidenceStore } from '../lambdas/evidence';
import { runDrill } from '../lib/drill/run';
import { sample } from './evidence-records';
import { verifyRows } from './evidence-verify';
import type { BenchRow } from './types';

/**
 * The drill at `events` events (the real fixtures repeated, each copy its own file) into a fresh
 * folder: events per second through parse, route, plan, signed evidence (folder vault with the
 * journaled chain heads), checkpoint and verify.
 */
const drillAt = async (events: number): Promise<BenchRow> => {
  const fixtures = join(__dirname, '../test/fixtures/real');
  const names = readdirSync(fixtures).filter((n) => n.endsWith('.json') && !n.endsWith('.world.json')).sort();
  const root = mkdtempSync(join(tmpdir(), 'cordon-bench-vault-'));
  try {
    const dir = join(root, 'events');
    mkdirSync(dir);
    for (let i = 0; i < events; i += 1) {
      const name = names[i % names.length] ?? '';
      const copy = `${String(i).padStart(5, '0')}-${name}`;
      copyFileSync(join(fixtures, name), join(dir, copy));
      const world = join(fixtures, name.replace(/\.json$/, '.world.json'));
      if (existsSync(world)) copyFileSync(world, join(dir, copy.replace(/\.json$/, '.world.json')));
    }
    const start = performance.now();
    const report = await runDrill({ eventsDir: dir, outDir: join(root, 'out') });
    const seconds = (performance.now() - start) / 1000;
    if (report.crashed > 0 || !report.verify.ok) throw new Error(`drill at ${events} events: crashed ${report.crashed}, verify ${report.verify.ok}`);
    return { name: `drill at ${events.toLocaleString('en-US')} events (fixtures repeated), folder vault`, value: report.events.length / seconds, unit: 'events/s', goal: '>= 500' };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
};

// ---- round trips ------------------------------------------------------------------------------

const LATENCY_MS = 25;

/**
 * Counts calls and the critical path: a call's depth is 1 + the deepest call that had completed
 * when it started, so calls in flight together share a depth. Exact whatever the CPU load.
 */
class Calls {
  readonly byName = new Map<string, number>();
  total = 0;
  private completedDepth = 0;
  deepest = 0;

  reset(): void {
    this.completedDepth = 0;
    this.deepest = 0;
  }

  /** Answers after the latency; `value` runs at answer time (and may throw). */
  call<T>(name: string, value: () => T): Promise<T> {
    this.total += 1;
    this.byName.set(name, (this.byName.get(name) ?? 0) + 1);
    const depth = this.completedDepth + 1;
    this.deepest = Math.max(this.deepest, depth);
    return new Promise((done, fail) =>
      setTimeout(() => {
        this.completedDepth = Math.max(this.completedDepth, depth);
        try {
          done(value());
        } catch (error) {
          fail(error);
        }
      }, LATENCY_MS),
    );
  }
}

const stubs = (calls: Calls, spki: Buffer) => {
  const table = new Map<string, Record<string, AttributeValue>>();
  const objects = new Set<string>();
  const ddb = {
    send: (command: unknown) => {
      if (command instanceof UpdateItemCommand) {
        return calls.call('UpdateItem', () => {
          const i = command.input;
          const pk = i.Key?.pk?.S ?? '';
          const old = table.get(pk);
          const prev = i.ExpressionAttributeValues?.[':prev']?.N;
          const ok = i.ConditionExpression === 'attribute_not_exists(pk)' ? !old : old?.seq?.N === prev;
          if (!ok) {
            throw new ConditionalCheckFailedException({ message: 'condition', $metadata: {}, ...(old ? { Item: old } : {}) });
          }
          const v = i.ExpressionAttributeValues ?? {};
          const item: Record<string, AttributeValue> = { pk: { S: pk } };
          for (const [name, ref] of [['seq', ':seq'], ['headHash', ':hash'], ['headTime', ':time'], ['updatedAt', ':now'], ['payload', ':payload']] as const) {
            const value = v[ref];
            if (value) item[name] = value;
          }
          table.set(pk, item);
          return { Attributes: old };
        });
      }
      if (command instanceof GetItemCommand) {
        return calls.call('GetItem', () => ({ Item: table.get(command.input.Key?.pk?.S ?? '') }));
      }
      throw new Error('unexpected DynamoDB command');
    },
  } as unknown as DynamoDBClient;
  const kms = {
    send: (command: unknown) => {
      if (command instanceof GetPublicKeyCommand) {
        return calls.call('GetPublicKey', () => ({ KeyId: 'arn:aws:kms:eu-west-1:111122223333:key/bench', KeySpec: 'ECC_NIST_P256', PublicKey: spki }));
      }
      if (command instanceof SignCommand) {
        // Round trips only: the bytes are a placeholder, not a signature.
        return calls.call('Sign', () => ({ Signature: new Uint8Array(72) }));
      }
      throw new Error('unexpected KMS command');
    },
  } as unknown as KMSClient;
  const s3 = {
    send: (command: unknown) => {
      if (command instanceof PutObjectCommand) {
        return calls.call('PutObject', () => {
          const key = command.input.Key ?? '';
          if (objects.has(key)) throw new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', $metadata: { httpStatusCode: 412 } });
          objects.add(key);
          return {};
        });
      }
      if (command instanceof HeadObjectCommand) {
        return calls.call('HeadObject', () => {
          if (!objects.has(command.input.Key ?? '')) throw new S3ServiceException({ name: 'NotFound', $fault: 'client', $metadata: { httpStatusCode: 404 } });
          return {};
        });
      }
      throw new Error('unexpected S3 command');
    },
  } as unknown as S3Client;
  return { ddb, kms, s3 };
};

const writerOn = (clients: ReturnType<typeof stubs>) =>
  new EvidenceChain({
    signer: new KmsSigner(clients.kms, 'alias/cordon'),
    store: new S3EvidenceStore(clients.s3, { bucket: 'b', retentionDays: 2555 }),
    heads: new DynamoChainHeads(clients.ddb, { tableName: 't' }),
  });

const timed = async (calls: Calls, work: () => Promise<unknown>) => {
  const before = calls.total;
  calls.reset();
  await work();
  return { trips: calls.deepest, calls: calls.total - before };
};

export async function benchEvidence(): Promise<BenchRow[]> {
  // BENCH_EVIDENCE_RECORDS shrinks the large set for a quick run.
  const large = Number(process.env.BENCH_EVIDENCE_RECORDS ?? 100_000);
  if (!Number.isInteger(large) || large < 10_000 || large % 1000 !== 0) throw new Error(`BENCH_EVIDENCE_RECORDS must be a whole number of thousands >= 10000, got ${process.env.BENCH_EVIDENCE_RECORDS ?? ''}`);
  // Verification, as `cordon verify` runs it: the esbuild build in a fresh process (bench/evidence-verify.ts).
  const rows = await verifyRows(large);

  rows.push(await drillAt(2_000));

  // Round trips per append.
  const spki = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });
  const calls = new Calls();
  const clients = stubs(calls, spki);
  const cold = await timed(calls, () => writerOn(clients).append('inc-rt', sample(0)));
  const writer = writerOn(clients);
  await writer.append('inc-rt-warm', sample(1));
  const warm = await timed(calls, () => writer.append('inc-rt-warm', sample(2)));
  const other = writerOn(clients);
  await other.append('inc-x', sample(3)); // identity fetched; head of inc-rt unknown to `other`
  const stale = await timed(calls, () => other.append('inc-rt', sample(4)));
  rows.push(
    { name: 'evidence append: sequential AWS round trips (warm writer)', value: warm.trips, unit: 'trips', goal: '<= 2' },
    { name: 'evidence append: AWS calls (warm writer)', value: warm.calls, unit: 'calls' },
    { name: 'evidence append: round trips, cold start new incident', value: cold.trips, unit: 'trips' },
    { name: 'evidence append: round trips, writer new to an existing incident', value: stale.trips, unit: 'trips' },
  );
  return rows;
}

import { createPublicKey, type KeyObject } from 'node:crypto';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { examineAll } from './envelope';
import { packExamined, packObjects, unpackExamined, unpackObjects, type ExaminedBatch, type ObjectBatch } from './pool-wire';
import type { ObjectSink } from './verify-report';
import type { Problem, Verifier } from './verify';

/**
 * Verification on every core: the reader (this thread) hands objects to worker threads, which
 * parse, hash and check signatures (`examine`, pure), and hand back plain entries (pool-wire.ts);
 * the chain analysis (`Verifier.finish`) stays on this thread. When the workers fall behind, this
 * thread examines objects itself, so memory stays bounded and no core idles: it is one of the
 * examining threads, so `workers` threads examine in all, `workers - 1` of them worker threads
 * (measured, chain mode, 100k records, 2 cores: 2 worker threads beside this one ran slower than
 * one core; 1 beside it, faster).
 */

interface Settings {
  readonly signatures: boolean;
  readonly maxObjectBytes: number;
  /** fingerprint -> SPKI DER. */
  readonly keys: readonly (readonly [string, Buffer])[];
  /** Int32 counter of objects examined, read by the main thread while it is busy reading. */
  readonly done: SharedArrayBuffer;
}

/** Objects per message, and objects in flight before this thread examines one itself. */
const BATCH = 64;
const IN_FLIGHT_PER_WORKER = 2048;
/** Objects examined on this thread before worker threads are started. */
const START_AFTER = 2000;

/** Runs in a worker thread: examine each batch, count it, post the results. */
const serve = (): void => {
  const settings = workerData as Settings;
  const keys = new Map<string, KeyObject>(settings.keys.map(([fp, der]) => [fp, createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' })]));
  const done = new Int32Array(settings.done);
  parentPort?.on('message', (batch: ObjectBatch) => {
    const out = packExamined(examineAll(unpackObjects(batch), keys, settings.signatures, settings.maxObjectBytes));
    Atomics.add(done, 0, batch.keys.length);
    parentPort?.postMessage(out, [out.numbers.buffer as ArrayBuffer, out.ends.buffer as ArrayBuffer]);
  });
};

if (!isMainThread && (workerData as { cordonVerifyWorker?: boolean } | undefined)?.cordonVerifyWorker) serve();

/**
 * A worker runs this file. Under tsx (the `cordon` binary) or ts-jest the file is TypeScript, so
 * the worker registers tsx's require hook first; a compiled build needs none.
 */
const BOOT = `
const { workerData } = require('node:worker_threads');
if (workerData.file.endsWith('.ts')) require(require.resolve('tsx/cjs/api', { paths: [workerData.dir] })).register();
require(workerData.file);
`;

/**
 * Feeds the objects `produce` reads to `verifier`, examined by `workers` threads: this one and
 * `workers - 1` worker threads (1 = this thread only). Resolves when every object has been
 * examined and added.
 */
export const verifyInParallel = async (
  verifier: Verifier,
  workers: number,
  produce: (sink: ObjectSink) => Promise<void> | void,
): Promise<void> => {
  if (workers <= 1) {
    await produce(verifier);
    return;
  }
  const { signatures, maxObjectBytes, keys } = verifier.settings;
  const done = new SharedArrayBuffer(4);
  const counter = new Int32Array(done);
  const spki = [...keys].map(([fp, key]) => [fp, key.export({ format: 'der', type: 'spki' })] as const);
  let pool: Worker[] = [];
  const sent = new Map<Worker, (readonly string[])[]>();
  let posted = 0;
  let received = 0;
  let failed: Error | undefined;
  let wake: (() => void) | undefined;
  const start = (): void => {
    pool = Array.from(
      { length: workers - 1 },
      () =>
        new Worker(BOOT, {
          eval: true,
          workerData: { cordonVerifyWorker: true, file: __filename, dir: __dirname, signatures, maxObjectBytes, keys: spki, done } satisfies Settings &
            Record<string, unknown>,
        }),
    );
    for (const w of pool) {
      // A worker answers its batches in order: the keys of each wait here for its answer.
      const waiting: (readonly string[])[] = [];
      sent.set(w, waiting);
      w.on('message', (out: ExaminedBatch) => {
        const keys = waiting.shift() ?? [];
        for (const e of unpackExamined(keys, out)) verifier.addExamined(e);
        received += keys.length;
        if (received === posted) wake?.();
      });
      w.on('error', (error) => {
        failed = error;
        wake?.();
      });
    }
  };
  let seen = 0;
  let batch: { readonly key: string; readonly body: Uint8Array }[] = [];
  let next = 0;
  const flush = (): void => {
    if (batch.length === 0) return;
    const worker = pool[next % pool.length];
    const packed = packObjects(batch);
    sent.get(worker as Worker)?.push(packed.keys);
    worker?.postMessage(packed, [packed.bodies, packed.ends.buffer as ArrayBuffer]);
    next += 1;
    posted += batch.length;
    batch = [];
  };
  const sink: ObjectSink = {
    add: (key, body) => {
      seen += 1;
      // Starting threads costs more than examining a small set here.
      if (seen === START_AFTER) start();
      if (seen < START_AFTER || posted - Atomics.load(counter, 0) > IN_FLIGHT_PER_WORKER * pool.length) {
        verifier.add(key, body); // small set, or the workers are behind: help
        return;
      }
      batch.push({ key, body });
      if (batch.length >= BATCH) flush();
    },
    reject: (key, why) => verifier.reject(key, why),
    report: (problem: Problem) => verifier.report(problem),
  };
  try {
    await produce(sink);
    flush();
    if (received < posted && !failed) await new Promise<void>((resolve) => (wake = resolve));
    if (failed) throw new Error(`a verification worker failed: ${failed.message}`);
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
};

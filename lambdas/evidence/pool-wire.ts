import type { Entry, Examined, SigState } from './envelope';
import type { CheckpointHead } from './schema';

/**
 * How a batch of objects goes to a verification worker thread and what it examined comes back
 * (pool.ts), without one structured-clone object per object: the bodies in one transferred
 * buffer, the results as numbers in one transferred array and their strings in one string.
 * Measured before (bench/evidence.ts, chain mode, 100k records, 2 cores): handing each object and
 * each examined entry over as an object of its own made 2 worker threads slower than one core.
 */

/** Objects as they go to a worker: their keys, and their bodies end to end in `bodies`. */
export interface ObjectBatch {
  readonly keys: readonly string[];
  readonly bodies: ArrayBuffer;
  /** Where each body ends in `bodies`. */
  readonly ends: Uint32Array;
}

export const packObjects = (objects: readonly { readonly key: string; readonly body: Uint8Array }[]): ObjectBatch => {
  let total = 0;
  for (const o of objects) total += o.body.length;
  const bodies = new Uint8Array(total);
  const ends = new Uint32Array(objects.length);
  let at = 0;
  objects.forEach((o, i) => {
    bodies.set(o.body, at);
    at += o.body.length;
    ends[i] = at;
  });
  return { keys: objects.map((o) => o.key), bodies: bodies.buffer, ends };
};

export const unpackObjects = (batch: ObjectBatch): { key: string; body: Buffer }[] => {
  let from = 0;
  return batch.keys.map((key, i) => {
    const end = batch.ends[i] ?? from;
    const body = Buffer.from(batch.bodies, from, end - from);
    from = end;
    return { key, body };
  });
};

/** What a worker examined of a batch, in the order of its objects (the keys stay with the sender). */
export interface ExaminedBatch {
  /** Per object: KIND_*, then for an entry its type (0 record, 1 checkpoint), seq, SIG_STATES index, and the `shared` indexes of its chain, keyId and keyFingerprint. */
  readonly numbers: Float64Array;
  /** Strings that entries of a batch repeat (an incident's id, a signer's keyId and fingerprint), each once. */
  readonly shared: readonly string[];
  /** Every other string below, end to end. */
  readonly text: string;
  /** Where each string ends in `text`. */
  readonly ends: Uint32Array;
}

const ENTRY = 0;
const CORRUPT = 1;
const IGNORED = 2;
const SIG_STATES: readonly SigState[] = ['ok', 'unchecked', 'bad', 'unknown-key', 'mismatch'];

/**
 * Strings per entry in `text`: prevHash, hash, time, canonicalKey ('' when it is the key),
 * merkleRoot ('' for a record), heads as JSON ('' for a record); per corrupt object: why.
 */
export const packExamined = (examined: readonly Examined[]): ExaminedBatch => {
  const numbers: number[] = [];
  const strings: string[] = [];
  const shared = new Map<string, number>();
  const index = (s: string): number => {
    let at = shared.get(s);
    if (at === undefined) shared.set(s, (at = shared.size));
    return at;
  };
  for (const x of examined) {
    if (x.kind === 'ignored') {
      numbers.push(IGNORED);
    } else if (x.kind === 'corrupt') {
      numbers.push(CORRUPT);
      strings.push(x.why);
    } else {
      const e = x.entry;
      numbers.push(ENTRY, e.type === 'record' ? 0 : 1, e.seq, SIG_STATES.indexOf(e.sig), index(e.chain), index(e.keyId), index(e.keyFingerprint));
      strings.push(e.prevHash, e.hash, e.time, e.canonicalKey === e.key ? '' : e.canonicalKey, e.merkleRoot ?? '', e.heads ? JSON.stringify(e.heads) : '');
    }
  }
  const ends = new Uint32Array(strings.length);
  let at = 0;
  strings.forEach((s, i) => {
    at += s.length;
    ends[i] = at;
  });
  return { numbers: Float64Array.from(numbers), shared: [...shared.keys()], text: strings.join(''), ends };
};

/** Shared strings kept once across batches (bounded): every entry of a signer or an incident holds the same string. */
const known = new Map<string, string>();
const once = (s: string): string => {
  const kept = known.get(s);
  if (kept !== undefined) return kept;
  if (known.size >= 4096) known.clear();
  known.set(s, s);
  return s;
};

/** The examined objects of `batch`, whose objects had `keys`. */
export const unpackExamined = (keys: readonly string[], batch: ExaminedBatch): Examined[] => {
  const { numbers, text, ends } = batch;
  const shared = batch.shared.map(once);
  let n = 0;
  let s = 0;
  let from = 0;
  const next = (): string => {
    const end = ends[s] ?? from;
    s += 1;
    const value = text.slice(from, end);
    from = end;
    return value;
  };
  return keys.map((key): Examined => {
    const kind = numbers[n];
    n += 1;
    if (kind === IGNORED) return { kind: 'ignored', key };
    if (kind === CORRUPT) return { kind: 'corrupt', key, why: next() };
    const isRecord = numbers[n] === 0;
    const seq = numbers[n + 1] ?? -1;
    const sig = SIG_STATES[numbers[n + 2] ?? -1] ?? 'bad';
    const chain = shared[numbers[n + 3] ?? -1] ?? '';
    const keyId = shared[numbers[n + 4] ?? -1] ?? '';
    const keyFingerprint = shared[numbers[n + 5] ?? -1] ?? '';
    n += 6;
    const prevHash = next();
    const hash = next();
    const time = next();
    const canonicalKey = next() || key;
    const merkleRoot = next();
    const heads = next();
    // Members in the order envelope.ts's entryOf writes them: one object shape either way.
    const entry: Entry = isRecord
      ? { key, type: 'record', chain, seq, prevHash, hash, time, canonicalKey, sig, keyId, keyFingerprint }
      : { key, type: 'checkpoint', chain, seq, prevHash, hash, time, canonicalKey, sig, keyId, keyFingerprint, heads: JSON.parse(heads) as CheckpointHead[], merkleRoot };
    return { kind: 'entry', entry };
  });
};

import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod';
import { GENESIS_HASH, InvalidEvidenceError, canonicalJson, sha256, toJsonValue } from './canonical';
import type { ChainHead, ChainHeads } from './heads';
import {
  CONTROLS,
  EvidenceInputSchema,
  INCIDENT_ID_PATTERN,
  SCHEMA_VERSION,
  SIGNATURE_ALG,
  recordIdFor,
  recordKey,
  type RecordPayload,
  type Signature,
  type SignerRef,
} from './schema';
import type { Signer } from './signer';
import type { EvidenceStore } from './store';
import type { EvidenceInput, EvidenceWriter, StoredRecord } from './types';

/** The subset of the Powertools Logger the chain uses. */
export type EvidenceLogger = Pick<Logger, 'debug' | 'warn'>;

const silent: EvidenceLogger = { debug: () => undefined, warn: () => undefined };

export interface EvidenceChainOptions {
  readonly signer: Signer;
  readonly store: EvidenceStore;
  readonly heads: ChainHeads;
  readonly clock?: () => Date;
  readonly logger?: EvidenceLogger;
  /** Conditional-write attempts before giving up. @default 100 */
  readonly maxAttempts?: number;
  /**
   * Attempts during which signing runs in parallel with the head update (a lost race wastes one
   * KMS Sign); later attempts sign only after winning. @default 2
   */
  readonly parallelSignAttempts?: number;
}

/** Where a new link goes: what `build` needs to produce its payload. */
export interface Position {
  readonly seq: number;
  readonly prevHash: string;
  readonly time: string;
  readonly signer: SignerRef;
}

export interface Appended extends StoredRecord {
  /** The stored bytes. */
  readonly body: Buffer;
}

/** The chain head could not be advanced after `maxAttempts` conditional writes. */
export class ChainContentionError extends Error {
  override readonly name = 'ChainContentionError';
}

/** The head table and the store disagree: appending would fork the chain. */
export class ChainIntegrityError extends Error {
  override readonly name = 'ChainIntegrityError';
}

/** `{ payload, signature }` in RFC 8785 canonical form (payload < signature; signature keys sorted). */
export const envelopeBytes = (canonicalPayload: string, signature: Signature): Buffer =>
  Buffer.from(`{"payload":${canonicalPayload},"signature":${canonicalJson(signature)}}`);

/** Hash of a stored envelope's payload; undefined when it is not an envelope. */
const storedHash = (body: Buffer): string | undefined => {
  let root: unknown;
  try {
    root = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined; // not JSON: not the record we wrote
  }
  const payload = typeof root === 'object' && root !== null ? (root as { payload?: unknown }).payload : undefined;
  return payload === undefined ? undefined : sha256(canonicalJson(payload)).toString('hex');
};

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };
const settle = <T>(promise: Promise<T>): Promise<Settled<T>> =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

export const assertIncidentId = (incidentId: string): void => {
  if (!INCIDENT_ID_PATTERN.test(incidentId)) {
    throw new InvalidEvidenceError(
      `expected incidentId to match ${INCIDENT_ID_PATTERN.source}, received ${JSON.stringify(incidentId.slice(0, 200))}`,
    );
  }
};

/**
 * The evidence writer: one hash chain per incident. `append` allocates the next seq with a
 * conditional write on the chain head that also stores the new record's hash, signs (in parallel
 * with that write), then stores the record write-once. Sequential round trips when the head is
 * known (the usual case after the first record): 2.
 */
export class EvidenceChain implements EvidenceWriter {
  private readonly clock: () => Date;
  private readonly logger: EvidenceLogger;
  private readonly maxAttempts: number;
  private readonly parallelSignAttempts: number;
  /** Last head this process saw per chain: saves a read before the conditional write. */
  private readonly known = new Map<string, ChainHead>();
  /** Last seq this process stored per chain: its predecessor needs no repair check. */
  private readonly storedSeq = new Map<string, number>();
  /** Serialises this process's appends per chain (the head update only, not the PutObject). */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly options: EvidenceChainOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.logger = options.logger ?? silent;
    this.maxAttempts = options.maxAttempts ?? 100;
    this.parallelSignAttempts = options.parallelSignAttempts ?? 2;
  }

  async append(incidentId: string, input: EvidenceInput): Promise<StoredRecord> {
    assertIncidentId(incidentId);
    const parsed = EvidenceInputSchema.safeParse({
      ...input,
      before: toJsonValue(input.before, 'before'),
      after: toJsonValue(input.after, 'after'),
      detail: toJsonValue(input.detail, 'detail'),
    });
    if (!parsed.success) {
      throw new InvalidEvidenceError(`invalid evidence input for ${incidentId}: ${z.prettifyError(parsed.error)}`);
    }
    const i = parsed.data;
    const stored = await this.appendLink(incidentId, (seq) => recordKey(incidentId, seq), (at): RecordPayload => ({
      schemaVersion: SCHEMA_VERSION,
      recordId: recordIdFor(incidentId, at.seq),
      incidentId,
      seq: at.seq,
      prevHash: at.prevHash,
      time: at.time,
      kind: i.kind,
      mode: i.mode,
      trigger: i.trigger,
      target: i.target,
      action: i.action,
      reason: i.reason,
      before: i.before,
      after: i.after,
      awsRequestIds: i.awsRequestIds ?? [],
      actor: i.actor,
      detail: i.detail,
      controls: [...CONTROLS],
      signer: at.signer,
    }));
    return { key: stored.key, incidentId, seq: stored.seq, hash: stored.hash };
  }

  /**
   * Appends one signed link to chain `chainId` (an incident id, or the checkpoint chain).
   * `build` must put `seq`, `prevHash`, `time` and `signer` from the position into the payload.
   */
  async appendLink(chainId: string, keyFor: (seq: number) => string, build: (at: Position) => object): Promise<Appended> {
    const identity = await this.options.signer.identity();
    const signerRef: SignerRef = { keyId: identity.keyId, keyFingerprint: identity.keyFingerprint };
    const won = await this.withLock(chainId, () => this.allocate(chainId, signerRef, build));
    const key = keyFor(won.seq);
    const body = envelopeBytes(won.canonical, {
      alg: SIGNATURE_ALG,
      keyId: identity.keyId,
      keyFingerprint: identity.keyFingerprint,
      value: won.signature.toString('base64'),
    });
    const [outcome] = await Promise.all([
      this.options.store.put(key, body),
      // Best effort: a failed check or repair must not fail this append (the record is stored).
      this.repairPredecessor(chainId, keyFor, won.previous, signerRef).catch((error: unknown) =>
        this.logger.warn('could not check or repair the previous evidence record', {
          key: won.previous ? keyFor(won.previous.seq) : undefined,
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        }),
      ),
    ]);
    if (outcome === 'exists') await this.confirmExisting(key, won.hash);
    this.storedSeq.set(chainId, won.seq);
    return { key, incidentId: chainId, seq: won.seq, hash: won.hash, body };
  }

  private async allocate(chainId: string, signerRef: SignerRef, build: (at: Position) => object) {
    let head = this.known.get(chainId);
    for (let attempt = 1; attempt <= this.maxAttempts; attempt += 1) {
      const now = this.clock().toISOString();
      const at: Position = {
        seq: head ? head.seq + 1 : 0,
        prevHash: head ? head.hash : GENESIS_HASH,
        time: head && head.time > now ? head.time : now,
        signer: signerRef,
      };
      const canonical = canonicalJson(build(at));
      const message = Buffer.from(canonical);
      const digest = sha256(message);
      const hash = digest.toString('hex');
      const early = attempt <= this.parallelSignAttempts ? settle(this.options.signer.sign(message, digest)) : undefined;
      const result = await this.options.heads.advance(chainId, head, { seq: at.seq, hash, time: at.time, payload: canonical });
      if (result.ok) {
        this.known.set(chainId, { seq: at.seq, hash, time: at.time });
        const signed = early ? await early : await settle(this.options.signer.sign(message, digest));
        if (!signed.ok) throw signed.error;
        return { seq: at.seq, hash, canonical, signature: signed.value, previous: result.previous };
      }
      head = result.current;
      this.known.delete(chainId);
      if (early) await early;
      this.logger.debug('chain head moved, retrying', { chainId, attempt, seq: at.seq });
      if (attempt > 1) await sleep(Math.random() * Math.min(200, 5 * 2 ** attempt));
    }
    throw new ChainContentionError(`could not advance chain ${chainId} after ${this.maxAttempts} conditional writes`);
  }

  /**
   * Our freshly allocated key is taken. Legitimate only if another writer repaired this very
   * record (same payload); anything else means the heads table is behind the bucket (restored or
   * reset) and appending would fork the chain: refuse loudly.
   */
  private async confirmExisting(key: string, hash: string): Promise<void> {
    const body = await this.options.store.read(key);
    if (body && storedHash(body) === hash) {
      this.logger.debug('evidence record already stored by a repairing writer', { key });
      return;
    }
    throw new ChainIntegrityError(
      `${key} already holds a different record: the chain head table is behind the evidence bucket (restored or reset?); not appending`,
    );
  }

  /**
   * A writer that crashed between the head update and the PutObject leaves a hole. The head item
   * keeps the canonical payload, so the next writer re-signs and stores it if it is absent.
   */
  private async repairPredecessor(
    chainId: string,
    keyFor: (seq: number) => string,
    previous: { seq: number; hash: string; payload?: string } | undefined,
    signerRef: SignerRef,
  ): Promise<void> {
    if (!previous || this.storedSeq.get(chainId) === previous.seq) return;
    const key = keyFor(previous.seq);
    if (await this.options.store.exists(key)) return;
    if (previous.payload === undefined) {
      this.logger.warn('evidence record missing and not repairable', { key });
      return;
    }
    const message = Buffer.from(previous.payload);
    const digest = sha256(message);
    if (digest.toString('hex') !== previous.hash) {
      this.logger.warn('head payload does not match head hash; not repairing', { key });
      return;
    }
    const { signer } = JSON.parse(previous.payload) as { signer?: Partial<SignerRef> };
    if (signer?.keyFingerprint !== signerRef.keyFingerprint || signer.keyId !== signerRef.keyId) {
      this.logger.warn('evidence record missing, signed by another key; not repairing', { key });
      return;
    }
    const signature = await this.options.signer.sign(message, digest);
    await this.options.store.put(
      key,
      envelopeBytes(previous.payload, { alg: SIGNATURE_ALG, ...signerRef, value: signature.toString('base64') }),
    );
    this.logger.warn('repaired an evidence record a crashed writer left unstored', { key });
  }

  private async withLock<T>(chainId: string, work: () => Promise<T>): Promise<T> {
    const before = this.locks.get(chainId) ?? Promise.resolve();
    const run = before.then(work, work);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(chainId, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(chainId) === tail) this.locks.delete(chainId);
    }
  }
}

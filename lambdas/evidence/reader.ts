import type { KeyObject } from 'node:crypto';
import * as z from 'zod';
import { GENESIS_HASH, canonicalJson, sha256Hex } from './canonical';
import { checkPayload, parseEnvelope, signatureState } from './envelope';
import { RecordPayloadSchema, recordKey } from './schema';
import type { EvidenceStore } from './store';
import type { EvidenceInput } from './types';
import type { ProblemCode, VerifyKey } from './verify-report';

/**
 * The one verifying reader of an incident's chain, for everything that acts on evidence (release,
 * restore, the drill, any later consumer): each record must be the writer's exact bytes, signed
 * by the PINNED key (from KMS or the drill's key file, never from the evidence bucket), stored at
 * the key its incident and seq name, and linked to its predecessor. The first record that fails
 * stops the read with an `EvidenceIntegrityError` naming the key, the problem code and why: the
 * caller refuses to act and escalates.
 */
export type EvidenceRecordView = EvidenceInput & { readonly seq: number };

export interface EvidenceReader {
  /** Every record of the incident, in seq order; empty when the incident has none. */
  read(incidentId: string): Promise<readonly EvidenceRecordView[]>;
}

/** A record of the chain failed verification: nothing read from this chain may be acted on. */
export class EvidenceIntegrityError extends Error {
  override readonly name = 'EvidenceIntegrityError';

  constructor(
    readonly key: string,
    readonly code: ProblemCode,
    reason: string,
  ) {
    super(`evidence ${key} fails verification (${code}): ${reason}`);
  }
}

/** The trusted signing keys, fetched from outside the evidence (KMS GetPublicKey, the drill's key file). */
export type PinnedKeys = () => Promise<readonly VerifyKey[]>;

/** Records fetched at once: an incident's chain is read in a round trip per this many records. */
const BATCH = 16;

const verifyOne = (key: string, body: Buffer, keys: ReadonlyMap<string, KeyObject>, prevHash: string): { view: EvidenceRecordView; hash: string } => {
  const fail = (code: ProblemCode, reason: string): never => {
    throw new EvidenceIntegrityError(key, code, reason);
  };
  const envelope = parseEnvelope(body);
  if (typeof envelope === 'string') return fail('MODIFIED', envelope);
  const fields = checkPayload(envelope.payload);
  if (typeof fields === 'string') return fail('MODIFIED', fields);
  if (fields.type !== 'record') return fail('MOVED', 'a checkpoint, not a record');
  const sig = signatureState(envelope, fields, keys, true);
  if (sig === 'unknown-key') {
    return fail('UNKNOWN_KEY', `signed by key ${fields.keyFingerprint}, not the pinned signing key ${[...keys.keys()].join(' or ')}`);
  }
  if (sig === 'mismatch') return fail('MODIFIED', 'signature block altered: not the signer named in the payload');
  if (sig !== 'ok') return fail('BAD_SIGNATURE', 'the signature does not verify over the payload with the pinned key');
  const home = recordKey(fields.incidentId, fields.seq);
  if (home !== key) return fail('MOVED', `holds incident ${fields.incidentId} seq ${fields.seq}, which belongs at ${home}`);
  const hash = sha256Hex(envelope.payloadBytes);
  if (fields.prevHash !== prevHash) {
    return fail(fields.seq === 0 ? 'REORDERED' : 'MISSING', `links to ${fields.prevHash.slice(0, 16)}…, not to the record before it (${prevHash.slice(0, 16)}…)`);
  }
  let canonical: boolean;
  try {
    canonical = canonicalJson(envelope.payload) === envelope.payloadBytes.toString('utf8');
  } catch {
    canonical = false; // nested past what canonicalisation handles: not something the writer produced
  }
  if (!canonical) return fail('MODIFIED', 'the payload is not in canonical form');
  const parsed = RecordPayloadSchema.safeParse(envelope.payload);
  if (!parsed.success) return fail('MODIFIED', `not a record: ${z.prettifyError(parsed.error).split('\n').join(' ')}`);
  return { view: parsed.data, hash };
};

/**
 * Reads `records/{incidentId}/{seq}.json` through any `EvidenceStore` (S3 in Lambda, a folder in
 * the drill), fetching parallel batches of 16 until a seq is absent, and verifies each record as
 * above, chained from the genesis hash.
 */
export class StoreEvidenceReader implements EvidenceReader {
  constructor(
    private readonly store: Pick<EvidenceStore, 'read'>,
    private readonly pinned: PinnedKeys,
  ) {}

  async read(incidentId: string): Promise<readonly EvidenceRecordView[]> {
    const trusted = await this.pinned();
    if (trusted.length === 0) throw new Error('evidence reader: expected at least one pinned signing key, received none');
    const keys = new Map(trusted.map((k) => [k.fingerprint, k.key]));
    const records: EvidenceRecordView[] = [];
    let prevHash = GENESIS_HASH;
    for (let start = 0; ; start += BATCH) {
      const keysOf = Array.from({ length: BATCH }, (_, i) => recordKey(incidentId, start + i));
      const bodies = await Promise.all(keysOf.map((key) => this.store.read(key)));
      for (const [i, body] of bodies.entries()) {
        if (body === undefined) return records;
        const { view, hash } = verifyOne(keysOf[i] ?? '', body, keys, prevHash);
        records.push(view);
        prevHash = hash;
      }
    }
  }
}

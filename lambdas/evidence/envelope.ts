import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { sha256Hex } from './canonical';
import { arenaFor, derOf, latin1, signatureBlock, type SignatureBlock } from './verify-block';
import { checkPayload, isObject, namesSeq, type ParsedPayload } from './verify-payload';
import { INCIDENT_MEMBER, signedRecordFields, signedRecordFieldsAt, type Predecessor } from './verify-signed';
import { plainJsonMember } from './plain-json';
import { CHECKPOINT_CHAIN, SIGNATURE_ALG, checkpointKey, recordKey } from './layout';
import type { CheckpointHead, Signature } from './schema';

export { checkPayload, type ParsedPayload } from './verify-payload';

/**
 * The stored-file rule, and the examination of one stored object that every consumer shares
 * (`cordon verify`, its worker threads, and the verifying reader of release and restore).
 *
 * Rule: an evidence object is exactly the bytes the writer produced, `{"payload":P,"signature":S}`,
 * where P is the RFC 8785 canonical payload that was hashed and signed and S the canonical
 * signature block; no whitespace, no other member, nothing before or after. Any other layout —
 * even semantically equal JSON — is MODIFIED: re-parsing a different text would let a duplicate
 * key or a second payload hide beside the signed one. Because the hash and the signature are over
 * P's stored bytes, a duplicate key inside P breaks the hash (and the writer never produces one).
 */

/** Larger objects are not read: MODIFIED. Records are small; a checkpoint lists heads. */
export const MAX_OBJECT_BYTES = 4 * 1024 * 1024;

const PAYLOAD_PREFIX = Buffer.from('{"payload":');

export type SigState = 'ok' | 'unchecked' | 'bad' | 'unknown-key' | 'mismatch';

/** What verification keeps of one valid-looking object (plain data: it crosses worker threads). */
export interface Entry {
  readonly key: string;
  readonly type: 'record' | 'checkpoint';
  /** Incident id, or `#checkpoints`. */
  readonly chain: string;
  readonly seq: number;
  /** Writable only to share the predecessor's equal hash string (Verifier). */
  prevHash: string;
  readonly hash: string;
  readonly time: string;
  /** Where the payload says it belongs. */
  readonly canonicalKey: string;
  readonly sig: SigState;
  readonly keyId: string;
  readonly keyFingerprint: string;
  readonly heads?: readonly CheckpointHead[];
  readonly merkleRoot?: string;
  /** A copy of another entry (same hash): reported, left out of chain analysis. */
  duplicate?: boolean;
}

export type Examined =
  | { readonly kind: 'entry'; readonly entry: Entry }
  | { readonly kind: 'corrupt'; readonly key: string; readonly why: string }
  | { readonly kind: 'ignored'; readonly key: string };

export interface ParsedEnvelope {
  readonly payload: Record<string, unknown>;
  readonly signature: Signature;
  /** The stored bytes of P: their SHA-256 is the record hash. */
  readonly payloadBytes: Buffer;
}


/** `{"payload":` (a loop: cheaper than a native compare for 11 bytes). */
const startsWithPrefix = (body: Buffer): boolean => {
  for (let i = 0; i < PAYLOAD_PREFIX.length; i += 1) if (body[i] !== PAYLOAD_PREFIX[i]) return false;
  return true;
};

interface Parts {
  readonly block: SignatureBlock;
  /** The stored bytes of P: their SHA-256 is the record hash. */
  readonly payloadBytes: Buffer;
}

/** Where P and the signature block lie, by the rule above; a string says why it is not the writer's bytes. */
const split = (body: Buffer, maxBytes: number): Parts | string => {
  if (body.length > maxBytes) return `${body.length} bytes, more than the ${maxBytes}-byte limit of one evidence object`;
  if (body.length <= PAYLOAD_PREFIX.length || !startsWithPrefix(body)) {
    return 'not in the writer\'s canonical form: expected the exact bytes {"payload":…,"signature":{…}}';
  }
  const block = signatureBlock(body);
  if (block === undefined) return 'not in the writer\'s canonical form: the signature block is not the exact bytes the writer produces';
  const payloadBytes = body.subarray(PAYLOAD_PREFIX.length, block.at);
  if (payloadBytes[0] !== 0x7b || payloadBytes[payloadBytes.length - 1] !== 0x7d) {
    return 'not in the writer\'s canonical form: expected the payload object right after {"payload":';
  }
  return { block, payloadBytes };
};

const parsePayload = (payloadBytes: Buffer): Record<string, unknown> | string => {
  let payload: unknown;
  try {
    payload = JSON.parse(payloadBytes.toString('utf8'));
  } catch (error) {
    return `not JSON (${error instanceof Error ? error.message : String(error)})`;
  }
  return isObject(payload) ? payload : 'payload: expected an object';
};

const signatureOf = (body: Buffer, block: SignatureBlock): Signature => ({
  alg: SIGNATURE_ALG,
  keyId: block.keyId,
  keyFingerprint: block.keyFingerprint,
  value: latin1(body, block.valueAt, block.valueEnd),
});


/** Splits a stored object by the rule above; a string says why it is not the writer's bytes. */
export const parseEnvelope = (body: Buffer, maxBytes = MAX_OBJECT_BYTES): ParsedEnvelope | string => {
  const parts = split(body, maxBytes);
  if (typeof parts === 'string') return parts;
  const payload = parsePayload(parts.payloadBytes);
  if (typeof payload === 'string') return payload;
  return { payload, signature: signatureOf(body, parts.block), payloadBytes: parts.payloadBytes };
};

/** The signature's DER bytes, if `value` is the one canonical base64 text of them (Buffer ignores stray padding bits). */
const canonicalDer = (value: string): Buffer | undefined => {
  const der = Buffer.from(value, 'base64');
  return der.toString('base64') === value ? der : undefined;
};

/** Signature state of a signature block against the trusted keys; `verified`: what crypto.verify said, if asked already. */
const stateOf = (
  block: { readonly keyId: string; readonly keyFingerprint: string },
  value: string,
  payloadBytes: Buffer,
  payload: ParsedPayload,
  keys: ReadonlyMap<string, KeyObject>,
  checkSignatures: boolean,
  verified?: boolean,
): SigState => {
  if (block.keyFingerprint !== payload.keyFingerprint || block.keyId !== payload.keyId) return 'mismatch';
  if (keys.size > 0 && !keys.has(block.keyFingerprint)) return 'unknown-key';
  if (!checkSignatures) return 'unchecked';
  if (verified !== undefined) return verified ? 'ok' : 'bad';
  const publicKey = keys.get(block.keyFingerprint);
  const der = canonicalDer(value);
  if (der === undefined) return 'mismatch';
  return publicKey && cryptoVerify('sha256', payloadBytes, publicKey, der) ? 'ok' : 'bad';
};

/** Signature state of a parsed envelope against the trusted keys (fingerprint -> key). */
export const signatureState = (envelope: ParsedEnvelope, payload: ParsedPayload, keys: ReadonlyMap<string, KeyObject>, checkSignatures: boolean): SigState =>
  stateOf(envelope.signature, envelope.signature.value, envelope.payloadBytes, payload, keys, checkSignatures);

/** `key` is where the payload says it belongs. */
const atHome = (key: string, p: ParsedPayload): boolean =>
  p.type === 'checkpoint'
    ? namesSeq(key, 'checkpoints/', p.seq, '.json')
    : key.startsWith('records/') &&
      key.startsWith(p.incidentId, 8) &&
      key.charCodeAt(8 + p.incidentId.length) === 0x2f &&
      namesSeq(key, '', p.seq, '.json', 9 + p.incidentId.length);

const entryOf = (key: string, payload: ParsedPayload, sig: SigState, keyId: string, keyFingerprint: string, hash: string): Entry => {
  // The key itself when the object is at home (no string built per object).
  const home = atHome(key, payload);
  return payload.type === 'checkpoint'
    ? {
        key,
        type: 'checkpoint',
        chain: CHECKPOINT_CHAIN,
        seq: payload.seq,
        prevHash: payload.prevHash,
        hash,
        time: payload.time,
        canonicalKey: home ? key : checkpointKey(payload.seq),
        sig,
        keyId,
        keyFingerprint,
        heads: payload.heads,
        merkleRoot: payload.merkleRoot,
      }
    : {
        key,
        type: 'record',
        chain: payload.incidentId,
        seq: payload.seq,
        prevHash: payload.prevHash,
        hash,
        time: payload.time,
        canonicalKey: home ? key : recordKey(payload.incidentId, payload.seq),
        sig,
        keyId,
        keyFingerprint,
      };
};

/**
 * Chain mode: a record whose payload is JSON in the plain form (plain-json.ts checks it without
 * JSON.parse) is read as a signed one is, from its last top-level incidentId member; that reading
 * is exact for any valid JSON (verify-signed.ts). Anything else is parsed in full.
 */
const plainRecord = (body: Buffer, block: SignatureBlock, predecessor: Predecessor | undefined): ParsedPayload | undefined => {
  const at = plainJsonMember(body, PAYLOAD_PREFIX.length, block.at, INCIDENT_MEMBER);
  return at < 0 ? undefined : signedRecordFieldsAt(body, at, block, predecessor);
};

/** An object split by the rule, its signature checked if asked: what `settle` needs. */
interface Split extends Parts {
  readonly kind: 'split';
  readonly key: string;
  readonly body: Buffer;
  /** The trusted key named by the block and the signature's DER bytes, when its signature is to be checked. */
  readonly publicKey: KeyObject | undefined;
  readonly der: Buffer | undefined;
  /** SHA-256 of the payload bytes (hex). */
  readonly hash: string;
  /**
   * A record read from its bytes (verify-signed.ts), while they are in the cache: kept if its
   * signature verifies (signature mode) or it is plain JSON (chain mode), else the full parse decides.
   */
  readonly fields: ParsedPayload | undefined;
  /** Its incident id, when read (the next object's Predecessor). */
  readonly chain: string;
  /** What crypto.verify said, if it was asked (a trusted key, canonical base64). */
  verified: boolean | undefined;
}

/**
 * The first step of `examine`: the split, the payload's hash, the signature decoded into slot
 * `slot` of derArena if it is to be checked, and (`fast`) the record read from its bytes if the
 * next steps can keep the reading. `predecessor`: the object split before (signedRecordFields).
 */
const check = (
  key: string,
  body: Buffer,
  keys: ReadonlyMap<string, KeyObject>,
  checkSignatures: boolean,
  maxBytes: number,
  slot: number,
  fast: boolean,
  predecessor?: Predecessor,
): Split | Examined => {
  if (!key.startsWith('records/') && !key.startsWith('checkpoints/')) return { kind: 'ignored', key };
  const parts = split(body, maxBytes);
  if (typeof parts === 'string') return { kind: 'corrupt', key, why: parts };
  const { block, payloadBytes } = parts;
  const publicKey = checkSignatures ? keys.get(block.keyFingerprint) : undefined;
  const der = publicKey && derOf(body, block, slot);
  const hash = sha256Hex(payloadBytes);
  // A record whose signature is to be checked, read from its bytes (verify-signed.ts says why that equals the full parse).
  const fields = !fast ? undefined : der ? signedRecordFields(body, PAYLOAD_PREFIX.length, block, predecessor) : checkSignatures ? undefined : plainRecord(body, block, predecessor);
  return { kind: 'split', key, body, block, payloadBytes, publicKey, der, hash, fields, chain: fields?.type === 'record' ? fields.incidentId : '', verified: undefined };
};

/** The second step: crypto.verify of each object whose signature is to be checked, back to back. */
const verifyEach = (splits: readonly (Split | Examined)[]): void => {
  for (const s of splits) if (s.kind === 'split' && s.publicKey && s.der) s.verified = cryptoVerify('sha256', s.payloadBytes, s.publicKey, s.der);
};

/**
 * The second half: a record the signature vouches for needs no full parse; anything else (a bad
 * signature, an unknown key, a checkpoint, chain mode) is parsed in full, so it is reported exactly.
 */
const settle = (split: Split | Examined, keys: ReadonlyMap<string, KeyObject>, checkSignatures: boolean): Examined => {
  if (split.kind !== 'split') return split;
  const { key, body, block, payloadBytes, verified } = split;
  const fields = verified || !checkSignatures ? split.fields : undefined;
  if (fields) {
    // The signer named in the payload is the block's (the reading compares them): what stateOf concludes.
    const sig = verified ? 'ok' : keys.size > 0 && !keys.has(block.keyFingerprint) ? 'unknown-key' : 'unchecked';
    return { kind: 'entry', entry: entryOf(key, fields, sig, block.keyId, block.keyFingerprint, split.hash) };
  }
  const parsed = parsePayload(payloadBytes);
  if (typeof parsed === 'string') return { kind: 'corrupt', key, why: parsed };
  const payload = checkPayload(parsed);
  if (typeof payload === 'string') return { kind: 'corrupt', key, why: payload };
  // Only signature checks read the value.
  const value = checkSignatures ? latin1(body, block.valueAt, block.valueEnd) : '';
  const sig = stateOf(block, value, payloadBytes, payload, keys, checkSignatures, verified);
  // Equal strings by then, unless `mismatch`: the block's are shared by every object of one key (kept by the thousand).
  const { keyId, keyFingerprint } = sig === 'mismatch' ? payload : block;
  return { kind: 'entry', entry: entryOf(key, payload, sig, keyId, keyFingerprint, split.hash) };
};

/** Examines one stored object; `key` relative to the evidence root. Pure: runs in worker threads too. */
export const examine = (
  key: string,
  body: Buffer,
  keys: ReadonlyMap<string, KeyObject>,
  checkSignatures: boolean,
  maxBytes = MAX_OBJECT_BYTES,
): Examined => {
  arenaFor(1);
  const one = check(key, body, keys, checkSignatures, maxBytes, 0, true);
  verifyEach([one]);
  return settle(one, keys, checkSignatures);
};

/**
 * `examine` without the fast paths (signed and plain records read from their bytes): every payload
 * JSON.parsed and checked in full. The reference the fast paths are tested against.
 */
export const examineByFullParse = (key: string, body: Buffer, keys: ReadonlyMap<string, KeyObject>, checkSignatures: boolean, maxBytes = MAX_OBJECT_BYTES): Examined => {
  arenaFor(1);
  const one = check(key, body, keys, checkSignatures, maxBytes, 0, false);
  verifyEach([one]);
  return settle(one, keys, checkSignatures);
};

/**
 * `examine` of each object, in order, in three passes: every split, DER decoding, hash of the
 * payload and reading of a record from its bytes; every crypto.verify back to back; every entry.
 * Measured on 10k records, one core: the split and decoding of an object cost 6-9 us right after a
 * crypto.verify (which evicts them from cache), 3-5 us after other JS work; crypto.verify itself
 * costs what it costs in a tight loop. Hashing in the first pass rather than the third, beside the
 * split that reads the same bytes, took 0.8-4.5 points off the gap to the crypto.verify ceiling
 * (three paired runs); reading the record there too, from its bytes (verify-signed.ts) rather
 * than by a regular expression over a copy of its text (1.2 KB allocated per record), took off
 * 2.4 more (28 paired rounds, standard error 0.7).
 */
export const examineAll = (
  objects: readonly { readonly key: string; readonly body: Buffer }[],
  keys: ReadonlyMap<string, KeyObject>,
  checkSignatures: boolean,
  maxBytes = MAX_OBJECT_BYTES,
): Examined[] => {
  arenaFor(objects.length);
  // Each object is handed to the next, usually its successor in the chain (signedRecordFields).
  let predecessor: Predecessor | undefined;
  const splits = objects.map((o, slot) => {
    const s = check(o.key, o.body, keys, checkSignatures, maxBytes, slot, true, predecessor);
    predecessor = s.kind === 'split' ? s : undefined;
    return s;
  });
  verifyEach(splits);
  return splits.map((s) => settle(s, keys, checkSignatures));
};

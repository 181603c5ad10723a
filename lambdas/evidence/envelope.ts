import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { sha256Hex } from './canonical';
import {
  CHECKPOINT_CHAIN,
  INCIDENT_ID_PATTERN,
  SCHEMA_VERSION,
  SIGNATURE_ALG,
  checkpointKey,
  pad8,
  recordIdFor,
  recordKey,
  type CheckpointHead,
  type Signature,
} from './schema';

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
const SIGNATURE_MARK = Buffer.from(',"signature":{');
/** The writer's signature block and closing brace (latin1, so a non-ASCII keyId is rejected, as it must be escaped by no one). */
const CANONICAL_TAIL =
  /^,"signature":\{"alg":"ECDSA_SHA_256","keyFingerprint":"([0-9a-f]{64})","keyId":("(?:[\x20-\x21\x23-\x5b\x5d-\x7e]|\\["\\/bfnrtu])*"),"value":"([A-Za-z0-9+/]+={0,2})"\}\}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const RECORD_KINDS = new Set(['intent', 'step', 'outcome', 'skip', 'error', 'escalation', 'redrive']);

export type SigState = 'ok' | 'unchecked' | 'bad' | 'unknown-key' | 'mismatch';

/** What verification keeps of one valid-looking object (plain data: it crosses worker threads). */
export interface Entry {
  readonly key: string;
  readonly type: 'record' | 'checkpoint';
  /** Incident id, or `#checkpoints`. */
  readonly chain: string;
  readonly seq: number;
  readonly prevHash: string;
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

/** The value of a JSON string literal if it is in canonical (JSON.stringify) form. */
const jsonStringLiteral = (literal: string): string | undefined => {
  if (!literal.includes('\\')) return literal.slice(1, -1);
  try {
    const value: unknown = JSON.parse(literal);
    return typeof value === 'string' && JSON.stringify(value) === literal ? value : undefined;
  } catch {
    return undefined; // not a valid literal: not the writer's bytes
  }
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (o: Record<string, unknown>, k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);

/** `{"payload":` (a loop: cheaper than a native compare for 11 bytes). */
const startsWithPrefix = (body: Buffer): boolean => {
  for (let i = 0; i < PAYLOAD_PREFIX.length; i += 1) if (body[i] !== PAYLOAD_PREFIX[i]) return false;
  return true;
};

/** Bytes that may stand in a base64 value. */
const BASE64 = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64[c.charCodeAt(0)] = 1;
const BLOCK_END = Buffer.from('"}}');
/** base64 of a DER ECDSA P-256 signature (70-72 bytes) is always 96 characters. */
const SIGNATURE_CHARS = 96;

/** `"value":"<base64>"}}` from `start` to the end of `body`, exactly: the value, else undefined. */
const valueTail = (body: Buffer, start: number): string | undefined => {
  const end = body.length - BLOCK_END.length;
  if (end <= start || body[end] !== 0x22 || body[end + 1] !== 0x7d || body[end + 2] !== 0x7d) return undefined;
  let i = start;
  while (i < end && BASE64[body[i] as number] === 1) i += 1;
  if (i === start || end - i > 2) return undefined;
  for (let k = i; k < end; k += 1) if (body[k] !== 0x3d) return undefined;
  return body.toString('latin1', start, end);
};

interface SignatureBlock {
  /** Where `,"signature":{` starts. */
  readonly at: number;
  readonly keyFingerprint: string;
  readonly keyId: string;
  readonly value: string;
}

/**
 * The block's bytes up to the value, and what they say, as last read: every object a key signs
 * repeats them, so the common case is one comparison instead of a search and a regex. Anything
 * else takes the full path, which is the rule.
 */
let lastHead: { readonly bytes: Buffer; readonly keyFingerprint: string; readonly keyId: string } | undefined;

const signatureBlock = (body: Buffer): SignatureBlock | undefined => {
  const head = lastHead;
  if (head) {
    const at = body.length - BLOCK_END.length - SIGNATURE_CHARS - head.bytes.length;
    if (at > PAYLOAD_PREFIX.length && head.bytes.compare(body, at, at + head.bytes.length) === 0) {
      // The head holds no `,"signature":{` after its start (the keyId literal escapes every quote), nor does base64: this is the last one.
      const value = valueTail(body, at + head.bytes.length);
      if (value !== undefined) return { at, keyFingerprint: head.keyFingerprint, keyId: head.keyId, value };
    }
  }
  const at = body.lastIndexOf(SIGNATURE_MARK);
  const tail = at > PAYLOAD_PREFIX.length ? CANONICAL_TAIL.exec(body.toString('latin1', at)) : null;
  const keyId = tail?.[2] === undefined ? undefined : jsonStringLiteral(tail[2]);
  if (tail?.[1] === undefined || tail[3] === undefined || keyId === undefined) return undefined;
  const valueAt = body.length - BLOCK_END.length - tail[3].length;
  lastHead = { bytes: Buffer.from(body.subarray(at, valueAt)), keyFingerprint: tail[1], keyId };
  return { at, keyFingerprint: tail[1], keyId, value: tail[3] };
};

/** Splits a stored object by the rule above; a string says why it is not the writer's bytes. */
export const parseEnvelope = (body: Buffer, maxBytes = MAX_OBJECT_BYTES): ParsedEnvelope | string => {
  if (body.length > maxBytes) return `${body.length} bytes, more than the ${maxBytes}-byte limit of one evidence object`;
  if (body.length <= PAYLOAD_PREFIX.length || !startsWithPrefix(body)) {
    return 'not in the writer\'s canonical form: expected the exact bytes {"payload":…,"signature":{…}}';
  }
  const block = signatureBlock(body);
  if (block === undefined) return 'not in the writer\'s canonical form: the signature block is not the exact bytes the writer produces';
  const { at } = block;
  const payloadBytes = body.subarray(PAYLOAD_PREFIX.length, at);
  if (payloadBytes[0] !== 0x7b || payloadBytes[payloadBytes.length - 1] !== 0x7d) {
    return 'not in the writer\'s canonical form: expected the payload object right after {"payload":';
  }
  let payload: unknown;
  try {
    payload = JSON.parse(payloadBytes.toString('utf8'));
  } catch (error) {
    return `not JSON (${error instanceof Error ? error.message : String(error)})`;
  }
  if (!isObject(payload)) return 'payload: expected an object';
  return { payload, signature: { alg: SIGNATURE_ALG, keyId: block.keyId, keyFingerprint: block.keyFingerprint, value: block.value }, payloadBytes };
};

type ChainFields = { readonly seq: number; readonly prevHash: string; readonly time: string; readonly keyId: string; readonly keyFingerprint: string };
export type ParsedPayload =
  | (ChainFields & { readonly type: 'checkpoint'; readonly heads: CheckpointHead[]; readonly merkleRoot: string })
  | (ChainFields & { readonly type: 'record'; readonly incidentId: string });

const checkHeads = (value: unknown): CheckpointHead[] | undefined => {
  if (!Array.isArray(value)) return undefined;
  const heads: CheckpointHead[] = [];
  for (const h of value as unknown[]) {
    if (!isObject(h)) return undefined;
    const { incidentId, seq, hash } = h;
    if (typeof incidentId !== 'string' || !INCIDENT_ID_PATTERN.test(incidentId)) return undefined;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0 || typeof hash !== 'string' || !HEX64.test(hash)) return undefined;
    heads.push({ incidentId, seq, hash });
  }
  return heads;
};

/**
 * Incident ids already found safe, each kept once: they repeat once per record, and verification
 * keeps one per record (bounded, so hostile input cannot grow it).
 */
const safeIds = new Map<string, string>();
const safeIncidentId = (id: string): string | undefined => {
  const known = safeIds.get(id);
  if (known !== undefined) return known;
  if (!INCIDENT_ID_PATTERN.test(id)) return undefined;
  if (safeIds.size >= 4096) safeIds.clear();
  safeIds.set(id, id);
  return id;
};

/** `text === prefix + pad8(seq) + suffix` (`prefix` may stand at `from`), without building the string. */
const namesSeq = (text: unknown, prefix: string, seq: number, suffix = '', from = 0): boolean => {
  if (typeof text !== 'string' || !text.startsWith(prefix, from) || !text.endsWith(suffix)) return false;
  const start = from + prefix.length;
  const digits = text.length - start - suffix.length;
  if (digits < 8 || (digits > 8 && text.charCodeAt(start) === 0x30)) return false;
  let n = 0;
  for (let i = start; i < start + digits; i += 1) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return false;
    n = n * 10 + d;
  }
  return n === seq;
};

/**
 * The fields verification relies on, checked by hand (a full schema parse costs more than the
 * rest of verification). Everything else in the payload is covered by its hash and signature.
 */
export const checkPayload = (p: Record<string, unknown>): ParsedPayload | string => {
  if (p.schemaVersion !== SCHEMA_VERSION) return `payload.schemaVersion: expected ${SCHEMA_VERSION}`;
  const seq = p.seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return 'payload.seq: expected a non-negative integer';
  const prevHash = str(p, 'prevHash');
  if (prevHash === undefined || !HEX64.test(prevHash)) return 'payload.prevHash: expected 64 hex characters';
  const time = str(p, 'time');
  if (time === undefined || !ISO_TIME.test(time)) return 'payload.time: expected an ISO UTC time';
  const signer = p.signer;
  if (!isObject(signer) || typeof signer.keyId !== 'string' || typeof signer.keyFingerprint !== 'string') {
    return 'payload.signer: expected keyId and keyFingerprint';
  }
  const { keyId, keyFingerprint } = signer;
  const kind = str(p, 'kind');
  if (kind === 'checkpoint') {
    if (!namesSeq(p.checkpointId, 'checkpoints/', seq)) return `payload.checkpointId: expected checkpoints/${pad8(seq)}`;
    const merkleRoot = str(p, 'merkleRoot');
    if (merkleRoot === undefined || !HEX64.test(merkleRoot)) return 'payload.merkleRoot: expected 64 hex characters';
    const heads = checkHeads(p.heads);
    if (!heads) return 'payload.heads: expected {incidentId, seq, hash} entries';
    return { type: 'checkpoint', seq, prevHash, time, keyId, keyFingerprint, heads, merkleRoot };
  }
  if (kind === undefined || !RECORD_KINDS.has(kind)) return 'payload.kind: expected a record kind';
  const given = str(p, 'incidentId');
  const incidentId = given === undefined ? undefined : safeIncidentId(given);
  if (incidentId === undefined) return 'payload.incidentId: expected a safe incident id';
  if (!namesSeq(p.recordId, `${incidentId}/`, seq)) return `payload.recordId: expected ${recordIdFor(incidentId, seq)}`;
  return { type: 'record', seq, prevHash, time, keyId, keyFingerprint, incidentId };
};

/** Signature state of a parsed envelope against the trusted keys (fingerprint -> key). */
export const signatureState = (
  envelope: ParsedEnvelope,
  payload: ParsedPayload,
  keys: ReadonlyMap<string, KeyObject>,
  checkSignatures: boolean,
): SigState => {
  const { signature } = envelope;
  if (signature.keyFingerprint !== payload.keyFingerprint || signature.keyId !== payload.keyId) return 'mismatch';
  if (keys.size > 0 && !keys.has(signature.keyFingerprint)) return 'unknown-key';
  if (!checkSignatures) return 'unchecked';
  const publicKey = keys.get(signature.keyFingerprint);
  const der = Buffer.from(signature.value, 'base64');
  // Buffer ignores stray padding bits: insist on the one canonical base64 text of the bytes.
  if (der.toString('base64') !== signature.value) return 'mismatch';
  return publicKey && cryptoVerify('sha256', envelope.payloadBytes, publicKey, der) ? 'ok' : 'bad';
};

/** `key` is where the payload says it belongs. */
const atHome = (key: string, p: ParsedPayload): boolean =>
  p.type === 'checkpoint'
    ? namesSeq(key, 'checkpoints/', p.seq, '.json')
    : key.startsWith('records/') &&
      key.startsWith(p.incidentId, 8) &&
      key.charCodeAt(8 + p.incidentId.length) === 0x2f &&
      namesSeq(key, '', p.seq, '.json', 9 + p.incidentId.length);

/** Examines one stored object; `key` relative to the evidence root. Pure: runs in worker threads too. */
export const examine = (
  key: string,
  body: Buffer,
  keys: ReadonlyMap<string, KeyObject>,
  checkSignatures: boolean,
  maxBytes = MAX_OBJECT_BYTES,
): Examined => {
  if (!key.startsWith('records/') && !key.startsWith('checkpoints/')) return { kind: 'ignored', key };
  const envelope = parseEnvelope(body, maxBytes);
  if (typeof envelope === 'string') return { kind: 'corrupt', key, why: envelope };
  const payload = checkPayload(envelope.payload);
  if (typeof payload === 'string') return { kind: 'corrupt', key, why: payload };
  const sig = signatureState(envelope, payload, keys, checkSignatures);
  // Equal strings by then, unless `mismatch`: the envelope's are shared by every object of one key (kept by the thousand).
  const { keyId, keyFingerprint } = sig === 'mismatch' ? payload : envelope.signature;
  const hash = sha256Hex(envelope.payloadBytes);
  // The key itself when the object is at home (no string built per object).
  const home = atHome(key, payload);
  const entry: Entry =
    payload.type === 'checkpoint'
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
  return { kind: 'entry', entry };
};

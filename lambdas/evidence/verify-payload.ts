import { INCIDENT_ID_PATTERN, SCHEMA_VERSION, pad8, recordIdFor } from './layout';
import type { CheckpointHead } from './schema';

/** The fields of a payload that verification relies on, checked by hand (envelope.ts examines objects with it). */

export const HEX_DIGIT = new Uint8Array(256);
for (const c of '0123456789abcdef') HEX_DIGIT[c.charCodeAt(0)] = 1;
/** `/^[0-9a-f]{64}$/.test`, without the expression (measured: the loop costs about half as much, once per record). */
const isHex64 = (text: string): boolean => {
  if (text.length !== 64) return false;
  for (let i = 0; i < 64; i += 1) if (HEX_DIGIT[text.charCodeAt(i)] !== 1) return false;
  return true;
};
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const RECORD_KINDS = new Set(['intent', 'step', 'outcome', 'skip', 'error', 'escalation', 'redrive']);

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (o: Record<string, unknown>, k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);

export type ChainFields = { readonly seq: number; readonly prevHash: string; readonly time: string; readonly keyId: string; readonly keyFingerprint: string };
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
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0 || typeof hash !== 'string' || !isHex64(hash)) return undefined;
    heads.push({ incidentId, seq, hash });
  }
  return heads;
};

/**
 * Incident ids already found safe, each kept once: they repeat once per record, and verification
 * keeps one per record (bounded, so hostile input cannot grow it).
 */
const safeIds = new Map<string, string>();
export const safeIncidentId = (id: string): string | undefined => {
  const known = safeIds.get(id);
  if (known !== undefined) return known;
  if (!INCIDENT_ID_PATTERN.test(id)) return undefined;
  if (safeIds.size >= 4096) safeIds.clear();
  // A copy of its own: `id` may be a substring that would keep a whole record's text alive.
  const own = Buffer.from(id, 'latin1').toString('latin1');
  safeIds.set(own, own);
  return own;
};

/** `text === prefix + pad8(seq) + suffix` (`prefix` may stand at `from`), without building the string. */
export const namesSeq = (text: unknown, prefix: string, seq: number, suffix = '', from = 0): boolean => {
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

/** `text === `${incidentId}/${pad8(seq)}``, without building either string. */
export const namesRecord = (text: unknown, incidentId: string, seq: number): boolean =>
  typeof text === 'string' && text.startsWith(incidentId) && text.charCodeAt(incidentId.length) === 0x2f && namesSeq(text, '', seq, '', incidentId.length + 1);

/**
 * The fields verification relies on, checked by hand (a full schema parse costs more than the
 * rest of verification). Everything else in the payload is covered by its hash and signature.
 */
export const checkPayload = (p: Record<string, unknown>): ParsedPayload | string => {
  if (p.schemaVersion !== SCHEMA_VERSION) return `payload.schemaVersion: expected ${SCHEMA_VERSION}`;
  const seq = p.seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return 'payload.seq: expected a non-negative integer';
  const prevHash = str(p, 'prevHash');
  if (prevHash === undefined || !isHex64(prevHash)) return 'payload.prevHash: expected 64 hex characters';
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
    if (merkleRoot === undefined || !isHex64(merkleRoot)) return 'payload.merkleRoot: expected 64 hex characters';
    const heads = checkHeads(p.heads);
    if (!heads) return 'payload.heads: expected {incidentId, seq, hash} entries';
    return { type: 'checkpoint', seq, prevHash, time, keyId, keyFingerprint, heads, merkleRoot };
  }
  if (kind === undefined || !RECORD_KINDS.has(kind)) return 'payload.kind: expected a record kind';
  const given = str(p, 'incidentId');
  const incidentId = given === undefined ? undefined : safeIncidentId(given);
  if (incidentId === undefined) return 'payload.incidentId: expected a safe incident id';
  if (!namesRecord(p.recordId, incidentId, seq)) return `payload.recordId: expected ${recordIdFor(incidentId, seq)}`;
  return { type: 'record', seq, prevHash, time, keyId, keyFingerprint, incidentId };
};


import { memberName } from './plain-json';
import { latin1, type SignatureBlock } from './verify-block';
import { isHex64 } from './verify-payload';

/**
 * What verification needs of a record whose signature verified under a trusted key — incidentId,
 * seq, prevHash, time, the signer — read from its bytes instead of a full JSON.parse (which would
 * cost more than the rest of verification without the signature).
 *
 * Why this reads exactly what JSON.parse + checkPayload would (envelope.ts), for any payload that
 * is valid JSON — which every signed payload is: the trusted key signs only what the writer
 * produces, `canonicalJson` of a record (chain.ts):
 * - In valid JSON, `,"incidentId":"` can only be a member name followed by a string: a `"` inside
 *   a string is escaped, and a string that ended with `,` cannot be followed by `incidentId`.
 *   The match below starts at such a position, so its tokens are JSON's tokens.
 * - From there the expression consumes whole tokens only (a string runs to its first unescaped
 *   quote; `target` and `trigger` are flat objects of string or number members) up to the
 *   payload's closing brace at the very end. What it consumed is therefore balanced, so it began
 *   at depth 1: these are top-level members of the payload, each named once, and no top-level
 *   member follows them. A member of the same name earlier in the text would lose to them in
 *   JSON.parse too (the last value wins).
 * - Each value read has no escape in it (or is compared as the exact literal), so it is the
 *   parsed value; the checks are those of checkPayload (envelope.ts applies the rest).
 * Anything that does not match exactly (a checkpoint, an escape, a nested target, a member the
 * writer does not write in that order) returns undefined, and the object takes the full path.
 */

/** A JSON string literal (unrolled: no backtracking). */
const STRING = String.raw`"[^"\\]*(?:\\.[^"\\]*)*"`;
const NUMBER = String.raw`-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?`;
const MEMBER = `${STRING}:(?:${STRING}|${NUMBER})`;
const FLAT_OBJECT = String.raw`\{(?:${MEMBER}(?:,${MEMBER})*)?\}`;
const INCIDENT = ',"incidentId":"';
const KIND = '","kind":"';
const MODE = '","mode":';
const PREV_HASH = ',"prevHash":"';
const TRIGGER = '","trigger":';
const SIGNER = String.raw`,"signer":\{"keyFingerprint":"([0-9a-f]{64})","keyId":(${STRING})\}`;
/**
 * The expression, with `signer` in place: a pattern with the fingerprint and the keyId literal as
 * groups 7 and 8, or the block's own text as literal text, without groups. Groups 1-6: incidentId,
 * kind, mode, prevHash, recordId, seq.
 */
interface Reading {
  readonly expression: RegExp;
  /** Whether groups 7 and 8 hold the signer named (else the expression names the block's own). */
  readonly namesSigner: boolean;
}
const reading = (signer: string, namesSigner: boolean): Reading => ({
  namesSigner,
  expression: new RegExp(
    [
      // The id's length is checked with its pattern by the caller (safeIncidentId), as checkPayload does.
      String.raw`${INCIDENT}([A-Za-z0-9._-]+)${KIND}(intent|step|outcome|skip|error|escalation|redrive)${MODE}(${STRING})`,
      // Any plain text here (a counted class of hex costs a third of the whole match): match checks it.
      String.raw`${PREV_HASH}([^"\\]*)"`,
      `(?:,"reason":${STRING})?`,
      String.raw`,"recordId":"([^"\\]*)"`,
      String.raw`,"schemaVersion":1,"seq":(0|[1-9]\d{0,15})`,
      signer,
      `(?:,"target":${FLAT_OBJECT})?`,
      String.raw`,"time":"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z`,
      `${TRIGGER}(${FLAT_OBJECT})\\}$`,
    ].join(''),
    'y',
  ),
});
/** Any signer (chain mode: objects of any signer). */
const ANY_SIGNER = reading(SIGNER, true);
/**
 * The expression for the block's signer, its fingerprint and keyId literal as literal text (a
 * literal costs less to match than its character classes); the last one made is kept: every
 * record of one key asks for the same.
 */
let bySigner: { readonly keyFingerprint: string; readonly keyIdLiteral: string; readonly reading: Reading } | undefined;
const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|/]/g;
const signerReading = (block: SignatureBlock): Reading => {
  const last = bySigner;
  if (last !== undefined && last.keyFingerprint === block.keyFingerprint && last.keyIdLiteral === block.keyIdLiteral) return last.reading;
  const literal = `,"signer":{"keyFingerprint":"${block.keyFingerprint}","keyId":${block.keyIdLiteral}}`.replace(REGEX_SPECIAL, '\\$&');
  bySigner = { keyFingerprint: block.keyFingerprint, keyIdLiteral: block.keyIdLiteral, reading: reading(literal, false) };
  return bySigner.reading;
};
/** The member the match starts at, as plain-json.ts finds members. */
export const INCIDENT_MEMBER = memberName('incidentId');
/** `2026-01-01T00:00:00Z` without a fraction. */
const TIME_CHARS = 20;

export interface SignedRecordFields {
  readonly incidentId: string;
  readonly seq: number;
  readonly prevHash: string;
  readonly recordId: string;
  readonly time: string;
}

/**
 * How far before its signature block the last record read began its match: where the next one's
 * likely begins (records of one writer differ by a few characters there).
 */
let lastTail = 0;
/** Characters read before that guess. */
const SLACK = 64;

/** `body` holds at `at` the 64 characters of `hash` (a predecessor's hash, or '' for none). */
const holds = (body: Buffer, at: number, hash: string): boolean => {
  if (hash.length !== 64) return false;
  for (let i = 0; i < 64; i += 1) if (body[at + i] !== hash.charCodeAt(i)) return false;
  return true;
};

/**
 * The reading from `from` (at `,"incidentId":"`) of `text`, the payload's latin1 text from `start`
 * in `body`, with `r`. `predecessor`: the hash of the object read before, usually this one's
 * predecessor: then prevHash is that string, not a copy.
 */
const match = (body: Buffer, start: number, text: string, from: number, block: SignatureBlock, r: Reading, predecessor: string): SignedRecordFields | undefined => {
  r.expression.lastIndex = from;
  const m = r.expression.exec(text);
  if (m === null || (r.namesSigner && (m[7] !== block.keyFingerprint || m[8] !== block.keyIdLiteral))) return undefined;
  const incidentId = m[1] ?? '';
  // The time's fraction and the trigger: the groups after the signer's, if it has any.
  const fraction = r.namesSigner ? 9 : 7;
  // prevHash and time copied out of the bytes: a substring of the text would keep all of it alive in the entry.
  const prevHashAt = start + from + INCIDENT.length + incidentId.length + KIND.length + (m[2]?.length ?? 0) + MODE.length + (m[3]?.length ?? 0) + PREV_HASH.length;
  const timeEnd = block.at - 1 - (m[fraction + 1]?.length ?? 0) - TRIGGER.length;
  if (m[4]?.length !== 64) return undefined;
  // The predecessor's hash when it is the same text (a hash: hex); else a copy, checked as checkPayload checks it.
  const held = holds(body, prevHashAt, predecessor);
  const prevHash = held ? predecessor : latin1(body, prevHashAt, prevHashAt + 64);
  if (!held && !isHex64(prevHash)) return undefined;
  lastTail = block.at - start - from;
  return {
    incidentId,
    seq: Number(m[6]),
    prevHash,
    recordId: m[5] ?? '',
    time: latin1(body, timeEnd - TIME_CHARS - (m[fraction]?.length ?? 0), timeEnd),
  };
};

/**
 * The reading from the first `,"incidentId":"` of `body` from `start` to the signature block, or
 * failing that the last: the first is the writer's member unless `before`, `after` or `detail`
 * names one too.
 */
const firstOrLast = (body: Buffer, start: number, block: SignatureBlock, r: Reading, predecessor: string): SignedRecordFields | undefined => {
  // Searched in the text the expression reads (measured: cheaper than Buffer.indexOf and a second copy).
  const text = latin1(body, start, block.at);
  const first = text.indexOf(INCIDENT);
  if (first < 0) return undefined;
  const found = match(body, start, text, first, block, r, predecessor);
  if (found !== undefined) return found;
  const last = text.lastIndexOf(INCIDENT);
  return last > first ? match(body, start, text, last, block, r, predecessor) : undefined;
};

/**
 * The chain fields of a record payload (`body` from `start` to the signature block) whose
 * signature verified, if it has the writer's record layout and names the block's signer; else
 * undefined (the caller parses it in full). `predecessor`: see match.
 *
 * Read first from where the last record's reading began (a few characters before): any
 * `,"incidentId":"` in valid JSON is a member name, and a match from one is the payload's
 * top-level member wherever the search began (the argument above), so a window that misses it
 * only costs the reading of the whole payload after it.
 */
export const signedRecordFields = (body: Buffer, start: number, block: SignatureBlock, predecessor = ''): SignedRecordFields | undefined => {
  const r = signerReading(block);
  const from = block.at - lastTail - SLACK;
  return (lastTail > 0 && from > start ? firstOrLast(body, from, block, r, predecessor) : undefined) ?? firstOrLast(body, start, block, r, predecessor);
};

/**
 * The same, from `at`, the comma before the last `"incidentId":` member of the payload's outermost
 * object (plain-json.ts finds it in valid JSON): a match can only start there.
 */
export const signedRecordFieldsAt = (body: Buffer, at: number, block: SignatureBlock, predecessor = ''): SignedRecordFields | undefined =>
  match(body, at, latin1(body, at, block.at), 0, block, ANY_SIGNER, predecessor);

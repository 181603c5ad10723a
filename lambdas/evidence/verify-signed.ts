import { bytesAt, isDigit, memberName, numberEnd } from './plain-json';
import { latin1, type SignatureBlock } from './verify-block';
import { HEX_DIGIT, safeIncidentId, type ParsedPayload } from './verify-payload';

/**
 * What verification needs of a record — incidentId, seq, prevHash, time, the signer — read from
 * its bytes instead of a full JSON.parse (which would cost more than the rest of verification
 * without the signature). envelope.ts reads each record signed under a trusted key before its
 * signature is checked, and keeps the reading only if it verifies; in chain mode, each record in
 * plain JSON (plain-json.ts).
 *
 * The reading is one pass over the bytes along the writer's record layout (the grammar below),
 * from a `,"incidentId":"` to the end of the payload. Each step is forced: every optional member
 * starts with its own name, and every token ends at a byte that cannot continue it, so there is
 * never a second way to read the same bytes.
 *
 *   ,"incidentId":"ID","kind":"KIND","mode":STRING,"prevHash":"HEX64"[,"reason":STRING]
 *   ,"recordId":"ID/SEQ8","schemaVersion":1,"seq":SEQ,"signer":{"keyFingerprint":"FP","keyId":KEYID}
 *   [,"target":FLAT],"time":"dddd-dd-ddTdd:dd:dd[.d{1,9}]Z","trigger":FLAT}   (the payload's end)
 *
 * ID is [A-Za-z0-9._-]{1,128} (safeIncidentId); KIND a record kind; SEQ digits without a leading
 * zero, a safe integer; ID/SEQ8 the incident id, `/`, and seq as pad8 writes it; FP and KEYID the
 * signature block's own text; FLAT an object of string or number members; STRING a JSON string
 * literal (a `"`, then any bytes where a `\` takes the next byte with it, up to an unescaped `"`).
 *
 * Why this reads exactly what JSON.parse + checkPayload would (envelope.ts), for any payload that
 * is valid JSON — which every signed payload is: the trusted key signs only what the writer
 * produces, `canonicalJson` of a record (chain.ts):
 * - In valid JSON, `,"incidentId":"` can only be a member name followed by a string: a `"` inside
 *   a string is escaped, and a string that ended with `,` cannot be followed by `incidentId`.
 *   The reading starts at such a position, so its tokens are JSON's tokens.
 * - From there it consumes whole tokens only up to the payload's closing brace at the very end.
 *   What it consumed is therefore balanced, so it began at depth 1: these are top-level members
 *   of the payload, each named once, and no top-level member follows them. A member of the same
 *   name earlier in the text would lose to them in JSON.parse too (the last value wins).
 * - Each value read has no escape in it (or is compared as the exact text), so it is the parsed
 *   value; the checks are those of checkPayload (envelope.ts applies the rest).
 * Anything that does not follow the layout exactly (a checkpoint, an escape, a nested target, a
 * member the writer does not write in that order) reads as undefined, and the object takes the
 * full path.
 */

const ascii = (text: string): Buffer => Buffer.from(text, 'latin1');
const INCIDENT = ascii(',"incidentId":"');
const KIND = ascii('","kind":"');
const MODE = ascii('","mode":');
const PREV_HASH = ascii(',"prevHash":"');
const REASON = ascii(',"reason":');
const RECORD_ID = ascii('","recordId":"');
const SEQ = ascii('","schemaVersion":1,"seq":');
const TARGET = ascii(',"target":');
const TIME = ascii(',"time":"');
const TRIGGER = ascii('","trigger":');
const KINDS = ['intent', 'step', 'outcome', 'skip', 'error', 'escalation', 'redrive'].map(ascii);
/** `2026-01-01T00:00:00`: `0` stands for a digit. */
const TIME_SHAPE = ascii('0000-00-00T00:00:00');
const MAX_FRACTION_DIGITS = 9;

/** `[A-Za-z0-9._-]`. */
const ID_CHAR = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-') ID_CHAR[c.charCodeAt(0)] = 1;

/** STRING at `at`: just past its closing quote, or -1. A `\` before a line break ends no string (as `\\.` reads). */
const stringEnd = (b: Buffer, at: number, end: number): number => {
  if (at >= end || b[at] !== 0x22) return -1;
  for (let i = at + 1; i < end; i += 1) {
    const c = b[i];
    if (c === 0x22) return i + 1;
    if (c === 0x5c) {
      i += 1;
      if (i >= end || b[i] === 0x0a || b[i] === 0x0d) return -1;
    }
  }
  return -1;
};

/** FLAT at `at`: just past its closing brace, or -1. */
const flatEnd = (b: Buffer, at: number, end: number): number => {
  if (at >= end || b[at] !== 0x7b) return -1;
  let i = at + 1;
  if (i < end && b[i] === 0x7d) return i + 1;
  for (;;) {
    i = stringEnd(b, i, end);
    if (i < 0 || i >= end || b[i] !== 0x3a) return -1;
    i += 1;
    i = b[i] === 0x22 ? stringEnd(b, i, end) : numberEnd(b, i, end);
    if (i < 0 || i >= end) return -1;
    if (b[i] === 0x7d) return i + 1;
    if (b[i] !== 0x2c) return -1;
    i += 1;
  }
};

/** Plain text (no `"` or `\`) from `at` to its closing quote: the quote's index, or -1. */
const plainEnd = (b: Buffer, at: number, end: number): number => {
  for (let i = at; i < end; i += 1) {
    const c = b[i];
    if (c === 0x22) return i;
    if (c === 0x5c) return -1;
  }
  return -1;
};

/** The time's text from `at`: just past its `Z`, or -1. */
const timeEnd = (b: Buffer, at: number, end: number): number => {
  if (at + TIME_SHAPE.length >= end) return -1;
  for (let k = 0; k < TIME_SHAPE.length; k += 1) {
    const c = b[at + k];
    if (TIME_SHAPE[k] === 0x30 ? !isDigit(c) : c !== TIME_SHAPE[k]) return -1;
  }
  let i = at + TIME_SHAPE.length;
  if (b[i] === 0x2e) {
    const digits = i + 1;
    i = digits;
    while (i < end && i - digits < MAX_FRACTION_DIGITS && isDigit(b[i])) i += 1;
    if (i === digits) return -1;
  }
  return i < end && b[i] === 0x5a ? i + 1 : -1;
};

/** `b[at, end)` is a record kind. */
const isKind = (b: Buffer, at: number, end: number): boolean => {
  for (const kind of KINDS) if (end - at === kind.length && bytesAt(b, at, end, kind) === end) return true;
  return false;
};

/** `b[at, at + length)` equals `b[other, other + length)`. */
const sameBytes = (b: Buffer, at: number, other: number, length: number): boolean => {
  for (let k = 0; k < length; k += 1) if (b[at + k] !== b[other + k]) return false;
  return true;
};

/** `b[at, at + text.length)` is `text` (ASCII). */
const holdsText = (b: Buffer, at: number, text: string): boolean => {
  for (let k = 0; k < text.length; k += 1) if (b[at + k] !== text.charCodeAt(k)) return false;
  return true;
};

/** `b[at, end)` is the record id of the incident whose id is at `idAt` (`idLength` bytes) and `seq`: `ID/` and pad8(seq). */
const namesRecordAt = (b: Buffer, at: number, end: number, idAt: number, idLength: number, seq: number): boolean => {
  const start = at + idLength + 1;
  const digits = end - start;
  if (digits < 8 || (digits > 8 && b[start] === 0x30) || !sameBytes(b, at, idAt, idLength) || b[at + idLength] !== 0x2f) return false;
  let n = 0;
  for (let i = start; i < end; i += 1) {
    const c = b[i] as number;
    if (!isDigit(c)) return false;
    n = n * 10 + (c - 0x30);
  }
  return n === seq;
};

/**
 * The block's signer as the payload names it, `,"signer":{"keyFingerprint":…,"keyId":…}`, and the
 * keyId's literal: the last one made is kept (every record of one key asks for the same).
 */
let bySigner: { readonly keyFingerprint: string; readonly keyIdLiteral: string; readonly bytes: Buffer } | undefined;
const signerBytes = (block: SignatureBlock): Buffer => {
  const last = bySigner;
  if (last !== undefined && last.keyFingerprint === block.keyFingerprint && last.keyIdLiteral === block.keyIdLiteral) return last.bytes;
  const bytes = ascii(`,"signer":{"keyFingerprint":"${block.keyFingerprint}","keyId":${block.keyIdLiteral}}`);
  bySigner = { keyFingerprint: block.keyFingerprint, keyIdLiteral: block.keyIdLiteral, bytes };
  return bytes;
};

/** The record read before this one: usually its predecessor, whose hash and incident id this one repeats. */
export interface Predecessor {
  readonly hash: string;
  readonly chain: string;
}

/** What checkPayload returns for the same payload. */
export type SignedRecordFields = Extract<ParsedPayload, { readonly type: 'record' }>;

/**
 * How far before its signature block the last record read began: where the next one's likely
 * begins (records of one writer differ by a few bytes there).
 */
let lastTail = 0;
/** Bytes read before that guess. */
const SLACK = 64;

/**
 * The reading of the grammar above from `from` (at `,"incidentId":"`) to the block. `predecessor`:
 * when its hash or incident id is the same text as this one's, this one keeps that string, not a copy.
 */
const read = (b: Buffer, from: number, block: SignatureBlock, predecessor: Predecessor | undefined): SignedRecordFields | undefined => {
  const end = block.at;
  let i = bytesAt(b, from, end, INCIDENT);
  if (i < 0) return undefined;
  const idAt = i;
  while (i < end && ID_CHAR[b[i] as number] === 1) i += 1;
  const idLength = i - idAt;
  if (idLength === 0) return undefined;
  i = bytesAt(b, i, end, KIND);
  const kindEnd = i < 0 ? -1 : plainEnd(b, i, end);
  if (kindEnd < 0 || !isKind(b, i, kindEnd)) return undefined;
  i = bytesAt(b, kindEnd, end, MODE);
  i = i < 0 ? -1 : stringEnd(b, i, end);
  i = i < 0 ? -1 : bytesAt(b, i, end, PREV_HASH);
  if (i < 0) return undefined;
  const prevHashAt = i;
  // The predecessor's hash (hex) when it is the same text; else checked as checkPayload checks it.
  const held = predecessor !== undefined && predecessor.hash.length === 64 && holdsText(b, prevHashAt, predecessor.hash);
  if (!held) for (; i < prevHashAt + 64; i += 1) if (HEX_DIGIT[b[i] as number] !== 1) return undefined;
  i = prevHashAt + 64;
  if (i >= end || b[i] !== 0x22) return undefined;
  i += 1;
  if (bytesAt(b, i, end, REASON) >= 0) i = stringEnd(b, i + REASON.length, end);
  i = i < 0 ? -1 : bytesAt(b, i - 1, end, RECORD_ID);
  if (i < 0) return undefined;
  const recordIdAt = i;
  const recordIdEnd = plainEnd(b, i, end);
  i = recordIdEnd < 0 ? -1 : bytesAt(b, recordIdEnd, end, SEQ);
  if (i < 0) return undefined;
  const seqAt = i;
  let seq = 0;
  while (i < end && isDigit(b[i])) seq = seq * 10 + ((b[i++] as number) - 0x30);
  if (i === seqAt || (b[seqAt] === 0x30 && i > seqAt + 1) || !Number.isSafeInteger(seq)) return undefined;
  if (!namesRecordAt(b, recordIdAt, recordIdEnd, idAt, idLength, seq)) return undefined;
  // About 120 bytes: Buffer's compare costs a third of a loop over them.
  const signer = signerBytes(block);
  if (i + signer.length > end || signer.compare(b, i, i + signer.length) !== 0) return undefined;
  i += signer.length;
  if (bytesAt(b, i, end, TARGET) >= 0) i = flatEnd(b, i + TARGET.length, end);
  i = i < 0 ? -1 : bytesAt(b, i, end, TIME);
  if (i < 0) return undefined;
  const timeAt = i;
  const timeStop = timeEnd(b, i, end);
  i = timeStop < 0 ? -1 : bytesAt(b, timeStop, end, TRIGGER);
  i = i < 0 ? -1 : flatEnd(b, i, end);
  if (i < 0 || i + 1 !== end || b[i] !== 0x7d) return undefined;
  // Strings kept by the entry: the predecessor's when the text is the same, else copies of the bytes
  // (a substring of a larger text would keep all of it alive in the entry).
  const incidentId =
    predecessor !== undefined && predecessor.chain.length === idLength && holdsText(b, idAt, predecessor.chain)
      ? predecessor.chain
      : safeIncidentId(latin1(b, idAt, idAt + idLength));
  if (incidentId === undefined) return undefined;
  const prevHash = held ? predecessor.hash : latin1(b, prevHashAt, prevHashAt + 64);
  lastTail = end - from;
  return { type: 'record', seq, prevHash, time: latin1(b, timeAt, timeStop), keyId: block.keyId, keyFingerprint: block.keyFingerprint, incidentId };
};

/**
 * The reading from the first `,"incidentId":"` of `body` from `from` to the signature block, or
 * failing that from the last: the first is the writer's member unless `before`, `after` or
 * `detail` names one too.
 */
const firstOrLast = (body: Buffer, from: number, block: SignatureBlock, predecessor: Predecessor | undefined): SignedRecordFields | undefined => {
  let first = from;
  while (first < block.at && (body[first] !== 0x2c || bytesAt(body, first, block.at, INCIDENT) < 0)) first += 1;
  if (first >= block.at) return undefined;
  const found = read(body, first, block, predecessor);
  if (found !== undefined) return found;
  let last = block.at - INCIDENT.length;
  while (last > first && (body[last] !== 0x2c || bytesAt(body, last, block.at, INCIDENT) < 0)) last -= 1;
  return last > first ? read(body, last, block, predecessor) : undefined;
};

/** The member the reading starts at, as plain-json.ts finds members. */
export const INCIDENT_MEMBER = memberName('incidentId');

/**
 * The chain fields of a record payload (`body` from `start` to the signature block), if it has
 * the writer's record layout and names the block's signer (the caller keeps them only if the
 * signature verifies); else undefined (the caller parses it in full). `predecessor`: see read.
 *
 * Read first exactly where the last record's reading began, then from a few bytes before: any
 * `,"incidentId":"` in valid JSON is a member name, and a reading from one is the payload's
 * top-level member wherever the search began (the argument above), so a guess that misses it
 * only costs the reading of the whole payload after it.
 */
export const signedRecordFields = (body: Buffer, start: number, block: SignatureBlock, predecessor?: Predecessor): SignedRecordFields | undefined => {
  const guess = block.at - lastTail;
  const from = guess - SLACK;
  return (
    (lastTail > 0 && guess > start ? read(body, guess, block, predecessor) : undefined) ??
    (lastTail > 0 && from > start ? firstOrLast(body, from, block, predecessor) : undefined) ??
    firstOrLast(body, start, block, predecessor)
  );
};

/**
 * The same, from `at`, the comma before the last `"incidentId":` member of the payload's outermost
 * object (plain-json.ts finds it in valid JSON): a reading can only start there.
 */
export const signedRecordFieldsAt = (body: Buffer, at: number, block: SignatureBlock, predecessor?: Predecessor): SignedRecordFields | undefined =>
  read(body, at, block, predecessor);

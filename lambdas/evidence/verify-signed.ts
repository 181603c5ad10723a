import { memberName } from './plain-json';
import { latin1, type SignatureBlock } from './verify-block';

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
const SIGNED_RECORD = new RegExp(
  [
    String.raw`${INCIDENT}([A-Za-z0-9._-]{1,128})${KIND}(intent|step|outcome|skip|error|escalation|redrive)${MODE}(${STRING})`,
    String.raw`${PREV_HASH}[0-9a-f]{64}"`,
    `(?:,"reason":${STRING})?`,
    String.raw`,"recordId":"([^"\\]*)"`,
    String.raw`,"schemaVersion":1,"seq":(0|[1-9]\d{0,15})`,
    String.raw`,"signer":\{"keyFingerprint":"([0-9a-f]{64})","keyId":(${STRING})\}`,
    `(?:,"target":${FLAT_OBJECT})?`,
    String.raw`,"time":"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z`,
    `${TRIGGER}(${FLAT_OBJECT})\\}$`,
  ].join(''),
  'y',
);
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

/** The reading from `from` (at `,"incidentId":"`) of `text`, the payload's latin1 text, which starts at `start` in `body`. */
const match = (body: Buffer, start: number, text: string, from: number, block: SignatureBlock): SignedRecordFields | undefined => {
  SIGNED_RECORD.lastIndex = from;
  const m = SIGNED_RECORD.exec(text);
  if (m === null || m[6] !== block.keyFingerprint || m[7] !== block.keyIdLiteral) return undefined;
  const incidentId = m[1] ?? '';
  // prevHash and time copied out of the bytes: a substring of the text would keep all of it alive in the entry.
  const prevHashAt = start + from + INCIDENT.length + incidentId.length + KIND.length + (m[2]?.length ?? 0) + MODE.length + (m[3]?.length ?? 0) + PREV_HASH.length;
  const timeEnd = block.at - 1 - (m[9]?.length ?? 0) - TRIGGER.length;
  return {
    incidentId,
    seq: Number(m[5]),
    prevHash: latin1(body, prevHashAt, prevHashAt + 64),
    recordId: m[4] ?? '',
    time: latin1(body, timeEnd - TIME_CHARS - (m[8]?.length ?? 0), timeEnd),
  };
};

/**
 * The chain fields of a record payload (`body` from `start` to the signature block) whose
 * signature verified, if it has the writer's record layout and names the block's signer; else
 * undefined (the caller parses it in full).
 */
export const signedRecordFields = (body: Buffer, start: number, block: SignatureBlock): SignedRecordFields | undefined => {
  // Searched in the text the expression reads (measured: cheaper than Buffer.indexOf and a second copy).
  const text = latin1(body, start, block.at);
  // The first occurrence is the writer's member unless `before`, `after` or `detail` names one too: then the last.
  const first = text.indexOf(INCIDENT);
  if (first < 0) return undefined;
  const found = match(body, start, text, first, block);
  if (found !== undefined) return found;
  const last = text.lastIndexOf(INCIDENT);
  return last > first ? match(body, start, text, last, block) : undefined;
};

/**
 * The same, from `at`, the comma before the last `"incidentId":` member of the payload's outermost
 * object (plain-json.ts finds it in valid JSON): a match can only start there.
 */
export const signedRecordFieldsAt = (body: Buffer, at: number, block: SignatureBlock): SignedRecordFields | undefined => match(body, at, latin1(body, at, block.at), 0, block);

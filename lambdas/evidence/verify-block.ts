/**
 * The signature block of a stored evidence object, `,"signature":{"alg":…,"keyFingerprint":…,
 * "keyId":…,"value":…}}`, exactly as the writer produces it (envelope.ts states the stored-file
 * rule). Anything else is not the writer's bytes.
 */

type Latin1 = { latin1Slice?: (start: number, end: number) => string };
/** Bytes as latin1 text; Buffer's own decoder where Node has it, without toString's dispatch (a third of the cost of a short slice). */
export const latin1: (body: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as Latin1).latin1Slice === 'function'
    ? (body, start, end) => (body as unknown as Required<Latin1>).latin1Slice(start, end)
    : (body, start, end) => body.toString('latin1', start, end);

const PAYLOAD_PREFIX_LENGTH = '{"payload":'.length;
const SIGNATURE_MARK = Buffer.from(',"signature":{');
/** The writer's signature block and closing brace (latin1, so a non-ASCII keyId is rejected, as it must be escaped by no one). */
const CANONICAL_TAIL =
  /^,"signature":\{"alg":"ECDSA_SHA_256","keyFingerprint":"([0-9a-f]{64})","keyId":("(?:[\x20-\x21\x23-\x5b\x5d-\x7e]|\\["\\/bfnrtu])*"),"value":"([A-Za-z0-9+/]+={0,2})"\}\}$/;

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

/** Bytes that may stand in a base64 value: 1 + their 6-bit value. */
const BASE64 = new Uint8Array(256);
[...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].forEach((c, i) => (BASE64[c.charCodeAt(0)] = 1 + i));
const BLOCK_END_LENGTH = '"}}'.length;
/** base64 of a DER ECDSA P-256 signature (70-72 bytes) is always 96 characters. */
const SIGNATURE_CHARS = 96;

/** `<base64>"}}` from `start` to the end of `body`, exactly: where the value ends, else -1. */
const valueEnd = (body: Buffer, start: number): number => {
  const end = body.length - BLOCK_END_LENGTH;
  if (end <= start || body[end] !== 0x22 || body[end + 1] !== 0x7d || body[end + 2] !== 0x7d) return -1;
  let i = start;
  while (i < end && (BASE64[body[i] as number] as number) > 0) i += 1;
  if (i === start || end - i > 2) return -1;
  for (let k = i; k < end; k += 1) if (body[k] !== 0x3d) return -1;
  return end;
};

export interface SignatureBlock {
  /** Where `,"signature":{` starts (where the payload ends). */
  readonly at: number;
  readonly keyFingerprint: string;
  readonly keyId: string;
  /** The keyId as the JSON string literal stored (the payload's `signer.keyId` is the same text). */
  readonly keyIdLiteral: string;
  /** Where the base64 value stands in the object. */
  readonly valueAt: number;
  readonly valueEnd: number;
}

/**
 * The block's bytes up to the value, and what they say, as last read: every object a key signs
 * repeats them, so the common case is one comparison instead of a search and a regex. Anything
 * else takes the full path, which is the rule.
 */
let lastHead: { readonly bytes: Buffer; readonly keyFingerprint: string; readonly keyId: string; readonly keyIdLiteral: string } | undefined;

/** The signature block at the end of `body`, exactly as the writer produces it; else undefined. */
export const signatureBlock = (body: Buffer): SignatureBlock | undefined => {
  const head = lastHead;
  if (head) {
    const at = body.length - BLOCK_END_LENGTH - SIGNATURE_CHARS - head.bytes.length;
    if (at > PAYLOAD_PREFIX_LENGTH && head.bytes.compare(body, at, at + head.bytes.length) === 0) {
      // The head holds no `,"signature":{` after its start (the keyId literal escapes every quote), nor does base64: this is the last one.
      const valueAt = at + head.bytes.length;
      const end = valueEnd(body, valueAt);
      if (end >= 0) return { at, keyFingerprint: head.keyFingerprint, keyId: head.keyId, keyIdLiteral: head.keyIdLiteral, valueAt, valueEnd: end };
    }
  }
  const at = body.lastIndexOf(SIGNATURE_MARK);
  const tail = at > PAYLOAD_PREFIX_LENGTH ? CANONICAL_TAIL.exec(body.toString('latin1', at)) : null;
  const keyId = tail?.[2] === undefined ? undefined : jsonStringLiteral(tail[2]);
  if (tail?.[1] === undefined || tail[2] === undefined || tail[3] === undefined || keyId === undefined) return undefined;
  const end = body.length - BLOCK_END_LENGTH;
  const valueAt = end - tail[3].length;
  lastHead = { bytes: Buffer.from(body.subarray(at, valueAt)), keyFingerprint: tail[1], keyId, keyIdLiteral: tail[2] };
  return { at, keyFingerprint: tail[1], keyId, keyIdLiteral: tail[2], valueAt, valueEnd: end };
};

/**
 * Decodes the block's value into `into` from `at` if the value is the one canonical base64 text of
 * its bytes (as `Buffer.from(value, 'base64').toString('base64') === value`: whole quanta, no stray
 * bits in the last character; the block already checked its characters and padding) and they fit:
 * their length, else -1.
 */
export const decodeSignatureDer = (body: Buffer, block: SignatureBlock, into: Buffer, at: number): number => {
  const { valueAt, valueEnd: end } = block;
  const chars = end - valueAt;
  if (chars === 0 || chars % 4 !== 0 || (chars / 4) * 3 > into.length - at) return -1;
  const pad = body[end - 1] !== 0x3d ? 0 : body[end - 2] !== 0x3d ? 1 : 2;
  const six = (i: number): number => (BASE64[body[i] as number] as number) - 1;
  let o = at;
  // Whole quanta, 4 characters to 3 bytes.
  const whole = pad === 0 ? end : end - 4;
  for (let i = valueAt; i < whole; i += 4) {
    const v = (six(i) << 18) | (six(i + 1) << 12) | (six(i + 2) << 6) | six(i + 3);
    into[o] = v >> 16;
    into[o + 1] = (v >> 8) & 0xff;
    into[o + 2] = v & 0xff;
    o += 3;
  }
  if (pad === 2) {
    const b = six(whole + 1);
    if ((b & 0xf) !== 0) return -1;
    into[o] = (six(whole) << 2) | (b >> 4);
    o += 1;
  } else if (pad === 1) {
    const c = six(whole + 2);
    if ((c & 0x3) !== 0) return -1;
    const v = (six(whole) << 18) | (six(whole + 1) << 12) | (c << 6);
    into[o] = v >> 16;
    into[o + 1] = (v >> 8) & 0xff;
    o += 2;
  }
  return o - at;
};

/** Where DER bytes go when the caller gives no place (96 base64 characters: at most 72 bytes); reused by every call. */
const DER = Buffer.alloc(72);
/** Bytes of the DER of one signature block at most (longer values are decoded into a buffer of their own). */
const DER_BYTES = DER.length;

/**
 * The DER bytes of the block's value if it is their one canonical base64 text (decodeSignatureDer),
 * in a buffer the next call overwrites: use it at once.
 */
const signatureDer = (body: Buffer, block: SignatureBlock): Buffer | undefined => {
  const chars = block.valueEnd - block.valueAt;
  const into = (chars / 4) * 3 <= DER_BYTES ? DER : Buffer.alloc(Math.ceil(chars / 4) * 3);
  const length = decodeSignatureDer(body, block, into, 0);
  return length < 0 ? undefined : into.subarray(0, length);
};

/** DER signatures of one batch, DER_BYTES each, decoded before any is checked (grows to the largest batch). */
let derArena = Buffer.alloc(64 * DER_BYTES);
/**
 * The lengths of all but about 1 in 250 P-256 DER signatures (r and s of 32 or 33 bytes): a view
 * of a slot for each is made on its first use and kept with the arena (a view made per object cost
 * as much as the decoding), so views grow with the slots used, never ahead of them.
 */
const VIEW_LENGTHS = [70, 71, 72] as const;
let derViews: (Buffer | undefined)[] = [];
/** Room in the arena for `slots` signatures (derOf's slots 0 to slots - 1). */
export const arenaFor = (slots: number): void => {
  if (derArena.length >= slots * DER_BYTES) return;
  derArena = Buffer.alloc(slots * DER_BYTES);
  derViews = new Array<Buffer | undefined>(slots * VIEW_LENGTHS.length);
};

/** The block's DER signature, decoded into slot `slot` of derArena when it fits (else into a buffer of its own); undefined if not canonical base64. */
export const derOf = (body: Buffer, block: SignatureBlock, slot: number): Buffer | undefined => {
  const length = decodeSignatureDer(body, block, derArena, slot * DER_BYTES);
  if (length < 0) return signatureDer(body, block);
  const at = slot * DER_BYTES;
  if (length < 70) return derArena.subarray(at, at + length);
  const view = slot * VIEW_LENGTHS.length + length - 70;
  return (derViews[view] ??= derArena.subarray(at, at + length));
};

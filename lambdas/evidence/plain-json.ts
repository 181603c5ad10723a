/**
 * A byte-level check that a region of a buffer is JSON in the writer's plain form: RFC 8259
 * grammar with no whitespace between tokens, ASCII bytes only (no control character inside a
 * string), containers nested at most MAX_DEPTH deep. The writer's canonical JSON (RFC 8785) of a
 * record is of that form unless a string holds non-ASCII text.
 *
 * What it accepts is a subset of what JSON.parse accepts (its grammar is JSON's, restricted), so
 * `true` means JSON.parse of the same text succeeds; `false` says nothing (the caller parses in
 * full, which reports exactly). Chain mode uses it to read a record through verify-signed.ts
 * without JSON.parse: that reading is exact for any valid JSON (verify-signed.ts says why).
 */

/** Deeper text is left to JSON.parse (the writer's records nest a few levels). */
export const MAX_DEPTH = 64;

/** String bytes: 0 plain (0x20..0x7f but `"` and `\`), 1 quote, 2 backslash, 3 refused (control, non-ASCII). */
const IN_STRING = new Uint8Array(256).fill(3);
for (let c = 0x20; c < 0x80; c += 1) IN_STRING[c] = 0;
IN_STRING[0x22] = 1;
IN_STRING[0x5c] = 2;
/** Bytes after a backslash that make a one-character escape. */
const SHORT_ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') SHORT_ESCAPE[c.charCodeAt(0)] = 1;
const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;

/** The end of the string whose opening quote is at `at - 1` (just past its closing quote), or -1. */
const stringEnd = (b: Uint8Array, at: number, end: number): number => {
  let i = at;
  while (i < end) {
    const kind = IN_STRING[b[i] as number];
    if (kind === 0) i += 1;
    else if (kind === 1) return i + 1;
    else if (kind === 3) return -1;
    else if (i + 1 < end && SHORT_ESCAPE[b[i + 1] as number] === 1) i += 2;
    else if (i + 5 < end && b[i + 1] === 0x75 && HEX[b[i + 2] as number] === 1 && HEX[b[i + 3] as number] === 1 && HEX[b[i + 4] as number] === 1 && HEX[b[i + 5] as number] === 1) i += 6;
    else return -1;
  }
  return -1;
};

export const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;

/** The end of the number starting at `at` (`-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`), or -1. */
export const numberEnd = (b: Uint8Array, at: number, end: number): number => {
  let i = at;
  if (b[i] === 0x2d) i += 1;
  if (i >= end || !isDigit(b[i])) return -1;
  if (b[i] === 0x30) i += 1;
  else while (i < end && isDigit(b[i])) i += 1;
  if (i < end && b[i] === 0x2e) {
    i += 1;
    if (i >= end || !isDigit(b[i])) return -1;
    while (i < end && isDigit(b[i])) i += 1;
  }
  if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
    i += 1;
    if (i < end && (b[i] === 0x2b || b[i] === 0x2d)) i += 1;
    if (i >= end || !isDigit(b[i])) return -1;
    while (i < end && isDigit(b[i])) i += 1;
  }
  return i;
};

/** `b` holds `bytes` at `at`, entirely before `end`: where they end, else -1. */
export const bytesAt = (b: Uint8Array, at: number, end: number, bytes: Uint8Array): number => {
  if (at < 0 || at + bytes.length > end) return -1;
  for (let k = 0; k < bytes.length; k += 1) if (b[at + k] !== bytes[k]) return -1;
  return at + bytes.length;
};

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

const OBJECT = 1;
const ARRAY = 2;
/** Open containers, innermost last (one stack: the check never runs re-entrantly). */
const open = new Uint8Array(MAX_DEPTH);

/** The end of the value starting at `at` (a scalar, or `{` / `[` which the caller tracks), or -1. */
const scalarEnd = (b: Uint8Array, at: number, end: number): number => {
  const c = b[at];
  if (c === 0x22) return stringEnd(b, at + 1, end);
  if (c === 0x74) return bytesAt(b, at, end, TRUE);
  if (c === 0x66) return bytesAt(b, at, end, FALSE);
  if (c === 0x6e) return bytesAt(b, at, end, NULL);
  return numberEnd(b, at, end);
};

/** Member names are compared as bytes from their opening quote: `"name":`. */
export const memberName = (name: string): Uint8Array => Buffer.from(`"${name}":`, 'latin1');

/** Not JSON in the plain form (plainJsonMember). */
export const NOT_PLAIN = -2;

/**
 * Checks that `b[start, end)` is one JSON value in the plain form above, and finds where the
 * last member of the outermost object named `name` (memberName) stands, written exactly so (no
 * escape in its name) and after another member: the index of the comma before it. Returns
 * NOT_PLAIN if the text is not in the plain form, -1 if it is but has no such member.
 */
export const plainJsonMember = (b: Uint8Array, start: number, end: number, name: Uint8Array): number => {
  let i = start;
  let depth = 0;
  let found = -1;
  for (;;) {
    // A value at i.
    if (i >= end) return NOT_PLAIN;
    const c = b[i];
    if (c === 0x7b || c === 0x5b) {
      if (depth === MAX_DEPTH) return NOT_PLAIN;
      open[depth] = c === 0x7b ? OBJECT : ARRAY;
      depth += 1;
      i += 1;
      if (i < end && b[i] === (c === 0x7b ? 0x7d : 0x5d)) {
        depth -= 1; // empty container: a complete value
        i += 1;
      } else if (c === 0x5b) {
        continue; // its first element
      } else {
        // Its first member name.
        if (i >= end || b[i] !== 0x22) return NOT_PLAIN;
        i = stringEnd(b, i + 1, end);
        if (i < 0 || i >= end || b[i] !== 0x3a) return NOT_PLAIN;
        i += 1;
        continue;
      }
    } else {
      i = scalarEnd(b, i, end);
      if (i < 0) return NOT_PLAIN;
    }
    // After a complete value: close containers, or go on to the next element or member.
    for (;;) {
      if (depth === 0) return i === end ? found : NOT_PLAIN;
      if (i >= end) return NOT_PLAIN;
      const inside = open[depth - 1];
      const next = b[i];
      if ((next === 0x7d && inside === OBJECT) || (next === 0x5d && inside === ARRAY)) {
        depth -= 1;
        i += 1;
        continue;
      }
      if (next !== 0x2c) return NOT_PLAIN;
      i += 1;
      if (inside === OBJECT) {
        if (i >= end || b[i] !== 0x22) return NOT_PLAIN;
        if (depth === 1 && bytesAt(b, i, end, name) >= 0) found = i - 1;
        i = stringEnd(b, i + 1, end);
        if (i < 0 || i >= end || b[i] !== 0x3a) return NOT_PLAIN;
        i += 1;
      }
      break;
    }
  }
};

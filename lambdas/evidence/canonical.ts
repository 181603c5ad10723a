import { createHash, hash as oneShotHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** `prevHash` of the first record of every chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** A value was not representable as JSON (BigInt, circular, ...). */
export class InvalidEvidenceError extends Error {
  override readonly name = 'InvalidEvidenceError';
}

/** RFC 8785 (JCS) canonical text of a JSON value. */
export const canonicalJson = (value: unknown): string => {
  const text = canonicalize(value);
  if (text === undefined) throw new InvalidEvidenceError(`expected a JSON value, received ${typeof value}`);
  return text;
};

export const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();

/** One-shot `crypto.hash` (Node >= 20.12): half the cost of createHash for small inputs. */
export const sha256Hex = (data: Uint8Array | string): string => oneShotHash('sha256', data, 'hex');

/**
 * Plain JSON copy of anything a responder hands over (drops `undefined`, turns Dates into strings,
 * NaN into null), so canonicalisation never meets a value it cannot represent.
 */
export const toJsonValue = (value: unknown, what: string): unknown => {
  if (value === undefined) return undefined;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? undefined : (JSON.parse(text) as unknown);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidEvidenceError(`expected ${what} to be JSON-serialisable, received a value that is not (${reason})`);
  }
};

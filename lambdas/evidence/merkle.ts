import { createHash, hash } from 'node:crypto';

const LEAF = 0x00;
const NODE = 0x01;

/**
 * SHA-256 of `prefix` and `parts`, one-shot (measured: a third less than createHash with an
 * update per part; verification recomputes every checkpoint's root, one leaf per incident).
 */
const prefixedHash = (prefix: number, ...parts: readonly Uint8Array[]): Buffer => {
  let length = 1;
  for (const p of parts) length += p.length;
  const bytes = Buffer.allocUnsafe(length);
  bytes[0] = prefix;
  let at = 1;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return hash('sha256', bytes, 'buffer') as unknown as Buffer;
};

const leafHash = (data: Uint8Array): Buffer => prefixedHash(LEAF, data);
const nodeHash = (left: Buffer, right: Buffer): Buffer => prefixedHash(NODE, left, right);

/** Largest power of two strictly less than n (n >= 2). */
const splitPoint = (n: number): number => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};

const treeHash = (leaves: readonly Uint8Array[], from: number, to: number): Buffer => {
  const n = to - from;
  if (n === 1) return leafHash(leaves[from] ?? Buffer.alloc(0));
  const k = splitPoint(n);
  return nodeHash(treeHash(leaves, from, from + k), treeHash(leaves, from + k, to));
};

/** RFC 6962 Merkle Tree Hash; the empty tree hashes to SHA-256 of the empty string. */
export const merkleRoot = (leaves: readonly Uint8Array[]): Buffer =>
  leaves.length === 0 ? createHash('sha256').digest() : treeHash(leaves, 0, leaves.length);

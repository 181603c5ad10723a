import { createHash } from 'node:crypto';

const LEAF = Buffer.from([0x00]);
const NODE = Buffer.from([0x01]);

const leafHash = (data: Uint8Array): Buffer => createHash('sha256').update(LEAF).update(data).digest();
const nodeHash = (left: Buffer, right: Buffer): Buffer => createHash('sha256').update(NODE).update(left).update(right).digest();

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

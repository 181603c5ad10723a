import type { KeyObject } from 'node:crypto';

/**
 * What verification reports (lambdas/evidence/verify.ts produces it; `cordon verify`, the drill,
 * the verifying reader and the auditor's runbook read it): the problem codes and their meaning,
 * the options, and the report.
 */

export const PROBLEM_CODES = [
  /** Bytes changed: not a valid record any more, or its hash no longer matches what its successor or a checkpoint commits to. */
  'MODIFIED',
  /** Something referenced is absent: a checkpointed incident with no records, or a link to a hash no record has. */
  'MISSING',
  /** A hole in a chain's sequence below a present record. */
  'GAP',
  /** Two different records at one chain position, or two successors of one record, or a record differing from the checkpointed one. */
  'FORK',
  /** A record links to a record other than seq-1 (or seq 0 not to genesis), or its time runs backwards. */
  'REORDERED',
  /** A checkpoint says a chain reached seq N, but fewer records are present. */
  'TRUNCATED_TAIL',
  /** The signature does not verify over the (intact) payload. */
  'BAD_SIGNATURE',
  /** Signed by a key whose fingerprint is not among the supplied public keys. */
  'UNKNOWN_KEY',
  /** A copy of a record that is present at its own key, sitting at another key (another incident's folder, another seq). */
  'REPLAYED',
  /** A record or checkpoint at a key other than the one its payload names (renamed, swapped, rotated), with no copy at its own key. */
  'MOVED',
  /** S3 only: the object is not COMPLIANCE-locked, or retained for less than the minimum. */
  'WEAK_RETENTION',
  /** S3 only: a delete marker hides the object (the locked version is still verified). */
  'DELETE_MARKER',
  /** S3 only: the key has more than one version (an overwrite); the oldest, original one is verified. */
  'EXTRA_VERSION',
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

export interface Problem {
  readonly code: ProblemCode;
  readonly message: string;
  readonly key?: string;
  /** Incident id, or `#checkpoints`. */
  readonly chain?: string;
  readonly seq?: number;
}

export interface VerifyKey {
  readonly key: KeyObject;
  readonly fingerprint: string;
}

export interface VerifyOptions {
  /** Trusted public keys. Required when `signatures` is true. */
  readonly publicKeys: readonly VerifyKey[];
  /** Verify every signature (default). false = chain+checkpoint mode: hashes and links only. */
  readonly signatures?: boolean;
  readonly onProgress?: (objects: number) => void;
  /** @default 10000 */
  readonly progressEvery?: number;
  /** @default MAX_OBJECT_BYTES (4 MiB) */
  readonly maxObjectBytes?: number;
}

/** The newest checkpoint present and trusted: compare it with an outside anchor. */
export interface LatestCheckpoint {
  readonly seq: number;
  readonly time: string;
  readonly hash: string;
  readonly key: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly mode: 'signatures' | 'chain';
  readonly objects: number;
  readonly records: number;
  readonly checkpoints: number;
  readonly incidents: number;
  /** Objects outside `records/` and `checkpoints/` (e.g. `keys/`), not verified. */
  readonly ignored: number;
  /** Records no successor or checkpoint commits to yet: only their signature protects them. */
  readonly uncovered: number;
  /** Fingerprints (hex SHA-256 of the SPKI DER) of the keys verified against. */
  readonly keyFingerprints: readonly string[];
  readonly latestCheckpoint?: LatestCheckpoint;
  /** Anchored checkpoints compared (`addAnchor`); absent when no anchor was given. */
  readonly anchored?: { readonly checkpoints: number; readonly latestSeq?: number };
  readonly problems: readonly Problem[];
  readonly counts: Partial<Record<ProblemCode, number>>;
  readonly elapsedMs: number;
  readonly perSecond: number;
}

/** Where read objects go: a `Verifier`, its anchor side, or a pool of worker threads. */
export interface ObjectSink {
  add(key: string, body: Buffer): void;
  /** An object that cannot be read as evidence (not a regular file, too large, ...). */
  reject(key: string, why: string): void;
  report(problem: Problem): void;
}

import { canonicalJson } from './canonical';
import type { Appended, EvidenceChain, EvidenceLogger } from './chain';
import type { ChainHeads, NextHead } from './heads';
import { merkleRoot } from './merkle';
import {
  CHECKPOINT_CHAIN,
  CONTROLS,
  INCIDENT_ID_PATTERN,
  SCHEMA_VERSION,
  checkpointKey,
  pad8,
  type CheckpointHead,
  type CheckpointPayload,
} from './schema';
import { spkiPem, type Signer } from './signer';
import type { EvidenceStore } from './store';

export const CHECKPOINT_INTERVAL_MS = 5 * 60_000;
/**
 * Heads are covered once their `updatedAt` is this old, so a write still in flight when a
 * checkpoint scans (clock skew, SDK retries) lands in the next window instead of none.
 */
export const CHECKPOINT_SETTLE_MS = 60_000;

/** Merkle leaf of one head: its RFC 8785 canonical JSON. */
export const headLeaf = (head: CheckpointHead): Buffer =>
  Buffer.from(
    // canonicalJson's text, written directly for the usual types (its members sorted, each value as JSON.stringify writes it).
    typeof head.hash === 'string' && typeof head.incidentId === 'string' && Number.isFinite(head.seq)
      ? `{"hash":${JSON.stringify(head.hash)},"incidentId":${JSON.stringify(head.incidentId)},"seq":${JSON.stringify(head.seq)}}`
      : canonicalJson({ hash: head.hash, incidentId: head.incidentId, seq: head.seq }),
  );

export const headsRoot = (heads: readonly CheckpointHead[]): string => merkleRoot(heads.map(headLeaf)).toString('hex');

/**
 * Where the previous checkpoint's window ended: read from its payload kept in the head item, or,
 * if that was too large to keep, its time minus settle minus 5 s (windows may then overlap a
 * little, which only repeats heads; they never leave a hole).
 */
const previousWindowEnd = (previous: NextHead, settleMs: number): number => {
  if (previous.payload !== undefined) {
    const to = (JSON.parse(previous.payload) as { window?: { to?: unknown } }).window?.to;
    if (typeof to === 'string' && !Number.isNaN(Date.parse(to))) return Date.parse(to);
  }
  return Date.parse(previous.time) - settleMs - 5_000;
};

export interface CheckpointDeps {
  readonly chain: EvidenceChain;
  readonly heads: ChainHeads;
  readonly clock?: () => Date;
  readonly logger?: EvidenceLogger;
  /** @default CHECKPOINT_SETTLE_MS */
  readonly settleMs?: number;
}

export interface CheckpointResult extends Appended {
  readonly heads: number;
  readonly merkleRoot: string;
}

/**
 * Writes the next checkpoint (`checkpoints/{seq:08}.json`), chained to the previous one, covering
 * every incident head that advanced in (previous window end, now - settle]. Written for empty
 * windows too, so a silent interval is itself evidenced.
 */
export const writeCheckpoint = async (deps: CheckpointDeps): Promise<CheckpointResult> => {
  const clock = deps.clock ?? (() => new Date());
  const settleMs = deps.settleMs ?? CHECKPOINT_SETTLE_MS;
  const previous = await deps.heads.read(CHECKPOINT_CHAIN);
  const fromMs = previous ? previousWindowEnd(previous, settleMs) : 0;
  const toMs = Math.max(fromMs, clock().getTime() - settleMs);
  const changed = await deps.heads.changedBetween(fromMs, toMs);
  const heads: CheckpointHead[] = changed
    .filter((h) => INCIDENT_ID_PATTERN.test(h.chainId))
    .map((h) => ({ incidentId: h.chainId, seq: h.seq, hash: h.hash }))
    .sort((a, b) => (a.incidentId < b.incidentId ? -1 : a.incidentId > b.incidentId ? 1 : 0));
  const root = headsRoot(heads);
  const window = { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() };
  const appended = await deps.chain.appendLink(CHECKPOINT_CHAIN, checkpointKey, (at): CheckpointPayload => {
    return {
      schemaVersion: SCHEMA_VERSION,
      kind: 'checkpoint',
      checkpointId: `checkpoints/${pad8(at.seq)}`,
      seq: at.seq,
      prevHash: at.prevHash,
      time: at.time,
      window,
      heads,
      merkleRoot: root,
      controls: [...CONTROLS],
      signer: at.signer,
    };
  });
  deps.logger?.debug('checkpoint written', { key: appended.key, heads: heads.length, window });
  return { ...appended, heads: heads.length, merkleRoot: root };
};

/** Publishes the signer's public key as `keys/{fingerprint}.pem` and `.der` (SPKI); idempotent. */
export const publishPublicKey = async (signer: Signer, store: EvidenceStore): Promise<{ fingerprint: string; keys: string[] }> => {
  const identity = await signer.identity();
  const der = `keys/${identity.keyFingerprint}.der`;
  const pem = `keys/${identity.keyFingerprint}.pem`;
  await Promise.all([
    store.put(der, identity.publicKeyDer, 'application/pkix-spki'),
    store.put(pem, Buffer.from(spkiPem(identity.publicKeyDer)), 'application/x-pem-file'),
  ]);
  return { fingerprint: identity.keyFingerprint, keys: [der, pem] };
};

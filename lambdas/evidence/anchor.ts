import type { Appended } from './chain';
import type { EvidenceInput, EvidenceWriter } from './types';
import type { EvidenceStore } from './store';

/**
 * The anchor: a copy of each checkpoint written where an administrator of the security account
 * cannot rewrite it (an Object Lock COMPLIANCE bucket in the organization's log-archive account,
 * put-only for the checkpoint writer; a folder outside the evidence folder in the drill).
 * `cordon verify --anchor` compares the copies with the evidence, so deleting the newest
 * checkpoints and records is reported as TRUNCATED_TAIL instead of going unseen.
 *
 * The copy is the checkpoint object itself (same key, same signed bytes): it commits to every
 * chain head the checkpoint covers. Anchoring never blocks the checkpoint: it runs after the
 * checkpoint is stored, and a failure is evidenced (a record in the day's `anchor-YYYY-MM-DD`
 * chain) and logged as `anchor: "failed"`, which alarms. A checkpoint whose copy failed is still
 * covered by the next one's copy, which chains to it.
 */

export interface AnchorTarget {
  readonly store: EvidenceStore;
  /** Where the copies go, as a person reads it: `s3://bucket` or a folder path. */
  readonly location: string;
  /** The account holding the anchor (absent for a folder). */
  readonly account?: string;
  readonly region?: string;
}

export type AnchorStatus = 'stored' | 'exists' | 'failed';

export interface AnchorResult {
  readonly status: AnchorStatus;
  readonly key: string;
  /** Why it failed: the anchor write, or the intent record that must precede it. */
  readonly error?: string;
  /** The intent and outcome records were both written. */
  readonly evidenced: boolean;
}

export interface AnchorDeps {
  readonly anchor: AnchorTarget;
  readonly evidence: EvidenceWriter;
  readonly actor: EvidenceInput['actor'];
  readonly clock?: () => Date;
}

/** The chain of the day's anchor records; an incident id by pattern, never a finding's. */
export const anchorIncidentId = (at: Date): string => `anchor-${at.toISOString().slice(0, 10)}`;

const reasonOf = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/**
 * Writes the copy of `checkpoint` to the anchor: an intent record first (no write without one),
 * the put, then its outcome as a step record (`stored`, `exists`: the key was taken already, e.g.
 * by a retried invocation) or an error record. Never throws.
 */
export const anchorCheckpoint = async (checkpoint: Appended, deps: AnchorDeps): Promise<AnchorResult> => {
  const { anchor } = deps;
  const incidentId = anchorIncidentId((deps.clock ?? (() => new Date()))());
  const base = {
    mode: 'enforce' as const,
    trigger: { source: 'cordon.checkpoint', eventId: checkpoint.key },
    target: {
      type: 'anchor-object',
      id: `${anchor.location.replace(/\/+$/, '')}/${checkpoint.key}`,
      ...(anchor.account ? { account: anchor.account } : {}),
      ...(anchor.region ? { region: anchor.region } : {}),
    },
    action: 'anchor:PutCheckpointCopy',
    actor: deps.actor,
  };
  const copy = { key: checkpoint.key, seq: checkpoint.seq, hash: checkpoint.hash };
  try {
    await deps.evidence.append(incidentId, { ...base, kind: 'intent', reason: `copy checkpoint ${checkpoint.seq} outside the security account`, after: copy });
  } catch (error) {
    return { status: 'failed', key: checkpoint.key, error: `intent record not written, copy not attempted: ${reasonOf(error)}`, evidenced: false };
  }
  let status: AnchorStatus;
  let error: string | undefined;
  try {
    status = (await anchor.store.put(checkpoint.key, checkpoint.body)) === 'created' ? 'stored' : 'exists';
  } catch (caught) {
    status = 'failed';
    error = reasonOf(caught);
  }
  const outcome: EvidenceInput =
    status === 'failed'
      ? { ...base, kind: 'error', reason: `checkpoint ${checkpoint.seq} not copied to the anchor`, before: copy, detail: { error: error ?? '' } }
      : {
          ...base,
          kind: 'step',
          reason: status === 'stored' ? `checkpoint ${checkpoint.seq} copied to the anchor` : `the anchor already holds ${checkpoint.key} (write-once: not replaced)`,
          after: { ...copy, outcome: status },
        };
  try {
    await deps.evidence.append(incidentId, outcome);
  } catch (caught) {
    const unrecorded = `outcome record not written: ${reasonOf(caught)}`;
    return { status: status === 'failed' ? 'failed' : status, key: checkpoint.key, error: error ? `${error}; ${unrecorded}` : unrecorded, evidenced: false };
  }
  return { status, key: checkpoint.key, ...(error ? { error } : {}), evidenced: true };
};

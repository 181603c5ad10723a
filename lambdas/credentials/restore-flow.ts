import type { RestoreRequest } from '../findings/credentials';
import { EvidenceIntegrityError, type EvidenceRecordView } from '../evidence/reader';
import { settle, type Settled } from '../pipeline/recorder';
import type { Responder } from '../pipeline/types';
import { errorMessage } from '../shared/errors';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { ExecuteOutcome } from './execute';
import { carry, clientsFor, credentialWords, executePlan, finishWith, frameOf, noticeOf, resultOf, stopWith, verdict, type CredentialPlan, type IamFor, type RespondDeps, type RespondResult } from './flow';
import { holdKey } from './ledger';
import { planRestore, restoreCandidates, type RestoreCandidates } from './restore';
import type { Hold, Plan } from './types';
import { CREDENTIALS_RESPONDER } from './revoke';

/**
 * Restore an incident from its evidence, on the pipeline: read through the verifying reader
 * (pinned signing key, chain links; a record it cannot verify makes the restore refuse and
 * escalate) and ask the ledger who else holds each key or quarantine, while the kill switch is
 * read; then undo only what no other open incident depends on. The session deny always stays. What
 * is left, and why, is in the intent and outcome records, and each refusal is an `escalate:key-held`
 * record naming the incident.
 */

interface RestoreObserved {
  readonly iam: IamFor;
  readonly records: Settled<readonly EvidenceRecordView[]>;
  readonly candidates?: RestoreCandidates;
  /** Who holds each candidate (read only when there is something to restore). */
  readonly holders?: Settled<Map<string, readonly string[]>>;
}

interface RestoringPlan extends CredentialPlan {
  /** Holds this incident gives up once the restore succeeded. */
  readonly releases: readonly Hold[];
}

const observeRestore = async (req: RestoreRequest, deps: RespondDeps, iam: IamFor): Promise<RestoreObserved> => {
  const records = await settle(deps.reader.read(req.incidentId));
  if (!records.ok) return { iam, records };
  const candidates = restoreCandidates(records.value, deps.config.partition);
  if (candidates.revokedSteps === 0) return { iam, records, candidates };
  const holders = await settle(Promise.all(candidates.holds.map(async (h) => [holdKey(h), await deps.ledger.holders(h)] as const)).then((entries) => new Map(entries)));
  return { iam, records, candidates, holders };
};

export const restoreResponder = (deps: RespondDeps, logger: Logger): Responder<RestoreRequest, RestoreObserved, RestoringPlan, ExecuteOutcome, RespondResult> => ({
  name: CREDENTIALS_RESPONDER,
  frame: (req) => frameOf(req, deps),
  observe: (req, rec) => observeRestore(req, deps, clientsFor(deps, rec, req.region)),
  plan: (req, o) => {
    const base = { requestReason: req.reason, ...(req.ticket ? { ticket: req.ticket } : {}) };
    if (!o.records.ok) {
      // A record that fails verification (forged, swapped, foreign key) must not steer a restore.
      const unverified = o.records.error instanceof EvidenceIntegrityError ? o.records.error : undefined;
      const reason = unverified
        ? `refusing to restore ${req.incidentId}: ${unverified.message}`
        : `cannot read the evidence of ${req.incidentId}, nothing restored: ${errorMessage(o.records.error)}`;
      return stopWith('escalate', { kind: 'escalation', action: unverified ? 'escalate:evidence-unverified' : 'escalate:evidence-unreadable', reason, detail: base });
    }
    const candidates = o.candidates;
    if (!candidates || !o.holders) {
      return stopWith('skip', { kind: 'skip', action: 'skip:credentials:restore', reason: `incident ${req.incidentId} has no successful revocation step to undo`, detail: base });
    }
    if (!o.holders.ok) return { decision: 'escalate', records: [], retry: o.holders.error };
    const r = planRestore(candidates, o.holders.value, req.incidentId, deps.config.partition);
    const notes = r.left.map((l) => `${l.what} left in place: ${l.why}`);
    const p: Plan = { decision: r.steps.length > 0 ? 'act' : 'escalate', steps: r.steps, escalations: [], notes, holds: [] };
    return carry({ action: 'credentials:restore', plan: p, extra: { ...base, leftInPlace: r.left as unknown as Record<string, unknown>[] }, releases: r.releases }, [
      ...r.notRestorable.map((reason) => ({ action: 'escalate:not-restorable', reason })),
      ...r.held.map((reason) => ({ action: 'escalate:key-held', reason })),
    ]);
  },
  execute: (c, rec) => executePlan(deps, logger, c, rec),
  describe: credentialWords(() => 'credentials:restore'),
  settled: async (d, req) => {
    if (d.mode !== 'enforce' || !d.plan || (d.executed && verdict(d.executed).incomplete)) return;
    // This incident no longer depends on anything it held (what others hold stays held by them).
    // And a person judged these restored: the next automatic finding on them escalates (revoke.ts).
    await Promise.all([...d.plan.releases.map((h) => deps.ledger.releaseHold(h, req.incidentId)), deps.ledger.markRestored(d.plan.releases, req.incidentId)]);
  },
  summarise: resultOf,
  notice: noticeOf,
  finish: finishWith(logger),
});

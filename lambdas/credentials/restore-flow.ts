import type { Logger } from '@aws-lambda-powertools/logger';
import type { Actor, TargetRef } from '../evidence/types';
import type { RestoreRequest } from '../findings/credentials';
import { EvidenceIntegrityError } from '../evidence/reader';
import { errorMessage } from '../shared/errors';
import { carryOut, clientsFor, gate, readMode, Recorder, type Flow, type RespondDeps, type RespondResult } from './flow';
import { holdKey } from './ledger';
import { planRestore, restoreCandidates } from './restore';
import type { Plan } from './types';

/**
 * Restore an incident from its evidence: read through the verifying reader (pinned signing key,
 * chain links; a record it cannot verify makes the restore refuse and escalate), find
 * what succeeded, ask the ledger who else holds each key or quarantine, then undo only what no
 * other open incident depends on. The session deny always stays. What is left, and why, is in the
 * intent and outcome records, and each refusal is an `escalate:key-held` record naming the incident.
 */
export const restoreIncident = async (req: RestoreRequest, deps: RespondDeps, logger: Logger): Promise<RespondResult> => {
  const actor: Actor = { ...deps.actor, requestedBy: req.requestedBy };
  const target: TargetRef = { type: 'incident', id: req.incidentId };
  const rec = new Recorder(deps.evidence, req.incidentId);
  const flow: Flow = { rec, trigger: req.trigger, actor, target, deps, logger };
  const [mode, records] = await Promise.all([
    readMode(deps.guardrails),
    deps.reader.read(req.incidentId).then(
      (r) => ({ ok: true as const, records: r }),
      (error: unknown) => ({ ok: false as const, error }),
    ),
  ]);
  const gated = await gate(flow, mode, 'credentials:restore');
  if (typeof gated !== 'string') return gated;
  const base = { requestReason: req.reason, ...(req.ticket ? { ticket: req.ticket } : {}) };
  if (!records.ok) {
    // A record that fails verification (forged, swapped, foreign key) must not steer a restore.
    const unverified = records.error instanceof EvidenceIntegrityError ? records.error : undefined;
    const reason = unverified
      ? `refusing to restore ${req.incidentId}: ${unverified.message}`
      : `cannot read the evidence of ${req.incidentId}, nothing restored: ${errorMessage(records.error)}`;
    const action = unverified ? 'escalate:evidence-unverified' : 'escalate:evidence-unreadable';
    await rec.append({ kind: 'escalation', mode: gated, trigger: req.trigger, target, action, reason, actor, detail: base });
    return { decision: 'escalate', reason, incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys };
  }
  const candidates = restoreCandidates(records.records, deps.config.partition);
  if (candidates.revokedSteps === 0) {
    const reason = `incident ${req.incidentId} has no successful revocation step to undo`;
    await rec.append({ kind: 'skip', mode: gated, trigger: req.trigger, target, action: 'skip:credentials:restore', reason, actor, detail: base });
    return { decision: 'skip', reason, incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys };
  }
  const holders = new Map(await Promise.all(candidates.holds.map(async (h) => [holdKey(h), await deps.ledger.holders(h)] as const)));
  const r = planRestore(candidates, holders, req.incidentId, deps.config.partition);
  const notes = r.left.map((l) => `${l.what} left in place: ${l.why}`);
  const p: Plan = { decision: r.steps.length > 0 ? 'act' : 'escalate', steps: r.steps, escalations: [], notes, holds: [] };
  const left = { leftInPlace: r.left as unknown as Record<string, unknown>[] };
  const result = await carryOut(flow, gated, p, 'credentials:restore', { ...base, ...left }, clientsFor(deps, rec, req.region), [
    ...r.notRestorable.map((reason) => ({ action: 'escalate:not-restorable', reason })),
    ...r.held.map((reason) => ({ action: 'escalate:key-held', reason })),
  ]);
  if (gated === 'enforce' && !result.incomplete) {
    // This incident no longer depends on anything it held (what others hold stays held by them).
    // And a person judged these restored: the next automatic finding on them escalates (respond.ts).
    await Promise.all([...r.releases.map((h) => deps.ledger.releaseHold(h, req.incidentId)), deps.ledger.markRestored(r.releases, req.incidentId)]);
  }
  return result;
};

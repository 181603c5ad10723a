import type { Logger } from '@aws-lambda-powertools/logger';
import type { Actor, TargetRef } from '../evidence/types';
import type { PatternRequest } from '../findings/credentials';
import { errorMessage } from '../shared/errors';
import { carryOut, clientsFor, gate, planDetail, planned, readMode, Recorder, type Flow, type RespondDeps, type RespondResult } from './flow';
import { Limiter, limitedIam, limitedSessions } from './limit';
import { observeUser } from './observe';
import { findMatches, matchTargets, patternDigest } from './patterns';
import { plan as makePlan } from './plan';
import type { ObservedState } from './types';

/** IAM calls in flight for one pattern request, unless configured. */
export const DEFAULT_PATTERN_CONCURRENCY = 10;

/**
 * Manual revocation by pattern: preview (digest), then confirm. Every IAM call and every session
 * write of the request goes through one limiter (`patternConcurrency`, default 10 in flight), and
 * the clients retry throttling adaptively. Quarantine applies only when the request asks for it,
 * whatever the responder's QUARANTINE_USER says about single findings.
 */
export const revokePattern = async (req: PatternRequest, input: RespondDeps & { readonly patternConcurrency?: number }, logger: Logger): Promise<RespondResult> => {
  const limiter = new Limiter(input.patternConcurrency ?? DEFAULT_PATTERN_CONCURRENCY);
  const deps: RespondDeps = {
    ...input,
    iamFor: (access) => limitedIam(input.iamFor(access), limiter),
    sessions: limitedSessions(input.sessions, limiter),
    config: { ...input.config, quarantineUser: req.quarantineUser },
  };
  const actor: Actor = { ...deps.actor, requestedBy: req.requestedBy };
  const target: TargetRef = { type: 'iam-access-key-pattern', id: JSON.stringify(req.pattern), account: req.account };
  const rec = new Recorder(deps.evidence, req.incidentId);
  const flow: Flow = { rec, trigger: req.trigger, actor, target, deps, logger };
  const base = { pattern: req.pattern, requestReason: req.reason, quarantineUser: req.quarantineUser, concurrency: limiter.limit, ...(req.ticket ? { ticket: req.ticket } : {}) };
  if (!req.preview && !req.confirm) {
    const reason = 'pattern revocations are previewed first: send preview:true, then the same request with confirm:<digest>';
    await rec.append({ kind: 'skip', mode: 'dry-run', trigger: req.trigger, target, action: 'refuse:no-preview', reason, actor, detail: base });
    return { decision: 'refused', reason, incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys };
  }
  const clients = clientsFor(deps, rec, req.region);
  const [mode, found] = await Promise.all([
    readMode(deps.guardrails),
    clients(req.account)
      .then(async (iam) => {
        const matches = await findMatches(iam, req.pattern, deps.clock());
        const targets = matchTargets(req.account, matches);
        const byUser = new Map<string, Promise<ObservedState>>();
        const states = await Promise.all(
          targets.map((t) => {
            const user = t.userName ?? '';
            let s = byUser.get(user);
            if (!s) {
              s = observeUser(iam, user);
              byUser.set(user, s);
            }
            return s;
          }),
        );
        return { ok: true as const, matches, targets, states };
      })
      .catch((error: unknown) => ({ ok: false as const, error })),
  ]);
  const gated = await gate(flow, mode, req.preview ? 'credentials:preview' : 'credentials:revoke-pattern');
  if (typeof gated !== 'string') return gated;
  if (!found.ok) {
    const reason = `cannot list the keys matching the pattern: ${errorMessage(found.error)}`;
    await rec.append({ kind: 'escalation', mode: gated, trigger: req.trigger, target, action: 'escalate:pattern-unreadable', reason, actor, detail: base });
    return { decision: 'escalate', reason, incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys };
  }
  const p = makePlan(found.targets, found.states, deps.config, { incidentId: req.incidentId, region: req.region });
  const digest = patternDigest(found.matches, p);
  const detail = { ...base, digest, matches: found.matches as unknown as Record<string, unknown>[], ...planDetail(p) };
  if (req.preview) {
    const reason = `${found.matches.length} active key(s) match; ${p.steps.length} step(s) planned; confirm with digest ${digest}`;
    await rec.append({ kind: 'outcome', mode: gated, trigger: req.trigger, target, action: 'credentials:preview', reason, actor, detail });
    return { decision: 'preview', reason, incidentId: rec.incidentId, steps: planned(p.steps), evidenceKeys: rec.keys, digest, matches: found.matches };
  }
  if (req.confirm !== digest) {
    const reason = `the matching set changed since the preview (digest ${req.confirm ?? '(none)'}, now ${digest}): preview again`;
    await rec.append({ kind: 'skip', mode: gated, trigger: req.trigger, target, action: 'refuse:digest-mismatch', reason, actor, detail });
    return { decision: 'refused', reason, incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys, digest, matches: found.matches };
  }
  const result = await carryOut(flow, gated, p, 'credentials:revoke-pattern', { ...base, digest, matches: found.matches }, clients);
  logger.info('pattern revocation done', { peakInFlight: limiter.peak, limit: limiter.limit });
  return { ...result, digest };
};

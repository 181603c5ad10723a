import type { Logger } from '@aws-lambda-powertools/logger';
import type { CredentialTarget, PatternRequest } from '../findings/credentials';
import { Recorder } from '../pipeline/recorder';
import type { Responder } from '../pipeline/types';
import { errorMessage } from '../shared/errors';
import type { ExecuteOutcome } from './execute';
import { carry, clientsFor, credentialWords, executePlan, finishWith, frameOf, noticeOf, planDetail, resultOf, stopWith, type CredentialPlan, type IamFor, type RespondDeps, type RespondResult } from './flow';
import { Limiter, limitedIam, limitedSessions } from './limit';
import { observeUser } from './observe';
import { findMatches, matchTargets, patternDigest, type KeyMatch } from './patterns';
import { plan as makePlan } from './plan';
import { CREDENTIALS_RESPONDER } from './revoke';
import type { ObservedState } from './types';

/** IAM calls in flight for one pattern request, unless configured. */
export const DEFAULT_PATTERN_CONCURRENCY = 10;

/**
 * Manual revocation by pattern, on the pipeline: preview (digest), then confirm. Every IAM call and
 * every session write of the request goes through one limiter (`patternConcurrency`, default 10 in
 * flight), and the clients retry throttling adaptively. Quarantine applies only when the request
 * asks for it, whatever the responder's QUARANTINE_USER says about single findings.
 */

type Found = { ok: true; matches: KeyMatch[]; targets: CredentialTarget[]; states: ObservedState[] } | { ok: false; error: unknown };

interface PatternObserved {
  readonly iam: IamFor;
  readonly found: Found;
}

/** The keys matching the pattern, and their users as observed (each user once). */
const findKeys = async (req: PatternRequest, deps: RespondDeps, iam: IamFor): Promise<PatternObserved> => {
  const found = await iam(req.account)
    .then(async (client): Promise<Found> => {
      const matches = await findMatches(client, req.pattern, deps.clock());
      const targets = matchTargets(req.account, matches);
      const byUser = new Map<string, Promise<ObservedState>>();
      const states = await Promise.all(
        targets.map((t) => {
          const user = t.userName ?? '';
          let s = byUser.get(user);
          if (!s) {
            s = observeUser(client, user);
            byUser.set(user, s);
          }
          return s;
        }),
      );
      return { ok: true, matches, targets, states };
    })
    .catch((error: unknown): Found => ({ ok: false, error }));
  return { iam, found };
};

const baseOf = (req: PatternRequest, limit: number) => ({ pattern: req.pattern, requestReason: req.reason, quarantineUser: req.quarantineUser, concurrency: limit, ...(req.ticket ? { ticket: req.ticket } : {}) });

const patternResponder = (deps: RespondDeps, limiter: Limiter, logger: Logger): Responder<PatternRequest, PatternObserved, CredentialPlan, ExecuteOutcome, RespondResult> => ({
  name: CREDENTIALS_RESPONDER,
  frame: (req) => frameOf(req, deps),
  observe: (req, rec) => findKeys(req, deps, clientsFor(deps, rec, req.region)),
  plan: (req, { found }) => {
    const base = baseOf(req, limiter.limit);
    if (!found.ok) {
      return stopWith('escalate', { kind: 'escalation', action: 'escalate:pattern-unreadable', reason: `cannot list the keys matching the pattern: ${errorMessage(found.error)}`, detail: base });
    }
    const p = makePlan(found.targets, found.states, deps.config, { incidentId: req.incidentId, region: req.region });
    const digest = patternDigest(found.matches, p);
    const cp: CredentialPlan = { action: 'credentials:revoke-pattern', plan: p, extra: { ...base, digest, matches: found.matches }, digest, matches: found.matches };
    const detail = { ...base, digest, matches: found.matches as unknown as Record<string, unknown>[], ...planDetail(p) };
    if (req.preview) {
      const reason = `${found.matches.length} active key(s) match; ${p.steps.length} step(s) planned; confirm with digest ${digest}`;
      return stopWith('preview', { kind: 'outcome', action: 'credentials:preview', reason, detail }, cp);
    }
    if (req.confirm !== digest) {
      const reason = `the matching set changed since the preview (digest ${req.confirm ?? '(none)'}, now ${digest}): preview again`;
      return stopWith('refused', { kind: 'skip', action: 'refuse:digest-mismatch', reason, detail }, cp);
    }
    return carry(cp);
  },
  execute: (c, rec) => executePlan(deps, logger, c, rec),
  describe: credentialWords((req) => (req.preview ? 'credentials:preview' : 'credentials:revoke-pattern')),
  settled: async (d) => {
    if (d.plan && d.decision !== 'preview' && d.decision !== 'refused') logger.info('pattern revocation done', { peakInFlight: limiter.peak, limit: limiter.limit });
  },
  summarise: resultOf,
  notice: noticeOf,
  finish: finishWith(logger),
});

/**
 * A pattern request: refused (evidenced, not announced) unless it is a preview or a confirmation,
 * else the pattern responder with the request's limiter on its IAM calls and session writes.
 */
export const patternRequest = (
  req: PatternRequest,
  input: RespondDeps & { readonly patternConcurrency?: number },
  logger: Logger,
): { refuse: () => Promise<RespondResult> } | { responder: Responder<PatternRequest, PatternObserved, CredentialPlan, ExecuteOutcome, RespondResult> } => {
  const limiter = new Limiter(input.patternConcurrency ?? DEFAULT_PATTERN_CONCURRENCY);
  if (!req.preview && !req.confirm) {
    return {
      refuse: async () => {
        const rec = new Recorder(input.evidence, frameOf(req, input));
        const reason = 'pattern revocations are previewed first: send preview:true, then the same request with confirm:<digest>';
        await rec.append('dry-run', { kind: 'skip', action: 'refuse:no-preview', reason, detail: baseOf(req, limiter.limit) });
        return { decision: 'refused', reason, incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys };
      },
    };
  }
  const deps: RespondDeps = {
    ...input,
    iamFor: (access) => limitedIam(input.iamFor(access), limiter),
    sessions: limitedSessions(input.sessions, limiter),
    config: { ...input.config, quarantineUser: req.quarantineUser },
  };
  return { responder: patternResponder(deps, limiter, logger) };
};

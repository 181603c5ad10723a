import { Logger } from '@aws-lambda-powertools/logger';
import { parseCredentialEvent } from '../findings/credentials';
import { Recorder } from '../pipeline/recorder';
import { pipelineEnv, readMode, respondTo } from '../pipeline/run';
import type { RespondDeps, RespondResult } from './flow';
import { patternRequest } from './pattern-flow';
import { restoreResponder } from './restore-flow';
import { revokeResponder } from './revoke';

export type { Decision, RespondDeps, RespondResult, StepSummary } from './flow';
export { CREDENTIALS_RESPONDER } from './revoke';

/**
 * The revoke-credentials function's domain entry: parse the event into one request, then the
 * request through the pipeline (lambdas/pipeline/run.ts) with the revoke, pattern or restore
 * responder. Throws on transient AWS failures before acting, on a failed containment step after
 * evidencing and notifying it (retry), and on evidence outages. An event that is not a credential
 * event is evidenced as a skip, not announced.
 */

const defaultLogger = new Logger({ serviceName: 'cordon-credentials' });

export const respond = async (event: unknown, deps: RespondDeps & { readonly patternConcurrency?: number }): Promise<RespondResult> => {
  // The kill switch is read once per invocation (in parallel with parsing and observing): the
  // decision, its records and its notification see the same value. Responders read it only here.
  const mode = readMode(deps.guardrails.mode);
  const logger = deps.logger ?? defaultLogger;
  const req = parseCredentialEvent(event, {
    homeAccount: deps.homeAccount,
    homeRegion: deps.homeRegion,
    ...(deps.actor.requestId ? { requestId: deps.actor.requestId } : {}),
  });
  logger.appendKeys({ incidentId: req.incidentId });
  if (req.kind === 'skip') {
    const rec = new Recorder(deps.evidence, { incidentId: req.incidentId, trigger: req.trigger, ...(req.target ? { target: req.target } : {}), actor: deps.actor });
    const read = await mode;
    await rec.append(read.ok ? read.mode : 'off', { kind: 'skip', action: 'skip:unsupported', reason: req.reason });
    logger.info('skipped', { reason: req.reason });
    return { decision: 'skip', reason: req.reason, incidentId: req.incidentId, steps: [], evidenceKeys: rec.keys };
  }
  const env = pipelineEnv(deps, event, mode, logger);
  switch (req.kind) {
    case 'revoke':
      return respondTo(revokeResponder(deps, logger), req, env);
    case 'restore':
      return respondTo(restoreResponder(deps, logger), req, env);
    case 'pattern': {
      const pattern = patternRequest(req, deps, logger);
      return 'refuse' in pattern ? pattern.refuse() : respondTo(pattern.responder, req, env);
    }
  }
};

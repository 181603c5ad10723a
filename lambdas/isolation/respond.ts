import { parseEc2Event, type Ec2Skip, type Ec2Target, type ParseContext } from '../findings/ec2';
import { Recorder } from '../pipeline/recorder';
import { pipelineEnv, readMode, respondTo } from '../pipeline/run';
import type { ModeRead } from '../pipeline/types';
import type { RespondDeps, RespondLogger, ResponseDecision, ResponseSummary } from './access';
import { resolveFindingRequest } from './finding-request';
import { isolateResponder } from './isolate';
import { releaseResponder } from './release-flow';

export { ISOLATION_RESPONDER, isTransient, type RespondDeps, type RespondLogger, type ResponseDecision, type ResponseSummary } from './access';

/**
 * The isolate-instance function's domain entry: parse the event into targets (a manual request
 * naming a finding is resolved with GetFindings first), then each target through the pipeline
 * (lambdas/pipeline/run.ts) with the isolation or the release responder, in parallel. An event
 * that names no instance is evidenced as a skip, not announced: it is not an incident.
 */

const silent: RespondLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

const DECISION_RANK: Record<ResponseDecision, number> = { skip: 0, 'dry-run': 1, act: 2, escalate: 3 };

export const respond = async (event: unknown, deps: RespondDeps, context: ParseContext = {}): Promise<ResponseSummary> => {
  const logger = deps.logger ?? silent;
  const mode = readMode(() => deps.guardrails.mode());
  const parsed = parseEc2Event(event, context);

  const resolved = await Promise.all(parsed.findingRequests.map((r) => resolveFindingRequest(r, deps)));
  const targets: Ec2Target[] = [...parsed.targets];
  const skips: Ec2Skip[] = [...parsed.skips];
  for (const r of resolved) {
    if ('target' in r) targets.push(r.target);
    else skips.push(r.skip);
  }

  const env = pipelineEnv(deps, event, mode, logger);
  // Each responder is made only if a target needs it (most events are one isolation).
  let isolate: ReturnType<typeof isolateResponder> | undefined;
  let release: ReturnType<typeof releaseResponder> | undefined;
  const results = await Promise.all([
    ...skips.map((skip) => recordParseSkip(skip, mode, deps, logger)),
    ...targets.map((target) =>
      target.kind === 'manual' && target.action === 'release'
        ? respondTo((release ??= releaseResponder(deps)), target, env)
        : respondTo((isolate ??= isolateResponder(deps)), target, env),
    ),
  ]);
  if (results.length === 1 && results[0]) return results[0];
  const top = results.reduce((a, b) => (DECISION_RANK[b.decision] > DECISION_RANK[a.decision] ? b : a));
  return {
    decision: top.decision,
    ...(top.reason ? { reason: top.reason } : {}),
    incidentId: top.incidentId,
    steps: results.flatMap((r) => r.steps),
    evidenceKeys: results.flatMap((r) => r.evidenceKeys),
    results,
  };
};

/** Not an EC2 event, malformed, or a named finding not found: evidenced (in every mode), not announced. */
const recordParseSkip = async (skip: Ec2Skip, modeP: Promise<ModeRead>, deps: RespondDeps, log: RespondLogger): Promise<ResponseSummary> => {
  const mode = await modeP;
  const rec = new Recorder(deps.evidence, { incidentId: skip.incidentId, trigger: skip.trigger, target: { type: 'ec2-instance', id: skip.instanceId ?? 'unknown' }, actor: deps.actor });
  log.info('event skipped', { incidentId: skip.incidentId, reason: skip.reason, detail: skip.message });
  await rec.append(mode.ok ? mode.mode : 'off', {
    kind: 'skip',
    action: `skip:${skip.reason}`,
    reason: skip.message,
    ...(mode.ok ? {} : { detail: { modeUnreadable: mode.error } }),
  });
  return { decision: 'skip', reason: skip.reason, incidentId: skip.incidentId, steps: [], evidenceKeys: rec.keys };
};

import { incidentIdFor } from '../findings/incident';
import type { Actor, EvidenceWriter, ManualCaller, Mode } from '../evidence/types';
import { errorMessage } from '../shared/errors';
import { isFunctionUrlEvent, isManualRequest, urlRequestOf, urlResponse, type UrlResponse } from './url';

/**
 * The front door of both responders (lambdas/handlers/isolate-instance.ts, revoke-credentials.ts),
 * before the guardrails: it tells a manual request that came through the function URL (the caller
 * AWS authenticated) from one invoked directly (automation: no authenticated caller) and from an
 * automatic event, and refuses the requests that need a person AWS authenticated — `force`,
 * `release`, `restore`, pattern revocation — when they arrive without one. Every refusal is
 * evidenced (`skip:unauthenticated`, or `skip:invalid-url-request` for a URL request that carries
 * no manual request) before it is answered; nothing else is done for it.
 */

type Obj = Record<string, unknown>;

/** What a privileged request is called in the refusal ('force', 'release', ...); undefined when any caller may send it. */
export type Privileged = (payload: Obj) => string | undefined;

/** Isolation: `release`, and `isolate` with `force`. */
export const isolationPrivileged: Privileged = (p) => (p.action === 'release' ? 'release' : p.force === true ? 'force' : undefined);

/** Credentials: `restore`, a pattern revocation (preview or confirm), and `revoke` with `force`. */
export const credentialsPrivileged: Privileged = (p) =>
  p.action === 'restore' ? 'restore' : 'pattern' in p ? 'pattern revocation' : p.force === true ? 'force' : undefined;

/** The refusal's sentence: what was refused, why, and how to send it instead. */
export const unauthenticatedReason = (what: string): string =>
  `rejects ${what} without an authenticated caller: a direct invocation carries no caller AWS authenticated; ` +
  'send it through the manual request url (auth type AWS_IAM), which `cordon` signs with SigV4';

export interface ManualEntryDeps<R> {
  readonly privileged: Privileged;
  readonly evidence: EvidenceWriter;
  /** The kill switch, recorded as the refusal record's mode (a refusal is written in every mode). */
  readonly mode: () => Promise<Mode>;
  readonly context: { readonly invokedFunctionArn: string; readonly awsRequestId: string };
  readonly logger: { warn(message: string, extra: Record<string, unknown>): void };
  /** The responder, guarded: `caller` is set for manual requests and undefined for automatic events. */
  readonly run: (event: unknown, caller: ManualCaller | undefined) => Promise<R>;
}

/** The answer to a refused request: the responders' result shape, nothing done. */
export interface Refused {
  readonly decision: 'skip';
  readonly reason: string;
  readonly incidentId: string;
  readonly steps: readonly never[];
  readonly evidenceKeys: readonly string[];
}

const INCIDENT = /^inc-[0-9a-f]{24}$/;

/** A refusal of a request that names its incident (restore, release) is kept in that incident's chain. */
const refusalIncident = (payload: unknown, requestId: string): string => {
  const named = typeof payload === 'object' && payload !== null ? (payload as Obj).incidentId : undefined;
  return typeof named === 'string' && INCIDENT.test(named) ? named : incidentIdFor('manual', 'refused', requestId);
};

const refuse = async <R>(
  deps: ManualEntryDeps<R>,
  input: { action: string; reason: string; payload: unknown; caller: ManualCaller },
): Promise<Refused> => {
  const { context } = deps;
  let modeNote: string | undefined;
  const mode = await deps.mode().catch((error: unknown): Mode => {
    modeNote = `kill switch unreadable: ${errorMessage(error)}`;
    return 'off';
  });
  const payload = input.payload as Obj | undefined;
  const requestedBy = typeof payload?.requestedBy === 'string' && payload.requestedBy !== '' ? payload.requestedBy : undefined;
  const actor: Actor = { arn: context.invokedFunctionArn, requestId: context.awsRequestId, ...(requestedBy ? { requestedBy } : {}), caller: input.caller };
  const incidentId = refusalIncident(payload, context.awsRequestId);
  deps.logger.warn('manual request refused', { action: input.action, reason: input.reason, caller: input.caller, incidentId });
  const stored = await deps.evidence.append(incidentId, {
    kind: 'skip',
    mode,
    trigger: { source: 'manual', eventId: context.awsRequestId },
    action: input.action,
    reason: input.reason,
    actor,
    detail: { request: (input.payload ?? null) as never, ...(modeNote ? { mode: modeNote } : {}) },
  });
  return { decision: 'skip', reason: input.reason, incidentId, steps: [], evidenceKeys: [stored.key] };
};

/**
 * Runs one invocation: a function URL request is answered as HTTP (200 with the responder's
 * result, or the refusal's status with its result); a direct manual request runs with caller
 * `direct-invoke` unless it is privileged; any other event runs as it came, without a caller.
 */
export const manualEntry = async <R>(event: unknown, deps: ManualEntryDeps<R>): Promise<R | Refused | UrlResponse> => {
  if (isFunctionUrlEvent(event)) {
    const request = urlRequestOf(event);
    if (!request.ok) {
      const refused = await refuse(deps, {
        action: 'skip:invalid-url-request',
        reason: request.message,
        payload: request.payload,
        caller: request.caller ?? { via: 'direct-invoke' },
      });
      return urlResponse(request.status, refused);
    }
    return urlResponse(200, await deps.run(request.payload, request.caller));
  }
  if (!isManualRequest(event)) return deps.run(event, undefined);
  const caller: ManualCaller = { via: 'direct-invoke' };
  const what = deps.privileged(event);
  if (what) return refuse(deps, { action: 'skip:unauthenticated', reason: unauthenticatedReason(what), payload: event, caller });
  return deps.run(event, caller);
};

import { AttachUserPolicyCommand, DeleteLoginProfileCommand, DetachUserPolicyCommand, type IAMClient, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Actor, EvidenceInput, EvidenceWriter, Mode, Trigger } from '../evidence/types';
import { errorMessage } from '../shared/errors';
import type { CredentialLedger, PrincipalRef } from './ledger';
import { isNoSuchEntity } from './observe';
import { actionOf, mergeRevocation, revokeSessionsDocument, stepTarget, type SessionDenyState } from './policies';
import type { SessionWriter } from './sessions';
import type { Hold, Step } from './types';

/**
 * Execute: the mutating calls of a plan, with injected clients, in two rounds.
 * 1. Keys, quarantine and console passwords, all in parallel (Promise.allSettled): a failure never
 *    stops the rest. The key is inactive at the end of this round.
 * 2. Then, and only then, the session cut-off is taken (clock + margin: sessions minted while the
 *    key was being deactivated are cut too) and each principal's ONE session policy is written by
 *    the session revoker, with the union of every cut-off and instance recorded for it (ledger),
 *    so a later incident never moves a cut-off backwards and concurrent incidents never drop each
 *    other's. The holds (what this incident depends on) are recorded in the same round.
 * Each outcome is evidenced as a `step` record as soon as it is known. A failed step is logged with
 * `stepsFailed: 1` (the ContainmentStepFailed alarm's metric filter, lib/constructs/alarms.ts) and makes the response retryable (respond.ts).
 */

export interface StepResult {
  readonly step: Step;
  readonly status: 'succeeded' | 'failed';
  readonly requestId?: string;
  readonly error?: string;
  readonly note?: string;
  /** Key of the step's evidence record (absent if that append failed; the outcome record still lists it). */
  readonly evidenceKey?: string;
}

export interface ExecuteDeps {
  /** IAM client for the step's account (cross-account via the member role). */
  readonly iamFor: (account: string) => Promise<IAMClient>;
  readonly sessions: SessionWriter;
  readonly ledger: CredentialLedger;
  readonly clock: () => Date;
  readonly cutoffMarginSeconds: number;
  readonly evidence: EvidenceWriter;
  readonly incidentId: string;
  readonly mode: Mode;
  readonly trigger: Trigger;
  readonly actor: Actor;
  readonly logger?: Logger;
}

/** What round 2 decided, for the outcome record. */
export interface CutoffRecord {
  /** When round 1 returned: the keys were inactive (or their deactivation had failed). */
  readonly containedAt: string;
  readonly marginSeconds: number;
  /** This incident's cut-off: containedAt + margin. */
  readonly cutoff: string;
}

export interface ExecuteOutcome {
  readonly results: StepResult[];
  readonly cutoff?: CutoffRecord;
  readonly holds: { readonly recorded: readonly Hold[]; readonly error?: string };
}

type Sent = { requestId?: string; note?: string; before?: unknown; after?: unknown };

const requestIdOf = (out: { $metadata?: { requestId?: string } } | undefined): { requestId?: string } =>
  out?.$metadata?.requestId ? { requestId: out.$metadata.requestId } : {};

const send = async (iam: IAMClient, step: Exclude<Step, { kind: 'revoke-sessions' }>): Promise<Sent> => {
  switch (step.kind) {
    case 'deactivate-key':
    case 'activate-key': {
      const [from, to] = step.kind === 'deactivate-key' ? (['Active', 'Inactive'] as const) : (['Inactive', 'Active'] as const);
      const out = await iam.send(new UpdateAccessKeyCommand({ UserName: step.userName, AccessKeyId: step.accessKeyId, Status: to }));
      return { ...requestIdOf(out), before: { accessKeyId: step.accessKeyId, status: from }, after: { accessKeyId: step.accessKeyId, status: to } };
    }
    case 'attach-quarantine':
      return {
        ...requestIdOf(await iam.send(new AttachUserPolicyCommand({ UserName: step.userName, PolicyArn: step.policyArn }))),
        after: { attachedPolicyArn: step.policyArn },
      };
    case 'detach-quarantine':
      try {
        return {
          ...requestIdOf(await iam.send(new DetachUserPolicyCommand({ UserName: step.userName, PolicyArn: step.policyArn }))),
          before: { attachedPolicyArn: step.policyArn },
          after: { attachedPolicyArn: null },
        };
      } catch (error) {
        if (isNoSuchEntity(error)) return { note: `policy ${step.policyArn} was already detached from user ${step.userName}` };
        throw error;
      }
    case 'delete-login-profile':
      // The fact that a console password existed is evidence; the password itself is gone for good.
      return {
        ...requestIdOf(await iam.send(new DeleteLoginProfileCommand({ UserName: step.userName }))),
        before: { loginProfile: { exists: true, ...step.loginProfile } },
        after: { loginProfile: { exists: false } },
      };
  }
};

const record = async (deps: ExecuteDeps, result: StepResult, sent: Sent, detail: Record<string, unknown> = {}): Promise<StepResult> => {
  if (result.status === 'failed') {
    deps.logger?.error('credential containment step failed', { stepsFailed: 1, step: result.step.id, action: actionOf(result.step), error: result.error });
  }
  try {
    // One object, fields added only when present (the record is canonicalized: key order is free).
    const stepDetail: Record<string, unknown> = { step: result.step, status: result.status, ...detail };
    if (result.error) stepDetail.error = result.error;
    if (result.note) stepDetail.note = result.note;
    const input: { -readonly [K in keyof EvidenceInput]: EvidenceInput[K] } = {
      kind: 'step',
      mode: deps.mode,
      trigger: deps.trigger,
      target: stepTarget(result.step),
      action: actionOf(result.step),
      actor: deps.actor,
      detail: stepDetail,
    };
    if (sent.before !== undefined) input.before = sent.before;
    if (result.status === 'succeeded' && sent.after !== undefined) input.after = sent.after;
    if (result.requestId) input.awsRequestIds = [result.requestId];
    if (result.error) input.reason = result.error;
    else if (result.note) input.reason = result.note;
    const stored = await deps.evidence.append(deps.incidentId, input);
    return { ...result, evidenceKey: stored.key };
  } catch (error) {
    deps.logger?.error('step evidence append failed', { step: result.step.id, error: errorMessage(error) });
    return result;
  }
};

const runOne = async (step: Exclude<Step, { kind: 'revoke-sessions' }>, deps: ExecuteDeps): Promise<StepResult> => {
  let result: StepResult;
  let sent: Sent = {};
  try {
    sent = await send(await deps.iamFor(step.account), step);
    result = { step, status: 'succeeded', ...(sent.requestId ? { requestId: sent.requestId } : {}), ...(sent.note ? { note: sent.note } : {}) };
  } catch (error) {
    result = { step, status: 'failed', error: errorMessage(error) };
  }
  return record(deps, result, sent);
};

type SessionStep = Extract<Step, { kind: 'revoke-sessions' }>;

/** How many times a writer that raced a newer contribution writes the union again. */
const MAX_REWRITES = 3;

/** One principal's session policy: merge in the ledger, write, and write again while a newer union exists. */
const revokeSessions = async (steps: readonly SessionStep[], cutoff: string, deps: ExecuteDeps): Promise<StepResult[]> => {
  const first = steps[0] as SessionStep;
  const principal: PrincipalRef = { account: first.account, principalType: first.principalType, principalName: first.principalName };
  const mine: SessionDenyState = {
    ...(steps.some((s) => s.scope === 'principal') ? { cutoff } : {}),
    instanceArns: steps.flatMap((s) => (s.scope === 'instance' && s.instanceArn ? [s.instanceArn] : [])),
    ...(steps.some((s) => s.scope === 'instance') ? { instanceCutoff: cutoff } : {}),
  };
  const existing: SessionDenyState = first.existing ?? { instanceArns: [] };
  let sent: Sent = { before: first.existing ? { policy: 'cordon-revoke-sessions', document: revokeSessionsDocument(existing) } : { policy: 'cordon-revoke-sessions', present: false } };
  let result: Omit<StepResult, 'step'>;
  const written: { version: number; executionArn?: string }[] = [];
  try {
    let target = await deps.ledger.mergeRevocation(principal, mergeRevocation(existing, mine));
    for (let i = 0; ; i += 1) {
      const out = await deps.sessions.write({ ...principal, ...(target.state.cutoff ? { cutoff: target.state.cutoff } : {}), ...(target.state.instanceArns.length > 0 ? { instanceArns: target.state.instanceArns, instanceCutoff: target.state.instanceCutoff } : {}) });
      written.push({ version: target.version, ...(out.executionArn ? { executionArn: out.executionArn } : {}) });
      sent = { ...sent, ...(out.requestId ? { requestId: out.requestId } : {}), after: { policy: out.policyName, document: out.document } };
      const now = await deps.ledger.revocation(principal);
      if (now.version <= target.version) break;
      if (i + 1 >= MAX_REWRITES) throw new Error(`the session policy of ${principal.principalType} ${principal.principalName} kept changing under concurrent incidents (version ${now.version} after ${MAX_REWRITES} writes)`);
      target = now; // a concurrent incident merged after us: write the newer union
    }
    result = { status: 'succeeded', ...(sent.requestId ? { requestId: sent.requestId } : {}) };
  } catch (error) {
    result = { status: 'failed', error: errorMessage(error) };
  }
  const detail = { cutoff: { thisIncident: cutoff, rule: 'taken after the containment round returned (keys inactive), plus the margin' }, contribution: mine, writes: written };
  return Promise.all(steps.map((step) => record(deps, { step, ...result }, sent, detail)));
};

/** Runs every step; never rejects. */
export const execute = async (steps: readonly Step[], holds: readonly Hold[], deps: ExecuteDeps): Promise<ExecuteOutcome> => {
  const first = steps.filter((s): s is Exclude<Step, SessionStep> => s.kind !== 'revoke-sessions');
  const settled = await Promise.allSettled(first.map((s) => runOne(s, deps)));
  const round1 = settled.map((r, i) => (r.status === 'fulfilled' ? r.value : { step: first[i] as Step, status: 'failed' as const, error: errorMessage(r.reason) }));
  const sessionSteps = steps.filter((s): s is SessionStep => s.kind === 'revoke-sessions');
  // Holds of what actually stayed in place: a key whose deactivation failed is not held.
  const failed = new Set(round1.filter((r) => r.status === 'failed').map((r) => JSON.stringify([r.step.kind, r.step.account, 'accessKeyId' in r.step ? r.step.accessKeyId : '', 'userName' in r.step ? r.step.userName : ''])));
  const kept = failed.size === 0 ? holds : holds.filter((h) => !failed.has(JSON.stringify(h.kind === 'key' ? ['deactivate-key', h.account, h.accessKeyId ?? '', h.userName] : ['attach-quarantine', h.account, '', h.userName])));
  const holdsDone = kept.length === 0 ? Promise.resolve(undefined) : deps.ledger.addHolds(kept, deps.incidentId).then(() => undefined, (error: unknown) => errorMessage(error));
  if (sessionSteps.length === 0) {
    const error = await holdsDone;
    return { results: round1, holds: { recorded: error ? [] : kept, ...(error ? { error } : {}) } };
  }
  const containedAt = deps.clock();
  const cutoff: CutoffRecord = {
    containedAt: containedAt.toISOString(),
    marginSeconds: deps.cutoffMarginSeconds,
    cutoff: new Date(containedAt.getTime() + deps.cutoffMarginSeconds * 1000).toISOString(),
  };
  const byPrincipal = new Map<string, SessionStep[]>();
  for (const s of sessionSteps) {
    const key = JSON.stringify([s.account, s.principalType, s.principalName]);
    byPrincipal.set(key, [...(byPrincipal.get(key) ?? []), s]);
  }
  const [round2, holdError] = await Promise.all([Promise.all([...byPrincipal.values()].map((group) => revokeSessions(group, cutoff.cutoff, deps))), holdsDone]);
  const order = new Map(steps.map((s, i) => [s.id, i]));
  const results = [...round1, ...round2.flat()].sort((a, b) => (order.get(a.step.id) ?? 0) - (order.get(b.step.id) ?? 0));
  return { results, cutoff, holds: { recorded: holdError ? [] : kept, ...(holdError ? { error: holdError } : {}) } };
};

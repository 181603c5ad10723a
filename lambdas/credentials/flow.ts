import type { IAMClient } from '@aws-sdk/client-iam';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Actor, EvidenceInput, EvidenceWriter, Mode, TargetRef, Trigger } from '../evidence/types';
import { targetRefOf } from '../findings/credentials';
import type { Guardrails } from '../guardrails/types';
import type { Notifier } from '../notify/notifier';
import type { AccountAccess } from '../shared/assume';
import { errorMessage } from '../shared/errors';
import type { EvidenceReader } from '../evidence/reader';
import { execute, type ExecuteOutcome, type StepResult } from './execute';
import type { CredentialLedger } from './ledger';
import type { KeyMatch } from './patterns';
import { actionOf, stepTarget } from './policies';
import type { SessionWriter } from './sessions';
import type { CredentialsConfig, Plan, Step } from './types';

/** The pieces every credential flow (revoke, pattern, restore) shares: records, mode gate, execution. */

export interface RespondDeps {
  readonly evidence: EvidenceWriter;
  readonly reader: EvidenceReader;
  readonly guardrails: Guardrails;
  readonly config: CredentialsConfig;
  /** Read after the containment round: the session cut-off (plus the configured margin). */
  readonly clock: () => Date;
  readonly homeAccount: string;
  readonly homeRegion: string;
  /** Credentials per target account for one incident (`accountAccess(options, incidentId)`). */
  readonly access: (incidentId: string) => (account: string, region: string) => Promise<AccountAccess>;
  /** IAM client for an account access (the module-scope client at home, a new one elsewhere). */
  readonly iamFor: (access: AccountAccess) => IAMClient;
  /** Writes the session deny (the session revoker state machine). */
  readonly sessions: SessionWriter;
  /** Cut-offs per principal and holds per key, across incidents. */
  readonly ledger: CredentialLedger;
  /** The function (ARN + request id). */
  readonly actor: Actor;
  readonly logger?: Logger;
  /** Told of every decision (one message per incident), after its evidence. A failed
   * notification is evidenced as an `error` record and never fails the response. @default none */
  readonly notifier?: Notifier;
}

export type Decision = 'act' | 'skip' | 'escalate' | 'dry-run' | 'preview' | 'refused';

export interface StepSummary {
  readonly id: string;
  readonly action: string;
  readonly target: TargetRef;
  readonly status: 'planned' | 'succeeded' | 'failed';
  readonly requestId?: string;
  readonly error?: string;
  readonly note?: string;
}

export interface RespondResult {
  readonly decision: Decision;
  readonly reason?: string;
  readonly incidentId: string;
  readonly steps: readonly StepSummary[];
  readonly evidenceKeys: readonly string[];
  readonly digest?: string;
  readonly matches?: readonly KeyMatch[];
  /** Set when a containment step (or the record of a hold) failed: the response is retried. */
  readonly incomplete?: string;
}

/** Appends and remembers record keys, in order of completion. */
export class Recorder {
  readonly keys: string[] = [];
  /** Member role assumed per account, so every record about a target there names it. */
  private readonly assumed = new Map<string, string>();
  /** The event's region, named on every record about an account (IAM itself is global). */
  private region?: string;
  constructor(
    private readonly evidence: EvidenceWriter,
    readonly incidentId: string,
  ) {}
  noteAccess(access: AccountAccess): void {
    this.region ??= access.region;
    if (access.assumedRoleArn) this.assumed.set(access.account, access.assumedRoleArn);
  }
  /** Adds the target's region and the assumed member role (when one was) to a record. */
  enrich(input: EvidenceInput): EvidenceInput {
    const account = input.target?.account;
    if (!input.target || !account) return input;
    const role = this.assumed.get(account);
    return {
      ...input,
      target: { ...input.target, ...(input.target.region || !this.region ? {} : { region: this.region }) },
      ...(role && !input.actor.assumedRoleArn ? { actor: { ...input.actor, assumedRoleArn: role } } : {}),
    };
  }
  async append(input: EvidenceInput): Promise<string> {
    const stored = await this.evidence.append(this.incidentId, this.enrich(input));
    this.keys.push(stored.key);
    return stored.key;
  }
}

export const planned = (steps: readonly Step[]): StepSummary[] =>
  steps.map((s) => ({ id: s.id, action: actionOf(s), target: stepTarget(s), status: 'planned' }));

export const summarise = (results: readonly StepResult[]): StepSummary[] =>
  results.map((r) => ({
    id: r.step.id,
    action: actionOf(r.step),
    target: stepTarget(r.step),
    status: r.status,
    ...(r.requestId ? { requestId: r.requestId } : {}),
    ...(r.error ? { error: r.error } : {}),
    ...(r.note ? { note: r.note } : {}),
  }));

export const planDetail = (p: Plan): Record<string, unknown> =>
  ({
    steps: p.steps,
    escalations: p.escalations.map((e) => ({ code: e.code, target: targetRefOf(e.target), reason: e.reason })),
    notes: p.notes,
    holds: p.holds,
    ...(p.steps.some((s) => s.kind === 'revoke-sessions') ? { cutoff: 'taken after the keys are inactive, plus the configured margin (see the outcome record)' } : {}),
  }) as unknown as Record<string, unknown>;

/** Per-invocation IAM clients by account (IAM is global: one client per account). */
export const clientsFor = (deps: RespondDeps, rec: Recorder, region: string) => {
  const resolve = deps.access(rec.incidentId);
  const cache = new Map<string, Promise<IAMClient>>();
  return (account: string): Promise<IAMClient> => {
    let hit = cache.get(account);
    if (!hit) {
      hit = resolve(account, region).then((a) => {
        rec.noteAccess(a);
        return deps.iamFor(a);
      });
      cache.set(account, hit);
    }
    return hit;
  };
};

export type ModeResult = { ok: true; mode: Mode } | { ok: false; error: string };

export const readMode = (guardrails: Guardrails): Promise<ModeResult> =>
  guardrails.mode().then(
    (mode) => ({ ok: true as const, mode }),
    (error: unknown) => ({ ok: false as const, error: errorMessage(error) }),
  );

export interface Flow {
  readonly rec: Recorder;
  readonly trigger: Trigger;
  readonly actor: Actor;
  readonly target: TargetRef;
  readonly deps: RespondDeps;
  readonly logger: Logger;
}

/** Guardrail outcomes that stop before any plan: mode unreadable (escalate) or off (skip). */
export const gate = async (flow: Flow, mode: ModeResult, action: string): Promise<RespondResult | Mode> => {
  const { rec } = flow;
  if (!mode.ok) {
    const reason = `guardrail mode unreadable, nothing done: ${mode.error}`;
    flow.logger.error('mode unreadable', { error: mode.error });
    await rec.append({
      kind: 'escalation',
      mode: 'off',
      trigger: flow.trigger,
      target: flow.target,
      action: 'escalate:mode-unreadable',
      reason,
      actor: flow.actor,
      detail: { requested: action, modeError: mode.error },
    });
    return { decision: 'escalate', reason, incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys };
  }
  if (mode.mode === 'off') {
    const reason = 'mode is off (kill switch): nothing done';
    await rec.append({ kind: 'skip', mode: 'off', trigger: flow.trigger, target: flow.target, action: 'skip:mode-off', reason, actor: flow.actor, detail: { requested: action } });
    return { decision: 'skip', reason, incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys };
  }
  return mode.mode;
};

/** The outcome's reason and whether it must be retried. */
const verdict = (out: ExecuteOutcome): { reason: string; incomplete?: string } => {
  const failed = out.results.filter((r) => r.status === 'failed');
  const n = out.results.length;
  const reason = failed.length === 0 ? `${n} of ${n} steps succeeded` : `${failed.length} of ${n} steps failed`;
  const problems = [...failed.map((r) => `${r.step.id} ${actionOf(r.step)}: ${r.error ?? 'failed'}`), ...(out.holds.error ? [`holds not recorded: ${out.holds.error}`] : [])];
  return { reason: out.holds.error && failed.length === 0 ? `${reason}; holds not recorded` : reason, ...(problems.length > 0 ? { incomplete: problems.join('; ') } : {}) };
};

/** Escalation records (in parallel with whatever follows), then intent -> execute -> outcome. */
export const carryOut = async (
  flow: Flow,
  mode: Mode,
  p: Plan,
  action: string,
  extra: Record<string, unknown>,
  clients: (account: string) => Promise<IAMClient>,
  extraEscalations: readonly { action: string; reason: string }[] = [],
): Promise<RespondResult> => {
  const { rec } = flow;
  const escalations = Promise.all([
    ...p.escalations.map((e) =>
      rec.append({ kind: 'escalation', mode, trigger: flow.trigger, target: targetRefOf(e.target), action: `escalate:${e.code}`, reason: e.reason, actor: flow.actor }),
    ),
    ...extraEscalations.map((e) => rec.append({ kind: 'escalation', mode, trigger: flow.trigger, target: flow.target, action: e.action, reason: e.reason, actor: flow.actor })),
  ]);
  if (p.steps.length === 0) {
    await escalations;
    const reasons = [...p.escalations.map((e) => e.reason), ...extraEscalations.map((e) => e.reason)];
    if (reasons.length > 0) {
      return { decision: 'escalate', reason: [...reasons, ...p.notes].join('; '), incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys };
    }
    const reason = p.notes.length > 0 ? p.notes.join('; ') : 'nothing to do';
    await rec.append({ kind: 'skip', mode, trigger: flow.trigger, target: flow.target, action: `skip:${action}`, reason, actor: flow.actor, detail: { ...extra, ...planDetail(p) } });
    return { decision: 'skip', reason, incidentId: rec.incidentId, steps: [], evidenceKeys: rec.keys };
  }
  const dryRun = mode === 'dry-run';
  // Write-ahead: the whole plan is evidenced before the first mutating call.
  await rec.append({
    kind: 'intent',
    mode,
    trigger: flow.trigger,
    target: flow.target,
    action,
    ...(dryRun ? { reason: 'dry-run: nothing will be changed' } : {}),
    actor: flow.actor,
    detail: { dryRun, ...extra, ...planDetail(p) },
  });
  if (dryRun) {
    await escalations;
    return { decision: 'dry-run', reason: 'mode is dry-run: intent recorded, nothing changed', incidentId: rec.incidentId, steps: planned(p.steps), evidenceKeys: rec.keys };
  }
  const { deps } = flow;
  const outcome = await execute(p.steps, p.holds, {
    iamFor: clients,
    sessions: deps.sessions,
    ledger: deps.ledger,
    clock: deps.clock,
    cutoffMarginSeconds: deps.config.cutoffMarginSeconds,
    evidence: { append: async (id, input) => { const s = await deps.evidence.append(id, rec.enrich(input)); rec.keys.push(s.key); return s; } },
    incidentId: rec.incidentId,
    mode,
    trigger: flow.trigger,
    actor: flow.actor,
    logger: flow.logger,
  });
  await escalations;
  const { reason, incomplete } = verdict(outcome);
  await rec.append({
    kind: 'outcome',
    mode,
    trigger: flow.trigger,
    target: flow.target,
    action,
    reason,
    actor: flow.actor,
    awsRequestIds: outcome.results.flatMap((r) => (r.requestId ? [r.requestId] : [])),
    detail: {
      ...extra,
      results: summarise(outcome.results) as unknown as Record<string, unknown>[],
      ...(outcome.cutoff ? { cutoff: { ...outcome.cutoff } } : {}),
      holds: { recorded: outcome.holds.recorded as unknown as Record<string, unknown>[], ...(outcome.holds.error ? { error: outcome.holds.error } : {}) },
      ...(incomplete ? { retry: `incomplete, the invocation fails so that it is retried: ${incomplete}` } : {}),
    },
  });
  return { decision: 'act', reason, incidentId: rec.incidentId, steps: summarise(outcome.results), evidenceKeys: rec.keys, ...(incomplete ? { incomplete } : {}) };
};

import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { BatchUpdateFindingsCommand, type SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { Mode, TargetRef, Trigger } from '../evidence/types';
import { errorMessage } from '../shared/errors';
import { passingStateOf } from '../guardrails/passing-state';
import type { SecurityHubFindingRef } from './findings';
import { stormPublishInput, type StormDigest } from './storm';
import { WRITE_BACK_GIVE_UP_MINUTES, type PendingWriteBack, type WriteBackQueue } from './write-back';

/** One step of a decision, as both responders summarise it. */
export interface DecisionStep {
  readonly id: string;
  readonly action: string;
  readonly status: string;
  readonly error?: string;
}

/** One incident decision: what was decided, why, which steps succeeded or failed, the evidence. */
export interface IncidentDecision {
  /** `isolate-instance` | `revoke-credentials`. */
  readonly responder: string;
  readonly incidentId: string;
  /** `act`, `skip`, `escalate`, `dry-run`. */
  readonly decision: string;
  readonly reason?: string;
  readonly mode: Mode | 'unreadable';
  readonly trigger: Trigger;
  readonly target?: TargetRef;
  /** Manual requests: who asked. */
  readonly requestedBy?: string;
  readonly steps: readonly DecisionStep[];
  readonly evidenceKeys: readonly string[];
  /** Where the decision is written back to Security Hub; empty = nowhere. */
  readonly findings: readonly SecurityHubFindingRef[];
}

/** Tells people (and Security Hub) about a decision. Throws `NotificationError` when any part of
 * the delivery failed; callers evidence that and carry on (see deliver.ts). */
export interface Notifier {
  notify(decision: IncidentDecision): Promise<void>;
  /** The heartbeat: publishes the storm digests that are due and retries queued write-backs. */
  flush?(): Promise<FlushReport>;
}

export const noopNotifier: Notifier = { notify: async () => undefined };

export class NotificationError extends Error {
  override readonly name = 'NotificationError';
  constructor(readonly failures: readonly string[]) {
    super(`notification failed: ${failures.join('; ')}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering (pure)
// ---------------------------------------------------------------------------------------------

export const NOTE_MAX = 512;
const SUBJECT_MAX = 100;

/** RESOLVED only when the containment ran and every step succeeded; otherwise a human must look. */
/**
 * The workflow status written back: `NOTIFIED` (a person still has to investigate), and
 * `RESOLVED` only for a fully successful containment when the deployment asks for it
 * (`notifications.resolveContainedFindings`): containment is not investigation.
 */
export const workflowStatusOf = (d: IncidentDecision, resolveContained = false): 'RESOLVED' | 'NOTIFIED' =>
  resolveContained && d.decision === 'act' && d.steps.length > 0 && d.steps.every((s) => s.status === 'succeeded') ? 'RESOLVED' : 'NOTIFIED';

/** Unprocessed-finding codes worth another try: the finding is not imported yet (GuardDuty
 * findings reach Security Hub within minutes), or another writer raced this one. */
const RETRYABLE = new Set(['FindingNotFound', 'ConcurrentUpdateError', 'InternalFailure']);
/** Back-off between write-back attempts (ms); bounded so an invocation never idles for long. */
export const WRITE_BACK_BACKOFF_MS: readonly number[] = [1000, 2000, 4000];

const count = (d: IncidentDecision, status: string): number => d.steps.filter((s) => s.status === status).length;

const stepLine = (d: IncidentDecision): string => {
  if (d.steps.length === 0) return 'no step run';
  const failed = d.steps.filter((s) => s.status === 'failed').length;
  const parts = [`${count(d, 'succeeded')} of ${d.steps.length} steps succeeded`];
  if (failed) parts.push(`${failed} failed`);
  const other = d.steps.length - count(d, 'succeeded') - failed;
  if (other) parts.push(`${other} ${d.decision === 'dry-run' ? 'planned' : 'not run'}`);
  return parts.join(', ');
};

const targetText = (t: TargetRef | undefined): string =>
  t ? `${t.type} ${t.id}${t.account ? ` in ${t.account}` : ''}${t.region ? `/${t.region}` : ''}` : 'no target';

const truncate = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 3)}...`);

/** The Security Hub note: decision and evidence keys, at most 512 characters. */
export const noteText = (d: IncidentDecision): string => {
  const head = `cordon ${d.responder}: ${d.decision}${d.reason ? ` (${d.reason})` : ''}; ${stepLine(d)}; incident ${d.incidentId}; evidence:`;
  let text = head;
  for (const [i, key] of d.evidenceKeys.entries()) {
    const more = d.evidenceKeys.length - i - 1;
    const next = `${text} ${key}${more ? ',' : ''}`;
    const tail = more ? ` +${more} more` : '';
    if (next.length + tail.length > NOTE_MAX) {
      return truncate(`${text} +${d.evidenceKeys.length - i} more`, NOTE_MAX);
    }
    text = next;
  }
  if (d.evidenceKeys.length === 0) text = `${text} none`;
  return truncate(text, NOTE_MAX);
};

/** SNS subjects: ASCII, no line breaks, at most 100 characters. */
export const subjectOf = (d: IncidentDecision): string =>
  truncate(`Cordon ${d.decision}: ${d.responder} ${d.target?.id ?? d.incidentId}`.replace(/[^\x20-\x7e]/g, '?'), SUBJECT_MAX);

/** The e-mail body: readable without any tool. */
export const emailText = (d: IncidentDecision): string =>
  [
    `Decision: ${d.decision}${d.reason ? ` (${d.reason})` : ''}`,
    `Responder: ${d.responder} (mode ${d.mode})`,
    `Target: ${targetText(d.target)}`,
    `Trigger: ${d.trigger.source}${d.trigger.findingType ? ` ${d.trigger.findingType}` : ''}${d.trigger.findingId ? ` finding ${d.trigger.findingId}` : ''}${d.trigger.severity !== undefined ? ` severity ${d.trigger.severity}` : ''}`,
    ...(d.requestedBy ? [`Requested by: ${d.requestedBy}`] : []),
    `Incident: ${d.incidentId}`,
    `Steps: ${stepLine(d)}`,
    ...d.steps.map((s) => `  ${s.status.padEnd(9)} ${s.action} ${s.id}${s.error ? `: ${s.error}` : ''}`),
    `Evidence (${d.evidenceKeys.length} records):`,
    ...d.evidenceKeys.map((k) => `  ${k}`),
  ].join('\n');

/** AWS Chatbot custom notification (https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html). */
export const chatbotMessage = (d: IncidentDecision): Record<string, unknown> => ({
  version: '1.0',
  source: 'custom',
  id: d.incidentId,
  content: {
    textType: 'client-markdown',
    title: subjectOf(d),
    description: truncate(
      [
        `*${d.decision}*${d.reason ? ` (${d.reason})` : ''} on ${targetText(d.target)}, mode ${d.mode}`,
        `${stepLine(d)}${d.steps.some((s) => s.status === 'failed') ? `; failed: ${d.steps.filter((s) => s.status === 'failed').map((s) => s.id).join(', ')}` : ''}`,
        `incident \`${d.incidentId}\`, ${d.evidenceKeys.length} evidence records`,
      ].join('\n'),
      8000,
    ),
    keywords: [d.responder, d.decision],
  },
  metadata: { threadId: d.incidentId, summary: subjectOf(d), eventType: 'cordon-decision' },
});

/** The machine-readable message other subscribers (SQS, Lambda) receive. */
export const decisionJson = (d: IncidentDecision): Record<string, unknown> => ({
  kind: 'cordon-decision',
  responder: d.responder,
  incidentId: d.incidentId,
  decision: d.decision,
  ...(d.reason ? { reason: d.reason } : {}),
  mode: d.mode,
  trigger: d.trigger,
  ...(d.target ? { target: d.target } : {}),
  ...(d.requestedBy ? { requestedBy: d.requestedBy } : {}),
  steps: d.steps,
  evidenceKeys: d.evidenceKeys,
  workflowStatus: workflowStatusOf(d),
});

/** The exact SNS Publish input for a decision: one message, rendered per protocol. */
export const publishInput = (topicArn: string, d: IncidentDecision) => ({
  TopicArn: topicArn,
  Subject: subjectOf(d),
  MessageStructure: 'json',
  Message: JSON.stringify({
    default: JSON.stringify(decisionJson(d)),
    email: emailText(d),
    https: JSON.stringify(chatbotMessage(d)),
  }),
  MessageAttributes: {
    decision: { DataType: 'String', StringValue: d.decision },
    responder: { DataType: 'String', StringValue: d.responder },
    incidentId: { DataType: 'String', StringValue: d.incidentId },
  },
});

// ---------------------------------------------------------------------------------------------
// AWS implementation
// ---------------------------------------------------------------------------------------------

export interface AwsNotifierOptions {
  readonly sns?: Pick<SNSClient, 'send'>;
  /** Unset = no message (the decision is still written back to Security Hub). */
  readonly topicArn?: string;
  /** Security Hub client of a region; unset = no write-back. */
  readonly securityHubFor?: (region: string) => Pick<SecurityHubClient, 'send'>;
  /** Mark fully contained findings RESOLVED instead of NOTIFIED. @default false */
  readonly resolveContained?: boolean;
  /** Waits between write-back attempts. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Storm mode: `breaker-open` escalations are tallied into one digest per breaker window
   * instead of one message each (storm.ts). Unset = one message per decision. */
  readonly storm?: StormDigest;
  /** Where write-backs that still meet `FindingNotFound` wait for the heartbeat (write-back.ts).
   * Unset = reported as a notification failure after the in-invocation attempts. */
  readonly writeBackQueue?: WriteBackQueue;
  readonly now?: () => number;
}

/**
 * Publishes one SNS message per decision and, when the decision is about findings Security Hub
 * knows, writes it back with BatchUpdateFindings (workflow status + note). Both are attempted;
 * every failure (including unprocessed findings) is reported in one NotificationError.
 */
export class AwsNotifier implements Notifier {
  constructor(private readonly options: AwsNotifierOptions) {}

  async notify(d: IncidentDecision): Promise<void> {
    const tasks: Promise<string[]>[] = [];
    const { sns, topicArn, securityHubFor } = this.options;
    if (sns && topicArn) tasks.push(this.publish(sns, topicArn, d));
    if (securityHubFor && d.findings.length > 0) {
      const byRegion = new Map<string, SecurityHubFindingRef[]>();
      for (const f of d.findings) byRegion.set(f.region, [...(byRegion.get(f.region) ?? []), f]);
      for (const [region, refs] of byRegion) {
        tasks.push(this.writeBack(securityHubFor(region), region, refs, d));
      }
    }
    const failures = (await Promise.all(tasks)).flat();
    if (failures.length > 0) throw new NotificationError(failures);
  }

  /** One message per decision; in a storm, the window's digest when one is due (and the decision
   * itself if the digest cannot be kept: a message too many beats a message lost). */
  private async publish(sns: Pick<SNSClient, 'send'>, topicArn: string, d: IncidentDecision): Promise<string[]> {
    const send = (input: ReturnType<typeof publishInput> | ReturnType<typeof stormPublishInput>): Promise<string[]> =>
      sns.send(new PublishCommand(input)).then(
        () => [],
        (error: unknown) => [`sns publish: ${errorMessage(error)}`],
      );
    const storm = this.options.storm;
    if (!storm || passingStateOf(d) !== 'breaker-open') return send(publishInput(topicArn, d));
    try {
      const due = await storm.record(d);
      return due ? send(stormPublishInput(topicArn, due)) : [];
    } catch (error) {
      const failure = `storm digest: ${errorMessage(error)}; published the decision itself`;
      return [failure, ...(await send(publishInput(topicArn, d)))];
    }
  }

  /** Write-back within the invocation (back-off 1, 2, 4 s); what is still not in Security Hub is
   * queued for the heartbeat (write-back.ts) when a queue is configured, else reported. */
  private async writeBack(
    client: Pick<SecurityHubClient, 'send'>,
    region: string,
    refs: readonly SecurityHubFindingRef[],
    d: IncidentDecision,
  ): Promise<string[]> {
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
    const status = workflowStatusOf(d, this.options.resolveContained);
    const note = noteText(d);
    let pending = [...refs];
    const permanent: string[] = [];
    for (let attempt = 0; ; attempt += 1) {
      const tried = await writeBackOnce(client, region, pending, status, note);
      permanent.push(...tried.permanent);
      pending = tried.retry;
      const wait = WRITE_BACK_BACKOFF_MS[attempt];
      if (pending.length === 0) return permanent;
      if (wait === undefined) {
        const queued = await this.queue(d, region, pending, status, note, attempt + 1, tried.failures);
        return [...permanent, ...queued];
      }
      await sleep(wait);
    }
  }

  private async queue(
    d: IncidentDecision,
    region: string,
    refs: readonly SecurityHubFindingRef[],
    status: 'RESOLVED' | 'NOTIFIED',
    note: string,
    attempts: number,
    failures: readonly string[],
  ): Promise<string[]> {
    const reported = failures.map((f) => `${f} after ${attempts} attempts`);
    const later = this.options.writeBackQueue;
    if (!later) return reported;
    try {
      await later.put({
        incidentId: d.incidentId,
        region,
        refs,
        status,
        note,
        mode: d.mode === 'unreadable' ? 'off' : d.mode,
        trigger: d.trigger,
        decision: d.decision,
        firstAttemptAt: new Date((this.options.now ?? Date.now)()).toISOString(),
        attempts,
        lastError: failures.join('; '),
      });
      return [];
    } catch (error) {
      return [...reported, `security hub ${region}: the write-back could not be queued for retry: ${errorMessage(error)}`];
    }
  }

  /** The heartbeat: due storm digests, then queued write-backs (one attempt each, oldest first). */
  async flush(): Promise<FlushReport> {
    const { sns, topicArn, storm, writeBackQueue, securityHubFor } = this.options;
    let digests = 0;
    if (sns && topicArn && storm) {
      const due = await storm.flush();
      for (const tally of due) await sns.send(new PublishCommand(stormPublishInput(topicArn, tally)));
      digests = due.length;
    }
    const report = { digests, landed: 0, waiting: 0, abandoned: [] as AbandonedWriteBack[] };
    if (!writeBackQueue || !securityHubFor) return report;
    const now = (this.options.now ?? Date.now)();
    for (const w of await writeBackQueue.list(WRITE_BACK_BATCH)) {
      const tried = await writeBackOnce(securityHubFor(w.region), w.region, w.refs, w.status, w.note);
      const attempts = w.attempts + 1;
      const expired = now - Date.parse(w.firstAttemptAt) >= WRITE_BACK_GIVE_UP_MINUTES * 60_000;
      if (tried.retry.length > 0 && !expired) {
        await writeBackQueue.put({ ...w, refs: tried.retry, attempts, lastError: tried.failures.join('; ') });
        if (tried.permanent.length > 0) report.abandoned.push({ ...w, attempts, failures: tried.permanent });
        report.waiting += 1;
        continue;
      }
      await writeBackQueue.remove(w);
      const failures = [...tried.permanent, ...tried.failures.map((f) => `${f}: given up after ${attempts} attempts over ${WRITE_BACK_GIVE_UP_MINUTES} minutes`)];
      if (failures.length > 0) report.abandoned.push({ ...w, attempts, failures });
      else report.landed += 1;
    }
    return report;
  }
}

/** What one heartbeat did. */
export interface FlushReport {
  readonly digests: number;
  /** Queued write-backs that landed, still wait, or were given up (to be evidenced). */
  readonly landed: number;
  readonly waiting: number;
  readonly abandoned: readonly AbandonedWriteBack[];
}

export interface AbandonedWriteBack extends PendingWriteBack {
  readonly failures: readonly string[];
}

/** Queued write-backs one heartbeat retries at most. */
export const WRITE_BACK_BATCH = 50;

/** One BatchUpdateFindings: the refs worth another try, and the failures as text. */
const writeBackOnce = async (
  client: Pick<SecurityHubClient, 'send'>,
  region: string,
  refs: readonly SecurityHubFindingRef[],
  status: 'RESOLVED' | 'NOTIFIED',
  note: string,
): Promise<{ retry: SecurityHubFindingRef[]; failures: string[]; permanent: string[] }> => {
  try {
    const out = await client.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: refs.map((r) => ({ Id: r.id, ProductArn: r.productArn })),
        Workflow: { Status: status },
        Note: { Text: note, UpdatedBy: 'cordon' },
      }),
    );
    const unprocessed = out.UnprocessedFindings ?? [];
    const text = (u: (typeof unprocessed)[number]) =>
      `security hub ${region}: finding ${u.FindingIdentifier?.Id ?? '?'} not updated (${u.ErrorCode ?? 'error'}: ${u.ErrorMessage ?? ''})`;
    const retryable = unprocessed.filter((u) => RETRYABLE.has(u.ErrorCode ?? ''));
    const again = new Set(retryable.map((u) => u.FindingIdentifier?.Id));
    return {
      retry: refs.filter((r) => again.has(r.id)),
      failures: retryable.map(text),
      permanent: unprocessed.filter((u) => !RETRYABLE.has(u.ErrorCode ?? '')).map(text),
    };
  } catch (error) {
    return { retry: [...refs], failures: [`security hub ${region}: BatchUpdateFindings failed: ${errorMessage(error)}`], permanent: [] };
  }
};

import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { BatchUpdateFindingsCommand, type SecurityHubClient } from '@aws-sdk/client-securityhub';
import { errorMessage } from '../shared/errors';
import { passingStateOf } from '../guardrails/passing-state';
import { NotificationError, type AbandonedWriteBack, type FlushReport, type IncidentDecision, type Notifier } from './decision';
import type { SecurityHubFindingRef } from './findings';
import { noteText, publishInput, workflowStatusOf } from './render';
import { stormPublishInput, type StormDigest } from './storm';
import { WRITE_BACK_GIVE_UP_MINUTES, type WriteBackQueue } from './write-back';

export { noopNotifier, NotificationError, type AbandonedWriteBack, type DecisionStep, type FlushReport, type IncidentDecision, type Notifier } from './decision';

/** Unprocessed-finding codes worth another try: the finding is not imported yet (GuardDuty
 * findings reach Security Hub within minutes), or another writer raced this one. */
const RETRYABLE = new Set(['FindingNotFound', 'ConcurrentUpdateError', 'InternalFailure']);
/** Back-off between write-back attempts (ms); bounded so an invocation never idles for long. */
export const WRITE_BACK_BACKOFF_MS: readonly number[] = [1000, 2000, 4000];

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

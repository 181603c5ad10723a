import { ConditionalCheckFailedException, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { windowStartOf } from '../guardrails/breaker';
import type { IncidentDecision } from './decision';

/**
 * Storm mode (DESIGN.md, Guardrails). When the blast-radius breaker opens, every further automatic
 * finding of the window escalates `breaker-open`. One message per finding would bury the on-call
 * engineer (1,000 findings = 1,000 e-mails), so those escalations are tallied instead in one item
 * per breaker window (`pk = storm#{windowStart}` in the guardrails table): the first one publishes
 * "breaker open" at once, later ones update the running digest at most every `digestMinutes`, and
 * the responders' heartbeat publishes the final tally once the storm stops. Security Hub write-back
 * stays per finding (each finding still carries its note).
 */

export const STORM_PREFIX = 'storm#';
/** How many pending containments a digest names; the rest are counted. */
export const DIGEST_PENDING_MAX = 25;

export interface StormTally {
  readonly windowStart: string;
  readonly windowMinutes: number;
  readonly maxContainments: number;
  /** Escalations by the open breaker in this window. */
  readonly escalated: number;
  readonly byFindingType: Readonly<Record<string, number>>;
  readonly byAccount: Readonly<Record<string, number>>;
  readonly byResponder: Readonly<Record<string, number>>;
  /** `incidentId target` of the first DIGEST_PENDING_MAX escalations: parked, re-run each window. */
  readonly pending: readonly string[];
  readonly startedAt: string;
  /** Which digest of the window this is (1 = the breaker just opened). */
  readonly digest: number;
}

export interface StormDigest {
  /** Tallies one `breaker-open` escalation; returns the digest to publish now, if one is due. */
  record(decision: IncidentDecision): Promise<StormTally | undefined>;
  /** The heartbeat: the digest of a window whose tally grew since its last message, if one is due. */
  flush(): Promise<StormTally[]>;
}

// ---------------------------------------------------------------------------------------------
// Rendering (pure)
// ---------------------------------------------------------------------------------------------

const top = (counts: Readonly<Record<string, number>>, n = 20): string[] => {
  const sorted = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const lines = sorted.slice(0, n).map(([k, v]) => `  ${String(v).padStart(6)}  ${k}`);
  if (sorted.length > n) lines.push(`  ... and ${sorted.length - n} more`);
  return lines;
};

export const stormSubject = (t: StormTally): string =>
  `Cordon storm: breaker open, ${t.escalated} automatic containment${t.escalated === 1 ? '' : 's'} held`.slice(0, 100);

/** The digest an engineer reads: what is held, where from, and the three ways out. */
export const stormText = (t: StormTally): string =>
  [
    `The blast-radius breaker is open: ${t.maxContainments} automatic containments were made in the ${t.windowMinutes}-minute window from ${t.windowStart}.`,
    `${t.escalated} further finding(s) were escalated instead of contained (digest ${t.digest}, storm since ${t.startedAt}).`,
    '',
    'By finding type:',
    ...top(t.byFindingType),
    'By account:',
    ...top(t.byAccount),
    'By responder:',
    ...top(t.byResponder),
    '',
    `Pending containments (parked; each is re-run by the responders' heartbeat once a window has room, still under the breaker)${t.escalated > t.pending.length ? `, first ${t.pending.length} of ${t.escalated}` : ''}:`,
    ...t.pending.map((p) => `  ${p}`),
    '',
    'What you can do:',
    `- Raise the limit: deploy with -c cordon.breaker.maxContainments=<n> (now ${t.maxContainments}) or a shorter cordon.breaker.windowMinutes (now ${t.windowMinutes}).`,
    '- Drain by hand: manual requests bypass the breaker, e.g. `cordon isolate <instance-id>` or `cordon revoke --access-key-id <id> --user-name <name>` per pending target.',
    '- Stop everything: `cordon mode off` (parked findings wait until the mode is enforce again).',
    `This digest is updated at most every few minutes while the storm lasts; each finding's own decision is in its evidence and its Security Hub note.`,
  ].join('\n');

export const stormPublishInput = (topicArn: string, t: StormTally) => ({
  TopicArn: topicArn,
  Subject: stormSubject(t),
  MessageStructure: 'json',
  Message: JSON.stringify({
    default: JSON.stringify({ kind: 'cordon-storm', ...t }),
    email: stormText(t),
    https: JSON.stringify({
      version: '1.0',
      source: 'custom',
      id: `storm-${t.windowStart}`,
      content: { textType: 'client-markdown', title: stormSubject(t), description: stormText(t).slice(0, 8000), keywords: ['storm', 'breaker-open'] },
      metadata: { threadId: `storm-${t.windowStart}`, summary: stormSubject(t), eventType: 'cordon-storm' },
    }),
  }),
  MessageAttributes: {
    decision: { DataType: 'String', StringValue: 'storm' },
    windowStart: { DataType: 'String', StringValue: t.windowStart },
  },
});

// ---------------------------------------------------------------------------------------------
// DynamoDB implementation
// ---------------------------------------------------------------------------------------------

export interface DynamoStormDigestOptions {
  readonly ddb: Pick<DynamoDBClient, 'send'>;
  readonly tableName: string;
  /** The breaker's window and limit (the digest is per breaker window). */
  readonly windowMinutes: number;
  readonly maxContainments: number;
  /** At most one digest per window every this many minutes. @default 5 */
  readonly digestMinutes?: number;
  readonly now?: () => number;
}

const TYPE = 'type:';
const ACCOUNT = 'account:';
const RESPONDER = 'responder:';

const tallyOf = (item: Record<string, AttributeValue>, o: DynamoStormDigestOptions): StormTally => {
  const pick = (prefix: string): Record<string, number> =>
    Object.fromEntries(
      Object.entries(item)
        .filter(([k]) => k.startsWith(prefix))
        .map(([k, v]) => [k.slice(prefix.length), Number(v.N ?? 0)]),
    );
  return {
    windowStart: item.windowStart?.S ?? '',
    windowMinutes: o.windowMinutes,
    maxContainments: o.maxContainments,
    escalated: Number(item.escalated?.N ?? 0),
    byFindingType: pick(TYPE),
    byAccount: pick(ACCOUNT),
    byResponder: pick(RESPONDER),
    pending: [...(item.pending?.SS ?? [])].sort(),
    startedAt: item.startedAt?.S ?? '',
    digest: Number(item.digests?.N ?? 0),
  };
};

const isConditionFailed = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException || (error as { name?: unknown }).name === 'ConditionalCheckFailedException';

/**
 * One item per breaker window: counters as top-level numbers (`escalated`, `type:{findingType}`,
 * `account:{id}`, `responder:{name}`; ADD needs no existing map), `pending` (a string set, only
 * the first DIGEST_PENDING_MAX: items stay far below DynamoDB's 400 KB), and the digest state
 * (`sentAt`, `sentCount`, `digests`) claimed with a conditional write, so concurrent responders
 * publish each digest once. Expires a day after its window.
 */
export class DynamoStormDigest implements StormDigest {
  constructor(private readonly options: DynamoStormDigestOptions) {}

  private get now(): number {
    return (this.options.now ?? Date.now)();
  }

  private keyOf(start: number): Record<string, AttributeValue> {
    return { pk: { S: `${STORM_PREFIX}${new Date(start).toISOString()}` } };
  }

  async record(d: IncidentDecision): Promise<StormTally | undefined> {
    const now = this.now;
    const start = windowStartOf(now, this.options.windowMinutes);
    const expiration = Math.floor((start + this.options.windowMinutes * 60_000) / 1000) + 86_400;
    const names: Record<string, string> = {
      '#esc': 'escalated',
      '#resp': `${RESPONDER}${d.responder}`,
      '#exp': 'expiration',
      '#ws': 'windowStart',
      '#started': 'startedAt',
    };
    const adds = ['#esc :one', '#resp :one'];
    if (d.trigger.findingType) {
      names['#type'] = `${TYPE}${d.trigger.findingType}`;
      adds.push('#type :one');
    }
    if (d.target?.account) {
      names['#acct'] = `${ACCOUNT}${d.target.account}`;
      adds.push('#acct :one');
    }
    const out = await this.options.ddb.send(
      new UpdateItemCommand({
        TableName: this.options.tableName,
        Key: this.keyOf(start),
        UpdateExpression: `SET #exp = :exp, #ws = :ws, #started = if_not_exists(#started, :now) ADD ${adds.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: {
          ':one': { N: '1' },
          ':exp': { N: String(expiration) },
          ':ws': { S: new Date(start).toISOString() },
          ':now': { S: new Date(now).toISOString() },
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    let item = out.Attributes ?? {};
    const escalated = Number(item.escalated?.N ?? 0);
    if (escalated <= DIGEST_PENDING_MAX) {
      const pendingOut = await this.options.ddb.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: this.keyOf(start),
          UpdateExpression: 'ADD #pending :p',
          ExpressionAttributeNames: { '#pending': 'pending' },
          ExpressionAttributeValues: { ':p': { SS: [`${d.incidentId} ${d.target?.id ?? d.trigger.findingId ?? 'unknown target'}`] } },
          ReturnValues: 'ALL_NEW',
        }),
      );
      item = pendingOut.Attributes ?? item;
    }
    return this.claim(start, item);
  }

  async flush(): Promise<StormTally[]> {
    const start = windowStartOf(this.now, this.options.windowMinutes);
    const previous = start - this.options.windowMinutes * 60_000;
    const due: StormTally[] = [];
    for (const s of [previous, start]) {
      const tally = await this.claim(s);
      if (tally) due.push(tally);
    }
    return due;
  }

  /**
   * Claims the next digest of a window: the first as soon as the window has an escalation, later
   * ones only when the tally grew and the last was sent `digestMinutes` ago. The condition makes
   * the claim exclusive; a lost race or nothing due answers undefined.
   */
  private async claim(start: number, seen?: Record<string, AttributeValue>): Promise<StormTally | undefined> {
    const now = this.now;
    const cutoff = new Date(now - (this.options.digestMinutes ?? 5) * 60_000).toISOString();
    if (seen?.sentAt?.S !== undefined && (seen.sentAt.S > cutoff || Number(seen.sentCount?.N ?? 0) >= Number(seen.escalated?.N ?? 0))) return undefined;
    try {
      const out = await this.options.ddb.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: this.keyOf(start),
          UpdateExpression: 'SET #sentAt = :now, #sentCount = #esc ADD #digests :one',
          ConditionExpression: '#esc > :zero AND (attribute_not_exists(#sentAt) OR (#sentAt <= :cutoff AND #sentCount < #esc))',
          ExpressionAttributeNames: { '#sentAt': 'sentAt', '#sentCount': 'sentCount', '#esc': 'escalated', '#digests': 'digests' },
          ExpressionAttributeValues: { ':now': { S: new Date(now).toISOString() }, ':cutoff': { S: cutoff }, ':zero': { N: '0' }, ':one': { N: '1' } },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return tallyOf(out.Attributes ?? {}, this.options);
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }
}

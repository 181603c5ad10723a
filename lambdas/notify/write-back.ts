import { DeleteItemCommand, QueryCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Mode, Trigger } from '../evidence/types';
import type { SecurityHubFindingRef } from './findings';

/**
 * Security Hub write-back that lands (DESIGN.md, Notifications). GuardDuty findings reach Security
 * Hub up to about five minutes after EventBridge delivers them, so a write-back made seconds after
 * the event often meets `FindingNotFound`. The notifier retries within the invocation (1, 2, 4 s);
 * what is still not found is queued here and retried by the responders' heartbeat (every 5
 * minutes) until it lands, or until `WRITE_BACK_GIVE_UP_MINUTES` have passed since the decision:
 * then it is given up and evidenced (`error:notify`) in the incident.
 *
 * Items live in the guardrails table (`pk = writeback#{incidentId}#{region}`), listed through the
 * parked-events index under the partition `write-back` (no responder has that name).
 */

export const WRITE_BACK_PREFIX = 'writeback#';
export const WRITE_BACK_PARTITION = 'write-back';
export const WRITE_BACK_GIVE_UP_MINUTES = 60;

export interface PendingWriteBack {
  readonly incidentId: string;
  readonly region: string;
  readonly refs: readonly SecurityHubFindingRef[];
  readonly status: 'RESOLVED' | 'NOTIFIED';
  readonly note: string;
  /** What the give-up record needs to be a normal `error` record of the incident. */
  readonly mode: Mode;
  readonly trigger: Trigger;
  readonly decision: string;
  /** When the decision was first written back (ISO). */
  readonly firstAttemptAt: string;
  readonly attempts: number;
  readonly lastError: string;
}

export interface WriteBackQueue {
  put(w: PendingWriteBack): Promise<void>;
  /** Oldest first. */
  list(limit: number): Promise<PendingWriteBack[]>;
  remove(w: Pick<PendingWriteBack, 'incidentId' | 'region'>): Promise<void>;
}

const keyOf = (w: Pick<PendingWriteBack, 'incidentId' | 'region'>) => ({ pk: { S: `${WRITE_BACK_PREFIX}${w.incidentId}#${w.region}` } });

export class DynamoWriteBackQueue implements WriteBackQueue {
  constructor(private readonly options: { readonly ddb: Pick<DynamoDBClient, 'send'>; readonly tableName: string; readonly indexName: string }) {}

  async put(w: PendingWriteBack): Promise<void> {
    const expiration = Math.floor(Date.parse(w.firstAttemptAt) / 1000) + 2 * WRITE_BACK_GIVE_UP_MINUTES * 60;
    await this.options.ddb.send(
      new UpdateItemCommand({
        TableName: this.options.tableName,
        Key: keyOf(w),
        UpdateExpression: 'SET #by = :by, #at = :at, #body = :body, #exp = :exp',
        ExpressionAttributeNames: { '#by': 'parkedBy', '#at': 'parkedAt', '#body': 'writeBack', '#exp': 'expiration' },
        ExpressionAttributeValues: {
          ':by': { S: WRITE_BACK_PARTITION },
          ':at': { S: w.firstAttemptAt },
          ':body': { S: JSON.stringify(w) },
          ':exp': { N: String(expiration) },
        },
      }),
    );
  }

  async list(limit: number): Promise<PendingWriteBack[]> {
    const out = await this.options.ddb.send(
      new QueryCommand({
        TableName: this.options.tableName,
        IndexName: this.options.indexName,
        KeyConditionExpression: '#by = :by',
        ExpressionAttributeNames: { '#by': 'parkedBy' },
        ExpressionAttributeValues: { ':by': { S: WRITE_BACK_PARTITION } },
        ScanIndexForward: true,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).flatMap((item) => {
      try {
        return [JSON.parse(item.writeBack?.S ?? '') as PendingWriteBack];
      } catch {
        return [];
      }
    });
  }

  async remove(w: Pick<PendingWriteBack, 'incidentId' | 'region'>): Promise<void> {
    await this.options.ddb.send(new DeleteItemCommand({ TableName: this.options.tableName, Key: keyOf(w) }));
  }
}

/** For tests and the offline drill. */
export class MemoryWriteBackQueue implements WriteBackQueue {
  readonly items = new Map<string, PendingWriteBack>();
  async put(w: PendingWriteBack): Promise<void> {
    this.items.set(`${w.incidentId}#${w.region}`, w);
  }
  async list(limit: number): Promise<PendingWriteBack[]> {
    return [...this.items.values()].sort((a, b) => a.firstAttemptAt.localeCompare(b.firstAttemptAt)).slice(0, limit);
  }
  async remove(w: Pick<PendingWriteBack, 'incidentId' | 'region'>): Promise<void> {
    this.items.delete(`${w.incidentId}#${w.region}`);
  }
}

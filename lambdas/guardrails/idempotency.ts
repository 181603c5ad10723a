import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  ConditionalCheckFailedException,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { IdempotencyConfig, IdempotencyItemAlreadyExistsError, IdempotencyItemNotFoundError, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { BasePersistenceLayer, IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import { canonicalJson, sha256Hex } from '../evidence/canonical';
import { SECURITYHUB_CUSTOM_ACTION_DETAIL_TYPE } from '../findings/securityhub';
import type { Actor, EvidenceInput, Mode } from '../evidence/types';

/**
 * Idempotency of the responders (DESIGN.md, Guardrails): the same finding (id + action) acts once,
 * whatever EventBridge redelivers or GuardDuty updates. Powertools idempotency (`makeIdempotent`)
 * does the work: an INPROGRESS record taken with a conditional put before `respond`, the result
 * saved as COMPLETED after it, the record deleted when `respond` throws (so a retry runs again),
 * the stored result returned to every duplicate.
 *
 * The persistence layer below is Powertools' own contract (`BasePersistenceLayer`) over the plain
 * DynamoDB client, with the same item layout and the same conditional put as Powertools'
 * `DynamoDBPersistenceLayer`; that class needs `@aws-sdk/util-dynamodb`, which is not in the
 * lockfile. Items share the guardrails table with the breaker: `pk = idempotency#{responder}#{hash}`.
 */

/** What one delivery is about. Equal keys = the same decision, made once. */
export interface IdempotencyKey {
  /** `isolate-instance` | `revoke-credentials`: the action. */
  readonly responder: string;
  /** `aws.guardduty`, `aws.securityhub`, `aws.health`, `manual`, or the event's own source. */
  readonly source: string;
  /** The finding (account/id), the Security Hub finding ids, the Health event ARN, or the hash of
   * a manual request's content. */
  readonly subject: string;
  /**
   * The mode the decision was made in. A dry-run of a finding does not stop the same finding from
   * being contained once the mode is `enforce`; within one mode the finding is decided once.
   */
  readonly mode: Mode;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The idempotency subject of an event, or undefined when the event must not be deduplicated
 * (a read-only preview). Never throws: an event of unknown shape is keyed on its own hash.
 */
export const idempotencySubjectOf = (event: unknown): { source: string; subject: string } | undefined => {
  if (!isRecord(event)) return { source: 'unknown', subject: sha256Hex(String(event)) };
  const hash = (): string => sha256Hex(canonicalJson(event));
  if ('action' in event && !('source' in event) && !('detail' in event)) {
    // A preview changes nothing and must show the current state every time.
    if (event.preview === true) return undefined;
    return { source: 'manual', subject: hash() };
  }
  const source = str(event.source);
  const detail = isRecord(event.detail) ? event.detail : undefined;
  if (source === 'aws.guardduty' && detail && str(detail.id)) {
    return { source, subject: `${str(detail.accountId) ?? str(event.account) ?? ''}/${str(detail.id) ?? ''}` };
  }
  // Each click of a Security Hub custom action is its own request: a person may click again.
  if (source === 'aws.securityhub' && event['detail-type'] === SECURITYHUB_CUSTOM_ACTION_DETAIL_TYPE && str(event.id)) {
    return { source, subject: `click/${str(event.id) ?? ''}` };
  }
  if (source === 'aws.securityhub' && detail && Array.isArray(detail.findings)) {
    const ids = detail.findings.map((f) => (isRecord(f) ? str(f.Id) : undefined)).filter((id): id is string => id !== undefined);
    if (ids.length > 0) return { source, subject: [...new Set(ids)].sort().join(' ') };
  }
  if (source === 'aws.health' && detail && str(detail.eventArn)) {
    return { source, subject: `${str(event.account) ?? ''}/${str(detail.eventArn) ?? ''}` };
  }
  if (source && str(event.id)) return { source, subject: `event/${str(event.id) ?? ''}` };
  // A bare GuardDuty finding (console test event, S3 export replay).
  if (!source && str(event.id) && str(event.type) && 'resource' in event) {
    return { source: 'aws.guardduty', subject: `${str(event.accountId) ?? ''}/${str(event.id) ?? ''}` };
  }
  return { source: source ?? 'unknown', subject: hash() };
};

// ---------------------------------------------------------------------------------------------
// Persistence: Powertools' BasePersistenceLayer over the plain DynamoDB client
// ---------------------------------------------------------------------------------------------

export interface GuardrailsPersistenceOptions {
  readonly ddb: Pick<DynamoDBClient, 'send'>;
  readonly tableName: string;
}

/** Attribute names: Powertools' defaults, with the table's `pk` partition key. */
const A = { key: 'pk', status: 'status', expiry: 'expiration', inProgressExpiry: 'in_progress_expiration', data: 'data' } as const;

type Item = Record<string, AttributeValue>;
type StatusValue = ConstructorParameters<typeof IdempotencyRecord>[0]['status'];

const num = (v: AttributeValue | undefined): number | undefined => (v?.N !== undefined ? Number(v.N) : undefined);

export class GuardrailsPersistenceLayer extends BasePersistenceLayer {
  constructor(private readonly options: GuardrailsPersistenceOptions) {
    super();
  }

  private keyOf(idempotencyKey: string): Item {
    return { [A.key]: { S: idempotencyKey } };
  }

  private recordOf(item: Item): IdempotencyRecord {
    const data = item[A.data]?.S;
    const expiry = num(item[A.expiry]);
    const inProgress = num(item[A.inProgressExpiry]);
    return new IdempotencyRecord({
      idempotencyKey: item[A.key]?.S ?? '',
      status: item[A.status]?.S as StatusValue,
      ...(expiry !== undefined ? { expiryTimestamp: expiry } : {}),
      ...(inProgress !== undefined ? { inProgressExpiryTimestamp: inProgress } : {}),
      ...(data !== undefined ? { responseData: JSON.parse(data) as ReturnType<IdempotencyRecord['getResponse']> } : {}),
    });
  }

  protected async _getRecord(idempotencyKey: string): Promise<IdempotencyRecord> {
    const out = await this.options.ddb.send(
      new GetItemCommand({ TableName: this.options.tableName, Key: this.keyOf(idempotencyKey), ConsistentRead: true }),
    );
    if (!out.Item) throw new IdempotencyItemNotFoundError();
    return this.recordOf(out.Item);
  }

  /** Powertools' condition: free, expired, or an INPROGRESS whose Lambda has timed out. */
  protected async _putRecord(record: IdempotencyRecord): Promise<void> {
    const item: Item = {
      ...this.keyOf(record.idempotencyKey),
      [A.status]: { S: record.getStatus() },
      ...(record.expiryTimestamp !== undefined ? { [A.expiry]: { N: String(record.expiryTimestamp) } } : {}),
      ...(record.inProgressExpiryTimestamp !== undefined ? { [A.inProgressExpiry]: { N: String(record.inProgressExpiryTimestamp) } } : {}),
    };
    const now = Date.now();
    try {
      await this.options.ddb.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: item,
          ConditionExpression:
            'attribute_not_exists(#id) OR #expiry < :now OR (#status = :inprogress AND attribute_exists(#in_progress_expiry) AND #in_progress_expiry < :now_in_millis)',
          ExpressionAttributeNames: { '#id': A.key, '#expiry': A.expiry, '#status': A.status, '#in_progress_expiry': A.inProgressExpiry },
          ExpressionAttributeValues: {
            ':now': { N: String(now / 1000) },
            ':now_in_millis': { N: String(now) },
            ':inprogress': { S: 'INPROGRESS' },
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as { name?: unknown }).name === 'ConditionalCheckFailedException') {
        const old = (error as { Item?: Item }).Item;
        throw new IdempotencyItemAlreadyExistsError(
          `Failed to put record for already existing idempotency key: ${record.idempotencyKey}`,
          old ? this.recordOf(old) : undefined,
        );
      }
      throw error;
    }
  }

  protected async _updateRecord(record: IdempotencyRecord): Promise<void> {
    const data = record.responseData === undefined ? undefined : JSON.stringify(record.responseData);
    await this.options.ddb.send(
      new UpdateItemCommand({
        TableName: this.options.tableName,
        Key: this.keyOf(record.idempotencyKey),
        UpdateExpression: `SET #expiry = :expiry, #status = :status${data !== undefined ? ', #data = :data' : ''}`,
        ExpressionAttributeNames: { '#expiry': A.expiry, '#status': A.status, ...(data !== undefined ? { '#data': A.data } : {}) },
        ExpressionAttributeValues: {
          ':expiry': { N: String(record.expiryTimestamp ?? 0) },
          ':status': { S: record.getStatus() },
          ...(data !== undefined ? { ':data': { S: data } } : {}),
        },
      }),
    );
  }

  protected async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    await this.options.ddb.send(new DeleteItemCommand({ TableName: this.options.tableName, Key: this.keyOf(record.idempotencyKey) }));
  }
}

// ---------------------------------------------------------------------------------------------
// The wrapper the handlers use
// ---------------------------------------------------------------------------------------------

/** The subset of the Lambda context idempotency needs: the time left bounds an INPROGRESS record,
 * so a timed-out invocation does not block its own retry. */
export interface IdempotencyContext {
  readonly awsRequestId: string;
  getRemainingTimeInMillis?(): number;
}

/** What is stored for a key and handed back to duplicates. */
interface Stored<R> {
  readonly result: R;
  readonly decidedAt: string;
  readonly requestId: string;
  /** Set by the response hook: this delivery is a duplicate. */
  readonly replayed?: true;
}

export interface IdempotentOutcome<R> {
  /** The decision: this invocation's, or the first one's for a duplicate. */
  readonly result: R;
  /** Set for a duplicate: when and by which invocation the decision was made. */
  readonly replayOf?: { readonly decidedAt: string; readonly requestId: string };
}

export interface IdempotentResponderOptions<R> {
  readonly responder: string;
  /** Findings and events. */
  readonly automatic: BasePersistenceLayer;
  /** Manual requests (content hash). */
  readonly manual: BasePersistenceLayer;
  /** How long an automatic decision is remembered. @default 7 days: GuardDuty keeps updating an
   * active finding (every 15 minutes to 6 hours) and each update must not act again. */
  readonly automaticExpirySeconds?: number;
  /** How long a manual request is remembered. @default 1 hour: covers client retries, and lets an
   * operator repeat the same request after a release. */
  readonly manualExpirySeconds?: number;
  /** Whether a result may be remembered. A result that depended on an outage (breaker
   * unavailable) is not: the next delivery decides again. */
  readonly isFinal?: (result: R) => boolean;
  readonly clock?: () => Date;
}

/** Thrown through Powertools so that it deletes the INPROGRESS record instead of saving. */
class NotRemembered<R> extends Error {
  override readonly name = 'NotRemembered';
  constructor(readonly result: R) {
    super('result is not remembered');
  }
}

type Run<R> = (key: IdempotencyKey, respond: () => Promise<R>, requestId: string) => Promise<Stored<R>>;

export class IdempotentResponder<R> {
  private readonly automatic: { run: Run<R>; config: IdempotencyConfig };
  private readonly manual: { run: Run<R>; config: IdempotencyConfig };

  constructor(options: IdempotentResponderOptions<R>) {
    const clock = options.clock ?? (() => new Date());
    const isFinal = options.isFinal ?? (() => true);
    const run: Run<R> = async (_key, respond, requestId) => {
      const result = await respond();
      if (!isFinal(result)) throw new NotRemembered(result);
      return { result, decidedAt: clock().toISOString(), requestId };
    };
    const wrap = (store: BasePersistenceLayer, expiresAfterSeconds: number) => {
      const config = new IdempotencyConfig({
        expiresAfterSeconds,
        responseHook: (response) => ({ ...(response as Record<string, never>), replayed: true }),
      });
      const idempotent = makeIdempotent(run, { persistenceStore: store, config, keyPrefix: `idempotency#${options.responder}` }) as Run<R>;
      return { run: idempotent, config };
    };
    this.automatic = wrap(options.automatic, options.automaticExpirySeconds ?? 7 * 24 * 3600);
    this.manual = wrap(options.manual, options.manualExpirySeconds ?? 3600);
  }

  /**
   * Runs `respond` once per key. Without a key (mode unreadable, a preview) it just runs it. A
   * concurrent duplicate throws Powertools' `IdempotencyAlreadyInProgressError`: the invocation
   * fails and its retry finds the completed result.
   */
  async run(key: IdempotencyKey | undefined, context: IdempotencyContext, respond: () => Promise<R>): Promise<IdempotentOutcome<R>> {
    if (!key) return { result: await respond() };
    const target = key.source === 'manual' ? this.manual : this.automatic;
    if (typeof context.getRemainingTimeInMillis === 'function') {
      target.config.registerLambdaContext(context as Parameters<IdempotencyConfig['registerLambdaContext']>[0]);
    }
    try {
      const stored = await target.run(key, respond, context.awsRequestId);
      return stored.replayed ? { result: stored.result, replayOf: { decidedAt: stored.decidedAt, requestId: stored.requestId } } : { result: stored.result };
    } catch (error) {
      if (error instanceof NotRemembered) return { result: error.result as R };
      throw error;
    }
  }
}

/** The `skip` record a duplicate delivery leaves in the incident: seen again, not acted on. */
export const replaySkipRecord = (input: {
  readonly key: IdempotencyKey;
  readonly first: { readonly decision: string; readonly reason?: string | undefined };
  readonly replayOf: { readonly decidedAt: string; readonly requestId: string };
  readonly actor: Actor;
  readonly eventId?: string;
}): EvidenceInput => ({
  kind: 'skip',
  mode: input.key.mode,
  trigger: { source: input.key.source, ...(input.eventId ? { eventId: input.eventId } : {}) },
  action: 'skip:already-handled',
  reason: `already handled, first at ${input.replayOf.decidedAt} (request ${input.replayOf.requestId}): ${input.first.decision}${input.first.reason ? ` (${input.first.reason})` : ''}`,
  actor: input.actor,
  detail: { idempotency: { ...input.key }, firstDecision: input.first.decision, firstAt: input.replayOf.decidedAt, firstRequestId: input.replayOf.requestId },
});

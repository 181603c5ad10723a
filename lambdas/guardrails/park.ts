import { DeleteItemCommand, QueryCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { canonicalJson, sha256Hex } from '../evidence/canonical';
import { idempotencySubjectOf } from './idempotency';
import type { PassingState } from './passing-state';

/**
 * Re-drive, not remember (DESIGN.md, Guardrails). A decision that depended on passing state (the
 * breaker was open, the mode was `off` or unreadable, the breaker's table or a member account could
 * not be reached, the instance could not be observed) is not a decision about the finding: it is
 * not remembered by idempotency, and the event is parked here. The responder's heartbeat re-runs
 * parked events once the mode is `enforce` again, oldest first, still under the breaker; each
 * re-run is evidenced with a link to the first decision.
 *
 * Items live in the guardrails table (`pk = park#{responder}#{hash of the subject}`: one parked
 * event per finding, the latest delivery wins), expire after `PARK_TTL_SECONDS`, and are listed
 * through the sparse index `PARKED_INDEX` (partition `parkedBy` = responder, sort `parkedAt`).
 */

export { isFinalResult, passingStateOf, type PassingState } from './passing-state';

export const PARK_PREFIX = 'park#';
export const PARKED_INDEX = 'parked';
export const PARK_TTL_SECONDS = 14 * 24 * 3600;

export interface ParkedEvent {
  readonly responder: string;
  /** The original event, exactly as delivered. */
  readonly event: unknown;
  readonly incidentId: string;
  readonly state: PassingState;
  /** The first decision's reason and request, for the re-run's link. */
  readonly firstReason: string;
  readonly firstRequestId: string;
  readonly parkedAt: string;
}

export interface Parking {
  park(parked: ParkedEvent): Promise<void>;
  /** Oldest first. */
  list(responder: string, limit: number): Promise<ParkedEvent[]>;
  /** Takes one event out; false when it was already taken (another heartbeat). */
  take(parked: ParkedEvent): Promise<boolean>;
}

/** One item per finding (the idempotency subject), whatever the delivery. */
const keyOf = (responder: string, event: unknown): string => {
  const subject = idempotencySubjectOf(event);
  return `${PARK_PREFIX}${responder}#${sha256Hex(subject ? `${subject.source} ${subject.subject}` : canonicalJson(event as object))}`;
};

export class DynamoParking implements Parking {
  constructor(private readonly options: { readonly ddb: Pick<DynamoDBClient, 'send'>; readonly tableName: string; readonly now?: () => number }) {}

  /** The first parking of a finding keeps its link (first request, reason, time); a later delivery
   * of the same finding only refreshes the event and the state. */
  async park(p: ParkedEvent): Promise<void> {
    const now = (this.options.now ?? Date.now)();
    await this.options.ddb.send(
      new UpdateItemCommand({
        TableName: this.options.tableName,
        Key: { pk: { S: keyOf(p.responder, p.event) } },
        UpdateExpression:
          'SET #by = :by, #event = :event, #incident = :incident, #state = :state, #exp = :exp, ' +
          '#at = if_not_exists(#at, :at), #reason = if_not_exists(#reason, :reason), #rid = if_not_exists(#rid, :rid)',
        ExpressionAttributeNames: {
          '#by': 'parkedBy',
          '#event': 'event',
          '#incident': 'incidentId',
          '#state': 'state',
          '#exp': 'expiration',
          '#at': 'parkedAt',
          '#reason': 'firstReason',
          '#rid': 'firstRequestId',
        },
        ExpressionAttributeValues: {
          ':by': { S: p.responder },
          ':event': { S: JSON.stringify(p.event) },
          ':incident': { S: p.incidentId },
          ':state': { S: p.state },
          ':exp': { N: String(Math.floor(now / 1000) + PARK_TTL_SECONDS) },
          ':at': { S: p.parkedAt },
          ':reason': { S: p.firstReason },
          ':rid': { S: p.firstRequestId },
        },
      }),
    );
  }

  async list(responder: string, limit: number): Promise<ParkedEvent[]> {
    const out = await this.options.ddb.send(
      new QueryCommand({
        TableName: this.options.tableName,
        IndexName: PARKED_INDEX,
        KeyConditionExpression: '#by = :by',
        ExpressionAttributeNames: { '#by': 'parkedBy' },
        ExpressionAttributeValues: { ':by': { S: responder } },
        ScanIndexForward: true,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((item) => ({
      responder,
      event: JSON.parse(item.event?.S ?? 'null') as unknown,
      incidentId: item.incidentId?.S ?? '',
      state: (item.state?.S ?? 'breaker-open') as PassingState,
      firstReason: item.firstReason?.S ?? '',
      firstRequestId: item.firstRequestId?.S ?? '',
      parkedAt: item.parkedAt?.S ?? '',
    }));
  }

  async take(p: ParkedEvent): Promise<boolean> {
    try {
      await this.options.ddb.send(
        new DeleteItemCommand({
          TableName: this.options.tableName,
          Key: { pk: { S: keyOf(p.responder, p.event) } },
          ConditionExpression: '#at = :at',
          ExpressionAttributeNames: { '#at': 'parkedAt' },
          ExpressionAttributeValues: { ':at': { S: p.parkedAt } },
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: unknown }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}

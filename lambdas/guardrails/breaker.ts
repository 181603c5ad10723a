import { ConditionalCheckFailedException, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { errorMessage } from '../shared/errors';
import { BreakerUnavailableError, type Breaker, type BreakerAdmission } from './types';

export interface DynamoBreakerOptions {
  readonly ddb: Pick<DynamoDBClient, 'send'>;
  /** The guardrails table: `pk` (string) partition key, TTL on `expiration` (epoch seconds). */
  readonly tableName: string;
  /** At most this many automatic containments per window. */
  readonly maxContainments: number;
  readonly windowMinutes: number;
  readonly now?: () => number;
}

/** Partition key prefix of breaker items; idempotency items use `idempotency#`. */
export const BREAKER_PREFIX = 'breaker#';

/** Start (ms) of the fixed window `now` falls in; windows are aligned to the epoch. */
export const windowStartOf = (now: number, windowMinutes: number): number => {
  const size = windowMinutes * 60_000;
  return Math.floor(now / size) * size;
};

/**
 * One item per fixed window, `pk = breaker#{windowStartIso}`, counted with
 * `ADD #count :one` under `attribute_not_exists(#count) OR #count < :max`: DynamoDB serialises
 * the writes, so N concurrent admissions on a full window all fail and never overshoot. The item
 * also collects the incident ids it admitted (a string set, for the post-incident review) and
 * expires a day after its window ends.
 *
 * Fixed windows are simple and exact per window; a burst straddling a boundary can reach 2N
 * within `windowMinutes` (documented trade-off: a sliding window needs one item per containment).
 */
export class DynamoBreaker implements Breaker {
  private readonly now: () => number;

  constructor(private readonly options: DynamoBreakerOptions) {
    if (!Number.isInteger(options.maxContainments) || options.maxContainments < 1) {
      throw new Error(`breaker: expected maxContainments to be an integer >= 1, received ${options.maxContainments}`);
    }
    if (!Number.isInteger(options.windowMinutes) || options.windowMinutes < 1) {
      throw new Error(`breaker: expected windowMinutes to be an integer >= 1, received ${options.windowMinutes}`);
    }
    this.now = options.now ?? Date.now;
  }

  async admit(request: { readonly incidentId: string; readonly action: string }): Promise<BreakerAdmission> {
    const { maxContainments: max, windowMinutes } = this.options;
    const start = windowStartOf(this.now(), windowMinutes);
    const windowStart = new Date(start).toISOString();
    const expiration = Math.floor((start + windowMinutes * 60_000) / 1000) + 86_400;
    try {
      const out = await this.options.ddb.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: { pk: { S: `${BREAKER_PREFIX}${windowStart}` } },
          UpdateExpression: 'SET #exp = :exp, #window = :window ADD #count :one, #incidents :incident',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :max',
          ExpressionAttributeNames: { '#count': 'count', '#exp': 'expiration', '#window': 'windowMinutes', '#incidents': 'incidents' },
          ExpressionAttributeValues: {
            ':one': { N: '1' },
            ':max': { N: String(max) },
            ':exp': { N: String(expiration) },
            ':window': { N: String(windowMinutes) },
            ':incident': { SS: [`${request.incidentId} ${request.action}`] },
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const count = Number(out.Attributes?.count?.N ?? Number.NaN);
      return { admitted: true, count: Number.isFinite(count) ? count : max, max, windowMinutes, windowStart };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as { name?: unknown }).name === 'ConditionalCheckFailedException') {
        return { admitted: false, count: max, max, windowMinutes, windowStart };
      }
      throw new BreakerUnavailableError(`blast-radius breaker unavailable (${errorMessage(error)}): acting on nothing`, error);
    }
  }
}

/** A breaker that refuses everything: a responder deployed without its guardrails table. */
export const unavailableBreaker = (why: string): Breaker => ({
  admit: async () => {
    throw new BreakerUnavailableError(`blast-radius breaker unavailable (${why}): acting on nothing`);
  },
});

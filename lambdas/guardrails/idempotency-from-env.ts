import { guardrailsDynamoClient, positiveInt } from './env-shared';
import { GuardrailsPersistenceLayer, IdempotentResponder, type IdempotentResponderOptions } from './idempotency';
import { DynamoParking } from './park';

/**
 * Idempotency of a deployed responder, on GUARDRAILS_TABLE; IDEMPOTENCY_EXPIRY_HOURS (default
 * 168) bounds how long a finding's decision is remembered. Undefined without a table: the handler
 * then logs that duplicates are not suppressed.
 */
export const idempotencyFromEnv = <R>(
  responder: string,
  options: Pick<IdempotentResponderOptions<R>, 'isFinal'>,
  env: NodeJS.ProcessEnv = process.env,
): IdempotentResponder<R> | undefined => {
  const tableName = env.GUARDRAILS_TABLE;
  if (!tableName) return undefined;
  const hours = positiveInt(env.IDEMPOTENCY_EXPIRY_HOURS, 168);
  return new IdempotentResponder<R>({
    responder,
    automatic: new GuardrailsPersistenceLayer({ ddb: guardrailsDynamoClient(), tableName }),
    manual: new GuardrailsPersistenceLayer({ ddb: guardrailsDynamoClient(), tableName }),
    ...(Number.isNaN(hours) ? {} : { automaticExpirySeconds: hours * 3600 }),
    ...options,
  });
};

/** Parking for re-drive (park.ts) on GUARDRAILS_TABLE; undefined without a table. */
export const parkingFromEnv = (env: NodeJS.ProcessEnv = process.env): DynamoParking | undefined =>
  env.GUARDRAILS_TABLE ? new DynamoParking({ ddb: guardrailsDynamoClient(), tableName: env.GUARDRAILS_TABLE }) : undefined;

/** How many parked events one heartbeat re-runs at most (REDRIVE_BATCH, default 25). */
export const redriveBatchFromEnv = (env: NodeJS.ProcessEnv = process.env): number => {
  const n = positiveInt(env.REDRIVE_BATCH, 25);
  return Number.isNaN(n) ? 25 : n;
};

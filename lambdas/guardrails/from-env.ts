import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoBreaker, unavailableBreaker } from './breaker';
import { guardrailsDynamoClient, positiveInt } from './env-shared';
import { ssmModeReader } from './mode';
import type { Breaker, Guardrails } from './types';

/**
 * Guardrails of a deployed responder: the mode from the SSM parameter named by MODE_PARAMETER,
 * cached for MODE_CACHE_SECONDS (default 30), and the blast-radius breaker counted in
 * GUARDRAILS_TABLE (BREAKER_MAX_CONTAINMENTS per BREAKER_WINDOW_MINUTES, defaults 10 per 60).
 * Fails closed: without MODE_PARAMETER the mode is unreadable (act on nothing, escalate); without
 * GUARDRAILS_TABLE, or with a bad limit, every automatic containment escalates.
 */
export const guardrailsFromEnv = (env: NodeJS.ProcessEnv = process.env): Guardrails => {
  const parameterName = env.MODE_PARAMETER;
  const breaker = breakerFromEnv(env);
  if (!parameterName) {
    return {
      mode: async () => {
        throw new Error('MODE_PARAMETER is not set: acting on nothing');
      },
      breaker,
    };
  }
  const ttlSeconds = Number(env.MODE_CACHE_SECONDS ?? '30');
  return {
    mode: ssmModeReader({
      ssm: new SSMClient({}),
      parameterName,
      ttlMs: Number.isFinite(ttlSeconds) && ttlSeconds >= 0 ? ttlSeconds * 1000 : 30_000,
    }),
    breaker,
  };
};


const breakerFromEnv = (env: NodeJS.ProcessEnv): Breaker => {
  const tableName = env.GUARDRAILS_TABLE;
  if (!tableName) return unavailableBreaker('GUARDRAILS_TABLE is not set');
  const maxContainments = positiveInt(env.BREAKER_MAX_CONTAINMENTS, 10);
  const windowMinutes = positiveInt(env.BREAKER_WINDOW_MINUTES, 60);
  if (Number.isNaN(maxContainments) || Number.isNaN(windowMinutes)) {
    return unavailableBreaker(
      `expected BREAKER_MAX_CONTAINMENTS and BREAKER_WINDOW_MINUTES to be integers >= 1, received ${JSON.stringify(env.BREAKER_MAX_CONTAINMENTS)} and ${JSON.stringify(env.BREAKER_WINDOW_MINUTES)}`,
    );
  }
  return new DynamoBreaker({ ddb: guardrailsDynamoClient(), tableName, maxContainments, windowMinutes });
};

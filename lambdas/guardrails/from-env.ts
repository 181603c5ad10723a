import { SSMClient } from '@aws-sdk/client-ssm';
import { ssmModeReader } from './mode';
import type { Guardrails } from './types';

/**
 * Guardrails of a deployed responder: the mode from the SSM parameter named by MODE_PARAMETER,
 * cached for MODE_CACHE_SECONDS (default 30). Without MODE_PARAMETER the mode is unreadable, so
 * the responder acts on nothing and escalates (fail closed).
 */
export const guardrailsFromEnv = (env: NodeJS.ProcessEnv = process.env): Guardrails => {
  const parameterName = env.MODE_PARAMETER;
  if (!parameterName) {
    return {
      mode: async () => {
        throw new Error('MODE_PARAMETER is not set: acting on nothing');
      },
    };
  }
  const ttlSeconds = Number(env.MODE_CACHE_SECONDS ?? '30');
  return {
    mode: ssmModeReader({
      ssm: new SSMClient({}),
      parameterName,
      ttlMs: Number.isFinite(ttlSeconds) && ttlSeconds >= 0 ? ttlSeconds * 1000 : 30_000,
    }),
  };
};

/**
 * Client retry for every call a responder depends on: throttling and 5xx are retried by the SDK
 * with client-side rate limiting (adaptive mode), up to 6 attempts, before a step, an observation
 * or an AssumeRole becomes a failure (and, for AssumeRole, a re-driven `account-access`).
 */
export const RETRY = { retryMode: 'adaptive', maxAttempts: 6 } as const;

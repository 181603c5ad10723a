import { createHash } from 'node:crypto';

/**
 * Incident ids are deterministic from what triggered the response, so a redelivered event or an
 * updated GuardDuty finding lands in the same evidence chain. Safe as an S3 key segment.
 */
export const incidentIdFor = (...parts: readonly string[]): string =>
  `inc-${createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 24)}`;

import { createHash } from 'node:crypto';

/**
 * Incident ids are deterministic from what triggered the response, so a redelivered event or an
 * updated GuardDuty finding lands in the same evidence chain. Safe as an S3 key segment.
 */
export const incidentIdFor = (...parts: readonly string[]): string =>
  `inc-${createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 24)}`;

/** The incident of a manual revoke request (so a caller can link to it before it runs). */
export const manualRevokeIncidentId = (d: {
  readonly account: string;
  readonly accessKeyId?: string | undefined;
  readonly userName?: string | undefined;
  readonly roleName?: string | undefined;
  readonly instanceId?: string | undefined;
  readonly ticket?: string | undefined;
  readonly reason: string;
}): string =>
  incidentIdFor('manual', 'revoke', d.account, d.accessKeyId ?? '', d.userName ?? '', d.roleName ?? '', ...(d.instanceId ? [d.instanceId] : []), d.ticket ?? d.reason);

import { z } from 'zod';
import type { Trigger } from '../evidence/types';
import type { CredentialRequest, CredentialTarget, ParseContext } from './credentials';
import { incidentIdFor } from './incident';

/**
 * AWS Health `AWS_RISK_CREDENTIALS_*` events (AWS found an access key exposed, e.g. in a public
 * repository). Two real shapes: the classic one with the key only in `affectedEntities[].entityValue`,
 * and the current one that also carries `eventMetadata.{publicKey,userName,accountId}` and
 * `affectedAccount`. Every other Health event type is skipped with its code as the reason.
 */

export const CREDENTIAL_EVENT_CODES = [
  'AWS_RISK_CREDENTIALS_EXPOSED',
  'AWS_RISK_CREDENTIALS_COMPROMISED',
  'AWS_RISK_CREDENTIALS_COMPROMISE_SUSPECTED',
  'AWS_RISK_CREDENTIALS_EXPOSURE_SUSPECTED',
] as const;

const KEY_ID = /^A[KS]IA[A-Z0-9]{8,124}$/;
const ACCOUNT = /^\d{12}$/;
const optString = z.string().optional().catch(undefined);

const healthEventSchema = z.object({
  id: z.string().optional(),
  account: z.string().optional(),
  region: z.string().optional(),
  resources: z.array(z.string()).optional().catch(undefined),
  detail: z.object({
    eventArn: optString,
    eventTypeCode: z.string(),
    affectedEntities: z.array(z.object({ entityValue: optString })).optional().catch(undefined),
    affectedAccount: optString,
    eventMetadata: z
      .object({ publicKey: optString, userName: optString, accountId: optString, accessKeyId: optString })
      .optional()
      .catch(undefined),
  }),
});

export const isHealthEvent = (event: Record<string, unknown>): boolean => event.source === 'aws.health';

const isCredentialCode = (code: string): code is (typeof CREDENTIAL_EVENT_CODES)[number] =>
  (CREDENTIAL_EVENT_CODES as readonly string[]).includes(code);

export const parseHealthEvent = (event: Record<string, unknown>, ctx: ParseContext): CredentialRequest => {
  const eventId = typeof event.id === 'string' ? event.id : undefined;
  const parsed = healthEventSchema.safeParse(event);
  const region0 = typeof event.region === 'string' ? event.region : ctx.homeRegion;
  if (!parsed.success) {
    const reason = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    return {
      kind: 'skip',
      trigger: { source: 'aws.health', ...(eventId ? { eventId } : {}) },
      incidentId: incidentIdFor('aws.health', eventId ?? JSON.stringify(event)),
      region: region0,
      reason: `health event is malformed: ${reason}`,
    };
  }
  const e = parsed.data;
  const d = e.detail;
  const trigger: Trigger = {
    source: 'aws.health',
    findingType: d.eventTypeCode,
    ...(d.eventArn ? { findingId: d.eventArn } : {}),
    ...(eventId ? { eventId } : {}),
  };
  const region = e.region ?? ctx.homeRegion;
  if (!isCredentialCode(d.eventTypeCode)) {
    return {
      kind: 'skip',
      trigger,
      incidentId: incidentIdFor('aws.health', d.eventArn ?? eventId ?? d.eventTypeCode),
      region,
      reason: `health event type ${d.eventTypeCode} is not a credential exposure (expected one of ${CREDENTIAL_EVENT_CODES.join(', ')})`,
    };
  }
  // The affected account: organizational view puts it in affectedAccount; otherwise the metadata or envelope.
  const account = [d.affectedAccount, d.eventMetadata?.accountId, e.account].find((a) => a !== undefined && ACCOUNT.test(a)) ??
    d.eventMetadata?.accountId ??
    e.account ??
    ctx.homeAccount;
  const candidates = [
    ...(d.affectedEntities ?? []).map((x) => x.entityValue),
    d.eventMetadata?.publicKey,
    d.eventMetadata?.accessKeyId,
  ].filter((v): v is string => v !== undefined);
  const keys = [...new Set(candidates.filter((v) => KEY_ID.test(v)))];
  const incidentId = incidentIdFor('aws.health', d.eventArn ?? eventId ?? keys.join(','));
  if (keys.length === 0) {
    return {
      kind: 'skip',
      trigger,
      incidentId,
      region,
      reason:
        candidates.length === 0
          ? `health event ${d.eventTypeCode} names no access key (affectedEntities and eventMetadata are empty)`
          : `health event ${d.eventTypeCode} names no access key id: ${candidates.map((c) => JSON.stringify(c)).join(', ')} is not AKIA.../ASIA... (placeholder?)`,
    };
  }
  // eventMetadata.userName belongs to eventMetadata.publicKey; when only one key is named it is that one.
  const metaUser = d.eventMetadata?.userName;
  const targets: CredentialTarget[] = keys.map((accessKeyId) => ({
    kind: 'iam-user-key',
    account,
    accessKeyId,
    ...(metaUser && (d.eventMetadata?.publicKey === accessKeyId || keys.length === 1) ? { userName: metaUser } : {}),
    userCompromised: false,
  }));
  return { kind: 'revoke', trigger, incidentId, region, targets, sample: false, force: false };
};

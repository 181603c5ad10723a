import * as z from 'zod';
import type { Trigger } from '../evidence/types';
import { ACCESS_KEY_ID, ACCOUNT_ID, IAM_NAME, issues } from './common';
import type { CredentialRequest, CredentialTarget, ParseContext, UnactionableTarget } from './credential-types';
import { incidentIdFor } from './incident';

/**
 * AWS Health risk events about credentials. Two real shapes of the exposure events: the classic one
 * with the key only in `affectedEntities[].entityValue`, and the current one that also carries
 * `eventMetadata.{publicKey,userName,accountId}` and `affectedAccount`.
 * - `AWS_RISK_CREDENTIALS_*` (a key exposed, e.g. in a public repository): revoke the key; an event
 *   whose key cannot be parsed ESCALATES (AWS says a key leaked; a human must find it).
 * - `AWS_RISK_IAM_QUARANTINE` (AWS attached its AWSCompromisedKeyQuarantine policy to a user, which
 *   denies only some actions): revoke the key it names (or the user's sessions) and escalate.
 * - `AWS_RISK_ACCOUNT_CONSOLE_COMPROMISE` (console sign-in compromised): quarantine the user it names,
 *   else escalate (root or unknown user: nothing IAM can revoke).
 * Every other Health event type is skipped with its code as the reason.
 */

export const EXPOSURE_EVENT_CODES = [
  'AWS_RISK_CREDENTIALS_EXPOSED',
  'AWS_RISK_CREDENTIALS_COMPROMISED',
  'AWS_RISK_CREDENTIALS_COMPROMISE_SUSPECTED',
  'AWS_RISK_CREDENTIALS_EXPOSURE_SUSPECTED',
] as const;
export const IAM_QUARANTINE_CODE = 'AWS_RISK_IAM_QUARANTINE';
export const CONSOLE_COMPROMISE_CODE = 'AWS_RISK_ACCOUNT_CONSOLE_COMPROMISE';

/** Every Health event type the credential responder handles (the routing rule matches these). */
export const CREDENTIAL_EVENT_CODES = [...EXPOSURE_EVENT_CODES, IAM_QUARANTINE_CODE, CONSOLE_COMPROMISE_CODE] as const;

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
    return {
      kind: 'skip',
      trigger: { source: 'aws.health', ...(eventId ? { eventId } : {}) },
      incidentId: incidentIdFor('aws.health', eventId ?? JSON.stringify(event)),
      region: region0,
      reason: `health event is malformed: ${issues(parsed.error)}`,
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
      reason: `health event type ${d.eventTypeCode} is not a credential risk event (expected one of ${CREDENTIAL_EVENT_CODES.join(', ')})`,
    };
  }
  // The affected account: organizational view puts it in affectedAccount; otherwise the metadata or envelope.
  const account = [d.affectedAccount, d.eventMetadata?.accountId, e.account].find((a) => a !== undefined && ACCOUNT_ID.test(a)) ??
    d.eventMetadata?.accountId ??
    e.account ??
    ctx.homeAccount;
  const candidates = [
    ...(d.affectedEntities ?? []).map((x) => x.entityValue),
    d.eventMetadata?.publicKey,
    d.eventMetadata?.accessKeyId,
  ].filter((v): v is string => v !== undefined);
  const keys = [...new Set(candidates.filter((v) => ACCESS_KEY_ID.test(v)))];
  const incidentId = incidentIdFor('aws.health', d.eventArn ?? eventId ?? keys.join(','));
  const metaUser = d.eventMetadata?.userName !== undefined && IAM_NAME.test(d.eventMetadata.userName) ? d.eventMetadata.userName : undefined;
  const base = { kind: 'revoke' as const, trigger, incidentId, region, sample: false, force: false };
  const code = d.eventTypeCode;
  const unactionable = (why: UnactionableTarget['code'], subject: string, reason: string): UnactionableTarget => ({ kind: 'unactionable', account, code: why, subject, reason });
  if (code === CONSOLE_COMPROMISE_CODE) {
    if (metaUser) return { ...base, targets: [{ kind: 'iam-user', account, userName: metaUser, userCompromised: true }] };
    return {
      ...base,
      targets: [
        unactionable(
          'console-compromise',
          account,
          `health event ${code}: the console sign-in of account ${account} may be compromised and the event names no IAM user: reset the root password and MFA, review users with console passwords (nothing IAM can revoke automatically)`,
        ),
      ],
    };
  }
  // eventMetadata.userName belongs to eventMetadata.publicKey; when only one key is named it is that one.
  const targets: CredentialTarget[] = keys.map((accessKeyId) => ({
    kind: 'iam-user-key',
    account,
    accessKeyId,
    ...(metaUser && (d.eventMetadata?.publicKey === accessKeyId || keys.length === 1) ? { userName: metaUser } : {}),
    userCompromised: false,
  }));
  if (code === IAM_QUARANTINE_CODE) {
    if (targets.length === 0 && metaUser) targets.push({ kind: 'iam-user', account, userName: metaUser, userCompromised: false });
    targets.push(
      unactionable(
        'aws-quarantine',
        metaUser ?? (keys.length > 0 ? keys.join(',') : account),
        `health event ${code}: AWS attached its AWSCompromisedKeyQuarantine policy to ${metaUser ? `user ${metaUser}` : 'a user'}${keys.length > 0 ? ` (key ${keys.join(', ')})` : ''}; it denies only some actions: rotate the key, review CloudTrail, then detach AWS's policy`,
      ),
    );
    return { ...base, targets };
  }
  if (keys.length === 0) {
    const what =
      candidates.length === 0
        ? 'affectedEntities and eventMetadata are empty'
        : `${candidates.map((c) => JSON.stringify(c)).join(', ')} is not AKIA.../ASIA... (placeholder?)`;
    return {
      ...base,
      targets: [
        unactionable(
          'key-unparsable',
          metaUser ?? account,
          `health event ${code} reports an exposed access key but names no parsable key id (${what}): find the key in the AWS Support case and revoke it with {action:'revoke', accessKeyId}`,
        ),
      ],
    };
  }
  return { ...base, targets };
};

import * as z from 'zod';
import type { Trigger } from '../evidence/types';
import { ACCESS_KEY_ID, ACCOUNT_ID, IAM_NAME, INSTANCE_ID, isRecord, issues, REGION } from './common';
import { skipRequest as skip, type CredentialRequest, type CredentialTarget, type ParseContext } from './credential-types';
import { incidentIdFor, manualRevokeIncidentId } from './incident';

/**
 * Manual payloads of the credential responder: `{action: 'revoke', accessKeyId | userName |
 * roleName, ...}`, a revoke `pattern` (preview, then confirm), and `{action: 'restore', incidentId}`.
 */

const text = (what: string) => z.string({ error: `${what} must be a non-empty string` }).trim().min(1, { error: `${what} must be a non-empty string` });
const accountSchema = z.string().regex(ACCOUNT_ID, { error: 'account must be a 12-digit account id' });
const userNameSchema = z.string().regex(IAM_NAME, { error: 'userName must be an IAM user name' });
const roleNameSchema = z.string().regex(IAM_NAME, { error: 'roleName must be an IAM role name' });
const keyIdSchema = z.string().regex(ACCESS_KEY_ID, { error: 'accessKeyId must look like AKIA... or ASIA...' });

const common = {
  account: accountSchema.optional(),
  reason: text('reason'),
  requestedBy: text('requestedBy'),
  ticket: text('ticket').optional(),
};

export const manualRevokeSchema = z
  .strictObject({
    action: z.literal('revoke'),
    accessKeyId: keyIdSchema.optional(),
    userName: userNameSchema.optional(),
    roleName: roleNameSchema.optional(),
    /** With roleName: cut only the sessions issued to this instance (default: every session of the role). */
    instanceId: z.string().regex(INSTANCE_ID, { error: 'instanceId must look like i-0123456789abcdef0' }).optional(),
    /** With instanceId: the instance's region (instance ARNs are regional; default: the function's). */
    instanceRegion: z.string().regex(REGION, { error: 'instanceRegion must look like eu-west-1' }).optional(),
    force: z.boolean().optional(),
    ...common,
  })
  .refine((p) => (p.accessKeyId !== undefined || p.userName !== undefined) !== (p.roleName !== undefined), {
    error: 'give accessKeyId (optionally with userName), userName, or roleName',
  })
  .refine((p) => p.instanceId === undefined || p.roleName !== undefined, { error: 'instanceId needs roleName (the role of the instance profile)' })
  .refine((p) => p.instanceRegion === undefined || p.instanceId !== undefined, { error: 'instanceRegion needs instanceId' });

export const manualPatternSchema = z.strictObject({
  action: z.literal('revoke'),
  pattern: z
    .strictObject({
      accessKeyId: keyIdSchema.optional(),
      userName: userNameSchema.optional(),
      pathPrefix: z.string().regex(/^\/([\x21-\x7e]*\/)?$/, { error: 'pathPrefix must start and end with /' }).optional(),
      tag: z.strictObject({ key: text('tag.key'), value: z.string() }).optional(),
      olderThanDays: z.number().int().min(0).optional(),
    })
    .refine((p) => Object.keys(p).length > 0, { error: 'pattern must name at least one of accessKeyId, userName, pathPrefix, tag, olderThanDays' }),
  preview: z.boolean().optional(),
  quarantineUser: z.boolean().optional(),
  confirm: z.string().regex(/^[0-9a-f]{64}$/, { error: 'confirm must be the 64-hex digest returned by the preview' }).optional(),
  ...common,
});

export const manualRestoreSchema = z.strictObject({
  action: z.literal('restore'),
  incidentId: z.string().regex(/^inc-[0-9a-f]{24}$/, { error: 'incidentId must look like inc-<24 hex>' }),
  reason: text('reason'),
  requestedBy: text('requestedBy'),
  ticket: text('ticket').optional(),
});

export const parseManual = (payload: Record<string, unknown>, ctx: ParseContext): CredentialRequest => {
  const trigger: Trigger = { source: 'manual', ...(ctx.requestId ? { eventId: ctx.requestId } : {}) };
  const region = ctx.homeRegion;
  if (payload.action === 'restore') {
    const p = manualRestoreSchema.safeParse(payload);
    if (!p.success) {
      return skip({ trigger, region, incidentId: incidentIdFor('manual', JSON.stringify(payload)) }, `rejects restore request: ${issues(p.error)}`);
    }
    return {
      kind: 'restore',
      trigger,
      region,
      incidentId: p.data.incidentId,
      requestedBy: p.data.requestedBy,
      reason: p.data.reason,
      ...(p.data.ticket ? { ticket: p.data.ticket } : {}),
    };
  }
  if (payload.action !== 'revoke') {
    return skip(
      { trigger, region, incidentId: incidentIdFor('manual', JSON.stringify(payload)) },
      `manual action must be 'revoke' or 'restore', received ${JSON.stringify(payload.action)}`,
    );
  }
  if ('pattern' in payload) {
    const p = manualPatternSchema.safeParse(payload);
    if (!p.success) {
      return skip({ trigger, region, incidentId: incidentIdFor('manual', JSON.stringify(payload)) }, `rejects pattern request: ${issues(p.error)}`);
    }
    const d = p.data;
    const account = d.account ?? ctx.homeAccount;
    return {
      kind: 'pattern',
      trigger,
      region,
      // Preview and confirm of the same pattern land in the same incident.
      incidentId: incidentIdFor('manual', 'revoke-pattern', account, JSON.stringify(sortKeys(d.pattern)), d.requestedBy, d.ticket ?? d.reason),
      account,
      pattern: d.pattern,
      preview: d.preview === true,
      ...(d.confirm ? { confirm: d.confirm } : {}),
      quarantineUser: d.quarantineUser === true,
      requestedBy: d.requestedBy,
      reason: d.reason,
      ...(d.ticket ? { ticket: d.ticket } : {}),
    };
  }
  const p = manualRevokeSchema.safeParse(payload);
  if (!p.success) {
    return skip({ trigger, region, incidentId: incidentIdFor('manual', JSON.stringify(payload)) }, `rejects revoke request: ${issues(p.error)}`);
  }
  const d = p.data;
  const account = d.account ?? ctx.homeAccount;
  const target: CredentialTarget = d.roleName
    ? // A manual request naming only the role asks for the role-wide cut; with an instance, only its sessions.
      { kind: 'role-session', account, roleName: d.roleName, ...(d.instanceId ? { instanceId: d.instanceId } : { scope: 'role' as const }) }
    : d.accessKeyId
      ? { kind: 'iam-user-key', account, accessKeyId: d.accessKeyId, ...(d.userName ? { userName: d.userName } : {}), userCompromised: false }
      : // A manual request naming only a user says the user itself is compromised.
        { kind: 'iam-user', account, userName: d.userName ?? '', userCompromised: true };
  return {
    kind: 'revoke',
    trigger,
    region: d.instanceRegion ?? region,
    incidentId: manualRevokeIncidentId({ ...d, account }),
    targets: [target],
    sample: false,
    requestedBy: d.requestedBy,
    reason: d.reason,
    ...(d.ticket ? { ticket: d.ticket } : {}),
    force: d.force === true,
  };
};

const sortKeys = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(sortKeys)
    : isRecord(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, sortKeys(v[k])]),
        )
      : v;

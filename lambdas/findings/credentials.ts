import * as z from 'zod';
import type { TargetRef, Trigger } from '../evidence/types';
import {
  eventBridgeEnvelopeSchema,
  findingLocation,
  GUARDDUTY_FINDING_DETAIL_TYPE,
  GUARDDUTY_SOURCE,
  guardDutyFindingSchema,
  guardDutyIncidentId,
  isSampleFinding,
  looksLikeGuardDutyFinding,
  type EventBridgeEnvelope,
  type GuardDutyFinding,
} from './guardduty';
import { isHealthEvent, parseHealthEvent } from './health';
import { incidentIdFor, manualRevokeIncidentId } from './incident';
import {
  asffFindingSchema,
  asffFindingType,
  asffIncidentId,
  asffSeverity,
  customActionDetailSchema,
  isAsffSample,
  parseArn,
  SECURITYHUB_CUSTOM_ACTION_DETAIL_TYPE,
  SECURITYHUB_SOURCE,
  type AsffFinding,
} from './securityhub';

/**
 * Credential events -> one typed request for the credential responder (lambdas/credentials).
 *
 * Sources: GuardDuty IAM findings (EventBridge `GuardDuty Finding` with `resource.resourceType`
 * `AccessKey`, or the bare finding a drill or `cordon invoke` sends), AWS Health
 * `AWS_RISK_CREDENTIALS_*` events (health.ts), Security Hub custom actions on `AwsIamAccessKey`
 * resources, and manual payloads (`{action: 'revoke' | 'restore', ...}`).
 *
 * Nothing here throws on a shape it does not know: every input ends as a request or as a `skip`
 * with the specific reason, which the responder evidences.
 */

// ---------------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------------

/** A long-term (AKIA) or temporary (ASIA) access key of an IAM user. */
export interface IamUserKeyTarget {
  readonly kind: 'iam-user-key';
  readonly account: string;
  readonly accessKeyId: string;
  /** Unknown for some Health events and manual requests: resolved with GetAccessKeyLastUsed. */
  readonly userName?: string;
  readonly principalId?: string;
  /** The finding shows the user itself compromised (console sign-in), not only one key. */
  readonly userCompromised: boolean;
}

/** An IAM user whose leaked key is unknown (Security Hub `AWS::IAM::AccessKey:null`, manual `userName`). */
export interface IamUserTarget {
  readonly kind: 'iam-user';
  readonly account: string;
  readonly userName: string;
  readonly principalId?: string;
  readonly userCompromised: boolean;
}

/** Sessions of an assumed role (stolen instance credentials, ...). */
export interface RoleSessionTarget {
  readonly kind: 'role-session';
  readonly account: string;
  /** GuardDuty puts the role name in `userName` for AssumedRole; absent -> escalate. */
  readonly roleName?: string;
  /** `AROA...:session-name`. */
  readonly principalId?: string;
  readonly sessionName?: string;
  readonly accessKeyId?: string;
  /** The EC2 instance the session belongs to (instance role, e.g. InstanceCredentialExfiltration). */
  readonly instanceId?: string;
  /** `role`: a manual request asks explicitly for the role-wide cut (every holder of the role). */
  readonly scope?: 'role';
}

export interface RootTarget {
  readonly kind: 'root';
  readonly account: string;
  readonly accessKeyId?: string;
}

/** GetFederationToken / SAML / web-identity federated users: no IAM resource to act on. */
export interface FederatedTarget {
  readonly kind: 'federated';
  readonly account: string;
  readonly principalId?: string;
  readonly userName?: string;
  readonly accessKeyId?: string;
}

/** A user type Cordon does not know how to revoke (AWSService, AWSAccount, ...): escalated. */
export interface UnknownPrincipalTarget {
  readonly kind: 'unknown-principal';
  readonly account: string;
  readonly userType: string;
  readonly principalId?: string;
  readonly userName?: string;
  readonly accessKeyId?: string;
}

/**
 * An event that must reach a human although nothing in it can be revoked automatically: an
 * exposure naming no parsable key, an account console compromise, AWS's own quarantine.
 */
export interface UnactionableTarget {
  readonly kind: 'unactionable';
  readonly account: string;
  readonly code: 'key-unparsable' | 'console-compromise' | 'aws-quarantine';
  /** What the event names (user, key, account), for the evidence target. */
  readonly subject: string;
  readonly reason: string;
}

export type CredentialTarget =
  | IamUserKeyTarget
  | IamUserTarget
  | RoleSessionTarget
  | RootTarget
  | FederatedTarget
  | UnknownPrincipalTarget
  | UnactionableTarget;

/** Manual pattern: every field given must match (AND). */
export interface KeyPattern {
  readonly accessKeyId?: string;
  readonly userName?: string;
  readonly pathPrefix?: string;
  readonly tag?: { readonly key: string; readonly value: string };
  readonly olderThanDays?: number;
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

interface RequestBase {
  readonly trigger: Trigger;
  readonly incidentId: string;
  /** Region of the event; IAM itself is global. */
  readonly region: string;
}

export interface RevokeRequest extends RequestBase {
  readonly kind: 'revoke';
  readonly targets: readonly CredentialTarget[];
  /** GuardDuty sample finding or placeholder ids: never acts in enforce mode. */
  readonly sample: boolean;
  /** Recorded as evidence only: the session cut-off is the time of processing, never this. */
  readonly eventLastSeen?: string;
  readonly requestedBy?: string;
  readonly reason?: string;
  readonly ticket?: string;
  /** Manual only: act on protected-tag / allowlisted principals (never root, SLR, SSO, own roles). */
  readonly force: boolean;
}

export interface PatternRequest extends RequestBase {
  readonly kind: 'pattern';
  readonly account: string;
  readonly pattern: KeyPattern;
  readonly preview: boolean;
  readonly confirm?: string;
  /** Quarantine every matching user too (AWSDenyAll + console password): only when the request says so. */
  readonly quarantineUser: boolean;
  readonly requestedBy: string;
  readonly reason: string;
  readonly ticket?: string;
}

export interface RestoreRequest extends RequestBase {
  readonly kind: 'restore';
  readonly requestedBy: string;
  readonly reason: string;
  readonly ticket?: string;
}

export interface SkipRequest extends RequestBase {
  readonly kind: 'skip';
  readonly reason: string;
  readonly target?: TargetRef;
}

export type CredentialRequest = RevokeRequest | PatternRequest | RestoreRequest | SkipRequest;

/** What the parser needs to know about where it runs. */
export interface ParseContext {
  /** Account of the responder: the default for manual requests. */
  readonly homeAccount: string;
  readonly homeRegion: string;
  /** Lambda request id: the event id of a manual invocation. */
  readonly requestId?: string;
}

// ---------------------------------------------------------------------------------------------
// Helpers shared with health.ts
// ---------------------------------------------------------------------------------------------

/** AKIA (long-term user key) or ASIA (temporary, STS) access key id. */
export const ACCESS_KEY_ID = /^A[KS]IA[A-Z0-9]{8,124}$/;
export const isTemporaryKey = (accessKeyId: string): boolean => accessKeyId.startsWith('ASIA');
const ACCOUNT = /^\d{12}$/;
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
const GENERATED = /^GeneratedFinding/;

export const issues = (error: z.ZodError): string =>
  error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');

const skip = (base: RequestBase, reason: string, target?: TargetRef): SkipRequest => ({
  kind: 'skip',
  ...base,
  reason,
  ...(target ? { target } : {}),
});

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** GuardDuty finding types that show the user itself compromised (console password), not one key. */
export const USER_COMPROMISE_TYPES = /(^|\/)UnauthorizedAccess:IAMUser[/-]ConsoleLogin/;
export const isUserCompromise = (findingType: string | undefined): boolean =>
  findingType !== undefined && USER_COMPROMISE_TYPES.test(findingType);

// ---------------------------------------------------------------------------------------------
// GuardDuty
// ---------------------------------------------------------------------------------------------

const optString = z.string().optional().catch(undefined);

/** What the credential responder reads from `resource.accessKeyDetails`. */
interface AccessKeyDetails {
  readonly accessKeyId?: string | null | undefined;
  readonly principalId?: string | null | undefined;
  readonly userName?: string | null | undefined;
  readonly userType?: string | null | undefined;
}

const guardDutyTarget = (f: GuardDutyFinding, account: string, details: AccessKeyDetails): CredentialTarget => {
  const accessKeyId = details.accessKeyId ?? undefined;
  const principalId = details.principalId ?? undefined;
  const userName = details.userName ?? undefined;
  const userType = details.userType ?? '(none)';
  const opt = <K extends string, V>(key: K, value: V | undefined) => (value === undefined ? {} : { [key]: value } as Record<K, V>);
  switch (userType) {
    case 'IAMUser':
      if (accessKeyId) {
        return {
          kind: 'iam-user-key',
          account,
          accessKeyId,
          ...opt('userName', userName),
          ...opt('principalId', principalId),
          userCompromised: isUserCompromise(f.type),
        };
      }
      if (userName) {
        return { kind: 'iam-user', account, userName, ...opt('principalId', principalId), userCompromised: isUserCompromise(f.type) };
      }
      return { kind: 'unknown-principal', account, userType, ...opt('principalId', principalId) };
    case 'AssumedRole': {
      const sessionName = principalId?.includes(':') ? principalId.slice(principalId.indexOf(':') + 1) : undefined;
      const fromFinding = f.resource?.instanceDetails?.instanceId ?? undefined;
      const instanceId =
        fromFinding && INSTANCE_ID.test(fromFinding) ? fromFinding : sessionName && INSTANCE_ID.test(sessionName) ? sessionName : undefined;
      return {
        kind: 'role-session',
        account,
        ...opt('roleName', userName),
        ...opt('principalId', principalId),
        ...opt('sessionName', sessionName),
        ...opt('accessKeyId', accessKeyId),
        ...opt('instanceId', instanceId),
      };
    }
    case 'Root':
      return { kind: 'root', account, ...opt('accessKeyId', accessKeyId) };
    case 'Federated':
    case 'FederatedUser':
      return { kind: 'federated', account, ...opt('principalId', principalId), ...opt('userName', userName), ...opt('accessKeyId', accessKeyId) };
    default:
      return {
        kind: 'unknown-principal',
        account,
        userType,
        ...opt('principalId', principalId),
        ...opt('userName', userName),
        ...opt('accessKeyId', accessKeyId),
      };
  }
};

const targetRefOf = (t: CredentialTarget): TargetRef => {
  switch (t.kind) {
    case 'iam-user-key':
      return { type: 'iam-access-key', id: t.accessKeyId, account: t.account };
    case 'iam-user':
      return { type: 'iam-user', id: t.userName, account: t.account };
    case 'role-session':
      return { type: 'iam-role', id: t.roleName ?? t.principalId ?? '(unknown role)', account: t.account };
    case 'root':
      return { type: 'iam-root', id: t.account, account: t.account };
    case 'federated':
      return { type: 'iam-federated-user', id: t.principalId ?? t.userName ?? '(unknown)', account: t.account };
    case 'unknown-principal':
      return { type: `iam-${t.userType}`, id: t.principalId ?? t.userName ?? t.accessKeyId ?? '(unknown)', account: t.account };
    case 'unactionable':
      return { type: 'iam', id: t.subject, account: t.account };
  }
};
export { targetRefOf };

const parseGuardDutyFinding = (
  detail: unknown,
  envelope: { id?: string | undefined; account?: string | undefined; region?: string | undefined },
  fallbackRegion: string,
): CredentialRequest => {
  const eventId = envelope.id;
  const parsed = guardDutyFindingSchema.safeParse(detail);
  const rawId = isRecord(detail) && typeof detail.id === 'string' ? detail.id : undefined;
  const base0: RequestBase = {
    trigger: { source: GUARDDUTY_SOURCE, ...(rawId ? { findingId: rawId } : {}), ...(eventId ? { eventId } : {}) },
    incidentId: incidentIdFor(GUARDDUTY_SOURCE, rawId ?? eventId ?? safeJson(detail)),
    region: envelope.region ?? fallbackRegion,
  };
  if (!parsed.success) return skip(base0, `guardduty finding is malformed: ${issues(parsed.error)}`);
  const f = parsed.data;
  const where = findingLocation(f, envelope);
  const account = where.account ?? '';
  const severity = f.severity ?? undefined;
  const base: RequestBase = {
    trigger: {
      source: GUARDDUTY_SOURCE,
      findingId: f.id,
      findingType: f.type,
      ...(severity === undefined ? {} : { severity }),
      ...(eventId ? { eventId } : {}),
    },
    incidentId: guardDutyIncidentId(where.account, f.id),
    region: where.region ?? fallbackRegion,
  };
  const resourceType = f.resource?.resourceType ?? undefined;
  if (resourceType === undefined) return skip(base, `guardduty finding ${f.type} has no resource: no credential to revoke`);
  if (resourceType !== 'AccessKey') {
    return skip(base, `guardduty finding ${f.type} is about resource type ${resourceType}, not AccessKey: handled by another responder`);
  }
  const details = f.resource?.accessKeyDetails;
  if (!details) return skip(base, `guardduty finding ${f.type} has resource type AccessKey but no accessKeyDetails`);
  if (f.type.startsWith('Policy:') && details.userType !== 'Root') {
    return skip(base, `guardduty finding ${f.type} reports a configuration change, not leaked credentials: no revocation`);
  }
  if (!account) return skip(base, `guardduty finding ${f.type} names no account`);
  const target = guardDutyTarget(f, account, details);
  const placeholder = [details.accessKeyId, details.userName, details.principalId, details.userType].some(
    (v) => typeof v === 'string' && GENERATED.test(v),
  );
  const lastSeen = typeof f.service?.eventLastSeen === 'string' ? f.service.eventLastSeen : undefined;
  return {
    kind: 'revoke',
    ...base,
    targets: [target],
    sample: isSampleFinding(f) || placeholder,
    ...(lastSeen ? { eventLastSeen: lastSeen } : {}),
    force: false,
  };
};

// ---------------------------------------------------------------------------------------------
// Security Hub custom actions
// ---------------------------------------------------------------------------------------------

/** `Resources[].Details.AwsIamAccessKey`: older findings carry only `UserName`, newer ones `Principal*`. */
const iamAccessKeyDetailsSchema = z.object({
  AwsIamAccessKey: z
    .object({
      UserName: optString,
      PrincipalName: optString,
      PrincipalType: optString,
      PrincipalId: optString,
      AccessKeyId: optString,
    })
    .optional()
    .catch(undefined),
});

const ACCESS_KEY_ID_PREFIX = 'AWS::IAM::AccessKey:';

const asffTargets = (f: AsffFinding): { targets: CredentialTarget[]; reasons: string[]; sample: boolean } => {
  const targets: CredentialTarget[] = [];
  const reasons: string[] = [];
  let sample = isAsffSample(f);
  const findingType = asffFindingType(f);
  const account = f.AwsAccountId ?? parseArn(f.Id)?.account ?? '';
  if (!account) return { targets, reasons: ['the finding names no account (AwsAccountId)'], sample };
  for (const r of f.Resources) {
    if (r.Type !== 'AwsIamAccessKey') {
      reasons.push(`resource ${r.Id} is of type ${r.Type}, not AwsIamAccessKey`);
      continue;
    }
    const parsed = iamAccessKeyDetailsSchema.safeParse(r.Details ?? {});
    const d = parsed.success ? parsed.data.AwsIamAccessKey : undefined;
    const fromId = r.Id.startsWith(ACCESS_KEY_ID_PREFIX) ? r.Id.slice(ACCESS_KEY_ID_PREFIX.length) : undefined;
    const keyId = d?.AccessKeyId ?? (fromId && fromId !== 'null' ? fromId : undefined);
    const name = d?.PrincipalName ?? d?.UserName;
    const type = d?.PrincipalType ?? 'IAMUser';
    if ([keyId, name].some((v) => v !== undefined && GENERATED.test(v))) sample = true;
    const pid = d?.PrincipalId ? { principalId: d.PrincipalId } : {};
    if (type === 'AssumedRole') {
      if (!name && !keyId) {
        reasons.push(`resource ${r.Id}: assumed-role key with neither key id nor principal name`);
        continue;
      }
      targets.push({ kind: 'role-session', account, ...(name ? { roleName: name } : {}), ...pid, ...(keyId ? { accessKeyId: keyId } : {}) });
    } else if (type === 'Root') {
      targets.push({ kind: 'root', account, ...(keyId ? { accessKeyId: keyId } : {}) });
    } else if (type === 'Federated' || type === 'FederatedUser') {
      targets.push({ kind: 'federated', account, ...pid, ...(name ? { userName: name } : {}), ...(keyId ? { accessKeyId: keyId } : {}) });
    } else if (type !== 'IAMUser') {
      targets.push({ kind: 'unknown-principal', account, userType: type, ...pid, ...(name ? { userName: name } : {}) });
    } else if (keyId) {
      targets.push({ kind: 'iam-user-key', account, accessKeyId: keyId, ...(name ? { userName: name } : {}), ...pid, userCompromised: isUserCompromise(findingType) });
    } else if (name) {
      targets.push({ kind: 'iam-user', account, userName: name, ...pid, userCompromised: isUserCompromise(findingType) });
    } else {
      reasons.push(`resource ${r.Id}: the access key id is null and Details.AwsIamAccessKey names no user (PrincipalName/UserName)`);
    }
  }
  return { targets, reasons, sample };
};

const parseSecurityHub = (envelope: EventBridgeEnvelope, fallbackRegion: string): CredentialRequest => {
  const eventId = envelope.id;
  const region = envelope.region ?? fallbackRegion;
  const trigger0: Trigger = { source: SECURITYHUB_SOURCE, ...(eventId ? { eventId } : {}) };
  const base0: RequestBase = { trigger: trigger0, incidentId: incidentIdFor(SECURITYHUB_SOURCE, eventId ?? safeJson(envelope.detail)), region };
  if (envelope['detail-type'] !== SECURITYHUB_CUSTOM_ACTION_DETAIL_TYPE) {
    return skip(
      base0,
      `security hub detail-type '${envelope['detail-type']}' is not acted on: credentials are revoked from Security Hub only through a custom action (GuardDuty findings arrive directly)`,
    );
  }
  const detail = customActionDetailSchema.safeParse(envelope.detail);
  if (!detail.success) return skip(base0, `security hub custom action has no findings: ${issues(detail.error)}`);
  const findings: AsffFinding[] = [];
  const reasons: string[] = [];
  for (const [i, raw] of detail.data.findings.entries()) {
    const f = asffFindingSchema.safeParse(raw);
    if (f.success) findings.push(f.data);
    else reasons.push(`findings[${i}] is malformed: ${issues(f.error)}`);
  }
  const first = findings[0];
  const severity = first ? asffSeverity(first) : undefined;
  const findingType = first ? asffFindingType(first) : undefined;
  const base: RequestBase = {
    trigger: {
      ...trigger0,
      ...(findings.length === 1 && first ? { findingId: first.Id } : {}),
      ...(findingType ? { findingType } : {}),
      ...(severity === undefined ? {} : { severity }),
    },
    incidentId:
      findings.length === 1 && first
        ? asffIncidentId(first)
        : findings.length > 1
          ? incidentIdFor(SECURITYHUB_SOURCE, ...findings.map((f) => f.Id).sort())
          : base0.incidentId,
    region,
  };
  const targets: CredentialTarget[] = [];
  let sample = false;
  for (const f of findings) {
    const out = asffTargets(f);
    targets.push(...out.targets);
    reasons.push(...out.reasons.map((r) => `${f.Id}: ${r}`));
    sample ||= out.sample;
  }
  if (targets.length === 0) {
    return skip(base, `security hub custom action names no IAM access key: ${reasons.join('; ')}`);
  }
  return { kind: 'revoke', ...base, targets, sample, force: false };
};

// ---------------------------------------------------------------------------------------------
// Manual payloads
// ---------------------------------------------------------------------------------------------

const text = (what: string) => z.string({ error: `${what} must be a non-empty string` }).trim().min(1, { error: `${what} must be a non-empty string` });
const accountSchema = z.string().regex(ACCOUNT, { error: 'account must be a 12-digit account id' });
const userNameSchema = z.string().regex(/^[\w+=,.@-]{1,64}$/, { error: 'userName must be an IAM user name' });
const roleNameSchema = z.string().regex(/^[\w+=,.@-]{1,64}$/, { error: 'roleName must be an IAM role name' });
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
    instanceRegion: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: 'instanceRegion must look like eu-west-1' }).optional(),
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

const parseManual = (payload: Record<string, unknown>, ctx: ParseContext): CredentialRequest => {
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

// ---------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------

/**
 * Parses anything the credential responder may receive. Never throws: unknown shapes become a
 * `skip` with the reason.
 */
export const parseCredentialEvent = (event: unknown, ctx: ParseContext): CredentialRequest => {
  const fallback: RequestBase = {
    trigger: { source: 'unknown', ...(ctx.requestId ? { eventId: ctx.requestId } : {}) },
    incidentId: incidentIdFor('unparsed', safeJson(event)),
    region: ctx.homeRegion,
  };
  if (!isRecord(event)) return skip(fallback, `expected an event object, received ${event === null ? 'null' : typeof event}`);
  if ('action' in event && !('source' in event) && !('detail' in event)) return parseManual(event, ctx);
  if (isHealthEvent(event)) return parseHealthEvent(event, ctx);
  const env = eventBridgeEnvelopeSchema.safeParse(event);
  if (env.success) {
    const e = env.data;
    const region = e.region ?? ctx.homeRegion;
    if (e.source === GUARDDUTY_SOURCE) {
      if (e['detail-type'] !== GUARDDUTY_FINDING_DETAIL_TYPE) {
        return skip(
          { ...fallback, trigger: { source: e.source, ...(e.id ? { eventId: e.id } : {}) }, region },
          `guardduty detail-type '${e['detail-type']}' is not a finding`,
        );
      }
      return parseGuardDutyFinding(e.detail, e, ctx.homeRegion);
    }
    if (e.source === SECURITYHUB_SOURCE) return parseSecurityHub(e, ctx.homeRegion);
    return skip(
      { ...fallback, trigger: { source: e.source, ...(e.id ? { eventId: e.id } : {}) }, region },
      `source ${e.source} (${e['detail-type']}) carries no credential finding Cordon revokes`,
    );
  }
  if (looksLikeGuardDutyFinding(event)) return parseGuardDutyFinding(event, {}, ctx.homeRegion);
  if (Array.isArray(event.Findings)) {
    return skip(fallback, 'this is a GetFindings API response (PascalCase), not an event: send the finding as EventBridge delivers it');
  }
  if (typeof event.SchemaVersion === 'string' && Array.isArray(event.Resources)) {
    return skip(fallback, 'this is a bare Security Hub (ASFF) finding, not an event: revoke through a Security Hub custom action');
  }
  if (typeof event.eventSource === 'string' && typeof event.eventName === 'string') {
    return skip(fallback, `this is a bare CloudTrail record (${event.eventSource} ${event.eventName}), not a finding: Cordon revokes on GuardDuty, Health and Security Hub findings`);
  }
  if (isRecord(event.detail) && typeof event.region === 'string' && !('source' in event)) {
    return skip(fallback, 'partial EventBridge envelope (no source / detail-type): not acted on');
  }
  return skip(fallback, `unrecognised event: ${env.error ? issues(env.error) : 'no source'}`);
};

const safeJson = (v: unknown): string => {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};

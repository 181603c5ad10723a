import * as z from 'zod';
import type { Trigger } from '../evidence/types';
import type { EventBridgeEnvelope } from './guardduty';
import { GENERATED, issues, safeJson } from './common';
import {
  isUserCompromise,
  skipRequest as skip,
  type CredentialRequest,
  type CredentialTarget,
  type RequestBase,
} from './credential-types';
import { incidentIdFor } from './incident';
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
 * Security Hub custom actions on `AwsIamAccessKey` resources -> one revoke request for every key
 * (or user, or role session) the selected findings name.
 */

const optString = z.string().optional().catch(undefined);


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

export const parseSecurityHub = (envelope: EventBridgeEnvelope, fallbackRegion: string): CredentialRequest => {
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

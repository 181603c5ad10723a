import {
  findingLocation,
  GUARDDUTY_SOURCE,
  guardDutyFindingSchema,
  guardDutyIncidentId,
  isSampleFinding,
  type GuardDutyFinding,
} from './guardduty';
import { GENERATED, INSTANCE_ID, isRecord, issues, safeJson } from './common';
import { isUserCompromise, skipRequest as skip, type CredentialRequest, type CredentialTarget, type RequestBase } from './credential-types';
import { incidentIdFor } from './incident';

/**
 * GuardDuty IAM findings (`resource.resourceType` `AccessKey`) -> a revoke request naming the
 * principal of `resource.accessKeyDetails`, by its user type.
 */

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
  /** Whatever the finding names of a principal Cordon cannot act on (federated, unknown types). */
  const named = { ...opt('principalId', principalId), ...opt('userName', userName), ...opt('accessKeyId', accessKeyId) };
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
      return { kind: 'federated', account, ...named };
    default:
      return { kind: 'unknown-principal', account, userType, ...named };
  }
};

export const parseGuardDutyFinding = (
  detail: unknown,
  envelope: { id?: string | undefined; account?: string | undefined; region?: string | undefined },
  fallbackRegion: string,
): CredentialRequest => {
  const eventId = envelope.id;
  const parsed = guardDutyFindingSchema.safeParse(detail);
  const rawId = isRecord(detail) && typeof detail.id === 'string' ? detail.id : undefined;
  if (!parsed.success) {
    const malformed: RequestBase = {
      trigger: { source: GUARDDUTY_SOURCE, ...(rawId ? { findingId: rawId } : {}), ...(eventId ? { eventId } : {}) },
      incidentId: incidentIdFor(GUARDDUTY_SOURCE, rawId ?? eventId ?? safeJson(detail)),
      region: envelope.region ?? fallbackRegion,
    };
    return skip(malformed, `guardduty finding is malformed: ${issues(parsed.error)}`);
  }
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

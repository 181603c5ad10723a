import * as z from 'zod';
import { incidentIdFor } from './incident';

/**
 * Shared GuardDuty parsing: the EventBridge envelope, the finding (camelCase, as in the event
 * `detail`, the S3 export and the REST wire format), the sample-finding check, and the conversion
 * of an SDK `GetFindings` result (PascalCase member names) into the same camelCase shape.
 *
 * Schemas are deliberately loose (`looseObject`, optional fields): real findings vary by era and
 * feature (no `networkInterfaces`, only `instanceId`, `asn` as string, severity as "5.0", ...).
 * Responders validate the few fields they act on and keep the rest as raw evidence.
 */

export const GUARDDUTY_SOURCE = 'aws.guardduty';
export const GUARDDUTY_FINDING_DETAIL_TYPE = 'GuardDuty Finding';

/** A number, or a numeric string such as `"5.0"` (real data is messy). */
export const looseNumber = z.union([
  z.number().finite(),
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?$/, 'expected a numeric string')
    .transform(Number),
]);

/** A boolean, or the strings `"true"` / `"false"` (any case). */
export const looseBoolean = z.union([
  z.boolean(),
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false']))
    .transform((v) => v === 'true'),
]);

/** An EventBridge event. `detail` is validated by the caller once `source`/`detail-type` are known. */
export const eventBridgeEnvelopeSchema = z.looseObject({
  version: z.string().optional(),
  id: z.string().optional(),
  'detail-type': z.string().min(1),
  source: z.string().min(1),
  account: z.string().optional(),
  time: z.string().optional(),
  region: z.string().optional(),
  resources: z.array(z.unknown()).optional(),
  detail: z.unknown(),
});
export type EventBridgeEnvelope = z.infer<typeof eventBridgeEnvelopeSchema>;

const tagSchema = z.looseObject({ key: z.string(), value: z.string().nullish() });

export const guardDutyNetworkInterfaceSchema = z.looseObject({
  networkInterfaceId: z.string().nullish(),
  vpcId: z.string().nullish(),
  subnetId: z.string().nullish(),
  privateIpAddress: z.string().nullish(),
  publicIp: z.string().nullish(),
  ipv6Addresses: z.array(z.string()).nullish(),
  securityGroups: z.array(z.looseObject({ groupId: z.string().nullish(), groupName: z.string().nullish() })).nullish(),
});

export const guardDutyInstanceDetailsSchema = z.looseObject({
  instanceId: z.string().nullish(),
  instanceState: z.string().nullish(),
  availabilityZone: z.string().nullish(),
  iamInstanceProfile: z.looseObject({ arn: z.string().nullish(), id: z.string().nullish() }).nullish(),
  networkInterfaces: z.array(guardDutyNetworkInterfaceSchema).nullish(),
  tags: z.array(tagSchema).nullish(),
});
export type GuardDutyInstanceDetails = z.infer<typeof guardDutyInstanceDetailsSchema>;

export const guardDutyResourceSchema = z.looseObject({
  resourceType: z.string().nullish(),
  instanceDetails: guardDutyInstanceDetailsSchema.nullish(),
  accessKeyDetails: z
    .looseObject({
      accessKeyId: z.string().nullish(),
      principalId: z.string().nullish(),
      userName: z.string().nullish(),
      userType: z.string().nullish(),
    })
    .nullish(),
});

export const guardDutyServiceSchema = z.looseObject({
  serviceName: z.string().nullish(),
  detectorId: z.string().nullish(),
  featureName: z.string().nullish(),
  resourceRole: z.string().nullish(),
  archived: looseBoolean.nullish(),
  count: looseNumber.nullish(),
  /** `{sample: true}`, `{sample: "true"}`, or the API's `{value: "<json>", type}` (or both). */
  additionalInfo: z.unknown().optional(),
});

/** A GuardDuty finding in its camelCase form (EventBridge `detail`, S3 export, REST wire). */
export const guardDutyFindingSchema = z.looseObject({
  schemaVersion: z.string().nullish(),
  accountId: z.string().nullish(),
  region: z.string().nullish(),
  partition: z.string().nullish(),
  id: z.string().min(1),
  arn: z.string().nullish(),
  type: z.string().min(1),
  title: z.string().nullish(),
  severity: looseNumber.nullish(),
  createdAt: z.union([z.string(), z.number()]).nullish(),
  updatedAt: z.union([z.string(), z.number()]).nullish(),
  resource: guardDutyResourceSchema.nullish(),
  service: guardDutyServiceSchema.nullish(),
});
export type GuardDutyFinding = z.infer<typeof guardDutyFindingSchema>;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const truthy = (value: unknown): boolean =>
  value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true');

/**
 * True for findings made by `CreateSampleFindings` / the console's "Generate sample findings":
 * `service.additionalInfo.sample` is `true` or `"true"`, or the API form's JSON `value` says so.
 */
export const isSampleFinding = (finding: Pick<GuardDutyFinding, 'service'>): boolean => {
  const info = finding.service?.additionalInfo;
  if (!isRecord(info)) return false;
  if (truthy(info.sample)) return true;
  if (typeof info.value === 'string' && info.value.includes('sample')) {
    try {
      const parsed: unknown = JSON.parse(info.value);
      return isRecord(parsed) && truthy(parsed.sample);
    } catch {
      return false;
    }
  }
  return false;
};

/** `{region, account}` and the detector id read from a finding ARN
 * `arn:aws:guardduty:{region}:{account}:detector/{detectorId}/finding/{findingId}`. */
export const parseGuardDutyFindingArn = (
  arn: string | null | undefined,
): { region: string; account: string; detectorId: string; findingId: string } | undefined => {
  const match = /^arn:[\w-]*:guardduty:([\w-]*):(\d*):detector\/([^/]+)\/finding\/([^/]+)$/.exec(arn ?? '');
  if (!match) return undefined;
  const [, region = '', account = '', detectorId = '', findingId = ''] = match;
  return { region, account, detectorId, findingId };
};

/** Where the finding's resource lives: `detail.accountId` (NOT the envelope account, which is the
 * account that emitted the event, e.g. the GuardDuty administrator), then the ARN, then the envelope. */
export const findingLocation = (
  finding: Pick<GuardDutyFinding, 'accountId' | 'region' | 'arn'>,
  envelope?: { account?: string | undefined; region?: string | undefined },
): { account?: string; region?: string } => {
  const fromArn = parseGuardDutyFindingArn(finding.arn);
  const account = finding.accountId || fromArn?.account || envelope?.account || undefined;
  const region = finding.region || fromArn?.region || envelope?.region || undefined;
  return { ...(account ? { account } : {}), ...(region ? { region } : {}) };
};

/** One incident per GuardDuty finding (account + finding id), whichever path delivers it
 * (EventBridge, Security Hub, a manual request naming the finding). */
export const guardDutyIncidentId = (account: string | undefined, findingId: string): string =>
  incidentIdFor('aws.guardduty', account ?? '', findingId);

/** Recursively lowercases the first letter of every object key: the SDK's PascalCase `Finding`
 * (`Resource.InstanceDetails.InstanceId`) becomes the event's camelCase shape. */
export const camelCaseKeys = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(camelCaseKeys);
  if (value instanceof Date) return value.toISOString();
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key.charAt(0).toLowerCase() + key.slice(1)] = camelCaseKeys(inner);
  }
  return out;
};

/**
 * Parses one finding of a `GetFindings` SDK/CLI result (PascalCase member names; the REST wire is
 * camelCase but the JavaScript SDK v3 deserialises to PascalCase) into the camelCase schema.
 */
export const fromSdkFinding = (sdkFinding: unknown) => guardDutyFindingSchema.safeParse(camelCaseKeys(sdkFinding));

/** Heuristic for a bare finding (the `detail` object alone, e.g. an S3 export line or a console
 * test event): a finding id + type, and GuardDuty's service block or ARN. */
export const looksLikeGuardDutyFinding = (value: unknown): boolean => {
  if (!isRecord(value)) return false;
  if (typeof value.id !== 'string' || typeof value.type !== 'string') return false;
  const service = value.service;
  const byService = isRecord(service) && service.serviceName === 'guardduty';
  const byArn = typeof value.arn === 'string' && value.arn.includes(':guardduty:');
  return byService || byArn;
};

import * as z from 'zod';
import type { Trigger } from '../evidence/types';
import {
  eventBridgeEnvelopeSchema,
  findingLocation,
  GUARDDUTY_FINDING_DETAIL_TYPE,
  GUARDDUTY_SOURCE,
  guardDutyFindingSchema,
  guardDutyIncidentId,
  isSampleFinding,
  looksLikeGuardDutyFinding,
  type GuardDutyFinding,
} from './guardduty';
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
} from './securityhub';

/**
 * Everything that can ask Cordon to isolate (or release) one EC2 instance, parsed into one
 * `Ec2Target` union. `parseEc2Event` never throws: whatever it cannot act on becomes an
 * `Ec2Skip` with a reason code and a sentence saying what was expected and what was received.
 */

export const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

/** Why an event yields no target. Stable codes: evidence and dashboards group by them. */
export type Ec2SkipReason =
  | 'unrecognised-event'
  | 'unsupported-source'
  | 'unsupported-detail-type'
  | 'invalid-finding'
  | 'not-an-ec2-finding'
  | 'no-ec2-instance'
  | 'invalid-instance-id'
  | 'invalid-manual-request'
  /** A manual request named a GuardDuty finding that GetFindings did not return. */
  | 'finding-not-found'
  /** The instance is the TARGET of inbound activity (brute force, port probe): a victim. */
  | 'victim-of-inbound';

export interface Ec2Skip {
  readonly reason: Ec2SkipReason;
  readonly message: string;
  readonly trigger: Trigger;
  /** The incident the skip is evidenced in (deterministic from the event). */
  readonly incidentId: string;
  readonly instanceId?: string;
}

/** Where the instance lives. Account/region undefined = the function's own. */
export interface InstanceRef {
  readonly instanceId: string;
  readonly account?: string;
  readonly region?: string;
}

export interface FindingInfo {
  readonly id: string;
  readonly type: string;
  readonly severity?: number;
  readonly sample: boolean;
  readonly detectorId?: string;
  readonly title?: string;
}

interface TargetBase {
  readonly instance: InstanceRef;
  readonly incidentId: string;
  readonly trigger: Trigger;
}

export interface GuardDutyEc2Target extends TargetBase {
  readonly kind: 'guardduty';
  readonly action: 'isolate';
  readonly finding: FindingInfo;
  /** `Instance`, or the runtime resource (`Container`, `EKSCluster`, ...) whose host instance it is. */
  readonly resourceType: string;
}

export interface SecurityHubEc2Target extends TargetBase {
  readonly kind: 'securityhub';
  readonly action: 'isolate';
  readonly finding: FindingInfo;
  readonly customAction?: string;
}

interface ManualBase extends TargetBase {
  readonly kind: 'manual';
  readonly reason: string;
  readonly requestedBy: string;
  readonly ticket?: string;
}

export interface ManualIsolateTarget extends ManualBase {
  readonly action: 'isolate';
  /** Overrides the protected tag; evidenced with requester and reason. */
  readonly force: boolean;
  /** Set when the request named a GuardDuty finding that was resolved to this instance. */
  readonly finding?: FindingInfo;
}

export interface ManualReleaseTarget extends ManualBase {
  readonly action: 'release';
  /** Put the instance back in its Auto Scaling group (raises its desired capacity). */
  readonly reattachAsg: boolean;
  /** The isolation incident to undo; else read from the instance's `cordon:incident` tag. */
  readonly isolationIncidentId?: string;
}

export type Ec2Target = GuardDutyEc2Target | SecurityHubEc2Target | ManualIsolateTarget | ManualReleaseTarget;

/** A manual request that names a GuardDuty finding: resolved with GetFindings, then handled like
 * the automatic path (`ec2TargetsFromGuardDutyFinding`). */
export interface ManualFindingRequest {
  readonly kind: 'manual-finding';
  readonly findingId: string;
  readonly detectorId: string;
  /** Region of the detector (the GuardDuty administrator's, usually); undefined = the function's. */
  readonly region?: string;
  readonly reason: string;
  readonly requestedBy: string;
  readonly ticket?: string;
  readonly force: boolean;
  readonly trigger: Trigger;
}

export interface Ec2ParseResult {
  readonly targets: readonly Ec2Target[];
  readonly skips: readonly Ec2Skip[];
  readonly findingRequests: readonly ManualFindingRequest[];
}

const text = z.string().trim().min(1).max(1024);
const accountId = z.string().regex(/^\d{12}$/, 'expected a 12-digit account id');
const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected a region such as eu-west-1');

const manualBase = {
  account: accountId.optional(),
  region: region.optional(),
  reason: text,
  requestedBy: text,
  ticket: text.optional(),
};

/** `{action: 'isolate' | 'release', instanceId, account?, region?, reason, requestedBy, ticket?, force?}`;
 * an isolate request may name a GuardDuty finding (`findingId` + `detectorId`) instead. */
export const manualRequestSchema = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('isolate'),
    instanceId: z.string().regex(INSTANCE_ID, 'expected an instance id such as i-0123456789abcdef0').optional(),
    findingId: z.string().regex(/^[\w-]{1,300}$/).optional(),
    detectorId: z.string().regex(/^[\w-]{1,300}$/).optional(),
    force: z.boolean().default(false),
    ...manualBase,
  }),
  z.strictObject({
    action: z.literal('release'),
    instanceId: z.string().regex(INSTANCE_ID, 'expected an instance id such as i-0123456789abcdef0'),
    reattachAsg: z.boolean().default(false),
    incidentId: z.string().regex(/^inc-[0-9a-f]{24}$/).optional(),
    ...manualBase,
  }),
]);
export type ManualRequest = z.infer<typeof manualRequestSchema>;

/** Invocation context of a manual request (the Lambda request id). */
export interface ParseContext {
  readonly requestId?: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const issues = (error: z.ZodError): string =>
  error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');

const eventKey = (event: unknown, id: string | undefined): string => id ?? JSON.stringify(event ?? null).slice(0, 4096);

const skipOnly = (skip: Ec2Skip): Ec2ParseResult => ({ targets: [], skips: [skip], findingRequests: [] });

/** Resource types whose finding carries the EC2 host in `instanceDetails` (Runtime Monitoring,
 * Malware Protection for EC2). AccessKey / S3Bucket findings may carry instanceDetails too (a
 * sample-finding artefact): those belong to the credentials responder, never to isolation. */
const EC2_HOST_RESOURCE_TYPES = new Set(['Instance', 'Container', 'EKSCluster', 'ECSCluster', 'EC2Instance']);

/** What GuardDuty says about who did what (`service.resourceRole`, `service.action`). */
const directionSchema = z.looseObject({
  resourceRole: z.string().nullish(),
  action: z
    .looseObject({
      actionType: z.string().nullish(),
      networkConnectionAction: z.looseObject({ connectionDirection: z.string().nullish() }).nullish(),
    })
    .nullish(),
});

/**
 * Why the instance is a victim, or undefined when it may be the actor. GuardDuty sets
 * `resourceRole: TARGET` on almost every finding (the resource the finding is about), so TARGET
 * alone means nothing; TARGET with an INBOUND connection (SSH/RDP/WinRM brute force against it) or
 * a port probe (always inbound) means someone else acted on the instance. Whatever the severity.
 */
export const inboundVictim = (service: unknown): string | undefined => {
  const parsed = directionSchema.safeParse(service);
  if (!parsed.success || parsed.data.resourceRole?.toUpperCase() !== 'TARGET') return undefined;
  const action = parsed.data.action;
  if (action?.networkConnectionAction?.connectionDirection?.toUpperCase() === 'INBOUND') return 'an inbound connection';
  if (action?.actionType?.toUpperCase() === 'PORT_PROBE') return 'an inbound port probe';
  return undefined;
};

/** The same reading of a Security Hub (ASFF) finding imported from GuardDuty: its ProductFields. */
export const asffInboundVictim = (productFields: Readonly<Record<string, unknown>> | null | undefined): string | undefined => {
  const field = (name: string): string | undefined => {
    const value = productFields?.[`aws/guardduty/service/${name}`];
    return typeof value === 'string' ? value : undefined;
  };
  return inboundVictim({
    resourceRole: field('resourceRole'),
    action: {
      actionType: field('action/actionType'),
      networkConnectionAction: { connectionDirection: field('action/networkConnectionAction/connectionDirection') },
    },
  });
};

const victimMessage = (instanceId: string, type: string, why: string): string =>
  `expected the instance to be the actor, received ${type} with ${instanceId} as the TARGET of ${why}: ` +
  'a victim is hardened, not isolated; to isolate it anyway, send a manual isolate request naming the instance id';

/**
 * The EC2 target of a GuardDuty finding, or a skip. Shared by the EventBridge path, bare findings
 * and the manual path that re-fetches a finding with GetFindings.
 */
export const ec2TargetFromGuardDutyFinding = (
  finding: GuardDutyFinding,
  context: { envelope?: { account?: string; region?: string; id?: string }; trigger?: Partial<Trigger> } = {},
): { target: GuardDutyEc2Target } | { skip: Ec2Skip } => {
  const location = findingLocation(finding, context.envelope);
  const incidentId = guardDutyIncidentId(location.account, finding.id);
  const info: FindingInfo = {
    id: finding.id,
    type: finding.type,
    sample: isSampleFinding(finding),
    ...(finding.severity !== null && finding.severity !== undefined ? { severity: finding.severity } : {}),
    ...(finding.service?.detectorId ? { detectorId: finding.service.detectorId } : {}),
    ...(finding.title ? { title: finding.title.trim() } : {}),
  };
  const trigger: Trigger = {
    source: GUARDDUTY_SOURCE,
    findingId: finding.id,
    findingType: finding.type,
    ...(info.severity !== undefined ? { severity: info.severity } : {}),
    ...(context.envelope?.id ? { eventId: context.envelope.id } : {}),
    ...context.trigger,
  };
  const resourceType = finding.resource?.resourceType ?? '';
  const instanceId = finding.resource?.instanceDetails?.instanceId ?? undefined;
  if (!EC2_HOST_RESOURCE_TYPES.has(resourceType) || !instanceId) {
    const why = !finding.resource
      ? 'the finding has no resource'
      : EC2_HOST_RESOURCE_TYPES.has(resourceType)
        ? `resource type ${resourceType} has no instanceDetails.instanceId`
        : `resource type ${resourceType || '(none)'} is not an ec2 instance`;
    return {
      skip: {
        reason: 'not-an-ec2-finding',
        message: `expected a finding on an ec2 instance, received ${finding.type}: ${why}`,
        trigger,
        incidentId,
      },
    };
  }
  if (!INSTANCE_ID.test(instanceId)) {
    return {
      skip: {
        reason: 'invalid-instance-id',
        message: `expected an instance id such as i-0123456789abcdef0, received ${JSON.stringify(instanceId)}`,
        trigger,
        incidentId,
      },
    };
  }
  const victim = inboundVictim(finding.service);
  if (victim) {
    return { skip: { reason: 'victim-of-inbound', message: victimMessage(instanceId, finding.type, victim), trigger, incidentId, instanceId } };
  }
  return {
    target: {
      kind: 'guardduty',
      action: 'isolate',
      instance: { instanceId, ...location },
      incidentId,
      trigger,
      finding: info,
      resourceType,
    },
  };
};

const parseGuardDutyDetail = (
  detail: unknown,
  envelope: { account?: string; region?: string; id?: string },
  key: string,
): Ec2ParseResult => {
  const parsed = guardDutyFindingSchema.safeParse(detail);
  if (!parsed.success) {
    return skipOnly({
      reason: 'invalid-finding',
      message: `expected a guardduty finding (id, type, resource), received invalid detail: ${issues(parsed.error)}`,
      trigger: { source: GUARDDUTY_SOURCE, ...(envelope.id ? { eventId: envelope.id } : {}) },
      incidentId: incidentIdFor(GUARDDUTY_SOURCE, 'invalid', key),
    });
  }
  const result = ec2TargetFromGuardDutyFinding(parsed.data, { envelope });
  return 'target' in result
    ? { targets: [result.target], skips: [], findingRequests: [] }
    : skipOnly(result.skip);
};

const parseCustomAction = (
  detail: unknown,
  envelope: { account?: string; region?: string; id?: string; resources?: readonly unknown[] },
  key: string,
): Ec2ParseResult => {
  const eventTrigger: Trigger = { source: SECURITYHUB_SOURCE, ...(envelope.id ? { eventId: envelope.id } : {}) };
  const parsedDetail = customActionDetailSchema.safeParse(detail);
  if (!parsedDetail.success) {
    return skipOnly({
      reason: 'invalid-finding',
      message: `expected a custom action detail with findings[], received: ${issues(parsedDetail.error)}`,
      trigger: eventTrigger,
      incidentId: incidentIdFor(SECURITYHUB_SOURCE, 'invalid', key),
    });
  }
  const customAction = parsedDetail.data.actionName?.trim() || (envelope.resources?.[0] as string | undefined);
  const targets: Ec2Target[] = [];
  const skips: Ec2Skip[] = [];
  const seen = new Set<string>();
  parsedDetail.data.findings.forEach((raw, index) => {
    const parsed = asffFindingSchema.safeParse(raw);
    if (!parsed.success) {
      skips.push({
        reason: 'invalid-finding',
        message: `expected an asff finding (Id, Resources[]) at findings[${index}], received: ${issues(parsed.error)}`,
        trigger: eventTrigger,
        incidentId: incidentIdFor(SECURITYHUB_SOURCE, 'invalid', key, String(index)),
      });
      return;
    }
    const finding = parsed.data;
    const severity = asffSeverity(finding);
    const info: FindingInfo = {
      id: finding.Id,
      type: asffFindingType(finding),
      sample: isAsffSample(finding),
      ...(severity !== undefined ? { severity } : {}),
      ...(finding.Title ? { title: finding.Title.trim() } : {}),
    };
    const trigger: Trigger = {
      ...eventTrigger,
      findingId: finding.Id,
      findingType: info.type,
      ...(severity !== undefined ? { severity } : {}),
    };
    const incidentId = asffIncidentId(finding);
    const instances = finding.Resources.filter((r) => r.Type === 'AwsEc2Instance');
    if (instances.length === 0) {
      skips.push({
        reason: 'no-ec2-instance',
        message: `expected an AwsEc2Instance resource, received ${finding.Resources.map((r) => r.Type).join(', ')}`,
        trigger,
        incidentId,
      });
      return;
    }
    const victim = asffInboundVictim(finding.ProductFields);
    for (const resource of instances) {
      const arn = parseArn(resource.Id);
      const instanceId = arn?.resource.match(/^instance\/(i-[0-9a-f]+)$/)?.[1] ?? resource.Id;
      if (victim && INSTANCE_ID.test(instanceId)) {
        skips.push({ reason: 'victim-of-inbound', message: victimMessage(instanceId, info.type, victim), trigger, incidentId, instanceId });
        continue;
      }
      if (!INSTANCE_ID.test(instanceId)) {
        skips.push({
          reason: 'invalid-instance-id',
          message: `expected an instance arn such as arn:aws:ec2:region:account:instance/i-0123456789abcdef0, received ${JSON.stringify(resource.Id)}`,
          trigger,
          incidentId,
        });
        continue;
      }
      const account = arn?.account || finding.AwsAccountId || envelope.account;
      const region = arn?.region || resource.Region || finding.Region || envelope.region;
      const dedupe = `${account}/${region}/${instanceId}`;
      if (seen.has(dedupe)) continue;
      seen.add(dedupe);
      targets.push({
        kind: 'securityhub',
        action: 'isolate',
        instance: { instanceId, ...(account ? { account } : {}), ...(region ? { region } : {}) },
        // Several instances in one finding: one incident per instance.
        incidentId: instances.length > 1 ? incidentIdFor(incidentId, instanceId) : incidentId,
        trigger,
        finding: info,
        ...(customAction ? { customAction } : {}),
      });
    }
  });
  return { targets, skips, findingRequests: [] };
};

const parseManual = (event: Record<string, unknown>, context: ParseContext): Ec2ParseResult => {
  const trigger: Trigger = { source: 'manual', ...(context.requestId ? { eventId: context.requestId } : {}) };
  const parsed = manualRequestSchema.safeParse(event);
  const key = eventKey(event, context.requestId);
  if (!parsed.success) {
    return skipOnly({
      reason: 'invalid-manual-request',
      message: `expected {action: 'isolate' | 'release', instanceId, reason, requestedBy, ...}, received: ${issues(parsed.error)}`,
      trigger,
      incidentId: incidentIdFor('manual', 'invalid', key),
    });
  }
  const request = parsed.data;
  const location = {
    ...(request.account ? { account: request.account } : {}),
    ...(request.region ? { region: request.region } : {}),
  };
  const common = {
    kind: 'manual' as const,
    reason: request.reason,
    requestedBy: request.requestedBy,
    ...(request.ticket ? { ticket: request.ticket } : {}),
  };
  if (request.action === 'release') {
    return {
      targets: [
        {
          ...common,
          action: 'release',
          instance: { instanceId: request.instanceId, ...location },
          // Placeholder: the release is evidenced in the isolation's incident once it is known.
          incidentId: request.incidentId ?? incidentIdFor('manual', 'release', request.instanceId, key),
          trigger,
          reattachAsg: request.reattachAsg,
          ...(request.incidentId ? { isolationIncidentId: request.incidentId } : {}),
        },
      ],
      skips: [],
      findingRequests: [],
    };
  }
  if (request.instanceId && !request.findingId) {
    return {
      targets: [
        {
          ...common,
          action: 'isolate',
          instance: { instanceId: request.instanceId, ...location },
          incidentId: incidentIdFor('manual', request.account ?? '', request.instanceId, request.ticket ?? key),
          trigger,
          force: request.force,
        },
      ],
      skips: [],
      findingRequests: [],
    };
  }
  if (request.findingId && request.detectorId && !request.instanceId) {
    return {
      targets: [],
      skips: [],
      findingRequests: [
        {
          kind: 'manual-finding',
          findingId: request.findingId,
          detectorId: request.detectorId,
          ...(request.region ? { region: request.region } : {}),
          reason: request.reason,
          requestedBy: request.requestedBy,
          ...(request.ticket ? { ticket: request.ticket } : {}),
          force: request.force,
          trigger: { ...trigger, findingId: request.findingId },
        },
      ],
    };
  }
  return skipOnly({
    reason: 'invalid-manual-request',
    message: `expected either instanceId, or findingId with detectorId, received ${
      [request.instanceId && 'instanceId', request.findingId && 'findingId', request.detectorId && 'detectorId']
        .filter(Boolean)
        .join(' and ') || 'neither'
    }`,
    trigger,
    incidentId: incidentIdFor('manual', 'invalid', key),
  });
};

/**
 * Parses whatever reaches the isolation function: a GuardDuty Finding event, a Security Hub custom
 * action, a manual request, or (for replays of S3 exports and console test events) a bare GuardDuty
 * finding or a `{region, detail}` partial envelope. Never throws.
 */
export const parseEc2Event = (event: unknown, context: ParseContext = {}): Ec2ParseResult => {
  const unrecognised = (message: string): Ec2ParseResult =>
    skipOnly({
      reason: 'unrecognised-event',
      message,
      trigger: { source: 'unknown', ...(context.requestId ? { eventId: context.requestId } : {}) },
      incidentId: incidentIdFor('unrecognised', eventKey(event, context.requestId)),
    });
  if (!isRecord(event)) {
    return unrecognised(`expected an eventbridge event or a manual request object, received ${Array.isArray(event) ? 'an array' : typeof event}`);
  }
  if ('action' in event && !('detail' in event) && !('source' in event)) return parseManual(event, context);

  if ('source' in event || 'detail-type' in event) {
    const envelope = eventBridgeEnvelopeSchema.safeParse(event);
    if (!envelope.success) {
      return unrecognised(`expected an eventbridge envelope (source, detail-type, detail), received: ${issues(envelope.error)}`);
    }
    const e = envelope.data;
    const where = {
      ...(e.account ? { account: e.account } : {}),
      ...(e.region ? { region: e.region } : {}),
      ...(e.id ? { id: e.id } : {}),
    };
    const key = eventKey(event, e.id);
    const detailType = e['detail-type'];
    if (e.source === GUARDDUTY_SOURCE) {
      if (detailType === GUARDDUTY_FINDING_DETAIL_TYPE) return parseGuardDutyDetail(e.detail, where, key);
      return skipOnly({
        reason: 'unsupported-detail-type',
        message: `expected detail-type "${GUARDDUTY_FINDING_DETAIL_TYPE}" from ${GUARDDUTY_SOURCE}, received "${detailType}"`,
        trigger: { source: e.source, ...(e.id ? { eventId: e.id } : {}) },
        incidentId: incidentIdFor(e.source, detailType, key),
      });
    }
    if (e.source === SECURITYHUB_SOURCE) {
      if (detailType === SECURITYHUB_CUSTOM_ACTION_DETAIL_TYPE) {
        return parseCustomAction(e.detail, { ...where, ...(e.resources ? { resources: e.resources } : {}) }, key);
      }
      return skipOnly({
        reason: 'unsupported-detail-type',
        message: `expected detail-type "${SECURITYHUB_CUSTOM_ACTION_DETAIL_TYPE}" from ${SECURITYHUB_SOURCE}, received "${detailType}"`,
        trigger: { source: e.source, ...(e.id ? { eventId: e.id } : {}) },
        incidentId: incidentIdFor(e.source, detailType, key),
      });
    }
    return skipOnly({
      reason: 'unsupported-source',
      message: `expected source ${GUARDDUTY_SOURCE} or ${SECURITYHUB_SOURCE}, received ${e.source} ("${detailType}")`,
      trigger: { source: e.source, ...(e.id ? { eventId: e.id } : {}) },
      incidentId: incidentIdFor(e.source, detailType, key),
    });
  }

  // No envelope: a bare finding or a `{region, detail}` console test event.
  const key = eventKey(event, undefined);
  if ('detail' in event && looksLikeGuardDutyFinding(event.detail)) {
    return parseGuardDutyDetail(event.detail, typeof event.region === 'string' ? { region: event.region } : {}, key);
  }
  if (looksLikeGuardDutyFinding(event)) return parseGuardDutyDetail(event, {}, key);
  const keys = Object.keys(event).slice(0, 6).join(', ');
  return unrecognised(
    `expected an eventbridge event (source, detail-type, detail), a bare guardduty finding or a manual request, received an object with keys ${keys || '(none)'}`,
  );
};

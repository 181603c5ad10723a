import * as z from 'zod';
import type { Trigger } from '../evidence/types';
import { INSTANCE_ID } from './common';
import { firstIssues as issues, skipOnly, type Ec2ParseResult, type Ec2Skip, type FindingInfo, type GuardDutyEc2Target } from './ec2-types';
import { findingLocation, GUARDDUTY_SOURCE, guardDutyFindingSchema, guardDutyIncidentId, isSampleFinding, type GuardDutyFinding } from './guardduty';
import { incidentIdFor } from './incident';

/**
 * GuardDuty findings on an EC2 host (the instance itself, or the container / cluster it runs) ->
 * one isolation target, unless the instance is the victim of inbound activity.
 */

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

export const victimMessage = (instanceId: string, type: string, why: string): string =>
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

export const parseGuardDutyDetail = (
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

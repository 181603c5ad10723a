import * as z from 'zod';
import type { Trigger } from '../evidence/types';
import { ACCOUNT_ID, INSTANCE_ID, REGION } from './common';
import { eventKey, firstIssues as issues, skipOnly, type Ec2ParseResult, type ParseContext } from './ec2-types';
import { incidentIdFor } from './incident';

/** Manual isolate and release requests (`cordon isolate`, `cordon release`, the manual URL). */

const text = z.string().trim().min(1).max(1024);
const accountId = z.string().regex(ACCOUNT_ID, 'expected a 12-digit account id');
const region = z.string().regex(REGION, 'expected a region such as eu-west-1');

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

export const parseManual = (event: Record<string, unknown>, context: ParseContext): Ec2ParseResult => {
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

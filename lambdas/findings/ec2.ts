import { INSTANCE_ID, isRecord } from './common';
import { parseGuardDutyDetail } from './ec2-guardduty';
import { parseManual } from './ec2-manual';
import { parseCustomAction } from './ec2-securityhub';
import { eventKey, firstIssues as issues, skipOnly, type Ec2ParseResult, type ParseContext } from './ec2-types';
import { eventBridgeEnvelopeSchema, GUARDDUTY_FINDING_DETAIL_TYPE, GUARDDUTY_SOURCE, looksLikeGuardDutyFinding } from './guardduty';
import { incidentIdFor } from './incident';
import { SECURITYHUB_CUSTOM_ACTION_DETAIL_TYPE, SECURITYHUB_SOURCE } from './securityhub';

/**
 * Everything that can ask Cordon to isolate (or release) one EC2 instance, parsed into one
 * `Ec2Target` union. `parseEc2Event` never throws: whatever it cannot act on becomes an
 * `Ec2Skip` with a reason code and a sentence saying what was expected and what was received.
 */

export type {
  Ec2ParseResult,
  Ec2Skip,
  Ec2SkipReason,
  Ec2Target,
  FindingInfo,
  GuardDutyEc2Target,
  InstanceRef,
  ManualFindingRequest,
  ManualIsolateTarget,
  ManualReleaseTarget,
  ParseContext,
  SecurityHubEc2Target,
} from './ec2-types';
export { asffInboundVictim, ec2TargetFromGuardDutyFinding, inboundVictim } from './ec2-guardduty';
export { manualRequestSchema, type ManualRequest } from './ec2-manual';
export { INSTANCE_ID };

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

import { isRecord, issues, safeJson } from './common';
import { parseGuardDutyFinding } from './credential-guardduty';
import { parseManual } from './credential-manual';
import { parseSecurityHub } from './credential-securityhub';
import { skipRequest as skip, type CredentialRequest, type ParseContext, type RequestBase } from './credential-types';
import { eventBridgeEnvelopeSchema, GUARDDUTY_FINDING_DETAIL_TYPE, GUARDDUTY_SOURCE, looksLikeGuardDutyFinding } from './guardduty';
import { isHealthEvent, parseHealthEvent } from './health';
import { incidentIdFor } from './incident';
import { SECURITYHUB_SOURCE } from './securityhub';

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

export {
  isTemporaryKey,
  isUserCompromise,
  targetRefOf,
  USER_COMPROMISE_TYPES,
  type CredentialRequest,
  type CredentialTarget,
  type FederatedTarget,
  type IamUserKeyTarget,
  type IamUserTarget,
  type KeyPattern,
  type ParseContext,
  type PatternRequest,
  type RestoreRequest,
  type RevokeRequest,
  type RoleSessionTarget,
  type RootTarget,
  type SkipRequest,
  type UnactionableTarget,
  type UnknownPrincipalTarget,
} from './credential-types';
export { ACCESS_KEY_ID } from './common';
export { manualPatternSchema, manualRestoreSchema, manualRevokeSchema } from './credential-manual';

/**
 * Parses anything the credential responder may receive. Never throws: unknown shapes become a
 * `skip` with the reason.
 */
export const parseCredentialEvent = (event: unknown, ctx: ParseContext): CredentialRequest => {
  // Only for events that are skipped: the incident id of an unparsed event hashes its whole JSON,
  // which a finding Cordon acts on must not pay for.
  const fallback = (): RequestBase => ({
    trigger: { source: 'unknown', ...(ctx.requestId ? { eventId: ctx.requestId } : {}) },
    incidentId: incidentIdFor('unparsed', safeJson(event)),
    region: ctx.homeRegion,
  });
  if (!isRecord(event)) return skip(fallback(), `expected an event object, received ${event === null ? 'null' : typeof event}`);
  if ('action' in event && !('source' in event) && !('detail' in event)) return parseManual(event, ctx);
  if (isHealthEvent(event)) return parseHealthEvent(event, ctx);
  const env = eventBridgeEnvelopeSchema.safeParse(event);
  if (env.success) {
    const e = env.data;
    const region = e.region ?? ctx.homeRegion;
    if (e.source === GUARDDUTY_SOURCE) {
      if (e['detail-type'] !== GUARDDUTY_FINDING_DETAIL_TYPE) {
        return skip(
          { ...fallback(), trigger: { source: e.source, ...(e.id ? { eventId: e.id } : {}) }, region },
          `guardduty detail-type '${e['detail-type']}' is not a finding`,
        );
      }
      return parseGuardDutyFinding(e.detail, e, ctx.homeRegion);
    }
    if (e.source === SECURITYHUB_SOURCE) return parseSecurityHub(e, ctx.homeRegion);
    return skip(
      { ...fallback(), trigger: { source: e.source, ...(e.id ? { eventId: e.id } : {}) }, region },
      `source ${e.source} (${e['detail-type']}) carries no credential finding Cordon revokes`,
    );
  }
  if (looksLikeGuardDutyFinding(event)) return parseGuardDutyFinding(event, {}, ctx.homeRegion);
  if (Array.isArray(event.Findings)) {
    return skip(fallback(), 'this is a GetFindings API response (PascalCase), not an event: send the finding as EventBridge delivers it');
  }
  if (typeof event.SchemaVersion === 'string' && Array.isArray(event.Resources)) {
    return skip(fallback(), 'this is a bare Security Hub (ASFF) finding, not an event: revoke through a Security Hub custom action');
  }
  if (typeof event.eventSource === 'string' && typeof event.eventName === 'string') {
    return skip(fallback(), `this is a bare CloudTrail record (${event.eventSource} ${event.eventName}), not a finding: Cordon revokes on GuardDuty, Health and Security Hub findings`);
  }
  if (isRecord(event.detail) && typeof event.region === 'string' && !('source' in event)) {
    return skip(fallback(), 'partial EventBridge envelope (no source / detail-type): not acted on');
  }
  return skip(fallback(), `unrecognised event: ${env.error ? issues(env.error) : 'no source'}`);
};

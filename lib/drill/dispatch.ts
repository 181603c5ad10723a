import { CREDENTIAL_EVENT_CODES } from '../../lambdas/findings/health';
import { parseCredentialEvent } from '../../lambdas/findings/credentials';
import { parseEc2Event } from '../../lambdas/findings/ec2';
import { GUARDDUTY_FINDING_DETAIL_TYPE, GUARDDUTY_SOURCE, looksLikeGuardDutyFinding } from '../../lambdas/findings/guardduty';
import { SECURITYHUB_CUSTOM_ACTION_DETAIL_TYPE, SECURITYHUB_SOURCE } from '../../lambdas/findings/securityhub';
import { routeFindingType } from '../routing';

/**
 * Which responder(s) receive an event, decided the way the deployment decides
 * (lib/constructs/routing.ts):
 * - a GuardDuty finding (EventBridge `GuardDuty Finding`, or the bare / `{region, detail}` shapes
 *   a replay sends): by its type, with `routeFindingType` from lib/routing.ts;
 * - AWS Health `AWS_RISK_CREDENTIALS_*`: the credential responder;
 * - a Security Hub custom action: Cordon's own actions by their id (`CordonIsolate`,
 *   `CordonRevoke`); another organisation's action (replayed fixtures) by what the responders'
 *   parsers find in it (instances, access keys);
 * - a manual payload by its action (isolate/release, revoke/restore).
 * The severity gate of the GuardDuty rules is not applied: the drill shows every decision.
 * Whatever no rule routes is reported as a skip with the routing reason or both parsers' reasons;
 * within a responder, its parser still decides (an evidenced skip when it finds no target).
 */

export type Responder = 'isolation' | 'credentials';

export interface Route {
  readonly responders: readonly Responder[];
  /** Why each responder that does not take the event declines it. */
  readonly declined: readonly { readonly responder: Responder; readonly reason: string }[];
}

export interface RouteContext {
  readonly homeAccount: string;
  readonly homeRegion: string;
  readonly requestId?: string;
}

/** The Security Hub custom action ids lib/constructs/routing.ts creates (CUSTOM_ACTIONS). */
export const CUSTOM_ACTION_IDS: Readonly<Record<Responder, string>> = { isolation: 'CordonIsolate', credentials: 'CordonRevoke' };

const RESPONDER_OF = { isolate: 'isolation', revoke: 'credentials' } as const;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Both parsers' verdicts: who finds a target, and why the others do not. */
const byParsers = (event: unknown, ctx: RouteContext): Route => {
  const responders: Responder[] = [];
  const declined: { responder: Responder; reason: string }[] = [];
  const ec2 = parseEc2Event(event, ctx.requestId ? { requestId: ctx.requestId } : {});
  if (ec2.targets.length > 0 || ec2.findingRequests.length > 0) responders.push('isolation');
  else {
    const reasons = [...new Set(ec2.skips.map((s) => `${s.reason}: ${s.message}`))];
    declined.push({ responder: 'isolation', reason: reasons.join('; ') || 'no ec2 target' });
  }
  const credentials = parseCredentialEvent(event, {
    homeAccount: ctx.homeAccount,
    homeRegion: ctx.homeRegion,
    ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
  });
  if (credentials.kind !== 'skip') responders.push('credentials');
  else declined.push({ responder: 'credentials', reason: credentials.reason });
  return { responders, declined };
};

const only = (responder: Responder, reason: string): Route => ({
  responders: [responder],
  declined: [{ responder: responder === 'isolation' ? 'credentials' : 'isolation', reason }],
});

/** The GuardDuty finding in an event, when it is one (envelope, `{region, detail}`, or bare). */
const guardDutyFinding = (event: Record<string, unknown>): Record<string, unknown> | undefined => {
  if (event.source === GUARDDUTY_SOURCE) {
    return event['detail-type'] === GUARDDUTY_FINDING_DETAIL_TYPE && isRecord(event.detail) ? event.detail : undefined;
  }
  if (!('source' in event) && isRecord(event.detail) && looksLikeGuardDutyFinding(event.detail)) return event.detail;
  if (!('source' in event) && looksLikeGuardDutyFinding(event)) return event;
  return undefined;
};

export const routeEvent = (event: unknown, ctx: RouteContext): Route => {
  if (!isRecord(event)) return byParsers(event, ctx);
  if ('action' in event && !('source' in event) && !('detail' in event)) {
    if (event.action === 'isolate' || event.action === 'release') return only('isolation', `manual action ${String(event.action)} goes to the isolation function`);
    if (event.action === 'revoke' || event.action === 'restore') return only('credentials', `manual action ${String(event.action)} goes to the credentials function`);
    return byParsers(event, ctx);
  }
  const finding = guardDutyFinding(event);
  if (finding && typeof finding.type === 'string') {
    const route = routeFindingType(finding.type);
    const reason = `guardduty type ${finding.type}: ${route.reason}`;
    if (route.responder === 'none') {
      return { responders: [], declined: (['isolation', 'credentials'] as const).map((responder) => ({ responder, reason })) };
    }
    return only(RESPONDER_OF[route.responder], reason);
  }
  if (event.source === 'aws.health' && isRecord(event.detail)) {
    const code = event.detail.eventTypeCode;
    if (typeof code === 'string' && (CREDENTIAL_EVENT_CODES as readonly string[]).includes(code)) {
      return only('credentials', `health event ${code} goes to the credentials function`);
    }
  }
  if (event.source === SECURITYHUB_SOURCE && event['detail-type'] === SECURITYHUB_CUSTOM_ACTION_DETAIL_TYPE) {
    const resources = Array.isArray(event.resources) ? event.resources.filter((r): r is string => typeof r === 'string') : [];
    for (const responder of ['isolation', 'credentials'] as const) {
      if (resources.some((r) => r.endsWith(`:action/custom/${CUSTOM_ACTION_IDS[responder]}`))) {
        return only(responder, `security hub custom action ${CUSTOM_ACTION_IDS[responder]}`);
      }
    }
  }
  return byParsers(event, ctx);
};

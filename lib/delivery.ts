import { CREDENTIAL_EVENT_CODES } from '../lambdas/findings/health';
import { GUARDDUTY_FINDING_DETAIL_TYPE, GUARDDUTY_SOURCE } from '../lambdas/findings/guardduty';
import { SECURITYHUB_CUSTOM_ACTION_DETAIL_TYPE, SECURITYHUB_SOURCE } from '../lambdas/findings/securityhub';
import type { CordonConfig } from './config';
import { matchesEventPattern, type JsonValue } from './event-pattern';
import { anySeverityPattern, guardDutyPatterns, routeFindingType, type Responder } from './routing';

/**
 * Every EventBridge rule that delivers an event to a responder, as data: lib/constructs/routing.ts
 * creates exactly these rules (a test compares them with the synthesized template), and the drill
 * sends each event through them (`deliver`) before any responder sees it, so it decides as the
 * deployment does.
 */

/** AWS Health events, as EventBridge delivers them. */
export const HEALTH_SOURCE = 'aws.health';
export const HEALTH_DETAIL_TYPE = 'AWS Health Event';

/** Security Hub custom actions: `id` is the last part of the action ARN (<= 20 alphanumerics). */
export const CUSTOM_ACTIONS: Readonly<Record<Responder, { readonly id: string; readonly name: string; readonly description: string }>> = {
  isolate: {
    id: 'CordonIsolate',
    name: 'Cordon: isolate',
    description:
      'Send the selected findings to Cordon: isolate every EC2 instance they name (evidenced; honours the kill switch, protected tag and breaker)',
  },
  revoke: {
    id: 'CordonRevoke',
    name: 'Cordon: revoke',
    description:
      'Send the selected findings to Cordon: revoke every IAM access key or role session they name (evidenced; honours the kill switch and allowlist)',
  },
};

export interface DeliveryRule {
  /** The rule's construct id under `Routing/` (GuardDutyIsolate1, HealthRevoke, ...). */
  readonly id: string;
  readonly responder: Responder;
  readonly description: string;
  /** The event pattern, in EventBridge's own JSON (`detail-type`). */
  readonly pattern: { readonly [key: string]: JsonValue };
}

const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * The routing rules for `config`. `actionArn` gives the ARN of a Security Hub custom action by its
 * id (a token in the stack; `arn:aws:securityhub:REGION:ACCOUNT:action/custom/ID` in the drill).
 */
export const deliveryRules = (config: Pick<CordonConfig, 'minimumSeverity'>, actionArn: (id: string) => string): DeliveryRule[] => {
  const { minimumSeverity } = config;
  const rules: DeliveryRule[] = [];
  for (const responder of ['isolate', 'revoke'] as const) {
    const patterns = guardDutyPatterns(responder, minimumSeverity);
    patterns.forEach((pattern, index) =>
      rules.push({
        id: `GuardDuty${capitalize(responder)}${index + 1}`,
        responder,
        description: `Cordon: GuardDuty findings of severity >= ${minimumSeverity} whose type routes to ${responder} (lib/routing.ts), part ${index + 1} of ${patterns.length}`,
        pattern: pattern as unknown as DeliveryRule['pattern'],
      }),
    );
    const always = anySeverityPattern(responder);
    if (always) {
      rules.push({
        id: `GuardDuty${capitalize(responder)}AnySeverity`,
        responder,
        description: `Cordon: GuardDuty findings whose type routes to ${responder} at any severity (lib/routing.ts: root credential use)`,
        pattern: always as unknown as DeliveryRule['pattern'],
      });
    }
  }
  rules.push({
    id: 'HealthRevoke',
    responder: 'revoke',
    description: 'Cordon: AWS Health reports an exposed or compromised access key (AWS_RISK_CREDENTIALS_*), at any severity',
    pattern: { source: [HEALTH_SOURCE], 'detail-type': [HEALTH_DETAIL_TYPE], detail: { eventTypeCode: [...CREDENTIAL_EVENT_CODES] } },
  });
  for (const responder of ['isolate', 'revoke'] as const) {
    const spec = CUSTOM_ACTIONS[responder];
    rules.push({
      id: `SecurityHub${capitalize(responder)}`,
      responder,
      description: `Cordon: the Security Hub custom action "${spec.name}"`,
      pattern: { source: [SECURITYHUB_SOURCE], 'detail-type': [SECURITYHUB_CUSTOM_ACTION_DETAIL_TYPE], resources: [actionArn(spec.id)] },
    });
  }
  return rules;
};

export interface Delivery {
  /** The responders that receive the event, once each, in rule order. */
  readonly responders: readonly Responder[];
  /** The ids of the rules that matched. */
  readonly rules: readonly string[];
  /** When no rule matched: which rule dropped it and why. */
  readonly dropped?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why no rule took `event`, naming the rule that came closest. */
const whyDropped = (event: Record<string, unknown>, rules: readonly DeliveryRule[]): string => {
  const detail = isRecord(event.detail) ? event.detail : {};
  const source = String(event.source);
  const detailType = String(event['detail-type']);
  if (source === GUARDDUTY_SOURCE && detailType === GUARDDUTY_FINDING_DETAIL_TYPE && typeof detail.type === 'string') {
    // The same event at any severity: a rule that then matches dropped it for its severity.
    const gate = rules.find((r) => matchesEventPattern(r.pattern, { ...event, detail: { ...detail, severity: Number.MAX_SAFE_INTEGER } }));
    const sev = (gate?.pattern.detail as { severity?: [{ numeric: [string, number] }] } | undefined)?.severity?.[0]?.numeric;
    if (gate && sev) {
      return `rule ${gate.id} takes ${detail.type} only at severity ${sev[0]} ${sev[1]} (cordon.minimumSeverity); this finding is ${JSON.stringify(detail.severity ?? null)}`;
    }
    const route = routeFindingType(detail.type);
    return `no rule routes GuardDuty type ${detail.type}: ${route.reason}`;
  }
  if (source === HEALTH_SOURCE) {
    return `rule HealthRevoke takes only AWS_RISK_CREDENTIALS_* events; this one is ${JSON.stringify(detail.eventTypeCode ?? null)}`;
  }
  if (source === SECURITYHUB_SOURCE) {
    return detailType === SECURITYHUB_CUSTOM_ACTION_DETAIL_TYPE
      ? `rules SecurityHubIsolate / SecurityHubRevoke take only Cordon's own custom actions (${CUSTOM_ACTIONS.isolate.id}, ${CUSTOM_ACTIONS.revoke.id}); this one is ${JSON.stringify(event.resources ?? [])}`
      : `no rule takes "${detailType}" from Security Hub: imported findings are not routed (their GuardDuty event already was); send them with the custom action`;
  }
  return `no Cordon rule takes source ${source}, detail-type "${detailType}"`;
};

/** Which rules EventBridge would deliver `event` to (an EventBridge event: source, detail-type, detail). */
export const deliver = (event: unknown, rules: readonly DeliveryRule[]): Delivery => {
  const matched = rules.filter((rule) => matchesEventPattern(rule.pattern, event));
  if (matched.length > 0) return { responders: [...new Set(matched.map((r) => r.responder))], rules: matched.map((r) => r.id) };
  return { responders: [], rules: [], dropped: isRecord(event) ? whyDropped(event, rules) : 'not an EventBridge event' };
};

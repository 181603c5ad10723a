import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as securityhub from 'aws-cdk-lib/aws-securityhub';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CREDENTIAL_EVENT_CODES } from '../../lambdas/findings/health';
import { SECURITYHUB_CUSTOM_ACTION_DETAIL_TYPE, SECURITYHUB_SOURCE } from '../../lambdas/findings/securityhub';
import type { CordonConfig } from '../config';
import { guardDutyPatterns, type Responder } from '../routing';

export interface FindingRoutingProps {
  /** Reads `minimumSeverity`: GuardDuty findings below it reach no responder. */
  readonly config: Pick<CordonConfig, 'minimumSeverity'>;
  readonly isolateInstance: lambda.IFunction;
  readonly revokeCredentials: lambda.IFunction;
  /** Receives events EventBridge could not deliver after its retries (the stack's event DLQ). */
  readonly deadLetterQueue: sqs.IQueue;
  /** @default 4 */
  readonly retryAttempts?: number;
  /** @default Duration.hours(1) */
  readonly maxEventAge?: Duration;
}

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

const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * The EventBridge rules (default bus) that bring findings to the responders:
 * - GuardDuty `GuardDuty Finding` events by finding type (lib/routing.ts) and severity; other
 *   GuardDuty detail-types (malware scan results, CloudTrail API calls) match nothing;
 * - AWS Health `AWS_RISK_CREDENTIALS_*` events to the credential responder;
 * - the two Security Hub custom actions it creates, and only those: findings Security Hub
 *   imports from GuardDuty are NOT routed, the GuardDuty event already was.
 * Every target retries, then drops into the dead-letter queue; the functions' own async
 * failures land in their own DLQs (ResponderFunction).
 */
export class FindingRouting extends Construct {
  readonly isolateAction: securityhub.CfnActionTarget;
  readonly revokeAction: securityhub.CfnActionTarget;
  /** Every rule, by responder. */
  readonly rules: Readonly<Record<Responder, readonly events.Rule[]>>;

  constructor(scope: Construct, id: string, props: FindingRoutingProps) {
    super(scope, id);
    const functions: Record<Responder, lambda.IFunction> = { isolate: props.isolateInstance, revoke: props.revokeCredentials };
    const target = (responder: Responder): targets.LambdaFunction =>
      new targets.LambdaFunction(functions[responder], {
        retryAttempts: props.retryAttempts ?? 4,
        maxEventAge: props.maxEventAge ?? Duration.hours(1),
        deadLetterQueue: props.deadLetterQueue,
      });
    const { minimumSeverity } = props.config;
    const rules: Record<Responder, events.Rule[]> = { isolate: [], revoke: [] };

    for (const responder of ['isolate', 'revoke'] as const) {
      const patterns = guardDutyPatterns(responder, minimumSeverity);
      patterns.forEach((pattern, index) => {
        rules[responder].push(
          new events.Rule(this, `GuardDuty${capitalize(responder)}${index + 1}`, {
            description: `Cordon: GuardDuty findings of severity >= ${minimumSeverity} whose type routes to ${responder} (lib/routing.ts), part ${index + 1} of ${patterns.length}`,
            eventPattern: {
              source: [...pattern.source],
              detailType: [...pattern['detail-type']],
              detail: { type: [...pattern.detail.type], severity: [...pattern.detail.severity] },
            },
            targets: [target(responder)],
          }),
        );
      });
    }

    rules.revoke.push(
      new events.Rule(this, 'HealthRevoke', {
        description: 'Cordon: AWS Health reports an exposed or compromised access key (AWS_RISK_CREDENTIALS_*)',
        eventPattern: {
          source: [HEALTH_SOURCE],
          detailType: [HEALTH_DETAIL_TYPE],
          detail: { eventTypeCode: [...CREDENTIAL_EVENT_CODES] },
        },
        targets: [target('revoke')],
      }),
    );

    const action = (responder: Responder): securityhub.CfnActionTarget => {
      const spec = CUSTOM_ACTIONS[responder];
      const actionTarget = new securityhub.CfnActionTarget(this, `${capitalize(responder)}Action`, {
        id: spec.id,
        name: spec.name,
        description: spec.description,
      });
      rules[responder].push(
        new events.Rule(this, `SecurityHub${capitalize(responder)}`, {
          description: `Cordon: the Security Hub custom action "${spec.name}"`,
          eventPattern: {
            source: [SECURITYHUB_SOURCE],
            detailType: [SECURITYHUB_CUSTOM_ACTION_DETAIL_TYPE],
            resources: [actionTarget.attrActionTargetArn],
          },
          targets: [target(responder)],
        }),
      );
      return actionTarget;
    };
    this.isolateAction = action('isolate');
    this.revokeAction = action('revoke');
    this.rules = rules;
  }
}

import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as securityhub from 'aws-cdk-lib/aws-securityhub';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { CordonConfig } from '../config';
import { CUSTOM_ACTIONS, deliveryRules } from '../delivery';
import type { Responder } from '../routing';

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

export { CUSTOM_ACTIONS, HEALTH_DETAIL_TYPE, HEALTH_SOURCE } from '../delivery';

const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * The EventBridge rules (default bus) that bring findings to the responders, from
 * lib/delivery.ts `deliveryRules`:
 * - GuardDuty `GuardDuty Finding` events by finding type (lib/routing.ts) and severity (root
 *   credential use at any severity); other
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
    const rules: Record<Responder, events.Rule[]> = { isolate: [], revoke: [] };

    const actions = {} as Record<Responder, securityhub.CfnActionTarget>;
    const actionIds = new Map<string, securityhub.CfnActionTarget>();
    for (const responder of ['isolate', 'revoke'] as const) {
      const spec = CUSTOM_ACTIONS[responder];
      actions[responder] = new securityhub.CfnActionTarget(this, `${capitalize(responder)}Action`, {
        id: spec.id,
        name: spec.name,
        description: spec.description,
      });
      actionIds.set(spec.id, actions[responder]);
    }
    // The same rules the drill delivers events through (lib/delivery.ts).
    const actionArn = (id: string): string => actionIds.get(id)?.attrActionTargetArn ?? id;
    for (const rule of deliveryRules(props.config, actionArn)) {
      const { source, 'detail-type': detailType, detail, resources } = rule.pattern as {
        source?: string[];
        'detail-type'?: string[];
        detail?: Record<string, unknown>;
        resources?: string[];
      };
      rules[rule.responder].push(
        new events.Rule(this, rule.id, {
          description: rule.description,
          eventPattern: { ...(source ? { source } : {}), ...(detailType ? { detailType } : {}), ...(detail ? { detail } : {}), ...(resources ? { resources } : {}) },
          targets: [target(rule.responder)],
        }),
      );
    }
    this.isolateAction = actions.isolate;
    this.revokeAction = actions.revoke;
    this.rules = rules;
  }
}

import { Duration, Stack, StackProps, Tags } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CREDENTIAL_EVENT_CODES } from '../lambdas/findings/health';
import { Notifications } from './constructs/notifications';
import { HEALTH_DETAIL_TYPE, HEALTH_SOURCE } from './delivery';
import { acknowledge } from './nag';
import { anySeverityPattern, guardDutyPatterns, RESPONDERS, type GuardDutyEventPattern } from './routing';
import { COMPONENT_TAG, FORWARDER_ROLE_PATH } from '../lambdas/shared/names';

/** Forwarder roles live under this path, so the home bus policy can name them without their names. */

/** AWS Health delivers its global events (AWS_RISK_CREDENTIALS_* among them) in us-east-1 only. */
export const HEALTH_EVENTS_REGION = 'us-east-1';

/** One home routing rule whose events are forwarded from other regions. */
export interface ForwardedRule {
  /** Construct id of the forwarding rule, e.g. the home rule's id. */
  readonly id: string;
  /** The home rule's pattern, forwarded unchanged. */
  readonly pattern: events.EventPattern;
  readonly description?: string;
}

/** A routing.ts GuardDuty pattern as a CDK EventPattern (`detail-type` is `detailType` there). */
export const toEventPattern = (p: GuardDutyEventPattern): events.EventPattern => ({
  source: [...p.source],
  detailType: [...p['detail-type']],
  detail: JSON.parse(JSON.stringify(p.detail)) as Record<string, unknown>,
});

/** AWS Health credential-exposure events (AWS_RISK_CREDENTIALS_*), routed to the credential responder. */
export const HEALTH_CREDENTIALS_PATTERN: events.EventPattern = {
  source: [HEALTH_SOURCE],
  detailType: [HEALTH_DETAIL_TYPE],
  detail: { eventTypeCode: [...CREDENTIAL_EVENT_CODES] },
};

/**
 * The routed events, as the home rules (lib/constructs/routing.ts, FindingRouting) select them: per
 * responder, the GuardDuty patterns of lib/routing.ts (the same builder) at the configured minimum
 * severity and those delivered at any severity (root credential use), and the AWS Health
 * credential events. The Security Hub custom-action rules are not
 * forwarded: custom actions are taken in the aggregation (home) region.
 */
export const routedRules = (minimumSeverity: number): ForwardedRule[] => [
  ...RESPONDERS.flatMap((responder) =>
    guardDutyPatterns(responder, minimumSeverity).map((pattern, i) => ({
      id: `GuardDuty${responder === 'isolate' ? 'Isolate' : 'Revoke'}${i}`,
      pattern: toEventPattern(pattern),
      description: `GuardDuty findings routed to ${responder}`,
    })),
  ),
  ...RESPONDERS.flatMap((responder) => {
    const pattern = anySeverityPattern(responder);
    return pattern
      ? [{ id: `GuardDuty${responder === 'isolate' ? 'Isolate' : 'Revoke'}AnySeverity`, pattern: toEventPattern(pattern), description: `GuardDuty findings routed to ${responder} at any severity` }]
      : [];
  }),
  { id: 'HealthCredentials', pattern: HEALTH_CREDENTIALS_PATTERN, description: 'AWS Health credential exposure events' },
];

const sources = (pattern: events.EventPattern): readonly string[] => pattern.source ?? [];

/**
 * Which home rules a region forwards:
 * - GuardDuty findings are regional: forwarded from every region.
 * - AWS Health credential events arrive in us-east-1 only: forwarded from there only.
 * - Security Hub findings are not forwarded: the finding aggregator already brings every linked
 *   region's findings (and their EventBridge events) to the home region; forwarding would duplicate.
 * A rule whose source is none of these (or unset) is forwarded everywhere: the home rule's pattern
 * decides, as it does at home.
 */
export const rulesForRegion = (rules: readonly ForwardedRule[], region: string): ForwardedRule[] =>
  rules.filter((rule) => {
    const s = sources(rule.pattern);
    if (s.length === 0) return true;
    return s.some((source) => {
      if (source === 'aws.securityhub') return false;
      if (source === HEALTH_SOURCE) return region === HEALTH_EVENTS_REGION;
      return true;
    });
  });

export interface ForwarderStackProps extends StackProps {
  /** The region of the response stack, whose default event bus receives the events. */
  readonly homeRegion: string;
  /** The home routing rules; see `rulesForRegion` for which ones this region forwards. */
  readonly rules: readonly ForwardedRule[];
  /** Subscribed to this region's alarm topic (alarms are regional: the home topic cannot receive them). */
  readonly emails?: readonly string[];
}

/**
 * One per configured region other than home (`CordonForwarder-<region>`): the home routing rules'
 * patterns, each sending matching events to the home region's default event bus, with a role under
 * FORWARDER_ROLE_PATH and a dead-letter queue for events the home bus did not accept.
 */
export class ForwarderStack extends Stack {
  readonly rules: readonly events.Rule[];
  readonly role: iam.Role;
  readonly deadLetterQueue: sqs.Queue;
  readonly alarmTopic: sns.ITopic;
  readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ForwarderStackProps) {
    super(scope, id, props);
    if (!this.region || this.region === props.homeRegion) {
      throw new Error(`ForwarderStack: expected a region other than the home region ${props.homeRegion}, received ${this.region}`);
    }
    const homeBus = events.EventBus.fromEventBusArn(
      this,
      'HomeBus',
      `arn:${this.partition}:events:${props.homeRegion}:${this.account}:event-bus/default`,
    );
    this.role = new iam.Role(this, 'ForwarderRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': this.account } } }),
      path: FORWARDER_ROLE_PATH,
      description: `Cordon: forwards routed events from ${this.region} to the default bus of ${props.homeRegion}`,
    });
    acknowledge(this.role, [
      ['NIST.800.53.R5-IAMNoInlinePolicy', 'the inline policy holds one grant: events:PutEvents on the home region’s default bus (and sending to its own dead-letter queue)'],
    ]);
    this.deadLetterQueue = new sqs.Queue(this, 'ForwardDlq', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetterQueue, [
      ['AwsSolutions-SQS3', 'this queue is itself the dead-letter queue of the forwarding rules'],
      ['Serverless-SQSRedrivePolicy', 'this queue is itself the dead-letter queue of the forwarding rules'],
    ]);

    // Alarms are regional: an undeliverable finding waits here (14 days) and alarms on a topic of
    // this region, encrypted with a key of its own, with the same e-mail subscribers as home.
    const alarmKey = new kms.Key(this, 'AlarmKey', {
      description: `Cordon: encrypts the forwarder alarm topic in ${this.region}`,
      enableKeyRotation: true,
    });
    this.alarmTopic = new Notifications(this, 'Alarms', { key: alarmKey, ...(props.emails ? { emails: props.emails } : {}) }).topic;
    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'ForwardDlqMessages', {
      alarmDescription: `Cordon: findings from ${this.region} could not be forwarded to ${props.homeRegion} and wait in the dead-letter queue (deleted after 14 days)`,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.deadLetterAlarm.addAlarmAction(new actions.SnsAction(this.alarmTopic));

    const forwarded = rulesForRegion(props.rules, this.region);
    this.rules = forwarded.map(
      (rule) =>
        new events.Rule(this, rule.id, {
          description: `Cordon: forward to ${props.homeRegion}${rule.description ? `: ${rule.description}` : ''}`.slice(0, 512),
          eventPattern: rule.pattern,
          targets: [new targets.EventBus(homeBus, { role: this.role, deadLetterQueue: this.deadLetterQueue })],
        }),
    );
    Tags.of(this).add(COMPONENT_TAG, 'forwarder');
  }
}

export interface ForwardedEventsPolicyProps {
  /** When set, the sender must also belong to the organization. */
  readonly organizationId?: string;
}

/**
 * On the home region's default event bus: events:PutEvents from this account's forwarder roles
 * only (by role path, so no role name is fixed), and from within the organization when one is set.
 */
export class ForwardedEventsPolicy extends Construct {
  readonly policy: events.CfnEventBusPolicy;

  constructor(scope: Construct, id: string, props: ForwardedEventsPolicyProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.policy = new events.CfnEventBusPolicy(this, 'Policy', {
      eventBusName: 'default',
      statementId: 'CordonForwarders',
      statement: {
        Sid: 'CordonForwarders',
        Effect: 'Allow',
        Principal: { AWS: `arn:${stack.partition}:iam::${stack.account}:root` },
        Action: 'events:PutEvents',
        Resource: `arn:${stack.partition}:events:${stack.region}:${stack.account}:event-bus/default`,
        Condition: {
          ArnLike: { 'aws:PrincipalArn': `arn:${stack.partition}:iam::${stack.account}:role${FORWARDER_ROLE_PATH}*` },
          ...(props.organizationId ? { StringEquals: { 'aws:PrincipalOrgID': props.organizationId } } : {}),
        },
      },
    });
  }
}

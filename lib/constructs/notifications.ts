import { Names, Stack } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';

export interface NotificationsProps {
  /** Encrypts the topic (the response stack's key). */
  readonly key: kms.IKey;
  /** Each receives every decision and alarm (the address confirms the subscription first). */
  readonly emails?: readonly string[];
  /** AWS Chatbot Slack channel; the workspace must already be authorised in the Chatbot console. */
  readonly slack?: { readonly workspaceId: string; readonly channelId: string };
  /**
   * Regions whose Security Hub findings the responders write decisions back to.
   * @default - none: no BatchUpdateFindings permission
   */
  readonly securityHubRegions?: readonly string[];
}

/**
 * Where decisions and alarms go: one KMS-encrypted, TLS-only SNS topic (one message per incident
 * decision, rendered per protocol: text for e-mail, Chatbot JSON for Slack, the decision as JSON
 * for everything else), its e-mail subscriptions, and an optional Chatbot Slack channel.
 */
export class Notifications extends Construct {
  readonly topic: sns.Topic;
  readonly slackChannel?: chatbot.CfnSlackChannelConfiguration;
  private readonly securityHubRegions: readonly string[];

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.securityHubRegions = props.securityHubRegions ?? [];

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Cordon incident decisions and alarms',
      masterKey: props.key,
      enforceSSL: true,
    });
    // CloudWatch alarms publish as the service: the topic and its key must let them (this account's alarms only).
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*` },
        },
      }),
    );
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );

    for (const email of props.emails ?? []) {
      const subscription = this.topic.addSubscription(new subscriptions.EmailSubscription(email));
      acknowledge(subscription, [
        [
          'Serverless-SNSRedrivePolicy',
          'e-mail copies of decisions that are themselves evidenced in the WORM store; a dead-letter queue of undelivered e-mails would have no reader',
        ],
      ]);
    }

    if (props.slack) {
      // Chatbot only relays messages here: its role has no permission at all, and the guardrail
      // caps anything a channel member could ever run to read-only CloudWatch.
      const role = new iam.Role(this, 'ChatbotRole', {
        assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com'),
        description: 'Cordon: AWS Chatbot channel role (notifications only, no permissions)',
      });
      this.slackChannel = new chatbot.CfnSlackChannelConfiguration(this, 'Slack', {
        configurationName: Names.uniqueResourceName(this, { maxLength: 128, separator: '-' }),
        iamRoleArn: role.roleArn,
        slackWorkspaceId: props.slack.workspaceId,
        slackChannelId: props.slack.channelId,
        snsTopicArns: [this.topic.topicArn],
        guardrailPolicies: [`arn:${stack.partition}:iam::aws:policy/CloudWatchReadOnlyAccess`],
        loggingLevel: 'ERROR',
        userRoleRequired: false,
      });
    }
  }

  /** Publish to the topic (with its key) and, where configured, write decisions back to Security Hub. */
  grantNotify(grantee: iam.IGrantable): void {
    this.topic.grantPublish(grantee);
    if (this.securityHubRegions.length === 0) return;
    const stack = Stack.of(this);
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['securityhub:BatchUpdateFindings'],
      resourceArns: this.securityHubRegions.map((region) => `arn:${stack.partition}:securityhub:${region}:${stack.account}:hub/default`),
    });
  }
}

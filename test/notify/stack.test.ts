import { Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks } from 'cdk-nag';
import { parseConfig, type CordonConfigInput } from '../../lib/config';
import { CordonApp } from '../../lib/cordon-app';
import { testApp } from '../lib/app';

const SLACK = { workspaceId: 'T0123ABCD', channelId: 'C0123ABCD' };

const build = (input: CordonConfigInput = {}) => {
  const app = testApp();
  const cordon = new CordonApp(app, { config: parseConfig(input) });
  const stack = cordon.response;
  return { app, stack, template: Template.fromStack(stack), id: (c: Parameters<typeof stack.getLogicalId>[0]) => stack.getLogicalId(c) };
};

describe('notifications, guardrails table and alarms (response stack)', () => {
  const full = build({ notifications: { emails: ['soc@example.com', 'oncall@example.com'], slack: SLACK }, breaker: { maxContainments: 3, windowMinutes: 30 } });
  const { template, stack } = full;
  const keyId = stack.getLogicalId(stack.node.findChild('ResponseKey').node.defaultChild as never);
  const topicId = stack.getLogicalId(full.stack.notifications.topic.node.defaultChild as never);
  const tableId = stack.getLogicalId(full.stack.guardrailsTable.node.defaultChild as never);

  it('encrypts the topic with the response key and refuses anything but TLS', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Principal: '*' }),
          Match.objectLike({ Effect: 'Allow', Action: 'sns:Publish', Principal: { Service: 'cloudwatch.amazonaws.com' } }),
        ]),
      },
    });
  });

  it('subscribes every configured address, and a Slack channel with a permissionless role', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 2);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'soc@example.com', TopicArn: { Ref: topicId } });
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      SlackWorkspaceId: 'T0123ABCD',
      SlackChannelId: 'C0123ABCD',
      SnsTopicArns: [{ Ref: topicId }],
      GuardrailPolicies: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/CloudWatchReadOnlyAccess']] }],
      UserRoleRequired: false,
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'chatbot.amazonaws.com' } })] },
      Policies: Match.absent(),
      ManagedPolicyArns: Match.absent(),
    });
  });

  it('creates no Slack channel unless configured', () => {
    build().template.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 0);
  });

  it('keeps the guardrails in one KMS-encrypted table with TTL and point-in-time recovery', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
    });
  });

  it('grants each responder item reads and writes on that table, publish on the topic and write-back to Security Hub, nothing more', () => {
    for (const fn of [stack.isolateInstance, stack.revokeCredentials]) {
      const roleId = stack.getLogicalId(fn.role!.node.defaultChild as never);
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: roleId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
              Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
            }),
            Match.objectLike({ Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: topicId } }),
            Match.objectLike({
              Effect: 'Allow',
              Action: 'securityhub:BatchUpdateFindings',
              Resource: {
                'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':securityhub:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':hub/default']],
              },
            }),
          ]),
        },
      });
    }
    // No other statement names the table (no Scan, no Query, no batch).
    const onTable = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }).Properties.PolicyDocument.Statement)
      .filter((st) => JSON.stringify(st.Resource).includes(tableId));
    expect(onTable.map((st) => st.Action)).toEqual([
      ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      'dynamodb:Query',
      ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      'dynamodb:Query',
    ]);
  });

  it('tells the responders where the guardrails and the topic are', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          GUARDRAILS_TABLE: { Ref: tableId },
          BREAKER_MAX_CONTAINMENTS: '3',
          BREAKER_WINDOW_MINUTES: '30',
          NOTIFY_TOPIC_ARN: { Ref: topicId },
          SECURITY_HUB_WRITEBACK: 'true',
        }),
      },
    });
  });

  it('alarms on every function error and every dead-letter queue, into the topic', () => {
    const alarms = template.findResources('AWS::CloudWatch::Alarm');
    const byMetric = (name: string) => Object.values(alarms).filter((a) => (a as { Properties: { MetricName?: string } }).Properties.MetricName === name);
    expect(byMetric('Errors')).toHaveLength(4);
    expect(byMetric('ApproximateNumberOfMessagesVisible')).toHaveLength(5);
    for (const alarm of Object.values(alarms)) {
      expect((alarm as { Properties: { AlarmActions: unknown } }).Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: stack.getLogicalId(stack.isolateInstance.node.defaultChild as never) } }],
    });
  });

  it('alarms when the breaker opens, from the responders\' structured logs', () => {
    template.resourcePropertiesCountIs('AWS::Logs::MetricFilter', { FilterPattern: '{ $.breaker = "open" }' }, 2);
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.breaker = "open" }',
      MetricTransformations: [{ MetricNamespace: 'Cordon', MetricName: 'BreakerOpen', MetricValue: '1' }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Cordon',
      MetricName: 'BreakerOpen',
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('alarms when the mode has not been enforce for the configured hours, fed by a 5-minute heartbeat of every responder', () => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ ($.modeEnforced = 0) || ($.modeEnforced = 1) }',
      MetricTransformations: [{ MetricNamespace: 'Cordon', MetricName: 'ModeEnforced', MetricValue: '$.modeEnforced' }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ModeEnforced',
      Statistic: 'Maximum',
      Period: 3600,
      EvaluationPeriods: 24,
      DatapointsToAlarm: 24,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        Match.objectLike({ Input: '{"cordon":"heartbeat"}', Arn: { 'Fn::GetAtt': [stack.getLogicalId(stack.isolateInstance.node.defaultChild as never), 'Arn'] } }),
        Match.objectLike({ Input: '{"cordon":"heartbeat"}', Arn: { 'Fn::GetAtt': [stack.getLogicalId(stack.revokeCredentials.node.defaultChild as never), 'Arn'] } }),
      ],
    });
    build({ alarms: { modeNotEnforcedHours: 72 } }).template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ModeEnforced', EvaluationPeriods: 72 });
  });

  it('alarms on every silent failure: failed steps, escalations, failed notifications, an unreadable mode, throttles and event age', () => {
    const filters: [string, string][] = [
      ['ContainmentStepFailed', '{ $.stepsFailed > 0 }'],
      ['Escalations', '{ $.decided = "escalate" }'],
      ['NotificationFailed', '{ $.message = "notification failed: the decision stands" }'],
      ['ModeUnreadable', '{ $.mode = "unreadable" }'],
    ];
    for (const [metric, pattern] of filters) {
      // One filter per responder log group, one alarm on the sum, published to the topic.
      expect(Object.keys(template.findResources('AWS::Logs::MetricFilter', { Properties: { FilterPattern: pattern, MetricTransformations: [{ MetricNamespace: 'Cordon', MetricName: metric, MetricValue: '1' }] } }))).toHaveLength(2);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'Cordon',
        MetricName: metric,
        Period: 300,
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [{ Ref: topicId }],
      });
    }
    for (const fn of [stack.isolateInstance, stack.revokeCredentials]) {
      const dimensions = [{ Name: 'FunctionName', Value: { Ref: stack.getLogicalId(fn.node.defaultChild as never) } }];
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Throttles', Namespace: 'AWS/Lambda', Dimensions: dimensions, Threshold: 0, AlarmActions: [{ Ref: topicId }] });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'AsyncEventAge', Namespace: 'AWS/Lambda', Dimensions: dimensions, Statistic: 'Maximum', Threshold: 300000, AlarmActions: [{ Ref: topicId }] });
    }
  });

  it('indexes parked events for re-drive and lets the responders query that index only', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        {
          IndexName: 'parked',
          KeySchema: [
            { AttributeName: 'parkedBy', KeyType: 'HASH' },
            { AttributeName: 'parkedAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Allow', Action: 'dynamodb:Query', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, '/index/parked']] } }),
        ]),
      },
    });
  });

  it('rejects a mode alarm beyond what CloudWatch can evaluate, and a malformed Slack channel', () => {
    expect(() => parseConfig({ alarms: { modeNotEnforcedHours: 169 } })).toThrow('cordon.alarms.modeNotEnforcedHours must be an integer >= 1 and <= 168, received 169');
    expect(() => parseConfig({ notifications: { slack: { workspaceId: 'T01', channelId: '#soc' } } })).toThrow(
      'cordon.notifications.slack.channelId must be a Slack channel id like C0123ABCD, received "#soc"',
    );
  });

  it('raises no cdk-nag finding with Slack, e-mails and member regions configured', () => {
    const app = testApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app), new ServerlessChecks(app));
    new CordonApp(app, { config: parseConfig({ notifications: { emails: ['soc@example.com'], slack: SLACK }, regions: ['eu-west-1'], homeRegion: 'us-east-1' }) });
    expect(() => app.synth()).not.toThrow();
  });
});

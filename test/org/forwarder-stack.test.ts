import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../lib/config';
import { homeRegionOf } from '../../lib/organization-stack';
import { rulesForRegion, routedRules, HEALTH_CREDENTIALS_PATTERN } from '../../lib/forwarder-stack';
import { anySeverityPattern, guardDutyPatterns } from '../../lib/routing';
import { buildCordon } from '../lib/app';
import { ORG_CONFIG, orgApp, resourcesOf, type CfnResource } from './support';

const built = orgApp({ ...ORG_CONFIG, regions: ['eu-west-1', 'us-east-1', 'eu-central-1'] });

const patternsOf = (t: ReturnType<typeof orgApp>['response']) =>
  resourcesOf(t, 'AWS::Events::Rule')
    .map((r) => r.EventPattern)
    .filter((p) => p !== undefined);

describe('regional forwarders', () => {
  it('creates one stack per configured region other than home, deployed in that region', () => {
    expect(built.forwarders.map(({ stack }) => [stack.stackName, stack.region])).toEqual([
      ['CordonForwarder-eu-west-1', 'eu-west-1'],
      ['CordonForwarder-us-east-1', 'us-east-1'],
    ]);
  });

  it('forwards the GuardDuty patterns the routing table builds, unchanged, everywhere', () => {
    const expected = [...guardDutyPatterns('isolate', 7), ...guardDutyPatterns('revoke', 7), anySeverityPattern('revoke')];
    for (const { template } of built.forwarders) {
      const guardDuty = patternsOf(template).filter((p) => (p as { source: string[] }).source[0] === 'aws.guardduty');
      expect(guardDuty).toEqual(expected);
    }
  });

  it('forwards every pattern the home routing rules match on (us-east-1 forwards them all)', () => {
    // Routing rules only: the tamper rules (CloudTrail API calls on Cordon itself) are not findings.
    const home = patternsOf(built.response).filter(
      (p) =>
        ['aws.guardduty', 'aws.health'].includes((p as { source: string[] }).source[0] ?? '') &&
        !((p as { 'detail-type'?: string[] })['detail-type'] ?? []).includes('AWS API Call via CloudTrail'),
    );
    const usEast1 = built.forwarders.find(({ stack }) => stack.region === 'us-east-1')!.template;
    expect(home.length).toBeGreaterThan(2);
    const forwarded = patternsOf(usEast1).map((p) => JSON.stringify(p));
    expect(home.filter((p) => !forwarded.includes(JSON.stringify(p)))).toEqual([]);
  });

  it('forwards AWS Health credential events from us-east-1 only, and Security Hub findings nowhere', () => {
    const health = (region: string) =>
      patternsOf(built.forwarders.find(({ stack }) => stack.region === region)!.template).filter((p) => (p as { source: string[] }).source[0] === 'aws.health');
    expect(health('us-east-1')).toEqual([{ source: ['aws.health'], 'detail-type': ['AWS Health Event'], detail: HEALTH_CREDENTIALS_PATTERN.detail }]);
    expect(health('eu-west-1')).toEqual([]);
    const rules = [{ id: 'Hub', pattern: { source: ['aws.securityhub'] } }, ...routedRules(7)];
    expect(rulesForRegion(rules, 'eu-west-1').map((r) => r.id)).not.toContain('Hub');
    expect(rulesForRegion(rules, 'eu-west-1').map((r) => r.id)).not.toContain('HealthCredentials');
  });

  it('targets the home region’s default bus with a forwarder role and a dead-letter queue', () => {
    for (const { template } of built.forwarders) {
      const rules = Object.values(template.findResources('AWS::Events::Rule') as Record<string, CfnResource>);
      expect(rules.length).toBeGreaterThan(0);
      for (const rule of rules) {
        expect(rule.Properties.Targets).toEqual([
          {
            Id: 'Target0',
            Arn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:eu-central-1:', { Ref: 'AWS::AccountId' }, ':event-bus/default']] },
            RoleArn: { 'Fn::GetAtt': [expect.stringMatching(/^ForwarderRole/) as unknown, 'Arn'] },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/^ForwardDlq/) as unknown, 'Arn'] } },
          },
        ]);
      }
      template.hasResourceProperties('AWS::IAM::Role', { Path: '/cordon/forwarder/' });
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'events:PutEvents' })]) },
      });
    }
  });

  it('lets only this account’s forwarder roles, in the organization, put events on the home bus', () => {
    built.response.hasResourceProperties('AWS::Events::EventBusPolicy', {
      EventBusName: 'default',
      Statement: {
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] } },
        Condition: {
          ArnLike: { 'aws:PrincipalArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/cordon/forwarder/*']] } },
          StringEquals: { 'aws:PrincipalOrgID': 'o-abc1234567' },
        },
      },
    });
  });

  it('alarms in its own region on findings it could not forward, on a topic with the home subscribers', () => {
    const withEmails = orgApp({ ...ORG_CONFIG, regions: ['eu-west-1'], notifications: { emails: ['soc@example.com'] } });
    const [forwarder] = withEmails.forwarders;
    const t = forwarder!.template;
    const stack = forwarder!.stack;
    const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id(stack.deadLetterQueue), 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: id(stack.alarmTopic as never) }],
    });
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'soc@example.com' });
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('skips forwarders, with a warning, when the home region is unknown, and creates none without regions', () => {
    const { cordon } = buildCordon({ regions: ['eu-west-1'] });
    expect(cordon.organization.forwarders).toEqual([]);
    Annotations.fromStack(cordon.response).hasWarning('*', Match.stringLikeRegexp('set cordon.homeRegion'));
    expect(buildCordon({}).cordon.organization.forwarders).toEqual([]);
  });

  it('rejects a cordon.homeRegion other than the region the stacks deploy to', () => {
    expect(() => homeRegionOf(parseConfig({ homeRegion: 'eu-west-1' }), { region: 'us-east-2' })).toThrow(
      'cordon.homeRegion is eu-west-1 but the stacks deploy to us-east-2',
    );
    expect(homeRegionOf(parseConfig({}), { region: 'us-east-2' })).toBe('us-east-2');
  });
});

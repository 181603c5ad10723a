import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { MEMBER_STACK_SET_NAME } from '../../lib/organization-stack';
import { buildCordon } from '../lib/app';
import { ORG_CONFIG, onlyOf, orgApp } from './support';

const built = orgApp();
const organization = built.organization!;

describe('member role StackSet', () => {
  const stackSet = onlyOf(organization, 'AWS::CloudFormation::StackSet');

  it('is service-managed, auto-deploys to the member OUs and removes the role from leaving accounts by default', () => {
    expect(stackSet).toMatchObject({
      StackSetName: MEMBER_STACK_SET_NAME,
      PermissionModel: 'SERVICE_MANAGED',
      CallAs: 'DELEGATED_ADMIN',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      StackInstancesGroup: [{ DeploymentTargets: { OrganizationalUnitIds: ['ou-ab12-cdef3456'] }, Regions: [{ Ref: 'AWS::Region' }] }],
    });
  });

  it('takes its operation preferences from config, with documented defaults', () => {
    expect(stackSet.OperationPreferences).toEqual({ FailureTolerancePercentage: 10, MaxConcurrentPercentage: 25, RegionConcurrencyType: 'PARALLEL' });
    const custom = orgApp({
      ...ORG_CONFIG,
      organization: {
        stackSet: { failureTolerancePercentage: 0, maxConcurrentPercentage: 100, regionConcurrencyType: 'SEQUENTIAL', callAs: 'SELF' },
        retainStacksOnAccountRemoval: true,
      },
    }).organization!;
    custom.hasResourceProperties('AWS::CloudFormation::StackSet', {
      CallAs: 'SELF',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: true },
      OperationPreferences: { FailureTolerancePercentage: 0, MaxConcurrentPercentage: 100, RegionConcurrencyType: 'SEQUENTIAL' },
    });
  });

  it('passes the exact responder role ARNs of the response stack as parameters', () => {
    const imports = (stackSet.Parameters as { ParameterKey: string; ParameterValue: { 'Fn::ImportValue': string } }[]).map((p) => [
      p.ParameterKey,
      p.ParameterValue['Fn::ImportValue'],
    ]);
    expect(imports).toEqual([
      ['IsolationResponderRoleArn', expect.stringMatching(/^CordonResponse:ExportsOutputFnGetAttIsolateInstanceRole[0-9A-F]{8}Arn/) as unknown],
      ['CredentialResponderRoleArn', expect.stringMatching(/^CordonResponse:ExportsOutputFnGetAttRevokeCredentialsRole[0-9A-F]{8}Arn/) as unknown],
      ['SessionRevokerRoleArn', expect.stringMatching(/^CordonResponse:ExportsOutputFnGetAttSessionRevokerRole[0-9A-F]{8}Arn/) as unknown],
    ]);
  });

  it('embeds the member template: one role per responder, their policies, the session writer role, no bootstrap parameter', () => {
    const body = JSON.parse(stackSet.TemplateBody as string) as { Parameters: Record<string, unknown>; Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    const types = Object.values(body.Resources).map((r) => r.Type).sort();
    expect(types).toEqual(['AWS::IAM::ManagedPolicy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role', 'AWS::IAM::Role', 'AWS::IAM::Role']);
    expect(Object.values(body.Resources).filter((r) => r.Type === 'AWS::IAM::Role').map((r) => r.Properties.RoleName)).toEqual([
      'CordonMemberIsolation',
      'CordonMemberCredentials',
      'CordonMemberSessionRevoker',
    ]);
    expect(Object.keys(body.Parameters).sort()).toEqual(['CredentialResponderRoleArn', 'IsolationResponderRoleArn', 'SessionRevokerRoleArn']);
    expect((stackSet.TemplateBody as string).length).toBeLessThanOrEqual(51_200);
  });

  it('outputs the role ARNs the single-account CordonMember deploy needs', () => {
    built.response.hasOutput('IsolateInstanceRoleArn', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IsolateInstanceRole'), 'Arn'] } });
    built.response.hasOutput('RevokeCredentialsRoleArn', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RevokeCredentialsRole'), 'Arn'] } });
  });
});

describe('organization wiring', () => {
  it('auto-enables Security Hub in new members and aggregates the configured regions', () => {
    organization.hasResourceProperties('AWS::SecurityHub::OrganizationConfiguration', { AutoEnable: true, ConfigurationType: 'LOCAL', AutoEnableStandards: 'DEFAULT' });
    organization.hasResourceProperties('AWS::SecurityHub::FindingAggregator', { RegionLinkingMode: 'SPECIFIED_REGIONS', Regions: ['eu-west-1'] });
  });

  it('never links the home (aggregation) region to its own aggregator', () => {
    const withHome = orgApp({ ...ORG_CONFIG, regions: ['eu-central-1', 'eu-west-1', 'us-east-1'] }).organization!;
    withHome.hasResourceProperties('AWS::SecurityHub::FindingAggregator', { RegionLinkingMode: 'SPECIFIED_REGIONS', Regions: ['eu-west-1', 'us-east-1'] });
    const onlyHome = orgApp({ ...ORG_CONFIG, regions: ['eu-central-1'] }).organization!;
    onlyHome.resourceCountIs('AWS::SecurityHub::FindingAggregator', 0);
  });

  it('warns at synth about the blind spots: the management account, and AWS Health events of us-east-1 not forwarded', () => {
    const warningsOf = (app: ReturnType<typeof orgApp>) =>
      Annotations.fromStack(app.cordon.response)
        .findWarning('*', Match.anyValue())
        .map((w) => String(w.entry.data));
    const blind = warningsOf(orgApp({ ...ORG_CONFIG, memberAccounts: [], regions: ['eu-west-1'] }));
    expect(blind).toEqual(
      expect.arrayContaining([
        expect.stringContaining('service-managed StackSets never deploy to the management account, so findings there can only escalate (account-access)'),
        expect.stringContaining('AWS Health credential-exposure events are published in us-east-1, which is neither the home region (eu-central-1) nor in cordon.regions'),
      ]),
    );
    const covered = warningsOf(orgApp({ ...ORG_CONFIG, regions: ['eu-west-1', 'us-east-1'] }));
    expect(covered.filter((w) => /management account|AWS Health credential-exposure/.test(w))).toEqual([]);
  });

  it('sets GuardDuty organization auto-enable on the detection stack’s detector, with least privilege', () => {
    organization.hasResourceProperties('Custom::CordonGuardDutyOrganizationConfiguration', {
      DetectorId: { 'Fn::ImportValue': Match.stringLikeRegexp('^CordonDetection:.*DetectorId') },
      AutoEnableOrganizationMembers: 'NEW',
      Features: Match.arrayWith([{ Name: 'S3_DATA_EVENTS', AutoEnable: 'NEW' }]),
    });
    organization.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'OrganizationConfiguration',
            Effect: 'Allow',
            Action: ['guardduty:DescribeOrganizationConfiguration', 'guardduty:UpdateOrganizationConfiguration'],
            // No resource-level permission exists for these actions: a detector ARN never matched.
            Resource: '*',
          },
        ]),
      },
    });
  });

  it('maps disabled features to NONE and honours guardDutyAutoEnable ALL', () => {
    const t = orgApp({ ...ORG_CONFIG, organization: { guardDutyAutoEnable: 'ALL' }, guardDuty: { features: { rdsLoginEvents: false } } }).organization!;
    t.hasResourceProperties('Custom::CordonGuardDutyOrganizationConfiguration', {
      AutoEnableOrganizationMembers: 'ALL',
      Features: Match.arrayWith([
        { Name: 'S3_DATA_EVENTS', AutoEnable: 'ALL' },
        { Name: 'RDS_LOGIN_EVENTS', AutoEnable: 'NONE' },
      ]),
    });
  });

  it('skips what is managed elsewhere, and creates no organization stack without organizationId', () => {
    const elsewhere = orgApp({ ...ORG_CONFIG, guardDuty: { enabled: false }, securityHub: { enabled: false } }).organization!;
    elsewhere.resourceCountIs('Custom::CordonGuardDutyOrganizationConfiguration', 0);
    elsewhere.resourceCountIs('AWS::SecurityHub::OrganizationConfiguration', 0);
    elsewhere.resourceCountIs('AWS::CloudFormation::StackSet', 1);

    const single = buildCordon({ memberAccounts: ['222233334444'] }).cordon.organization;
    expect(single.organization).toBeUndefined();
    expect(single.member?.stackName).toBe('CordonMember');
    expect(buildCordon({}).cordon.organization).toEqual({ forwarders: [] });
  });

  it('keeps the CordonMember stack out of `cdk deploy --all` (it is in a stage)', () => {
    const assembly = buildCordon({ memberAccounts: ['222233334444'] }).app.synth();
    expect(assembly.stacks.map((s) => s.stackName)).not.toContain('CordonMember');
    expect(assembly.stacksRecursively.map((s) => s.hierarchicalId)).toContain('CordonMember/ResponderRole');
  });
});

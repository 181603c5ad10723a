import { Match, Template } from 'aws-cdk-lib/assertions';
import { templates } from './app';

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown> };

const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** Every statement that applies to a function's role: its inline default policy and attached managed policies. */
const roleStatements = (t: Template, roleIdPrefix: string): Statement[] => {
  const resources = t.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
  const roleId = Object.keys(resources).find((id) => id.startsWith(roleIdPrefix) && resources[id]!.Type === 'AWS::IAM::Role')!;
  const refersToRole = (roles: unknown) => JSON.stringify(roles ?? []).includes(`"${roleId}"`);
  return Object.values(resources)
    .filter((r) => (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') && refersToRole(r.Properties.Roles))
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
};

const allowing = (statements: Statement[], action: string) =>
  statements.filter((s) => s.Effect === 'Allow' && actionsOf(s).includes(action));

describe('response stack', () => {
  let response: Template;
  beforeAll(() => {
    ({ response } = templates({ regions: ['eu-west-1'] }));
  });

  it('runs every responder on Node.js 24 / ARM64 with tracing, reserved concurrency and a DLQ', () => {
    const functions = response.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions).length).toBeGreaterThanOrEqual(3);
    for (const fn of Object.values(functions) as { Properties: Record<string, unknown> }[]) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        ReservedConcurrentExecutions: expect.any(Number),
        DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [expect.stringMatching(/Dlq/), 'Arn'] } },
      });
    }
    // 1,024 MB (CPU in proportion to memory) and the runtime's young-generation size for it, set in
    // NODE_OPTIONS: what bench/deployed.ts measures the per-finding CPU under.
    const isolate = Object.entries(functions).find(([id]) => id.startsWith('IsolateInstance'))?.[1] as { Properties: Record<string, unknown> };
    expect(isolate.Properties).toMatchObject({ MemorySize: 1024, Environment: { Variables: { NODE_OPTIONS: '--max-semi-space-size=51' } } });
    response.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('IsolateInstanceDlq'), 'Arn'] } } },
    });
  });

  it('puts every responder role under the evidence-writer path the vault exempts', () => {
    for (const role of Object.values(response.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'lambda.amazonaws.com' } }] } } }))) {
      expect((role as { Properties: { Path: string } }).Properties.Path).toBe('/cordon/evidence-writer/');
    }
  });

  it('gives an appending function kms:Sign on the signing key, PutObject on records/* and UpdateItem on the heads table only', () => {
    const statements = roleStatements(response, 'RevokeCredentialsRole');
    const sign = allowing(statements, 'kms:Sign');
    expect(sign).toHaveLength(1);
    expect(JSON.stringify(sign[0]!.Resource)).toContain('SigningKey');
    const put = allowing(statements, 's3:PutObject');
    expect(put.map((s) => s.Resource)).toEqual([{ 'Fn::Join': ['', [{ 'Fn::ImportValue': 'CordonEvidence-EvidenceBucketArn' }, '/records/*']] }]);
    expect(actionsOf(put[0]!)).toEqual(['s3:PutObject', 's3:PutObjectRetention']);
    const update = allowing(statements, 'dynamodb:UpdateItem').filter((s) => JSON.stringify(s.Resource).includes('CordonEvidence'));
    expect(update).toHaveLength(1);
    expect(JSON.stringify(update[0]!.Resource)).toContain('ChainHeads');
    expect(actionsOf(update[0]!)).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(statements.flatMap(actionsOf)).not.toContain('s3:DeleteObject');
  });

  it('lets the isolation function put console captures under artifacts/* only, besides its records', () => {
    const put = allowing(roleStatements(response, 'IsolateInstanceRole'), 's3:PutObject');
    expect(put.map(actionsOf)).toEqual([['s3:PutObject', 's3:PutObjectRetention']]);
    const resources = put.flatMap((st) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource])).map((r) => JSON.stringify(r));
    expect(resources.sort()).toEqual(
      ['/artifacts/*', '/records/*'].map((tail) => JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::ImportValue': 'CordonEvidence-EvidenceBucketArn' }, tail]] })),
    );
  });

  it('limits EC2 mutations to this account and Cordon’s regions', () => {
    const statements = roleStatements(response, 'IsolateInstanceRole');
    const modify = allowing(statements, 'ec2:ModifyNetworkInterfaceAttribute');
    expect(modify).toHaveLength(1);
    const resources = JSON.stringify(modify[0]!.Resource);
    expect(resources).toContain(':ec2:",{"Ref":"AWS::Region"},":",{"Ref":"AWS::AccountId"},":network-interface/*');
    expect(resources).toContain(':ec2:eu-west-1:",{"Ref":"AWS::AccountId"},":network-interface/*');
    const describe = allowing(statements, 'ec2:DescribeInstances')[0]!;
    expect(describe.Condition).toEqual({ StringEquals: { 'aws:RequestedRegion': [{ Ref: 'AWS::Region' }, 'eu-west-1'] } });
  });

  it('lets the isolation responder create security groups only with the cordon:isolation request tag, and edit only those', () => {
    const statements = roleStatements(response, 'IsolateInstanceRole');
    const create = allowing(statements, 'ec2:CreateSecurityGroup');
    const onGroups = create.filter((s) => JSON.stringify(s.Resource).includes('security-group/*'));
    expect(onGroups).toHaveLength(1);
    expect(onGroups[0]!.Condition).toEqual({ StringEquals: { 'aws:RequestTag/cordon:isolation': ['isolation', 'allow-all'] } });
    const edits = allowing(statements, 'ec2:RevokeSecurityGroupEgress');
    expect(edits[0]!.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/cordon:isolation': ['isolation', 'allow-all'] } });
  });

  it('tags security groups and snapshots only in the creating request, instances only with cordon:incident and cordon:released, never with the protected key', () => {
    const statements = roleStatements(response, 'IsolateInstanceRole');
    const tagging = allowing(statements, 'ec2:CreateTags');
    expect(Object.fromEntries(tagging.map((s) => [s.Sid, s.Condition]))).toEqual({
      TagOwnGroupsOnlyAtCreation: {
        StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' },
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['cordon:isolation', 'Name'] },
      },
      TagInstancesOnlyWithIncident: {
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['cordon:incident', 'cordon:released'] },
        Null: { 'aws:TagKeys': 'false' },
      },
      TagSnapshotsOnlyAtCreation: {
        StringEquals: { 'ec2:CreateAction': ['CreateSnapshots', 'CreateSnapshot'] },
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['cordon:incident'] },
      },
    });
    expect(JSON.stringify(tagging.find((s) => s.Sid === 'TagOwnGroupsOnlyAtCreation')!.Resource)).toContain('security-group/*');
    expect(JSON.stringify(tagging.find((s) => s.Sid === 'TagInstancesOnlyWithIncident')!.Resource)).toContain('instance/*');
    expect(JSON.stringify(tagging.find((s) => s.Sid === 'TagSnapshotsOnlyAtCreation')!.Resource)).toContain('::snapshot/*');
    expect(statements.find((s) => s.Sid === 'NeverTheProtectedTagKey')).toEqual({
      Sid: 'NeverTheProtectedTagKey',
      Effect: 'Deny',
      Action: ['ec2:CreateTags', 'ec2:DeleteTags'],
      Resource: '*',
      Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['cordon:protected'] } },
    });
  });

  it("reads only instance profiles, and invokes only the credential function (unqualified), to revoke an instance role's sessions", () => {
    const statements = roleStatements(response, 'IsolateInstanceRole');
    expect(allowing(statements, 'iam:GetInstanceProfile').map((s) => [s.Sid, JSON.stringify(s.Resource)])).toEqual([
      ['FindInstanceRole', expect.stringContaining(':instance-profile/*')],
    ]);
    const invoke = allowing(statements, 'lambda:InvokeFunction');
    expect(invoke.map((s) => s.Sid)).toEqual(['AskCredentialResponder']);
    expect(invoke[0]!.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^RevokeCredentials/), 'Arn'] });
  });

  it('modifies only the instance attributes isolation sets', () => {
    const modify = allowing(roleStatements(response, 'IsolateInstanceRole'), 'ec2:ModifyInstanceAttribute');
    expect(modify).toHaveLength(1);
    expect(modify[0]!.Condition).toEqual({
      StringEqualsIgnoreCase: { 'ec2:Attribute': ['disableApiTermination', 'disableApiStop', 'instanceInitiatedShutdownBehavior', 'blockDeviceMapping'] },
    });
  });

  it('denies every mutating isolation call on a resource carrying the protected tag, by IAM', () => {
    const statements = roleStatements(response, 'IsolateInstanceRole');
    const ec2Deny = statements.find((s) => s.Sid === 'NeverTouchProtectedEc2Resources')!;
    expect(ec2Deny).toMatchObject({ Effect: 'Deny', Resource: '*', Condition: { StringEquals: { 'ec2:ResourceTag/cordon:protected': 'true' } } });
    const anyDeny = statements.find((s) => s.Sid === 'NeverTouchProtectedResources')!;
    expect(anyDeny).toMatchObject({ Effect: 'Deny', Resource: '*', Condition: { StringEquals: { 'aws:ResourceTag/cordon:protected': 'true' } } });
    const mutating = statements
      .filter((s) => s.Effect === 'Allow')
      .flatMap(actionsOf)
      .filter((a) => /^(ec2|autoscaling|elasticloadbalancing):/.test(a) && !/:(Describe|Get)/.test(a));
    expect(mutating).toContain('ec2:ModifyNetworkInterfaceAttribute');
    expect(mutating.filter((a) => !actionsOf(anyDeny).includes(a))).toEqual([]);
    expect(mutating.filter((a) => a.startsWith('ec2:') && !actionsOf(ec2Deny).includes(a))).toEqual([]);
    const custom = roleStatements(templates({ protectedTag: { key: 'tier', value: 'crown-jewels' } }).response, 'IsolateInstanceRole');
    expect(custom.find((s) => s.Sid === 'NeverTouchProtectedEc2Resources')!.Condition).toEqual({ StringEquals: { 'ec2:ResourceTag/tier': 'crown-jewels' } });
  });

  it('grants no load-balancer registration: isolation only deregisters', () => {
    const actions = roleStatements(response, 'IsolateInstanceRole').flatMap(actionsOf);
    expect(actions).not.toContain('elasticloadbalancing:RegisterTargets');
    expect(actions).not.toContain('elasticloadbalancing:RegisterInstancesWithLoadBalancer');
    expect(actions).toEqual(expect.arrayContaining(['elasticloadbalancing:DeregisterTargets', 'elasticloadbalancing:DeregisterInstancesFromLoadBalancer']));
  });

  it('lets the credential responder grant nothing: no Put*Policy, attach only AWSDenyAll, no role edits, no key deletion', () => {
    const statements = roleStatements(response, 'RevokeCredentialsRole');
    for (const action of ['iam:PutUserPolicy', 'iam:PutRolePolicy', 'iam:DeleteUserPolicy', 'iam:DeleteRolePolicy', 'iam:AttachRolePolicy', 'iam:DeleteAccessKey']) {
      expect(allowing(statements, action)).toEqual([]);
    }
    expect(allowing(statements, 'iam:AttachUserPolicy')).toEqual([
      expect.objectContaining({ Condition: { ArnEquals: { 'iam:PolicyARN': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AWSDenyAll']] } } } }),
    ]);
    const denyProtected = statements.find((s) => s.Sid === 'NeverRevokeProtectedPrincipals')!;
    expect(denyProtected).toMatchObject({
      Effect: 'Deny',
      Action: ['iam:AttachUserPolicy', 'iam:DeleteLoginProfile', 'iam:UpdateAccessKey'],
      Condition: { StringEquals: { 'iam:ResourceTag/cordon:protected': 'true' } },
    });
    expect(statements.find((s) => s.Sid === 'AttachNothingButTheDeny')).toMatchObject({ Effect: 'Deny', Action: 'iam:AttachUserPolicy', Resource: '*' });
    expect(actionsOf(statements.find((s) => s.Sid === 'NeverGrantPermissions')!)).toEqual(expect.arrayContaining(['iam:PutUserPolicy', 'iam:PutRolePolicy', 'iam:PassRole']));
    const denyDelete = statements.find((s) => s.Sid === 'NeverDeleteEvidence')!;
    expect(denyDelete).toMatchObject({ Effect: 'Deny', Resource: '*' });
    expect(actionsOf(denyDelete)).toContain('iam:DeleteAccessKey');
    // It may start the session revoker, and nothing else of Step Functions.
    expect(allowing(statements, 'states:StartSyncExecution')).toEqual([expect.objectContaining({ Resource: { Ref: expect.stringMatching(/^SessionRevokerStateMachine/) as unknown } })]);
  });

  it('does not let the isolation responder pass roles unless a quarantine profile and its role are configured', () => {
    expect(allowing(roleStatements(response, 'IsolateInstanceRole'), 'iam:PassRole')).toEqual([]);
    const { response: withProfile } = templates({
      isolation: {
        quarantineProfileArn: 'arn:aws:iam::111122223333:instance-profile/Quarantine',
        quarantineRoleArn: 'arn:aws:iam::111122223333:role/Quarantine',
      },
    });
    const pass = allowing(roleStatements(withProfile, 'IsolateInstanceRole'), 'iam:PassRole');
    expect(pass).toEqual([
      expect.objectContaining({
        Resource: 'arn:aws:iam::111122223333:role/Quarantine',
        Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      }),
    ]);
  });

  it('assumes only its own responder’s member role, and only when member accounts are configured', () => {
    expect(allowing(roleStatements(response, 'IsolateInstanceRole'), 'sts:AssumeRole')).toEqual([]);
    const { response: withMembers } = templates({ memberAccounts: ['111122223333'] });
    const assume = allowing(roleStatements(withMembers, 'RevokeCredentialsRole'), 'sts:AssumeRole');
    expect(assume).toHaveLength(1);
    expect(assume[0]!.Resource).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111122223333:role/CordonMemberCredentials']],
    });
    const isolationAssume = allowing(roleStatements(withMembers, 'IsolateInstanceRole'), 'sts:AssumeRole');
    expect(isolationAssume.map((s) => s.Resource)).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111122223333:role/CordonMemberIsolation']] },
    ]);
    const { response: withOrg } = templates({
      organizationId: 'o-abc1234567',
      memberOrganizationalUnits: ['ou-ab12-cdef3456'],
      memberAccounts: ['111122223333'],
    });
    const both = allowing(roleStatements(withOrg, 'IsolateInstanceRole'), 'sts:AssumeRole');
    expect(both.map((s) => [s.Sid, s.Condition])).toEqual([
      ['AssumeListedMemberResponder', undefined],
      ['AssumeOrganizationMemberResponder', { StringEquals: { 'aws:ResourceOrgID': 'o-abc1234567' } }],
    ]);
  });

  it('creates the kill switch with the configured first-deploy mode and only valid values', () => {
    response.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/cordon/mode',
      Value: 'dry-run',
      AllowedPattern: '^(enforce|dry-run|off)$',
    });
    const { response: enforced } = templates({ mode: 'enforce' });
    enforced.hasResourceProperties('AWS::SSM::Parameter', { Name: '/cordon/mode', Value: 'enforce' });
  });

  it('writes a checkpoint every 5 minutes with retries and a dead-letter queue', () => {
    response.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        Match.objectLike({
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 600 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventDlq'), 'Arn'] } },
        }),
      ],
    });
  });
});

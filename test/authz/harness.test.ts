import { CreateSecurityGroupCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { evaluateCalls, type SentCall } from '../../lib/authz/calls';
import { authorizer, type Authorizer } from '../../lib/authz/evaluate';
import { resolveIn } from '../../lib/authz/resolve';
import { authorizeAs, checkTestCalls, lastVerdicts } from '../support/authz';

/** The offline authorization harness itself (lib/authz), against the synthesized templates. */

const ec2 = mockClient(EC2Client);
const sts = mockClient(STSClient);
authorizeAs('isolation');

let authz: Authorizer;
beforeAll(async () => {
  authz = await authorizer({ account: '111111111111', region: 'eu-west-1' });
});
beforeEach(() => {
  ec2.reset();
  sts.reset();
});

const call = (c: Omit<SentCall, 'region' | 'principal'>, principal = 'isolation'): SentCall => ({ region: 'eu-west-1', principal: authz.role(principal), ...c });
const SG_TAGS = (tags: { Key: string; Value: string }[]) => ({ GroupName: 'cordon-isolation', Description: 'x', VpcId: 'vpc-0a1b2c3d', TagSpecifications: [{ ResourceType: 'security-group' as const, Tags: tags }] });

describe('authorization harness', () => {
  it('allows a call the policy grants, naming the statement', async () => {
    const [v] = await evaluateCalls(authz, [call({ service: 'ec2', command: 'DescribeInstances', input: { InstanceIds: ['i-0a'] } })]);
    expect(v).toMatchObject({ allowed: true, action: 'ec2:DescribeInstances', resource: '*', principal: 'isolation' });
    expect(v?.explanation).toBe('allowed by identity policy arn:aws:iam::111111111111:policy/CordonResponse-IsolationPolicyC0868AD6 statement ObserveInstance');
  });

  it('refuses a call an explicit Deny covers, naming the deny statement', async () => {
    const verdicts = await evaluateCalls(authz, [
      call({ service: 'iam', command: 'PutRolePolicy', input: { RoleName: 'CordonMemberCredentials', PolicyName: 'x', PolicyDocument: '{}' } }, 'credentials'),
    ]);
    expect(verdicts).toEqual([
      expect.objectContaining({
        allowed: false,
        action: 'iam:PutRolePolicy',
        resource: 'arn:aws:iam::111111111111:role/CordonMemberCredentials',
        explanation: 'denied by identity policy arn:aws:iam::111111111111:policy/CordonResponse-CredentialPolicyCA086CF6 statement NeverGrantPermissions',
      }),
    ]);
  });

  it('authorizes each tag of a tag-on-create as ec2:CreateTags with ec2:CreateAction: a key outside the policy is refused', async () => {
    const named = await evaluateCalls(authz, [
      call({ service: 'ec2', command: 'CreateSecurityGroup', input: SG_TAGS([{ Key: 'cordon:isolation', Value: 'isolation' }, { Key: 'Owner', Value: 'x' }]) }),
    ]);
    expect(named.map((v) => [v.action, v.resource.split(':').pop(), v.allowed])).toEqual([
      ['ec2:CreateSecurityGroup', 'security-group/sg-0cordonnew000000', true],
      ['ec2:CreateTags', 'security-group/sg-0cordonnew000000', false],
      ['ec2:CreateSecurityGroup', 'vpc/vpc-0a1b2c3d', true],
    ]);
    expect(named[1]?.explanation).toBe('no identity policy statement of isolation allows it');
    const own = await evaluateCalls(authz, [
      call({ service: 'ec2', command: 'CreateSecurityGroup', input: SG_TAGS([{ Key: 'cordon:isolation', Value: 'isolation' }, { Key: 'Name', Value: 'cordon-isolation' }]) }),
    ]);
    expect(own.every((v) => v.allowed)).toBe(true);
    expect(own[1]?.explanation).toMatch(/statement TagOwnGroupsOnlyAtCreation$/);
  });

  it('decides on condition keys: the protected tag learned from a response, the requested region', async () => {
    const protectedUser = await evaluateCalls(authz, [
      call({ service: 'iam', command: 'ListUserTags', input: { UserName: 'breakglass' }, output: { Tags: [{ Key: 'cordon:protected', Value: 'true' }] } }, 'credentials'),
      call({ service: 'iam', command: 'UpdateAccessKey', input: { UserName: 'breakglass', AccessKeyId: 'AKIA1', Status: 'Inactive' } }, 'credentials'),
    ]);
    expect(protectedUser[1]).toMatchObject({ allowed: false, explanation: expect.stringMatching(/statement NeverRevokeProtectedPrincipals$/) });
    const elsewhere = await evaluateCalls(authz, [{ ...call({ service: 'ec2', command: 'DescribeInstances', input: {} }), region: 'ap-south-1' }]);
    expect(elsewhere[0]).toMatchObject({ allowed: false, explanation: 'no identity policy statement of isolation allows it' });
  });

  it('decides only the calls `decide` names; an undecided call still teaches what it answered', async () => {
    const verdicts = await evaluateCalls(
      authz,
      [
        call({ service: 'iam', command: 'ListUserTags', input: { UserName: 'breakglass' }, output: { Tags: [{ Key: 'cordon:protected', Value: 'true' }] } }, 'credentials'),
        call({ service: 'iam', command: 'UpdateAccessKey', input: { UserName: 'breakglass', AccessKeyId: 'AKIA1', Status: 'Inactive' } }, 'credentials'),
      ],
      { decide: (index) => index === 1 },
    );
    expect(verdicts.map((v) => [v.index, v.action, v.allowed])).toEqual([[1, 'iam:UpdateAccessKey', false]]);
    expect(verdicts[0]?.explanation).toMatch(/statement NeverRevokeProtectedPrincipals$/);
  });

  it('applies the resource policy: the vault bucket policy refuses an administrator’s delete', async () => {
    const d = authz.deployment();
    const bucket = d.environments[authz.role('isolation').arn]?.EVIDENCE_BUCKET;
    const v = await authz.evaluate(authz.role('admin'), { action: 's3:DeleteObject', resource: `arn:aws:s3:::${bucket}/records/inc-1/00000000.json` });
    expect(v).toMatchObject({ allowed: false, principalArn: 'arn:aws:iam::111111111111:role/Admin' });
    expect(v.explanation).toMatch(/^denied by the resource policy of .* statement DenyEvidenceDeletion$/);
  });

  it('fails on a command it has no IAM mapping for, naming it', async () => {
    await expect(evaluateCalls(authz, [call({ service: 'ec2', command: 'TerminateInstances', input: {} })])).rejects.toThrow(
      'authz: no IAM mapping for ec2:TerminateInstances: add it to lib/authz/requests.ts',
    );
  });

  it('resolves Fn::Sub, Fn::Select, Fn::If and pseudo parameters', () => {
    const scope = {
      account: '123456789012',
      region: 'eu-west-1',
      partition: 'aws',
      stackName: 'S',
      template: { Conditions: { Yes: { 'Fn::Equals': ['a', 'a'] } }, Resources: { Role: { Type: 'AWS::IAM::Role', Properties: { Path: '/p/' } } } },
    };
    expect(
      resolveIn(scope, {
        a: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${AWS::AccountId}-${Role.Arn}' },
        b: { 'Fn::Select': [1, { 'Fn::Split': [',', 'x,y'] }] },
        c: { 'Fn::If': ['Yes', { Ref: 'AWS::Region' }, { Ref: 'AWS::NoValue' }] },
      }),
    ).toEqual({ a: 'arn:aws:s3:::123456789012-arn:aws:iam::123456789012:role/p/S-Role', b: 'y', c: 'eu-west-1' });
  });
});

describe('the handler-test hook', () => {
  it('fails a test whose mocked call AWS would refuse, naming call, principal and statement', async () => {
    ec2.on(CreateSecurityGroupCommand).resolves({ GroupId: 'sg-0new' });
    await new EC2Client({ region: 'eu-west-1' }).send(
      new CreateSecurityGroupCommand(SG_TAGS([{ Key: 'cordon:isolation', Value: 'isolation' }, { Key: 'Owner', Value: 'x' }])),
    );
    await expect(checkTestCalls()).rejects.toThrow(
      /call #0 ec2:CreateSecurityGroup by isolation \(arn:aws:iam::111111111111:role\/cordon\/evidence-writer\/CordonResponse-IsolateInstanceRole[0-9A-F]+\): ec2:CreateTags on arn:aws:ec2:eu-west-1:111111111111:security-group\/sg-0cordonnew000000 would be refused: no identity policy statement of isolation allows it/,
    );
  });

  it('attributes calls signed with AssumeRole credentials to the member role of that account', async () => {
    sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'ASIAM', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date() } });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    const { Credentials: c } = await new STSClient({ region: 'eu-west-1' }).send(
      new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::222233334444:role/CordonMemberIsolation', RoleSessionName: 'cordon-inc-1', Tags: [{ Key: 'cordon:incident', Value: 'inc-1' }] }),
    );
    await new EC2Client({ region: 'eu-west-1', credentials: { accessKeyId: c!.AccessKeyId!, secretAccessKey: 's', sessionToken: c!.SessionToken! } }).send(
      new DescribeInstancesCommand({}),
    );
    await checkTestCalls();
    expect(lastVerdicts().map((v) => [v.principal, v.principalArn, v.action, v.allowed])).toEqual([
      ['isolation', expect.stringContaining(':role/cordon/evidence-writer/'), 'sts:AssumeRole', true],
      ['isolation', expect.stringContaining(':role/cordon/evidence-writer/'), 'sts:TagSession', true],
      ['member-isolation', 'arn:aws:iam::222233334444:role/CordonMemberIsolation', 'ec2:DescribeInstances', true],
    ]);
  });
});

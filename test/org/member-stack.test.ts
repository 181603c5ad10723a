import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../lib/config';
import { MEMBER_PARAMETERS, MemberResponderRole, MemberStack, memberTemplateBody } from '../../lib/member-stack';
import { ORG_CONFIG, onlyOf, orgApp, resourcesOf } from './support';

const built = orgApp();
const member = built.member!;

const policyDocuments = (template: Template) =>
  Object.fromEntries(
    resourcesOf(template, 'AWS::IAM::ManagedPolicy').map((p) => [
      (p.Description as string).startsWith('Cordon: observe and isolate') ? 'isolation' : 'credentials',
      p.PolicyDocument,
    ]),
  );

describe('member responder role', () => {
  it('is trusted only by the two responder roles, by parameter, within the organization', () => {
    const role = onlyOf(member, 'AWS::IAM::Role');
    expect(role.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['sts:AssumeRole', 'sts:TagSession'],
          Principal: { AWS: [{ Ref: MEMBER_PARAMETERS.credentialRoleArn }, { Ref: MEMBER_PARAMETERS.isolationRoleArn }] },
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc1234567' } },
        },
      ],
    });
  });

  it('never trusts a wildcard, an account root or a service', () => {
    const trust = JSON.stringify(onlyOf(member, 'AWS::IAM::Role').AssumeRolePolicyDocument);
    expect(trust).not.toContain('"*"');
    expect(trust).not.toContain(':root');
    expect(trust).not.toContain('Service');
    for (const name of Object.values(MEMBER_PARAMETERS)) {
      member.hasParameter(name, { Type: 'String', AllowedPattern: '^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$' });
    }
    expect(new RegExp(member.toJSON().Parameters.IsolationResponderRoleArn.AllowedPattern as string).test('*')).toBe(false);
  });

  it('has the fixed name of config.memberRoleName and sessions of at most one hour', () => {
    member.hasResourceProperties('AWS::IAM::Role', { RoleName: 'CordonMemberResponder', MaxSessionDuration: 3600 });
  });

  it('carries exactly the home responders’ policy documents, for the deploying account', () => {
    expect(policyDocuments(member)).toEqual(policyDocuments(built.response));
    const text = JSON.stringify(policyDocuments(member));
    expect(text).toContain('{"Ref":"AWS::AccountId"}');
    expect(text).toContain('NeverTouchOwnServiceOrSsoRoles');
    expect(text).toContain('NeverDeleteEvidence');
    expect(resourcesOf(member, 'AWS::IAM::Policy')).toEqual([]);
  });

  it('needs no bootstrap: no BootstrapVersion parameter or rule, no asset', () => {
    const json = member.toJSON() as { Parameters: Record<string, unknown>; Rules?: unknown };
    expect(Object.keys(json.Parameters).sort()).toEqual(Object.values(MEMBER_PARAMETERS).sort());
    expect(json.Rules).toBeUndefined();
  });

  it('trusts without an organization condition when no organizationId is set', () => {
    const app = new App();
    const stack = new MemberStack(app, 'Member', { config: parseConfig({ memberAccounts: ['222233334444'] }) });
    const role = onlyOf(Template.fromStack(stack), 'AWS::IAM::Role') as { AssumeRolePolicyDocument: { Statement: Record<string, unknown>[] } };
    expect(role.AssumeRolePolicyDocument.Statement[0]?.Condition).toBeUndefined();
  });

  it('denies its own sessions any edit of a custom-named member role', () => {
    const app = new App();
    const stack = new MemberStack(app, 'Member', { config: parseConfig({ memberAccounts: ['222233334444'], memberRoleName: 'IrResponder' }) });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Sid: 'NeverTouchMemberResponderRole',
            Effect: 'Deny',
            Resource: { 'Fn::Join': ['', Match.arrayWith([':role/IrResponder'])] },
          }),
        ],
      },
    });
  });

  it('rejects a stack pinned to an account, and a trusted principal that is not a role ARN', () => {
    const config = parseConfig(ORG_CONFIG);
    const app = new App();
    expect(
      () => new MemberResponderRole(new Stack(app, 'Pinned', { env: { account: '222233334444' } }), 'R', { config, trustedRoleArns: ['arn:aws:iam::111122223333:role/x'] }),
    ).toThrow('must be account-agnostic');
    expect(() => new MemberResponderRole(new Stack(app, 'Star'), 'R', { config, trustedRoleArns: ['*'] })).toThrow('expected a responder role ARN, received *');
    expect(() => new MemberResponderRole(new Stack(app, 'None'), 'R', { config, trustedRoleArns: [] })).toThrow('at least one trusted');
  });

  it('is synthesized for the StackSet exactly as the CordonMember stack deploys it', () => {
    const body = JSON.parse(memberTemplateBody(parseConfig(ORG_CONFIG), built.app.node.getAllContext() as Record<string, unknown>)) as {
      Resources: Record<string, unknown>;
    };
    expect(body.Resources).toEqual(member.toJSON().Resources);
  });
});

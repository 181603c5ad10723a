import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../lib/config';
import { MEMBER_PARAMETERS, MemberResponderRole, MemberStack, memberTemplateBody } from '../../lib/member-stack';
import { ORG_CONFIG, orgApp, resourcesOf, type CfnResource } from './support';

const built = orgApp();
const member = built.member!;

/** Member roles by name, with the documents of the managed policies each one carries. */
const rolesOf = (template: Template) => {
  const resources = template.toJSON().Resources as Record<string, CfnResource>;
  return Object.fromEntries(
    Object.values(resources)
      // The responder roles (the session writer role, with its one inline policy, is tested in test/credentials).
      .filter((r) => r.Type === 'AWS::IAM::Role' && r.Properties.ManagedPolicyArns !== undefined)
      .map((r) => {
        const refs = (r.Properties.ManagedPolicyArns as { Ref: string }[]).map((m) => m.Ref);
        return [r.Properties.RoleName as string, { ...r.Properties, policies: refs.map((id) => resources[id]!.Properties.PolicyDocument) }];
      }),
  ) as Record<string, Record<string, unknown> & { policies: unknown[] }>;
};

const policyDocuments = (template: Template) =>
  Object.fromEntries(
    resourcesOf(template, 'AWS::IAM::ManagedPolicy').map((p) => [
      (p.Description as string).startsWith('Cordon: observe and isolate') ? 'isolation' : 'credentials',
      p.PolicyDocument,
    ]),
  );

const trust = (parameter: string) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['sts:AssumeRole', 'sts:TagSession'],
      Principal: { AWS: { Ref: parameter } },
      Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc1234567' } },
    },
  ],
});

describe('member responder roles', () => {
  const roles = rolesOf(member);

  it('are one role per responder, named by config.memberRoleNames, with sessions of at most one hour', () => {
    expect(Object.keys(roles).sort()).toEqual(['CordonMemberCredentials', 'CordonMemberIsolation']);
    for (const role of Object.values(roles)) expect(role.MaxSessionDuration).toBe(3600);
  });

  it('trusts each role only to its own responder’s function role, within the organization', () => {
    expect(roles.CordonMemberIsolation!.AssumeRolePolicyDocument).toEqual(trust(MEMBER_PARAMETERS.isolationRoleArn));
    expect(roles.CordonMemberCredentials!.AssumeRolePolicyDocument).toEqual(trust(MEMBER_PARAMETERS.credentialRoleArn));
  });

  it('never trusts a wildcard, an account root or a service', () => {
    for (const role of Object.values(roles)) {
      const text = JSON.stringify(role.AssumeRolePolicyDocument);
      expect(text).not.toContain('"*"');
      expect(text).not.toContain(':root');
      expect(text).not.toContain('Service');
    }
    for (const name of Object.values(MEMBER_PARAMETERS)) {
      member.hasParameter(name, { Type: 'String', AllowedPattern: '^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$' });
    }
    expect(new RegExp(member.toJSON().Parameters.IsolationResponderRoleArn.AllowedPattern as string).test('*')).toBe(false);
  });

  it('gives each role exactly its home responder’s policy document, for the deploying account, and nothing else', () => {
    const home = policyDocuments(built.response);
    expect(roles.CordonMemberIsolation!.policies).toEqual([home.isolation]);
    expect(roles.CordonMemberCredentials!.policies).toEqual([home.credentials]);
    const isolationText = JSON.stringify(roles.CordonMemberIsolation!.policies);
    expect(isolationText).toContain('{"Ref":"AWS::AccountId"}');
    // Of IAM, isolation only reads which role an instance profile carries (for the credential responder).
    expect(isolationText.match(/"iam:[A-Za-z]+"/g)).toEqual(['"iam:GetInstanceProfile"']);
    expect(JSON.stringify(roles.CordonMemberCredentials!.policies)).not.toContain('"ec2:');
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
    for (const role of Object.values(rolesOf(Template.fromStack(stack)))) {
      expect((role.AssumeRolePolicyDocument as { Statement: Record<string, unknown>[] }).Statement[0]?.Condition).toBeUndefined();
    }
  });

  it('denies the credential role’s sessions any edit of a custom-named member role', () => {
    const app = new App();
    const config = parseConfig({ memberAccounts: ['222233334444'], memberRoleNames: { isolation: 'IrIsolate', credentials: 'IrRevoke' } });
    const template = Template.fromStack(new MemberStack(app, 'Member', { config }));
    expect(Object.keys(rolesOf(template)).sort()).toEqual(['IrIsolate', 'IrRevoke']);
    template.resourcePropertiesCountIs('AWS::IAM::Policy', {}, 1);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^CredentialsRole') }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Sid: 'NeverTouchMemberResponderRoles',
            Effect: 'Deny',
            Resource: [
              { 'Fn::Join': ['', Match.arrayWith([':role/IrIsolate'])] },
              { 'Fn::Join': ['', Match.arrayWith([':role/IrRevoke'])] },
            ],
          }),
        ],
      },
    });
  });

  it('rejects a stack pinned to an account, and a trusted principal that is not a role ARN', () => {
    const config = parseConfig(ORG_CONFIG);
    const app = new App();
    const role = (stack: Stack, arn: string) => new MemberResponderRole(stack, 'R', { config, responder: 'isolation', trustedRoleArn: arn });
    expect(() => role(new Stack(app, 'Pinned', { env: { account: '222233334444' } }), 'arn:aws:iam::111122223333:role/x')).toThrow(
      'must be account-agnostic',
    );
    expect(() => role(new Stack(app, 'Star'), '*')).toThrow('expected a responder role ARN, received *');
    expect(() => role(new Stack(app, 'Root'), 'arn:aws:iam::111122223333:root')).toThrow('expected a responder role ARN');
  });

  it('is synthesized for the StackSet exactly as the CordonMember stack deploys it', () => {
    const body = JSON.parse(memberTemplateBody(parseConfig(ORG_CONFIG), built.app.node.getAllContext() as Record<string, unknown>)) as {
      Resources: Record<string, unknown>;
    };
    expect(body.Resources).toEqual(member.toJSON().Resources);
  });
});

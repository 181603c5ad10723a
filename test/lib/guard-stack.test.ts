import { Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks } from 'cdk-nag';
import { ConfigError, parseConfig, type CordonConfigInput } from '../../lib/config';
import { CordonApp } from '../../lib/cordon-app';
import { resolveIn, type CfnTemplate, type Json } from '../../lib/authz/resolve';
import { buildCordon, testApp } from './app';

const MANAGEMENT = '999988887777';
const SECURITY = '111122223333';
const BREAK_GLASS = `arn:aws:iam::${SECURITY}:role/BreakGlass`;
const WITH_GUARD: CordonConfigInput = {
  organizationId: 'o-cordonguard0',
  organization: { guard: { account: MANAGEMENT, targetIds: [SECURITY] } },
  vault: { breakGlassPrincipalArn: BREAK_GLASS },
};

const built = buildCordon(WITH_GUARD);
const guard = Template.fromStack(built.cordon.guard!);
/** The SCP's content as deployed in the commercial partition. */
const content = (template: Template = guard) => {
  const cfn = template.toJSON() as CfnTemplate;
  const [policy] = Object.values(template.findResources('AWS::Organizations::Policy')) as { Properties: { Content: Json } }[];
  return resolveIn({ partition: 'aws', region: 'us-east-1', account: MANAGEMENT, stackName: 'Policy', template: cfn, exports: {}, parameters: {} }, policy!.Properties.Content);
};
const KEEPERS = ['arn:aws:iam::*:role/cdk-hnb659fds-cfn-exec-role-*', BREAK_GLASS];

describe('CordonGuard stack', () => {
  it('is not synthesized without cordon.organization.guard.account', () => {
    const { app, cordon } = buildCordon({});
    expect(cordon.guard).toBeUndefined();
    expect(app.node.tryFindChild('CordonGuard')).toBeUndefined();
  });

  it('deploys into the configured account (management or delegated policy administrator) in us-east-1, with termination protection', () => {
    const stack = built.cordon.guard!;
    expect(stack.account).toBe(MANAGEMENT);
    expect(stack.region).toBe('us-east-1');
    expect(stack.terminationProtection).toBe(true);
    expect(stack.node.path).toBe('CordonGuard/Policy');
  });

  it('creates one service control policy, cordon-guard, attached to exactly the configured targets', () => {
    guard.resourceCountIs('AWS::Organizations::Policy', 1);
    guard.hasResourceProperties('AWS::Organizations::Policy', { Name: 'cordon-guard', Type: 'SERVICE_CONTROL_POLICY', TargetIds: [SECURITY] });
  });

  it('denies every change to the session revoker, Cordon’s roles and functions, and new roles under /cordon/, to all but the CloudFormation execution role and break-glass', () => {
    expect(content()).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'CordonSessionRevokerDefinition',
          Effect: 'Deny',
          Action: [
            'states:CreateStateMachine',
            'states:UpdateStateMachine',
            'states:DeleteStateMachine',
            'states:PublishStateMachineVersion',
            'states:DeleteStateMachineVersion',
            'states:CreateStateMachineAlias',
            'states:UpdateStateMachineAlias',
            'states:DeleteStateMachineAlias',
            'states:TagResource',
            'states:UntagResource',
          ],
          Resource: ['arn:aws:states:*:*:stateMachine:CordonResponse-SessionRevoker', 'arn:aws:states:*:*:stateMachine:CordonResponse-SessionRevoker:*'],
          Condition: { ArnNotLike: { 'aws:PrincipalArn': KEEPERS } },
        },
        {
          Sid: 'CordonRoles',
          Effect: 'Deny',
          Action: [
            'iam:PassRole',
            'iam:UpdateAssumeRolePolicy',
            'iam:PutRolePolicy',
            'iam:DeleteRolePolicy',
            'iam:AttachRolePolicy',
            'iam:DetachRolePolicy',
            'iam:PutRolePermissionsBoundary',
            'iam:DeleteRolePermissionsBoundary',
            'iam:DeleteRole',
          ],
          Resource: [
            'arn:aws:iam::*:role/CordonEvidence-*',
            'arn:aws:iam::*:role/CordonResponse-*',
            'arn:aws:iam::*:role/CordonDetection-*',
            'arn:aws:iam::*:role/CordonOrganization-*',
            'arn:aws:iam::*:role/cordon/*',
          ],
          Condition: { ArnNotLike: { 'aws:PrincipalArn': KEEPERS } },
        },
        {
          Sid: 'CordonFunctions',
          Effect: 'Deny',
          Action: [
            'lambda:UpdateFunctionCode',
            'lambda:UpdateFunctionConfiguration',
            'lambda:PutFunctionConcurrency',
            'lambda:DeleteFunctionConcurrency',
            'lambda:DeleteFunction',
            'lambda:AddPermission',
            'lambda:RemovePermission',
            'lambda:CreateFunctionUrlConfig',
            'lambda:UpdateFunctionUrlConfig',
            'lambda:DeleteFunctionUrlConfig',
          ],
          Resource: [
            'arn:aws:lambda:*:*:function:CordonEvidence-*',
            'arn:aws:lambda:*:*:function:CordonResponse-*',
            'arn:aws:lambda:*:*:function:CordonDetection-*',
            'arn:aws:lambda:*:*:function:CordonOrganization-*',
          ],
          Condition: { ArnNotLike: { 'aws:PrincipalArn': KEEPERS } },
        },
        {
          Sid: 'CordonEvidenceWriterPath',
          Effect: 'Deny',
          Action: ['iam:CreateRole'],
          Resource: ['arn:aws:iam::*:role/cordon/*'],
          Condition: { ArnNotLike: { 'aws:PrincipalArn': KEEPERS } },
        },
      ],
    });
  });

  it('names the session revoker the response stack creates, and roles of every security-account stack (forwarders included)', () => {
    const stateMachine = Template.fromStack(built.cordon.response).findResources('AWS::StepFunctions::StateMachine');
    expect(Object.values(stateMachine).map((r) => (r as { Properties: { StateMachineName: string } }).Properties.StateMachineName)).toContain('CordonResponse-SessionRevoker');
    const withForwarder = buildCordon({ ...WITH_GUARD, homeRegion: 'eu-west-1', regions: ['eu-central-1'] });
    const roles = (content(Template.fromStack(withForwarder.cordon.guard!)) as { Statement: { Sid: string; Resource: string[] }[] }).Statement.find((s) => s.Sid === 'CordonRoles')!.Resource;
    expect(roles).toContain('arn:aws:iam::*:role/CordonForwarder-eu-central-1-*');
  });

  it('keeps only the CloudFormation execution role of the configured bootstrap qualifier without break-glass', () => {
    const app = testApp();
    app.node.setContext('@aws-cdk/core:bootstrapQualifier', 'cordon01');
    const cordon = new CordonApp(app, { config: parseConfig({ organization: { guard: { account: MANAGEMENT, targetIds: ['ou-ab12-cdef3456'] } } }) });
    const scp = content(Template.fromStack(cordon.guard!)) as { Statement: { Condition: unknown }[] };
    expect(scp.Statement.map((s) => s.Condition)).toEqual(Array(4).fill({ ArnNotLike: { 'aws:PrincipalArn': ['arn:aws:iam::*:role/cdk-cordon01-cfn-exec-role-*'] } }));
    Template.fromStack(cordon.guard!).hasResourceProperties('AWS::Organizations::Policy', { TargetIds: ['ou-ab12-cdef3456'] });
  });

  it('stays within the 5,120 characters AWS allows an SCP', () => {
    expect(JSON.stringify(content()).length).toBeLessThanOrEqual(5120);
  });
});

describe('cordon.organization.guard', () => {
  const problems = (guardInput: unknown): readonly string[] => {
    try {
      parseConfig({ organization: { guard: guardInput } });
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  it('rejects a guard attached to nothing', () => {
    expect(problems({ account: MANAGEMENT })).toEqual([
      'cordon.organization.guard.targetIds must name the security account or its OU: an SCP attached to nothing guards nothing, received []',
    ]);
  });

  it('rejects a target that is the account the guard is created in (SCPs do not restrict the management account)', () => {
    expect(problems({ account: MANAGEMENT, targetIds: [MANAGEMENT] })).toEqual([
      `cordon.organization.guard.targetIds must not name cordon.organization.guard.account: SCPs do not restrict the management account, and a delegated policy administrator could edit its own guard, received ["${MANAGEMENT}"]`,
    ]);
  });

  it('rejects targets without an account and ids that are not accounts, OUs or roots', () => {
    expect(problems({ targetIds: [SECURITY] })).toEqual([
      `cordon.organization.guard.targetIds is only used with cordon.organization.guard.account (where the SCP is created), received ["${SECURITY}"]`,
    ]);
    expect(problems({ account: MANAGEMENT, targetIds: ['security'] })).toEqual([
      'cordon.organization.guard.targetIds[0] must be an account id, an OU id (ou-...) or a root id (r-...), received "security"',
    ]);
  });
});

describe('cdk-nag on the guard', () => {
  it('raises nothing unacknowledged on the whole app with the guard (AwsSolutions, NIST 800-53 R5, Serverless)', () => {
    const app = testApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app), new ServerlessChecks(app));
    new CordonApp(app, { config: parseConfig(WITH_GUARD) });
    expect(() => app.synth()).not.toThrow();
  });
});

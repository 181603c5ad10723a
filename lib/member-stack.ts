import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Aws, BootstraplessSynthesizer, CfnParameter, Duration, Stack, StackProps, Tags, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { CordonConfig } from './config';
import { acknowledge } from './nag';
import { credentialPolicy, isolationPolicy } from './responder-policies';

/** An IAM role ARN (with optional path) of a given partition and account: never a wildcard. */
export const ROLE_ARN_PATTERN = '^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$';

/** Parameter names of the member template: the StackSet and `cdk deploy --parameters` set them. */
export const MEMBER_PARAMETERS = {
  isolationRoleArn: 'IsolationResponderRoleArn',
  credentialRoleArn: 'CredentialResponderRoleArn',
} as const;

export interface MemberResponderRoleProps {
  readonly config: CordonConfig;
  /**
   * ARNs of the security account's responder function roles (`ResponseStack.isolateInstance.role`,
   * `revokeCredentials.role`): the only principals that may assume this role. Exact role ARNs, never
   * an account root or `*`.
   */
  readonly trustedRoleArns: readonly string[];
}

/**
 * The role Cordon's responders assume in a member account, defined once for both deployment paths
 * (one account with `cdk deploy`, every account of the member OUs with a StackSet).
 *
 * - Trust: exactly the responder function roles of the security account, for sts:AssumeRole and
 *   sts:TagSession (sessions are tagged with the incident id), and, when organizationId is set,
 *   only while the caller belongs to the organization (`aws:PrincipalOrgID`).
 * - Permissions: the very documents of the home responders (`isolationPolicy` / `credentialPolicy`
 *   of responder-policies.ts) for the account the stack is deployed in (`AWS::AccountId`), with the
 *   same exclusions: Cordon's own roles (`Cordon*`, `cordon/*`), service-linked and Identity Center
 *   roles are denied; protected tags and the allowlist are honoured by the responders' code.
 * - Sessions last at most one hour (the responders ask for 15 minutes).
 */
export class MemberResponderRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: MemberResponderRoleProps) {
    super(scope, id);
    const { config, trustedRoleArns } = props;
    const stack = Stack.of(this);
    if (trustedRoleArns.length === 0) throw new Error('MemberResponderRole: expected at least one trusted responder role ARN, received none');
    for (const arn of trustedRoleArns) {
      if (!Token.isUnresolved(arn) && !new RegExp(ROLE_ARN_PATTERN).test(arn)) {
        throw new Error(`MemberResponderRole: expected a responder role ARN, received ${arn}`);
      }
    }
    if (!Token.isUnresolved(stack.account)) {
      // The documents are scoped to `stack.account`: it must be the deploying account of each
      // stack instance, never a literal account of the synthesizing machine.
      throw new Error(`MemberResponderRole: the member stack must be account-agnostic, received account ${stack.account}`);
    }

    const trusted: iam.IPrincipal = new iam.CompositePrincipal(...trustedRoleArns.map((arn) => new iam.ArnPrincipal(arn)));
    const assumedBy = config.organizationId
      ? new iam.PrincipalWithConditions(trusted, { StringEquals: { 'aws:PrincipalOrgID': config.organizationId } })
      : trusted;

    this.role = new iam.Role(this, 'Role', {
      // A fixed physical name is required: the security account builds the role's ARN from the
      // account id of a finding and `memberRoleName` (lambdas/shared/assume.ts), so the name must be
      // known before the role exists, identical in every member account.
      roleName: config.memberRoleName,
      description: 'Cordon: assumed by the security account responders to contain incidents in this account',
      assumedBy: new iam.SessionTagsPrincipal(assumedBy),
      maxSessionDuration: Duration.hours(1),
      managedPolicies: [isolationPolicy(stack, config), credentialPolicy(stack, config)],
    });
    // isolationPolicy/credentialPolicy already deny Cordon* roles; a custom role name outside that
    // prefix gets the same protection, so a member session can never edit its own role.
    if (!config.memberRoleName.startsWith('Cordon')) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'NeverTouchMemberResponderRole',
          effect: iam.Effect.DENY,
          actions: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:UpdateAssumeRolePolicy'],
          resources: [`arn:${stack.partition}:iam::${Aws.ACCOUNT_ID}:role/${config.memberRoleName}`],
        }),
      );
      acknowledge(this.role, [
        ['NIST.800.53.R5-IAMNoInlinePolicy', 'the inline policy is one explicit Deny protecting this role from its own sessions'],
      ]);
    }
  }
}

export interface MemberStackProps extends StackProps {
  readonly config: CordonConfig;
}

/**
 * The member account's half of Cordon: only the member responder role. Account-agnostic, no
 * assets and no bootstrap resources (BootstraplessSynthesizer), so the same template deploys with
 * `cdk deploy` into an unbootstrapped account or as the body of a service-managed StackSet.
 *
 * The trusted responder role ARNs are parameters: the template is deployed in other accounts than
 * the security account, so they cannot be cross-stack references. The StackSet passes them from
 * the response stack; `cdk deploy` takes them from `--parameters` (the response stack outputs them).
 */
export class MemberStack extends Stack {
  readonly responder: MemberResponderRole;

  constructor(scope: Construct, id: string, props: MemberStackProps) {
    super(scope, id, { synthesizer: new BootstraplessSynthesizer(), ...props });
    const parameter = (name: string, description: string) =>
      new CfnParameter(this, name, {
        type: 'String',
        description,
        allowedPattern: ROLE_ARN_PATTERN,
        constraintDescription: 'must be the ARN of a role (never a wildcard)',
      }).valueAsString;
    const isolation = parameter(MEMBER_PARAMETERS.isolationRoleArn, 'ARN of the security account isolate-instance function role');
    const credential = parameter(MEMBER_PARAMETERS.credentialRoleArn, 'ARN of the security account revoke-credentials function role');
    this.responder = new MemberResponderRole(this, 'Responder', { config: props.config, trustedRoleArns: [isolation, credential] });
    Tags.of(this).add('cordon:component', 'member');
  }
}

/** A StackSet accepts at most 51,200 bytes of TemplateBody. */
const MAX_TEMPLATE_BODY = 51_200;

/**
 * The member stack synthesized on its own, as template JSON to embed in a StackSet. Synthesized in
 * a separate in-memory App (with the caller's context, so feature flags match) into a temporary
 * directory; BootstraplessSynthesizer guarantees it needs no asset and no bootstrap parameter.
 */
export const memberTemplateBody = (config: CordonConfig, context: Record<string, unknown> = {}): string => {
  const outdir = mkdtempSync(join(tmpdir(), 'cordon-member-'));
  try {
    const app = new App({ outdir, autoSynth: false, context: { ...context, 'aws:cdk:bundling-stacks': [] } });
    const stack = new MemberStack(app, 'CordonMember', { config, description: 'Cordon: member responder role (StackSet)' });
    const template: unknown = app.synth().getStackArtifact(stack.artifactId).template;
    const body = JSON.stringify(template);
    if (body.length > MAX_TEMPLATE_BODY) {
      throw new Error(`member template is ${body.length} bytes, a StackSet TemplateBody holds at most ${MAX_TEMPLATE_BODY}`);
    }
    return body;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
};

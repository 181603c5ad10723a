import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Aws, BootstraplessSynthesizer, CfnParameter, Duration, Stack, StackProps, Tags, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { CordonConfig } from './config';
import { acknowledge } from './nag';
import { credentialPolicy } from './credential-policy';
import { isolationPolicy } from './isolation-policy';
import { MemberSessionWriterRole } from './constructs/session-revoker';
import { COMPONENT_TAG, SESSION_WRITER_ROLE_NAME } from '../lambdas/shared/names';

/** An IAM role ARN (with optional path) of a given partition and account: never a wildcard. */
export const ROLE_ARN_PATTERN = '^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$';

/** Parameter names of the member template: the StackSet and `cdk deploy --parameters` set them. */
export const MEMBER_PARAMETERS = {
  isolationRoleArn: 'IsolationResponderRoleArn',
  credentialRoleArn: 'CredentialResponderRoleArn',
  sessionRevokerRoleArn: 'SessionRevokerRoleArn',
} as const;

/** The responders that act in member accounts: each has its own member role. */
export const MEMBER_RESPONDERS = ['isolation', 'credentials'] as const;
export type MemberResponder = (typeof MEMBER_RESPONDERS)[number];

const PARAMETER_OF: Record<MemberResponder, string> = {
  isolation: MEMBER_PARAMETERS.isolationRoleArn,
  credentials: MEMBER_PARAMETERS.credentialRoleArn,
};

export interface MemberResponderRoleProps {
  readonly config: CordonConfig;
  /** Whose role this is: it gets that responder's policy and `config.memberRoleNames[responder]`. */
  readonly responder: MemberResponder;
  /**
   * ARN of that responder's function role in the security account (`ResponseStack.isolateInstance.role`
   * or `revokeCredentials.role`): the only principal that may assume this role. An exact role ARN,
   * never an account root or `*`.
   */
  readonly trustedRoleArn: string;
}

/**
 * One role a Cordon responder assumes in a member account, defined once for both deployment paths
 * (one account with `cdk deploy`, every account of the member OUs with a StackSet).
 *
 * - Trust: exactly the one responder function role of the security account, for sts:AssumeRole and
 *   sts:TagSession (sessions are tagged with the incident id), and, when organizationId is set,
 *   only while the caller belongs to the organization (`aws:PrincipalOrgID`). The isolation
 *   function cannot assume the credential role, nor the other way round.
 * - Permissions: the very document of that home responder (`isolationPolicy` / `credentialPolicy`
 *   of isolation-policy.ts / credential-policy.ts) for the account the stack is deployed in (`AWS::AccountId`), with the
 *   same exclusions and protected-tag denies.
 * - Sessions last at most one hour (the responders ask for 15 minutes).
 */
export class MemberResponderRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: MemberResponderRoleProps) {
    super(scope, id);
    const { config, responder, trustedRoleArn } = props;
    const stack = Stack.of(this);
    if (!Token.isUnresolved(trustedRoleArn) && !new RegExp(ROLE_ARN_PATTERN).test(trustedRoleArn)) {
      throw new Error(`MemberResponderRole: expected a responder role ARN, received ${trustedRoleArn}`);
    }
    if (!Token.isUnresolved(stack.account)) {
      // The documents are scoped to `stack.account`: it must be the deploying account of each
      // stack instance, never a literal account of the synthesizing machine.
      throw new Error(`MemberResponderRole: the member stack must be account-agnostic, received account ${stack.account}`);
    }

    const trusted = new iam.ArnPrincipal(trustedRoleArn);
    const assumedBy = config.organizationId
      ? new iam.PrincipalWithConditions(trusted, { StringEquals: { 'aws:PrincipalOrgID': config.organizationId } })
      : trusted;
    const roleName = config.memberRoleNames[responder];

    this.role = new iam.Role(this, 'Role', {
      // A fixed physical name is required: the security account builds the role's ARN from the
      // account id of a finding and the responder's role name (lambdas/shared/assume.ts), so the
      // name must be known before the role exists, identical in every member account.
      roleName,
      description: `Cordon: assumed by the security account ${responder} responder to contain incidents in this account`,
      assumedBy: new iam.SessionTagsPrincipal(assumedBy),
      maxSessionDuration: Duration.hours(1),
      managedPolicies: [responder === 'isolation' ? isolationPolicy(stack, config) : credentialPolicy(stack, config)],
    });
    // The credential policy denies IAM edits of Cordon* roles; member roles named outside that
    // prefix get the same protection, so a member session can never edit a member role.
    const unprefixed = MEMBER_RESPONDERS.map((r) => config.memberRoleNames[r]).filter((name) => !name.startsWith('Cordon'));
    if (responder === 'credentials' && unprefixed.length > 0) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'NeverTouchMemberResponderRoles',
          effect: iam.Effect.DENY,
          actions: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:UpdateAssumeRolePolicy'],
          resources: unprefixed.map((name) => `arn:${stack.partition}:iam::${Aws.ACCOUNT_ID}:role/${name}`),
        }),
      );
      acknowledge(this.role, [
        ['NIST.800.53.R5-IAMNoInlinePolicy', 'the inline policy is one explicit Deny protecting the member roles from this role’s sessions'],
      ]);
    }
  }
}

export interface MemberStackProps extends StackProps {
  readonly config: CordonConfig;
}

/**
 * The member account's half of Cordon: one role per responder. Account-agnostic, no assets and
 * no bootstrap resources (BootstraplessSynthesizer), so the same template deploys with `cdk deploy`
 * into an unbootstrapped account or as the body of a service-managed StackSet.
 *
 * The trusted responder role ARNs are parameters: the template is deployed in other accounts than
 * the security account, so they cannot be cross-stack references. The StackSet passes them from
 * the response stack; `cdk deploy` takes them from `--parameters` (the response stack outputs them).
 */
export class MemberStack extends Stack {
  readonly responders: Readonly<Record<MemberResponder, MemberResponderRole>>;
  /** Where the session revoker state machine writes the session deny in this account. */
  readonly sessionWriter: MemberSessionWriterRole;

  constructor(scope: Construct, id: string, props: MemberStackProps) {
    super(scope, id, { synthesizer: new BootstraplessSynthesizer(), ...props });
    const roleFor = (responder: MemberResponder, label: string, description: string) => {
      const arn = new CfnParameter(this, PARAMETER_OF[responder], {
        type: 'String',
        description,
        allowedPattern: ROLE_ARN_PATTERN,
        constraintDescription: 'must be the ARN of a role (never a wildcard)',
      }).valueAsString;
      return new MemberResponderRole(this, label, { config: props.config, responder, trustedRoleArn: arn });
    };
    this.responders = {
      isolation: roleFor('isolation', 'Isolation', 'ARN of the security account isolate-instance function role'),
      credentials: roleFor('credentials', 'Credentials', 'ARN of the security account revoke-credentials function role'),
    };
    const sessionRevoker = new CfnParameter(this, MEMBER_PARAMETERS.sessionRevokerRoleArn, {
      type: 'String',
      description: 'ARN of the security account session revoker state machine role',
      allowedPattern: ROLE_ARN_PATTERN,
      constraintDescription: 'must be the ARN of a role (never a wildcard)',
    }).valueAsString;
    const own = [...MEMBER_RESPONDERS.map((r) => props.config.memberRoleNames[r]), SESSION_WRITER_ROLE_NAME].map((name) => `arn:${this.partition}:iam::${Aws.ACCOUNT_ID}:role/${name}`);
    this.sessionWriter = new MemberSessionWriterRole(this, 'SessionWriter', { config: props.config, trustedRoleArn: sessionRevoker, ownRoleArns: own });
    Tags.of(this).add(COMPONENT_TAG, 'member');
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
    const stack = new MemberStack(app, 'CordonMember', { config, description: 'Cordon: member responder roles (StackSet)' });
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

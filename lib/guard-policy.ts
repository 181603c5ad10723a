import { CORDON_PATH, sessionRevokerName } from '../lambdas/shared/names';

/**
 * The guard: a service control policy on the security account that denies what no resource
 * policy can deny there, to everyone but the principals that must keep it. An SCP restricts every
 * principal of the accounts it is attached to, their administrators and root user included; it
 * does not restrict the organization's management account.
 *
 * - The session revoker (lib/constructs/session-revoker.ts). Its role and the member session
 *   writer may write any inline policy as far as IAM goes; what fixes the document is that only
 *   this state machine's definition runs with them. Step Functions has no resource policy, so
 *   changing, deleting (then re-creating under the same name, which the role's trust names) or
 *   re-versioning the definition is denied here.
 * - Cordon's functions: their code and configuration (a layer or an environment variable such as
 *   NODE_OPTIONS runs other code), concurrency, permissions and URLs. Every responder runs as an
 *   evidence writer: new code there signs forged records.
 * - Cordon's roles: their trust and policies, and passing them to a service
 *   (`iam:UpdateAssumeRolePolicy` on the session revoker's role would let its new trustee write any
 *   document in every member account; an evidence writer passed to a function of one's own, or
 *   re-trusted, signs forged records), and new roles under Cordon's path (the signing key lets any
 *   role under /cordon/evidence-writer/ sign).
 *
 * The keepers: CloudFormation's execution role of the CDK bootstrap (every deploy of Cordon runs
 * as it) and `vault.breakGlassPrincipalArn`.
 */

export const GUARD_POLICY_NAME = 'cordon-guard';

export interface GuardScope {
  readonly partition: string;
  /** The response stack's name (the session revoker's name derives from it). */
  readonly responseStack: string;
  /** Every stack of the security account (their roles' generated names start with `<stack>-`). */
  readonly stacks: readonly string[];
  /** The CDK bootstrap qualifier of the security account (`cdk-<qualifier>-cfn-exec-role-*`). */
  readonly bootstrapQualifier: string;
  readonly breakGlassPrincipalArn?: string;
}

export interface ScpStatement {
  readonly Sid: string;
  readonly Effect: 'Deny';
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  readonly Condition: { readonly ArnNotLike: { readonly 'aws:PrincipalArn': readonly string[] } };
}

/** Every mutating call on the state machine, its versions and aliases. */
export const SESSION_REVOKER_CHANGES = [
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
] as const;

/** Every change to a role's trust, policies, boundary or existence, and handing it to a service. */
export const ROLE_CHANGES = [
  'iam:PassRole',
  'iam:UpdateAssumeRolePolicy',
  'iam:PutRolePolicy',
  'iam:DeleteRolePolicy',
  'iam:AttachRolePolicy',
  'iam:DetachRolePolicy',
  'iam:PutRolePermissionsBoundary',
  'iam:DeleteRolePermissionsBoundary',
  'iam:DeleteRole',
] as const;

/** Every change to a function's code, configuration (layers, environment), concurrency, permissions or URL. */
export const FUNCTION_CHANGES = [
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
] as const;

/** The principals the guard does not apply to. */
export const guardKeepers = (s: GuardScope): string[] => [
  `arn:${s.partition}:iam::*:role/cdk-${s.bootstrapQualifier}-cfn-exec-role-*`,
  ...(s.breakGlassPrincipalArn ? [s.breakGlassPrincipalArn] : []),
];

/** The SCP's statements (account and region `*`: the SCP only ever applies in the accounts it is attached to). */
export const guardStatements = (s: GuardScope): ScpStatement[] => {
  const unlessKeeper = { ArnNotLike: { 'aws:PrincipalArn': guardKeepers(s) } };
  const revoker = `arn:${s.partition}:states:*:*:stateMachine:${sessionRevokerName(s.responseStack)}`;
  const role = (pattern: string) => `arn:${s.partition}:iam::*:role/${pattern}`;
  // Every role under Cordon's IAM path: the evidence writers (/cordon/evidence-writer/, which the
  // signing key lets sign) and the forwarders (/cordon/forwarder/).
  const cordonPath = role(`${CORDON_PATH.slice(1)}*`);
  return [
    {
      Sid: 'CordonSessionRevokerDefinition',
      Effect: 'Deny',
      Action: [...SESSION_REVOKER_CHANGES],
      Resource: [revoker, `${revoker}:*`],
      Condition: unlessKeeper,
    },
    {
      Sid: 'CordonRoles',
      Effect: 'Deny',
      Action: [...ROLE_CHANGES],
      Resource: [...s.stacks.map((stack) => role(`${stack}-*`)), cordonPath],
      Condition: unlessKeeper,
    },
    {
      Sid: 'CordonFunctions',
      Effect: 'Deny',
      Action: [...FUNCTION_CHANGES],
      Resource: s.stacks.map((stack) => `arn:${s.partition}:lambda:*:*:function:${stack}-*`),
      Condition: unlessKeeper,
    },
    {
      Sid: 'CordonEvidenceWriterPath',
      Effect: 'Deny',
      Action: ['iam:CreateRole'],
      Resource: [cordonPath],
      Condition: unlessKeeper,
    },
  ];
};

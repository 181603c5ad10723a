import type { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { CordonConfig } from './config';
import { quarantinePolicyArn } from '../lambdas/credentials/policies';
import { reviewedPolicy } from './nag';

/**
 * The AWS permissions of the credential responder and of the session revoker's writer roles, as
 * policies. Nothing either may do grants a permission; the same documents back the member roles
 * (lib/member-stack.ts) in other accounts.
 */

/** Paths of AWS service-linked roles and Identity Center roles (Cordon's own roles are denied by exact ARN). */
const untouchableRoles = (partition: string, account: string): string[] => [
  `arn:${partition}:iam::${account}:role/aws-service-role/*`,
  `arn:${partition}:iam::${account}:role/aws-reserved/*`,
];

/**
 * The credential responder: deactivate keys, attach the ONE fixed deny (`AWSDenyAll`, by an
 * `iam:PolicyARN` condition), delete console passwords, read principals and their session policy.
 * It cannot write or delete any inline policy, attach any other policy, or touch a role: nothing it
 * may do grants a permission. The session deny is written by the session revoker (its own role,
 * `sessionWriterStatements`), which this function may only start.
 */
export const credentialStatements = (stack: Stack, config: CordonConfig, account = stack.account): iam.PolicyStatement[] => {
  const { partition } = stack;
  const users = `arn:${partition}:iam::${account}:user/*`;
  const roles = `arn:${partition}:iam::${account}:role/*`;
  const denyAll = quarantinePolicyArn(partition);
  return [
    new iam.PolicyStatement({
      sid: 'ObservePrincipals',
      actions: [
        'iam:GetUser',
        'iam:ListUserTags',
        'iam:ListAccessKeys',
        'iam:GetLoginProfile',
        'iam:GetAccessKeyLastUsed',
        'iam:GetUserPolicy',
        'iam:GetRole',
        'iam:ListRoleTags',
        'iam:GetRolePolicy',
      ],
      resources: [users, roles],
    }),
    new iam.PolicyStatement({
      // Pattern revocation lists users by path. ListUsers has no resource-level permission: on
      // `user/*` it was never allowed, so AWS refused every pattern preview.
      sid: 'ListUsersForPatterns',
      actions: ['iam:ListUsers'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'DeactivateKeysAndConsole',
      actions: ['iam:UpdateAccessKey', 'iam:DeleteLoginProfile'],
      resources: [users],
    }),
    new iam.PolicyStatement({
      sid: 'QuarantineWithTheFixedDenyOnly',
      actions: ['iam:AttachUserPolicy', 'iam:DetachUserPolicy'],
      resources: [users],
      conditions: { ArnEquals: { 'iam:PolicyARN': denyAll } },
    }),
    new iam.PolicyStatement({
      sid: 'NeverRevokeProtectedPrincipals',
      effect: iam.Effect.DENY,
      actions: ['iam:UpdateAccessKey', 'iam:AttachUserPolicy', 'iam:DeleteLoginProfile'],
      resources: [users],
      conditions: { StringEquals: { [`iam:ResourceTag/${config.protectedTag.key}`]: config.protectedTag.value } },
    }),
    new iam.PolicyStatement({
      // Belt and braces: even if an allow were added by mistake, this role never grants.
      sid: 'NeverGrantPermissions',
      effect: iam.Effect.DENY,
      actions: [
        'iam:PutUserPolicy',
        'iam:PutRolePolicy',
        'iam:PutGroupPolicy',
        'iam:AttachRolePolicy',
        'iam:AttachGroupPolicy',
        'iam:CreatePolicyVersion',
        'iam:SetDefaultPolicyVersion',
        'iam:UpdateAssumeRolePolicy',
        'iam:AddUserToGroup',
        'iam:PassRole',
      ],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'AttachNothingButTheDeny',
      effect: iam.Effect.DENY,
      actions: ['iam:AttachUserPolicy'],
      resources: ['*'],
      conditions: { ArnNotEquals: { 'iam:PolicyARN': denyAll } },
    }),
    new iam.PolicyStatement({
      sid: 'NeverDeleteEvidence',
      effect: iam.Effect.DENY,
      actions: ['iam:DeleteAccessKey', 'iam:DeleteUser', 'iam:DeleteRole', 'iam:CreateAccessKey'],
      resources: ['*'],
    }),
  ];
};

/**
 * The session revoker's role (home) and its member writer role: iam:PutUserPolicy / PutRolePolicy
 * on this account's principals, which IAM cannot narrow to a policy name or document; what makes
 * it safe is that only the state machine, whose definition fixes the document, holds it
 * (lib/constructs/session-revoker.ts). Denied: protected principals, Cordon's own roles by EXACT
 * ARN (`ownRoleArns`, never a name prefix), service-linked and Identity Center roles.
 */
export const sessionWriterStatements = (stack: Stack, config: CordonConfig, ownRoleArns: readonly string[], account = stack.account): iam.PolicyStatement[] => {
  const { partition } = stack;
  const users = `arn:${partition}:iam::${account}:user/*`;
  const roles = `arn:${partition}:iam::${account}:role/*`;
  return [
    new iam.PolicyStatement({ sid: 'WriteSessionDeny', actions: ['iam:PutUserPolicy', 'iam:PutRolePolicy'], resources: [users, roles] }),
    new iam.PolicyStatement({
      sid: 'NeverWriteOnProtectedPrincipals',
      effect: iam.Effect.DENY,
      actions: ['iam:PutUserPolicy', 'iam:PutRolePolicy'],
      resources: [users, roles],
      conditions: { StringEquals: { [`iam:ResourceTag/${config.protectedTag.key}`]: config.protectedTag.value } },
    }),
    new iam.PolicyStatement({
      sid: 'NeverWriteOnOwnServiceOrSsoRoles',
      effect: iam.Effect.DENY,
      actions: ['iam:PutRolePolicy'],
      // Cordon's roles by exact ARN, never by name or path: a role someone adds under /cordon/ (which
      // alarms) must not thereby escape revocation.
      resources: [...ownRoleArns, ...untouchableRoles(partition, account)],
    }),
    // The break-glass principal and allowlisted principals given as user or role ARNs: escalated
    // in code, and refused by IAM too.
    ...(keptPrincipals(config).length > 0
      ? [
          new iam.PolicyStatement({
            sid: 'NeverWriteOnBreakGlassOrAllowlisted',
            effect: iam.Effect.DENY,
            actions: ['iam:PutUserPolicy', 'iam:PutRolePolicy'],
            resources: keptPrincipals(config),
          }),
        ]
      : []),
  ];
};

/** The break-glass principal and the allowlisted ARNs that name a user or role (a deny on another account's is inert). */
const keptPrincipals = (config: CordonConfig): string[] =>
  [config.vault.breakGlassPrincipalArn, ...config.allowlistedPrincipals].filter((a): a is string => typeof a === 'string' && /^arn:[^:]+:iam::\d{12}:(user|role)\//.test(a));

const CREDENTIAL_REASONS: Record<string, string> = {
  '*': 'iam:ListUsers, which supports no resource-level permission (pattern revocation lists users by path, read-only); explicit Denies (granting permissions, attaching anything but AWSDenyAll, deleting or creating keys, users and roles): wider is safer',
  ':user/*': 'the leaked key may belong to any user; the exact key is decided per finding, protected users are denied by tag, allowlisted ones escalated in code',
  ':role/*': 'read-only on roles (GetRole, ListRoleTags, GetRolePolicy): the stolen session may be of any role',
};

/** The session writers' wildcards (lib/constructs/session-revoker.ts). */
export const SESSION_WRITER_REASONS: Record<string, string> = {
  ':user/*': 'the session deny goes on whichever user leaked a key; only the state machine holds this, and its definition fixes the document',
  ':role/*': 'the session deny goes on whichever role’s sessions were stolen; Cordon’s own (exact ARNs), service-linked and Identity Center roles are denied',
  ':role/aws-service-role/*': 'an explicit Deny protecting service-linked roles',
  ':role/aws-reserved/*': 'an explicit Deny protecting Identity Center roles',
};

/** The credential responder's policy, with a reason for each wildcard cdk-nag reports. */
export const credentialPolicy = (stack: Stack, config: CordonConfig): iam.ManagedPolicy =>
  reviewedPolicy(stack, 'CredentialPolicy', CREDENTIAL_REASONS, {
    description: 'Cordon: deactivate leaked keys and revoke sessions in this account; never delete',
    statements: credentialStatements(stack, config),
  });

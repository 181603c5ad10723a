import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { CordonConfig } from './config';
import { acknowledge, nagResource } from './nag';

/**
 * The AWS permissions of the two responders, as customer-managed policies. Describe/List calls
 * have no resource-level permissions (AWS's design), so they are `*` limited to Cordon's regions;
 * every mutating call is scoped by resource type, account, region, and by tag where IAM supports it.
 * The same documents back the member responder role (lib/member-stack.ts) in other accounts.
 */

/** Role names and paths of Cordon itself, AWS service-linked roles and Identity Center roles. */
const untouchableRoles = (partition: string, account: string): string[] => [
  `arn:${partition}:iam::${account}:role/cordon/*`,
  `arn:${partition}:iam::${account}:role/Cordon*`,
  `arn:${partition}:iam::${account}:role/aws-service-role/*`,
  `arn:${partition}:iam::${account}:role/aws-reserved/*`,
];

export const isolationStatements = (stack: Stack, config: CordonConfig, account = stack.account): iam.PolicyStatement[] => {
  const { partition } = stack;
  const regions = [stack.region, ...config.regions];
  const ec2 = (type: string, acct = account) => regions.map((r) => `arn:${partition}:ec2:${r}:${acct}:${type}`);
  const inRegions = { StringEquals: { 'aws:RequestedRegion': regions } };
  const statements = [
    new iam.PolicyStatement({
      sid: 'ObserveInstance',
      actions: [
        'ec2:DescribeInstances',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeVolumes',
        'ec2:DescribeAddresses',
        'ec2:DescribeIamInstanceProfileAssociations',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSnapshots',
        'autoscaling:DescribeAutoScalingInstances',
        'elasticloadbalancing:DescribeTargetGroups',
        'elasticloadbalancing:DescribeTargetHealth',
        'elasticloadbalancing:DescribeLoadBalancers',
        'elasticloadbalancing:DescribeInstanceHealth',
      ],
      resources: ['*'],
      conditions: inRegions,
    }),
    new iam.PolicyStatement({
      sid: 'FetchNamedFinding',
      actions: ['guardduty:GetFindings'],
      resources: regions.map((r) => `arn:${partition}:guardduty:${r}:${account}:detector/*`),
    }),
    new iam.PolicyStatement({
      sid: 'ProtectAndCutInstance',
      actions: [
        'ec2:ModifyInstanceAttribute',
        'ec2:ReplaceIamInstanceProfileAssociation',
        'ec2:DisassociateIamInstanceProfile',
        'ec2:AssociateIamInstanceProfile',
      ],
      resources: ec2('instance/*'),
    }),
    new iam.PolicyStatement({
      sid: 'SwapSecurityGroupsOnEveryEni',
      actions: ['ec2:ModifyNetworkInterfaceAttribute'],
      resources: [...ec2('network-interface/*'), ...ec2('security-group/*'), ...ec2('instance/*')],
    }),
    new iam.PolicyStatement({
      sid: 'CreateIsolationGroupOnlyTagged',
      actions: ['ec2:CreateSecurityGroup'],
      resources: ec2('security-group/*'),
      conditions: { Null: { 'aws:RequestTag/cordon:isolation': 'false' } },
    }),
    new iam.PolicyStatement({
      sid: 'CreateIsolationGroupInVpc',
      actions: ['ec2:CreateSecurityGroup'],
      resources: ec2('vpc/*'),
    }),
    new iam.PolicyStatement({
      sid: 'EditOnlyCordonGroups',
      actions: [
        'ec2:AuthorizeSecurityGroupIngress',
        'ec2:AuthorizeSecurityGroupEgress',
        'ec2:RevokeSecurityGroupEgress',
        'ec2:RevokeSecurityGroupIngress',
      ],
      resources: ec2('security-group/*'),
      conditions: { Null: { 'aws:ResourceTag/cordon:isolation': 'false' } },
    }),
    new iam.PolicyStatement({
      sid: 'TagOnlyWithCordonKeys',
      actions: ['ec2:CreateTags'],
      resources: [...ec2('instance/*'), ...ec2('security-group/*'), ...regions.map((r) => `arn:${partition}:ec2:${r}::snapshot/*`)],
      conditions: { 'ForAllValues:StringLike': { 'aws:TagKeys': ['cordon:*'] } },
    }),
    new iam.PolicyStatement({
      sid: 'SnapshotEveryVolume',
      actions: ['ec2:CreateSnapshots', 'ec2:CreateSnapshot'],
      resources: [...ec2('instance/*'), ...ec2('volume/*'), ...regions.map((r) => `arn:${partition}:ec2:${r}::snapshot/*`)],
    }),
    new iam.PolicyStatement({
      sid: 'DisassociateElasticIps',
      actions: ['ec2:DisassociateAddress'],
      resources: [...ec2('elastic-ip/*'), ...ec2('network-interface/*'), ...ec2('instance/*')],
    }),
    new iam.PolicyStatement({
      sid: 'DetachFromAutoScaling',
      actions: ['autoscaling:DetachInstances', 'autoscaling:AttachInstances'],
      resources: regions.map((r) => `arn:${partition}:autoscaling:${r}:${account}:autoScalingGroup:*:autoScalingGroupName/*`),
    }),
    new iam.PolicyStatement({
      sid: 'DeregisterFromLoadBalancers',
      actions: [
        'elasticloadbalancing:DeregisterTargets',
        'elasticloadbalancing:RegisterTargets',
        'elasticloadbalancing:DeregisterInstancesFromLoadBalancer',
        'elasticloadbalancing:RegisterInstancesWithLoadBalancer',
      ],
      resources: regions.flatMap((r) => [
        `arn:${partition}:elasticloadbalancing:${r}:${account}:targetgroup/*`,
        `arn:${partition}:elasticloadbalancing:${r}:${account}:loadbalancer/*`,
      ]),
    }),
  ];
  const { quarantineProfileArn, quarantineRoleArn } = config.isolation;
  if (quarantineProfileArn && quarantineRoleArn) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'PassQuarantineRoleOnly',
        actions: ['iam:PassRole'],
        resources: [quarantineRoleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      }),
    );
  }
  return statements;
};

export const credentialStatements = (stack: Stack, config: CordonConfig, account = stack.account): iam.PolicyStatement[] => {
  const { partition } = stack;
  const users = `arn:${partition}:iam::${account}:user/*`;
  const roles = `arn:${partition}:iam::${account}:role/*`;
  return [
    new iam.PolicyStatement({
      sid: 'ObservePrincipals',
      actions: [
        'iam:GetUser',
        'iam:ListUserTags',
        'iam:ListAccessKeys',
        'iam:GetLoginProfile',
        'iam:GetAccessKeyLastUsed',
        'iam:ListUsers',
        'iam:GetRole',
        'iam:ListRoleTags',
      ],
      resources: [users, roles],
    }),
    new iam.PolicyStatement({
      sid: 'RevokeUserKeysAndSessions',
      actions: ['iam:UpdateAccessKey', 'iam:PutUserPolicy', 'iam:DeleteUserPolicy', 'iam:DeleteLoginProfile'],
      resources: [users],
    }),
    new iam.PolicyStatement({
      sid: 'RevokeRoleSessions',
      actions: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
      resources: [roles],
    }),
    new iam.PolicyStatement({
      sid: 'NeverTouchOwnServiceOrSsoRoles',
      effect: iam.Effect.DENY,
      actions: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
      resources: untouchableRoles(partition, account),
    }),
    new iam.PolicyStatement({
      sid: 'NeverRevokeProtectedPrincipals',
      effect: iam.Effect.DENY,
      actions: ['iam:UpdateAccessKey', 'iam:PutUserPolicy', 'iam:DeleteLoginProfile', 'iam:PutRolePolicy'],
      resources: [users, roles],
      conditions: { StringEquals: { [`iam:ResourceTag/${config.protectedTag.key}`]: config.protectedTag.value } },
    }),
    new iam.PolicyStatement({
      sid: 'NeverDeleteEvidence',
      effect: iam.Effect.DENY,
      actions: ['iam:DeleteAccessKey', 'iam:DeleteUser', 'iam:DeleteRole', 'iam:CreateAccessKey'],
      resources: ['*'],
    }),
  ];
};

/** Why each wildcard resource is as narrow as it can be, by the resource pattern's tail. */
const ISOLATION_REASONS: Record<string, string> = {
  '*': 'Describe calls support no resource-level permissions; limited to Cordon’s regions by aws:RequestedRegion',
  ':instance/*': 'any instance of this account may be the compromised one; which is decided per finding, protected tags are honoured in code (a manual force overrides them, evidenced)',
  ':network-interface/*': 'every ENI of the compromised instance is cut; its ENIs are not known before the finding',
  ':security-group/*': 'creating one requires the cordon:isolation request tag and editing rules the cordon:isolation resource tag',
  ':vpc/*': 'the isolation group is created once per VPC of a compromised instance',
  '::snapshot/*': 'forensic snapshots get new ids; tagging is limited to cordon:* keys',
  ':volume/*': 'every volume of the compromised instance is snapshotted',
  ':elastic-ip/*': 'the Elastic IPs of the compromised instance are disassociated',
  ':detector/*': 'a manual request may name a finding of this account’s detector',
  ':autoScalingGroupName/*': 'the compromised instance is detached from whichever group holds it',
  ':targetgroup/*': 'the compromised instance is deregistered from whichever target groups hold it',
  ':loadbalancer/*': 'the compromised instance is deregistered from whichever classic load balancers hold it',
};

const CREDENTIAL_REASONS: Record<string, string> = {
  '*': 'an explicit Deny of deleting or creating keys, users and roles: wider is safer',
  ':user/*': 'the leaked key may belong to any user; the exact key is decided per finding, protected and allowlisted users are escalated in code',
  ':role/*': 'stolen sessions may be of any role; Cordon, service-linked and Identity Center roles are denied explicitly',
  ':role/cordon/*': 'an explicit Deny protecting Cordon’s own roles',
  ':role/Cordon*': 'an explicit Deny protecting Cordon’s own roles',
  ':role/aws-service-role/*': 'an explicit Deny protecting service-linked roles',
  ':role/aws-reserved/*': 'an explicit Deny protecting Identity Center roles',
};

/** One acknowledgement per wildcard resource in the policy, each with the reason for its kind. */
const acknowledgeWildcards = (stack: Stack, policy: iam.ManagedPolicy, reasons: Record<string, string>): void => {
  const json = policy.document.toJSON() as { Statement: { Resource: string | string[] }[] };
  const wildcards = new Set(
    json.Statement.flatMap((st) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource])).filter((r) => r.includes('*')),
  );
  const tails = Object.keys(reasons).sort((a, b) => b.length - a.length);
  acknowledge(
    policy,
    [...wildcards].map((resource) => {
      const rendered = nagResource(stack, resource);
      const tail = tails.find((t) => (t === '*' ? rendered === '*' : rendered.endsWith(t)));
      if (!tail) throw new Error(`no reason recorded for wildcard resource ${rendered}`);
      return [`AwsSolutions-IAM5[Resource::${rendered}]`, reasons[tail]!] as const;
    }),
  );
};

/** The isolation responder's policy, with a reason for each wildcard cdk-nag reports. */
export const isolationPolicy = (stack: Stack, config: CordonConfig): iam.ManagedPolicy => {
  const policy = new iam.ManagedPolicy(stack, 'IsolationPolicy', {
    description: 'Cordon: observe and isolate EC2 instances in this account and Cordon’s regions',
    statements: isolationStatements(stack, config),
  });
  acknowledgeWildcards(stack, policy, ISOLATION_REASONS);
  return policy;
};

/** The credential responder's policy, with a reason for each wildcard cdk-nag reports. */
export const credentialPolicy = (stack: Stack, config: CordonConfig): iam.ManagedPolicy => {
  const policy = new iam.ManagedPolicy(stack, 'CredentialPolicy', {
    description: 'Cordon: deactivate leaked keys and revoke sessions in this account; never delete',
    statements: credentialStatements(stack, config),
  });
  acknowledgeWildcards(stack, policy, CREDENTIAL_REASONS);
  return policy;
};

import type { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { CordonConfig } from './config';
import { ISOLATION_ROLES } from '../lambdas/isolation/types';
import { INCIDENT_TAG, ISOLATION_TAG, RELEASED_TAG } from '../lambdas/shared/names';
import { reviewedPolicy } from './nag';

/**
 * The AWS permissions of the isolation responder, as a customer-managed policy. Describe calls
 * have no resource-level permissions (AWS's design), so they are `*` limited to Cordon's regions;
 * every mutating call is scoped by resource type, account, region, and by tag where IAM supports it.
 * The same document backs the member isolation role (lib/member-stack.ts) in other accounts.
 */

/** The instance attributes isolation sets (ModifyInstanceAttribute, one per call), as `ec2:Attribute` names them. */
export const ISOLATION_INSTANCE_ATTRIBUTES = ['disableApiTermination', 'disableApiStop', 'instanceInitiatedShutdownBehavior', 'blockDeviceMapping'];

/** Every mutating call of the isolation responder: denied outright on a resource carrying the protected tag. */
export const ISOLATION_MUTATIONS = {
  ec2: [
    'ec2:ModifyInstanceAttribute',
    'ec2:ModifyNetworkInterfaceAttribute',
    'ec2:ReplaceIamInstanceProfileAssociation',
    'ec2:DisassociateIamInstanceProfile',
    'ec2:CreateSecurityGroup',
    'ec2:AuthorizeSecurityGroupIngress',
    'ec2:AuthorizeSecurityGroupEgress',
    'ec2:RevokeSecurityGroupIngress',
    'ec2:RevokeSecurityGroupEgress',
    'ec2:CreateTags',
    'ec2:DeleteTags',
    'ec2:CreateSnapshots',
    'ec2:CreateSnapshot',
    'ec2:DisassociateAddress',
  ],
  other: [
    'autoscaling:DetachInstances',
    'autoscaling:AttachInstances',
    'autoscaling:SetInstanceProtection',
    'elasticloadbalancing:DeregisterTargets',
    'elasticloadbalancing:DeregisterInstancesFromLoadBalancer',
  ],
} as const;

export const isolationStatements = (stack: Stack, config: CordonConfig, account = stack.account): iam.PolicyStatement[] => {
  const { partition } = stack;
  const regions = [stack.region, ...config.regions];
  const ec2 = (type: string, acct = account) => regions.map((r) => `arn:${partition}:ec2:${r}:${acct}:${type}`);
  const snapshots = regions.map((r) => `arn:${partition}:ec2:${r}::snapshot/*`);
  const inRegions = { StringEquals: { 'aws:RequestedRegion': regions } };
  const { key: protectedKey, value: protectedValue } = config.protectedTag;
  const cordonKeys = (keys: string[]) => keys.filter((k) => k !== protectedKey);
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
        'ec2:DescribeRouteTables',
        'autoscaling:DescribeAutoScalingInstances',
        'elasticloadbalancing:DescribeTargetGroups',
        'elasticloadbalancing:DescribeTargetHealth',
        'elasticloadbalancing:DescribeLoadBalancers',
        'elasticloadbalancing:DescribeInstanceHealth',
        // A manual request may name a finding. GetFindings has no resource-level permission: a
        // statement on `detector/*` never matched it, so AWS refused every such request.
        'guardduty:GetFindings',
      ],
      resources: ['*'],
      conditions: inRegions,
    }),
    new iam.PolicyStatement({
      // Each call sets one attribute; userData, instanceType, sourceDestCheck, groupSet, ... stay out of reach.
      sid: 'ProtectInstanceOnlyTheseAttributes',
      actions: ['ec2:ModifyInstanceAttribute'],
      resources: ec2('instance/*'),
      conditions: { StringEqualsIgnoreCase: { 'ec2:Attribute': ISOLATION_INSTANCE_ATTRIBUTES } },
    }),
    new iam.PolicyStatement({
      sid: 'SwapInstanceProfile',
      actions: ['ec2:ReplaceIamInstanceProfileAssociation', 'ec2:DisassociateIamInstanceProfile'],
      resources: ec2('instance/*'),
    }),
    new iam.PolicyStatement({
      // Read-only: which role the instance profile carries, so the credential responder can deny
      // the sessions of that role issued to this instance (lambdas/isolation/sessions.ts).
      sid: 'FindInstanceRole',
      actions: ['iam:GetInstanceProfile'],
      resources: [`arn:${partition}:iam::${account}:instance-profile/*`],
    }),
    new iam.PolicyStatement({
      sid: 'CaptureVolatileEvidence',
      actions: ['ec2:GetConsoleOutput', 'ec2:GetConsoleScreenshot'],
      resources: ec2('instance/*'),
    }),
    new iam.PolicyStatement({
      // Release removes the incident tag, so the instance no longer reads as isolated (state.ts).
      sid: 'UntagOnRelease',
      actions: ['ec2:DeleteTags'],
      resources: ec2('instance/*'),
      conditions: {
        'ForAllValues:StringEquals': { 'aws:TagKeys': cordonKeys([INCIDENT_TAG]) },
        Null: { 'aws:TagKeys': 'false' },
      },
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
      conditions: { StringEquals: { [`aws:RequestTag/${ISOLATION_TAG}`]: [...ISOLATION_ROLES] } },
    }),
    new iam.PolicyStatement({
      sid: 'CreateIsolationGroupInVpc',
      actions: ['ec2:CreateSecurityGroup'],
      resources: ec2('vpc/*'),
    }),
    new iam.PolicyStatement({
      // Tags can be put on a group only in the CreateSecurityGroup request itself: no existing group
      // can be made to look like Cordon's and then be opened by the rule edits below.
      sid: 'TagOwnGroupsOnlyAtCreation',
      actions: ['ec2:CreateTags'],
      resources: ec2('security-group/*'),
      conditions: {
        StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' },
        'ForAllValues:StringEquals': { 'aws:TagKeys': cordonKeys([ISOLATION_TAG, 'Name']) },
      },
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
      conditions: { StringEquals: { [`aws:ResourceTag/${ISOLATION_TAG}`]: [...ISOLATION_ROLES] } },
    }),
    new iam.PolicyStatement({
      // The incident tag at isolation; the released tag at release (decision.ts reads it).
      sid: 'TagInstancesOnlyWithIncident',
      actions: ['ec2:CreateTags'],
      resources: ec2('instance/*'),
      conditions: {
        'ForAllValues:StringEquals': { 'aws:TagKeys': cordonKeys([INCIDENT_TAG, RELEASED_TAG]) },
        Null: { 'aws:TagKeys': 'false' },
      },
    }),
    new iam.PolicyStatement({
      sid: 'TagSnapshotsOnlyAtCreation',
      actions: ['ec2:CreateTags'],
      resources: snapshots,
      conditions: {
        StringEquals: { 'ec2:CreateAction': ['CreateSnapshots', 'CreateSnapshot'] },
        'ForAllValues:StringEquals': { 'aws:TagKeys': cordonKeys([INCIDENT_TAG]) },
      },
    }),
    new iam.PolicyStatement({
      sid: 'SnapshotEveryVolume',
      actions: ['ec2:CreateSnapshots', 'ec2:CreateSnapshot'],
      resources: [...ec2('instance/*'), ...ec2('volume/*'), ...snapshots],
    }),
    new iam.PolicyStatement({
      sid: 'DisassociateElasticIps',
      actions: ['ec2:DisassociateAddress'],
      resources: [...ec2('elastic-ip/*'), ...ec2('network-interface/*'), ...ec2('instance/*')],
    }),
    new iam.PolicyStatement({
      // Attach: a release puts the instance back in the group it was detached from (from the evidence).
      // SetInstanceProtection: scale-in protection where detaching is impossible, and its original
      // value back after a release re-attaches.
      sid: 'DetachFromAutoScaling',
      actions: ['autoscaling:DetachInstances', 'autoscaling:AttachInstances', 'autoscaling:SetInstanceProtection'],
      resources: regions.map((r) => `arn:${partition}:autoscaling:${r}:${account}:autoScalingGroup:*:autoScalingGroupName/*`),
    }),
    new iam.PolicyStatement({
      sid: 'DeregisterFromLoadBalancers',
      actions: ['elasticloadbalancing:DeregisterTargets', 'elasticloadbalancing:DeregisterInstancesFromLoadBalancer'],
      resources: regions.flatMap((r) => [
        `arn:${partition}:elasticloadbalancing:${r}:${account}:targetgroup/*`,
        `arn:${partition}:elasticloadbalancing:${r}:${account}:loadbalancer/*`,
      ]),
    }),
    new iam.PolicyStatement({
      sid: 'NeverTheProtectedTagKey',
      effect: iam.Effect.DENY,
      actions: ['ec2:CreateTags', 'ec2:DeleteTags'],
      resources: ['*'],
      conditions: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': [protectedKey] } },
    }),
    new iam.PolicyStatement({
      // By IAM, not only in code: no isolation call touches an instance, ENI, group, volume, ... that
      // carries the protected tag, whatever a request says (a manual `force` cannot override it).
      sid: 'NeverTouchProtectedEc2Resources',
      effect: iam.Effect.DENY,
      actions: [...ISOLATION_MUTATIONS.ec2],
      resources: ['*'],
      conditions: { StringEquals: { [`ec2:ResourceTag/${protectedKey}`]: protectedValue } },
    }),
    new iam.PolicyStatement({
      sid: 'NeverTouchProtectedResources',
      effect: iam.Effect.DENY,
      actions: [...ISOLATION_MUTATIONS.ec2, ...ISOLATION_MUTATIONS.other],
      resources: ['*'],
      conditions: { StringEquals: { [`aws:ResourceTag/${protectedKey}`]: protectedValue } },
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

/** Why each wildcard resource is as narrow as it can be, by the resource pattern's tail. */
const ISOLATION_REASONS: Record<string, string> = {
  '*': 'Describe calls and guardduty:GetFindings support no resource-level permissions; limited to Cordon’s regions by aws:RequestedRegion',
  ':instance/*': 'any instance of this account may be the compromised one; which is decided per finding, and an explicit Deny excludes every resource carrying the protected tag',
  ':network-interface/*': 'every ENI of the compromised instance is cut; its ENIs are not known before the finding',
  ':security-group/*': 'creating one requires the cordon:isolation request tag, tags are accepted only in that creating request, and rules are edited only on groups carrying the tag',
  ':vpc/*': 'the isolation group is created once per VPC of a compromised instance',
  '::snapshot/*': 'forensic snapshots get new ids; tagged only in the creating request, with the cordon:incident key',
  ':volume/*': 'every volume of the compromised instance is snapshotted',
  ':elastic-ip/*': 'the Elastic IPs of the compromised instance are disassociated',
  ':autoScalingGroupName/*': 'the compromised instance is detached from whichever group holds it',
  ':targetgroup/*': 'the compromised instance is deregistered from whichever target groups hold it',
  ':loadbalancer/*': 'the compromised instance is deregistered from whichever classic load balancers hold it',
  ':instance-profile/*': 'read-only (GetInstanceProfile): the compromised instance may carry any profile; its role is looked up to revoke that role’s sessions on this instance',
};

/** The isolation responder's policy, with a reason for each wildcard cdk-nag reports. */
export const isolationPolicy = (stack: Stack, config: CordonConfig): iam.ManagedPolicy =>
  reviewedPolicy(stack, 'IsolationPolicy', ISOLATION_REASONS, {
    description: 'Cordon: observe and isolate EC2 instances in this account and Cordon’s regions',
    statements: isolationStatements(stack, config),
  });

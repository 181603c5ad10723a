import type { SentCall } from './calls';
import type { Authorizer } from './evaluate';

/**
 * The calls Cordon's functions must be allowed to make, declared per principal as the call logs
 * they produce (one of each command of lambdas/, with the reads that tell the harness the tags it
 * acts on): isolation (capture, cut, snapshot, release), credentials (revoke, quarantine, restore,
 * patterns), the session revoker state machine and its member session writer, their member roles,
 * the guardrails table, the tamper handler, the checkpoint writer and the auditor. Names are those the deployed functions are
 * configured with (the harness maps EVIDENCE_BUCKET, SIGNING_KEY_ID... to the deployed resources).
 */

type Call = Omit<SentCall, 'principal' | 'region'> & { readonly principal: string; readonly account?: string };

const I = 'i-0123456789abcdef0';
const MEMBER = '222222222222';
const NOW_PLUS_7Y = new Date(Date.now() + 2555 * 86_400_000);

const isolation = (account?: string): Call[] => {
  const principal = account ? 'member-isolation' : 'isolation';
  const c = (service: string, command: string, input: Record<string, unknown>, output?: unknown): Call => ({
    principal,
    ...(account ? { account } : {}),
    service,
    command,
    input,
    ...(output !== undefined ? { output } : {}),
  });
  return [
    c('ec2', 'DescribeInstances', { InstanceIds: [I] }, {
      Reservations: [{ Instances: [{ InstanceId: I, Tags: [{ Key: 'Name', Value: 'web' }], BlockDeviceMappings: [{ Ebs: { VolumeId: 'vol-0aaa' } }] }] }],
    }),
    c('ec2', 'DescribeNetworkInterfaces', {}),
    c('ec2', 'DescribeVolumes', {}),
    c('ec2', 'DescribeAddresses', {}, { Addresses: [{ AssociationId: 'eipassoc-0aaa', AllocationId: 'eipalloc-0aaa' }] }),
    c('ec2', 'DescribeIamInstanceProfileAssociations', {}, { IamInstanceProfileAssociations: [{ AssociationId: 'iip-assoc-0aaa', InstanceId: I }] }),
    c('ec2', 'DescribeSecurityGroups', {}),
    c('ec2', 'DescribeRouteTables', {}),
    c('autoscaling', 'DescribeAutoScalingInstances', {}),
    c('elbv2', 'DescribeTargetGroups', {}),
    c('elbv2', 'DescribeTargetHealth', {}),
    c('elb', 'DescribeLoadBalancers', {}),
    c('guardduty', 'GetFindings', { DetectorId: 'd1', FindingIds: ['f1'] }),
    c('ec2', 'ModifyInstanceAttribute', { InstanceId: I, DisableApiTermination: { Value: true } }),
    c('ec2', 'ModifyInstanceAttribute', { InstanceId: I, DisableApiStop: { Value: true } }),
    c('ec2', 'ModifyInstanceAttribute', { InstanceId: I, InstanceInitiatedShutdownBehavior: { Value: 'stop' } }),
    c('ec2', 'ModifyInstanceAttribute', { InstanceId: I, BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { DeleteOnTermination: false } }] }),
    // Volatile evidence just before the cut (stored under artifacts/ by the evidence writer).
    c('ec2', 'GetConsoleOutput', { InstanceId: I, Latest: true }),
    c('ec2', 'GetConsoleScreenshot', { InstanceId: I, WakeUp: false }),
    // An instance not InService/Standby keeps its group, protected from scale-in instead.
    c('autoscaling', 'SetInstanceProtection', { AutoScalingGroupName: 'web-asg', InstanceIds: [I], ProtectedFromScaleIn: true }),
    c('autoscaling', 'DetachInstances', { AutoScalingGroupName: 'web-asg', InstanceIds: [I], ShouldDecrementDesiredCapacity: false }),
    c('elbv2', 'DeregisterTargets', { TargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/web/1', Targets: [{ Id: I }] }),
    c('elb', 'DeregisterInstancesFromLoadBalancer', { LoadBalancerName: 'legacy', Instances: [{ InstanceId: I }] }),
    c(
      'ec2',
      'CreateSecurityGroup',
      { GroupName: 'cordon-isolation', VpcId: 'vpc-0a', TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'cordon:isolation', Value: 'isolation' }, { Key: 'Name', Value: 'cordon-isolation' }] }] },
      { GroupId: 'sg-0iso' },
    ),
    c('ec2', 'RevokeSecurityGroupEgress', { GroupId: 'sg-0iso' }),
    c('ec2', 'AuthorizeSecurityGroupIngress', { GroupId: 'sg-0iso' }),
    c('ec2', 'ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: 'eni-0aaa', Groups: ['sg-0iso'] }),
    c('ec2', 'DisassociateAddress', { AssociationId: 'eipassoc-0aaa' }),
    c('ec2', 'DisassociateIamInstanceProfile', { AssociationId: 'iip-assoc-0aaa' }),
    c('ec2', 'CreateSnapshots', { InstanceSpecification: { InstanceId: I }, TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'cordon:incident', Value: 'inc-1' }] }] }),
    c('ec2', 'CreateTags', { Resources: [I], Tags: [{ Key: 'cordon:incident', Value: 'inc-1' }] }),
    c('autoscaling', 'AttachInstances', { AutoScalingGroupName: 'web-asg', InstanceIds: [I] }),
    c('ec2', 'DeleteTags', { Resources: [I], Tags: [{ Key: 'cordon:incident' }] }),
    // Release marks the instance released (an automatic finding then escalates instead).
    c('ec2', 'CreateTags', { Resources: [I], Tags: [{ Key: 'cordon:released', Value: 'inc-1' }] }),
    // The role of the instance profile, for the credential responder's instance-scoped revocation.
    c('iam', 'GetInstanceProfile', { InstanceProfileName: 'web' }),
  ];
};

const credentials = (account?: string): Call[] => {
  const principal = account ? 'member-credentials' : 'credentials';
  const c = (command: string, input: Record<string, unknown>, output?: unknown): Call => ({
    principal,
    ...(account ? { account } : {}),
    service: 'iam',
    command,
    input,
    ...(output !== undefined ? { output } : {}),
  });
  return [
    c('GetUser', { UserName: 'alice' }),
    c('ListUserTags', { UserName: 'alice' }, { Tags: [] }),
    c('ListAccessKeys', { UserName: 'alice' }),
    c('GetLoginProfile', { UserName: 'alice' }),
    c('GetUserPolicy', { UserName: 'alice', PolicyName: 'cordon-revoke-sessions' }),
    c('GetAccessKeyLastUsed', { AccessKeyId: 'AKIA1' }, { UserName: 'alice' }),
    c('ListUsers', { PathPrefix: '/ci/' }),
    c('GetRole', { RoleName: 'web' }),
    c('ListRoleTags', { RoleName: 'web' }, { Tags: [] }),
    c('GetRolePolicy', { RoleName: 'web', PolicyName: 'cordon-revoke-sessions' }),
    c('UpdateAccessKey', { UserName: 'alice', AccessKeyId: 'AKIA1', Status: 'Inactive' }),
    // Quarantine: only the fixed AWS-managed deny (iam:PolicyARN).
    c('AttachUserPolicy', { UserName: 'alice', PolicyArn: 'arn:aws:iam::aws:policy/AWSDenyAll' }),
    c('DeleteLoginProfile', { UserName: 'alice' }),
    // Restore: the key back, the quarantine detached; the session deny is never lifted.
    c('UpdateAccessKey', { UserName: 'alice', AccessKeyId: 'AKIA1', Status: 'Active' }),
    c('DetachUserPolicy', { UserName: 'alice', PolicyArn: 'arn:aws:iam::aws:policy/AWSDenyAll' }),
  ];
};

/**
 * The session revoker (lib/constructs/session-revoker.ts): the credential function starts it; its
 * state machine's role writes the fixed deny in the security account, and assumes the member
 * session writer to write it in a member account.
 */
const sessions: Call[] = [
  { principal: 'credentials', service: 'sfn', command: 'StartSyncExecution', input: { stateMachineArn: 'session-revoker', input: '{}' } },
  { principal: 'session-revoker', service: 'iam', command: 'PutUserPolicy', input: { UserName: 'alice', PolicyName: 'cordon-revoke-sessions', PolicyDocument: '{}' } },
  { principal: 'session-revoker', service: 'iam', command: 'PutRolePolicy', input: { RoleName: 'web', PolicyName: 'cordon-revoke-sessions', PolicyDocument: '{}' } },
  { principal: 'session-revoker', service: 'sts', command: 'AssumeRole', input: { RoleArn: `arn:aws:iam::${MEMBER}:role/CordonMemberSessionRevoker`, RoleSessionName: 'cordon-session-revoker' } },
  ...['PutUserPolicy', 'PutRolePolicy'].map(
    (command): Call => ({
      principal: 'member-session-writer',
      account: MEMBER,
      service: 'iam',
      command,
      input: { ...(command === 'PutUserPolicy' ? { UserName: 'alice' } : { RoleName: 'web' }), PolicyName: 'cordon-revoke-sessions', PolicyDocument: '{}' },
    }),
  ),
];

/** The guardrails table: breaker, idempotency, parked events and the credential ledger. */
const guardrails = (principal: 'isolation' | 'credentials'): Call[] =>
  ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'].map(
    (command): Call => ({ principal, service: 'dynamodb', command, input: { TableName: 'guardrails' } }),
  ).concat([{ principal, service: 'dynamodb', command: 'Query', input: { TableName: 'guardrails', IndexName: 'parked' } }]);

/** What every responder does around its actions: mode, evidence, notification, member access. */
const responder = (principal: 'isolation' | 'credentials', memberRole: string): Call[] => [
  { principal, service: 'ssm', command: 'GetParameter', input: { Name: '/cordon/mode' } },
  { principal, service: 'sts', command: 'AssumeRole', input: { RoleArn: `arn:aws:iam::${MEMBER}:role/${memberRole}`, RoleSessionName: 'cordon-inc-1', Tags: [{ Key: 'cordon:incident', Value: 'inc-1' }] } },
  { principal, service: 'kms', command: 'GetPublicKey', input: { KeyId: 'signing-key' } },
  { principal, service: 'kms', command: 'Sign', input: { KeyId: 'signing-key', SigningAlgorithm: 'ECDSA_SHA_256', MessageType: 'DIGEST' } },
  {
    principal,
    service: 's3',
    command: 'PutObject',
    input: { Bucket: 'vault', Key: 'records/inc-1/00000000.json', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: NOW_PLUS_7Y, IfNoneMatch: '*' },
  },
  { principal, service: 's3', command: 'HeadObject', input: { Bucket: 'vault', Key: 'records/inc-1/00000000.json' } },
  { principal, service: 's3', command: 'GetObject', input: { Bucket: 'vault', Key: 'records/inc-1/00000000.json' } },
  { principal, service: 's3', command: 'ListObjectsV2', input: { Bucket: 'vault', Prefix: 'records/inc-1/' } },
  { principal, service: 'dynamodb', command: 'UpdateItem', input: { TableName: 'heads' } },
  { principal, service: 'dynamodb', command: 'GetItem', input: { TableName: 'heads' } },
  { principal, service: 'sns', command: 'Publish', input: { TopicArn: 'topic' } },
  { principal, service: 'securityhub', command: 'BatchUpdateFindings', input: {} },
];

/** The tamper handler: an evidence writer of its own records, and the incident topic. */
const tamper: Call[] = [
  { principal: 'tamper', service: 'kms', command: 'GetPublicKey', input: { KeyId: 'signing-key' } },
  { principal: 'tamper', service: 'kms', command: 'Sign', input: { KeyId: 'signing-key', SigningAlgorithm: 'ECDSA_SHA_256', MessageType: 'DIGEST' } },
  {
    principal: 'tamper',
    service: 's3',
    command: 'PutObject',
    input: { Bucket: 'vault', Key: 'records/tamper-e1/00000000.json', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: NOW_PLUS_7Y, IfNoneMatch: '*' },
  },
  { principal: 'tamper', service: 'dynamodb', command: 'UpdateItem', input: { TableName: 'heads' } },
  { principal: 'tamper', service: 'sns', command: 'Publish', input: { TopicArn: 'topic' } },
];

const checkpoint: Call[] = [
  { principal: 'checkpoint', service: 'dynamodb', command: 'Scan', input: { TableName: 'heads' } },
  { principal: 'checkpoint', service: 'kms', command: 'Sign', input: { KeyId: 'signing-key', SigningAlgorithm: 'ECDSA_SHA_256', MessageType: 'DIGEST' } },
  { principal: 'checkpoint', service: 'kms', command: 'GetPublicKey', input: { KeyId: 'signing-key' } },
  {
    principal: 'checkpoint',
    service: 's3',
    command: 'PutObject',
    input: { Bucket: 'vault', Key: 'checkpoints/00000001.json', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: NOW_PLUS_7Y, IfNoneMatch: '*' },
  },
  // The copy in the anchor (log-archive account, cross-account: the role's grant and the anchor's
  // bucket policy), and its evidence in the day's anchor chain.
  {
    principal: 'checkpoint',
    service: 's3',
    command: 'PutObject',
    input: { Bucket: 'anchor', Key: 'checkpoints/00000001.json', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: NOW_PLUS_7Y, IfNoneMatch: '*' },
  },
  {
    principal: 'checkpoint',
    service: 's3',
    command: 'PutObject',
    input: { Bucket: 'vault', Key: 'records/anchor-2026-12-01/00000000.json', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: NOW_PLUS_7Y, IfNoneMatch: '*' },
  },
  { principal: 'checkpoint', service: 's3', command: 'PutObject', input: { Bucket: 'vault', Key: 'keys/abc.pem', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: NOW_PLUS_7Y, IfNoneMatch: '*' } },
];

const auditor: Call[] = [
  { principal: 'auditor', service: 's3', command: 'ListObjectVersions', input: { Bucket: 'vault', Prefix: '' } },
  { principal: 'auditor', service: 's3', command: 'GetObject', input: { Bucket: 'vault', Key: 'records/inc-1/00000000.json', VersionId: 'v1' } },
  { principal: 'auditor', service: 's3', command: 'GetObjectRetention', input: { Bucket: 'vault', Key: 'records/inc-1/00000000.json' } },
];

/**
 * Calls Cordon never sends because no Cordon role may make them: putting an application's instance
 * profile back passes its role (iam:PassRole), so release lists it under `notRestored` with the
 * command instead (lambdas/isolation/release.ts). The required-calls test asserts they stay refused.
 */
export const DENIED_BY_DESIGN: readonly Call[] = [
  ...[undefined, MEMBER].map(
    (account): Call => ({
      principal: account ? 'member-isolation' : 'isolation',
      ...(account ? { account } : {}),
      service: 'ec2',
      command: 'AssociateIamInstanceProfile',
      input: { InstanceId: I, IamInstanceProfile: { Arn: 'arn:aws:iam::111111111111:instance-profile/web' } },
    }),
  ),
];

export const REQUIRED_CALLS: readonly Call[] = [
  ...isolation(),
  ...isolation(MEMBER),
  ...credentials(),
  ...credentials(MEMBER),
  ...responder('isolation', 'CordonMemberIsolation'),
  ...responder('credentials', 'CordonMemberCredentials'),
  // Console output and screenshot, stored before the cut.
  {
    principal: 'isolation',
    service: 's3',
    command: 'PutObject',
    input: { Bucket: 'vault', Key: 'artifacts/inc-1/console-output.txt', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: NOW_PLUS_7Y, IfNoneMatch: '*' },
  },
  ...sessions,
  // Isolation asks the credential responder to revoke the instance role's sessions on the instance.
  { principal: 'isolation', service: 'lambda', command: 'Invoke', input: { FunctionName: 'credentials-function', InvocationType: 'Event' } },
  ...guardrails('isolation'),
  ...guardrails('credentials'),
  ...tamper,
  ...checkpoint,
  ...auditor,
];

/** The names the table uses for Cordon's resources, by the environment variable that carries them. */
export const REQUIRED_CONFIGURED: Readonly<Record<string, string>> = {
  EVIDENCE_BUCKET: 'vault',
  ANCHOR_BUCKET: 'anchor',
  SIGNING_KEY_ID: 'signing-key',
  HEADS_TABLE: 'heads',
  NOTIFY_TOPIC_ARN: 'topic',
  MODE_PARAMETER: '/cordon/mode',
  GUARDRAILS_TABLE: 'guardrails',
  SESSION_REVOKER_ARN: 'session-revoker',
  CREDENTIALS_FUNCTION_NAME: 'credentials-function',
};

/** The table as the harness evaluates it: principals resolved, in the authorizer's region. */
export const requiredCalls = (authz: Authorizer, calls: readonly Call[] = REQUIRED_CALLS): SentCall[] =>
  calls.map(({ principal, account, ...c }) => ({ ...c, principal: authz.role(principal, account), region: authz.options.region }));

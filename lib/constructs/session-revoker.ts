import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { REVOKE_SESSIONS_POLICY_NAME, SESSION_WRITER_ROLE_NAME, sessionRevokerName } from '../../lambdas/shared/names';
import { acknowledge, acknowledgeGrants } from '../nag';
import type { CordonConfig } from '../config';
import { SESSION_WRITER_REASONS, sessionWriterStatements } from '../credential-policy';
import { acknowledgeWildcards } from '../nag';

/**
 * The session revoker: the ONLY writer of session-deny policies, and a principal that cannot
 * choose what it writes.
 *
 * Why this is safe although IAM cannot restrict a policy's content (iam:PutRolePolicy's resource is
 * the role; no condition key names the policy or its document):
 * - The document is in the state machine's definition: two fixed `Deny * on *` statements (older
 *   sessions of the principal; sessions issued to given instances). The input (principal, account,
 *   cut-offs, instance ARNs) is validated by a Choice on its shape and lands only as condition
 *   VALUES; the document is serialized with States.JsonToString, so no input can add a statement,
 *   turn a Deny into an Allow or change the action. The caller's input is moved under `$.input`
 *   first, so it cannot pre-seed the statements either. The policy name is fixed too.
 * - Only the state machine's role holds iam:PutUserPolicy / iam:PutRolePolicy (the function that
 *   starts it has no Put*Policy at all; in member accounts only this role can assume the writer
 *   role). Whoever could change the definition or that role is an administrator of the security
 *   account: the guard SCP denies them that (lib/guard-policy.ts) but to CloudFormation's deploys
 *   and break-glass, and such a change alarms (Cordon's tamper alarms on its own resources).
 * - The worst a compromised caller can do is deny sessions of a principal it could already
 *   contain: never grant anything. Protected-tag principals, Cordon's own roles (exact ARNs),
 *   service-linked and Identity Center roles are denied to the writer by IAM.
 * Express + StartSyncExecution: one round trip for the caller, after the key is already inactive.
 */

export interface SessionRevokerDefinitionProps {
  readonly partition: string;
  /** Where the state machine runs: principals here are written with its own role. */
  readonly homeAccount: string;
  /** @default SESSION_WRITER_ROLE_NAME */
  readonly writerRoleName?: string;
}

const DENY = { Effect: 'Deny', Action: '*', Resource: '*' } as const;
const present = (variable: string) => ({ Variable: variable, IsPresent: true });
const absent = (variable: string) => ({ Variable: variable, IsPresent: false });
const RETRY = [{ ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' }];

/** The Amazon States Language definition (JSONPath), a pure function of where it runs. */
export const sessionRevokerDefinition = (p: SessionRevokerDefinitionProps): Record<string, unknown> => {
  const writerRole = `arn:${p.partition}:iam::{}:role/${p.writerRoleName ?? SESSION_WRITER_ROLE_NAME}`;
  const put = (type: 'user' | 'role', member: boolean) => ({
    Type: 'Task',
    Resource: `arn:${p.partition}:states:::aws-sdk:iam:${type === 'user' ? 'putUserPolicy' : 'putRolePolicy'}`,
    Parameters: {
      [type === 'user' ? 'UserName.$' : 'RoleName.$']: '$.input.principalName',
      PolicyName: REVOKE_SESSIONS_POLICY_NAME,
      'PolicyDocument.$': 'States.JsonToString($.document)',
    },
    ...(member ? { Credentials: { 'RoleArn.$': '$.writer.roleArn' } } : {}),
    ResultPath: null,
    Retry: RETRY,
    Next: 'Written',
  });
  return {
    Comment: `Cordon session revoker: writes ${REVOKE_SESSIONS_POLICY_NAME}, a fixed deny of sessions issued before a cut-off`,
    StartAt: 'TakeInput',
    States: {
      TakeInput: { Type: 'Pass', Parameters: { 'input.$': '$' }, Next: 'ValidatePrincipal' },
      // Nested choices: a rule only ever reads a path an earlier IsPresent proved present.
      ValidatePrincipal: {
        Type: 'Choice',
        Choices: [{ And: [present('$.input.principalType'), present('$.input.principalName'), present('$.input.account')], Next: 'ValidatePrincipalTypes' }],
        Default: 'RejectInput',
      },
      ValidatePrincipalTypes: {
        Type: 'Choice',
        Choices: [
          {
            And: [
              { Variable: '$.input.principalName', IsString: true },
              { Variable: '$.input.account', IsString: true },
              { Or: [{ Variable: '$.input.principalType', StringEquals: 'user' }, { Variable: '$.input.principalType', StringEquals: 'role' }] },
            ],
            Next: 'ValidateShape',
          },
        ],
        Default: 'RejectInput',
      },
      ValidateShape: {
        Type: 'Choice',
        Choices: [
          { And: [present('$.input.cutoff'), absent('$.input.instanceArns'), absent('$.input.instanceCutoff')], Next: 'ValidateCutoff' },
          { And: [{ Variable: '$.input.principalType', StringEquals: 'role' }, present('$.input.instanceArns[0]'), present('$.input.instanceCutoff')], Next: 'ValidateInstances' },
        ],
        Default: 'RejectInput',
      },
      ValidateInstances: {
        Type: 'Choice',
        Choices: [{ And: [{ Variable: '$.input.instanceArns[0]', IsString: true }, { Variable: '$.input.instanceCutoff', IsTimestamp: true }], Next: 'InstancesAndCutoff' }],
        Default: 'RejectInput',
      },
      InstancesAndCutoff: { Type: 'Choice', Choices: [{ Variable: '$.input.cutoff', IsPresent: true, Next: 'ValidateCutoff' }], Default: 'InstanceStatement' },
      ValidateCutoff: { Type: 'Choice', Choices: [{ Variable: '$.input.cutoff', IsTimestamp: true, Next: 'PrincipalStatement' }], Default: 'RejectInput' },
      RejectInput: {
        Type: 'Fail',
        Error: 'Cordon.InvalidInput',
        Cause: 'expected {account, principalType: user|role, principalName} with a timestamp cutoff and/or (roles only) instanceArns and a timestamp instanceCutoff',
      },
      PrincipalStatement: {
        Type: 'Pass',
        Parameters: { Sid: 'CordonRevokeOlderSessions', ...DENY, Condition: { DateLessThan: { 'aws:TokenIssueTime.$': '$.input.cutoff' } } },
        ResultPath: '$.principalStatement',
        Next: 'WithInstances',
      },
      WithInstances: { Type: 'Choice', Choices: [{ Variable: '$.input.instanceArns', IsPresent: true, Next: 'InstanceStatement' }], Default: 'PrincipalDocument' },
      InstanceStatement: {
        Type: 'Pass',
        Parameters: {
          Sid: 'CordonRevokeInstanceSessions',
          ...DENY,
          Condition: { StringEquals: { 'ec2:SourceInstanceARN.$': '$.input.instanceArns' }, DateLessThan: { 'aws:TokenIssueTime.$': '$.input.instanceCutoff' } },
        },
        ResultPath: '$.instanceStatement',
        Next: 'WithPrincipal',
      },
      WithPrincipal: { Type: 'Choice', Choices: [{ Variable: '$.principalStatement', IsPresent: true, Next: 'BothDocument' }], Default: 'InstanceDocument' },
      PrincipalDocument: { Type: 'Pass', Parameters: { Version: '2012-10-17', 'Statement.$': 'States.Array($.principalStatement)' }, ResultPath: '$.document', Next: 'Where' },
      InstanceDocument: { Type: 'Pass', Parameters: { Version: '2012-10-17', 'Statement.$': 'States.Array($.instanceStatement)' }, ResultPath: '$.document', Next: 'Where' },
      BothDocument: {
        Type: 'Pass',
        Parameters: { Version: '2012-10-17', 'Statement.$': 'States.Array($.principalStatement, $.instanceStatement)' },
        ResultPath: '$.document',
        Next: 'Where',
      },
      Where: {
        Type: 'Choice',
        Choices: [
          { And: [{ Variable: '$.input.principalType', StringEquals: 'user' }, { Variable: '$.input.account', StringEquals: p.homeAccount }], Next: 'PutUserPolicy' },
          { And: [{ Variable: '$.input.principalType', StringEquals: 'role' }, { Variable: '$.input.account', StringEquals: p.homeAccount }], Next: 'PutRolePolicy' },
        ],
        Default: 'MemberWriter',
      },
      MemberWriter: { Type: 'Pass', Parameters: { 'roleArn.$': `States.Format('${writerRole}', $.input.account)` }, ResultPath: '$.writer', Next: 'MemberWhere' },
      MemberWhere: { Type: 'Choice', Choices: [{ Variable: '$.input.principalType', StringEquals: 'user', Next: 'PutMemberUserPolicy' }], Default: 'PutMemberRolePolicy' },
      PutUserPolicy: put('user', false),
      PutRolePolicy: put('role', false),
      PutMemberUserPolicy: put('user', true),
      PutMemberRolePolicy: put('role', true),
      Written: {
        Type: 'Pass',
        Parameters: {
          'account.$': '$.input.account',
          'principalType.$': '$.input.principalType',
          'principalName.$': '$.input.principalName',
          policyName: REVOKE_SESSIONS_POLICY_NAME,
          'document.$': 'States.JsonToString($.document)',
        },
        End: true,
      },
    },
  };
};

export interface SessionRevokerProps {
  /** Statements of the writer (sessionWriterStatements): Put*Policy on this account's principals, with the denies. */
  readonly statements: (role: iam.IRole) => iam.PolicyStatement[];
  /** Why each wildcard resource of `statements` is as narrow as it can be, by its tail. */
  readonly wildcardReasons: Readonly<Record<string, string>>;
  /** Encrypts the execution log group (the response key). */
  readonly key: kms.IKey;
  /** Member accounts it may act in (assumes SESSION_WRITER_ROLE_NAME there); by organization when set. */
  readonly memberAccounts: readonly string[];
  readonly organizationId?: string;
  readonly actsInOrganization: boolean;
}

export class SessionRevoker extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** ARN of the state machine (fixed name): the only source its role trusts. */
  readonly stateMachineArn: string;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: SessionRevokerProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // The state machine has a fixed name, so its ARN is known before it exists: the role is
    // trusted by Step Functions for THIS state machine only (aws:SourceArn). A state machine
    // anyone else creates with this role (iam:PassRole) cannot assume it, so no other definition
    // (no other document) can ever run with it. What remains is changing this state machine's own
    // definition (states:UpdateStateMachine): no Cordon role may, and the tamper rules alarm on it;
    // Step Functions has no resource policy, so for the security account's administrators only
    // the guard SCP denies it (lib/guard-policy.ts, the CordonGuard stage).
    const stateMachineName = sessionRevokerName(stack.stackName);
    this.stateMachineArn = `arn:${stack.partition}:states:${stack.region}:${stack.account}:stateMachine:${stateMachineName}`;
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.PrincipalWithConditions(new iam.ServicePrincipal('states.amazonaws.com'), {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnEquals: { 'aws:SourceArn': this.stateMachineArn },
      }),
      description: 'Cordon: the session revoker state machine, sole writer of the cordon-revoke-sessions deny',
    });
    const writerIn = (account: string) => `arn:${stack.partition}:iam::${account}:role/${SESSION_WRITER_ROLE_NAME}`;
    const statements = [
      ...props.statements(this.role),
      ...(props.memberAccounts.length > 0
        ? [new iam.PolicyStatement({ sid: 'AssumeListedMemberWriter', actions: ['sts:AssumeRole'], resources: props.memberAccounts.map(writerIn) })]
        : []),
      ...(props.actsInOrganization && props.organizationId
        ? [
            new iam.PolicyStatement({
              sid: 'AssumeOrganizationMemberWriter',
              actions: ['sts:AssumeRole'],
              resources: [writerIn('*')],
              conditions: { StringEquals: { 'aws:ResourceOrgID': props.organizationId } },
            }),
          ]
        : []),
    ];
    for (const st of statements) this.role.addToPolicy(st);
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR, encryptionKey: props.key, removalPolicy: RemovalPolicy.RETAIN });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName,
      stateMachineType: sfn.StateMachineType.EXPRESS,
      definitionBody: sfn.DefinitionBody.fromString(stack.toJsonString(sessionRevokerDefinition({ partition: stack.partition, homeAccount: stack.account }))),
      role: this.role,
      timeout: Duration.minutes(1),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    acknowledgeWildcards(stack, this.role, {
      ...props.wildcardReasons,
      [`:role/${SESSION_WRITER_ROLE_NAME}`]: 'the session writer role of any account of the organization (aws:ResourceOrgID); one role name only',
    }, new iam.PolicyDocument({ statements }));
    acknowledgeGrants(this.role, [
      {
        resource: '*',
        actions: [
          'logs:CreateLogDelivery',
          'logs:GetLogDelivery',
          'logs:UpdateLogDelivery',
          'logs:DeleteLogDelivery',
          'logs:ListLogDeliveries',
          'logs:PutResourcePolicy',
          'logs:DescribeResourcePolicies',
          'logs:DescribeLogGroups',
          'xray:PutTraceSegments',
          'xray:PutTelemetryRecords',
          'xray:GetSamplingRules',
          'xray:GetSamplingTargets',
        ],
        reason: 'CloudWatch Logs delivery and X-Ray support no resource-level permissions (added by the state machine’s logging and tracing)',
      },
    ]);
    acknowledge(this.role, [
      ['NIST.800.53.R5-IAMNoInlinePolicy', 'the inline policy holds this one state machine’s grants; a managed policy could be attached to other principals'],
    ]);
  }

  /** StartSyncExecution on this state machine only: the caller names a principal, never a document. */
  grantStartSync(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['states:StartSyncExecution'], resourceArns: [this.stateMachine.stateMachineArn] });
  }
}

export interface MemberSessionWriterRoleProps {
  readonly config: CordonConfig;
  /** The session revoker state machine's role in the security account: the only principal trusted. */
  readonly trustedRoleArn: string;
  /** Cordon's roles in this account, by exact ARN: never written on. */
  readonly ownRoleArns: readonly string[];
}

/**
 * The session writer in a member account (`CordonMemberSessionRevoker`): what the state machine
 * assumes through its task `Credentials`, so the document stays the definition's in every account.
 * Trusted only by the state machine's role (plus `aws:PrincipalOrgID`); it holds only
 * `sessionWriterStatements`, never the responders' other permissions, and the responder functions
 * cannot assume it.
 */
export class MemberSessionWriterRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: MemberSessionWriterRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const trusted = new iam.ArnPrincipal(props.trustedRoleArn);
    const statements = sessionWriterStatements(stack, props.config, props.ownRoleArns);
    this.role = new iam.Role(this, 'Role', {
      roleName: SESSION_WRITER_ROLE_NAME,
      description: 'Cordon: assumed only by the session revoker state machine to write the cordon-revoke-sessions deny in this account',
      assumedBy: props.config.organizationId ? new iam.PrincipalWithConditions(trusted, { StringEquals: { 'aws:PrincipalOrgID': props.config.organizationId } }) : trusted,
      maxSessionDuration: Duration.hours(1),
      inlinePolicies: { SessionDeny: new iam.PolicyDocument({ statements }) },
    });
    acknowledgeWildcards(stack, this.role, SESSION_WRITER_REASONS, new iam.PolicyDocument({ statements }));
    acknowledge(this.role, [['NIST.800.53.R5-IAMNoInlinePolicy', 'the inline policy is this role’s only grant (the session deny writer); a managed policy could be attached to other principals']]);
  }
}

import { CORDON_PATH } from '../lambdas/shared/names';

/**
 * Tamper alarms on Cordon itself: EventBridge patterns over CloudTrail management events
 * (`detail-type: AWS API Call via CloudTrail`) for every change that could blind, disarm or turn
 * Cordon: its kill switch, functions, rules, roles and policies, the vault keys and bucket, the
 * trail, GuardDuty and Security Hub. Pure data (lib/constructs/tamper.ts makes the rules), so the
 * tests match the synthesized patterns against sample CloudTrail events.
 *
 * What the patterns cannot see, by AWS's design: events of IAM (a global service) are delivered to
 * EventBridge in us-east-1 only; and once a trail stops logging, EventBridge receives no more
 * CloudTrail events (the StopLogging itself is delivered, and GuardDuty raises
 * Stealth:IAMUser/CloudTrailLoggingDisabled).
 */

export const CLOUDTRAIL_API_CALL = 'AWS API Call via CloudTrail';

/** The names (tokens at synth) of what the patterns watch. */
export interface TamperTargets {
  /** The kill-switch parameter name, `/cordon/mode`. */
  readonly modeParameterName: string;
  /** Names and ARNs of Cordon's functions (CloudTrail names a function either way). */
  readonly functions: readonly string[];
  /** Prefix of the physical names of Cordon's EventBridge rules (`<stack name>-`). */
  readonly rulePrefix: string;
  /** Names of Cordon's roles. */
  readonly roleNames: readonly string[];
  /** ARNs of Cordon's customer-managed policies. */
  readonly policyArns: readonly string[];
  /** ARNs of the signing and data keys of the vault. */
  readonly vaultKeyArns: readonly string[];
  /** The vault bucket's name (and the trail bucket's, when Cordon owns the trail). */
  readonly bucketNames: readonly string[];
  /** ARNs of Cordon's state machines (the session revoker: its definition fixes the deny it writes). */
  readonly stateMachineArns: readonly string[];
}

export interface TamperRule {
  readonly description: string;
  readonly pattern: Record<string, unknown>;
}

const apiCall = (source: string | string[], detail: Record<string, unknown>): Record<string, unknown> => ({
  source: Array.isArray(source) ? source : [source],
  'detail-type': [CLOUDTRAIL_API_CALL],
  detail,
});

const prefixes = (...names: string[]) => names.map((prefix) => ({ prefix }));

/** The rules by id (the id becomes the construct id, so keep them stable). */
export const tamperRules = (t: TamperTargets): Record<string, TamperRule> => ({
  KillSwitch: {
    description: 'Cordon tamper: the kill-switch parameter was changed or deleted',
    pattern: apiCall('aws.ssm', {
      eventName: ['PutParameter', 'DeleteParameter', 'LabelParameterVersion', 'UnlabelParameterVersion'],
      requestParameters: { name: [t.modeParameterName] },
    }),
  },
  KillSwitchBatchDelete: {
    description: 'Cordon tamper: the kill-switch parameter was deleted in a batch',
    pattern: apiCall('aws.ssm', { eventName: ['DeleteParameters'], requestParameters: { names: [t.modeParameterName] } }),
  },
  Functions: {
    description: 'Cordon tamper: the code, configuration, concurrency, permissions or existence of a Cordon function changed',
    pattern: apiCall('aws.lambda', {
      // CloudTrail names Lambda calls with their API version, e.g. UpdateFunctionCode20150331v2.
      eventName: prefixes(
        'UpdateFunctionCode',
        'UpdateFunctionConfiguration',
        'PutFunctionConcurrency',
        'DeleteFunction',
        'AddPermission',
        'RemovePermission',
        'CreateFunctionUrlConfig',
        'UpdateFunctionUrlConfig',
        'PutFunctionEventInvokeConfig',
        'UpdateFunctionEventInvokeConfig',
        'UpdateAlias',
        'PutRuntimeManagementConfig',
      ),
      requestParameters: { functionName: [...t.functions] },
    }),
  },
  Rules: {
    description: 'Cordon tamper: a Cordon EventBridge rule was disabled, deleted or retargeted',
    pattern: apiCall('aws.events', {
      eventName: ['DisableRule', 'DeleteRule', 'PutRule', 'RemoveTargets', 'PutTargets'],
      requestParameters: { name: prefixes(t.rulePrefix) },
    }),
  },
  Roles: {
    description: 'Cordon tamper: a Cordon role, its trust or its policies changed',
    pattern: apiCall('aws.iam', {
      eventName: [
        'PutRolePolicy',
        'DeleteRolePolicy',
        'AttachRolePolicy',
        'DetachRolePolicy',
        'UpdateAssumeRolePolicy',
        'PutRolePermissionsBoundary',
        'DeleteRolePermissionsBoundary',
        'UpdateRole',
        'DeleteRole',
      ],
      requestParameters: { roleName: [...t.roleNames] },
    }),
  },
  Policies: {
    description: 'Cordon tamper: a new version of a Cordon managed policy was created or made default',
    pattern: apiCall('aws.iam', {
      eventName: ['CreatePolicyVersion', 'SetDefaultPolicyVersion', 'DeletePolicy'],
      requestParameters: { policyArn: [...t.policyArns] },
    }),
  },
  WriterPath: {
    description: 'Cordon tamper: a role was created under /cordon/ (evidence writers may sign and write the vault)',
    pattern: apiCall('aws.iam', { eventName: ['CreateRole'], requestParameters: { path: prefixes(CORDON_PATH) } }),
  },
  VaultKeys: {
    description: 'Cordon tamper: a vault key was disabled, scheduled for deletion, re-policied or granted',
    pattern: apiCall('aws.kms', {
      eventName: ['DisableKey', 'ScheduleKeyDeletion', 'PutKeyPolicy', 'CreateGrant', 'DisableKeyRotation', 'CancelKeyDeletion'],
      resources: { ARN: [...t.vaultKeyArns] },
    }),
  },
  VaultBucket: {
    description: 'Cordon tamper: the vault bucket policy, lock, versioning or lifecycle changed',
    pattern: apiCall('aws.s3', {
      eventName: [
        'PutBucketPolicy',
        'DeleteBucketPolicy',
        'PutBucketObjectLockConfiguration',
        'PutBucketVersioning',
        'PutBucketLifecycle',
        'DeleteBucketLifecycle',
        'PutBucketPublicAccessBlock',
        'DeleteBucketPublicAccessBlock',
        'PutBucketOwnershipControls',
      ],
      requestParameters: { bucketName: [...t.bucketNames] },
    }),
  },
  StateMachines: {
    // The session revoker's definition is what keeps its role from writing any other policy; an
    // administrator of the account can still change it (no resource policy exists for Step
    // Functions; only an SCP denies it), so every change is an alarm.
    description: 'Cordon tamper: a Cordon state machine (the session revoker) was changed or deleted',
    pattern: apiCall('aws.states', {
      eventName: ['UpdateStateMachine', 'DeleteStateMachine', 'PublishStateMachineVersion', 'CreateStateMachineAlias', 'UpdateStateMachineAlias'],
      requestParameters: { stateMachineArn: [...t.stateMachineArns] },
    }),
  },
  Trail: {
    description: 'Cordon tamper: a trail was stopped, deleted or changed',
    pattern: apiCall('aws.cloudtrail', {
      eventName: ['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors', 'PutInsightSelectors'],
    }),
  },
  Detectors: {
    description: 'Cordon tamper: GuardDuty or Security Hub was deleted, disabled or told to hide findings',
    pattern: apiCall(['aws.guardduty', 'aws.securityhub'], {
      eventName: [
        'DeleteDetector',
        'UpdateDetector',
        'DisassociateFromAdministratorAccount',
        'DisassociateFromMasterAccount',
        'DeletePublishingDestination',
        'CreateFilter',
        'UpdateFilter',
        'DisableSecurityHub',
        'BatchDisableStandards',
        'DisableImportFindingsForProduct',
        'UpdateSecurityHubConfiguration',
        'DeleteActionTarget',
      ],
    }),
  },
});

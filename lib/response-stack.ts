import { Duration, Fn, Stack, StackProps, Tags } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { anchorNames } from './anchor-names';
import type { CordonConfig } from './config';
import { Alarms } from './constructs/alarms';
import { GuardrailsTable } from './constructs/guardrails-table';
import { Notifications } from './constructs/notifications';
import { ResponderFunction } from './constructs/responder-function';
import { TamperAlarms } from './constructs/tamper';
import { FindingRouting } from './constructs/routing';
import { MANUAL_URL_OUTPUTS, ManualRequestUrl } from './constructs/manual-url';
import type { EvidenceStack } from './evidence-stack';
import { allowCloudWatchLogs } from './constructs/shared';
import { acknowledge, acknowledgeGrants, nagResource } from './nag';
import { addRunbookOutputs } from './outputs';
import { credentialPolicy, SESSION_WRITER_REASONS, sessionWriterStatements } from './credential-policy';
import { isolationPolicy } from './isolation-policy';
import { SessionRevoker } from './constructs/session-revoker';
import { CHECKPOINT_WRITER_ROLE_NAME, COMPONENT_TAG, MODE_PARAMETER_NAME, SESSION_WRITER_ROLE_NAME } from '../lambdas/shared/names';

export interface ResponseStackProps extends StackProps {
  readonly config: CordonConfig;
  readonly evidence: EvidenceStack;
}

/** The kill switch's parameter name: runbooks and the CLI name it, so it is fixed. */

/**
 * The stateless half: responder functions, their schedules and rules, the kill switch. Safe to
 * destroy and redeploy; everything it proves lives in the evidence stack.
 */
export class ResponseStack extends Stack {
  /** Encrypts the functions' log groups and dead-letter queues. */
  readonly key: kms.IKey;
  readonly modeParameter: ssm.IStringParameter;
  readonly checkpoint: ResponderFunction;
  readonly eventDlq: sqs.IQueue;
  readonly isolateInstance: ResponderFunction;
  readonly revokeCredentials: ResponderFunction;
  /** The only writer of session-deny policies (started by revokeCredentials). */
  readonly sessionRevoker: SessionRevoker;
  /** Breaker windows and idempotency records of the responders. */
  readonly guardrailsTable: GuardrailsTable;
  /** One message per incident decision, and every alarm. */
  readonly notifications: Notifications;
  readonly alarms: Alarms;
  /** Alarms and evidence on changes to Cordon itself. */
  readonly tamper: TamperAlarms;

  constructor(scope: Construct, id: string, props: ResponseStackProps) {
    super(scope, id, props);
    const { config, evidence } = props;

    const key = new kms.Key(this, 'ResponseKey', {
      alias: 'alias/cordon/response',
      description: 'Cordon: encrypts responder logs, dead-letter queues and notifications',
      enableKeyRotation: true,
    });
    allowCloudWatchLogs(key);
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEventBridgeDeadLetters',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    this.key = key;

    /** Events EventBridge could not deliver to a function after its retries. */
    this.eventDlq = new sqs.Queue(this, 'EventDlq', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.eventDlq, [
      ['AwsSolutions-SQS3', 'this queue is itself the dead-letter queue of the EventBridge targets'],
      ['Serverless-SQSRedrivePolicy', 'this queue is itself the dead-letter queue of the EventBridge targets'],
    ]);

    this.modeParameter = new ssm.StringParameter(this, 'ModeParameter', {
      parameterName: MODE_PARAMETER_NAME,
      description: 'Cordon kill switch: enforce | dry-run | off. Anything else stops every responder (fail closed).',
      stringValue: config.mode,
      allowedPattern: '^(enforce|dry-run|off)$',
    });

    const evidenceEnv = {
      EVIDENCE_BUCKET: evidence.bucket.bucketName,
      SIGNING_KEY_ID: evidence.signingKey.keyArn,
      HEADS_TABLE: evidence.chainHeads.tableName,
      RETENTION_DAYS: String(config.evidenceRetentionDays),
    };

    const anchor = anchorNames(config);
    this.checkpoint = new ResponderFunction(this, 'Checkpoint', {
      handler: 'checkpoint',
      description: 'Cordon: signed checkpoint over the evidence chain heads, every 5 minutes',
      key,
      environment: {
        ...evidenceEnv,
        ...(anchor
          ? {
              ANCHOR_BUCKET: anchor.bucketName,
              ANCHOR_REGION: anchor.region ?? this.region,
              ANCHOR_ACCOUNT: anchor.account,
              ANCHOR_RETENTION_DAYS: String(anchor.retentionDays),
            }
          : {}),
      },
      timeout: Duration.minutes(1),
      reservedConcurrentExecutions: 1,
      // The anchor bucket's policy (another account) names this role.
      ...(anchor ? { roleName: CHECKPOINT_WRITER_ROLE_NAME } : {}),
    });
    evidence.grantCheckpoint(this.checkpoint);
    if (anchor) this.grantAnchor(anchor.bucketName, evidence);
    new events.Rule(this, 'CheckpointSchedule', {
      description: 'Cordon: write an evidence checkpoint every 5 minutes, empty intervals included',
      schedule: events.Schedule.rate(Duration.minutes(5)),
      targets: [new targets.LambdaFunction(this.checkpoint, { retryAttempts: 2, maxEventAge: Duration.minutes(10), deadLetterQueue: this.eventDlq })],
    });
    acknowledgeGrants(this.checkpoint.role!, [
      {
        resource: `${evidence.bucketArnExportName}/checkpoints/*`,
        actions: ['s3:PutObject', 's3:PutObjectRetention', 's3:GetObject'],
        reason: 'checkpoint objects are named by sequence number under this prefix only',
      },
      { resource: `${evidence.bucketArnExportName}/keys/*`, actions: ['s3:PutObject', 's3:PutObjectRetention'], reason: 'public keys are named by their fingerprint under this prefix only' },
    ]);

    this.guardrailsTable = new GuardrailsTable(this, 'GuardrailsTable', { key });
    this.notifications = new Notifications(this, 'Notifications', {
      key,
      emails: config.notifications.emails,
      ...(config.notifications.slack ? { slack: config.notifications.slack } : {}),
      securityHubRegions: config.securityHub.enabled ? [this.region, ...config.regions] : [],
    });

    const responderEnv = {
      GUARDRAILS_TABLE: this.guardrailsTable.tableName,
      BREAKER_MAX_CONTAINMENTS: String(config.breaker.maxContainments),
      BREAKER_WINDOW_MINUTES: String(config.breaker.windowMinutes),
      NOTIFY_TOPIC_ARN: this.notifications.topic.topicArn,
      SECURITY_HUB_WRITEBACK: String(config.securityHub.enabled),
      SECURITY_HUB_RESOLVE_CONTAINED: String(config.notifications.resolveContainedFindings),
      ...evidenceEnv,
      MODE_PARAMETER: this.modeParameter.parameterName,
      PROTECTED_TAG: `${config.protectedTag.key}=${config.protectedTag.value}`,
    };

    this.isolateInstance = new ResponderFunction(this, 'IsolateInstance', {
      handler: 'isolate-instance',
      description: 'Cordon: isolate a compromised EC2 instance (and release it), evidenced step by step',
      key,
      environment: {
        ...responderEnv,
        ...(this.actsInMembers(config) ? { MEMBER_ROLE_NAME: config.memberRoleNames.isolation } : {}),
        MINIMUM_SEVERITY: String(config.minimumSeverity),
        ...(config.isolation.quarantineProfileArn ? { QUARANTINE_PROFILE_ARN: config.isolation.quarantineProfileArn } : {}),
      },
      timeout: Duration.minutes(5),
    });
    this.revokeCredentials = new ResponderFunction(this, 'RevokeCredentials', {
      handler: 'revoke-credentials',
      description: 'Cordon: revoke leaked keys and stolen sessions (and restore them), evidenced step by step',
      key,
      environment: {
        ...responderEnv,
        ...(this.actsInMembers(config) ? { MEMBER_ROLE_NAME: config.memberRoleNames.credentials } : {}),
        ALLOWLIST: config.allowlistedPrincipals.join(','),
        QUARANTINE_USER: String(config.credentials.quarantineUser),
        MINIMUM_SEVERITY: String(config.minimumSeverity),
      },
      timeout: Duration.minutes(2),
    });
    // Cordon's own roles, by exact ARN: the session writer is denied them, the function escalates them.
    const ownRoles = () => [this.checkpoint, this.isolateInstance, this.revokeCredentials].map((fn) => fn.role!.roleArn);
    this.sessionRevoker = new SessionRevoker(this, 'SessionRevoker', {
      statements: (role) => sessionWriterStatements(this, config, [...ownRoles(), role.roleArn]),
      wildcardReasons: SESSION_WRITER_REASONS,
      key,
      memberAccounts: config.memberAccounts,
      ...(config.organizationId ? { organizationId: config.organizationId } : {}),
      actsInOrganization: config.memberOrganizationalUnits.length > 0,
    });
    this.sessionRevoker.grantStartSync(this.revokeCredentials);
    this.revokeCredentials.addEnvironment('SESSION_REVOKER_ARN', this.sessionRevoker.stateMachine.stateMachineArn);
    this.revokeCredentials.addEnvironment('OWN_PRINCIPAL_ARNS', Fn.join(',', [...ownRoles(), this.sessionRevoker.role.roleArn]));
    this.revokeCredentials.addEnvironment(
      'OWN_MEMBER_ROLE_NAMES',
      this.actsInMembers(config) ? [config.memberRoleNames.isolation, config.memberRoleNames.credentials, SESSION_WRITER_ROLE_NAME].join(',') : '',
    );
    const responders = [
      [this.isolateInstance, config.memberRoleNames.isolation],
      [this.revokeCredentials, config.memberRoleNames.credentials],
    ] as const;
    for (const [fn, memberRoleName] of responders) {
      this.guardrailsTable.grantGuardrails(fn);
      this.notifications.grantNotify(fn);
      evidence.grantAppend(fn);
      evidence.grantReadRecords(fn);
      this.modeParameter.grantRead(fn);
      this.grantAssumeMemberRole(fn, config, memberRoleName);
      acknowledgeGrants(fn.role!, [
        {
          resource: `${evidence.bucketArnExportName}/records/*`,
          actions: ['s3:PutObject', 's3:PutObjectRetention', 's3:GetObject'],
          reason: 'records are keyed records/{incidentId}/{seq}.json: one object per record under this prefix',
        },
      ]);
    }
    evidence.grantPutArtifacts(this.isolateInstance);
    acknowledgeGrants(this.isolateInstance.role!, [
      {
        resource: `${evidence.bucketArnExportName}/artifacts/*`,
        actions: ['s3:PutObject', 's3:PutObjectRetention'],
        reason: 'console captures are keyed artifacts/{incidentId}/{name}-{sha256}: write-once objects under this prefix only',
      },
    ]);
    // Isolation asks the credential responder to revoke the instance role's sessions on that instance.
    this.isolateInstance.addEnvironment('CREDENTIALS_FUNCTION_NAME', this.revokeCredentials.functionName);
    // The unqualified function only (grantInvoke would add every version and alias, `:*`).
    this.isolateInstance.addToRolePolicy(
      new iam.PolicyStatement({ sid: 'AskCredentialResponder', actions: ['lambda:InvokeFunction'], resources: [this.revokeCredentials.functionArn] }),
    );
    isolationPolicy(this, config).attachToRole(this.isolateInstance.role!);
    credentialPolicy(this, config).attachToRole(this.revokeCredentials.role!);
    new FindingRouting(this, 'Routing', { config, isolateInstance: this.isolateInstance, revokeCredentials: this.revokeCredentials, deadLetterQueue: this.eventDlq });
    // Manual requests through IAM-authenticated function URLs: the caller AWS authenticated is evidenced.
    const callers = config.manual.callerPrincipalArns;
    new ManualRequestUrl(this, 'IsolateInstanceManual', { fn: this.isolateInstance, callers, outputName: MANUAL_URL_OUTPUTS.isolation });
    new ManualRequestUrl(this, 'RevokeCredentialsManual', { fn: this.revokeCredentials, callers, outputName: MANUAL_URL_OUTPUTS.credentials });

    // After every function, role, policy and rule: it watches them (the alarms below create none).
    this.tamper = new TamperAlarms(this, 'Tamper', {
      key,
      topic: this.notifications.topic,
      modeParameter: this.modeParameter,
      modeParameterName: MODE_PARAMETER_NAME,
      evidence,
      deadLetterQueue: this.eventDlq,
    });

    this.alarms = new Alarms(this, 'Alarms', {
      topic: this.notifications.topic,
      functions: { Checkpoint: this.checkpoint, IsolateInstance: this.isolateInstance, RevokeCredentials: this.revokeCredentials, Tamper: this.tamper.handler },
      deadLetterQueues: {
        EventDlq: this.eventDlq,
        CheckpointDlq: this.checkpoint.dlq,
        IsolateInstanceDlq: this.isolateInstance.dlq,
        RevokeCredentialsDlq: this.revokeCredentials.dlq,
        TamperDlq: this.tamper.handler.dlq,
      },
      responders: [this.isolateInstance, this.revokeCredentials],
      ...(anchor ? { anchorWriter: this.checkpoint } : {}),
      eventDlq: this.eventDlq,
      modeNotEnforcedHours: config.alarms.modeNotEnforcedHours,
    });

    addRunbookOutputs(this, 'response', {
      isolateFunction: { value: this.isolateInstance.functionName, description: 'Cordon: the isolation responder (CORDON_ISOLATE_FUNCTION)' },
      isolateLogGroup: { value: this.isolateInstance.logGroup.logGroupName, description: 'Cordon: log group of the isolation responder' },
      revokeFunction: { value: this.revokeCredentials.functionName, description: 'Cordon: the credential responder (CORDON_REVOKE_FUNCTION)' },
      revokeLogGroup: { value: this.revokeCredentials.logGroup.logGroupName, description: 'Cordon: log group of the credential responder' },
      checkpointFunction: { value: this.checkpoint.functionName, description: 'Cordon: the checkpoint function (every 5 minutes)' },
      checkpointLogGroup: { value: this.checkpoint.logGroup.logGroupName, description: 'Cordon: log group of the checkpoint function' },
      modeParameter: { value: this.modeParameter.parameterName, description: `Cordon: the kill switch, read in this stack's region only` },
    });

    Tags.of(this).add(COMPONENT_TAG, 'response');
  }

  /** Whether responders may act outside this account (and so assume member roles). */
  /**
   * The checkpoint function copies each checkpoint to the anchor bucket of the log-archive
   * account (lib/anchor-stack.ts, whose bucket policy admits this role by name) and evidences each
   * copy in the day's `anchor-YYYY-MM-DD` chain.
   */
  private grantAnchor(bucketName: string, evidence: EvidenceStack): void {
    const copies = `arn:${this.partition}:s3:::${bucketName}/checkpoints/*`;
    this.checkpoint.addToRolePolicy(new iam.PolicyStatement({ sid: 'AnchorCopies', actions: ['s3:PutObject', 's3:PutObjectRetention'], resources: [copies] }));
    evidence.grantRecordsOf(this.checkpoint, 'anchor-*');
    acknowledgeGrants(this.checkpoint.role!, [
      {
        resource: nagResource(this, copies),
        actions: ['s3:PutObject', 's3:PutObjectRetention'],
        reason: 'checkpoint copies are named by sequence number under this prefix of the anchor bucket only (its bucket policy admits only If-None-Match writes with COMPLIANCE retention)',
      },
      {
        resource: `${evidence.bucketArnExportName}/records/anchor-*`,
        actions: ['s3:PutObject', 's3:PutObjectRetention', 's3:GetObject'],
        reason: 'the evidence of each anchor copy goes to the day\'s records/anchor-YYYY-MM-DD chain only',
      },
    ]);
  }

  private actsInMembers(config: CordonConfig): boolean {
    return config.memberAccounts.length > 0 || config.memberOrganizationalUnits.length > 0;
  }

  /**
   * sts:AssumeRole (+ TagSession: sessions carry the incident id) on this responder's own member
   * role only: by account when accounts are listed, by organization when OUs are.
   */
  private grantAssumeMemberRole(fn: ResponderFunction, config: CordonConfig, memberRoleName: string): void {
    if (!this.actsInMembers(config)) return;
    const byOrg = config.memberOrganizationalUnits.length > 0 && config.organizationId !== undefined;
    const roleIn = (account: string) => `arn:${this.partition}:iam::${account}:role/${memberRoleName}`;
    if (config.memberAccounts.length > 0) {
      // Listed accounts by exact ARN: they may sit outside the organization.
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'AssumeListedMemberResponder',
          actions: ['sts:AssumeRole', 'sts:TagSession'],
          resources: config.memberAccounts.map(roleIn),
        }),
      );
    }
    if (byOrg) {
      // Accounts join the member OUs over time: any account, but only inside the organization.
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'AssumeOrganizationMemberResponder',
          actions: ['sts:AssumeRole', 'sts:TagSession'],
          resources: [roleIn('*')],
          conditions: { StringEquals: { 'aws:ResourceOrgID': config.organizationId } },
        }),
      );
    }
    if (byOrg) {
      acknowledgeGrants(fn.role!, [
        {
          resource: nagResource(this, roleIn('*')),
          actions: ['sts:AssumeRole', 'sts:TagSession'],
          reason: 'this responder’s member role in any account of the organization (aws:ResourceOrgID), accounts join the member OUs over time; one role name only',
        },
      ]);
    }
  }
}

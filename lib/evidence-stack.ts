import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, StackProps, Tags } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { CordonConfig } from './config';
import type { EvidenceVault } from './constructs/evidence-vault';
import { accessLogBucket } from './constructs/shared';
import { acknowledge, acknowledgeGrants, arnToken } from './nag';
import { addRunbookOutputs } from './outputs';
import { protectKeyState, protectVaultPolicy, signingKeyPolicy, vaultWriteRules } from './vault-policies';
import { COMPONENT_TAG, EVIDENCE_WRITER_PATH, SIGNING_KEY_ALIAS } from '../lambdas/shared/names';

/** What the auditor may do with each evidence object: read it, its versions, retention and legal hold. */
const AUDITOR_READS = [
  's3:GetObject',
  's3:GetObjectVersion',
  's3:GetObjectAttributes',
  's3:GetObjectVersionAttributes',
  's3:GetObjectRetention',
  's3:GetObjectLegalHold',
];

export interface EvidenceStackProps extends StackProps {
  readonly config: CordonConfig;
}

/**
 * The stateful half of Cordon: the WORM evidence bucket, its keys and the chain-head table.
 * Deployed with termination protection; every resource is retained when removed.
 */
export class EvidenceStack extends Stack implements EvidenceVault {
  // The vault's parts, as EvidenceVault (lib/constructs/evidence-vault.ts) documents them.
  readonly bucket: s3.IBucket;
  readonly dataKey: kms.IKey;
  readonly signingKey: kms.IKey;
  readonly chainHeads: dynamodb.ITable;
  readonly auditorRole: iam.IRole;
  readonly retention: Duration;
  readonly bucketArnExportName: string;
  /** Where the evidence bucket's access logs go (an Object Lock bucket cannot be a log target). */
  readonly accessLogBucket: s3.IBucket;

  constructor(scope: Construct, id: string, props: EvidenceStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.retention = Duration.days(config.evidenceRetentionDays);

    const writerArnPattern = `arn:${this.partition}:iam::${this.account}:role${EVIDENCE_WRITER_PATH}*`;
    const keyKeepers = [`arn:${this.partition}:iam::${this.account}:root`, ...(config.vault.breakGlassPrincipalArn ? [config.vault.breakGlassPrincipalArn] : [])];

    const dataKey = new kms.Key(this, 'DataKey', {
      alias: 'alias/cordon/evidence-data',
      description: 'Cordon: encrypts the evidence vault and its chain-head table',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.dataKey = dataKey;

    const signingKey = new kms.Key(this, 'SigningKey', {
      alias: SIGNING_KEY_ALIAS,
      description: 'Cordon: signs evidence records and checkpoints (ECDSA P-256)',
      keySpec: kms.KeySpec.ECC_NIST_P256,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      removalPolicy: RemovalPolicy.RETAIN,
      policy: signingKeyPolicy(writerArnPattern),
    });
    this.signingKey = signingKey;
    for (const key of [dataKey, signingKey]) protectKeyState(key, keyKeepers);

    const accessLogs = accessLogBucket(this, 'AccessLogBucket', 'the evidence bucket', config.evidenceRetentionDays);
    this.accessLogBucket = accessLogs;

    const bucket = new s3.Bucket(this, 'EvidenceBucket', {
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(this.retention),
      versioned: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: dataKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'evidence-bucket/',
    });
    acknowledge(bucket, [
      [
        'NIST.800.53.R5-S3BucketReplicationEnabled',
        'Object Lock COMPLIANCE makes every version immutable for the retention period; cross-region replication is an operator choice documented in the README',
      ],
    ]);
    this.bucket = bucket;
    this.bucketArnExportName = `${this.stackName}-EvidenceBucketArn`;
    new CfnOutput(this, 'EvidenceBucketArn', { value: bucket.bucketArn, exportName: this.bucketArnExportName });

    const auditorPrincipals = config.auditorPrincipals.length
      ? config.auditorPrincipals.map((arn) => new iam.ArnPrincipal(arn))
      : [new iam.AccountRootPrincipal()];
    const auditorRole = new iam.Role(this, 'AuditorRole', {
      description: 'Cordon: read-only access to the evidence vault for auditors',
      assumedBy: new iam.CompositePrincipal(...auditorPrincipals),
      maxSessionDuration: Duration.hours(4),
    });
    const auditorPolicy = new iam.ManagedPolicy(this, 'AuditorPolicy', {
      description: 'Cordon: read the evidence vault, its retention and the signing public key',
      roles: [auditorRole],
      statements: [
        new iam.PolicyStatement({
          sid: 'ListEvidence',
          actions: ['s3:ListBucket', 's3:ListBucketVersions', 's3:GetBucketObjectLockConfiguration', 's3:GetBucketVersioning'],
          resources: [bucket.bucketArn],
        }),
        new iam.PolicyStatement({
          sid: 'ReadEvidence',
          actions: AUDITOR_READS,
          resources: [bucket.arnForObjects('*')],
        }),
        new iam.PolicyStatement({
          sid: 'DecryptEvidence',
          actions: ['kms:Decrypt'],
          resources: [dataKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${this.region}.amazonaws.com` } },
        }),
        new iam.PolicyStatement({
          sid: 'VerifySignatures',
          actions: ['kms:GetPublicKey', 'kms:Verify', 'kms:DescribeKey'],
          resources: [signingKey.keyArn],
        }),
      ],
    });
    acknowledgeGrants(auditorPolicy, [
      {
        resource: `${arnToken(bucket)}/*`,
        actions: AUDITOR_READS,
        reason: 'an auditor reads every record, checkpoint and key in the evidence bucket, read-only; the bucket holds nothing else',
      },
    ]);
    this.auditorRole = auditorRole;
    addRunbookOutputs(this, 'evidence', {
      bucket: { value: bucket.bucketName, description: 'Cordon: the evidence vault (records/, checkpoints/, artifacts/, keys/)' },
      signingKey: { value: signingKey.keyArn, description: 'Cordon: the key that signs every record and checkpoint (kms get-public-key)' },
      signingKeyAlias: { value: SIGNING_KEY_ALIAS, description: 'Cordon: alias of the signing key' },
      dataKey: { value: dataKey.keyArn, description: 'Cordon: encrypts the vault and the chain-head table' },
      auditorRole: { value: auditorRole.roleArn, description: 'Cordon: read-only auditor role (sts assume-role)' },
    });

    for (const statement of vaultWriteRules(bucket, writerArnPattern, config.evidenceRetentionDays)) bucket.addToResourcePolicy(statement);
    bucket.addToResourcePolicy(protectVaultPolicy(bucket, keyKeepers));
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyEvidenceDeletion',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:BypassGovernanceRetention'],
        resources: [bucket.arnForObjects('*')],
      }),
    );
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyRetentionChangesButWritersAndAuditor',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObjectRetention', 's3:PutObjectLegalHold'],
        resources: [bucket.arnForObjects('*')],
        conditions: {
          ArnNotLike: { 'aws:PrincipalArn': [writerArnPattern, auditorRole.roleArn] },
        },
      }),
    );
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyLifecycleExpiry',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutLifecycleConfiguration'],
        resources: [bucket.bucketArn],
      }),
    );

    const chainHeads = new dynamodb.Table(this, 'ChainHeads', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: dataKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(chainHeads, [
      [
        'NIST.800.53.R5-DynamoDBInBackupPlan',
        'point-in-time recovery covers the last 35 days; the heads are re-derivable from the WORM records themselves',
      ],
    ]);
    this.chainHeads = chainHeads;

    Tags.of(this).add(COMPONENT_TAG, 'evidence');
  }

  /**
   * What a function that appends records needs, and nothing more: sign with the signing key only,
   * put (with its own retention) under `records/` only, update chain heads only. Identity policy
   * statements, so no resource policy here refers back to another stack.
   */
  grantAppend(grantee: iam.IGrantable): void {
    this.grantStatements(grantee, [
      // GetPublicKey: the signature block names the key's fingerprint, read once per container.
      { actions: ['kms:Sign', 'kms:GetPublicKey'], resources: [this.signingKey.keyArn] },
      { actions: ['s3:PutObject', 's3:PutObjectRetention'], resources: [this.objectsArn(grantee, 'records/*')] },
      // GetObject (also what HeadObject needs): the previous record exists; a taken key holds this record.
      { actions: ['s3:GetObject'], resources: [this.objectsArn(grantee, 'records/*')] },
      // UpdateItem allocates seq conditionally; GetItem re-reads the head after a lost race.
      { actions: ['dynamodb:UpdateItem', 'dynamodb:GetItem'], resources: [this.chainHeads.tableArn] },
      ...this.dataKeyUse(),
    ]);
  }

  /**
   * Volatile evidence captured by a responder (console output, screenshots): write-once objects
   * under `artifacts/` with their own retention, named by their SHA-256, which the signed step
   * record carries. Used with `grantAppend` (which grants the data key).
   */
  grantPutArtifacts(grantee: iam.IGrantable): void {
    this.grantStatements(grantee, [{ actions: ['s3:PutObject', 's3:PutObjectRetention'], resources: [this.objectsArn(grantee, 'artifacts/*')] }]);
  }

  /** Reading an incident's records back (release / restore undo an action from its evidence). */
  grantReadRecords(grantee: iam.IGrantable): void {
    this.grantStatements(grantee, [
      { actions: ['s3:GetObject'], resources: [this.objectsArn(grantee, 'records/*')] },
      { actions: ['s3:ListBucket'], resources: [this.bucketArnFor(grantee)], conditions: { StringLike: { 's3:prefix': ['records/*'] } } },
      ...this.dataKeyUse(),
    ]);
  }

  /**
   * Records of the chains matching `incidentPattern` only (e.g. `anchor-*`: the checkpoint
   * function's evidence of its anchor copies). Used with `grantCheckpoint` (key, heads, data key).
   */
  grantRecordsOf(grantee: iam.IGrantable, incidentPattern: string): void {
    this.grantStatements(grantee, [
      { actions: ['s3:PutObject', 's3:PutObjectRetention', 's3:GetObject'], resources: [this.objectsArn(grantee, `records/${incidentPattern}`)] },
    ]);
  }

  /** The checkpoint writer: reads changed heads, signs, writes `checkpoints/` and `keys/`. */
  grantCheckpoint(grantee: iam.IGrantable): void {
    this.grantStatements(grantee, [
      { actions: ['kms:Sign', 'kms:GetPublicKey'], resources: [this.signingKey.keyArn] },
      {
        actions: ['s3:PutObject', 's3:PutObjectRetention'],
        resources: [this.objectsArn(grantee, 'checkpoints/*'), this.objectsArn(grantee, 'keys/*')],
      },
      { actions: ['s3:GetObject'], resources: [this.objectsArn(grantee, 'checkpoints/*')] },
      {
        actions: ['s3:ListBucket'],
        resources: [this.bucketArnFor(grantee)],
        conditions: { StringLike: { 's3:prefix': ['checkpoints/*'] } },
      },
      { actions: ['dynamodb:Scan', 'dynamodb:GetItem', 'dynamodb:UpdateItem'], resources: [this.chainHeads.tableArn] },
      ...this.dataKeyUse(),
    ]);
  }

  /** The bucket ARN as the grantee's stack must spell it: direct here, by named import elsewhere. */
  private bucketArnFor(grantee: iam.IGrantable): string {
    const local = Construct.isConstruct(grantee) && Stack.of(grantee) === this;
    return local ? this.bucket.bucketArn : Fn.importValue(this.bucketArnExportName);
  }

  private objectsArn(grantee: iam.IGrantable, pattern: string): string {
    return `${this.bucketArnFor(grantee)}/${pattern}`;
  }

  /** SSE-KMS objects and the CMK-encrypted table need the data key, via those services only. */
  private dataKeyUse(): iam.PolicyStatementProps[] {
    return [
      {
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.dataKey.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': [`s3.${this.region}.amazonaws.com`, `dynamodb.${this.region}.amazonaws.com`] },
        },
      },
    ];
  }

  private grantStatements(grantee: iam.IGrantable, statements: iam.PolicyStatementProps[]): void {
    for (const props of statements) {
      grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement(props));
    }
  }
}

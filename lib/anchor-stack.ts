import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { checkpointWriterArn, type AnchorNames } from './anchor-names';
import { accessLogBucket } from './constructs/shared';
import { acknowledge } from './nag';
import { vaultWriteRules } from './vault-policies';
import { COMPONENT_TAG } from '../lambdas/shared/names';

export interface AnchorStackProps extends StackProps {
  readonly anchor: AnchorNames;
  /** The organization the writer must belong to (aws:PrincipalOrgID). */
  readonly organizationId: string;
}

/**
 * `CordonAnchor`, deployed into the organization's log-archive account (`cdk deploy CordonAnchor`
 * with that account's credentials): an Object Lock COMPLIANCE bucket that receives a copy of
 * every evidence checkpoint from the security account's checkpoint writer. An administrator of
 * the security account can then delete nothing unseen: `cordon verify --anchor s3://<bucket>`
 * reports a deleted tail as TRUNCATED_TAIL.
 *
 * Bucket policy (Deny statements, so no identity policy of either account relaxes them):
 * - only the checkpoint writer role of the security account, from the organization, puts objects,
 *   and only with If-None-Match, COMPLIANCE and the full retention (vault-policies.ts);
 * - nobody deletes an object or version, bypasses retention, changes retention or legal hold
 *   (the writer sets the full retention with each put), or sets a lifecycle (expiry).
 * COMPLIANCE itself keeps every version for the retention period, from this account's root too;
 * versioning cannot be suspended on an Object Lock bucket, and a shorter default retention would
 * not apply to the writer's puts, which carry their own.
 * Encrypted with SSE-S3, so the writer in another account needs no key grant.
 */
export class AnchorStack extends Stack {
  readonly bucket: s3.IBucket;

  constructor(scope: Construct, id: string, props: AnchorStackProps) {
    super(scope, id, props);
    const { anchor, organizationId } = props;
    const writer = checkpointWriterArn(this.partition, anchor.securityAccount);

    const accessLogs = accessLogBucket(this, 'AccessLogBucket', 'the anchor bucket', anchor.retentionDays);
    const bucket = new s3.Bucket(this, 'AnchorBucket', {
      bucketName: anchor.bucketName,
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(Duration.days(anchor.retentionDays)),
      versioned: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'anchor-bucket/',
    });
    acknowledge(bucket, [
      ['NIST.800.53.R5-S3DefaultEncryptionKMS', 'SSE-S3: the writer is in another account, and a KMS key would need a cross-account key grant; the copies are public-key-signed checkpoints, not secrets'],
      ['NIST.800.53.R5-S3BucketReplicationEnabled', 'the anchor is itself the second copy of the checkpoints (the first is the evidence vault); Object Lock COMPLIANCE keeps every version'],
    ]);

    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CheckpointWriterPuts',
        principals: [new iam.AccountPrincipal(anchor.securityAccount)],
        actions: ['s3:PutObject', 's3:PutObjectRetention'],
        resources: [bucket.arnForObjects('checkpoints/*')],
        conditions: { ArnEquals: { 'aws:PrincipalArn': writer }, StringEquals: { 'aws:PrincipalOrgID': organizationId } },
      }),
    );
    for (const statement of vaultWriteRules(bucket, writer, anchor.retentionDays)) bucket.addToResourcePolicy(statement);
    const deny = (sid: string, actions: string[], resources: string[], conditions?: Record<string, Record<string, unknown>>) =>
      bucket.addToResourcePolicy(
        new iam.PolicyStatement({ sid, effect: iam.Effect.DENY, principals: [new iam.AnyPrincipal()], actions, resources, ...(conditions ? { conditions } : {}) }),
      );
    deny('PutOnlyFromTheOrganization', ['s3:PutObject'], [bucket.arnForObjects('*')], { StringNotEquals: { 'aws:PrincipalOrgID': organizationId } });
    deny('DenyAnchorDeletion', ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:BypassGovernanceRetention'], [bucket.arnForObjects('*')]);
    deny('DenyRetentionChangesButTheWriter', ['s3:PutObjectRetention', 's3:PutObjectLegalHold'], [bucket.arnForObjects('*')], {
      ArnNotEquals: { 'aws:PrincipalArn': writer },
    });
    deny('RetentionOnlyFull', ['s3:PutObjectRetention'], [bucket.arnForObjects('*')], {
      NumericLessThan: { 's3:object-lock-remaining-retention-days': String(Math.max(anchor.retentionDays - 1, 1)) },
    });
    deny('DenyLifecycleExpiry', ['s3:PutLifecycleConfiguration'], [bucket.bucketArn]);
    this.bucket = bucket;

    new CfnOutput(this, 'AnchorBucketName', {
      value: bucket.bucketName,
      description: 'cordon verify s3://<evidence bucket> --public-key <KMS public key> --anchor s3://<this bucket>',
    });
    Tags.of(this).add(COMPONENT_TAG, 'anchor');
  }
}

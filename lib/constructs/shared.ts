import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { acknowledge } from '../nag';

/**
 * A bucket that receives S3 server access logs: private, TLS-only, versioned, retained, expiring
 * after `retentionDays`. Created directly in `scope` under `id`, so its logical id is the same as a
 * plain `new s3.Bucket(scope, id)` (the stateful ids are pinned by a test).
 */
export const accessLogBucket = (scope: Construct, id: string, of: string, retentionDays: number): s3.Bucket => {
  const bucket = new s3.Bucket(scope, id, {
    // Server access log delivery supports SSE-S3 only.
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    versioned: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: RemovalPolicy.RETAIN,
    lifecycleRules: [
      { id: 'expire-access-logs', expiration: Duration.days(retentionDays), noncurrentVersionExpiration: Duration.days(30) },
    ],
  });
  acknowledge(bucket, [
    ['AwsSolutions-S1', `this is the access-log target of ${of}; logging it to itself would loop`],
    ['NIST.800.53.R5-S3BucketLoggingEnabled', `this is the access-log target of ${of}; logging it to itself would loop`],
    ['NIST.800.53.R5-S3BucketReplicationEnabled', `access logs of ${of} are a secondary record`],
    ['NIST.800.53.R5-S3DefaultEncryptionKMS', 'S3 server access log delivery supports only SSE-S3 on the target bucket'],
  ]);
  return bucket;
};

/** Lets CloudWatch Logs of this account and region use `key` for encrypted log groups. */
export const allowCloudWatchLogs = (key: kms.Key): void => {
  const stack = Stack.of(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchLogs',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*` },
      },
    }),
  );
};

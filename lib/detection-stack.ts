import { Duration, RemovalPolicy, Stack, StackProps, Tags } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as guardduty from 'aws-cdk-lib/aws-guardduty';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as securityhub from 'aws-cdk-lib/aws-securityhub';
import { Construct } from 'constructs';
import type { CordonConfig } from './config';
import { accessLogBucket, allowCloudWatchLogs } from './constructs/shared';
import { FEATURE_NAMES, RUNTIME_AGENTS, type GuardDutyFeatures as Features } from './guardduty-features';
import { acknowledge } from './nag';
import { COMPONENT_TAG } from '../lambdas/shared/names';

export interface DetectionStackProps extends StackProps {
  readonly config: CordonConfig;
}


const status = (on: boolean) => (on ? 'ENABLED' : 'DISABLED');

/**
 * Detection: the sources of the findings Cordon responds to. Each service can be switched off for
 * accounts where it is already managed elsewhere (a delegated administrator, Control Tower, ...).
 */
export class DetectionStack extends Stack {
  readonly detector?: guardduty.CfnDetector;
  readonly hub?: securityhub.CfnHub;
  readonly trail?: cloudtrail.Trail;
  readonly trailBucket?: s3.IBucket;

  constructor(scope: Construct, id: string, props: DetectionStackProps) {
    super(scope, id, props);
    const { config } = props;
    if (config.guardDuty.enabled) this.detector = this.guardDuty(config.guardDuty);
    if (config.securityHub.enabled) this.hub = this.securityHub(config.securityHub);
    if (config.cloudTrail.enabled) {
      const { trail, bucket } = this.cloudTrail(config);
      this.trail = trail;
      this.trailBucket = bucket;
    }
    Tags.of(this).add(COMPONENT_TAG, 'detection');
  }

  private guardDuty(gd: CordonConfig['guardDuty']): guardduty.CfnDetector {
    const features = (Object.keys(FEATURE_NAMES) as (keyof Features)[]).map((key) => ({
      name: FEATURE_NAMES[key],
      status: status(gd.features[key]),
      ...(key === 'runtimeMonitoring'
        ? { additionalConfiguration: RUNTIME_AGENTS.map((name) => ({ name, status: status(gd.features[key]) })) }
        : {}),
    }));
    return new guardduty.CfnDetector(this, 'Detector', {
      enable: true,
      findingPublishingFrequency: gd.publishingFrequency,
      features,
    });
  }

  private securityHub(sh: CordonConfig['securityHub']): securityhub.CfnHub {
    const hub = new securityhub.CfnHub(this, 'Hub', {
      enableDefaultStandards: false,
      autoEnableControls: true,
      controlFindingGenerator: sh.consolidatedControlFindings ? 'SECURITY_CONTROL' : 'STANDARD_CONTROL',
    });
    for (const standard of sh.standards) {
      // Standards ARNs are regional and partition-specific; CIS 1.4+ and AFSBP share this form.
      const resource = new securityhub.CfnStandard(this, `Standard${standard.replace(/[^A-Za-z0-9]/g, '')}`, {
        standardsArn: `arn:${this.partition}:securityhub:${this.region}::standards/${standard}`,
      });
      resource.node.addDependency(hub);
    }
    return hub;
  }

  private cloudTrail(config: CordonConfig): { trail: cloudtrail.Trail; bucket: s3.IBucket } {
    const ct = config.cloudTrail;
    const key = new kms.Key(this, 'TrailKey', {
      alias: 'alias/cordon/cloudtrail',
      description: 'Cordon: encrypts CloudTrail logs',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const accessLogs = accessLogBucket(this, 'TrailAccessLogBucket', 'the trail bucket', ct.logRetentionDays);

    // Object Lock on the existing bucket is an in-place update (ObjectLockEnabled is not a
    // create-only property; S3 enables it on versioned buckets): the pinned logical id stays.
    // COMPLIANCE for the logs' whole life: nobody, root included, deletes a log Cordon might need
    // to prove what happened to it; the lifecycle still expires versions once their lock ends.
    const bucket = new s3.Bucket(this, 'TrailBucket', {
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(Duration.days(ct.logRetentionDays)),
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'trail-bucket/',
      lifecycleRules: [
        {
          id: 'archive-then-expire-trail-logs',
          transitions: [
            { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(ct.transitionAfterDays) },
          ],
          expiration: Duration.days(ct.logRetentionDays),
          noncurrentVersionExpiration: Duration.days(30),
        },
      ],
    });
    acknowledge(bucket, [
      [
        'NIST.800.53.R5-S3BucketReplicationEnabled',
        'CloudTrail log file validation (signed digests) proves integrity; replication is an operator choice documented in the README',
      ],
    ]);

    const logGroup = new logs.LogGroup(this, 'TrailLogGroup', {
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    allowCloudWatchLogs(key);

    // CloudTrail encrypts each log file under a data key scoped to trails of this account.
    const trailArns = `arn:${this.partition}:cloudtrail:*:${this.account}:trail/*`;
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudTrailEncrypt',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': trailArns },
          StringEquals: {
            'aws:SourceArn': `arn:${this.partition}:cloudtrail:${this.region}:${this.account}:trail/${ct.trailName}`,
          },
        },
      }),
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudTrailDescribeKey',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['kms:DescribeKey'],
        resources: ['*'],
      }),
    );

    const organization = config.organizationId !== undefined;
    const trail = new cloudtrail.Trail(this, 'Trail', {
      trailName: ct.trailName,
      bucket,
      encryptionKey: key,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableFileValidation: true,
      sendToCloudWatchLogs: true,
      cloudWatchLogGroup: logGroup,
      managementEvents: cloudtrail.ReadWriteType.ALL,
      ...(organization ? { isOrganizationTrail: true, orgId: config.organizationId } : {}),
    });
    const logsRole = trail.node.tryFindChild('LogsRole');
    if (logsRole) {
      acknowledge(logsRole, [
        [
          'NIST.800.53.R5-IAMNoInlinePolicy',
          "CloudTrail's delivery role, generated by the Trail construct: its one inline policy allows only CreateLogStream/PutLogEvents on this trail's log group",
        ],
      ]);
    }
    return { trail, bucket };
  }
}

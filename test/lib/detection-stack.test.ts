import { Match } from 'aws-cdk-lib/assertions';
import { buildCordon, templates } from './app';

describe('detection stack', () => {
  it('enables GuardDuty with every configured feature and FIFTEEN_MINUTES publishing', () => {
    const { detection } = templates();
    detection.hasResourceProperties('AWS::GuardDuty::Detector', {
      Enable: true,
      FindingPublishingFrequency: 'FIFTEEN_MINUTES',
      Features: [
        { Name: 'S3_DATA_EVENTS', Status: 'ENABLED' },
        { Name: 'EKS_AUDIT_LOGS', Status: 'ENABLED' },
        { Name: 'EBS_MALWARE_PROTECTION', Status: 'ENABLED' },
        { Name: 'RDS_LOGIN_EVENTS', Status: 'ENABLED' },
        {
          Name: 'RUNTIME_MONITORING',
          Status: 'ENABLED',
          AdditionalConfiguration: [
            { Name: 'EKS_ADDON_MANAGEMENT', Status: 'ENABLED' },
            { Name: 'ECS_FARGATE_AGENT_MANAGEMENT', Status: 'ENABLED' },
            { Name: 'EC2_AGENT_MANAGEMENT', Status: 'ENABLED' },
          ],
        },
        { Name: 'LAMBDA_NETWORK_LOGS', Status: 'ENABLED' },
      ],
    });
  });

  it('disables the features and frequency the config names', () => {
    const { detection } = templates({ guardDuty: { publishingFrequency: 'SIX_HOURS', features: { rdsLoginEvents: false } } });
    detection.hasResourceProperties('AWS::GuardDuty::Detector', {
      FindingPublishingFrequency: 'SIX_HOURS',
      Features: Match.arrayWith([{ Name: 'RDS_LOGIN_EVENTS', Status: 'DISABLED' }]),
    });
  });

  it('enables Security Hub with consolidated control findings and the standards, ARNs built from partition and region', () => {
    const { detection } = templates();
    detection.hasResourceProperties('AWS::SecurityHub::Hub', {
      ControlFindingGenerator: 'SECURITY_CONTROL',
      EnableDefaultStandards: false,
    });
    const arns = Object.values(detection.findResources('AWS::SecurityHub::Standard')).map(
      (s) => (s as { Properties: { StandardsArn: unknown } }).Properties.StandardsArn,
    );
    const arn = (path: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':securityhub:', { Ref: 'AWS::Region' }, `::standards/${path}`]],
    });
    expect(arns).toEqual([
      arn('aws-foundational-security-best-practices/v/1.0.0'),
      arn('cis-aws-foundations-benchmark/v/3.0.0'),
    ]);
    for (const standard of Object.values(detection.findResources('AWS::SecurityHub::Standard'))) {
      expect((standard as { DependsOn: string[] }).DependsOn).toEqual(['Hub']);
    }
  });

  it('records a multi-region, validated, KMS-encrypted trail with global service events', () => {
    const { detection } = templates();
    detection.hasResourceProperties('AWS::CloudTrail::Trail', {
      TrailName: 'cordon-trail',
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: true,
      IsLogging: true,
      KMSKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TrailKey'), 'Arn'] },
      IsOrganizationTrail: Match.absent(),
    });
  });

  it('makes the trail an organization trail with an explicit name when an org id is configured', () => {
    const { detection } = templates({ organizationId: 'o-abc1234567', cloudTrail: { trailName: 'org-trail' } });
    detection.hasResourceProperties('AWS::CloudTrail::Trail', { TrailName: 'org-trail', IsOrganizationTrail: true });
    const policies = Object.values(detection.findResources('AWS::S3::BucketPolicy'));
    const statements = policies.flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument.Statement);
    expect(JSON.stringify(statements)).toContain('/AWSLogs/o-abc1234567/');
  });

  it('lets CloudTrail encrypt only for this account\'s trails', () => {
    const { detection } = templates();
    detection.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudTrailEncrypt',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: 'kms:GenerateDataKey*',
            Condition: Match.objectLike({ StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': Match.anyValue() } }),
          }),
        ]),
      },
    });
  });

  it('writes the trail to its own versioned, Object Lock (COMPLIANCE), TLS-only, private bucket with a lifecycle', () => {
    const { detection } = templates();
    const trail = Object.values(detection.findResources('AWS::CloudTrail::Trail'))[0] as { Properties: { S3BucketName: { Ref: string } } };
    const bucketId = trail.Properties.S3BucketName.Ref;
    const bucket = detection.findResources('AWS::S3::Bucket')[bucketId] as { Properties: Record<string, unknown>; DeletionPolicy: string };
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } } },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: {
        Rules: [
          expect.objectContaining({
            Status: 'Enabled',
            ExpirationInDays: 2555,
            Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }],
          }),
        ],
      },
    });
    detection.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('leaves out each service switched off for accounts that manage it elsewhere', () => {
    const noHub = templates({ securityHub: { enabled: false } }).detection;
    noHub.resourceCountIs('AWS::SecurityHub::Hub', 0);
    noHub.resourceCountIs('AWS::SecurityHub::Standard', 0);
    noHub.resourceCountIs('AWS::GuardDuty::Detector', 1);
    const noDetector = templates({ guardDuty: { enabled: false }, cloudTrail: { enabled: false } }).detection;
    noDetector.resourceCountIs('AWS::GuardDuty::Detector', 0);
    noDetector.resourceCountIs('AWS::CloudTrail::Trail', 0);
    noDetector.resourceCountIs('AWS::SecurityHub::Hub', 1);
  });

  it('has termination protection, like the evidence stack', () => {
    const { cordon } = buildCordon();
    expect(cordon.detection!.terminationProtection).toBe(true);
    expect(cordon.evidence.terminationProtection).toBe(true);
  });

  it('creates no detection stack when every service is managed elsewhere', () => {
    const { cordon } = buildCordon({ guardDuty: { enabled: false }, securityHub: { enabled: false }, cloudTrail: { enabled: false } });
    expect(cordon.detection).toBeUndefined();
  });
});

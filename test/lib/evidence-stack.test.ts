import { Match, Template } from 'aws-cdk-lib/assertions';
import { templates } from './app';

describe('evidence stack', () => {
  let evidence: Template;
  beforeAll(() => {
    ({ evidence } = templates({ evidenceRetentionDays: 3650 }));
  });

  const evidenceBucket = () => {
    const buckets = evidence.findResources('AWS::S3::Bucket', {
      Properties: { ObjectLockEnabled: true },
    });
    expect(Object.keys(buckets)).toHaveLength(1);
    const [id, bucket] = Object.entries(buckets)[0]!;
    return { id, bucket: bucket as { Properties: Record<string, unknown>; DeletionPolicy: string; UpdateReplacePolicy: string } };
  };

  const bucketPolicyStatements = (bucketId: string) => {
    const policies = evidence.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: bucketId } } });
    const [policy] = Object.values(policies) as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }[];
    return policy!.Properties.PolicyDocument.Statement;
  };

  it('locks every record with COMPLIANCE Object Lock for the configured days', () => {
    evidence.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 3650 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  it('encrypts the vault with its customer-managed, rotating key and blocks all public access', () => {
    const { bucket } = evidenceBucket();
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [expect.stringMatching(/^DataKey/), 'Arn'] } } },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    evidence.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      Description: Match.stringLikeRegexp('encrypts the evidence vault'),
    });
  });

  it('retains the bucket, keys and table when the stack or resource is removed', () => {
    const { bucket } = evidenceBucket();
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.UpdateReplacePolicy).toBe('Retain');
    for (const type of ['AWS::KMS::Key', 'AWS::DynamoDB::Table', 'AWS::S3::Bucket']) {
      for (const resource of Object.values(evidence.findResources(type))) {
        expect(resource).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      }
    }
  });

  it('logs access to a separate bucket without Object Lock', () => {
    const { bucket } = evidenceBucket();
    const target = (bucket.Properties.LoggingConfiguration as { DestinationBucketName: { Ref: string } }).DestinationBucketName.Ref;
    const logBucket = evidence.findResources('AWS::S3::Bucket')[target] as { Properties: Record<string, unknown> };
    expect(logBucket.Properties.ObjectLockEnabled).toBeUndefined();
    expect(logBucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  it('denies plain-HTTP access to the vault', () => {
    const { id } = evidenceBucket();
    expect(bucketPolicyStatements(id)).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Principal: { AWS: '*' },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('denies deleting objects or versions and bypassing governance retention to every principal', () => {
    const { id } = evidenceBucket();
    const deny = bucketPolicyStatements(id).find((s) => s.Sid === 'DenyEvidenceDeletion');
    expect(deny).toEqual({
      Sid: 'DenyEvidenceDeletion',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['s3:BypassGovernanceRetention', 's3:DeleteObject', 's3:DeleteObjectVersion'],
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, '/*']] },
    });
    expect(deny).not.toHaveProperty('Condition');
  });

  it('denies retention and legal-hold changes to everyone but the evidence writers and the auditor', () => {
    const { id } = evidenceBucket();
    const deny = bucketPolicyStatements(id).find((s) => s.Sid === 'DenyRetentionChangesButWritersAndAuditor');
    const auditorId = Object.keys(evidence.findResources('AWS::IAM::Role'))[0]!;
    expect(deny).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['s3:PutObjectLegalHold', 's3:PutObjectRetention'],
      Condition: {
        ArnNotLike: {
          'aws:PrincipalArn': [
            { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/cordon/evidence-writer/*']] },
            { 'Fn::GetAtt': [auditorId, 'Arn'] },
          ],
        },
      },
    });
  });

  it('signs with an ECC_NIST_P256 SIGN_VERIFY key behind an alias', () => {
    evidence.hasResourceProperties('AWS::KMS::Key', { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const [signingKeyId] = Object.keys(evidence.findResources('AWS::KMS::Key', { Properties: { KeySpec: 'ECC_NIST_P256' } }));
    evidence.hasResourceProperties('AWS::KMS::Alias', {
      AliasName: 'alias/cordon/evidence-signing',
      TargetKeyId: { 'Fn::GetAtt': [signingKeyId, 'Arn'] },
    });
  });

  const writerPattern = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/cordon/evidence-writer/*']] };
  const rootArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] };
  const keyPolicy = (t: Template, match: Record<string, unknown>) => {
    const [key] = Object.values(t.findResources('AWS::KMS::Key', { Properties: match })) as { Properties: { KeyPolicy: { Statement: Record<string, unknown>[] }; BypassPolicyLockoutSafetyCheck?: boolean } }[];
    return key!.Properties;
  };

  it('lets only the evidence writers sign, by principal ARN path, and the account administer but not use the signing key', () => {
    const { KeyPolicy } = keyPolicy(evidence, { KeySpec: 'ECC_NIST_P256' });
    const bySid = Object.fromEntries(KeyPolicy.Statement.map((st) => [st.Sid, st]));
    expect(bySid.EvidenceWritersSign).toEqual({
      Sid: 'EvidenceWritersSign',
      Effect: 'Allow',
      Principal: { AWS: rootArn },
      Action: 'kms:Sign',
      Resource: '*',
      Condition: { ArnLike: { 'aws:PrincipalArn': writerPattern } },
    });
    expect(bySid.OnlyEvidenceWritersSign).toEqual({
      Sid: 'OnlyEvidenceWritersSign',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'kms:Sign',
      Resource: '*',
      Condition: { ArnNotLike: { 'aws:PrincipalArn': writerPattern } },
    });
    expect(bySid.NoGrants).toMatchObject({ Effect: 'Deny', Action: 'kms:CreateGrant' });
    const allowed = KeyPolicy.Statement.filter((st) => st.Effect === 'Allow' && st.Sid !== 'EvidenceWritersSign').flatMap((st) => st.Action as string[]);
    expect(allowed).not.toContain('kms:Sign');
    expect(allowed).not.toContain('kms:*');
    expect(allowed).toEqual(expect.arrayContaining(['kms:PutKeyPolicy', 'kms:EnableKey', 'kms:GetPublicKey', 'kms:Verify']));
  });

  it('denies disabling, scheduling deletion of or re-policying either vault key to all but the root user and the break-glass principal', () => {
    const { evidence: withBreakGlass } = templates({ vault: { breakGlassPrincipalArn: 'arn:aws:iam::111122223333:role/BreakGlass' } });
    for (const [t, keepers] of [
      [evidence, [rootArn]],
      [withBreakGlass, [rootArn, 'arn:aws:iam::111122223333:role/BreakGlass']],
    ] as const) {
      for (const match of [{ KeySpec: 'ECC_NIST_P256' }, { Description: Match.stringLikeRegexp('encrypts the evidence vault') }]) {
        const key = keyPolicy(t, match);
        expect(key.KeyPolicy.Statement).toContainEqual({
          Sid: 'OnlyKeepersDisableDeleteOrRepolicy',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: ['kms:DisableKey', 'kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion'],
          Resource: '*',
          Condition: { ArnNotEquals: { 'aws:PrincipalArn': keepers } },
        });
        expect(key.BypassPolicyLockoutSafetyCheck).toBe(true);
      }
    }
  });

  it('accepts a PutObject only from the writers, with If-None-Match, COMPLIANCE and the configured retention (less a day of rounding)', () => {
    const { id } = evidenceBucket();
    const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, '/*']] };
    const puts = bucketPolicyStatements(id).filter((st) => st.Action === 's3:PutObject');
    expect(puts).toEqual(
      [
        ['OnlyEvidenceWritersPut', { ArnNotLike: { 'aws:PrincipalArn': writerPattern } }],
        ['PutOnlyIfNoneMatch', { Null: { 's3:if-none-match': 'true' } }],
        ['PutOnlyLocked', { Null: { 's3:object-lock-mode': 'true' } }],
        ['PutOnlyCompliance', { StringNotEquals: { 's3:object-lock-mode': 'COMPLIANCE' } }],
        ['PutOnlyWithRetention', { Null: { 's3:object-lock-remaining-retention-days': 'true' } }],
        ['PutOnlyFullRetention', { NumericLessThan: { 's3:object-lock-remaining-retention-days': '3649' } }],
      ].map(([Sid, Condition]) => ({ Sid, Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:PutObject', Resource: objects, Condition })),
    );
  });

  it('keeps chain heads in a KMS-encrypted table with PITR and deletion protection', () => {
    evidence.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      DeletionProtectionEnabled: true,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] } },
    });
  });

  it('gives the auditor read-only access: versions, retention, public key and verify', () => {
    const statements = Object.values(evidence.findResources('AWS::IAM::ManagedPolicy')).flatMap(
      (p) => (p as { Properties: { PolicyDocument: { Statement: { Action: string | string[] }[] } } }).Properties.PolicyDocument.Statement,
    );
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions).toEqual(
      expect.arrayContaining(['s3:ListBucketVersions', 's3:GetObjectVersion', 's3:GetObjectRetention', 'kms:GetPublicKey', 'kms:Verify']),
    );
    const writes = actions.filter((a) => /^(s3:(Put|Delete|Bypass|Restore)|kms:(Sign|Encrypt|Schedule|Disable|Put|Create))/.test(a));
    expect(writes).toEqual([]);
  });

  it('lets only the configured principals assume the auditor role', () => {
    const { evidence: t } = templates({ auditorPrincipals: ['arn:aws:iam::111122223333:role/ExternalAuditor'] });
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:role/ExternalAuditor' } }],
      },
    });
  });
});

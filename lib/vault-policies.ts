import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * Resource policies of the evidence vault (lib/evidence-stack.ts): who may sign with the signing
 * key, who may disable or delete the vault keys, and what a write into the vault must look like.
 * Resource policies, so an identity policy an administrator writes later cannot widen them: an
 * explicit Deny in a key or bucket policy wins over any Allow, the account root's included.
 */

/** What administering a key takes: everything but using it (Sign / Verify / Encrypt / Decrypt). */
export const KEY_ADMINISTRATION = [
  'kms:DescribeKey',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListKeyPolicies',
  'kms:ListResourceTags',
  'kms:ListGrants',
  'kms:ListAliases',
  'kms:CreateAlias',
  'kms:UpdateAlias',
  'kms:DeleteAlias',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateKeyDescription',
  'kms:EnableKey',
  'kms:DisableKey',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:PutKeyPolicy',
  'kms:RevokeGrant',
];

/** Calls that would make the evidence unreadable or unverifiable, or rewrite who may do the rest. */
export const KEY_STATE_CHANGES = ['kms:DisableKey', 'kms:ScheduleKeyDeletion', 'kms:PutKeyPolicy'];

/**
 * The signing key's policy, replacing KMS's default "the account may do anything":
 * - the account administers the key (KEY_ADMINISTRATION, delegated to IAM policies) but cannot use
 *   it; anyone in the account whose IAM policy allows it may read the public key and verify;
 * - `kms:Sign` only by roles under the evidence-writer path, and an explicit Deny for everyone
 *   else, so no IAM policy, grant or future statement can hand signing to another principal;
 * - no grants at all (a grant is a second way to hand out Sign).
 */
export const signingKeyPolicy = (writerArnPattern: string): iam.PolicyDocument => {
  const account = new iam.AccountRootPrincipal();
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({ sid: 'AccountAdministersNotUses', principals: [account], actions: KEY_ADMINISTRATION, resources: ['*'] }),
      new iam.PolicyStatement({
        sid: 'AccountVerifies',
        principals: [account],
        actions: ['kms:GetPublicKey', 'kms:Verify'],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'EvidenceWritersSign',
        principals: [account],
        actions: ['kms:Sign'],
        resources: ['*'],
        conditions: { ArnLike: { 'aws:PrincipalArn': writerArnPattern } },
      }),
      new iam.PolicyStatement({
        sid: 'OnlyEvidenceWritersSign',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:Sign'],
        resources: ['*'],
        conditions: { ArnNotLike: { 'aws:PrincipalArn': writerArnPattern } },
      }),
      new iam.PolicyStatement({
        sid: 'NoGrants',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
      }),
    ],
  });
};

/**
 * Denies KEY_STATE_CHANGES on a vault key to everyone but `keepers` (the account's root user and
 * the configured break-glass principal).
 *
 * KMS's lockout safety check refuses a key policy that the principal putting it could not change
 * again. CloudFormation's execution role is not a keeper, so the check is bypassed on purpose
 * (`BypassPolicyLockoutSafetyCheck`): the key is not locked out, because the account's root user
 * (and the break-glass principal) keep every administrative right. The consequence is deliberate:
 * after this policy is in place, a deploy that changes a vault key policy must run with a keeper
 * as CloudFormation's execution role (`cdk deploy --role-arn <break-glass role>`).
 */
export const protectKeyState = (key: kms.Key, keepers: readonly string[]): void => {
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'OnlyKeepersDisableDeleteOrRepolicy',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: KEY_STATE_CHANGES,
      resources: ['*'],
      conditions: { ArnNotEquals: { 'aws:PrincipalArn': [...keepers] } },
    }),
  );
  (key.node.defaultChild as kms.CfnKey).bypassPolicyLockoutSafetyCheck = true;
};

/**
 * What a write into the vault must be, whoever asks (Deny statements, so no identity policy can
 * relax them): only the evidence writers put objects, only with `If-None-Match: *` (never an
 * overwrite, not even a new version of a taken key), only with an explicit COMPLIANCE lock, and
 * only with at least `retentionDays - 1` days of remaining retention. The one-day margin absorbs
 * the rounding of `s3:object-lock-remaining-retention-days` (the writers set exactly
 * `retentionDays` from the moment of the write); the bucket's default retention is the full period.
 * Each missing header is denied by its own `Null` statement: a negated condition on an absent key
 * is not something to rely on. `s3:PutObjectRetention` (a put's lock headers, or a later change)
 * gets the same floor: COMPLIANCE, explicit, never below `retentionDays - 1` days remaining.
 */
export const vaultWriteRules = (bucket: s3.IBucket, writerArnPattern: string, retentionDays: number): iam.PolicyStatement[] => {
  const deny = (sid: string, conditions: Record<string, Record<string, unknown>>) =>
    new iam.PolicyStatement({
      sid,
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [bucket.arnForObjects('*')],
      conditions,
    });
  // The same floor on s3:PutObjectRetention: S3 authorizes a put's lock headers as that action too,
  // so the writers keep it, and with it they could otherwise shorten an existing object's retention
  // (IAM does not know S3 refuses to shorten COMPLIANCE; GOVERNANCE objects it would let them).
  const retention = (sid: string, conditions: Record<string, Record<string, unknown>>) =>
    new iam.PolicyStatement({
      sid,
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObjectRetention'],
      resources: [bucket.arnForObjects('*')],
      conditions,
    });
  const floor = String(Math.max(retentionDays - 1, 1));
  return [
    deny('OnlyEvidenceWritersPut', { ArnNotLike: { 'aws:PrincipalArn': writerArnPattern } }),
    deny('PutOnlyIfNoneMatch', { Null: { 's3:if-none-match': 'true' } }),
    deny('PutOnlyLocked', { Null: { 's3:object-lock-mode': 'true' } }),
    deny('PutOnlyCompliance', { StringNotEquals: { 's3:object-lock-mode': 'COMPLIANCE' } }),
    deny('PutOnlyWithRetention', { Null: { 's3:object-lock-remaining-retention-days': 'true' } }),
    deny('PutOnlyFullRetention', { NumericLessThan: { 's3:object-lock-remaining-retention-days': floor } }),
    retention('RetentionOnlyCompliance', { StringNotEquals: { 's3:object-lock-mode': 'COMPLIANCE' } }),
    retention('RetentionOnlyExplicit', { Null: { 's3:object-lock-remaining-retention-days': 'true' } }),
    retention('RetentionNeverBelowTheFloor', { NumericLessThan: { 's3:object-lock-remaining-retention-days': floor } }),
  ];
};

/**
 * What would undo every rule above: replacing or deleting the bucket policy, or changing the
 * bucket's Object Lock configuration. Denied to everyone but `keepers` (the configured break-glass
 * principal; the account root is listed too, because S3 always lets the bucket owner's root user
 * change or delete a bucket policy, whatever it says: README, "Security model"). A deploy that
 * changes the vault bucket's policy must then run as a keeper (`cdk deploy --role-arn`), as for the
 * vault keys.
 */
export const VAULT_CONFIG_CHANGES = ['s3:PutBucketPolicy', 's3:DeleteBucketPolicy', 's3:PutBucketObjectLockConfiguration'];

export const protectVaultPolicy = (bucket: s3.IBucket, keepers: readonly string[]): iam.PolicyStatement =>
  new iam.PolicyStatement({
    sid: 'OnlyKeepersChangeTheVaultPolicy',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: VAULT_CONFIG_CHANGES,
    resources: [bucket.bucketArn],
    conditions: { ArnNotEquals: { 'aws:PrincipalArn': [...keepers] } },
  });

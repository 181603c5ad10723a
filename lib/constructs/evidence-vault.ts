import type { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * What a construct that writes evidence needs of the vault. lib/evidence-stack.ts implements it;
 * constructs depend on this interface, never on the stack.
 */
export interface EvidenceVault {
  /** Object Lock (COMPLIANCE) bucket holding records, checkpoints and the public key. */
  readonly bucket: s3.IBucket;
  /** Symmetric key encrypting the bucket and the table; rotation on. */
  readonly dataKey: kms.IKey;
  /** ECC_NIST_P256 SIGN_VERIFY key that signs every record and checkpoint. */
  readonly signingKey: kms.IKey;
  /** One item per incident: the head of its hash chain (seq, hash). */
  readonly chainHeads: dynamodb.ITable;
  /** Read-only auditor: object versions, retention, kms:GetPublicKey / Verify. */
  readonly auditorRole: iam.IRole;
  /** COMPLIANCE retention applied to every record. */
  readonly retention: Duration;
  /**
   * Name of the export holding the bucket ARN. Grants in other stacks import it by this name, so
   * their policies (and the cdk-nag findings on their prefixes) name the bucket stably.
   */
  readonly bucketArnExportName: string;
  /** Sign with the signing key, put under `records/`, update chain heads: nothing more. */
  grantAppend(grantee: iam.IGrantable): void;
}

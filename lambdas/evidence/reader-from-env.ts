import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { evidenceEnv } from './env';
import { StoreEvidenceReader, type PinnedKeys } from './reader';
import { KmsSigner, publicKeyFrom } from './signer';
import { S3EvidenceStore } from './store';

/**
 * The key a reader trusts, pinned by the function's own configuration: the public key of
 * SIGNING_KEY_ID as KMS returns it (fetched once per container), never a key file from the bucket.
 */
export const pinnedKmsKey = (signer: KmsSigner): PinnedKeys => async () => {
  const identity = await signer.identity();
  return [publicKeyFrom(identity.publicKeyDer, identity.keyId)];
};

/** The verifying evidence reader of release and restore, wired from the same environment as the writer. */
export const evidenceReaderFromEnv = (env: NodeJS.ProcessEnv = process.env, clients?: { readonly s3?: S3Client; readonly kms?: KMSClient }): StoreEvidenceReader => {
  const e = evidenceEnv(env);
  const region = e.AWS_REGION ? { region: e.AWS_REGION } : {};
  const store = new S3EvidenceStore(clients?.s3 ?? new S3Client(region), { bucket: e.EVIDENCE_BUCKET, prefix: e.EVIDENCE_PREFIX, retentionDays: e.RETENTION_DAYS });
  return new StoreEvidenceReader(store, pinnedKmsKey(new KmsSigner(clients?.kms ?? new KMSClient(region), e.SIGNING_KEY_ID)));
};

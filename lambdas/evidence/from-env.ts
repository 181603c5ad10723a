import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { EvidenceChain, type EvidenceLogger } from './chain';
import { DynamoChainHeads } from './heads';
import { KmsSigner } from './signer';
import { evidenceEnv, type EvidenceEnv } from './env';
import { S3EvidenceStore } from './store';
import type { EvidenceWriter } from './types';

export { evidenceEnv, evidenceEnvSchema, type EvidenceEnv } from './env';

export interface EvidenceClients {
  readonly s3: S3Client;
  readonly kms: KMSClient;
  readonly ddb: DynamoDBClient;
}

export interface EvidenceParts {
  readonly env: EvidenceEnv;
  readonly chain: EvidenceChain;
  readonly signer: KmsSigner;
  readonly store: S3EvidenceStore;
  readonly heads: DynamoChainHeads;
}

/** KMS signer, DynamoDB heads and S3 WORM store wired from the environment. */
export const evidencePartsFromEnv = (
  env: NodeJS.ProcessEnv = process.env,
  clients?: EvidenceClients,
  logger: EvidenceLogger = new Logger({ serviceName: 'cordon-evidence' }),
): EvidenceParts => {
  const e = evidenceEnv(env);
  const region = e.AWS_REGION ? { region: e.AWS_REGION } : {};
  const s3 = clients?.s3 ?? new S3Client(region);
  const kms = clients?.kms ?? new KMSClient(region);
  const ddb = clients?.ddb ?? new DynamoDBClient(region);
  const signer = new KmsSigner(kms, e.SIGNING_KEY_ID);
  const store = new S3EvidenceStore(s3, { bucket: e.EVIDENCE_BUCKET, prefix: e.EVIDENCE_PREFIX, retentionDays: e.RETENTION_DAYS });
  const heads = new DynamoChainHeads(ddb, { tableName: e.HEADS_TABLE });
  return { env: e, signer, store, heads, chain: new EvidenceChain({ signer, store, heads, logger }) };
};

/**
 * The evidence writer for a responder handler (call at module scope). Starts fetching the signing
 * key's public key at once, so a cold start overlaps it with init. A missing or invalid environment
 * does not fail the module load: every append then fails with the reason, and a responder takes no
 * action without its write-ahead record.
 */
export const evidenceFromEnv = (env: NodeJS.ProcessEnv = process.env, clients?: EvidenceClients): EvidenceWriter => {
  let parts: EvidenceParts;
  try {
    parts = evidencePartsFromEnv(env, clients);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { append: () => Promise.reject(new Error(`evidence is not configured: ${reason}`)) };
  }
  // Prefetch; a failure here is retried (and reported) by the first append.
  parts.signer.identity().catch(() => undefined);
  return parts.chain;
};
